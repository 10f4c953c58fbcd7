"""Realistic sample exports for ``adlens demo``.

One shared daily performance model (campaign lines x days, weekly seasonality, a gentle upward
trend) is rendered into eight files, each in the shape of a real platform export, quirks included
(DESIGN.md section 4). All randomness comes from ``random.Random`` seeded with ``seed``, so the
same ``seed`` and ``end_date`` always give byte-identical files.

The story: Acme Store runs "Summer Sale 2025" on every platform, spelled the way each platform's
users spell it ("Summer Sale 2025 | Prospecting", "summer_sale_2025_tt", "Summer Sale 2025 -
Bing", LinkedIn group "Summer Sale 2025", utm "summer_sale_2025"), next to brand and always-on
campaigns; GA4 sessions follow the platforms' clicks.

Planted events and data-quality problems (also in ``PLANTED``; days counted back from end_date):

- ``meta_spend_spike``: Meta "Summer Sale 2025 | Retargeting" spends ~3x on day -9.
- ``google_tracking_outage``: Google Ads (US) reports 0 conversions on days -17 and -16 while
  clicks hold; GA4 still records the key events.
- ``google_pmax_paused``: Google Ads "PMax_US" is paused on the last 3 days (zero rows, `` --``).
- ``google_bad_day``: in the Google Ads daily file the "Generic_US_Search" row of day -33 has
  Day ``n/a``; the Total rows still include it, so a loader's totals check disagrees.
- ``tiktok_duplicate_row``: the "UGC video 1" row of day -22 appears twice, identically.
- ``meta_campaign_spelling``: Meta "Summer Sale 2025 | Prospecting" is written
  "summer sale 2025 | prospecting" on days -27 and -26 (same campaign ID).

The Google Ads "Excel CSV" (UK account) and the French Meta range file carry no planted problems.
"""

from __future__ import annotations

import codecs
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

GOOGLE_DAILY: Final = "google_ads_campaign_daily.csv"
GOOGLE_EXCEL: Final = "google_ads_excel.csv"
META_DAILY: Final = "meta_ads_daily.csv"
META_FR_RANGE: Final = "meta_ads_fr_range.csv"
TIKTOK_DAILY: Final = "tiktok_ads_daily.csv"
LINKEDIN: Final = "linkedin_campaign_performance.csv"
MICROSOFT_DAILY: Final = "microsoft_ads_daily.csv"
GA4: Final = "ga4_traffic_acquisition.csv"


@dataclass(frozen=True)
class PlantedEvent:
    """Something a later stage should find: in which file, for which line, on which days."""

    file: str
    target: str  # a campaign name, a full "campaign > group > ad" path, or "*" for every line
    days_before_end: tuple[int, ...]
    what: str

    def dates(self, end_date: date) -> tuple[date, ...]:
        """The calendar days of the event for a given ``end_date``.

        >>> PLANTED["meta_spend_spike"].dates(date(2025, 3, 1))
        (datetime.date(2025, 2, 20),)
        """
        return tuple(end_date - timedelta(days=n) for n in self.days_before_end)


PLANTED: Final[dict[str, PlantedEvent]] = {
    "meta_spend_spike": PlantedEvent(
        META_DAILY, "Summer Sale 2025 | Retargeting", (9,), "spend ~3x a normal day"
    ),
    "google_tracking_outage": PlantedEvent(
        GOOGLE_DAILY, "*", (17, 16), "conversions and conv. value 0 while clicks hold"
    ),
    "google_pmax_paused": PlantedEvent(
        GOOGLE_DAILY, "PMax_US", (2, 1, 0), "campaign paused: all-zero rows with ' --' ratios"
    ),
    "google_bad_day": PlantedEvent(
        GOOGLE_DAILY, "Generic_US_Search", (33,), "Day is 'n/a'; Total rows still include the row"
    ),
    "tiktok_duplicate_row": PlantedEvent(
        TIKTOK_DAILY,
        "summer_sale_2025_tt > Broad 18-34 > UGC video 1",
        (22,),
        "exact duplicate row",
    ),
    "meta_campaign_spelling": PlantedEvent(
        META_DAILY, "Summer Sale 2025 | Prospecting", (27, 26), "spelled in lower case"
    ),
}
MIN_DAYS: Final = 1 + max(max(event.days_before_end) for event in PLANTED.values())

