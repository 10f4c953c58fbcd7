"""The GA4 default channel group: ordered rules over source, medium and campaign.

DESIGN.md section 6, exactly: the first rule that matches names the channel,
comparisons ignore case, and a session no rule matches is ``Unassigned``.
"""

from __future__ import annotations

import re

from adlens.channels.sites import categories

CHANNELS = (
    "Direct",
    "Cross-network",
    "Paid Shopping",
    "Paid Search",
    "Paid Social",
    "Paid Video",
    "Display",
    "Paid Other",
    "Organic Shopping",
    "Organic Social",
    "Organic Video",
    "Organic Search",
    "Referral",
    "Email",
    "Affiliates",
    "Audio",
    "SMS",
    "Mobile Push Notifications",
    "Unassigned",
)
PAID = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$", re.IGNORECASE)
SHOP = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$", re.IGNORECASE)
VIDEO_MEDIUM = re.compile(r"^(.*video.*)$", re.IGNORECASE)
DISPLAY_MEDIA = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})
SOCIAL_MEDIA = frozenset(
    {"social", "social-network", "social-media", "sm", "social network", "social media"}
)
REFERRAL_MEDIA = frozenset({"referral", "app", "link"})
EMAIL = frozenset({"email", "e-mail", "e_mail", "e mail"})


def classify(source: str | None, medium: str | None, campaign: str | None = None) -> str:
    """The GA4 default channel group of a session's (or an ad's) source, medium and campaign.

    >>> classify("google", "cpc")
    'Paid Search'
    >>> classify("m.facebook.com", "referral")
    'Organic Social'
    >>> classify("facebook", "cpc", "Summer shopping")
    'Paid Shopping'
    >>> classify("(direct)", "(none)")
    'Direct'
    >>> classify("newsletter", "mail")
    'Unassigned'
    """
    src = (source or "").strip().lower()
    med = (medium or "").strip().lower()
    camp = (campaign or "").strip().lower()
    sites = categories(src)
    paid = bool(PAID.fullmatch(med))
    shop = "shopping" in sites or bool(SHOP.fullmatch(camp))
    if src == "(direct)" and med in ("(not set)", "(none)"):
        return "Direct"
    if "cross-network" in camp:
        return "Cross-network"
    if paid:
        if shop:
            return "Paid Shopping"
        for category, channel in (
            ("search", "Paid Search"),
            ("social", "Paid Social"),
            ("video", "Paid Video"),
        ):
            if category in sites:
                return channel
    if med in DISPLAY_MEDIA:
        return "Display"
    if paid:
        return "Paid Other"
    if shop:
        return "Organic Shopping"
    if "social" in sites or med in SOCIAL_MEDIA:
        return "Organic Social"
    if "video" in sites or VIDEO_MEDIUM.fullmatch(med):
        return "Organic Video"
    if "search" in sites or med == "organic":
        return "Organic Search"
    if med in REFERRAL_MEDIA:
        return "Referral"
    if src in EMAIL or med in EMAIL:
        return "Email"
    if med == "affiliate":
        return "Affiliates"
    if med == "audio":
        return "Audio"
    if src == "sms" or med == "sms":
        return "SMS"
    if med.endswith("push") or "mobile" in med or "notification" in med or src == "firebase":
        return "Mobile Push Notifications"
    return "Unassigned"
