"""The built-in platform adapters, registered on import."""

from adlens.ingest.platforms import ga4, google_ads, linkedin, meta, microsoft, tiktok
from adlens.ingest.platforms.base import Adapter, registry

__all__ = ["Adapter", "ga4", "google_ads", "linkedin", "meta", "microsoft", "registry", "tiktok"]