# Not strftime("%B"): month names must not follow the user's locale.
# fmt: off
_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December")
# fmt: on
_PURCHASE: Final = "actions:offsite_conversion.fb_pixel_purchase"
_THRUPLAY: Final = "actions:video_thruplay_watched_actions"
_TREND_PER_DAY: Final = 0.003


@dataclass(frozen=True)
class Line:
    """One delivery unit and its baseline economics for an average weekday.

    ``path`` is "campaign > group > ad", as deep as the platform reports; the group is the ad
    set, ad group, LinkedIn campaign group or Google campaign type.
    """

    path: str
    daily_spend: float
    cpc: float
    ctr: float
    cvr: float  # conversions per click
    order_value: float
    link_clicks: bool = True  # False: awareness video; Meta leaves "Link clicks" empty

    @property
    def campaign(self) -> str:
        return self._part(0)

    @property
    def group(self) -> str:
        return self._part(1)

    @property
    def ad(self) -> str:
        return self._part(2)

    def _part(self, index: int) -> str:
        parts = self.path.split(" > ")
        return parts[index] if index < len(parts) else ""


@dataclass(frozen=True)
class Account:
    """An ad account: its lines, currency and how its campaign IDs are numbered."""

    name: str
    currency: str
    first_campaign_id: int
    weekend: float  # volume on Saturdays and Sundays relative to weekdays
    lines: tuple[Line, ...]
    fractional: bool = False  # Google's data-driven attribution reports 41.50 conversions

    def campaign_id(self, campaign: str) -> str:
        campaigns = list(dict.fromkeys(line.campaign for line in self.lines))
        return str(self.first_campaign_id + campaigns.index(campaign))


