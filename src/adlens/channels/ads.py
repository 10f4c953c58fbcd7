"""Channels of ad-platform rows: from their UTMs when tagged, else from the platform.

A tagged row (``utm_source`` or ``utm_medium`` known, from a column or the destination
URL) is classified exactly as GA4 would classify the session it brings. An untagged row
is classified from what the export says about it: the platform, and for Google Ads and
Microsoft Advertising the campaign type (a ``Campaign type`` column, else words in the
campaign name). Every platform's implied (source, medium) then goes through the same
ordered rules, so precedence stays GA4's: a Meta campaign named "Summer Shop" is Paid
Shopping, a campaign whose name says "cross-network" is Cross-network.
"""

from __future__ import annotations

from adlens.channels.rules import classify

# Implied (source, medium) of untagged rows, per platform.
PLATFORM_TRAFFIC = {
    "meta": ("facebook", "paid"),
    "tiktok": ("tiktok", "paid"),
    "linkedin": ("linkedin", "paid"),
    "google_ads": ("google", "cpc"),
    "microsoft": ("bing", "cpc"),
}
# Search-network campaign types, matched in the type column or the campaign name (in order).
CAMPAIGN_TYPES = (
    (("performance max", "pmax", "p-max"), "Cross-network"),
    (("shopping",), "Paid Shopping"),
    (("video", "youtube"), "Paid Video"),
    (("display", "gdn"), "Display"),
    (("demand gen", "discovery", "app", "smart"), "Paid Other"),
    (("search",), "Paid Search"),
)


def campaign_type_channel(text: str | None) -> str | None:
    """The channel a Google Ads / Microsoft campaign type (or campaign name) names, if any.

    >>> campaign_type_channel("Performance Max"), campaign_type_channel("PMax_US")
    ('Cross-network', 'Cross-network')
    >>> campaign_type_channel("Brand_US"), campaign_type_channel("Video")
    (None, 'Paid Video')
    """
    words = " " + " ".join((text or "").lower().replace("_", " ").replace("-", " ").split()) + " "
    for names, channel in CAMPAIGN_TYPES:
        if any(f" {name.replace('-', ' ')} " in words for name in names):
            return channel
    return None


def classify_ad(
    platform: str,
    campaign_name: str | None = None,
    campaign_type: str | None = None,
    utm_source: str | None = None,
    utm_medium: str | None = None,
    utm_campaign: str | None = None,
) -> str:
    """The channel of an ad-platform row.

    >>> classify_ad("meta", "Summer Sale 2025 | Prospecting")
    'Paid Social'
    >>> classify_ad("google_ads", "Brand_US", "Shopping")
    'Paid Shopping'
    >>> classify_ad("google_ads", "PMax_US")
    'Cross-network'
    >>> classify_ad("meta", "Spring", utm_source="newsletter", utm_medium="email")
    'Email'
    """
    if utm_source or utm_medium:
        return classify(utm_source, utm_medium, utm_campaign or campaign_name)
    if platform not in PLATFORM_TRAFFIC:
        return "Unassigned"
    source, medium = PLATFORM_TRAFFIC[platform]
    if platform in ("google_ads", "microsoft"):
        named = campaign_type_channel(campaign_type)
        if named is None:
            # A name is weaker evidence than a type: "Brand app" is not an app campaign.
            named = campaign_type_channel(campaign_name)
            named = named if named not in ("Paid Other", "Paid Search") else None
        if named and named != "Paid Search":
            return named
    return classify(source, medium, campaign_name)
