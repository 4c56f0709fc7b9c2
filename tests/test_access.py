"""Travel-time engine: exactness against networkx, known answers, properties, isochrones."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _network_fixtures import (
    X0,
    Y0,
    kmh,
    network_05,
    node_at,
    nx_05,
    nx_times_to_sites,
    pts,
    road,
    sites_05,
    write_roads,
)
from proximite import access
from proximite.errors import InputError
from proximite.network import RoadNetwork, SpeedProfile

PRIMARY = kmh(70)
ACCESS = SpeedProfile.default().access_speed_ms


@pytest.fixture
def line_net(tmp_path):
    """0 -- 1000 -- 2000 (two-way primary) and a separate island far away."""
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (1000, 0)]),
        road([(1000, 0), (2000, 0)]),
        road([(0, 50_000), (1000, 50_000)]),
    ])
    prof = SpeedProfile.from_dict({**SpeedProfile.default().to_dict(),
                                   "access": {"min_component_nodes": 2}})
    return RoadNetwork.from_file(f, profile=prof)


# --------------------------------------------------------------------------- known answers
def test_nearest_known_answers_and_islands(line_net):
    net = line_net
    sites = pts([(2000, 30), (0, -10)])
    r = access.nearest(net, sites)
    a, b, c = node_at(net, 0, 0), node_at(net, 1000, 0), node_at(net, 2000, 0)
    i1, i2 = node_at(net, 0, 50_000), node_at(net, 1000, 50_000)
    assert r.site[a] == 1 and r.seconds[a] == pytest.approx(10 / ACCESS)
    assert r.site[c] == 0 and r.seconds[c] == pytest.approx(30 / ACCESS)
    # b: 1000 m either way, legs 10 m vs 30 m -> site 1
    assert r.site[b] == 1 and r.seconds[b] == pytest.approx(1000 / PRIMARY + 10 / ACCESS)
    assert np.isinf(r.seconds[[i1, i2]]).all() and (r.site[[i1, i2]] == -1).all()
    # per point: own leg added; island point unreachable; far point unsnappable
    p = pts([(1000, 20), (500, 50_000), (0, 20_000)])
    rp = access.nearest(net, sites, p)
    assert rp.seconds[0] == pytest.approx(20 / ACCESS + r.seconds[b])
    assert rp.site[0] == 1
    assert np.isinf(rp.seconds[1]) and rp.site[1] == -1 and rp.node[1] == i1
    assert np.isinf(rp.seconds[2]) and rp.site[2] == -1 and rp.node[2] == -1
    # cutoff
    rc = access.nearest(net, sites, cutoff=30)
    assert np.isinf(rc.seconds[b]) and rc.site[b] == -1 and rc.site[a] == 1
    with pytest.raises(InputError):
        access.nearest(net, sites, cutoff=-1)


def test_sites_on_same_node_nearest_leg_wins_ties_lowest(line_net):
    net = line_net
    r = access.nearest(net, pts([(0, 40), (0, -5), (5, 0), (2000, 0)]))
    a = node_at(net, 0, 0)
    assert r.site[a] == 1 and r.seconds[a] == pytest.approx(5 / ACCESS)
    r2 = access.nearest(net, pts([(0, 5), (0, -5)]))
    assert r2.site[a] == 0  # equal legs: lowest position
    none = access.nearest(net, pts([(0, 30_000)]))  # no snappable site
    assert np.isinf(none.seconds).all() and (none.site == -1).all()


def test_od_matrix_known(line_net):
    net = line_net
    o = pts([(0, 0), (1000, 0), (0, 50_000), (0, 30_000)])
    d = pts([(2000, 0), (0, 0)])
    m = access.od_matrix(net, o, d, cutoff=100)
    assert m.shape == (4, 2)
    dense = np.full(m.shape, np.inf)
    coo = m.tocoo()
    dense[coo.row, coo.col] = coo.data
    assert dense[0, 1] == 0.0  # explicit zero kept
    assert dense[1, 0] == pytest.approx(1000 / PRIMARY)
    assert dense[1, 1] == pytest.approx(1000 / PRIMARY)
    assert np.isinf(dense[0, 0])  # 2000 m = 103 s > cutoff
    assert np.isinf(dense[2:]).all()
    m2 = access.od_matrix(net, d, o, cutoff=1000)  # other search side
    coo = m2.tocoo()
    assert set(zip(coo.row, coo.col, strict=True)) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    with pytest.raises(InputError):
        access.od_matrix(net, o, d, cutoff=None)


def test_route_known(line_net):
    r = access.route(line_net, pts([(0, 30)]), pts([(2000, -40)]))
    assert r.seconds == pytest.approx(2000 / PRIMARY + 70 / ACCESS)
    assert r.meters == pytest.approx(2070)
    assert len(r.nodes) == 3
    with pytest.raises(InputError, match="origin"):
        access.route(line_net, pts([(0, 30_000)]), pts([(0, 0)]))


# --------------------------------------------------------------------------- exactness on 05
def test_nearest_exact_against_networkx_on_05():
    net, G, sites = network_05(), nx_05(), sites_05()
    assert len(sites) == 21
    r = access.nearest(net, sites)
    ref = nx_times_to_sites(net, G, sites)
    assert np.array_equal(np.isfinite(ref), np.isfinite(r.seconds))
    fin = np.isfinite(ref)
    assert fin.mean() > 0.95
    np.testing.assert_allclose(r.seconds[fin], ref[fin], rtol=0, atol=1e-6)
    # hundreds of random nodes, checked one by one with networkx's own multi-source search
    rng = np.random.default_rng(5)
    sample = rng.choice(np.flatnonzero(fin), 300, replace=False)
    snap = net.snap(sites)
    R = G.reverse(copy=False)
    per_site = [nx.single_source_dijkstra_path_length(R, int(s), weight="travel_time")
                for s in snap.node]
    for node in sample:
        best = min(d / ACCESS + ps.get(int(node), np.inf)
                   for d, ps in zip(snap.distance_m, per_site, strict=True))
        assert abs(best - r.seconds[node]) < 1e-6
        k = r.site[node]
        assert abs(snap.distance_m[k] / ACCESS + per_site[k][int(node)] - best) < 1e-6


def test_random_sites_and_od_exact_on_05():
    net, G = network_05(), nx_05()
    rng = np.random.default_rng(11)
    usable = np.flatnonzero(net.usable)
    nodes = rng.choice(usable, 8, replace=False)
    sites = pts([(net.x[i] - X0 + 3.0, net.y[i] - Y0 - 4.0) for i in nodes])  # legs of 5 m
    r = access.nearest(net, sites)
    ref = nx_times_to_sites(net, G, sites)
    fin = np.isfinite(ref)
    np.testing.assert_allclose(r.seconds[fin], ref[fin], rtol=0, atol=1e-6)
    origins = pts([(net.x[i] - X0, net.y[i] - Y0) for i in rng.choice(usable, 40, replace=False)])
    m = access.od_matrix(net, origins, sites, cutoff=1800).toarray()
    o_snap, s_snap = net.snap(origins), net.snap(sites)
    for i, on in enumerate(o_snap.node[:10]):
        d = nx.single_source_dijkstra_path_length(G, int(on), cutoff=1800, weight="travel_time")
        for j, sn in enumerate(s_snap.node):
            t = d.get(int(sn), np.inf) + (s_snap.distance_m[j] + o_snap.distance_m[i]) / ACCESS
            if t <= 1800:
                assert m[i, j] == pytest.approx(t, abs=1e-6)
            else:
                assert m[i, j] == 0  # not stored
    # nearest is the row minimum of the OD matrix
    rp = access.nearest(net, sites, origins, cutoff=1800)
    sparse = access.od_matrix(net, origins, sites, cutoff=1800).tolil()
    for i in range(len(origins)):
        row = np.array(sparse.data[i])
        if len(row):
            assert rp.seconds[i] == pytest.approx(row.min(), abs=1e-6)
        else:
            assert np.isinf(rp.seconds[i])


# --------------------------------------------------------------------------- properties
@st.composite
def graphs(draw):
    n = draw(st.integers(2, 12))
    m = draw(st.integers(1, 30))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    w = draw(st.lists(st.floats(0, 500, allow_nan=False), min_size=m, max_size=m))
    sites = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))
    extra = draw(st.integers(0, n - 1))
    drop = draw(st.integers(0, m - 1))
    return n, np.array(u), np.array(v), np.array(w), sites, extra, drop


def _net(n, u, v, w):
    x = np.arange(n) * 5000.0 + X0  # nodes 5 km apart: snapping is exact
    y = np.full(n, Y0)
    prof = SpeedProfile.from_dict({**SpeedProfile.default().to_dict(),
                                   "access": {"min_component_nodes": 1}})
    return RoadNetwork.from_edges(x, y, u, v, w, profile=prof)


def _sites(n, idx):
    return pts([(i * 5000.0, 0.0) for i in idx])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_properties_random_graphs(g):
    n, u, v, w, sites, extra, drop = g
    net = _net(n, u, v, w)
    t = access.nearest(net, _sites(n, sites)).seconds
    # reference
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for a, b, c in zip(u, v, w, strict=True):
        if a != b and (not G.has_edge(a, b) or G[a][b]["w"] > c):
            G.add_edge(a, b, w=c)
    ref = nx.multi_source_dijkstra_path_length(G.reverse(), set(sites), weight="w")
    expect = np.array([ref.get(i, np.inf) for i in range(n)])
    np.testing.assert_allclose(t, expect, atol=1e-9)
    # triangle inequality along edges
    e = net.edges
    assert np.all(t[e.u] <= e.seconds + t[e.v] + 1e-9)
    # adding a site never increases a time
    t2 = access.nearest(net, _sites(n, [*sites, extra])).seconds
    assert np.all(t2 <= t + 1e-9)
    # removing an edge never decreases a time
    keep = np.arange(len(u)) != drop
    t3 = access.nearest(_net(n, u[keep], v[keep], w[keep]), _sites(n, sites)).seconds
    assert np.all(t3 >= t - 1e-9)


# --------------------------------------------------------------------------- isochrones
def test_isochrone_partial_edge_and_not_a_hull(tmp_path):
    # an L: 0,0 -> 6000,0 -> 6000,6000; site at the corner
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (6000, 0)]), road([(6000, 0), (6000, 6000)]),
    ])
    net = RoadNetwork.from_file(f)
    iso = access.isochrones(net, pts([(6000, 0)]), minutes=(2, 10))
    assert list(iso.columns) == ["site", "minutes", "geometry"]
    assert list(iso["minutes"]) == [2.0, 10.0] and iso.crs == net.crs
    g2 = iso.geometry.iloc[0]
    reach = 120 * PRIMARY  # 2333 m along each branch
    assert g2.contains(shapely.Point(X0 + 6000 - reach + 150, Y0))
    assert not g2.intersects(shapely.Point(X0 + 6000 - reach - 200, Y0))
    assert g2.contains(shapely.Point(X0 + 6000, Y0 + reach - 150))
    assert not g2.contains(shapely.Point(X0 + 6000 - 1000, Y0 + 1000))  # inside the L corner
    assert 2 * reach * 50 < g2.area < 2 * reach * 250
    g10 = iso.geometry.iloc[1]
    assert g10.contains(shapely.Point(X0 + 100, Y0)) and g10.contains(g2.buffer(-1))
    assert not g10.contains(shapely.Point(X0 + 3000, Y0 + 3000))
    # service area of one site = its isochrone
    sa = access.service_areas(net, access.nearest(net, pts([(6000, 0)])).seconds, minutes=(2,))
    assert sa.geometry.iloc[0].symmetric_difference(g2).area < 1e-6 * g2.area
    with pytest.raises(InputError):
        access.service_areas(net, np.zeros(net.n_nodes + 2), minutes=(2,))
    with pytest.raises(InputError):
        access.isochrones(net, pts([(0, 0)]), minutes=(0,))


def test_isochrone_unsnappable_site_is_empty(line_net):
    iso = access.isochrones(line_net, pts([(0, 20_000), (0, 0)]), minutes=(1,))
    assert iso.geometry.iloc[0].is_empty and not iso.geometry.iloc[1].is_empty


def test_service_area_points_really_reachable_on_05():
    """Points sampled inside the 10-minute area are reachable within 10 min + tolerance,
    checked with networkx times and the road geometry (independent of the polygon)."""
    net, G, sites = network_05(), nx_05(), sites_05()
    ref = nx_times_to_sites(net, G, sites)
    budget = 600.0
    area = access.service_areas(net, access.nearest(net, sites).seconds, minutes=(10,))
    poly = area.geometry.iloc[0]
    assert 50e6 < poly.area < 2000e6
    tol = access.tolerance_seconds(net)
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = poly.bounds
    cand = shapely.points(rng.uniform(minx, maxx, 20000), rng.uniform(miny, maxy, 20000))
    inside = cand[shapely.contains(poly, cand)][:150]
    assert len(inside) >= 100
    lines = net.edge_lines().to_numpy()
    tree = shapely.STRtree(lines)
    e_sec, e_v = net.edges.seconds.to_numpy(), net.edges.v.to_numpy()
    radius = 3 * access.RESOLUTION_M + 1
    step = 5.0  # sampling of the roads near q (adds at most step / ACCESS)
    for q in inside:
        idx = tree.query(q, predicate="dwithin", distance=radius)
        assert len(idx), "a point inside the area is far from every road"
        # every road point p near q: q -> p off-road, then along the edge to v, then on
        n = np.maximum(np.ceil(shapely.length(lines[idx]) / step).astype(int), 1) + 1
        own = np.repeat(np.arange(len(idx)), n)
        frac = np.concatenate([np.linspace(0, 1, k) for k in n])
        p = shapely.line_interpolate_point(lines[idx][own], frac, normalized=True)
        t = (shapely.distance(p, q) / ACCESS + (1 - frac) * e_sec[idx][own]
             + ref[e_v[idx][own]])
        assert t.min() <= budget + tol + step / ACCESS + 1e-6
    # and the contrary: road points reached well within the budget are inside
    r = access.nearest(net, sites)
    near = np.flatnonzero(r.seconds < budget - 60)
    assert shapely.contains_xy(poly, net.x[near], net.y[near]).all()


def test_isochrones_per_site_on_05():
    net, sites = network_05(), sites_05()
    iso = access.isochrones(net, sites.iloc[:3], minutes=(10, 20))
    assert len(iso) == 6
    assert (iso.groupby("site").geometry.apply(lambda s: s.iloc[1].area >= s.iloc[0].area)).all()
    union10 = shapely.union_all(iso[iso.minutes == 10].geometry.to_numpy())
    t = access.nearest(net, sites.iloc[:3]).seconds
    sa = access.service_areas(net, t, minutes=(10,)).geometry.iloc[0]
    assert abs(sa.area - union10.area) < 0.02 * sa.area
