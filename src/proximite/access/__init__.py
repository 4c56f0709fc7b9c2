"""Travel-time engine: nearest site, OD matrices, isochrones, service areas.

All functions take a :class:`proximite.network.RoadNetwork` and point layers
(GeoDataFrame / GeoSeries with a CRS). Times are car seconds *to* the sites,
off-network access legs included (see :mod:`proximite.access.engine`).
"""

from __future__ import annotations

from proximite.access.engine import (
    NearestResult,
    Route,
    nearest,
    od_matrix,
    route,
    times_from_sites,
)
from proximite.access.isochrones import (
    RESOLUTION_M,
    isochrones,
    reached_polygon,
    service_areas,
    tolerance_seconds,
)

__all__ = [
    "RESOLUTION_M",
    "NearestResult",
    "Route",
    "isochrones",
    "nearest",
    "od_matrix",
    "reached_polygon",
    "route",
    "service_areas",
    "times_from_sites",
    "tolerance_seconds",
]
