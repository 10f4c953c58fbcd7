"""How long the Overview takes to show its numbers, against the API calls it is made of.

Loads the demo exports (90 days) into a DuckDB file, serves the API and dashboard with a
real uvicorn, and measures in the same run:

- **page**: Chromium (Playwright) opens ``/`` with a valid session until every panel is
  drawn (``body[data-state=ready]``): HTML, CSS, Chart.js, our modules, ``GET /me``, the
  filter option lists, key figures, series, anomalies and breakdown, then the charts.
- **api**: the same HTTP requests the page sends (captured from the page), one after the
  other from Python with httpx: the floor the page cannot beat without fewer calls.

Prints the medians and the ratio page / api. Usage::

    .venv/bin/python bench/dashboard.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.web_helpers import CHROMIUM_ARGS, find_chromium, live_server

from adlens.anomaly import detect_store
from adlens.demo import run_demo
from adlens.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    if executable is None:
        raise SystemExit("needs /usr/bin/chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        db = Path(run_demo(directory / "exports", directory / "demo.duckdb", days=90)["db"])
        with open_store(db) as store:  # the Overview marks the incidents GET /anomalies lists
            detect_store(store)
        with (
            live_server(directory / "server", db) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            token = server.token("ana")
            tokens = httpx.post(
                f"{server.url}/auth/token",
                json={"username": "ana", "password": "correct horse battery staple"},
            ).json()
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server.url}/login")
            page.evaluate(
                "(t) => sessionStorage.setItem('adlens-session', JSON.stringify({"
                "access_token: t.access_token, refresh_token: t.refresh_token,"
                " expires_at: Date.now() + 600000}))",
                tokens,
            )
            sent: list[tuple[str, str, Any]] = []
            page.on(
                "request",
                lambda r: (
                    sent.append((r.method, r.url, r.post_data_json))
                    if r.resource_type == "fetch" and "/v1/events" not in r.url
                    else None
                ),
            )
            page_times = []
            for _ in range(args.runs):
                sent.clear()
                started = time.perf_counter()
                page.goto(f"{server.url}/")
                page.wait_for_selector("body[data-state=ready]", timeout=30_000)
                page_times.append(time.perf_counter() - started)
            calls = list(sent)
            api_times = []
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
                for _ in range(args.runs):
                    started = time.perf_counter()
                    for method, url, body in calls:
                        client.request(method, url, json=body).raise_for_status()
                    api_times.append(time.perf_counter() - started)
            browser.close()
    page_ms = statistics.median(page_times) * 1000
    api_ms = statistics.median(api_times) * 1000
    print(f"overview ready (median of {args.runs}): {page_ms:.0f} ms")
    print(f"its {len(calls)} API calls one after the other: {api_ms:.0f} ms")
    print(f"ratio page / api: {page_ms / api_ms:.2f}")


if __name__ == "__main__":
    main()
