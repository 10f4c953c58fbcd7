"""Google Ads UI downloads ("CSV" and "Excel CSV") and Editor exports with statistics."""

from adlens.ingest.platforms.base import Adapter, registry

GOOGLE_ADS = registry.register(
    Adapter(
        platform="google_ads",
        title="Google Ads",
        fields={
            "date": ("Day", "Date", "Tag", "Jour", "Día"),
            "hour": ("Hour of day", "Hour", "Tageszeit (Stunde)", "Heure de la journée"),
            "week": ("Week", "Week (Mon - Sun)", "Week (Sun - Sat)", "Woche", "Semaine", "Semana"),
            "month": ("Month", "Monat", "Mois", "Mes"),
            "account_id": ("Customer ID", "Account ID", "Kundennummer", "ID client"),
            "account_name": ("Account", "Account name", "Konto", "Compte"),
            "campaign_id": ("Campaign ID", "Kampagnen-ID", "ID de la campagne"),
            "campaign_name": ("Campaign", "Kampagne", "Campagne", "Campaña"),
            "campaign_type": (
                "Campaign type",
                "Advertising channel type",
                "Kampagnentyp",
                "Type de campagne",
            ),
            "ad_group_id": ("Ad group ID", "Anzeigengruppen-ID", "ID du groupe d'annonces"),
            "ad_group_name": ("Ad group", "Anzeigengruppe", "Groupe d'annonces"),
            "ad_id": ("Ad ID", "Anzeigen-ID", "ID de l'annonce"),
            "ad_name": ("Ad", "Ad name", "Anzeige", "Annonce"),
            "keyword": ("Keyword", "Search keyword", "Keyword", "Mot clé"),
            "match_type": ("Match type", "Search keyword match type", "Keyword-Option"),
            "search_term": ("Search term", "Suchbegriff", "Terme de recherche"),
            "url": ("Final URL", "Landing page", "Finale URL", "URL finale"),
            "currency": ("Currency code", "Currency", "Währungscode", "Code de la devise"),
            "spend": ("Cost", "Kosten", "Coût", "Costo"),
            "impressions": ("Impr.", "Impressions", "Impressionen"),
            "clicks": ("Clicks", "Klicks", "Clics", "Clics"),
            "conversions": ("Conversions", "Conv.", "Conversiones"),
            "conversion_value": (
                "Conv. value",
                "Conversion value",
                "Conv.-Wert",
                "Valeur de conv.",
                "Valor de conv.",
            ),
            "ctr": ("CTR",),
            "cpc": ("Avg. CPC", "Durchschn. CPC", "CPC moy."),
        },
        signature=frozenset(
            {
                "Impr.",
                "Conv. value",
                "Cost / conv.",
                "Avg. CPC",
                "Conv.-Wert",
                "Durchschn. CPC",
                "Kosten/Conv.",
                "Valeur de conv.",
                "CPC moy.",
                "Coût/conv.",
                "Campaign type",
                "Campaign status",
                "Ad group",
                "Criterion Type",
            }
        ),
        preamble_markers=(r"^\s*\"?(Campaign|Ad group|Keyword|Search terms?|Account) report",),
        notes="Title lines and `Total: ...` rows are read; the totals check the load.",
    )
)
