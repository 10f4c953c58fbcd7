"""What a load imports: the ingest path leaves the query planner, sqlglot, the cache and Redis
alone (each costs start-up time on every ``adlens ingest``)."""

import subprocess
import sys

import pytest


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_ingest_path_does_not_import_the_query_engine() -> None:
    loaded = _modules_after("import adlens.ingest.pipeline")
    assert "adlens.store.rollups" in loaded  # a load maintains the rollups
    assert not {"adlens.query", "sqlglot", "adlens.query.cache", "redis"} & loaded


def test_public_query_names_load_on_first_use() -> None:
    import adlens.query

    assert adlens.query.run_query is adlens.query.engine.run_query
    for name in adlens.query.__all__:
        assert getattr(adlens.query, name) is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        adlens.query.no_such_name  # noqa: B018
