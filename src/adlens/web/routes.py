"""Routes of the dashboard: one HTML page per view, the login page and the static files.

The overview is ``/``; the other pages live under ``/ui/`` because the API owns the bare
names (``GET /anomalies`` answers JSON).

Static files are served by a plain route rather than a mounted app so that the router can
be included in any FastAPI app with ``app.include_router(router)`` and bring them along.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from adlens import __version__

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

# Pages may only load what the package ships: no CDN, no remote font, no inline script.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
VERSION_PREFIX = re.compile(r"v[0-9a-f]{10}/")
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


@dataclass(frozen=True)
class Page:
    """One view of the dashboard: where it lives, its title and its template."""

    name: str
    path: str
    title: str
    template: str


PAGES = (
    Page("overview", "/", "Overview", "overview.html"),
    Page("anomalies", "/ui/anomalies", "Anomalies", "anomalies.html"),
    Page("campaigns", "/ui/campaigns", "Campaigns", "campaigns.html"),
    Page("data", "/ui/data", "Data", "data.html"),
)
LOGIN = Page("login", "/login", "Sign in", "login.html")

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@lru_cache
def asset_version() -> str:
    """A short hash of the shipped static files, appended to their URLs to bust caches.

    >>> len(asset_version())
    10
    """
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def static_url(path: str) -> str:
    """The URL of a shipped static file under a prefix that changes with its content.

    The version is a path segment, not a query string, so that the modules' relative
    imports (``./api.js``) resolve under the same version and are never served stale.

    >>> static_url("css/app.css") == f"/static/v{asset_version()}/css/app.css"
    True
    """
    return f"/static/v{asset_version()}/{path}"


templates.env.globals.update(static_url=static_url, pages=PAGES, version=__version__)


def _render(request: Request, page: Page) -> HTMLResponse:
    response = templates.TemplateResponse(request, page.template, {"page": page})
    response.headers.update(PAGE_HEADERS)
    return response


def _page_route(page: Page) -> None:
    async def show(request: Request) -> HTMLResponse:
        return _render(request, page)

    show.__name__ = f"page_{page.name}"
    show.__doc__ = f"The {page.title} page of the dashboard."
    router.add_api_route(page.path, show, methods=["GET"], response_class=HTMLResponse)


for _page in (*PAGES, LOGIN):
    _page_route(_page)


@router.get("/static/{path:path}")
async def static_file(path: str) -> Response:
    """A file shipped under ``web/static`` (never a path outside it).

    Under a version prefix (``/static/v<hash>/...``, see ``static_url``) it may be cached
    for good; without one, for an hour.
    """
    versioned = VERSION_PREFIX.match(path)
    if versioned:
        path = path[versioned.end() :]
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise HTTPException(status_code=404, detail=f"no static file {path!r}")
    cache = "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
    return FileResponse(
        target,
        media_type=MEDIA_TYPES.get(target.suffix),
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )
