"""Microsoft Advertising (Bing Ads) reports, English, German and French."""

from adlens.ingest.platforms.base import Adapter, registry

MICROSOFT = registry.register(
    Adapter(
        platform="microsoft",
        title="Microsoft Advertising",
        fields={
            "date": (
                "Gregorian date",
                "Date",
                "TimePeriod",
                "Gregorianisches Datum",
                "Date grégorienne",
            ),
            "hour": ("Hour of day", "Stunde des Tages", "Heure de la journée"),
            "week": (
                "Week",
                "Week starting (Monday)",
                "Week starting (Sunday)",
                "Woche",
                "Semaine",
            ),
            "month": ("Month", "Monat", "Mois"),
            "account_id": ("Account number", "Account ID", "Kontonummer", "Numéro de compte"),
            "account_name": ("Account name", "Kontoname", "Nom du compte"),
            "campaign_id": ("Campaign ID", "Kampagnen-ID", "ID de campagne"),
            "campaign_name": ("Campaign name", "Kampagnenname", "Nom de la campagne"),
            "campaign_type": ("Campaign type", "Kampagnentyp", "Type de campagne"),
            "ad_group_id": ("Ad group ID", "Anzeigengruppen-ID", "ID du groupe d'annonces"),
            "ad_group_name": ("Ad group", "Anzeigengruppe", "Groupe d'annonces"),
            "ad_id": ("Ad ID", "Anzeigen-ID"),
            "ad_name": ("Ad title", "Ad description"),
            "keyword": ("Keyword", "Keyword", "Mot clé"),
            "match_type": ("Delivered match type", "Bid match type"),
            "search_term": ("Search term", "Suchbegriff"),
            "url": ("Final URL", "Destination URL"),
            "currency": ("Currency code", "Währungscode", "Code de devise"),
            "spend": ("Spend", "Ausgaben", "Dépense", "Dépenses"),
            "impressions": ("Impressions", "Impressionen"),
            "clicks": ("Clicks", "Klicks", "Clics"),
            "conversions": ("Conversions", "Konversionen", "Conversions"),
            "conversion_value": ("Revenue", "Umsatz", "Chiffre d'affaires", "Revenus"),
            "ctr": ("CTR (%)", "CTR"),
            "cpc": ("Average CPC", "Durchschnittlicher CPC", "CPC moyen"),
        },
        signature=frozenset(
            {
                "Gregorian date",
                "Gregorianisches Datum",
                "Date grégorienne",
                "CTR (%)",
                "Conversion rate (%)",
                "Spend",
                "Ausgaben",
                "Revenue",
            }
        ),
        preamble_markers=(r"^\"?Report Name:", r"^\"?Report Aggregation:", r"^\"?Berichtsname:"),
    )
)
