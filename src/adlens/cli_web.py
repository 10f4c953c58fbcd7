"""The command-line side of the dashboard: ``adlens demo --serve``."""

from __future__ import annotations

from pathlib import Path

from adlens.cli import _errors, out


def open_dashboard(db: Path, *, port: int = 8000) -> None:
    """Serve the dashboard over ``db``, with a login to sign in with, and open the browser."""
    from adlens.web.launch import DEMO_USER, ensure_login, serve, settings_for

    settings = settings_for(db)
    with _errors():
        password = ensure_login(settings)
    url = f"http://127.0.0.1:{port}/"
    out.print(f"dashboard: {url} (Ctrl+C stops it)")
    if password:
        out.print(f"sign in as [bold]{DEMO_USER}[/] with password [bold]{password}[/]", markup=True)
        out.print("  (shown once; add people with `adlens users create NAME --role viewer`)")
    else:
        out.print("sign in with an existing account (`adlens users list`)")
    with _errors():
        serve(settings, port=port)
