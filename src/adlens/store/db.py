"""Opening the DuckDB file, migrating it, and the few queries every caller needs."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from adlens.errors import StoreLockedError, UnreadableFileError
from adlens.store.migrations import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)
CLUSTERED = ("ad_performance", "sessions")


class VersionMemo:
    """Data versions of workspaces, remembered between writes.

    The process that opened a store is the one writing its DuckDB file, and every write
    that changes answers bumps a version inside ``Store.transaction`` (or through
    ``Store.bump_data_version``), which forgets them all. A read that raced a write is not
    remembered (the generation moved on), so no stale version is kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, int] = {}
        self._generation = 0

    def get(self, workspace: str, compute: Callable[[], int]) -> int:
        with self._lock:
            if workspace in self._values:
                return self._values[workspace]
            generation = self._generation
        value = compute()
        with self._lock:
            if generation == self._generation:
                self._values[workspace] = value
        return value

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()


class Store:
    """A DuckDB file opened by this process.

    One process owns a DuckDB file for writing; a second opener gets a
    :class:`StoreLockedError` that says which file and what to do. Stores that share a
    connection (cursors of one) share a ``VersionMemo``.
    """

    def __init__(
        self, path: Path, con: duckdb.DuckDBPyConnection, versions: VersionMemo | None = None
    ) -> None:
        self.path = path
        self.con = con
        self.versions = versions or VersionMemo()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block in one transaction: all of it is stored, or none of it.

        Data versions are read again after it (and inside it), whether it committed or not.
        """
        self.versions.forget()
        try:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")
        finally:
            self.versions.forget()

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a query as dicts (small results only)."""
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @property
    def schema_version(self) -> int:
        row = fetch_one(self.con, "SELECT coalesce(max(version), 0) FROM schema_migrations")
        return int(row[0])

    def compact(self) -> dict[str, int]:
        """Rewrite the fact tables in (workspace, date, platform) order, in one transaction.

        Loads append each file in its own order (exports are usually by day already);
        after many loads, compacting makes every row group cover a short time span,
        so DuckDB's min/max statistics skip most of the table for time-range queries.
        Returns the rows rewritten per table.
        """
        rewritten: dict[str, int] = {}
        with self.transaction() as con:
            for table in CLUSTERED:
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _adlens_sorted AS SELECT * FROM {table} "
                    "ORDER BY workspace, date NULLS LAST, platform, period_start"
                )
                con.execute(f"DELETE FROM {table}")
                rewritten[table] = int(
                    fetch_one(con, f"INSERT INTO {table} SELECT * FROM _adlens_sorted")[0]
                )
                con.execute("DROP TABLE _adlens_sorted")
        self.con.execute("CHECKPOINT")
        return rewritten

    def data_version(self, workspace: str = "default") -> int:
        """A number that grows with every change to the workspace's data (cache keys use it).

        Loads bump their workspace; an exchange rate bumps every workspace. Read once per
        workspace between writes (``VersionMemo``): a cached query costs no database read.
        """
        return self.versions.get(workspace, lambda: self._read_version(workspace))

    def _read_version(self, workspace: str) -> int:
        row = fetch_one(
            self.con,
            "SELECT coalesce(sum(version), 0) FROM data_versions WHERE workspace IN (?, '*')",
            [workspace],
        )
        return int(row[0])

    def last_load_at(self, workspace: str = "default") -> Any:
        """When the workspace's last load finished (a timestamp), or None before any load.

        Read it after ``data_version``: a load commits its ingest row and its version bump
        together, so a version read first is never newer than the load time read after it.
        """
        return fetch_one(
            self.con, "SELECT max(finished_at) FROM ingests WHERE workspace = ?", [workspace]
        )[0]

    def bump_data_version(self, workspace: str = "*") -> None:
        """Record a change to stored data outside a ``transaction`` block (which bumps in its
        caller's transaction with ``bump_data_version``)."""
        bump_data_version(self.con, workspace)
        self.versions.forget()


def bump_data_version(con: duckdb.DuckDBPyConnection, workspace: str = "*") -> None:
    """Record a change to stored data (``'*'``: every workspace), in the caller's transaction."""
    con.execute(
        "INSERT INTO data_versions (workspace, version) VALUES (?, 1) ON CONFLICT (workspace) "
        "DO UPDATE SET version = data_versions.version + 1, changed_at = now()",
        [workspace],
    )


def connect(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set up for a service: no progress bar printed to the terminal."""
    con = duckdb.connect(database, read_only=read_only)
    con.execute("SET enable_progress_bar = false")
    return con


def open_store(path: Path | str, *, read_only: bool = False) -> Store:
    """Open (creating if needed) the store at ``path`` and apply pending migrations.

    >>> import tempfile, os
    >>> with open_store(os.path.join(tempfile.mkdtemp(), "x.duckdb")) as store:
    ...     store.schema_version == SCHEMA_VERSION
    True
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise UnreadableFileError(f"{path} is a directory, not a DuckDB file")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLockedError(
                f"{path} is open for writing in another process",
                hint="stop that process (for example a running `adlens serve`, whose dashboard "
                "and API do the same meanwhile, uploads included: POST /data/upload/file), "
                "or point --db / ADLENS_DB at another file",
                where={"db": str(path)},
            ) from exc
        raise UnreadableFileError(
            f"{path} is not a DuckDB database: {exc}", where={"db": str(path)}
        ) from exc
    store = Store(path, con)
    if not read_only:
        _migrate(con)
        con.execute("DROP TABLE IF EXISTS _adlens_stage")  # scratch of a load that died
    return store


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    current = int(fetch_one(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")[0])
    for version, statements in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for statement in statements:
                con.execute(statement)
            con.execute("INSERT INTO schema_migrations (version) VALUES (?)", [version])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...]:
    """The first row of a query, with the result fully consumed (DuckDB needs that)."""
    rows = con.execute(sql, params or []).fetchall()
    if not rows:
        raise LookupError("query returned no rows")
    return tuple(rows[0])
