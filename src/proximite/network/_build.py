"""Vectorised construction of the directed graph from whole OSM ways.

Input: every vertex of every driveable way, in way order, with a *key* that
identifies shared vertices (an OSM node id, or an exact-coordinate id).
A vertex is a junction when its key occurs at least twice (used by two ways, or
twice by one way) or when it starts or ends a way. Each way is cut at its
junctions into *pieces*; each piece gives one or two directed edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj

from proximite.network.profile import SpeedProfile

#: Oneway codes per way: 1 forward only, -1 reverse only, 0 both ways.
FORWARD, REVERSE, BOTH = 1, -1, 0


@dataclass
class BuiltGraph:
    """Arrays of a built network (see :class:`proximite.network.RoadNetwork`)."""

    x: np.ndarray
    y: np.ndarray
    node_osmid: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    seconds: np.ndarray
    fclass_code: np.ndarray
    fclass_names: list[str]
    piece: np.ndarray
    reverse: np.ndarray
    piece_start: np.ndarray
    piece_end: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    stats: dict


def coordinate_keys(xy: np.ndarray, geographic: bool) -> np.ndarray:
    """Integer ids of equal coordinates (rounded to 1e-7 degree or 1 mm).

    Parameters
    ----------
    xy : ndarray (n, 2)
        Vertex coordinates.
    geographic : bool
        True for lon/lat degrees.

    Returns
    -------
    ndarray of int64
        Equal ids for equal (rounded) coordinates.
    """
    scale = 1e7 if geographic else 1e3
    q = np.round(np.asarray(xy, dtype=float) * scale).astype(np.int64)
    _, inv = np.unique(q, axis=0, return_inverse=True)
    return inv.reshape(-1).astype(np.int64)


def build_graph(
    key: np.ndarray,
    xy: np.ndarray,
    way: np.ndarray,
    fclass: np.ndarray,
    oneway: np.ndarray,
    maxspeed: np.ndarray,
    *,
    src_crs: pyproj.CRS,
    crs: pyproj.CRS,
    profile: SpeedProfile,
    node_ids_are_osm: bool = False,
) -> BuiltGraph:
    """Build the directed graph arrays from the vertices of whole ways.

    Parameters
    ----------
    key : ndarray of int64
        Per vertex, the id of the shared location (OSM node id or coordinate id).
    xy : ndarray (n, 2)
        Per vertex, coordinates in ``src_crs``.
    way : ndarray of int
        Per vertex, the index of its way (non-decreasing, vertices in way order).
    fclass, oneway, maxspeed : ndarray
        Per way: road class (str), oneway code (1, -1, 0), maxspeed km/h (0 = unknown).
    src_crs, crs : pyproj.CRS
        CRS of ``xy`` and the metric CRS of the network.
    profile : SpeedProfile
        Speeds; ways of classes outside the profile must already be removed.
    node_ids_are_osm : bool
        Keep ``key`` as ``node_osmid`` of each node (else -1).

    Returns
    -------
    BuiltGraph
    """
    key = np.asarray(key, dtype=np.int64)
    way = np.asarray(way, dtype=np.int64)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n_vert = len(key)
    stats: dict = {"ways": len(fclass), "vertices": int(n_vert)}

    # Project every vertex once.
    if pyproj.CRS(src_crs) != pyproj.CRS(crs):
        tr = pyproj.Transformer.from_crs(src_crs, crs, always_xy=True)
        px, py = tr.transform(xy[:, 0], xy[:, 1])
        px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    else:
        px, py = xy[:, 0].copy(), xy[:, 1].copy()

    if n_vert == 0:
        empty_i = np.zeros(0, dtype=np.int64)
        empty_f = np.zeros(0, dtype=float)
        return BuiltGraph(empty_f, empty_f, empty_i, empty_i, empty_i, empty_f, empty_f,
                          np.zeros(0, np.int16), [], empty_i, np.zeros(0, bool), empty_i,
                          empty_i, px, py, stats)

    # Junctions: key used at least twice, or a way end.
    ukey, kinv, kcount = np.unique(key, return_inverse=True, return_counts=True)
    kinv = kinv.reshape(-1)
    first = np.ones(n_vert, dtype=bool)
    first[1:] = way[1:] != way[:-1]
    last = np.ones(n_vert, dtype=bool)
    last[:-1] = way[1:] != way[:-1]
    junction = (kcount[kinv] >= 2) | first | last
    jpos = np.flatnonzero(junction)
    same = way[jpos[:-1]] == way[jpos[1:]]
    p_start = jpos[:-1][same]
    p_end = jpos[1:][same]
    p_way = way[p_start]

    # Nodes: the distinct keys of junction vertices.
    jkeys = np.unique(kinv[jpos])
    node_of_key = np.full(len(ukey), -1, dtype=np.int64)
    node_of_key[jkeys] = np.arange(len(jkeys))
    node_vertex = np.full(len(jkeys), -1, dtype=np.int64)
    # first occurrence of each junction key gives its coordinates
    nodes_at = node_of_key[kinv[jpos]]
    order = np.argsort(nodes_at, kind="stable")
    firsts = np.ones(len(order), dtype=bool)
    firsts[1:] = nodes_at[order][1:] != nodes_at[order][:-1]
    node_vertex[nodes_at[order][firsts]] = jpos[order][firsts]
    x = px[node_vertex]
    y = py[node_vertex]
    node_osmid = ukey[jkeys] if node_ids_are_osm else np.full(len(jkeys), -1, dtype=np.int64)

    # Lengths along the projected polylines.
    seg = np.hypot(np.diff(px), np.diff(py))
    seg[way[1:] != way[:-1]] = 0.0
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    p_len = cum[p_end] - cum[p_start]
    pu = node_of_key[kinv[p_start]]
    pv = node_of_key[kinv[p_end]]

    # Speeds per way.
    fclass = np.asarray(fclass).astype(str)
    names, fcode_way = np.unique(fclass, return_inverse=True)
    speed_way = profile.speeds_kmh(fclass, np.asarray(maxspeed, dtype=float))
    p_speed = speed_way[p_way] / 3.6
    p_sec = p_len / p_speed
    p_ow = np.asarray(oneway, dtype=np.int64)[p_way]
    p_id = np.arange(len(p_start), dtype=np.int64)

    fwd = p_ow != REVERSE
    bwd = p_ow != FORWARD
    u = np.concatenate([pu[fwd], pv[bwd]])
    v = np.concatenate([pv[fwd], pu[bwd]])
    length = np.concatenate([p_len[fwd], p_len[bwd]])
    sec = np.concatenate([p_sec[fwd], p_sec[bwd]])
    fcode = np.concatenate([fcode_way[p_way][fwd], fcode_way[p_way][bwd]]).astype(np.int16)
    piece = np.concatenate([p_id[fwd], p_id[bwd]])
    rev = np.concatenate([np.zeros(fwd.sum(), bool), np.ones(bwd.sum(), bool)])
    stats["pieces"] = len(p_start)
    return finish_edges(
        x, y, node_osmid, u, v, length, sec, fcode, [str(s) for s in names], piece, rev,
        p_start, p_end, px, py, stats,
    )


def finish_edges(
    x: np.ndarray,
    y: np.ndarray,
    node_osmid: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    length: np.ndarray,
    sec: np.ndarray,
    fcode: np.ndarray,
    names: list[str],
    piece: np.ndarray,
    rev: np.ndarray,
    p_start: np.ndarray,
    p_end: np.ndarray,
    vx: np.ndarray,
    vy: np.ndarray,
    stats: dict,
) -> BuiltGraph:
    """Drop self-loops, keep the fastest of parallel edges, sort edges by (u, v)."""
    keep = u != v
    stats["self_loops_dropped"] = int((~keep).sum())
    u, v, length, sec, fcode, piece, rev = (a[keep] for a in (u, v, length, sec, fcode, piece, rev))
    # fastest first within each (u, v); ties: shorter, then lower piece id
    order = np.lexsort((piece, length, sec, v, u))
    u, v = u[order], v[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    stats["parallel_dropped"] = int((~first).sum())
    sel = order[first]
    return BuiltGraph(
        x=np.ascontiguousarray(x, dtype=float),
        y=np.ascontiguousarray(y, dtype=float),
        node_osmid=np.asarray(node_osmid, dtype=np.int64),
        u=u[first].astype(np.int64),
        v=v[first].astype(np.int64),
        length_m=length[sel].astype(float),
        seconds=sec[sel].astype(float),
        fclass_code=fcode[sel].astype(np.int16),
        fclass_names=list(names),
        piece=piece[sel].astype(np.int64),
        reverse=rev[sel].astype(bool),
        piece_start=np.asarray(p_start, dtype=np.int64),
        piece_end=np.asarray(p_end, dtype=np.int64),
        vx=np.ascontiguousarray(vx, dtype=float),
        vy=np.ascontiguousarray(vy, dtype=float),
        stats=stats,
    )
