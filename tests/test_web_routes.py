"""The dashboard's routes without a browser: pages, headers, static files, offline assets."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from adlens.web import PAGES, STATIC_DIR, TEMPLATES_DIR, router
from adlens.web.routes import CONTENT_SECURITY_POLICY, static_url


def get(path: str) -> httpx.Response:
    import asyncio

    async def fetch() -> httpx.Response:
        app = FastAPI()
        app.include_router(router)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(fetch())


@pytest.mark.parametrize("page", [*PAGES, None], ids=[p.name for p in PAGES] + ["login"])
def test_every_page_is_an_html_shell_with_a_strict_policy(page: object) -> None:
    path = page.path if page is not None else "/login"  # type: ignore[attr-defined]
    response = get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert {k: response.headers[k] for k in ("content-security-policy", "cache-control")} == {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "cache-control": "no-store",
    }
    html = response.text
    assert "<script>" not in html and " style=" not in html  # nothing inline: the policy forbids it
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    links = re.findall(r'<a href="([^"]+)" data-keep-filters', html)
    assert links == ([] if page is None else [p.path for p in PAGES])
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {asset: get(asset).status_code for asset in assets} == dict.fromkeys(assets, 200)
    if page is not None:
        assert static_url(f"js/pages/{page.name}.js") in assets  # type: ignore[attr-defined]


def test_the_current_page_is_marked_in_the_navigation() -> None:
    html = get("/ui/data").text
    assert re.findall(r'href="([^"]+)" data-keep-filters aria-current="page"', html) == ["/ui/data"]


def test_static_files_are_served_with_their_types_and_versioned_urls() -> None:
    cases = {
        "js/app.js": "text/javascript; charset=utf-8",
        "css/app.css": "text/css; charset=utf-8",
        "vendor/chart.umd.min.js": "text/javascript; charset=utf-8",
        "img/icon.svg": "image/svg+xml",
    }
    for path, media_type in cases.items():
        response = get(static_url(path))
        assert (response.status_code, response.headers["content-type"]) == (200, media_type)
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.content == (STATIC_DIR / path).read_bytes()
        plain = get(f"/static/{path}")
        assert (plain.headers["cache-control"], plain.content) == (
            "public, max-age=3600",
            response.content,
        )


@pytest.mark.parametrize(
    "path",
    [
        "/static/../routes.py",
        "/static/%2e%2e/routes.py",
        "/static/v0123456789/../routes.py",
        "/static/js",
        "/static/nope.js",
    ],
)
def test_nothing_outside_the_static_folder_is_served(path: str) -> None:
    assert get(path).status_code == 404


def test_every_asset_a_template_or_module_names_is_shipped() -> None:
    named: set[str] = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        named |= set(re.findall(r"static_url\('([^']+)'\)", template.read_text()))
    for module in (STATIC_DIR / "js").rglob("*.js"):
        for target in re.findall(r'from "(\.{1,2}/[^"]+)"', module.read_text()):
            named.add((module.parent / target).resolve().relative_to(STATIC_DIR).as_posix())
    missing = sorted(p for p in named if not (STATIC_DIR / p).is_file())
    assert missing == []
    assert "vendor/chart.umd.min.js" in named


def test_our_code_loads_nothing_remote() -> None:
    remote = re.compile(r"""["'(]\s*(?:https?:)?//[a-z0-9.-]+""", re.IGNORECASE)
    ours = [p for p in STATIC_DIR.rglob("*") if p.is_file() and "vendor" not in p.parts]
    namespace = re.compile(r'xmlns="[^"]*"')  # an SVG namespace names, it does not load
    offenders = {
        p.name: found
        for p in ours + list(TEMPLATES_DIR.glob("*.html"))
        if p.suffix in {".js", ".css", ".html", ".svg"}
        and (found := remote.findall(namespace.sub("", p.read_text())))
    }
    assert offenders == {}


def test_the_vendored_chart_library_carries_its_licence_and_version() -> None:
    vendor = STATIC_DIR / "vendor"
    assert sorted(p.name for p in vendor.iterdir()) == [
        "VERSIONS",
        "chart.js.LICENSE.md",
        "chart.umd.min.js",
    ]
    assert (vendor / "chart.js.LICENSE.md").read_text().startswith("The MIT License (MIT)")
    version = re.fullmatch(
        r"chart\.js (\S+) \(npm\), dist/chart\.umd\.min\.js\n", (vendor / "VERSIONS").read_text()
    )
    assert version is not None
    assert f"Chart.js v{version.group(1)}" in (vendor / "chart.umd.min.js").read_text()[:200]
