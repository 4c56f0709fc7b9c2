"""Isochrones and service areas built from the reached parts of edges.

Construction (never a hull of reached nodes): for a node-indexed array ``t`` of
seconds *to* the site(s) and a budget ``B``, every directed edge ``u -> v`` with
``t[v] <= B`` is reached on its last ``min(1, (B - t[v]) / w)`` fraction (``w`` its
seconds): a driver anywhere on that part reaches ``v`` and then the site within
``B``. Those reached edge parts are sampled along the road geometry every
``resolution_m / 3`` metres (reached nodes included), the samples mark the cells of
a square grid of side ``resolution_m`` (default 50 m, aligned on the CRS origin),
the mask is dilated by one cell (4-neighbours, which joins cells touching by a
corner) and the polygon is the filled contour (level 0.5, contourpy) of that mask.

Tolerance: every point inside a polygon lies within ``3 * resolution_m`` of a
reached road point, from which the site is reached within ``B``; with the
off-network leg at the profile's access speed, the point itself is reached within
``B + 3 * resolution_m / access_speed`` (36 s with 50 m at 15 km/h) — plus, when the
point is snapped to a *node* as :func:`proximite.access.nearest` does, the leg from
that node rather than from the nearest road point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from scipy import ndimage

from proximite.access.engine import _check_network, times_from_sites
from proximite.errors import InputError
from proximite.network.core import RoadNetwork

#: Default grid resolution (m) of isochrone polygons.
RESOLUTION_M = 50.0


def tolerance_seconds(network: RoadNetwork, resolution_m: float = RESOLUTION_M) -> float:
    """Extra seconds a point inside an isochrone may need beyond its threshold
    (``3 * resolution_m`` at the access speed)."""
    return 3.0 * resolution_m / network.profile.access_speed_ms


def reached_samples(
    network: RoadNetwork, seconds: np.ndarray, budget: float, step: float
) -> np.ndarray:
    """Points (n, 2) sampled every <= ``step`` metres along the reached parts of edges,
    plus the reached nodes.

    Parameters
    ----------
    network : RoadNetwork
        The network.
    seconds : ndarray
        Node-indexed seconds to the target.
    budget : float
        Seconds.
    step : float
        Maximum spacing of the samples along a road, in metres.

    Returns
    -------
    ndarray (n, 2)
    """
    t = np.asarray(seconds, dtype=float)
    b = network.arrays
    tv = t[b.v]
    e = np.flatnonzero(tv <= budget)
    nodes = np.flatnonzero(t <= budget)
    node_xy = np.column_stack([network.x[nodes], network.y[nodes]])
    if len(e) == 0:
        return node_xy
    w = b.seconds[e]
    rem = budget - tv[e]
    f0 = np.where(w > 0, 1.0 - np.minimum(rem, w) / np.where(w > 0, w, 1.0), 0.0)
    vx, vy = b.vx, b.vy
    cumv = network.vertex_arclength
    ps = b.piece_start[b.piece[e]]
    pe = b.piece_end[b.piece[e]]
    total = cumv[pe] - cumv[ps]
    rev = b.reverse[e]
    lo = np.where(rev, 0.0, f0 * total)
    hi = np.where(rev, (1.0 - f0) * total, total)
    k = np.maximum(np.ceil((hi - lo) / step).astype(np.int64), 1) + 1
    owner = np.repeat(np.arange(len(e)), k)
    offsets = np.concatenate([[0], np.cumsum(k)[:-1]])
    j = np.arange(k.sum()) - np.repeat(offsets, k)
    s = lo[owner] + (hi - lo)[owner] * j / (k[owner] - 1)
    g = cumv[ps[owner]] + s
    a = np.searchsorted(cumv, g, side="right") - 1
    a = np.clip(a, ps[owner], np.maximum(pe[owner] - 1, ps[owner]))
    seg = cumv[a + 1] - cumv[a]
    frac = np.clip(np.where(seg > 0, (g - cumv[a]) / np.where(seg > 0, seg, 1.0), 0.0), 0, 1)
    sx = vx[a] + frac * (vx[a + 1] - vx[a])
    sy = vy[a] + frac * (vy[a + 1] - vy[a])
    return np.concatenate([node_xy, np.column_stack([sx, sy])])


def mask_polygon(xy: np.ndarray, resolution_m: float) -> shapely.Geometry:
    """Filled contour of the grid cells (side ``resolution_m``) holding points.

    Parameters
    ----------
    xy : ndarray (n, 2)
        Points.
    resolution_m : float
        Cell side, metres (cells aligned on the CRS origin).

    Returns
    -------
    shapely.Geometry
        (Multi)Polygon, empty without points.
    """
    import contourpy

    xy = np.asarray(xy, dtype=float)
    xy = xy[np.isfinite(xy).all(axis=1)]
    if len(xy) == 0:
        return shapely.Polygon()
    c = float(resolution_m)
    ij = np.floor(xy / c).astype(np.int64)
    i0, j0 = ij.min(axis=0) - 2
    i1, j1 = ij.max(axis=0) + 2
    mask = np.zeros((j1 - j0 + 1, i1 - i0 + 1), dtype=bool)
    mask[ij[:, 1] - j0, ij[:, 0] - i0] = True
    # 4-neighbour dilation: joins cells touching by a corner (no pinholes, fewer parts)
    mask = ndimage.binary_dilation(mask, structure=ndimage.generate_binary_structure(2, 1))
    mask = mask.astype(np.uint8)
    gx = (np.arange(i0, i1 + 1) + 0.5) * c
    gy = (np.arange(j0, j1 + 1) + 0.5) * c
    gen = contourpy.contour_generator(
        gx, gy, mask, name="serial", fill_type=contourpy.FillType.OuterOffset
    )
    pts, offs = gen.filled(0.5, 2.0)
    if not pts:
        return shapely.Polygon()
    coords = np.concatenate(pts)
    ring_len = np.concatenate([np.diff(o) for o in offs])
    ring_id = np.repeat(np.arange(len(ring_len)), ring_len)
    rings = shapely.linearrings(coords, indices=ring_id)
    poly_of_ring = np.repeat(np.arange(len(offs)), [len(o) - 1 for o in offs])
    polys = shapely.polygons(rings, indices=poly_of_ring)
    geom = shapely.multipolygons(polys) if len(polys) > 1 else polys[0]
    return geom if shapely.is_valid(geom) else shapely.make_valid(geom)


def reached_polygon(
    network: RoadNetwork,
    seconds: np.ndarray,
    budget: float,
    *,
    resolution_m: float = RESOLUTION_M,
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
    resolution_m : float
        Grid resolution in metres (see module notes for the tolerance).

    Returns
    -------
    shapely.Geometry
        A (Multi)Polygon, empty when nothing is reached.
    """
    if not resolution_m > 0:
        raise InputError("resolution_m must be > 0", field="resolution_m")
    xy = reached_samples(network, seconds, budget, resolution_m / 3.0)
    return mask_polygon(xy, resolution_m)


def _check_minutes(minutes: Any) -> list[float]:
    vals = [float(m) for m in np.atleast_1d(np.asarray(minutes, dtype=float))]
    if not vals or any(not (m > 0 and np.isfinite(m)) for m in vals):
        raise InputError(f"minutes must be positive numbers, got {minutes!r}", field="minutes")
    return vals


def isochrones(
    network: RoadNetwork,
    sites: Any,
    minutes: Any = (10, 20, 30),
    *,
    resolution_m: float = RESOLUTION_M,
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
    resolution_m : float
        Grid resolution in metres (see module notes for the tolerance).

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
                geoms.append(
                    reached_polygon(
                        network, times[row_of[s]], m * 60.0, resolution_m=resolution_m
                    )
                )
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
    resolution_m: float = RESOLUTION_M,
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
    resolution_m : float
        Grid resolution in metres.

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
    geoms = [reached_polygon(network, seconds, m * 60.0, resolution_m=resolution_m) for m in mins]
    return gpd.GeoDataFrame({"minutes": mins}, geometry=geoms, crs=network.crs)
