"""Open the dashboard over a store: a login to sign in with, the server, the browser.

``adlens demo --serve`` uses it so that the demo ends on the dashboard rather than on a
table in the terminal.
"""

from __future__ import annotations

import secrets
import threading
import webbrowser
from pathlib import Path

from sqlalchemy import func, select

from adlens.appdb import accounts, open_app_db
from adlens.appdb.models import User
from adlens.settings import Settings, get_settings

DEMO_USER = "demo"


def settings_for(db: Path) -> Settings:
    """The process settings with ``db`` as the store (its app database sits next to it)."""
    return get_settings().model_copy(update={"db": db})


def ensure_login(settings: Settings, workspace: str = "default") -> str | None:
    """Create an admin ``demo`` with a random password when the app database has no user.

    Returns that password (shown once, stored only as its hash), or None when users exist.
    """
    app_db = open_app_db(settings.resolved_app_db_url())
    try:
        with app_db.session() as session:
            if session.scalar(select(func.count()).select_from(User)):
                return None
            password = secrets.token_urlsafe(12)
            accounts.create_user(session, DEMO_USER, password, role="admin", workspace=workspace)
            return password
    finally:
        app_db.close()


def serve(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, browse: bool = True
) -> None:
    """Run the API and dashboard until interrupted; open the browser once it listens."""
    import uvicorn

    from adlens.api import create_app

    application = create_app(settings)
    if browse:
        threading.Timer(1.5, webbrowser.open, args=(f"http://{host}:{port}/",)).start()
    uvicorn.run(application, host=host, port=port, log_level="warning", server_header=False)
