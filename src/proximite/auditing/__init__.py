"""The commune audit: population placement, per-commune metrics, summary."""

from proximite.auditing.audit import COMMUNE_COLUMNS, ISOCHRONE_MINUTES, Audit, audit
from proximite.auditing.metrics import (
    BEYOND_SHARE,
    FRAGILITY_SATURATION_MINUTES,
    POOR_BROADBAND_SHARE,
)
from proximite.auditing.population import LOCAL_CLASSES, place_population

__all__ = [
    "BEYOND_SHARE",
    "COMMUNE_COLUMNS",
    "FRAGILITY_SATURATION_MINUTES",
    "ISOCHRONE_MINUTES",
    "LOCAL_CLASSES",
    "POOR_BROADBAND_SHARE",
    "Audit",
    "audit",
    "place_population",
]
