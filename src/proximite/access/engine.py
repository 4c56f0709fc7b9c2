"""Exact travel times: nearest site (one multi-source Dijkstra) and OD matrices.

Times are car times *to* a site: from a node (or point) to the site's node along the
directed graph, plus the site's off-network leg (and the point's own leg for points).
Off-network legs are straight lines at ``profile.access_speed_kmh``.

Method: the site legs become edges from one virtual node per site to the site's node
in the *reversed* graph, and one ``scipy.sparse.csgraph.dijkstra`` call with
``indices`` = the virtual nodes and ``min_only=True`` gives, for every node, the
shortest time to any site and (``sources``) which site. The searches run on the
junction core of the network (:mod:`proximite.network.contraction`, about a fifth
of the nodes), the other nodes being completed exactly from it
(:mod:`proximite.access._search`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from proximite.access._search import nearest_times, source_times
from proximite.errors import InputError
from proximite.network.contraction import Contraction
from proximite.network.core import RoadNetwork

#: Target size (float64 cells) of the dense blocks of multi-source searches.
BLOCK_CELLS = 1 << 24


@dataclass(frozen=True)
class NearestResult:
    """Travel time to the nearest site.

    Attributes
    ----------
    seconds : ndarray of float
        Seconds to the nearest site (access legs included); ``inf`` when unreachable
        (or beyond the cutoff). Indexed by node id, or by point when points were given.
    site : ndarray of int64
        Position (0-based row) in ``sites`` of that nearest site; -1 where none.
    node : ndarray of int64 or None
        For points: the snapped node (-1 when unsnappable); ``None`` for node results.
    distance_m : ndarray of float or None
        For points: the snap distance.
    """

    seconds: np.ndarray
    site: np.ndarray
    node: np.ndarray | None = None
    distance_m: np.ndarray | None = None

    @property
    def minutes(self) -> np.ndarray:
        """:attr:`seconds` / 60."""
        return self.seconds / 60.0


def _check_network(network: Any) -> RoadNetwork:
    if not isinstance(network, RoadNetwork):
        raise InputError(f"expected a RoadNetwork, got {type(network).__name__}")
    return network


def _check_cutoff(cutoff: float | None) -> float:
    if cutoff is None:
        return np.inf
    cutoff = float(cutoff)
    if not cutoff >= 0:
        raise InputError(f"cutoff must be >= 0 seconds, got {cutoff}", field="cutoff")
    return cutoff


def _point_legs(network: RoadNetwork, points: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    snap = network.snap(points)
    pos = np.flatnonzero(snap.node >= 0)
    return pos, snap.node[pos], network.access_seconds(snap.distance_m[pos])


def site_sources(network: RoadNetwork, sites: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Snapped sites as search sources, one per node (the nearest leg wins).

    Parameters
    ----------
    network : RoadNetwork
        The network.
    sites : GeoDataFrame or GeoSeries
        Site points with a CRS.

    Returns
    -------
    node, leg, site : ndarray
        Distinct source nodes, their leg seconds, and the site position kept for each
        (ties between sites of one node: the lowest position).
    """
    pos, node, leg = _point_legs(network, sites)
    order = np.lexsort((pos, leg, node))
    node, leg, pos = node[order], leg[order], pos[order]
    first = np.ones(len(node), dtype=bool)
    first[1:] = node[1:] != node[:-1]
    return node[first], leg[first], pos[first]


