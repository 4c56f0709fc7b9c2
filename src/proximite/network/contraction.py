"""Exact contraction of the road graph to its junction core, for faster searches.

Most nodes of a road graph are on dead ends or on chains: in Hautes-Alpes, 48 % of
the 46k nodes are in trees hanging off the network (cul-de-sacs, hamlet roads) and
31 % on chains of degree-2 nodes between junctions. A shortest path between two
other nodes never enters a dead-end tree, and crosses a chain only end to end. The
searches therefore run on the *core*, about a fifth of the nodes:

1. the 2-core of the undirected graph (dead-end trees peeled off, leaf by leaf);
2. minus its degree-2 nodes: each chain becomes shortcut edges between its two end
   junctions, weighted by the chain's directed shortest times.

Every removed node belongs to one *piece* (a chain with the trees hanging off it,
or a tree hanging off a junction, or a whole component without junction), joined
to the core through at most two *anchors* (core nodes). Times are then completed
without any search:

- a node's time to the sites outside its piece is the best, over its anchors, of
  (time inside the piece to the anchor) + (the anchor's time);
- a site inside a piece enters the core search at the piece's anchors, and a small
  search on that piece alone settles the nodes of the piece.

Results are exact: the same shortest times as a search on the whole graph, up to
the reassociation of floating-point sums (checked against networkx to 1e-6 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra


def csr_from_edges(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix of the edges ``u -> v`` (weights ``w``), the fastest of parallels.

    Zero weights are kept as explicit entries: ``scipy.sparse.csgraph`` treats them as
    edges. The sort is stable (timsort), so nearly sorted edges cost little.
    """
    key = np.asarray(u, dtype=np.int64) * n + np.asarray(v, dtype=np.int64)
    order = np.argsort(key, kind="stable")
    key, w = key[order], np.asarray(w, dtype=float)[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    start = np.flatnonzero(first)
    if len(start) < len(key):
        w = np.minimum.reduceat(w, start)
        key = key[start]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key // max(n, 1), minlength=n), out=indptr[1:])
    return sp.csr_matrix((w, (key % max(n, 1)).astype(np.int32), indptr), shape=(n, n))


def _undirected_neighbours(u: np.ndarray, v: np.ndarray, n: int) -> sp.csr_matrix:
    a = sp.csr_matrix((np.ones(len(u), dtype=np.int8), (u, v)), shape=(n, n))
    a = a + a.T
    a.data[:] = 1
    return a.tocsr()


def _two_core(nbr: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of the 2-core (leaves peeled off until none is left) and their degree in it."""
    n = nbr.shape[0]
    deg = np.diff(nbr.indptr).astype(np.int64)
    alive = np.ones(n, dtype=bool)
    leaves = np.flatnonzero(deg <= 1)
    while len(leaves):
        alive[leaves] = False
        touched = nbr[leaves].indices
        np.subtract.at(deg, touched, 1)
        cand = np.unique(touched)
        leaves = cand[alive[cand] & (deg[cand] <= 1)]
    return alive, deg


@dataclass(frozen=True)
class Contraction:
    """The junction core of a directed graph and the pieces hanging off it.

    Build it with :func:`contract`. Node ids are those of the full graph; core
    positions index the core graph.

    Attributes
    ----------
    core : ndarray of int64
        Full ids of the core nodes, ascending.
    core_pos : ndarray of int64
        Full id -> position in ``core`` (-1 for piece nodes).
    core_reversed : scipy.sparse.csr_matrix
        The core graph, transposed (``[b, a]`` = seconds of a -> b), chains replaced
        by shortcuts.
    piece : ndarray of int64
        Full id -> piece id (-1 for core nodes).
    anchors : ndarray of int64, shape (n_pieces, 2)
        Core positions of each piece's anchors (slot 0 then 1; -1 when absent).
    members : ndarray of int64
        Full ids of the piece nodes, ascending.
    member_anchors : ndarray of int64, shape (len(members), 2)
        ``anchors`` of each member's piece.
    to_anchor : ndarray of float, shape (len(members), 2)
        Seconds from each member to its piece's anchors, inside the piece (``inf``
        when no such path or no anchor).
    pieces_reversed : tuple of ndarray
        Edges of the pieces, transposed, as ``(u, v, seconds, piece)``, in extended
        ids: members keep their full id, the anchor of ``(piece p, slot s)`` seen from
        that piece is the copy ``n + 2 p + s`` (so pieces never touch each other).
        Sorted by piece; piece ``p`` owns rows ``edge_ptr[p]:edge_ptr[p + 1]``.
    edge_ptr : ndarray of int64
    members_by_piece : ndarray of int64
        Members sorted by piece; piece ``p`` owns ``member_ptr[p]:member_ptr[p + 1]``.
    member_ptr : ndarray of int64
    """

    n: int
    core: np.ndarray
    core_pos: np.ndarray
    core_reversed: sp.csr_matrix
    piece: np.ndarray
    anchors: np.ndarray
    members: np.ndarray
    member_anchors: np.ndarray
    to_anchor: np.ndarray
    pieces_reversed: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    edge_ptr: np.ndarray
    members_by_piece: np.ndarray
    member_ptr: np.ndarray

    @property
    def n_core(self) -> int:
        """Number of core nodes."""
        return len(self.core)

    @property
    def n_pieces(self) -> int:
        """Number of pieces."""
        return len(self.anchors)

    def copy_id(self, piece: np.ndarray, slot: np.ndarray | int) -> np.ndarray:
        """Extended id of the anchor copy ``(piece, slot)``."""
        return self.n + 2 * np.asarray(piece, dtype=np.int64) + slot

    def expand(
        self, core_times: np.ndarray, limit: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-graph times from core times, for sources outside the pieces.

        Parameters
        ----------
        core_times : ndarray, shape (n_core,)
            Seconds from each core node to the sources (``inf`` where none).
        limit : float, optional
            Seconds; larger times of piece nodes become ``inf``.

        Returns
        -------
        times : ndarray, shape (n,)
            Core nodes keep their time; a piece node gets the best over its anchors of
            (seconds to the anchor) + (the anchor's time).
        via : ndarray of int64, shape (len(members),)
            Core position of the anchor used by each member (-1 when none).
        """
        ext = np.append(np.asarray(core_times, dtype=float), np.inf)
        anc = self.member_anchors  # (m, 2); -1 picks the appended inf
        t0 = ext[anc[:, 0]] + self.to_anchor[:, 0]
        t1 = ext[anc[:, 1]] + self.to_anchor[:, 1]
        use1 = t1 < t0
        best = np.where(use1, t1, t0)
        best[best > limit] = np.inf
        via = np.where(np.isinf(best), -1, np.where(use1, anc[:, 1], anc[:, 0]))
        times = np.empty(self.n)
        times[self.core] = core_times
        times[self.members] = best
        return times, via

    def expand_many(self, core_times: np.ndarray, limit: float = np.inf) -> np.ndarray:
        """:meth:`expand` for several sources at once (times only).

        Parameters
        ----------
        core_times : ndarray, shape (k, n_core)
            Seconds from each core node to each source.
        limit : float, optional
            Seconds; larger times of piece nodes become ``inf``.

        Returns
        -------
        ndarray, shape (k, n)
            Column-major: the work runs on node rows of ``k`` contiguous values.
        """
        core_times = np.asarray(core_times, dtype=float)
        k = core_times.shape[0]
        ext = np.empty((self.n_core + 1, k))
        ext[:-1] = core_times.T
        ext[-1] = np.inf
        best = ext[self.member_anchors[:, 0]]
        best += self.to_anchor[:, 0, None]
        other = ext[self.member_anchors[:, 1]]
        other += self.to_anchor[:, 1, None]
        np.minimum(best, other, out=best)
        best[best > limit] = np.inf
        times = np.empty((self.n, k))
        times[self.core] = ext[:-1]
        times[self.members] = best
        return times.T

    def members_of(self, pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The members of some pieces.

        Parameters
        ----------
        pieces : ndarray of int64
            Piece ids (repeats allowed).

        Returns
        -------
        owner, member : ndarray of int64
            For every member of every listed piece: the position in ``pieces``, and
            the member's full id.
        """
        pieces = np.asarray(pieces, dtype=np.int64)
        counts = self.member_ptr[pieces + 1] - self.member_ptr[pieces]
        owner = np.repeat(np.arange(len(pieces)), counts)
        return owner, self.members_by_piece[_ranges(self.member_ptr, pieces)]

    def local_graph(self, pieces: np.ndarray) -> LocalGraph:
        """The transposed subgraph of some pieces (with their anchor copies).

        Parameters
        ----------
        pieces : ndarray of int64
            Distinct piece ids.

        Returns
        -------
        LocalGraph
        """
        pieces = np.asarray(pieces, dtype=np.int64)
        _, mem = self.members_of(pieces)
        copies = np.sort(np.concatenate([self.copy_id(pieces, 0), self.copy_id(pieces, 1)]))
        nodes = np.concatenate([np.sort(mem), copies])
        local = np.full(self.n + 2 * self.n_pieces, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        e = _ranges(self.edge_ptr, pieces)
        u, v, w, _ = self.pieces_reversed
        graph = csr_from_edges(local[u[e]], local[v[e]], w[e], len(nodes))
        return LocalGraph(graph, local, nodes)


class LocalGraph(NamedTuple):
    """A few pieces as their own small graph (transposed).

    Attributes
    ----------
    graph : scipy.sparse.csr_matrix
        Rows/columns are local ids.
    local : ndarray of int64
        Extended id (see :class:`Contraction`) -> local id, -1 outside.
    nodes : ndarray of int64
        Local id -> extended id: the members (ascending) then the anchor copies.
    """

    graph: sp.csr_matrix
    local: np.ndarray
    nodes: np.ndarray


def _ranges(ptr: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(ptr[i], ptr[i + 1])`` for each ``i`` of ``ids``."""
    starts = ptr[ids]
    lens = ptr[ids + 1] - starts
    offsets = np.repeat(starts - np.cumsum(lens) + lens, lens)
    return offsets + np.arange(int(lens.sum()))


def contract(graph: sp.csr_matrix) -> Contraction:
    """Contract a directed graph (no self-loops, no parallel edges) to its junction core.

    Parameters
    ----------
    graph : scipy.sparse.csr_matrix
        ``graph[u, v]`` = seconds of the edge u -> v (explicit zeros are edges).

    Returns
    -------
    Contraction
    """
    n = graph.shape[0]
    coo = graph.tocoo()
    eu, ev, ew = coo.row, coo.col, coo.data.astype(float, copy=False)
    alive, deg = _two_core(_undirected_neighbours(eu, ev, n))
    is_core = alive & (deg >= 3)
    core = np.flatnonzero(is_core)
    core_pos = np.full(n, -1, dtype=np.int64)
    core_pos[core] = np.arange(len(core))

    # pieces: connected components of the non-core nodes
    both = ~is_core[eu] & ~is_core[ev]
    nc = _undirected_neighbours(eu[both], ev[both], n)
    _, label = connected_components(nc, directed=False)
    members = np.flatnonzero(~is_core)
    _, piece_of_member = np.unique(label[members], return_inverse=True)
    piece = np.full(n, -1, dtype=np.int64)
    piece[members] = piece_of_member
    n_pieces = int(piece_of_member.max()) + 1 if len(members) else 0

    # anchors: distinct core neighbours of each piece (at most two, by construction)
    cross_a = is_core[eu] != is_core[ev]
    pm = np.where(is_core[eu[cross_a]], piece[ev[cross_a]], piece[eu[cross_a]])
    cn = np.where(is_core[eu[cross_a]], eu[cross_a], ev[cross_a])
    key = np.unique(pm * n + cn)
    kp, kc = key // n, key % n
    run_start = np.ones(len(key), dtype=bool)
    run_start[1:] = kp[1:] != kp[:-1]
    idx = np.arange(len(key))
    slot = idx - np.maximum.accumulate(np.where(run_start, idx, 0))
    if len(slot) and slot.max() > 1:  # pragma: no cover - impossible for a 2-core split
        raise RuntimeError("graph contraction: a piece has more than two anchors")
    anchors = np.full((n_pieces, 2), -1, dtype=np.int64)
    anchors[kp, slot] = core_pos[kc]

    def ext(node: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Extended id of ``node`` as seen from the piece of ``other``."""
        out = node.astype(np.int64)
        c = is_core[node]
        if c.any():
            p = piece[other[c]]
            s = slot[np.searchsorted(key, p * n + node[c])]
            out[c] = n + 2 * p + s
        return out

    # edges inside pieces (transposed), anchors replaced by the piece's copies
    in_piece = ~(is_core[eu] & is_core[ev])
    pu, pv, pw = eu[in_piece], ev[in_piece], ew[in_piece]
    owner = np.where(is_core[pu], pv, pu)
    by_piece = np.argsort(piece[owner], kind="stable")
    pieces_reversed = tuple(
        a[by_piece] for a in (ext(pv, pu), ext(pu, pv), pw, piece[owner])
    )
    m_ext = n + 2 * n_pieces
    prev = csr_from_edges(pieces_reversed[0], pieces_reversed[1], pieces_reversed[2], m_ext)

    to_anchor = np.full((len(members), 2), np.inf)
    su, sv, sw = [], [], []  # shortcuts a_t -> a_s, forward
    has = anchors >= 0
    for s in (0, 1):
        src = n + 2 * np.flatnonzero(has[:, s]) + s
        if not len(src):
            continue
        d = dijkstra(prev, directed=True, indices=src, min_only=True)
        to_anchor[:, s] = d[members]
        t = 1 - s
        ok = has[:, s] & has[:, t]
        dt = d[n + 2 * np.arange(n_pieces) + t]
        ok &= np.isfinite(dt)
        su.append(anchors[ok, t])
        sv.append(anchors[ok, s])
        sw.append(dt[ok])

    # the core graph: edges between junctions (sorted, as in ``graph``) + shortcuts
    cc = is_core[eu] & is_core[ev]
    fu = np.concatenate([core_pos[eu[cc]], *su])
    fv = np.concatenate([core_pos[ev[cc]], *sv])
    fw = np.concatenate([ew[cc], *sw])
    core_reversed = csr_from_edges(fu, fv, fw, len(core)).T.tocsr()
    return Contraction(
        n=n,
        core=core,
        core_pos=core_pos,
        core_reversed=core_reversed,
        piece=piece,
        anchors=anchors,
        members=members,
        member_anchors=anchors[piece_of_member],
        to_anchor=to_anchor,
        pieces_reversed=pieces_reversed,
        edge_ptr=_pointers(pieces_reversed[3], n_pieces),
        members_by_piece=members[np.argsort(piece_of_member, kind="stable")],
        member_ptr=_pointers(piece_of_member, n_pieces),
    )


def _pointers(group: np.ndarray, n_groups: int) -> np.ndarray:
    """Start offsets (length ``n_groups + 1``) of the groups, once sorted by group."""
    ptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(group, minlength=n_groups), out=ptr[1:])
    return ptr
