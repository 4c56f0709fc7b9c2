"""Isochrones and service areas built from the reached parts of edges.

Construction (never a hull of reached nodes): for a node-indexed array ``t`` of
seconds *to* the site(s) and a budget ``B``, every directed edge ``u -> v`` with
``t[v] <= B`` is reached on its last ``min(1, (B - t[v]) / w)`` fraction (``w`` its
seconds): a driver anywhere on that part reaches ``v`` and then the site within
``B``. The reached edge parts (interpolated along the road geometry) and reached
nodes are buffered by ``buffer_m`` (default 50 m) and merged.

Tolerance: a point inside a polygon lies within ``buffer_m`` of a road point from
which the site is reached within ``B``; with the off-network leg at the profile's
access speed, it is reached within ``B + buffer_m / access_speed`` (12 s with the
default 50 m at 15 km/h).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from proximite.access.engine import _check_network, times_from_sites
from proximite.errors import InputError
from proximite.network.core import RoadNetwork
from proximite.network.geometry import edge_sublines

#: Default buffer width (m) around reached road parts.
BUFFER_M = 50.0


def _check_minutes(minutes: Any) -> list[float]:
    vals = [float(m) for m in np.atleast_1d(np.asarray(minutes, dtype=float))]
    if not vals or any(not (m > 0 and np.isfinite(m)) for m in vals):
        raise InputError(f"minutes must be positive numbers, got {minutes!r}", field="minutes")
    return vals


def reached_polygon(
    network: RoadNetwork,
    seconds: np.ndarray,
    budget: float,
    *,
    buffer_m: float = BUFFER_M,
    quad_segs: int = 4,
) -> shapely.Geometry:
    """Area from which the target is reached within ``budget`` seconds.

    Parameters
    ----------
    network : RoadNetwork
        The network.
    seconds : ndarray
        Node-indexed seconds to the target (``inf`` when unreachable).
    budget : float
        Seconds.
    buffer_m : float
        Buffer around reached road parts, in metres.
    quad_segs : int
        Segments per quarter circle of the buffer.

    Returns
    -------
    shapely.Geometry
        A (Multi)Polygon, empty when nothing is reached.
    """
    t = np.asarray(seconds, dtype=float)
    b = network.arrays
    tv = t[b.v]
    reached = np.flatnonzero(tv <= budget)
    parts = []
    if len(reached):
        w = b.seconds[reached]
        rem = budget - tv[reached]
        f0 = np.where(w > 0, 1.0 - np.minimum(rem, w) / np.where(w > 0, w, 1.0), 0.0)
        lines = edge_sublines(network, reached, f0)
        parts.append(shapely.buffer(shapely.multilinestrings(lines), buffer_m, quad_segs=quad_segs))
    nodes = np.flatnonzero(t <= budget)
    if len(nodes):
        pts = shapely.multipoints(np.column_stack([network.x[nodes], network.y[nodes]]))
        parts.append(shapely.buffer(pts, buffer_m, quad_segs=quad_segs))
    if not parts:
        return shapely.Polygon()
    geom = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return shapely.make_valid(geom) if not shapely.is_valid(geom) else geom


def isochrones(
    network: RoadNetwork,
    sites: Any,
    minutes: Any = (10, 20, 30),
    *,
    buffer_m: float = BUFFER_M,
) -> Any:
    """Per-site isochrones: where a car reaches each site within each threshold.

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    sites : GeoDataFrame or GeoSeries
        Site points with a CRS.
    minutes : sequence of float
        Thresholds in minutes.
    buffer_m : float
        Width of the buffer around reached road parts (see module notes).

    Returns
    -------
    GeoDataFrame
        One row per site and threshold: ``site`` (position in ``sites``),
        ``minutes``, geometry (network CRS); empty geometry for unsnappable sites.
    """
    import geopandas as gpd

    network = _check_network(network)
    mins = _check_minutes(minutes)
    pos, times = times_from_sites(network, sites, cutoff=max(mins) * 60.0)
    row_of = {int(p): i for i, p in enumerate(pos)}
    rows_site, rows_min, geoms = [], [], []
    for s in range(len(sites)):
        for m in mins:
            rows_site.append(s)
            rows_min.append(m)
            if s in row_of:
                geoms.append(reached_polygon(network, times[row_of[s]], m * 60.0, buffer_m=buffer_m))
            else:
                geoms.append(shapely.Polygon())
    return gpd.GeoDataFrame(
        {"site": np.asarray(rows_site, dtype=np.int64), "minutes": rows_min},
        geometry=geoms,
        crs=network.crs,
    )


def service_areas(
    network: RoadNetwork,
    seconds: np.ndarray,
    minutes: Any = (10, 20, 30),
    *,
    buffer_m: float = BUFFER_M,
) -> Any:
    """Area within each threshold of the nearest site (union of all sites' isochrones).

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    seconds : ndarray
        Node-indexed seconds to the nearest site, e.g. ``nearest(network, sites).seconds``.
    minutes : sequence of float
        Thresholds in minutes.
    buffer_m : float
        Width of the buffer around reached road parts.

    Returns
    -------
    GeoDataFrame
        One row per threshold: ``minutes``, geometry (network CRS).
    """
    import geopandas as gpd

    network = _check_network(network)
    seconds = np.asarray(seconds, dtype=float)
    if seconds.shape != (network.n_nodes,):
        raise InputError(
            f"seconds must be node-indexed (length {network.n_nodes}), got shape {seconds.shape}"
        )
    mins = _check_minutes(minutes)
    geoms = [reached_polygon(network, seconds, m * 60.0, buffer_m=buffer_m) for m in mins]
    return gpd.GeoDataFrame({"minutes": mins}, geometry=geoms, crs=network.crs)
