"""Shared fixtures: real DuckDB files in tmp_path, the fixture exports, a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from adlens.settings import get_settings
from adlens.store import Store, open_store

FIXTURES = Path(__file__).parent / "fixtures"
EXPORTS = FIXTURES / "exports"


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts from default settings, with its own default database path."""
    for name in ("ADLENS_DB", "ADLENS_WORKSPACE", "ADLENS_REPORTING_CURRENCY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ADLENS_DB", str(tmp_path / "default.duckdb"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "adlens.duckdb") as opened:
        yield opened


@pytest.fixture
def export(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy a fixture export into tmp_path (tests may edit the copy)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copy(EXPORTS / name, target)
        return target

    return copy


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path
