"""The API docs and the settings template cover every route and every setting."""

from __future__ import annotations

from pathlib import Path

from adlens.settings import Settings

from .test_api_access import RULES

ROOT = Path(__file__).parent.parent


def test_every_route_is_in_docs_api() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    missing = [f"{m} {p}" for m, p in RULES if p not in text]
    assert missing == []


def test_every_setting_is_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text()
    names = [f"ADLENS_{name.upper()}" for name in Settings.model_fields]
    aliases = {
        "ADLENS_APP_ENV": "APP_ENV=",
        "ADLENS_SECRET_KEY": "SECRET_KEY=",
        "ADLENS_ACCESS_TOKEN_EXPIRE_MINUTES": "ACCESS_TOKEN_EXPIRE_MINUTES=",
    }
    missing = [n for n in names if n not in text and aliases.get(n, "\0") not in text]
    assert missing == []
