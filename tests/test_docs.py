"""Documentation that must not drift from the code."""

from __future__ import annotations

from pathlib import Path

from adlens.ingest.platforms import registry
from adlens.schema import FACT_FIELDS, SESSION_FIELDS
from adlens.settings import Settings

DOCS = Path(__file__).parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    for name in Settings.model_fields:
        assert f"`ADLENS_{name.upper()}`" in text, name


def test_every_unified_field_and_platform_is_documented() -> None:
    text = (DOCS / "ingest.md").read_text()
    adapter_fields = {f for adapter in registry.all() for f in adapter.fields}
    for name in {*FACT_FIELDS, *SESSION_FIELDS, *adapter_fields}:
        assert f"`{name}`" in text, name
    for adapter in registry.all():
        assert adapter.title in text, adapter.title