# Line(path, spend per weekday, CPC, CTR, conversion rate, order value), in account currency.
_GOOGLE_US: Final = (
    Line("Brand_US_Search > Search", 350, 0.42, 0.071, 0.05, 38),
    Line("Generic_US_Search > Search", 2000, 1.85, 0.023, 0.022, 115),
    Line("Summer_Sale_2025_US_Search > Search", 900, 1.2, 0.045, 0.035, 95),
    Line("PMax_US > Performance Max", 480, 0.52, 0.009, 0.014, 80),
)
_GOOGLE_UK: Final = (
    Line("Brand_UK_Search > Search", 110, 0.38, 0.07, 0.05, 32),
    Line("Generic_UK_Search > Search", 650, 1.4, 0.022, 0.025, 80),
    Line("Summer_Sale_2025_UK_Search > Search", 300, 0.95, 0.04, 0.032, 75),
    Line("PMax_UK > Performance Max", 180, 0.45, 0.0085, 0.015, 70),
)
_META_US: Final = (
    Line("Summer Sale 2025 | Prospecting > US 25-44 > Carousel A", 180, 0.45, 0.019, 0.028, 75),
    Line("Summer Sale 2025 | Prospecting > US 25-44 > Video A", 120, 0.6, 0.012, 0.022, 75),
    Line("Summer Sale 2025 | Prospecting > Lookalike 1% > Carousel A", 140, 0.55, 0.015, 0.03, 80),
    Line("Summer Sale 2025 | Retargeting > Visitors 30d > Video B", 90, 0.38, 0.024, 0.03, 54),
    Line("Summer Sale 2025 | Retargeting > Visitors 30d > Collection C", 70, 0.42, 0.02, 0.03, 60),
    Line("Always-on | Awareness > US 18-65 > Brand video", 60, 1.0, 0.006, 0, 0, link_clicks=False),
)
_META_FR: Final = (
    Line("Soldes d'été 2025 > France 18-65", 45, 0.5, 0.016, 0.025, 70),
    Line("Soldes d'été 2025 > Reciblage visiteurs 30j", 20, 0.4, 0.022, 0.035, 45),
    Line("Notoriété marque > France 25-54", 10, 0.8, 0.007, 0, 0),
)
_TIKTOK: Final = (
    Line("summer_sale_2025_tt > Broad 18-34 > UGC video 1", 250, 0.37, 0.0115, 0.027, 60),
    Line("summer_sale_2025_tt > Broad 18-34 > UGC video 2", 150, 0.45, 0.0095, 0.022, 65),
    Line("summer_sale_2025_tt > Interest fashion > Spark ad 1", 100, 0.5, 0.009, 0.02, 70),
    Line("brand_awareness_tt > Interest beauty > Spark ad 2", 88, 0.72, 0.006, 0, 0),
)
_LINKEDIN: Final = (  # campaign > campaign group
    Line("Summer Sale 2025 - Decision makers > Summer Sale 2025", 1000, 4.4, 0.0115, 0.045, 400),
    Line("Summer Sale 2025 - Website visitors > Summer Sale 2025", 300, 3.6, 0.009, 0.05, 270),
    Line("Brand - Followers > Always-on Brand", 55, 1.45, 0.006, 0, 0),
)
_MICROSOFT: Final = (
    Line("Summer Sale 2025 - Bing", 280, 0.88, 0.032, 0.039, 85),
    Line("Brand - Bing", 125, 0.33, 0.068, 0.05, 27),
)
# Weekend volume: retail social peaks on weekends, search dips, B2B LinkedIn all but stops.
_ACCOUNTS: Final = {
    "google_us": Account("Acme Store", "USD", 20211001, 0.85, _GOOGLE_US, fractional=True),
    "google_uk": Account("Acme Store UK", "GBP", 30311001, 0.85, _GOOGLE_UK, fractional=True),
    "meta_us": Account("Acme Store", "USD", 120210000000001, 1.15, _META_US),
    "meta_fr": Account("Acme Store France", "EUR", 120210000000101, 1.1, _META_FR),
    "tiktok": Account("Acme Store", "USD", 1790000000000001, 1.2, _TIKTOK),
    "linkedin": Account("Acme Store", "USD", 612345001, 0.35, _LINKEDIN),
    "microsoft": Account("Acme Store", "USD", 510001, 0.8, _MICROSOFT),
}


@dataclass(frozen=True)
class Metrics:
    """What one line delivered on one day, in the account's currency."""

    day: date
    line: Line
    spend: Decimal
    impressions: int
    reach: int
    clicks: int  # link / destination clicks; all clicks for ``link_clicks=False`` lines
    all_clicks: int
    conversions: Decimal  # fractional on Google Ads (data-driven attribution)
    revenue: Decimal


@dataclass(frozen=True)
class Ga4Row:
    day: date
    source_medium: str
    campaign: str
    sessions: int
    engaged_sessions: int
    key_events: int
    revenue: Decimal

    @property
    def numbers(self) -> tuple[Decimal, ...]:
        """Sessions, engaged sessions, key events and revenue: the columns that add up."""
        counts = (self.sessions, self.engaged_sessions, self.key_events)
        return (*map(Decimal, counts), self.revenue)


def _total(rows: Sequence[Metrics], field: str) -> Decimal:
    return sum((Decimal(getattr(m, field)) for m in rows), Decimal(0))


def _cents(amount: float) -> Decimal:
    return Decimal(f"{amount:.2f}")


