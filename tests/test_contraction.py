"""The junction-core contraction: structure on a hand-made graph, exactness of the
searches that run on it (hypothesis road-like graphs and the real 05 network),
against networkx on the full graph."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from _network_fixtures import X0, Y0, network_05, nx_05, pts, sites_05
from proximite import access
from proximite.network import RoadNetwork, SpeedProfile
from proximite.network.contraction import contract, csr_from_edges

ACCESS = SpeedProfile.default().access_speed_ms


def _two_way(pairs, w=10.0):
    return [(a, b, w) for a, b in pairs] + [(b, a, w) for a, b in pairs]


def handmade() -> tuple[sp.csr_matrix, list[tuple[int, int, float]]]:
    """K4 junctions 0-3; chain 0-4-5-1 with a leaf 9 on 4; tree 6(7, 8) off 2;
    loop chain 3-10-11-3; one-way chain 2 -> 18 -> 3 (faster than the direct 2 -> 3);
    a tree component 12-13-14 and a cycle 15-16-17 without junctions."""
    edges = _two_way([(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)], 100.0)
    edges += _two_way([(0, 4), (4, 5), (5, 1), (4, 9), (2, 6), (6, 7), (6, 8),
                       (3, 10), (10, 11), (11, 3), (12, 13), (13, 14),
                       (15, 16), (16, 17), (17, 15)])
    edges += [(2, 18, 5.0), (18, 3, 5.0)]
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    return csr_from_edges(u, v, w, 19), edges


def test_structure_of_handmade_graph():
    g, _ = handmade()
    c = contract(g)
    assert c.core.tolist() == [0, 1, 2, 3]
    groups = {}
    for node in c.members:
        groups.setdefault(int(c.piece[node]), []).append(int(node))
    pieces = sorted(sorted(m) for m in groups.values())
    assert pieces == [[4, 5, 9], [6, 7, 8], [10, 11], [12, 13, 14], [15, 16, 17], [18]]

    def anchors_of(node):
        a = c.anchors[c.piece[node]]
        return sorted(int(c.core[x]) for x in a if x >= 0)

    assert anchors_of(4) == [0, 1] and anchors_of(7) == [2] and anchors_of(10) == [3]
    assert anchors_of(12) == [] and anchors_of(15) == [] and anchors_of(18) == [2, 3]
    # shortcuts: the one-way chain gives 2 -> 3 in 10 s (not 3 -> 2); chain 0-4-5-1 30 s
    cr = c.core_reversed.toarray()  # [b, a] = seconds a -> b
    assert cr[3, 2] == 10.0 and cr[2, 3] == 100.0
    assert cr[1, 0] == 30.0 and cr[0, 1] == 30.0
    # a member's seconds to its anchors, inside its piece
    i9 = np.searchsorted(c.members, 9)
    slots = {int(c.core[a]): t for a, t in zip(c.member_anchors[i9], c.to_anchor[i9],
                                                strict=True)}
    assert slots == {0: 20.0, 1: 30.0}
    i18 = np.searchsorted(c.members, 18)
    slots = {int(c.core[a]): t for a, t in zip(c.member_anchors[i18], c.to_anchor[i18],
                                                strict=True)}
    assert slots == {2: np.inf, 3: 5.0}  # one-way: 18 cannot drive back to 2


def test_expand_equals_full_search_on_handmade_graph():
    g, _ = handmade()
    c = contract(g)
    full = dijkstra(g.T.tocsr(), indices=[1, 2], min_only=True)
    core = dijkstra(c.core_reversed, indices=c.core_pos[[1, 2]], min_only=True)
    times, via = c.expand(core)
    np.testing.assert_array_equal(times, full)  # sums of small integers: exact
    assert np.isinf(times[12:18]).all() and (via[np.isin(c.members, range(12, 18))] == -1).all()
    full2 = dijkstra(g.T.tocsr(), indices=[0], min_only=True)
    core2 = dijkstra(c.core_reversed, indices=c.core_pos[[0]], min_only=True)
    many = c.expand_many(np.vstack([core, core2]))
    assert many.shape == (2, 19)
    np.testing.assert_array_equal(many[0], full)
    np.testing.assert_array_equal(many[1], full2)  # the second source: node 0 alone


# --------------------------------------------------------------------------- hypothesis
@st.composite
def road_like(draw):
    """A random tree (dead ends, chains) plus a few extra links, mixed one-ways,
    zero and positive weights; sites off the nodes (legs); an optional cutoff."""
    n = draw(st.integers(2, 40))
    parent = [draw(st.integers(0, i - 1)) for i in range(1, n)]
    pairs = list(zip(range(1, n), parent, strict=True))
    extra = draw(st.integers(0, max(1, n // 3)))
    pairs += [(draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))) for _ in range(extra)]
    u, v, w = [], [], []
    for a, b in pairs:
        mode = draw(st.sampled_from(["both", "both", "both", "ab", "ba"]))
        sec = draw(st.one_of(st.just(0.0), st.floats(1, 900)))
        if mode in ("both", "ab"):
            u.append(a), v.append(b), w.append(sec)
        if mode in ("both", "ba"):
            u.append(b), v.append(a), w.append(sec)
    k = draw(st.integers(1, 5))
    sites = [draw(st.integers(0, n - 1)) for _ in range(k)]
    offsets = [draw(st.floats(0, 300)) for _ in range(k)]
    cutoff = draw(st.one_of(st.none(), st.floats(0, 3000)))
    return n, np.array(u, dtype=np.int64), np.array(v, dtype=np.int64), np.array(w), \
        sites, offsets, cutoff


def _reference(n, u, v, w, sites, legs_m, cutoff):
    """networkx on the full reversed graph: per-site times (leg included)."""
    R = nx.DiGraph()
    R.add_nodes_from(range(n))
    for a, b, c in zip(u, v, w, strict=True):
        if a != b and (not R.has_edge(b, a) or R[b][a]["w"] > c):
            R.add_edge(int(b), int(a), w=float(c))
    limit = np.inf if cutoff is None else cutoff
    out = np.full((len(sites), n), np.inf)
    for i, (s, off) in enumerate(zip(sites, legs_m, strict=True)):
        for node, t in nx.single_source_dijkstra_path_length(R, s, weight="w").items():
            total = t + off / ACCESS
            if total <= limit:
                out[i, node] = total
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(road_like())
def test_searches_on_contraction_equal_networkx(g):
    n, u, v, w, sites, offsets, cutoff = g
    prof = SpeedProfile.from_dict({**SpeedProfile.default().to_dict(),
                                   "access": {"min_component_nodes": 1}})
    net = RoadNetwork.from_edges(np.arange(n) * 5000.0 + X0, np.full(n, Y0), u, v, w,
                                 profile=prof)
    site_pts = pts([(s * 5000.0, off) for s, off in zip(sites, offsets, strict=True)])
    legs_m = net.snap(site_pts).distance_m  # the offsets, as rounded in coordinates
    ref = _reference(n, u, v, w, sites, legs_m, cutoff)

    pos, times = access.times_from_sites(net, site_pts, cutoff=cutoff)
    assert pos.tolist() == list(range(len(sites)))
    assert np.array_equal(np.isfinite(times), np.isfinite(ref))
    np.testing.assert_allclose(times[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=0,
                               atol=1e-9)

    r = access.nearest(net, site_pts, cutoff=cutoff)
    best = ref.min(axis=0)
    assert np.array_equal(np.isfinite(r.seconds), np.isfinite(best))
    np.testing.assert_allclose(r.seconds[np.isfinite(best)], best[np.isfinite(best)],
                               rtol=0, atol=1e-9)
    got = np.flatnonzero(r.site >= 0)
    assert np.array_equal(got, np.flatnonzero(np.isfinite(best)))
    # the site named is one that gives that time
    np.testing.assert_allclose(ref[r.site[got], got], r.seconds[got], rtol=0, atol=1e-9)

    # OD matrices: every node to the sites (searches from the sites, reversed graph),
    # and one node to the sites (a search from that node, forward graph)
    def dense(m):
        out = np.full(m.shape, np.inf)
        coo = m.tocoo()
        out[coo.row, coo.col] = coo.data
        return out

    nodes = pts([(j * 5000.0, 0.0) for j in range(n)])
    limit = 1e9 if cutoff is None else cutoff
    for od, expect in (
        (dense(access.od_matrix(net, nodes, site_pts, cutoff=limit)), ref.T),
        (dense(access.od_matrix(net, nodes.iloc[:1], site_pts, cutoff=limit)), ref.T[:1]),
    ):
        assert np.array_equal(np.isfinite(od), np.isfinite(expect))
        np.testing.assert_allclose(od[np.isfinite(od)], expect[np.isfinite(od)], rtol=0,
                                   atol=1e-9)


# --------------------------------------------------------------------------- real 05
def test_contraction_of_05_is_small_and_per_site_times_exact():
    net, G, sites = network_05(), nx_05(), sites_05()
    c = net.contraction
    assert c.n_core < 0.3 * net.n_nodes  # measured: 9,900 of 46,366
    snap = net.snap(sites)
    assert (c.core_pos[snap.node] < 0).sum() >= 5  # sites inside pieces are exercised
    cutoff = 1800.0
    pos, times = access.times_from_sites(net, sites, cutoff=cutoff)
    R = G.reverse(copy=False)
    for i, (node, dist) in enumerate(zip(snap.node[pos], snap.distance_m[pos], strict=True)):
        leg = dist / ACCESS
        ref = np.full(net.n_nodes, np.inf)
        d = nx.single_source_dijkstra_path_length(R, int(node), cutoff=cutoff - leg,
                                                  weight="travel_time")
        ref[list(d)] = np.fromiter(d.values(), float) + leg
        ref[ref > cutoff] = np.inf
        # floating-point sums may land either side of the cutoff: ignore a 1e-6 s band
        edge = np.abs(np.where(np.isfinite(ref), ref, times[i]) - cutoff) < 1e-6
        fin = np.isfinite(ref) & ~edge
        assert np.array_equal(np.isfinite(times[i])[~edge], np.isfinite(ref)[~edge])
        np.testing.assert_allclose(times[i][fin], ref[fin], rtol=0, atol=1e-6)


@pytest.mark.parametrize("cutoff", [None, 900.0])
def test_nearest_is_min_of_per_site_times_on_05(cutoff):
    net, sites = network_05(), sites_05()
    r = access.nearest(net, sites, cutoff=cutoff)
    pos, times = access.times_from_sites(net, sites, cutoff=cutoff)
    best = times.min(axis=0)
    np.testing.assert_allclose(r.seconds, best, rtol=0, atol=1e-6)
    ok = np.isfinite(best)
    np.testing.assert_allclose(times[np.searchsorted(pos, r.site[ok]), np.flatnonzero(ok)],
                               best[ok], rtol=0, atol=1e-6)


def test_per_site_times_in_blocks_equal_one_block(monkeypatch):
    from proximite.access import engine

    net, sites = network_05(), sites_05()
    pos, whole = access.times_from_sites(net, sites, cutoff=1200.0)
    monkeypatch.setattr(engine, "BLOCK_CELLS", 4 * net.n_nodes)  # 4 sites per block
    pos_b, blocks = access.times_from_sites(net, sites, cutoff=1200.0)
    assert np.array_equal(pos, pos_b)
    assert np.array_equal(whole, blocks)
