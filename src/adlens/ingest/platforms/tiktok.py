"""TikTok Ads Manager exports, English and French."""

from adlens.ingest.platforms.base import Adapter, registry

TIKTOK = registry.register(
    Adapter(
        platform="tiktok",
        title="TikTok Ads",
        fields={
            "date": ("By Day", "Date", "Stat time day", "Par jour", "Por día"),
            "hour": ("By Hour", "Par heure"),
            "account_id": ("Advertiser ID", "ID de l'annonceur"),
            "account_name": ("Advertiser name", "Nom de l'annonceur"),
            "campaign_id": ("Campaign ID", "ID de la campagne"),
            "campaign_name": ("Campaign name", "Nom de la campagne"),
            "ad_group_id": ("Ad group ID", "ID du groupe d'annonces"),
            "ad_group_name": ("Ad group name", "Nom du groupe d'annonces"),
            "ad_id": ("Ad ID", "ID de l'annonce"),
            "ad_name": ("Ad name", "Nom de l'annonce"),
            "currency": ("Currency", "Devise"),
            "spend": ("Cost", "Total cost", "Coût", "Coût total"),
            "impressions": ("Impressions", "Impressions"),
            "clicks": ("Clicks (destination)", "Clics (destination)", "Clicks", "Clics"),
            "conversions": ("Conversions", "Conversions"),
            "conversion_value": (
                "Total complete payment value",
                "Complete payment value",
                "Valeur totale des paiements effectués",
            ),
            "ctr": ("CTR (destination)", "CTR"),
            "cpc": ("CPC (destination)", "CPC"),
        },
        signature=frozenset(
            {
                "By Day",
                "Par jour",
                "Clicks (destination)",
                "Clics (destination)",
                "Total complete payment value",
                "Valeur totale des paiements effectués",
                "Primary status",
                "Statut principal",
                "Ad group name",
                "Nom du groupe d'annonces",
                "Advertiser name",
            }
        ),
    )
)
