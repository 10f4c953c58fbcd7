"""UTM parameters: read them from URLs, and normalise their values for comparison.

Raw values are always stored as exported; the normalised forms here are what the
campaign map and the quality report compare (DESIGN.md section 3).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote_plus, urlsplit

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
# Spellings of one source or medium that people and tools use; the key is the normalised form.
SOURCE_ALIASES = {
    "facebook": ("fb", "facebook", "facebook ads", "facebook.com", "m.facebook.com", "meta"),
    "instagram": ("ig", "insta", "instagram", "instagram ads", "instagram.com"),
    "google": ("google", "adwords", "google ads", "googleads", "gads", "google.com"),
    "bing": ("bing", "microsoft", "microsoft ads", "microsoft advertising", "bing ads", "msads"),
    "tiktok": ("tiktok", "tt", "tik tok", "tiktok ads", "tiktok.com"),
    "linkedin": ("linkedin", "li", "lnkd", "lnkd.in", "linkedin ads", "linkedin.com"),
    "twitter": ("twitter", "tw", "x", "x.com", "t.co"),
    "youtube": ("youtube", "yt", "youtube.com", "youtu.be"),
    "newsletter": ("newsletter", "news letter"),
}
MEDIUM_ALIASES = {
    "cpc": ("cpc", "ppc", "paid search", "paidsearch", "sem"),
    "paid_social": ("paid social", "paidsocial", "social paid", "paid_social", "social_paid"),
    "email": ("email", "e-mail", "e mail", "e_mail", "mail out"),
    "display": ("display", "banner", "programmatic display"),
    "organic_social": ("organic social", "social organic", "organic_social"),
}
_BY_SOURCE = {alias: key for key, aliases in SOURCE_ALIASES.items() for alias in aliases}
_BY_MEDIUM = {alias: key for key, aliases in MEDIUM_ALIASES.items() for alias in aliases}
_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s_\-|/+.:]+")


def parse_utm(url: str | None) -> dict[str, str]:
    """The ``utm_*`` parameters of a destination URL or landing page (first value each).

    >>> parse_utm("https://acme.test/sale?utm_source=fb&utm_campaign=Summer+Sale%202025#top")
    {'utm_source': 'fb', 'utm_campaign': 'Summer Sale 2025'}
    >>> parse_utm("/landing?utm_medium=cpc"), parse_utm(None)
    ({'utm_medium': 'cpc'}, {})
    """
    if not url or "utm_" not in url:
        return {}
    query = urlsplit(url.strip()).query
    values = parse_qs(query, keep_blank_values=False)
    return {name: values[name][0] for name in UTM_FIELDS if name in values and values[name][0]}


def clean_value(value: str | None) -> str:
    """A UTM value without encoding, case or spacing differences.

    >>> clean_value("  Summer+Sale%20 2025 "), clean_value(None)
    ('summer sale 2025', '')
    """
    text = unquote_plus(value or "")
    return _SPACES.sub(" ", text).strip().lower()


def normalize_utm(field: str, value: str | None) -> str:
    """The normalised form of a UTM value: cleaned, separators unified, known aliases merged.

    >>> normalize_utm("utm_source", "Facebook Ads"), normalize_utm("utm_source", "IG")
    ('facebook', 'instagram')
    >>> normalize_utm("utm_medium", "Paid-Social"), normalize_utm("utm_source", "adwords")
    ('paid_social', 'google')
    >>> normalize_utm("utm_campaign", "SUMMER-SALE 2024")
    'summer_sale_2024'
    """
    text = clean_value(value)
    if field == "utm_source":
        return _BY_SOURCE.get(text) or _BY_SOURCE.get(_SEPARATORS.sub(" ", text), text)
    if field == "utm_medium":
        spaced = _SEPARATORS.sub(" ", text)
        return _BY_MEDIUM.get(text) or _BY_MEDIUM.get(spaced) or spaced.replace(" ", "_")
    return _SEPARATORS.sub("_", text).strip("_")
