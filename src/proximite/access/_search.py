"""The two searches behind the engine, run on the contracted graph (exact).

- :func:`nearest_times`: one multi-source Dijkstra; for every node, the time to the
  nearest source and which source;
- :func:`source_times`: one bounded Dijkstra per source; the ``(k, n)`` times.

A source is a node and a leg (seconds added at the source). Times are *to* the
sources: the searches run on transposed graphs. They run on the junction core of
:mod:`proximite.network.contraction`; the nodes of the pieces are then completed
from their anchors, and the pieces that hold a source are settled by a small search
on those pieces alone (from the sources inside and from their anchors, at the
anchors' times).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from proximite.network.contraction import Contraction, LocalGraph


def with_virtual_sources(
    graph: sp.csr_matrix, row: np.ndarray, col: np.ndarray, weight: np.ndarray, k: int
) -> sp.csr_matrix:
    """``graph`` plus ``k`` virtual nodes (ids n..n+k-1) with edges ``n + row -> col``.

    Explicit zero weights are kept (csgraph treats them as edges).
    """
    n = graph.shape[0]
    order = np.argsort(row, kind="stable")
    counts = np.bincount(row, minlength=k)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([graph.indices, np.asarray(col)[order].astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, np.asarray(weight, dtype=float)[order]])
    return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


class _Inside(NamedTuple):
    """The sources that lie inside pieces, and those pieces as one small graph."""

    index: np.ndarray  # positions of those sources
    piece: np.ndarray  # the piece of each
    local: LocalGraph


def _inside(c: Contraction, nodes: np.ndarray) -> _Inside | None:
    index = np.flatnonzero(c.core_pos[nodes] < 0)
    if not len(index):
        return None
    piece = c.piece[nodes[index]]
    return _Inside(index, piece, c.local_graph(np.unique(piece)))


def _entries(
    c: Contraction, nodes: np.ndarray, legs: np.ndarray, limit: float, ins: _Inside | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each source enters the core: ``(source, core position, seconds)`` triplets.

    A source on a core node enters there with its leg; a source inside a piece
    enters at each anchor from which it is reached inside the piece (leg + seconds
    from the anchor to the source).
    """
    pos = c.core_pos[nodes]
    on_core = np.flatnonzero(pos >= 0)
    row, col, w = [on_core], [pos[on_core]], [legs[on_core]]
    if ins is not None:
        lg = ins.local
        d = dijkstra(lg.graph, directed=True, indices=lg.local[nodes[ins.index]], limit=limit)
        d = np.atleast_2d(d)
        rows = np.arange(len(ins.index))
        for slot in (0, 1):
            t = d[rows, lg.local[c.copy_id(ins.piece, slot)]] + legs[ins.index]
            anchor = c.anchors[ins.piece, slot]
            ok = (anchor >= 0) & (t <= limit)
            row.append(ins.index[ok])
            col.append(anchor[ok])
            w.append(t[ok])
    return np.concatenate(row), np.concatenate(col), np.concatenate(w)


def _core_search(
    c: Contraction, nodes: np.ndarray, legs: np.ndarray, limit: float, ins: _Inside | None,
    **kwargs: bool,
) -> tuple[np.ndarray, ...] | np.ndarray:
    """Dijkstra on the transposed core from one virtual node per source."""
    k = len(nodes)
    graph = with_virtual_sources(c.core_reversed, *_entries(c, nodes, legs, limit, ins), k)
    return dijkstra(graph, directed=True, indices=c.n_core + np.arange(k), limit=limit,
                    **kwargs)


