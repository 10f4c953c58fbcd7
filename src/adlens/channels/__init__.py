"""GA4 default channel groups for sessions and ad-platform rows (DESIGN.md section 6)."""

from adlens.channels.ads import classify_ad
from adlens.channels.rules import CHANNELS, classify
from adlens.channels.sites import categories

__all__ = ["CHANNELS", "categories", "classify", "classify_ad"]
