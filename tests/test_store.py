"""The DuckDB store: migrations, reopening, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from adlens.errors import UnreadableFileError
from adlens.store import open_store
from adlens.store.migrations import MIGRATIONS


def test_migrations_run_once_and_reopening_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        store.con.execute("INSERT INTO fx_rates VALUES ('EUR', 'USD', DATE '2025-01-01', 1.1)")
    with open_store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.query("SELECT count(*) AS n FROM schema_migrations") == [
            {"n": len(MIGRATIONS)}
        ]
        assert store.query("SELECT rate FROM fx_rates") == [{"rate": 1.1}]
        tables = {r["table_name"] for r in store.query("SELECT table_name FROM duckdb_tables()")}
        assert {"ad_performance", "sessions", "ingests", "rejects", "fx_rates"} <= tables


def test_data_version_grows_with_loads(tmp_path: Path) -> None:
    from adlens.ingest import ingest_file

    from .conftest import EXPORTS

    with open_store(tmp_path / "s.duckdb") as store:
        assert store.data_version() == 0
        ingest_file(store, EXPORTS / "tiktok_ads_daily.csv")
        ingest_file(store, EXPORTS / "meta_ads_daily.csv", workspace="other")
        assert (store.data_version(), store.data_version("other")) == (1, 1)
        ingest_file(store, EXPORTS / "google_ads_campaign_daily.csv")
        assert (store.data_version(), store.data_version("other")) == (2, 1)
        from adlens import fx

        fx.set_rate(store, "EUR", 1.1, reporting_currency="USD")
        assert (store.data_version(), store.data_version("other")) == (3, 2)


def test_data_versions_are_read_once_between_writes(tmp_path: Path) -> None:
    from adlens.store.db import bump_data_version

    with open_store(tmp_path / "s.duckdb") as store:
        assert store.data_version("w") == 0
        # A write that bypasses the store's own writers is not seen: the version is remembered.
        bump_data_version(store.con, "w")
        assert store.data_version("w") == 0
        store.bump_data_version("w")
        assert store.data_version("w") == 2
        with pytest.raises(ZeroDivisionError), store.transaction() as con:
            bump_data_version(con, "w")
            assert store.data_version("w") == 3  # seen inside the transaction
            raise ZeroDivisionError
        assert store.data_version("w") == 2  # and forgotten with it
        with store.transaction() as con:
            bump_data_version(con, "*")
        assert (store.data_version("w"), store.data_version("other")) == (3, 1)


def test_a_transaction_that_fails_stores_nothing(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        with pytest.raises(ZeroDivisionError), store.transaction() as con:
            con.execute("INSERT INTO fx_rates VALUES ('EUR', 'USD', DATE '2025-01-01', 1.1)")
            raise ZeroDivisionError
        assert store.query("SELECT count(*) AS n FROM fx_rates") == [{"n": 0}]


def test_not_a_database(tmp_path: Path) -> None:
    fake = tmp_path / "fake.duckdb"
    fake.write_text("this is not a database")
    with pytest.raises(UnreadableFileError, match="not a DuckDB database"):
        open_store(fake)
    with pytest.raises(UnreadableFileError, match="is a directory"):
        open_store(tmp_path)


def test_read_only_stores_do_not_migrate(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    with open_store(path, read_only=True) as store:
        assert store.schema_version == len(MIGRATIONS)


def test_compact_rewrites_facts_in_time_order_and_keeps_them(tmp_path: Path) -> None:
    from adlens.ingest import ingest_file

    from .conftest import EXPORTS

    with open_store(tmp_path / "s.duckdb") as store:
        for name in ("tiktok_ads_daily.csv", "google_ads_campaign_daily.csv", "meta_ads_daily.csv"):
            ingest_file(store, EXPORTS / name)
        before = store.query("SELECT * FROM ad_performance ORDER BY ALL")
        assert store.compact() == {"ad_performance": 12, "sessions": 0}
        assert store.query("SELECT * FROM ad_performance ORDER BY ALL") == before
        dates = [r["date"] for r in store.query("SELECT date FROM ad_performance")]
        assert dates == sorted(dates)
