"""Meta Ads Manager exports (Facebook, Instagram), English, French and German."""

from adlens.ingest.platforms.base import Adapter, registry

META = registry.register(
    Adapter(
        platform="meta",
        title="Meta Ads Manager",
        fields={
            "date": ("Day", "Jour", "Tag", "Día"),
            "hour": (
                "Time of day (ad account time zone)",
                "Heure de la journée (fuseau horaire du compte publicitaire)",
            ),
            "period_start": ("Reporting starts", "Début des rapports", "Berichtsbeginn"),
            "period_end": ("Reporting ends", "Fin des rapports", "Berichtsende"),
            "account_id": ("Account ID", "Identifiant du compte", "Konto-ID"),
            "account_name": ("Account name", "Nom du compte", "Kontoname"),
            "campaign_id": ("Campaign ID", "Identifiant de la campagne", "Kampagnen-ID"),
            "campaign_name": ("Campaign name", "Nom de la campagne", "Kampagnenname"),
            "ad_group_id": ("Ad set ID", "Identifiant de l'ensemble de publicités"),
            "ad_group_name": (
                "Ad set name",
                "Nom de l'ensemble de publicités",
                "Name der Anzeigengruppe",
            ),
            "ad_id": ("Ad ID", "Identifiant de la publicité", "Anzeigen-ID"),
            "ad_name": ("Ad name", "Nom de la publicité", "Anzeigenname"),
            "url": ("Website URL", "Link (ad settings)", "URL du site web"),
            "currency": ("Currency", "Devise", "Währung"),
            "spend": ("Amount spent", "Montant dépensé", "Ausgegebener Betrag"),
            "impressions": ("Impressions", "Impressionen"),
            "clicks": (
                "Link clicks",
                "Clics sur un lien",
                "Link-Klicks",
                "Clicks (all)",
                "Clics (tous)",
                "Klicks (alle)",
            ),
            "conversions": ("Purchases", "Achats", "Käufe"),
            "conversion_value": (
                "Purchases conversion value",
                "Website purchases conversion value",
                "Valeur de conversion des achats",
                "Conversionswert für Käufe",
            ),
            "results": ("Results", "Résultats", "Ergebnisse"),
            "result_indicator": (
                "Result indicator",
                "Indicateur de résultats",
                "Ergebnisindikator",
            ),
            "ctr": ("CTR (link click-through rate)", "CTR (taux de clics sur le lien)"),
            "cpc": ("CPC (cost per link click)", "CPC (coût par clic sur un lien)"),
        },
        signature=frozenset(
            {
                "Amount spent",
                "Montant dépensé",
                "Ausgegebener Betrag",
                "Reporting starts",
                "Début des rapports",
                "Berichtsbeginn",
                "Ad set name",
                "Nom de l'ensemble de publicités",
                "Link clicks",
                "Clics sur un lien",
                "Result indicator",
                "Indicateur de résultats",
                "Clicks (all)",
            }
        ),
        notes="`Link clicks` is preferred to `Clicks (all)`; `Results` count as conversions "
        "only when their indicator is a conversion action (purchase, lead, registration).",
    )
)
