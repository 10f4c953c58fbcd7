"""Golden files: each fixture export loads into exactly the rows and report stored beside it.

Regenerate after an intended change with ``ADLENS_UPDATE_GOLDEN=1 pytest tests/test_golden.py``
and review the diff: the golden files are the specification of each adapter.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from adlens.ingest import ingest_file, load_mapping
from adlens.store import open_store

from .conftest import EXPORTS, FIXTURES

GOLDEN = FIXTURES / "golden"
CASES = sorted(p.name for p in EXPORTS.glob("*.csv"))
MAPPINGS = {"generic_partner_export.csv": "generic_partner_mapping.yaml"}
REPORT_KEYS = (
    "platform",
    "target_table",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "rows_blank",
    "period_start",
    "period_end",
    "totals_check",
    "warnings",
)
SKIP_COLUMNS = {"workspace", "ingest_id", "source_file", "ts"}
AS_OF = date(2025, 4, 1)  # quality's timeliness is judged as of this day


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def load_golden_case(name: str, tmp_path: Path) -> dict[str, Any]:
    mapping = load_mapping(EXPORTS / MAPPINGS[name]) if name in MAPPINGS else None
    with open_store(tmp_path / "golden.duckdb") as store:
        report = ingest_file(store, EXPORTS / name, mapping=mapping, today=AS_OF)
        table = report.target_table
        rows = store.query(f"SELECT * FROM {table} ORDER BY source_row")
        rejects = store.query("SELECT source_row, reason, raw FROM rejects ORDER BY source_row")
    summary = report.to_dict()
    return {
        "report": {k: summary[k] for k in REPORT_KEYS},
        "detection": {
            k: summary["detection"][k]
            for k in ("delimiter", "header_line", "footer_lines", "decimal_mark", "date_format")
        }
        | {
            "columns": summary["detection"]["columns"],
            "currency": summary["detection"]["currency"],
        },
        "quality": summary["quality"],
        "rows": [
            {k: _jsonable(v) for k, v in row.items() if v is not None and k not in SKIP_COLUMNS}
            for row in rows
        ],
        "rejects": rejects,
    }


@pytest.mark.parametrize("name", CASES)
def test_export_loads_as_golden_file_says(name: str, tmp_path: Path) -> None:
    actual = json.loads(json.dumps(load_golden_case(name, tmp_path), default=str))
    golden = GOLDEN / (Path(name).stem + ".json")
    if os.environ.get("ADLENS_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(golden.read_text())
    assert actual == expected


def test_every_golden_file_has_its_export() -> None:
    stems = {Path(n).stem for n in CASES}
    assert {p.stem for p in GOLDEN.glob("*.json")} == stems