def nearest(
    network: RoadNetwork,
    sites: Any,
    points: Any = None,
    *,
    cutoff: float | None = None,
) -> NearestResult:
    """Travel time from every node (or point) to its nearest site.

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    sites : GeoDataFrame or GeoSeries
        Site points with a CRS; sites farther than ``max_snap_m`` from the network
        are never chosen.
    points : GeoDataFrame or GeoSeries, optional
        When given, results are per point, the point's own access leg included
        (``inf`` / -1 for points that cannot be snapped).
    cutoff : float, optional
        Seconds; times above it are reported as ``inf`` (site -1). Also speeds up
        the search.

    Returns
    -------
    NearestResult
        ``seconds`` and ``site`` (node-indexed, or point-indexed with ``points``).

    Notes
    -----
    One Dijkstra search on the reversed graph from all sites at once (the legs are
    the initial costs), exact to floating point. Between sites at equal time the
    search order decides, deterministically.

    Examples
    --------
    >>> import numpy as np
    >>> from proximite import RoadNetwork, access, load_france_services, paths
    >>> net = RoadNetwork.from_file(paths.ROADS_05, cache=True)
    >>> result = access.nearest(net, load_france_services(departements=["05"]))
    >>> result.seconds.shape == (net.n_nodes,)
    True
    >>> bool(np.isfinite(result.seconds).mean() > 0.95), int(result.site.max())
    (True, 20)
    """
    network = _check_network(network)
    limit = _check_cutoff(cutoff)
    n = network.n_nodes
    nodes, legs, pos = site_sources(network, sites)
    seconds = np.full(n, np.inf)
    site = np.full(n, -1, dtype=np.int64)
    if len(nodes) and n:
        seconds, src = nearest_times(network.contraction, nodes, legs, limit)
        site[src >= 0] = pos[src[src >= 0]]
    if points is None:
        return NearestResult(seconds, site)
    snap = network.snap(points)
    ok = snap.node >= 0
    t = np.full(len(snap.node), np.inf)
    s = np.full(len(snap.node), -1, dtype=np.int64)
    t[ok] = network.access_seconds(snap.distance_m[ok]) + seconds[snap.node[ok]]
    s[ok] = site[snap.node[ok]]
    over = ~(t <= limit)
    t[over] = np.inf
    s[over] = -1
    return NearestResult(t, s, node=snap.node, distance_m=snap.distance_m)


