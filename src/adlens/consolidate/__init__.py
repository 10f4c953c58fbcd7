"""Campaign consolidation: one canonical campaign across platforms and GA4.

See docs/campaigns.md for the matching steps, the map's CSV format and overrides.
"""

from adlens.consolidate.cross import cross_platform, reconcile
from adlens.consolidate.mapping import (
    build_campaign_map,
    campaign_map,
    export_csv,
    import_csv,
    refresh,
    set_override,
)

__all__ = [
    "build_campaign_map",
    "campaign_map",
    "cross_platform",
    "export_csv",
    "import_csv",
    "reconcile",
    "refresh",
    "set_override",
]