def _simulate(account: Account, start: date, days: int, rng: random.Random) -> list[Metrics]:
    rows: list[Metrics] = []
    for index in range(days):
        day = start + timedelta(days=index)
        volume = (account.weekend if day.weekday() >= 5 else 1.0) * (1 + _TREND_PER_DAY * index)
        for line in account.lines:
            spend = _cents(line.daily_spend * volume * rng.uniform(0.88, 1.12))
            clicks = round(float(spend) / (line.cpc * rng.uniform(0.92, 1.08)))
            impressions = max(clicks, round(clicks / (line.ctr * rng.uniform(0.9, 1.1))))
            expected = clicks * line.cvr * rng.uniform(0.85, 1.15)
            conversions = _cents(expected) if account.fractional else Decimal(round(expected))
            revenue = _cents(float(conversions) * line.order_value * rng.uniform(0.92, 1.08))
            reach = round(impressions / rng.uniform(1.2, 1.7))
            all_clicks = round(clicks * rng.uniform(1.4, 1.8)) if line.link_clicks else clicks
            rows.append(
                Metrics(
                    day, line, spend, impressions, reach, clicks, all_clicks, conversions, revenue
                )
            )
    return rows


def _hits(event: PlantedEvent, row: Metrics, end: date) -> bool:
    return row.day in event.dates(end) and event.target in ("*", row.line.campaign, row.line.path)


def _apply(
    rows: list[Metrics], event: PlantedEvent, end: date, change: Callable[[Metrics], Metrics]
) -> list[Metrics]:
    return [change(row) if _hits(event, row, end) else row for row in rows]


def _triple_spend(m: Metrics) -> Metrics:
    # Audiences saturate: reach, clicks and sales grow much less than spend.
    return replace(
        m,
        spend=_cents(float(m.spend) * 3),
        impressions=m.impressions * 14 // 5,
        reach=m.reach * 11 // 5,
        clicks=m.clicks * 5 // 2,
        all_clicks=m.all_clicks * 5 // 2,
        conversions=(m.conversions * 3 / 2).quantize(Decimal(1)),
        revenue=(m.revenue * 3 / 2).quantize(Decimal("0.01")),
    )


def _pause(m: Metrics) -> Metrics:
    zero = Decimal("0.00")
    return Metrics(m.day, m.line, zero, 0, 0, 0, 0, zero, zero)


def _lose_conversions(m: Metrics) -> Metrics:
    return replace(m, conversions=Decimal("0.00"), revenue=Decimal("0.00"))


_GA4_PAID: Final = {
    "google_us": "google / cpc",
    "meta_us": "facebook / paid_social",
    "tiktok": "tiktok / paid_social",
    "linkedin": "linkedin / paid_social",
    "microsoft": "bing / cpc",
}
# source / medium, session campaign, sessions per weekday, key events per session, order value
_GA4_UNPAID: Final = (
    ("(direct) / (none)", "(not set)", 1800, 0.012, 70.0),
    ("google / organic", "(organic)", 2600, 0.01, 75.0),
    ("l.instagram.com / referral", "(referral)", 90, 0.005, 60.0),
    ("newsletter / email", "weekly_newsletter", 300, 0.02, 65.0),
)


def _ga4_campaign(campaign: str) -> str:
    return "summer_sale_2025" if "summer" in campaign.lower() else campaign


def _ga4_rows(
    model: dict[str, list[Metrics]], start: date, days: int, rng: random.Random
) -> list[Ga4Row]:
    paid: dict[tuple[date, str, str], list[Metrics]] = {}
    for key, source_medium in _GA4_PAID.items():
        for m in model[key]:
            if m.line.link_clicks and m.clicks:
                traffic = (m.day, source_medium, _ga4_campaign(m.line.campaign))
                paid.setdefault(traffic, []).append(m)
    rows = []
    for (day, source_medium, campaign), group in paid.items():
        sessions = round(sum(m.clicks for m in group) * rng.uniform(0.82, 0.94))
        share = rng.uniform(0.7, 0.9)  # GA4 credits fewer conversions than platforms claim
        key_events = round(float(_total(group, "conversions")) * share)
        revenue = _cents(float(_total(group, "revenue")) * share) if key_events else Decimal(0)
        engaged = round(sessions * rng.uniform(0.55, 0.7))
        rows.append(Ga4Row(day, source_medium, campaign, sessions, engaged, key_events, revenue))
    for index in range(days):
        day = start + timedelta(days=index)
        volume = (0.8 if day.weekday() >= 5 else 1.0) * (1 + _TREND_PER_DAY * index)
        for source_medium, campaign, base, rate, order_value in _GA4_UNPAID:
            # The newsletter goes out on Tuesdays.
            boost = 3 if campaign == "weekly_newsletter" and day.weekday() == 1 else 1
            sessions = round(base * boost * volume * rng.uniform(0.9, 1.1))
            key_events = round(sessions * rate * rng.uniform(0.8, 1.2))
            revenue = _cents(key_events * order_value * rng.uniform(0.9, 1.1))
            engaged = round(sessions * rng.uniform(0.55, 0.7))
            rows.append(
                Ga4Row(day, source_medium, campaign, sessions, engaged, key_events, revenue)
            )
    return sorted(rows, key=lambda row: (row.day, -row.sessions))


