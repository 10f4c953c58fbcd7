"""LinkedIn Campaign Manager exports, English and German.

LinkedIn's *campaign group* is a campaign in the unified schema and its
*campaign* is an ad group; its creative is an ad.
"""

from adlens.ingest.platforms.base import Adapter, registry

LINKEDIN = registry.register(
    Adapter(
        platform="linkedin",
        title="LinkedIn Campaign Manager",
        fields={
            "period_start": ("Start Date (in UTC)", "Start Date", "Startdatum (in UTC)"),
            "period_end": ("End Date (in UTC)", "End Date", "Enddatum (in UTC)"),
            "account_id": ("Account ID", "Konto-ID"),
            "account_name": ("Account Name", "Kontoname"),
            "campaign_id": ("Campaign Group ID", "Kampagnengruppen-ID"),
            "campaign_name": ("Campaign Group Name", "Kampagnengruppenname"),
            "ad_group_id": ("Campaign ID", "Kampagnen-ID"),
            "ad_group_name": ("Campaign Name", "Kampagnenname"),
            "ad_id": ("Creative ID", "Anzeigen-ID"),
            "ad_name": ("Creative Name", "Ad Name", "Anzeigenname"),
            "url": ("Click URL", "Destination URL"),
            "currency": ("Currency", "Währung"),
            "spend": ("Total Spent", "Amount Spent", "Ausgegebener Gesamtbetrag"),
            "impressions": ("Impressions", "Impressionen"),
            "clicks": ("Clicks", "Klicks"),
            "conversions": ("Conversions", "Conversions"),
            "conversion_value": ("Total Conversion Value", "Gesamtwert der Conversions"),
            "ctr": ("Average CTR", "Durchschnittliche CTR"),
            "cpc": ("Average CPC", "Durchschnittliche CPC"),
        },
        signature=frozenset(
            {
                "Start Date (in UTC)",
                "Startdatum (in UTC)",
                "Campaign Group Name",
                "Kampagnengruppenname",
                "Total Spent",
                "Ausgegebener Gesamtbetrag",
                "Clicks to Landing Page",
                "Average CTR",
                "Leads",
            }
        ),
        preamble_markers=(r"Campaign Performance Report", r"Report Start:"),
        defaults={"account_timezone": "UTC"},
    )
)
