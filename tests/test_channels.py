"""GA4 default channel groups: every rule, their order, site matching, and channels at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from adlens.channels import CHANNELS, categories, classify, classify_ad
from adlens.ingest import ingest_file
from adlens.store import Store

from .conftest import EXPORTS, write

# (source, medium, campaign) -> channel; one case per rule of DESIGN.md section 6, in order.
RULES = [
    (("(direct)", "(none)", None), "Direct"),
    (("(direct)", "(not set)", None), "Direct"),
    (("google", "cpc", "Brand cross-network test"), "Cross-network"),
    (("amazon", "cpc", None), "Paid Shopping"),
    (("google", "cpc", "Shopping - shoes"), "Paid Shopping"),
    (("bing", "ppc", None), "Paid Search"),
    (("instagram", "paid_social", None), "Paid Social"),
    (("youtube", "cpv", None), "Paid Video"),
    (("partner-network", "banner", None), "Display"),
    (("partner-network", "cpm", None), "Display"),
    (("newsletter-partner", "retargeting", None), "Paid Other"),
    (("etsy", "referral", None), "Organic Shopping"),
    (("partner", "referral", "eshop launch"), "Organic Shopping"),
    (("pinterest", "referral", None), "Organic Social"),
    (("partner", "social-network", None), "Organic Social"),
    (("vimeo", "referral", None), "Organic Video"),
    (("partner", "webinar-video", None), "Organic Video"),
    (("duckduckgo", "referral", None), "Organic Search"),
    (("partner", "organic", None), "Organic Search"),
    (("blog.example.com", "referral", None), "Referral"),
    (("partner", "link", None), "Referral"),
    (("newsletter", "email", None), "Email"),
    (("e-mail", "crm", None), "Email"),
    (("partner", "affiliate", None), "Affiliates"),
    (("podcast", "audio", None), "Audio"),
    (("sms", "crm", None), "SMS"),
    (("app", "web-push", None), "Mobile Push Notifications"),
    (("app", "in-app notification", None), "Mobile Push Notifications"),
    (("firebase", "crm", None), "Mobile Push Notifications"),
    (("newsletter", "mail", None), "Unassigned"),
    ((None, None, None), "Unassigned"),
]


@pytest.mark.parametrize(("args", "channel"), RULES)
def test_each_rule(args: tuple[str | None, str | None, str | None], channel: str) -> None:
    assert classify(*args) == channel


def test_every_channel_has_a_case() -> None:
    assert {channel for _, channel in RULES} == set(CHANNELS)


PRECEDENCE = [
    # A shopping campaign with a paid medium on a social source: shopping comes first.
    (("facebook", "cpc", "Summer Shop"), "Paid Shopping"),
    # Cross-network beats every paid rule, even on a shopping site.
    (("amazon", "cpc", "cross-network q3"), "Cross-network"),
    # Direct needs both: (direct) with a real medium is not Direct.
    (("(direct)", "email", None), "Email"),
    # A paid medium on a search site is Paid Search even when the medium is cpm (Display's).
    (("google", "cpm", None), "Paid Search"),
    # Without a paid medium a social site is organic, even with a video medium.
    (("facebook", "video", None), "Organic Social"),
    # "shop" must start a word (or follow an e): "workshop" is not shopping.
    (("partner", "cpc", "workshop series"), "Paid Other"),
    (("partner", "cpc", "eshop"), "Paid Shopping"),
    # Case never matters.
    (("GOOGLE", "CPC", None), "Paid Search"),
    (("Newsletter", "E-Mail", None), "Email"),
]


@pytest.mark.parametrize(("args", "channel"), PRECEDENCE)
def test_precedence(args: tuple[str | None, str | None, str | None], channel: str) -> None:
    assert classify(*args) == channel


SITES = [
    ("m.facebook.com", {"social"}),
    ("l.instagram.com", {"social"}),
    ("lnkd.in", {"social"}),
    ("t.co", {"social"}),
    ("google.co.uk", {"search"}),
    ("www.google.com.au", {"search"}),
    ("uk.search.yahoo.com", {"search"}),
    ("https://www.bing.com/search?q=shoes", {"search"}),
    ("m.youtube.com", {"video"}),
    ("amazon.de", {"shopping"}),
    ("Google Shopping", {"shopping"}),
    ("IGShopping", {"shopping"}),
    # A site name inside someone else's domain is not that site.
    ("facebook.example.com", set()),
    ("mygoogle.com", set()),
    ("notlnkd.in", set()),
    ("", set()),
]


@pytest.mark.parametrize(("source", "expected"), SITES)
def test_subdomains_and_country_domains(source: str, expected: set[str]) -> None:
    assert set(categories(source)) == expected


ADS = [
    (("meta", "Spring Sale"), {}, "Paid Social"),
    (("tiktok", "summer_sale_2025_tt"), {}, "Paid Social"),
    (("linkedin", "Decision makers"), {}, "Paid Social"),
    (("microsoft", "Brand - Bing"), {}, "Paid Search"),
    (("google_ads", "Brand_US"), {}, "Paid Search"),
    (("google_ads", "Brand_US", "Search"), {}, "Paid Search"),
    (("google_ads", "Feed", "Shopping"), {}, "Paid Shopping"),
    (("google_ads", "Launch", "Video"), {}, "Paid Video"),
    (("google_ads", "Remarketing", "Display"), {}, "Display"),
    (("google_ads", "All products", "Performance Max"), {}, "Cross-network"),
    (("google_ads", "PMax_US"), {}, "Cross-network"),
    (("google_ads", "Installs", "App"), {}, "Paid Other"),
    (("google_ads", "Brand app promo"), {}, "Paid Search"),
    (("meta", "Summer Shop"), {}, "Paid Shopping"),
    (("generic", "Partner push"), {}, "Unassigned"),
    # UTMs, when present, decide as GA4 would for the session the ad brings.
    (("google_ads", "Brand_US"), {"utm_source": "newsletter", "utm_medium": "email"}, "Email"),
    (("meta", "Spring"), {"utm_source": "ig", "utm_medium": "paid_social"}, "Paid Social"),
    (("meta", "Spring"), {"utm_source": "fb", "utm_medium": "weird"}, "Organic Social"),
]


@pytest.mark.parametrize(("args", "utms", "channel"), ADS)
def test_ad_platform_rows(args: tuple[str, ...], utms: dict[str, str], channel: str) -> None:
    assert classify_ad(*args, **utms) == channel


def test_channels_are_filled_in_facts_and_sessions(store: Store, tmp_path: Path) -> None:
    ingest_file(store, EXPORTS / "ga4_traffic_acquisition.csv")
    ingest_file(store, EXPORTS / "meta_ads_daily.csv")
    tagged = write(
        tmp_path / "google.csv",
        "Day,Campaign,Campaign type,Final URL,Currency code,Cost,Impr.,Clicks\n"
        "2025-03-01,Brand_US,Search,https://acme.test/?utm_source=google&utm_medium=cpc,USD,1,10,1\n"
        "2025-03-01,Feed_US,Shopping,,USD,2,20,2\n"
        "2025-03-01,All_US,Performance Max,,USD,3,30,3\n"
        "2025-03-01,News,Search,https://acme.test/?utm_source=news&utm_medium=email,USD,4,40,4\n",
    )
    ingest_file(store, tagged)
    sessions = store.query(
        "SELECT source, medium, channel, count(*) AS n FROM sessions "
        "GROUP BY ALL ORDER BY source, medium"
    )
    assert sessions == [
        {"source": "(direct)", "medium": "(none)", "channel": "Direct", "n": 1},
        {"source": "facebook", "medium": "paid_social", "channel": "Paid Social", "n": 1},
        {"source": "google", "medium": "cpc", "channel": "Paid Search", "n": 1},
        {"source": "l.instagram.com", "medium": "referral", "channel": "Organic Social", "n": 1},
    ]
    facts = store.query(
        "SELECT platform, campaign_name, channel FROM ad_performance "
        "GROUP BY ALL ORDER BY platform, campaign_name"
    )
    assert facts == [
        {"platform": "google_ads", "campaign_name": "All_US", "channel": "Cross-network"},
        {"platform": "google_ads", "campaign_name": "Brand_US", "channel": "Paid Search"},
        {"platform": "google_ads", "campaign_name": "Feed_US", "channel": "Paid Shopping"},
        {"platform": "google_ads", "campaign_name": "News", "channel": "Email"},
        {"platform": "meta", "campaign_name": "Brand Awareness", "channel": "Paid Social"},
        {"platform": "meta", "campaign_name": "Lead Gen Q1", "channel": "Paid Social"},
        {
            "platform": "meta",
            "campaign_name": "Summer Sale 2025 | Prospecting",
            "channel": "Paid Social",
        },
        {
            "platform": "meta",
            "campaign_name": "summer sale 2025 | prospecting",
            "channel": "Paid Social",
        },
    ]
    rollup = store.query("SELECT DISTINCT channel FROM rollup_ad_day ORDER BY channel")
    assert [r["channel"] for r in rollup] == [
        "Cross-network",
        "Email",
        "Paid Search",
        "Paid Shopping",
        "Paid Social",
    ]


def test_landing_page_utms_fill_ga4_sessions(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "landing.csv",
        "Date,Landing page + query string,Sessions,Key events\n"
        "20250301,/sale?utm_source=fb&utm_medium=paid_social&utm_campaign=Summer+Sale%202025,40,2\n"
        "20250301,/?utm_source=newsletter&utm_medium=email,30,1\n"
        "20250301,/about,20,0\n",
    )
    ingest_file(store, path)
    rows = store.query(
        "SELECT source, medium, campaign, channel, sessions FROM sessions ORDER BY source_row"
    )
    assert rows == [
        {
            "source": "fb",
            "medium": "paid_social",
            "campaign": "Summer Sale 2025",
            "channel": "Paid Social",
            "sessions": 40,
        },
        {
            "source": "newsletter",
            "medium": "email",
            "campaign": None,
            "channel": "Email",
            "sessions": 30,
        },
        {"source": None, "medium": None, "campaign": None, "channel": "Unassigned", "sessions": 20},
    ]


def test_ga4_channel_group_reports_keep_ga4s_grouping(store: Store, tmp_path: Path) -> None:
    # GA4's default Traffic acquisition report is by channel group, with no source or
    # medium: every session used to load as Unassigned.
    path = write(
        tmp_path / "channels.csv",
        "# Start date: 20250301\n# End date: 20250301\n"
        "Date,Session default channel group,Session source / medium,Sessions,Key events\n"
        "20250301,Organic Search,google / organic,120,2\n"
        "20250301,paid social,(not set),90,1\n"  # GA4's word over adlens's rules
        "20250301,Organische Suche,google / organic,7,0\n"  # localised: grouped by adlens
        "20250301,Partner Sites,(not set),5,0\n",  # a custom group, nothing to regroup
    )
    report = ingest_file(store, path)
    rows = store.query("SELECT channel, sessions FROM sessions ORDER BY source_row")
    assert [(r["channel"], r["sessions"]) for r in rows] == [
        ("Organic Search", 120),
        ("Paid Social", 90),
        ("Organic Search", 7),
        ("Partner Sites", 5),
    ]
    assert any("'Organische Suche', 'Partner Sites'" in w for w in report.warnings)


def test_inspect_previews_channels() -> None:
    from adlens.ingest import inspect_file

    preview = inspect_file(EXPORTS / "ga4_traffic_acquisition.csv")["preview"]
    assert [(r["source"], r["medium"], r["channel"]) for r in preview] == [
        ("google", "cpc", "Paid Search"),
        ("facebook", "paid_social", "Paid Social"),
        ("(direct)", "(none)", "Direct"),
        ("l.instagram.com", "referral", "Organic Social"),
    ]


def test_channels_with_skipped_lines_keep_line_numbers(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "google.csv",
        "Day,Campaign,Campaign type,Currency code,Cost,Impr.,Clicks\n"
        "2025-03-01,Brand_US,Search,USD,1,10,1\n"
        "\n"
        "2025-03-01,Feed_US,Shopping,USD,2,20,2\n"
        "2025-03-02,Brand_US,Search,USD,1,10,1\n",
    )
    ingest_file(store, path)
    rows = store.query(
        "SELECT source_row, campaign_name, channel FROM ad_performance ORDER BY source_row"
    )
    assert rows == [
        {"source_row": 2, "campaign_name": "Brand_US", "channel": "Paid Search"},
        {"source_row": 4, "campaign_name": "Feed_US", "channel": "Paid Shopping"},
        {"source_row": 5, "campaign_name": "Brand_US", "channel": "Paid Search"},
    ]