def _build(end: date, days: int, seed: int) -> tuple[dict[str, list[Metrics]], list[Ga4Row]]:
    start = end - timedelta(days=days - 1)
    model = {
        key: _simulate(account, start, days, random.Random(f"{seed}:{key}"))
        for key, account in _ACCOUNTS.items()
    }
    # The spike and the pause really happen, so GA4 sees them ...
    model["meta_us"] = _apply(model["meta_us"], PLANTED["meta_spend_spike"], end, _triple_spend)
    model["google_us"] = _apply(model["google_us"], PLANTED["google_pmax_paused"], end, _pause)
    ga4 = _ga4_rows(model, start, days, random.Random(f"{seed}:ga4"))
    # ... but the outage only breaks Google's conversion tag: GA4 keeps its key events.
    outage = PLANTED["google_tracking_outage"]
    model["google_us"] = _apply(model["google_us"], outage, end, _lose_conversions)
    return model, ga4


def _cell(text: str, sep: str, quote_all: bool) -> str:
    # Localised Meta exports also quote numbers grouped with spaces ("1 234,56").
    spaced_number = " " in text and text.replace(" ", "").replace(",", "").isdigit()
    if quote_all or spaced_number or sep in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _row(cells: Sequence[str], sep: str = ",", *, quote_all: bool = False) -> str:
    return sep.join(_cell(text, sep, quote_all) for text in cells)


def _table(
    records: Sequence[dict[str, str]], sep: str = ",", *, quote_all: bool = False
) -> list[str]:
    """A header row from the first record's keys, then one row per record."""
    rows = [list(records[0]), *(list(record.values()) for record in records)]
    return [_row(cells, sep, quote_all=quote_all) for cells in rows]


def _int(count: int) -> str:
    return f"{count:,}"


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _ratio(
    part: Decimal | int,
    whole: Decimal | int,
    *,
    scale: int = 1,
    suffix: str = "",
    empty: str = " --",
) -> str:
    return f"{Decimal(part) * scale / Decimal(whole):,.2f}{suffix}" if whole else empty


