"""``adlens demo --serve``: the login it makes when the app database has no user yet."""

from __future__ import annotations

from pathlib import Path

from adlens.appdb import accounts, open_app_db
from adlens.web.launch import DEMO_USER, ensure_login, settings_for


def test_a_demo_admin_is_created_once_and_signs_in_with_the_password_shown(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path / "demo.duckdb")
    password = ensure_login(settings)
    assert password is not None and len(password) >= 16
    assert ensure_login(settings) is None
    app_db = open_app_db(settings.resolved_app_db_url())
    try:
        with app_db.session() as session:
            user = accounts.authenticate(session, DEMO_USER, password)
            assert (user.username, user.role, user.workspace) == (DEMO_USER, "admin", "default")
    finally:
        app_db.close()
    assert settings.resolved_app_db_url() == f"sqlite:///{tmp_path / 'demo.duckdb.app.sqlite'}"
