"""``adlens users``, ``adlens keys`` and ``adlens serve``: bootstrapping and running the API.

They read the same settings as the server (``ADLENS_APP_DB_URL``, ``SECRET_KEY``, ...).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adlens.cli import JsonOption, _errors, _print_json, err, out

if TYPE_CHECKING:
    from adlens.appdb import AppDB

users_app = typer.Typer(help="Users of the HTTP API (stored in the app database).")
keys_app = typer.Typer(help="API keys of the HTTP API (stored hashed; shown once).")
RoleOption = Annotated[
    str, typer.Option("--role", help="viewer (query), analyst (+ upload, metrics) or admin.")
]
WorkspaceOption = Annotated[
    str | None,
    typer.Option("--workspace", help="Workspace it belongs to.", show_default="$ADLENS_WORKSPACE"),
]


def _app_db() -> AppDB:
    from adlens.appdb import open_app_db
    from adlens.settings import get_settings

    return open_app_db(get_settings().resolved_app_db_url())


def _workspace(workspace: str | None) -> str:
    from adlens.settings import get_settings

    return workspace or get_settings().workspace


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: RoleOption = "viewer",
    workspace: WorkspaceOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Create a user; the password is asked for (or read from stdin) and stored as argon2id."""
    from adlens.appdb import accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _errors():
        app_db = _app_db()
        try:
            with app_db.session() as session:
                user = accounts.create_user(
                    session, username, password, role=role, workspace=_workspace(workspace)
                )
                out.print(f"user {user.username} ({user.role}) created in {user.workspace}")
        finally:
            app_db.close()


@users_app.command("list")
def users_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List the users of a workspace."""
    from sqlalchemy import select

    from adlens.appdb.models import User

    with _errors():
        app_db = _app_db()
        with app_db.session() as session:
            rows = [
                {
                    "username": u.username,
                    "role": u.role,
                    "workspace": u.workspace,
                    "active": u.is_active,
                }
                for u in session.scalars(
                    select(User).where(User.workspace == _workspace(workspace))
                )
            ]
        app_db.close()
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        out.print(f"{row['username']:<24} {row['role']:<8} {'active' if row['active'] else 'off'}")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="What the key is for (a label).")],
    role: RoleOption = "viewer",
    workspace: WorkspaceOption = None,
    scopes: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated scopes (read, query, upload, metrics, admin) "
            "[default: all the role grants]."
        ),
    ] = None,
    days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from adlens.appdb import accounts

    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    with _errors():
        app_db = _app_db()
        try:
            with app_db.session() as session:
                row, key = accounts.create_api_key(
                    session,
                    name,
                    role=role,
                    workspace=_workspace(workspace),
                    scopes=[s.strip() for s in scopes.split(",")] if scopes else None,
                    expires_at=expires,
                    created_by="cli",
                )
                info = {
                    "key_id": row.key_id,
                    "key": key,
                    "role": row.role,
                    "scopes": row.scopes,
                    "workspace": row.workspace,
                    "expires_at": expires.isoformat() if expires else None,
                }
        finally:
            app_db.close()
    if as_json:
        _print_json(info)
        return
    out.print(f"API key {info['key_id']} ({info['role']}, {info['workspace']}):")
    out.print(key)
    err.print("store it now: it is not shown again")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (adl_<id>_...).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke an API key at once."""
    from adlens.appdb import accounts

    with _errors():
        app_db = _app_db()
        try:
            with app_db.session() as session:
                accounts.revoke_api_key(session, key_id, workspace=_workspace(workspace))
        finally:
            app_db.close()
    out.print(f"API key {key_id} revoked")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    ssl_certfile: Annotated[
        Path | None, typer.Option("--ssl-certfile", help="TLS certificate (PEM).")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option("--ssl-keyfile", help="TLS private key (PEM).")
    ] = None,
    proxy_headers: Annotated[
        bool, typer.Option(help="Trust X-Forwarded-For from --forwarded-allow-ips.")
    ] = False,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Proxies whose X-Forwarded-* headers are trusted.")
    ] = "127.0.0.1",
) -> None:
    """Run the HTTP API and the web dashboard.

    This process then owns the DuckDB file: other commands that need it must go through
    the API or wait until the server stops.
    """
    import uvicorn
    from pydantic import ValidationError

    from adlens.api import create_app
    from adlens.api.observability import configure_logging
    from adlens.settings import get_settings

    if (ssl_certfile is None) != (ssl_keyfile is None):
        err.print("[bold red]error:[/] give both --ssl-certfile and --ssl-keyfile", markup=True)
        raise typer.Exit(2)
    try:
        settings = get_settings()
    except ValidationError as exc:
        for error in exc.errors():
            err.print(f"[bold red]error:[/] {error['msg']}", markup=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    with _errors():
        application = create_app(settings)
    uvicorn.run(
        application,
        host=host,
        port=port,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_config=None,
        server_header=False,
    )


def register(app: typer.Typer) -> None:
    """Add the API commands to the ``adlens`` command line."""
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")
    app.command()(serve)