def nearest_times(
    c: Contraction, nodes: np.ndarray, legs: np.ndarray, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Time from every node to its nearest source, and which source.

    Parameters
    ----------
    c : Contraction
        The contracted graph.
    nodes, legs : ndarray
        Source nodes (distinct) and their legs (seconds).
    limit : float
        Seconds; larger times are ``inf``.

    Returns
    -------
    seconds : ndarray of float, shape (n,)
    source : ndarray of int64, shape (n,)
        Position in ``nodes`` of the nearest source (-1 where none).
    """
    nc = c.n_core
    ins = _inside(c, nodes)
    dist, _, src = _core_search(c, nodes, legs, limit, ins, min_only=True,
                                return_predecessors=True)
    core_t = np.asarray(dist[:nc], dtype=float)
    core_s = np.where(src[:nc] >= nc, src[:nc] - nc, -1).astype(np.int64)
    core_t[core_s < 0] = np.inf
    seconds, via = c.expand(core_t, limit)
    source = np.full(c.n, -1, dtype=np.int64)
    source[c.core] = core_s
    source[c.members] = np.append(core_s, -1)[via]  # via -1: none

    if ins is not None:  # settle the pieces holding a source
        lg = ins.local
        piece = np.unique(ins.piece)
        cols, ws, label = [lg.local[nodes[ins.index]]], [legs[ins.index]], [ins.index]
        for slot in (0, 1):  # the anchors enter at their (final) core time
            anchor = c.anchors[piece, slot]
            t = np.full(len(piece), np.inf)
            t[anchor >= 0] = core_t[anchor[anchor >= 0]]
            ok = np.isfinite(t)
            cols.append(lg.local[c.copy_id(piece[ok], slot)])
            ws.append(t[ok])
            label.append(core_s[anchor[ok]])
        label = np.concatenate(label)
        m = len(lg.nodes)
        graph = with_virtual_sources(
            lg.graph, np.arange(len(label)), np.concatenate(cols), np.concatenate(ws), len(label)
        )
        d, _, s = dijkstra(graph, directed=True, indices=m + np.arange(len(label)),
                           min_only=True, return_predecessors=True, limit=limit)
        mem = np.flatnonzero(lg.nodes < c.n)
        got = s[mem] >= m
        seconds[lg.nodes[mem]] = np.where(got, d[mem], np.inf)
        source[lg.nodes[mem]] = np.where(got, label[np.maximum(s[mem] - m, 0)], -1)
    return seconds, source


def source_times(
    c: Contraction, nodes: np.ndarray, legs: np.ndarray, limit: float
) -> np.ndarray:
    """Times from every node to each source.

    Parameters
    ----------
    c : Contraction
        The contracted graph.
    nodes, legs : ndarray
        Source nodes (repeats allowed) and their legs (seconds).
    limit : float
        Seconds; larger times are ``inf``.

    Returns
    -------
    ndarray of float, shape (k, n)
        ``[i, v]`` = seconds from node ``v`` to source ``i`` (column-major).
    """
    ins = _inside(c, nodes)
    core_t = np.atleast_2d(_core_search(c, nodes, legs, limit, ins))
    core_t = np.ascontiguousarray(core_t[:, : c.n_core])
    times = c.expand_many(core_t, limit)

    if ins is not None:  # settle each source's own piece
        lg = ins.local
        rows, cols, ws = [np.arange(len(ins.index))], [lg.local[nodes[ins.index]]], \
            [legs[ins.index]]
        for slot in (0, 1):  # the anchors enter at the source's core times
            anchor = c.anchors[ins.piece, slot]
            t = np.full(len(ins.index), np.inf)
            has = anchor >= 0
            t[has] = core_t[ins.index[has], anchor[has]]
            ok = np.isfinite(t)
            rows.append(np.flatnonzero(ok))
            cols.append(lg.local[c.copy_id(ins.piece[ok], slot)])
            ws.append(t[ok])
        m = len(lg.nodes)
        graph = with_virtual_sources(
            lg.graph, np.concatenate(rows), np.concatenate(cols), np.concatenate(ws),
            len(ins.index),
        )
        d = dijkstra(graph, directed=True, indices=m + np.arange(len(ins.index)), limit=limit)
        d = np.atleast_2d(d)
        mem = np.flatnonzero(lg.nodes < c.n)
        mem_piece = c.piece[lg.nodes[mem]]
        for r, (i, p) in enumerate(zip(ins.index, ins.piece, strict=True)):
            own = mem[mem_piece == p]
            times[i, lg.nodes[own]] = d[r, own]
    return times
