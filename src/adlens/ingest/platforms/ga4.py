"""Google Analytics 4 exports of sessions by source / medium / campaign (into ``sessions``)."""

from adlens.ingest.platforms.base import Adapter, registry

GA4 = registry.register(
    Adapter(
        platform="ga4",
        title="Google Analytics 4",
        target="sessions",
        fields={
            "date": ("Date", "Datum", "Fecha"),
            "day_index": ("Nth day", "N-ter Tag", "Nième jour"),
            "source_medium": (
                "Session source / medium",
                "Source / medium",
                "First user source / medium",
                "Sitzungsquelle/-medium",
                "Source/support de la session",
            ),
            "source": ("Session source", "Source", "Sitzungsquelle", "Source de la session"),
            "medium": ("Session medium", "Medium", "Sitzungsmedium", "Support de la session"),
            "campaign": (
                "Session campaign",
                "Campaign",
                "Session campaign name",
                "Sitzungskampagne",
                "Campagne de la session",
            ),
            "channel_group": (
                "Session default channel group",
                "Session primary channel group",
                "Default channel group",
                "First user default channel group",
                "Standard-Channelgruppe der Sitzung",
                "Groupe de canaux par défaut de la session",
            ),
            "landing_page": (
                "Landing page + query string",
                "Landing page",
                "Landingpage + Abfragestring",
                "Page de destination + chaîne de requête",
            ),
            "sessions": ("Sessions", "Sitzungen", "Sesiones"),
            "engaged_sessions": (
                "Engaged sessions",
                "Sitzungen mit Interaktionen",
                "Sessions avec engagement",
            ),
            "users": ("Total users", "Users", "Nutzer insgesamt", "Utilisateurs totaux"),
            "conversions": (
                "Key events",
                "Conversions",
                "Schlüsselereignisse",
                "Événements clés",
            ),
            "revenue": ("Total revenue", "Purchase revenue", "Gesamtumsatz", "Revenu total"),
        },
        signature=frozenset(
            {
                "Session source / medium",
                "Sitzungsquelle/-medium",
                "Source/support de la session",
                "Session campaign",
                "Sessions",
                "Sitzungen",
                "Engaged sessions",
                "Key events",
                "Schlüsselereignisse",
                "Total revenue",
            }
        ),
        preamble_markers=(r"^#\s*(Start date|Property|Startdatum):",),
    )
)