def _one_side(
    contraction: Contraction,
    src_pos: np.ndarray,
    src_node: np.ndarray,
    src_leg: np.ndarray,
    dst_pos: np.ndarray,
    dst_node: np.ndarray,
    dst_leg: np.ndarray,
    limit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Searches from the distinct source nodes, in blocks; (src, dst, seconds) triplets."""
    n = contraction.n
    uniq, row_of = np.unique(src_node, return_inverse=True)
    rows_out, cols_out, vals_out = [], [], []
    per_block = max(1, BLOCK_CELLS // max(n, 1))
    for b0 in range(0, len(uniq), per_block):
        block = uniq[b0 : b0 + per_block]
        dist = source_times(contraction, block, np.zeros(len(block)), limit)[:, dst_node]
        members = np.flatnonzero((row_of >= b0) & (row_of < b0 + len(block)))
        per_sub = max(1, BLOCK_CELLS // max(len(dst_node), 1))
        for s0 in range(0, len(members), per_sub):
            m = members[s0 : s0 + per_sub]
            t = dist[row_of[m] - b0] + src_leg[m, None] + dst_leg[None, :]
            i, j = np.nonzero(t <= limit)
            rows_out.append(src_pos[m][i])
            cols_out.append(dst_pos[j])
            vals_out.append(t[i, j])
    if not rows_out:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(rows_out), np.concatenate(cols_out), np.concatenate(vals_out)


def od_matrix(
    network: RoadNetwork,
    origins: Any,
    destinations: Any,
    *,
    cutoff: float,
) -> sp.csr_matrix:
    """Travel seconds between every origin and destination within a cutoff.

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    origins, destinations : GeoDataFrame or GeoSeries
        Points with a CRS.
    cutoff : float
        Seconds; pairs above it (or unreachable, or unsnappable) are left out.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n_origins, n_destinations)``; stored entries are the seconds (both access
        legs included), *explicit zeros included* (an origin on its destination):
        a missing entry means "not within the cutoff", use ``.toarray()`` with care.

    Notes
    -----
    Dijkstra searches run (``limit=cutoff``) from the distinct snapped nodes of the
    smaller side, origins on the graph or destinations on the reversed graph, several
    sources per ``scipy.sparse.csgraph.dijkstra`` call, on the junction core
    (:attr:`RoadNetwork.contraction`, :attr:`RoadNetwork.contraction_forward`).
    """
    network = _check_network(network)
    if cutoff is None:
        raise InputError("od_matrix needs a cutoff in seconds", field="cutoff")
    limit = _check_cutoff(cutoff)
    o_pos, o_node, o_leg = _point_legs(network, origins)
    d_pos, d_node, d_leg = _point_legs(network, destinations)
    shape = (len(origins), len(destinations))
    if len(o_pos) == 0 or len(d_pos) == 0:
        return sp.csr_matrix(shape, dtype=float)
    if len(np.unique(d_node)) < len(np.unique(o_node)):
        c, r, val = _one_side(
            network.contraction, d_pos, d_node, d_leg, o_pos, o_node, o_leg, limit
        )
    else:
        r, c, val = _one_side(
            network.contraction_forward, o_pos, o_node, o_leg, d_pos, d_node, d_leg, limit
        )
    order = np.lexsort((c, r))
    r, c, val = r[order], c[order], val[order]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=shape[0]), out=indptr[1:])
    return sp.csr_matrix((val, c, indptr), shape=shape)


def times_from_sites(
    network: RoadNetwork, sites: Any, *, cutoff: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-site node times (site leg included), in blocks of sites.

    Yields nothing lazily: returns ``(positions, times)`` where ``times[i]`` is the
    node-indexed array of seconds from each node to site ``positions[i]``.
    Memory: ``len(sites) * n_nodes`` floats.
    """
    network = _check_network(network)
    limit = _check_cutoff(cutoff)
    pos, nodes, legs = _point_legs(network, sites)
    n = network.n_nodes
    per_block = max(1, BLOCK_CELLS // max(n, 1))
    if len(pos) <= per_block:
        return pos, source_times(network.contraction, nodes, legs, limit)
    out = np.empty((n, len(pos))).T  # column-major, as the blocks come
    for b0 in range(0, len(pos), per_block):
        sl = slice(b0, b0 + per_block)
        out[sl] = source_times(network.contraction, nodes[sl], legs[sl], limit)
    return pos, out


@dataclass(frozen=True)
class Route:
    """The fastest route between two points.

    Attributes
    ----------
    seconds : float
        Car time, both access legs included (``inf`` when unreachable).
    meters : float
        Distance along that route, both straight access legs included.
    nodes : ndarray of int64
        Node ids of the path, origin node first (empty when unreachable).
    """

    seconds: float
    meters: float
    nodes: np.ndarray


def route(network: RoadNetwork, origin: Any, destination: Any) -> Route:
    """Fastest route from one point to another (same engine as :func:`nearest`).

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    origin, destination : GeoDataFrame or GeoSeries
        One point each, with a CRS.

    Returns
    -------
    Route

    Raises
    ------
    InputError
        A point is not a single point, or is farther than ``max_snap_m`` from the
        usable network.
    """
    network = _check_network(network)
    ends = []
    for name, pts in (("origin", origin), ("destination", destination)):
        if len(pts) != 1:
            raise InputError(f"{name} must be one point, got {len(pts)}", field=name)
        snap = network.snap(pts)
        if snap.node[0] < 0:
            raise InputError(
                f"{name} is {snap.distance_m[0]:.0f} m from the nearest usable road node "
                f"(more than max_snap_m = {network.profile.max_snap_m:.0f} m)",
                field=name,
            )
        ends.append((int(snap.node[0]), float(snap.distance_m[0])))
    (a, da), (b, db) = ends
    dist, pred = dijkstra(network.graph, directed=True, indices=a, return_predecessors=True)
    if not np.isfinite(dist[b]):
        return Route(np.inf, np.inf, np.zeros(0, dtype=np.int64))
    path = [b]
    while path[-1] != a:
        path.append(int(pred[path[-1]]))
    nodes = np.asarray(path[::-1], dtype=np.int64)
    arr = network.arrays
    # edge ids of the path: edges are unique and sorted by (u, v)
    n = network.n_nodes
    eid = np.searchsorted(arr.u.astype(np.int64) * n + arr.v, nodes[:-1] * n + nodes[1:])
    legs = network.access_seconds(np.array([da, db])).sum()
    meters = float(arr.length_m[eid].sum()) + da + db
    return Route(float(dist[b] + legs), meters, nodes)
