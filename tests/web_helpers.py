"""A real adlens server for the browser tests: demo data in a DuckDB file, users in a
SQLite app database, the API and dashboard under uvicorn on a free port, and Debian's
Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import APIRouter
from starlette.types import ASGIApp, Receive, Scope, Send

from adlens.api import create_app
from adlens.api.problems import problem, problem_response
from adlens.appdb import accounts, open_app_db
from adlens.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
# name -> (role, locale)
USERS = {"ada": ("admin", "en-US"), "ana": ("analyst", "en-US"), "vic": ("viewer", "de-DE")}


def find_chromium() -> str | None:
    """Debian's Chromium, installed with apt-get when missing and possible; None otherwise."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    if shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"],
            capture_output=True,
            check=False,
            timeout=600,
        )
    return str(CHROMIUM) if CHROMIUM.exists() else None


def create_users(app_db_url: str) -> None:
    """The three test accounts, one per role."""
    app_db = open_app_db(app_db_url)
    try:
        with app_db.session() as session:
            for name, (role, locale) in USERS.items():
                user = accounts.create_user(session, name, PASSWORD, role=role, workspace="default")
                user.locale = locale
    finally:
        app_db.close()


@dataclass
class LiveServer:
    """The running server and an HTTP client for asking the API directly."""

    url: str
    db: Path

    def token(self, username: str) -> str:
        answer = httpx.post(
            f"{self.url}/auth/token", json={"username": username, "password": PASSWORD}
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def api(self, method: str, path: str, username: str = "ana", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        answer = httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)
        answer.raise_for_status()
        return answer.json()


@contextmanager
def live_server(
    directory: Path,
    db: Path,
    routers: Iterable[APIRouter] = (),
    *,
    without: Iterable[str] = (),
) -> Iterator[LiveServer]:
    """Serve ``db`` (copied into ``directory``) with the API, the dashboard and ``routers``;
    the API paths named in ``without`` are left out (a server that predates them)."""
    directory.mkdir(parents=True, exist_ok=True)
    served = directory / "adlens.duckdb"
    shutil.copy(db, served)
    settings = Settings(
        db=served,
        app_db_url=f"sqlite:///{directory / 'app.sqlite'}",
        app_env="test",
        events_poll_seconds=0.3,
        rate_limit_auth="1000/minute",
        log_level="WARNING",
    )
    create_users(settings.resolved_app_db_url())
    app = create_app(settings, routers=routers)
    served_app = _without(app, set(without)) if without else app
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        served_app, log_level="warning", timeout_graceful_shutdown=1, lifespan="on", log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", db=served)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _without(app: ASGIApp, paths: set[str]) -> ASGIApp:
    """``app`` answering 404, as for any unknown route, on ``paths``."""

    async def older(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in paths:
            body = problem(404, "Not Found", "not_found")
            await problem_response(body)(scope, receive, send)
            return
        await app(scope, receive, send)

    return older
