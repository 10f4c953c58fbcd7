"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against a real
uvicorn serving the API over a DuckDB file loaded from the demo exports, with anomaly
detection run over it (the demo plants the events it finds).

Every page must run without a console error or uncaught exception; screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from adlens.anomaly import detect_store
from adlens.demo import run_demo
from adlens.demo_data import PLANTED
from adlens.store import open_store
from tests.web_helpers import CHROMIUM_ARGS, PASSWORD, LiveServer, find_chromium, live_server

sync_api = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TODAY = date.today()
LAST_30_DAYS = f"start={TODAY - timedelta(days=29)}&end={TODAY}"  # the pages' default period
INSIGHT_PATHS = ("/anomalies", "/anomalies/detect", "/campaigns/consolidated", "/campaign-map")
KPI_KEYS = [
    "spend",
    "impressions",
    "clicks",
    "conversions",
    "conversion_value",
    "ctr",
    "cpc",
    "cpa",
    "roas",
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    db = Path(run_demo(directory / "exports", directory / "demo.duckdb", days=45)["db"])
    with open_store(db) as store:
        assert len(detect_store(store)) == 6  # the demo's planted events
    return db


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("server"), demo_db) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = find_chromium()
    if executable is None:
        reason = "Chromium is not at /usr/bin/chromium and apt-get could not install it"
        if os.environ.get("ADLENS_TEST_REQUIRE_BROWSER"):
            pytest.fail(f"{reason} (required here: ADLENS_TEST_REQUIRE_BROWSER is set)")
        pytest.skip(reason)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Console:
    """Console messages of level error/warning and uncaught page errors, per page."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def watch(self, page: Any) -> Any:
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
        return page

    def _message(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            text = f"{message.type}: {message.text} @ {message.location.get('url', '')}"
            if not any(p.search(text) for p in self.allowed):
                self.problems.append(text)


@pytest.fixture
def console() -> Iterator[Console]:
    watcher = Console()
    yield watcher
    assert watcher.problems == []


@pytest.fixture
def open_page(browser: Any, server: LiveServer, console: Console) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(username: str = "ana", path: str = "/", **options: Any) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
        contexts.append(context)
        page = console.watch(context.new_page())
        login(page, server.url, username, path)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page: Any, base: str, username: str, path: str = "/") -> None:
    target = f"{base}{path}"
    page.goto(target)
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(target)
    wait_ready(page)


def wait_ready(page: Any) -> None:
    page.wait_for_selector("body[data-state=ready]", timeout=20_000)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def tiles(page: Any) -> dict[str, float | None]:
    raw = page.eval_on_selector_all(
        ".kpi",
        "els => els.map(e => [e.dataset.measure, e.querySelector('[data-value]').dataset.raw])",
    )
    return {key: (float(value) if value else None) for key, value in raw}


def loads(page: Any, action: Any, matches: Any = lambda body: True) -> dict[str, Any]:
    """Run ``action`` and return the body of the /v1/load request it causes that matches."""
    with page.expect_request(
        lambda r: r.url.endswith("/v1/load") and matches(r.post_data_json)
    ) as request:
        action()
    return dict(request.value.post_data_json)


def chart_labels(page: Any, canvas: str) -> list[str]:
    return list(page.evaluate(f"Chart.getChart(document.getElementById('{canvas}')).data.labels"))


def test_kpi_tiles_show_the_api_answer_to_the_same_query(
    open_page: Any, server: LiveServer
) -> None:
    page = open_page()
    with page.expect_request(
        lambda r: r.url.endswith("/v1/load") and "compare" in (r.post_data_json or {})
    ) as sent:
        page.reload()
        wait_ready(page)
    query = sent.value.post_data_json
    start = (TODAY - timedelta(days=29)).isoformat()
    assert query == {
        "measures": KPI_KEYS,
        "filters": [],
        "timeDimensions": [{"dimension": "ts", "dateRange": [start, TODAY.isoformat()]}],
        "compare": "previous_period",
    }
    full = server.api("POST", "/v1/load", json=query)
    answer, meta = full["data"][0], full["metadata"]
    assert tiles(page) == {key: answer[key] for key in KPI_KEYS}
    spend = page.locator('.kpi[data-measure="spend"] [data-value]').inner_text()
    assert spend == f"${answer['spend']:,.0f}"
    # The demo store holds 45 days, the previous 30 days reach back 60: the change is shown
    # as partial, not coloured as growth.
    assert meta["compare_covered"] is False
    change = page.locator('.kpi[data-measure="spend"] [data-change]')
    percent = re.sub(r"\.0%$", "%", f"{answer['spend_change']:+.1%}")
    assert change.inner_text() == f"{percent} vs partial previous"
    assert change.get_attribute("class") == "kpi-change partial"
    first_day = date.fromisoformat(meta["data_span"]["first_day"])
    assert (
        page.locator("#kpi-compare")
        .inner_text()
        .endswith(f"(data only from {first_day:%b} {first_day.day}, {first_day.year})")
    )
    shot(page, "overview-partial-comparison")

    # Two weeks compare with two weeks the store holds: a plain change, coloured by whether
    # it is good news (more clicks is).
    start = (TODAY - timedelta(days=13)).isoformat()
    page = open_page(path=f"/?from={start}&to={TODAY.isoformat()}")
    wait_ready(page)
    query = {**query, "timeDimensions": [{"dimension": "ts", "dateRange": [start, str(TODAY)]}]}
    full = server.api("POST", "/v1/load", json=query)
    assert full["metadata"]["compare_covered"] is True
    clicks_change = full["data"][0]["clicks_change"]
    percent = re.sub(r"\.0%$", "%", f"{clicks_change:+.1%}")
    change = page.locator('.kpi[data-measure="clicks"] [data-change]')
    assert change.inner_text() == f"{percent} vs previous"
    assert change.get_attribute("class") == f"kpi-change {'up' if clicks_change > 0 else 'down'}"
    assert "data only from" not in page.locator("#kpi-compare").inner_text()
    shot(page, "overview")


def test_granularity_switch_and_date_range_drive_the_series(
    open_page: Any, server: LiveServer
) -> None:
    page = open_page()
    page.locator("#g-day").focus()  # the granularity switch is a radio group: arrow keys move it
    weekly = loads(
        page,
        lambda: page.keyboard.press("ArrowRight"),
        lambda b: b["timeDimensions"][0].get("granularity") == "week",
    )
    assert "granularity=week" in page.url
    # the workspace's locale (en-US) starts weeks on Sunday, as its weekly reports do
    assert weekly["weekStart"] == "sunday"
    rows = server.api("POST", "/v1/load", json=weekly)["data"]
    assert rows and all(date.fromisoformat(str(r["ts.week"])).isoweekday() == 7 for r in rows)
    page.wait_for_function(
        "() => Chart.getChart(document.getElementById('series-chart')).data.labels.length > 0"
    )
    assert chart_labels(page, "series-chart") == sorted(str(r["ts.week"]) for r in rows)

    start, end = (TODAY - timedelta(days=13)).isoformat(), (TODAY - timedelta(days=7)).isoformat()
    page.get_by_label("From", exact=True).fill(start)
    body = loads(
        page,
        lambda: page.get_by_label("To", exact=True).fill(end),
        lambda b: b.get("timeDimensions", [{}])[0].get("granularity") == "week",
    )
    assert body["timeDimensions"][0]["dateRange"] == [start, end]
    assert f"from={start}" in page.url and f"to={end}" in page.url
    daily = loads(
        page,
        lambda: page.get_by_text("Day", exact=True).click(),
        lambda b: b["timeDimensions"][0].get("granularity") == "day",
    )
    page.wait_for_function(
        "() => Chart.getChart(document.getElementById('series-chart')).data.labels.length === 7"
    )
    expected = [(date.fromisoformat(start) + timedelta(days=i)).isoformat() for i in range(7)]
    assert chart_labels(page, "series-chart") == expected
    assert daily["timeDimensions"][0]["dateRange"] == [start, end]


def test_filter_lives_in_the_url_and_survives_a_reload(open_page: Any, server: LiveServer) -> None:
    page = open_page()
    page.get_by_label("Platform").select_option("meta")
    page.wait_for_url(re.compile(r"platform=meta"))
    page.wait_for_function(
        "() => document.querySelectorAll('#breakdown-table tbody tr').length === 1"
    )
    query = {
        "measures": KPI_KEYS,
        "filters": [{"member": "platform", "operator": "equals", "values": ["meta"]}],
        "timeDimensions": [
            {
                "dimension": "ts",
                "dateRange": [(TODAY - timedelta(days=29)).isoformat(), TODAY.isoformat()],
            }
        ],
    }
    meta = server.api("POST", "/v1/load", json=query)["data"][0]
    assert tiles(page) == {key: meta[key] for key in KPI_KEYS}

    shared = page.url
    page.goto(shared)
    wait_ready(page)
    assert page.get_by_label("Platform").input_value() == "meta"
    assert tiles(page) == {key: meta[key] for key in KPI_KEYS}
    assert page.locator("#breakdown-table tbody tr td").first.inner_text() == "Meta"
    nav = page.get_by_role("link", name="Anomalies").get_attribute("href")
    assert nav == "/ui/anomalies?platform=meta"


UPLOAD = (
    "By Day,Campaign name,Campaign ID,Ad group name,Ad name,Primary status,Cost,Impressions,"
    "Reach,Clicks (destination),CTR (destination),CPC (destination),Conversions,"
    "Total complete payment value,Currency\n"
    "{day},dashboard_upload_tt,1790000000099001,Broad,Video 1,Active,1000.25,40000,30000,"
    "500,1.25%,2.00,20,2400.00,USD\n"
    "{day},dashboard_upload_tt,1790000000099001,Broad,Video 2,Active,234.25,10000,8000,"
    "100,1.00%,2.34,5,600.00,USD\n"
    "not a day,dashboard_upload_tt,1790000000099001,Broad,Video 3,Active,1.00,1,1,0,0%,0,0,0,USD\n"
)


def test_upload_updates_the_open_overview_without_a_reload(
    open_page: Any, server: LiveServer, tmp_path: Path
) -> None:
    overview = open_page()
    overview.evaluate("window.__sameDocument = true")
    before = tiles(overview)

    data = open_page("ana", "/ui/data")
    export = tmp_path / "tiktok_upload.csv"
    export.write_text(UPLOAD.format(day=(TODAY - timedelta(days=1)).strftime("%Y/%m/%d")))
    data.locator("#upload-input").set_input_files(str(export))
    report = data.locator(".upload-report")
    report.wait_for(timeout=20_000)
    assert "2 rows loaded, 1 rejected" in report.inner_text()
    # both rows are of one day: the period is that day, not "Dec 6 – Dec 6"
    assert f"Period {medium(TODAY - timedelta(days=1))}\n" in report.inner_text() + "\n"
    assert data.locator("#upload-progress").get_attribute("value") == "100"
    data.wait_for_selector("#rejects-table tbody tr")
    assert "not a day" in data.locator("#rejects-table tbody").inner_text()
    shot(data, "data")

    spend_tile = ".kpi[data-measure=spend] [data-value]"
    overview.wait_for_function(
        f"() => Number(document.querySelector('{spend_tile}').dataset.raw) > {before['spend']}",
        timeout=20_000,
    )
    after = tiles(overview)
    assert after["spend"] == pytest.approx(before["spend"] + 1234.5)
    assert after["impressions"] == before["impressions"] + 50000
    assert after["clicks"] == before["clicks"] + 600
    assert overview.evaluate("window.__sameDocument") is True
    assert overview.locator("#live-status").inner_text().startswith("Updated")


def money(value: float) -> str:
    """An amount as the pages write it for en-US users in USD."""
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def medium(day: date) -> str:
    """A day as the pages write it for en-US users ("Nov 8, 2026")."""
    return f"{day:%b} {day.day}, {day.year}"


def number(value: float) -> str:
    """A count with at most one decimal, as the pages write it for en-US users."""
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


def test_anomaly_marker_and_list_open_the_explanation(open_page: Any, server: LiveServer) -> None:
    incidents = server.api("GET", f"/anomalies?{LAST_30_DAYS}")["data"]
    # five of the demo's planted events fall in the default period (one is 34 days back)
    assert len(incidents) == 5
    # east of UTC, a midnight read as local time is the day before in UTC: days stay days
    page = open_page("ana", "/", timezone_id="Europe/Berlin")
    page.wait_for_selector("#series-markers button")
    assert page.locator("#series-markers button").count() == len(incidents)
    point = page.evaluate(
        "(() => { const c = Chart.getChart(document.getElementById('series-chart'));"
        " const p = c.getDatasetMeta(1).data.find(e => !e.skip);"
        " const r = c.canvas.getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; })()"
    )
    page.mouse.click(point[0], point[1])
    dialog = page.locator("#anomaly-dialog")
    dialog.wait_for(state="visible")
    assert dialog.locator(".explanation").inner_text() in {r["explanation"] for r in incidents}
    dialog.get_by_role("button", name="Close").click()

    page.get_by_role("link", name="Anomalies").click()
    wait_ready(page)
    rows = page.locator("#anomalies-table tbody tr")
    assert rows.count() == len(incidents)
    (outage,) = [r for r in incidents if r["kind"] == "tracking stopped"]
    first, last = sorted(PLANTED["google_tracking_outage"].dates(TODAY - timedelta(days=1)))
    assert (outage["period_start"], outage["period_end"]) == (
        f"{first}T00:00:00",
        f"{last}T00:00:00",
    )
    label = f"Explain: Conversions {number(outage['actual'])} on {medium(first)} (Google Ads)"
    page.get_by_role("button", name=label, exact=True).click()
    dialog.wait_for(state="visible")
    facts = dict(
        zip(
            dialog.locator("dt").all_inner_texts(),
            dialog.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert dialog.locator(".explanation").inner_text() == outage["explanation"]
    severity = f"{outage['severity'] * 100:.2f}".rstrip("0").rstrip(".")
    assert facts == {
        "What": "Google Ads",
        "When": f"{medium(first)} – {medium(last)}",
        "Actual": number(outage["actual"]),
        "Expected range": f"{number(outage['expected_low'])} – {number(outage['expected_high'])}",
        "Severity": f"{severity}%",
        "Money at stake": money(outage["money_at_stake"]),
        "Main driver": outage["driver"],
        "Triage": "data problem",
    }
    # a band with no width (a series that never varied) is written as the one value
    flat = [r for r in incidents if money(r["expected_low"]) == money(r["expected_high"])]
    assert flat, "the demo plants an event on a constant TikTok series"
    value = money(flat[0]["expected_low"])
    texts = rows.all_inner_texts()
    assert any(value in text for text in texts)
    assert not [text for text in texts if f"{value} – {value}" in text]
    shot(page, "anomalies")


def test_campaigns_show_consolidated_rows_and_accept_an_override(
    open_page: Any, server: LiveServer
) -> None:
    expected = server.api("GET", f"/campaigns/consolidated?{LAST_30_DAYS}")["data"]
    page = open_page("ana", "/ui/campaigns")
    cells = page.locator("#consolidated-table tbody tr:not(.note-row) td:first-child")
    assert cells.all_inner_texts() == [r["canonical_campaign"] for r in expected]
    brand = page.locator("#consolidated-table tbody tr:not(.note-row)", has_text="Always-on Brand")
    # The gap's explanation is a full-width line under its campaign's row.
    brand_note = brand.locator("xpath=following-sibling::tr[1][@class='note-row']")
    explanation = {r["canonical_campaign"]: r for r in expected}["Always-on Brand"]
    assert brand_note.locator(".gap-note").inner_text() == f"⚠ {explanation['gap_explanation']}"

    # the demo's LinkedIn group reaches GA4 under another name: map it to its campaign
    row = page.locator("#map-table tbody tr", has_text="Brand - Followers")
    row.get_by_role("combobox").fill("Always-on Brand")
    with page.expect_request(
        lambda r: r.url.endswith("/campaign-map") and r.method == "PUT"
    ) as put:
        row.get_by_role("button", name=re.compile("^Override")).click()
    assert put.value.post_data_json == {
        "platform": "ga4",
        "campaign_name": "Brand - Followers",
        "canonical_campaign": "Always-on Brand",
    }
    changed = page.locator("#map-table tbody tr", has_text="Brand - Followers")
    changed.get_by_text("confirmed").wait_for()
    assert changed.locator("td").nth(2).inner_text() == "Always-on Brand"
    stored = [
        r
        for r in server.api("GET", "/campaign-map")["data"]
        if r["campaign_name"] == "Brand - Followers"
    ]
    assert [(r["canonical_campaign"], r["method"]) for r in stored] == [
        ("Always-on Brand", "override")
    ]

    # its GA4 sessions now count for the LinkedIn campaign, whose gap is explained away
    now = server.api("GET", f"/campaigns/consolidated?{LAST_30_DAYS}")["data"]
    page.wait_for_function(
        "(n) => document.querySelectorAll('#consolidated-table tbody tr:not(.note-row)').length "
        "=== n",
        arg=len(now),
    )
    assert cells.all_inner_texts() == [r["canonical_campaign"] for r in now]
    assert "Brand - Followers" not in [r["canonical_campaign"] for r in now]
    brand_now = {r["canonical_campaign"]: r for r in now}["Always-on Brand"]
    assert (brand_now["platforms"], brand_now["gap_flag"]) == (["linkedin", "ga4"], False)
    assert brand.locator("td").nth(1).inner_text() == "LinkedIn, GA4"
    brand_note.wait_for(state="detached")  # the explanation goes with the gap
    assert brand_note.count() == 0
    shot(page, "campaigns")


def test_viewer_sees_no_upload_or_review_controls_and_the_api_refuses(
    open_page: Any, server: LiveServer
) -> None:
    page = open_page("vic", "/ui/data")
    assert page.locator("#upload-section").is_hidden()
    assert page.locator("#user-role").text_content() == "viewer"
    page.get_by_role("link", name="Overview", exact=True).click()
    wait_ready(page)
    # de-DE: the workspace currency in German notation.
    spend = page.locator('.kpi[data-measure="spend"] [data-value]').inner_text()
    assert re.fullmatch(r"[\d.]+\s\$", spend.replace("\u00a0", " ")), spend
    page.get_by_role("link", name="Campaigns").click()
    wait_ready(page)
    assert page.locator("#map-table th", has_text="Review").count() == 0
    assert page.locator("#map-table tbody button, #map-table tbody input").count() == 0
    import httpx

    refused = httpx.post(
        f"{server.url}/data/upload/file",
        headers={"Authorization": f"Bearer {server.token('vic')}"},
        files={"file": ("x.csv", b"a,b\n1,2\n")},
    )
    assert refused.status_code == 403


def test_session_refreshes_and_logout_ends_it(open_page: Any, server: LiveServer) -> None:
    page = open_page()
    first = page.evaluate("JSON.parse(sessionStorage.getItem('adlens-session'))")
    page.evaluate(
        "(() => { const s = JSON.parse(sessionStorage.getItem('adlens-session'));"
        " s.expires_at = Date.now() - 1000;"
        " sessionStorage.setItem('adlens-session', JSON.stringify(s)); })()"
    )
    with page.expect_response(lambda r: r.url.endswith("/auth/refresh")) as refreshed:
        page.get_by_text("Week", exact=True).click()
    assert refreshed.value.status == 200
    second = page.evaluate("JSON.parse(sessionStorage.getItem('adlens-session'))")
    assert second["refresh_token"] != first["refresh_token"]
    assert "token" not in page.url
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.evaluate("sessionStorage.getItem('adlens-session')") is None
    page.goto(f"{server.url}/ui/data")
    page.wait_for_url(re.compile(r"/login\?next=%2Fui%2Fdata$"))


def test_theme_toggle_and_phone_layout(open_page: Any) -> None:
    page = open_page("ana", "/", color_scheme="light")
    page.get_by_role("button", name="Switch to dark theme").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.reload()
    wait_ready(page)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 17, 21)"
    shot(page, "overview-dark")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "overview-phone")


def test_pages_say_so_when_the_server_has_no_ml_routes(
    browser: Any, demo_db: Path, tmp_path: Path, console: Console
) -> None:
    """A server older than the insight routes: the pages say what is missing."""
    # The browser logs each 404 it receives; these three are the point of this test.
    console.allowed.append(
        re.compile(r"status of 404 .*@ \S+/(anomalies\?|campaigns/consolidated\?|campaign-map$)")
    )
    with live_server(tmp_path / "bare", demo_db, without=INSIGHT_PATHS) as bare:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = console.watch(context.new_page())
        login(page, bare.url, "ana", "/ui/anomalies")
        assert page.locator("#anomalies-state").inner_text() == (
            "Anomaly detection is not available on this server (GET /anomalies answered 404). "
            "Once it runs, the incidents it finds are listed here."
        )
        assert page.locator("#anomalies-table tbody tr").count() == 0
        page.get_by_role("link", name="Campaigns").click()
        wait_ready(page)
        states = page.locator("#consolidated-state, #map-state").all_inner_texts()
        assert states == [
            "The cross-platform campaign view is not available on this server "
            "(GET /campaigns/consolidated answered 404).",
            "Campaign matching is not available on this server (GET /campaign-map answered 404).",
        ]
        context.close()


def test_dropped_files_load_each_on_its_own_and_breakdown_tabs_follow_the_arrow_keys(
    open_page: Any, server: LiveServer, console: Console
) -> None:
    page = open_page("ada", "/ui/data")

    def export(days_ago: int) -> str:
        day = (TODAY - timedelta(days=days_ago)).strftime("%Y/%m/%d")
        rows = UPLOAD.format(day=day).splitlines()[:2]
        return "\n".join(rows).replace("dashboard_upload_tt", "dashboard_drop_tt") + "\n"

    # the browser logs the refused upload's 422: expected here
    console.allowed.append(re.compile(r"status of 422 .*/data/upload/file"))
    page.evaluate(
        """([first, headerOnly, second]) => {
          const files = new DataTransfer();
          files.items.add(new File([first], "dropped.csv", { type: "text/csv" }));
          files.items.add(new File([headerOnly], "empty.csv", { type: "text/csv" }));
          files.items.add(new File([second], "dropped_too.csv", { type: "text/csv" }));
          const zone = document.getElementById("dropzone");
          const options = { dataTransfer: files, bubbles: true, cancelable: true };
          for (const type of ["dragover", "drop"]) zone.dispatchEvent(new DragEvent(type, options));
        }""",
        [export(2), UPLOAD.splitlines()[0] + "\n", export(3)],
    )
    page.locator(".upload-report").nth(1).wait_for(timeout=30_000)
    # one after the other, each on its own: the empty file fails alone, with its reason
    assert (
        page.locator("#upload-result > *")
        .all_inner_texts()[0]
        .startswith("dropped.csv: TikTok → ad_performance. 1 row loaded, 0 rejected.")
    )
    assert page.locator("#upload-result > p.error").inner_text() == (
        "Could not load empty.csv: has a header (line 1) but no data rows"
    )
    assert page.locator(".upload-report").nth(1).locator("p").first.inner_text() == (
        "dropped_too.csv: TikTok → ad_performance. 1 row loaded, 0 rejected."
    )
    newest = server.api("GET", "/ingests?limit=2")["data"]
    assert [(r["source_file"], r["rows_loaded"]) for r in newest] == [
        ("dropped_too.csv", 1),
        ("dropped.csv", 1),
    ]

    page.get_by_role("link", name="Overview", exact=True).click()
    wait_ready(page)
    page.get_by_role("tab", name="Platform").focus()
    body = loads(page, lambda: page.keyboard.press("ArrowRight"), lambda b: "share" in b)
    assert body["dimensions"] == ["channel"]
    assert page.get_by_role("tab", name="Channel").get_attribute("aria-selected") == "true"
    assert "by=channel" in page.url


def test_an_empty_store_is_explained_in_words(
    browser: Any, tmp_path: Path, console: Console
) -> None:
    from adlens.store import open_store

    with open_store(tmp_path / "empty.duckdb"):
        pass
    with live_server(tmp_path / "empty", tmp_path / "empty.duckdb") as empty:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = console.watch(context.new_page())
        login(page, empty.url, "ana", "/")
        assert page.locator("#kpi-state").inner_text() == (
            f"No ad data between {TODAY - timedelta(days=29):%b} "
            f"{(TODAY - timedelta(days=29)).day}, {(TODAY - timedelta(days=29)).year} and "
            f'{TODAY:%b} {TODAY.day}, {TODAY.year}. Choose "All data" as the period, clear the '
            "filters, or load exports on the Data page."
        )
        assert set(tiles(page).values()) == {None}
        assert page.locator("#breakdown-state").inner_text() == (
            "Nothing to break down in this period with these filters."
        )
        assert page.locator("#freshness").inner_text() == "No data loaded yet · data version 0"
        page.get_by_role("link", name="Data").click()
        wait_ready(page)
        assert page.locator("#ingests-state").inner_text() == (
            "Nothing loaded yet. Upload an export above, or run `adlens ingest FILE`."
        )
        context.close()
