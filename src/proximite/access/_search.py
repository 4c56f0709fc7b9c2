"""The two searches behind the engine, run on the contracted graph (exact).

- :func:`nearest_times`: one multi-source Dijkstra; for every node, the time to the
  nearest source and which source;
- :func:`source_times`: one bounded Dijkstra per source; the ``(k, n)`` times.

A source is a node and a leg (seconds added at the source). Times are *to* the
sources: the searches run on transposed graphs. They run on the junction core of
:mod:`proximite.network.contraction`; the nodes of the pieces are then completed
from their anchors. A source inside a piece is first searched on its piece alone:
that search gives both where it enters the core (at the piece's anchors) and the
times of its own piece's nodes that do not leave the piece.
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
    """The sources that lie inside pieces, searched on those pieces alone."""

    index: np.ndarray  # positions of those sources
    piece: np.ndarray  # the piece of each
    local: LocalGraph  # their pieces, as one small graph
    seconds: np.ndarray  # (len(index), local nodes): time to each source inside its piece


def _inside(c: Contraction, nodes: np.ndarray, legs: np.ndarray, limit: float) -> _Inside | None:
    index = np.flatnonzero(c.core_pos[nodes] < 0)
    if not len(index):
        return None
    piece = c.piece[nodes[index]]
    lg = c.local_graph(np.unique(piece))
    d = dijkstra(lg.graph, directed=True, indices=lg.local[nodes[index]], limit=limit)
    return _Inside(index, piece, lg, np.atleast_2d(d) + legs[index, None])


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
        rows = np.arange(len(ins.index))
        for slot in (0, 1):
            t = ins.seconds[rows, ins.local.local[c.copy_id(ins.piece, slot)]]
            anchor = c.anchors[ins.piece, slot]
            ok = (anchor >= 0) & (t <= limit)
            row.append(ins.index[ok])
            col.append(anchor[ok])
            w.append(t[ok])
    return np.concatenate(row), np.concatenate(col), np.concatenate(w)


def _own_piece(
    c: Contraction, ins: _Inside, limit: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(row in ins, member, seconds)``: the time from each member of a source's own
    piece to that source without leaving the piece (within ``limit``).

    The exact time of such a member is the smaller of this and the time through the
    piece's anchors that :meth:`Contraction.expand` gives.
    """
    row, member = c.members_of(ins.piece)
    t = ins.seconds[row, ins.local.local[member]]
    ok = t <= limit
    return row[ok], member[ok], t[ok]


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
    ins = _inside(c, nodes, legs, limit)
    dist, _, src = _core_search(c, nodes, legs, limit, ins, min_only=True,
                                return_predecessors=True)
    core_t = np.asarray(dist[:nc], dtype=float)
    core_s = np.where(src[:nc] >= nc, src[:nc] - nc, -1).astype(np.int64)
    core_t[core_s < 0] = np.inf
    seconds, via = c.expand(core_t, limit)
    source = np.full(c.n, -1, dtype=np.int64)
    source[c.core] = core_s
    source[c.members] = np.append(core_s, -1)[via]  # via -1: none

    if ins is not None:  # inside the pieces holding sources: the best of both ways
        row, member, t = _own_piece(c, ins, limit)
        order = np.lexsort((t, member))
        row, member, t = row[order], member[order], t[order]
        first = np.ones(len(member), dtype=bool)
        first[1:] = member[1:] != member[:-1]
        row, member, t = row[first], member[first], t[first]
        better = t < seconds[member]
        seconds[member[better]] = t[better]
        source[member[better]] = ins.index[row[better]]
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
    ins = _inside(c, nodes, legs, limit)
    core_t = np.atleast_2d(_core_search(c, nodes, legs, limit, ins))
    core_t = np.ascontiguousarray(core_t[:, : c.n_core])
    times = c.expand_many(core_t, limit)
    if ins is not None:  # inside each source's own piece: the best of both ways
        row, member, t = _own_piece(c, ins, limit)
        i = ins.index[row]
        times[i, member] = np.minimum(times[i, member], t)
    return times
