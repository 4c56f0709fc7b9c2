"""Vectorised geometry of (parts of) directed edges, for isochrones and maps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:  # pragma: no cover
    from proximite.network.core import RoadNetwork


def _ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``range(s, s + c)`` and the owner index of each element."""
    owner = np.repeat(np.arange(len(starts)), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(counts.sum()) - np.repeat(offsets, counts) + np.repeat(starts, counts)
    return pos, owner


def edge_sublines(
    network: RoadNetwork, edges: np.ndarray, start_fraction: np.ndarray
) -> np.ndarray:
    """Lines of the end parts of directed edges: from ``start_fraction`` of the edge
    (measured from its tail ``u``, along the road) to its head ``v``.

    Parameters
    ----------
    network : RoadNetwork
        The network holding the edge geometry.
    edges : ndarray of int
        Edge ids (rows of ``network.edges``).
    start_fraction : ndarray of float
        In [0, 1]; 0 gives the whole edge.

    Returns
    -------
    ndarray of shapely.LineString
        One line per edge, drawn from ``u`` towards ``v``.
    """
    b = network.arrays
    edges = np.asarray(edges, dtype=np.int64)
    f0 = np.clip(np.asarray(start_fraction, dtype=float), 0.0, 1.0)
    k = len(edges)
    if k == 0:
        return np.array([], dtype=object)
    vx, vy = b.vx, b.vy
    cumv = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(vx), np.diff(vy)))])
    ps = b.piece_start[b.piece[edges]]
    pe = b.piece_end[b.piece[edges]]
    rev = b.reverse[edges]
    total = cumv[pe] - cumv[ps]
    # the kept interval [lo, hi] in arc length from the piece's first vertex
    lo = np.where(rev, 0.0, f0 * total)
    hi = np.where(rev, (1.0 - f0) * total, total)
    counts = pe - ps + 1
    pos, owner = _ranges(ps, counts)
    s = cumv[pos] - cumv[ps[owner]]

    def interpolate(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # index (within piece) of the last vertex with s <= at, clipped to a segment start
        j = np.bincount(owner, weights=(s <= at[owner]), minlength=k).astype(np.int64) - 1
        j = np.clip(j, 0, counts - 2)
        a = ps + j
        seg = cumv[a + 1] - cumv[a]
        t = np.where(seg > 0, (at - (cumv[a] - cumv[ps])) / np.where(seg > 0, seg, 1.0), 0.0)
        t = np.clip(t, 0.0, 1.0)
        return vx[a] + t * (vx[a + 1] - vx[a]), vy[a] + t * (vy[a + 1] - vy[a])

    x0, y0 = interpolate(lo)
    x1, y1 = interpolate(hi)
    inner = (s > lo[owner]) & (s < hi[owner])
    ex = np.concatenate([x0, vx[pos[inner]], x1])
    ey = np.concatenate([y0, vy[pos[inner]], y1])
    eo = np.concatenate([np.arange(k), owner[inner], np.arange(k)])
    seq = np.concatenate([lo, s[inner], hi])
    seq = np.where(rev[eo], -seq, seq)  # reversed edges are drawn from u = piece end
    order = np.lexsort((seq, eo))
    return shapely.linestrings(ex[order], ey[order], indices=eo[order])
