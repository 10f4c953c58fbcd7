"""Opening the app database and applying its migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from adlens.appdb.models import Base, Migration
from adlens.errors import AdlensError


def _create_tables(con: Connection) -> None:
    Base.metadata.create_all(con)


# Append new steps at the end; each runs once, in order, in its own transaction.
APP_MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_create_tables,)


@dataclass
class AppDatabaseError(AdlensError):
    """The app database cannot be reached or migrated."""

    status: int = 503
    code: str = "app_db_unavailable"


def engine_url(url: str) -> str:
    """The SQLAlchemy URL with the psycopg 3 driver for plain ``postgresql://`` URLs.

    >>> engine_url("postgresql://localhost/test")
    'postgresql+psycopg://localhost/test'
    >>> engine_url("sqlite:///app.sqlite")
    'sqlite:///app.sqlite'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class AppDB:
    """An engine and session factory over the app database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed at the end of the block (rolled back on error)."""
        with self.sessions() as session, session.begin():
            yield session

    def migrate(self) -> int:
        """Apply pending migrations; returns the schema version."""
        Migration.__table__.create(self.engine, checkfirst=True)  # type: ignore[attr-defined]
        with self.engine.begin() as con:
            done = set(con.execute(select(Migration.version)).scalars())
        for version, step in enumerate(APP_MIGRATIONS, start=1):
            if version in done:
                continue
            with self.engine.begin() as con:
                step(con)
                con.execute(Migration.__table__.insert().values(version=version))  # type: ignore[attr-defined]
        return len(APP_MIGRATIONS)

    def is_ready(self) -> bool:
        """Reachable, and every migration applied."""
        try:
            with self.engine.connect() as con:
                con.execute(text("SELECT 1"))
                done = set(con.execute(select(Migration.version)).scalars())
        except SQLAlchemyError:
            return False
        return done >= set(range(1, len(APP_MIGRATIONS) + 1))

    def close(self) -> None:
        self.engine.dispose()


def open_app_db(url: str, *, migrate: bool = True) -> AppDB:
    """Connect to the app database at ``url`` (and migrate it)."""
    url = engine_url(url)
    sqlite = url.startswith("sqlite")
    engine = create_engine(
        url,
        pool_pre_ping=not sqlite,
        connect_args={"check_same_thread": False, "timeout": 30} if sqlite else {},
    )
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    app_db = AppDB(engine)
    if migrate:
        try:
            app_db.migrate()
        except SQLAlchemyError as exc:
            raise AppDatabaseError(
                f"cannot open the app database: {type(exc).__name__}",
                hint="check ADLENS_APP_DB_URL and that the database server is running",
            ) from exc
    return app_db


def _sqlite_pragmas(dbapi_con: object, _record: object) -> None:
    cursor = dbapi_con.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
