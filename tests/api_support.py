"""Fixtures for the HTTP API tests: a real app over a real DuckDB file in tmp_path and a real
app database, SQLite or PostgreSQL (every API test runs against both)."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from adlens.api import create_app
from adlens.appdb import accounts
from adlens.settings import Settings

from .test_query_postgres import connect as pg_connect

PASSWORD = "correct horse battery"
SECRET = "s" * 48
META_ROWS: list[dict[str, Any]] = [
    {
        "date": "2024-01-01",
        "campaign_name": "Summer",
        "spend": 12.5,
        "impressions": 1000,
        "clicks": 20,
        "currency": "USD",
    },
    {
        "date": "2024-01-02",
        "campaign_name": "Summer",
        "spend": 7.25,
        "impressions": 500,
        "clicks": 3,
        "currency": "USD",
    },
    {
        "date": "2024-01-02",
        "campaign_name": "Winter",
        "spend": 30,
        "impressions": 900,
        "clicks": 9,
        "currency": "USD",
    },
]


def postgres_url() -> str:
    """A URL to a fresh schema of the local PostgreSQL (starting the server if it is down)."""
    with pg_connect() as pg:
        user = pg.info.user
        schema = f"adlens_api_{uuid.uuid4().hex[:12]}"
        pg.execute(f'CREATE SCHEMA "{schema}"')
    return f"postgresql://{user}@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"


def drop_schema(url: str) -> None:
    schema = url.rsplit("%3D", 1)[1]
    with pg_connect() as pg:
        pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def redis_url() -> str:
    """The local Redis (started if it is down), database 15, emptied."""
    url = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "-::1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
                "--logfile",
                "/var/log/redis/ci.log",
            ],
            check=False,
            capture_output=True,
            timeout=30,
        )
        time.sleep(1)
        client.ping()
    client.flushdb()
    client.close()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each API test runs on a SQLite file and on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite'}"
        return
    url = postgres_url()
    yield url
    drop_schema(url)


def api_settings(tmp_path: Path, app_db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "db": tmp_path / "api.duckdb",
        "app_db_url": app_db_url,
        "secret_key": SECRET,
        "app_env": "test",
        "rate_limit_default": "10000/minute",
        "rate_limit_query": "10000/minute",
        "rate_limit_upload": "10000/minute",
        "rate_limit_auth": "10000/minute",
        "login_max_failures": 1000,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Api:
    """A running app and a client; helpers to make users and log in."""

    client: TestClient
    app: Any

    @property
    def services(self) -> Any:
        return self.app.state.services

    def user(self, name: str, role: str = "analyst", workspace: str = "default") -> dict[str, str]:
        """Create a user and return the headers of its access token."""
        with self.services.app_db.session() as session:
            accounts.create_user(session, name, PASSWORD, role=role, workspace=workspace)
        return self.login(name)

    def login(self, name: str, password: str = PASSWORD) -> dict[str, str]:
        response = self.client.post("/auth/token", json={"username": name, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def key(self, role: str, workspace: str = "default", scopes: list[str] | None = None) -> str:
        with self.services.app_db.session() as session:
            _, key = accounts.create_api_key(
                session, "test", role=role, workspace=workspace, scopes=scopes
            )
        return key


def build_api(settings: Settings) -> Iterator[Api]:
    app = create_app(settings, web=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, app)


@pytest.fixture
def api(tmp_path: Path, app_db_url: str) -> Iterator[Api]:
    yield from build_api(api_settings(tmp_path, app_db_url))
