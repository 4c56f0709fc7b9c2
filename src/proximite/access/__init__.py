"""Travel-time engine: nearest site, OD matrices, isochrones, service areas.

All functions take a :class:`proximite.network.RoadNetwork` and point layers
(GeoDataFrame / GeoSeries with a CRS). Times are car seconds *to* the sites,
off-network access legs included (see :mod:`proximite.access.engine`).
"""

from __future__ import annotations

from proximite.access.engine import NearestResult, nearest, od_matrix, times_from_sites
from proximite.access.isochrones import BUFFER_M, isochrones, reached_polygon, service_areas

__all__ = [
    "BUFFER_M",
    "NearestResult",
    "isochrones",
    "nearest",
    "od_matrix",
    "reached_polygon",
    "service_areas",
    "times_from_sites",
]