def _mdy(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _long(day: date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _french(amount: Decimal | int) -> str:
    text = f"{amount:,.2f}" if isinstance(amount, Decimal) else f"{amount:,}"
    return text.replace(",", " ").replace(".", ",")


def _google_record(labels: Sequence[str], currency: str, rows: Sequence[Metrics]) -> dict[str, str]:
    """One body row (``rows`` holds one day) or a Total row: totals are formatted like the body."""
    impressions, clicks = int(_total(rows, "impressions")), int(_total(rows, "clicks"))
    cost, conversions = _total(rows, "spend"), _total(rows, "conversions")
    keys = ("Day", "Campaign", "Campaign ID", "Campaign status", "Campaign type")
    return {
        **dict(zip(keys, labels, strict=True)),
        "Currency code": currency,
        "Impr.": _int(impressions),
        "Clicks": _int(clicks),
        "CTR": _ratio(clicks, impressions, scale=100, suffix="%"),
        "Avg. CPC": _ratio(cost, clicks),
        "Cost": _money(cost),
        "Conversions": _money(conversions),
        "Conv. value": _money(_total(rows, "revenue")),
        "Cost / conv.": _ratio(cost, conversions),
    }


def _google_ads(
    account: Account, rows: list[Metrics], end: date, sep: str, bad_day: PlantedEvent | None
) -> list[str]:
    records = []
    for m in rows:
        day = "n/a" if bad_day and _hits(bad_day, m, end) else m.day.isoformat()
        status = "Enabled" if m.impressions else "Paused"
        labels = (day, m.line.campaign, account.campaign_id(m.line.campaign), status, m.line.group)
        records.append(_google_record(labels, account.currency, [m]))
    # Totals cover every body row, a corrupt one included: that is what Google sends.
    records.append(_google_record(["Total: Campaigns", *[" --"] * 4], account.currency, rows))
    records.append(_google_record(["Total: Account", "", "", "", ""], account.currency, rows))
    for kind in dict.fromkeys(m.line.group for m in rows):
        own = [m for m in rows if m.line.group == kind]
        records.append(_google_record([f"Total: {kind}", "", "", "", kind], account.currency, own))
    period = f"{_long(rows[0].day)} - {_long(end)}"
    return [_row(["Campaign report"], sep), _row([period], sep), *_table(records, sep)]


def _google_ads_daily(account: Account, rows: list[Metrics], end: date) -> list[str]:
    return _google_ads(account, rows, end, ",", PLANTED["google_bad_day"])


def _google_ads_excel(account: Account, rows: list[Metrics], end: date) -> list[str]:
    return _google_ads(account, rows, end, "\t", None)


def _meta_daily(account: Account, rows: list[Metrics], end: date) -> list[str]:
    respelled = PLANTED["meta_campaign_spelling"]
    records = []
    for m in rows:
        if m.line.link_clicks:
            link_clicks, results, indicator = _int(m.clicks), int(m.conversions), _PURCHASE
        else:  # an awareness video has no link; ThruPlays are its results
            link_clicks, results, indicator = "", m.impressions * 3 // 25, _THRUPLAY
        day = m.day.isoformat()
        campaign = m.line.campaign.lower() if _hits(respelled, m, end) else m.line.campaign
        records.append(
            {
                "Day": day,
                "Account ID": "1029384756",
                "Account name": account.name,
                "Campaign name": campaign,
                "Campaign ID": account.campaign_id(m.line.campaign),
                "Ad set name": m.line.group,
                "Ad name": m.line.ad,
                "Delivery": "active",
                f"Amount spent ({account.currency})": _money(m.spend),
                "Impressions": str(m.impressions),
                "Reach": str(m.reach),
                "Frequency": _ratio(m.impressions, m.reach, empty="0"),
                "Link clicks": link_clicks,
                "Clicks (all)": _int(m.all_clicks),
                "Results": str(results),
                "Result indicator": indicator,
                "Cost per result": _ratio(m.spend, results, empty=""),
                "Purchases": str(int(m.conversions)),
                "Purchases conversion value": _money(m.revenue),
                "Attribution setting": "7-day click or 1-day view",
                "Reporting starts": day,
                "Reporting ends": day,
            }
        )
    return _table(records)


def _meta_fr_range(account: Account, rows: list[Metrics], end: date) -> list[str]:
    records = []
    for line in account.lines:
        own = [m for m in rows if m.line == line]
        impressions, purchases = int(_total(own, "impressions")), int(_total(own, "conversions"))
        # People reached over the whole period, deduplicated: far below the sum of daily reach.
        reach = min(impressions, max(max(m.reach for m in own), int(_total(own, "reach")) // 3))
        records.append(
            {
                "Nom de la campagne": line.campaign,
                "Nom de l'ensemble de publicités": line.group,
                f"Montant dépensé ({account.currency})": _french(_total(own, "spend")),
                "Impressions": _french(impressions),
                "Couverture": _french(reach),
                "Clics sur un lien": _french(int(_total(own, "clicks"))),
                "Résultats": str(purchases) if line.cvr else "",
                "Indicateur de résultats": _PURCHASE if line.cvr else "",
                "Début des rapports": own[0].day.isoformat(),
                "Fin des rapports": end.isoformat(),
            }
        )
    return ["sep=;", *_table(records, ";")]


def _tiktok_daily(account: Account, rows: list[Metrics], end: date) -> list[str]:
    duplicated = PLANTED["tiktok_duplicate_row"]
    records = []
    for m in rows:
        record = {
            "By Day": f"{m.day:%Y/%m/%d}",
            "Campaign name": m.line.campaign,
            "Campaign ID": account.campaign_id(m.line.campaign),
            "Ad group name": m.line.group,
            "Ad name": m.line.ad,
            "Primary status": "Active",
            "Cost": _money(m.spend),
            "Impressions": _int(m.impressions),
            "Reach": _int(m.reach),
            "Clicks (destination)": _int(m.clicks),
            "CTR (destination)": _ratio(m.clicks, m.impressions, scale=100, suffix="%"),
            "CPC (destination)": _ratio(m.spend, m.clicks),
            "CPM": _ratio(m.spend, m.impressions, scale=1000),
            "Conversions": str(int(m.conversions)),
            "Cost per conversion": _ratio(m.spend, m.conversions, empty="0.00"),
            "Total complete payment value": _money(m.revenue),
            "Currency": account.currency,
        }
        records.extend([record] * (2 if _hits(duplicated, m, end) else 1))
    return _table(records)


def _linkedin(account: Account, rows: list[Metrics], end: date) -> list[str]:
    records = []
    for m in rows:
        conversions = int(m.conversions)
        records.append(
            {
                "Start Date (in UTC)": _mdy(m.day),
                "End Date (in UTC)": _mdy(m.day),
                "Account Name": account.name,
                "Campaign Group Name": m.line.group,
                "Campaign Name": m.line.campaign,
                "Campaign ID": account.campaign_id(m.line.campaign),
                "Campaign Type": "Sponsored Content",
                "Currency": account.currency,
                "Total Spent": _money(m.spend),
                "Impressions": _int(m.impressions),
                "Clicks": _int(m.clicks),
                "Clicks to Landing Page": _int(m.clicks * 22 // 25),
                "Average CTR": _ratio(m.clicks, m.impressions, scale=100, suffix="%"),
                "Average CPC": _ratio(m.spend, m.clicks),
                "Conversions": str(conversions),
                "Total Conversion Value": _money(m.revenue),
                "Leads": str(conversions * 7 // 10),
            }
        )
    report = f"Report Start: {_mdy(rows[0].day)}, Report End: {_mdy(end)}"
    return ["Campaign Performance Report (in UTC)", _row([report]), "", *_table(records)]


def _microsoft_daily(account: Account, rows: list[Metrics], end: date) -> list[str]:
    completed = f"{_mdy(end + timedelta(days=1))} 10:15:00 PM (GMT)"
    preamble = [
        "Report Name: Campaign performance",
        f"Report Time: {_mdy(rows[0].day)}, {_mdy(end)}",
        "Time Zone: (GMT-05:00) Eastern Time (US & Canada)",
        f"Last Completed Available Day: {completed}",
        f"Last Completed Available Hour: {completed}",
        "Report Aggregation: Daily",
        "Report Filter: ",
        "Potential Incomplete Data: false",
        f"Rows: {len(rows)}",
    ]
    records = [
        {
            "Gregorian date": _mdy(m.day),
            "Account name": account.name,
            "Campaign name": m.line.campaign,
            "Campaign ID": account.campaign_id(m.line.campaign),
            "Impressions": _int(m.impressions),
            "Clicks": _int(m.clicks),
            "CTR (%)": _ratio(m.clicks, m.impressions, scale=100),
            "Average CPC": _ratio(m.spend, m.clicks),
            "Spend": _money(m.spend),
            "Conversions": str(int(m.conversions)),
            "Conversion rate (%)": _ratio(m.conversions, m.clicks, scale=100),
            "Revenue": _money(m.revenue),
            "Currency code": account.currency,
        }
        for m in rows
    ]
    footer = f"©{end.year} Microsoft Corporation. All rights reserved. "
    return [
        *(_row([text], quote_all=True) for text in preamble),
        "",
        *_table(records, quote_all=True),
        "",
        _row([footer], quote_all=True),
    ]


def _ga4_number(amount: Decimal) -> str:
    return f"{amount:.2f}".rstrip("0").rstrip(".")  # GA4 writes 1512.4, 1790 and 0


def _ga4_record(
    day: str, source_medium: str, campaign: str, numbers: Sequence[Decimal]
) -> dict[str, str]:
    sessions, engaged, key_events, revenue = (_ga4_number(n) for n in numbers)
    return {
        "Date": day,
        "Session source / medium": source_medium,
        "Session campaign": campaign,
        "Sessions": sessions,
        "Engaged sessions": engaged,
        "Key events": key_events,
        "Total revenue": revenue,
    }


def _ga4(rows: list[Ga4Row], start: date, end: date) -> list[str]:
    records = [_ga4_record(f"{r.day:%Y%m%d}", r.source_medium, r.campaign, r.numbers) for r in rows]
    totals = [sum(column, Decimal(0)) for column in zip(*(r.numbers for r in rows), strict=True)]
    records.append(_ga4_record("", "", "Grand total", totals))
    rule = "# " + "-" * 40
    preamble = [rule, "# Traffic acquisition: Session source / medium", "# Account: Acme Store"]
    preamble += ["# Property: Acme Store - GA4", rule, "# "]
    preamble += [f"# Start date: {start:%Y%m%d}", f"# End date: {end:%Y%m%d}"]
    return [*preamble, *_table(records)]


_Renderer = Callable[[Account, list[Metrics], date], list[str]]
_PLATFORM_FILES: Final[tuple[tuple[str, str, _Renderer], ...]] = (
    (GOOGLE_DAILY, "google_us", _google_ads_daily),
    (GOOGLE_EXCEL, "google_uk", _google_ads_excel),
    (META_DAILY, "meta_us", _meta_daily),
    (META_FR_RANGE, "meta_fr", _meta_fr_range),
    (TIKTOK_DAILY, "tiktok", _tiktok_daily),
    (LINKEDIN, "linkedin", _linkedin),
    (MICROSOFT_DAILY, "microsoft", _microsoft_daily),
)
# Codec, line ending and byte-order mark of the files that are not plain UTF-8 with LF.
_ON_DISK: Final = {
    GOOGLE_EXCEL: ("utf-16-le", "\r\n", codecs.BOM_UTF16_LE),
    META_DAILY: ("utf-8", "\n", codecs.BOM_UTF8),
}


def _write(path: Path, lines: list[str]) -> Path:
    encoding, newline, bom = _ON_DISK.get(path.name, ("utf-8", "\n", b""))
    path.write_bytes(bom + newline.join([*lines, ""]).encode(encoding))
    return path


def write_demo_exports(
    out_dir: Path, *, end_date: date | None = None, days: int = 60, seed: int = 7
) -> list[Path]:
    """Write one realistic export per platform into out_dir and return their paths (sorted).

    The period is the ``days`` days ending on ``end_date`` (default: yesterday). The same
    ``seed`` and ``end_date`` give byte-identical files. ``PLANTED`` lists the events and
    data-quality problems hidden in them; ``days`` must be at least ``MIN_DAYS`` so they fit.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_demo_exports(Path(tmp), end_date=date(2025, 8, 31))
    ...     [path.name for path in paths][:2]
    ['ga4_traffic_acquisition.csv', 'google_ads_campaign_daily.csv']
    """
    if days < MIN_DAYS:
        raise ValueError(f"days must be at least {MIN_DAYS} so every planted event fits")
    end = end_date or date.today() - timedelta(days=1)
    model, ga4_rows = _build(end, days, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        _write(out_dir / name, render(_ACCOUNTS[key], model[key], end))
        for name, key, render in _PLATFORM_FILES
    ]
    paths.append(_write(out_dir / GA4, _ga4(ga4_rows, end - timedelta(days=days - 1), end)))
    return sorted(paths)
