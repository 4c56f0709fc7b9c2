"""RoadNetwork: building from Geofabrik layers, OSM files, osmnx; profile; snapping; cache."""

from __future__ import annotations

import gzip
import hashlib
import shutil

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import dijkstra

from _network_fixtures import L93, X0, Y0, kmh, network_05, node_at, pts, road, write_roads
from proximite import paths
from proximite.errors import InputError
from proximite.network import RoadNetwork, SpeedProfile, choose_crs, parse_maxspeed

PRIMARY = kmh(70)  # default primary speed of car_fr, maxspeed unknown


def times_from(net: RoadNetwork, node: int) -> np.ndarray:
    return dijkstra(net.graph, indices=node)


# --------------------------------------------------------------------------- profile
def test_default_profile_values_and_exclusions():
    p = SpeedProfile.default()
    assert p.name == "car_fr"
    assert p.speeds["motorway"] == (115.0, 130.0)
    assert p.speeds["primary"][1] == 90.0
    for cls in ("footway", "path", "cycleway", "steps", "bridleway", "pedestrian", "track",
                "track_grade1", "track_grade5"):
        assert not p.is_driveable(cls)
    assert p.is_driveable("service")
    assert p.access_speed_kmh > 0 and p.max_snap_m > 0


def test_profile_hash_stable_and_sensitive(tmp_path):
    p = SpeedProfile.default()
    assert p.hash() == SpeedProfile.default().hash()
    assert len(p.hash()) == 64
    q = SpeedProfile.from_dict(p.to_dict())
    assert q == p and q.hash() == p.hash()
    toml = tmp_path / "p.toml"
    toml.write_text('name = "x"\n[speeds]\nprimary = { default = 60, cap = 80 }\n'
                    '[access]\naccess_speed_kmh = 5\nmax_snap_m = 300\n')
    r = SpeedProfile.from_toml(toml)
    assert r.speeds == {"primary": (60.0, 80.0)}
    assert r.access_speed_kmh == 5 and r.max_snap_m == 300
    assert r.hash() != p.hash()


BAD_PROFILES = [
    {"speeds": {}},
    {"speeds": {"primary": {"default": 90, "cap": 50}}},
    {"speeds": {"primary": [0, 10]}},
    {},
]


@pytest.mark.parametrize("bad", BAD_PROFILES)
def test_profile_rejects_bad_values(bad):
    with pytest.raises(InputError):
        SpeedProfile.from_dict(bad)


def test_profile_bad_toml(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("speeds = [")
    with pytest.raises(InputError, match=r"bad\.toml"):
        SpeedProfile.from_toml(f)


@pytest.mark.parametrize(
    ("text", "kmh_"),
    [("50", 50), ("50 mph", 80.4672), ("FR:urban", 50), ("FR:rural", 80), ("FR:zone30", 30),
     ("FR:motorway", 130), ("walk", 6), ("50;70", 50), ("none", 0), ("signals", 0), (None, 0),
     ("", 0), ("90 km/h", 90), (0, 0)],
)
def test_parse_maxspeed(text, kmh_):
    assert parse_maxspeed(text) == pytest.approx(kmh_)


# --------------------------------------------------------------------------- hand-made
def test_oneway_forward_and_reverse(tmp_path):
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (1000, 0)], oneway="F"),
        road([(0, 1000), (1000, 1000)], oneway="T"),
    ])
    net = RoadNetwork.from_file(f)
    assert net.crs == L93 or net.crs.to_epsg() == 2154
    a, b = node_at(net, 0, 0), node_at(net, 1000, 0)
    c, d = node_at(net, 0, 1000), node_at(net, 1000, 1000)
    assert times_from(net, a)[b] == pytest.approx(1000 / PRIMARY)
    assert np.isinf(times_from(net, b)[a])
    assert np.isinf(times_from(net, c)[d])  # T: drawn c->d, driven d->c only
    assert times_from(net, d)[c] == pytest.approx(1000 / PRIMARY)
    assert net.n_edges == 2


def test_shared_vertex_mid_way_is_a_junction(tmp_path):
    # way 1 passes through (1000, 0), where way 2 starts: not a line end of way 1
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (500, 0), (1000, 0), (2000, 0)]),
        road([(1000, 0), (1000, 1000)]),
    ])
    net = RoadNetwork.from_file(f)
    assert net.n_nodes == 4  # (500, 0) is not a junction
    a, m, e = node_at(net, 0, 0), node_at(net, 1000, 0), node_at(net, 1000, 1000)
    t = times_from(net, a)
    assert t[m] == pytest.approx(1000 / PRIMARY)
    assert t[e] == pytest.approx(2000 / PRIMARY)
    assert set(net.edges["length_m"].round(6)) == {1000.0}


def test_bridge_without_shared_vertex_does_not_connect(tmp_path):
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (2000, 0)]),
        road([(1000, -1000), (1000, 0.0001), (1000, 1000)], bridge="T", layer=1),
    ])
    net = RoadNetwork.from_file(f)
    assert net.n_nodes == 4
    t = times_from(net, node_at(net, 0, 0))
    assert np.isinf(t[node_at(net, 1000, 1000)])
    assert net.components["count"] == 2


def test_roundabout_is_one_way(tmp_path):
    ring = [(0, 100), (100, 0), (0, -100), (-100, 0), (0, 100)]  # clockwise
    f = write_roads(tmp_path / "r.geojson", [
        road(ring, fclass="primary", oneway="F"),
        road([(0, 100), (0, 1100)]),
        road([(100, 0), (1100, 0)]),
    ])
    net = RoadNetwork.from_file(f)
    n_, e_ = node_at(net, 0, 100), node_at(net, 100, 0)
    quarter = np.hypot(100, 100)
    t = times_from(net, n_)
    assert t[e_] == pytest.approx(quarter / PRIMARY)  # with the flow: one quarter
    assert times_from(net, e_)[n_] == pytest.approx(3 * quarter / PRIMARY)  # against: 3


def test_parallel_edges_keep_fastest_and_maxspeed_capped(tmp_path):
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (1000, 0)], fclass="residential"),
        road([(0, 0), (500, 1), (1000, 0)], fclass="primary"),
        road([(1000, 0), (2000, 0)], fclass="residential", maxspeed=90),  # capped at 50
        road([(2000, 0), (3000, 0)], fclass="primary", maxspeed=50),
    ])
    net = RoadNetwork.from_file(f)
    a, b = node_at(net, 0, 0), node_at(net, 1000, 0)
    c, d = node_at(net, 2000, 0), node_at(net, 3000, 0)
    e = net.edges
    ab = e[(e.u == a) & (e.v == b)]
    assert len(ab) == 1 and ab.fclass.iloc[0] == "primary"
    assert ab.seconds.iloc[0] == pytest.approx(2 * np.hypot(500, 1) / PRIMARY)
    assert net.report["parallel_dropped"] == 2
    bc = e[(e.u == b) & (e.v == c)]
    assert bc.seconds.iloc[0] == pytest.approx(1000 / kmh(50))
    cd = e[(e.u == c) & (e.v == d)]
    assert cd.seconds.iloc[0] == pytest.approx(1000 / kmh(50))
    G = net.to_networkx()
    assert G[a][b]["travel_time"] == pytest.approx(ab.seconds.iloc[0])


def test_footway_excluded(tmp_path):
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (1000, 0)]),
        road([(1000, 0), (2000, 0)], fclass="footway"),
        road([(2000, 0), (3000, 0)], fclass="track_grade3"),
    ])
    net = RoadNetwork.from_file(f)
    assert net.n_nodes == 2 and set(net.edges.fclass) == {"primary"}
    only = write_roads(tmp_path / "foot.geojson", [road([(0, 0), (10, 0)], fclass="footway")])
    with pytest.raises(InputError, match="no driveable"):
        RoadNetwork.from_file(only)


def test_gzipped_geographic_input_gets_lambert93(tmp_path):
    f = write_roads(tmp_path / "r.geojson", [road([(0, 0), (1000, 0), (1000, 1000)])],
                    crs="EPSG:4326")
    gz = tmp_path / "r.geojson.gz"
    with open(f, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    net = RoadNetwork.from_file(gz)
    assert net.crs.to_epsg() == 2154
    assert net.edges.length_m.sum() == pytest.approx(4000, rel=1e-6)
    assert net.source_hash == hashlib.sha256(gz.read_bytes()).hexdigest()


def test_not_a_road_layer(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString

    f = tmp_path / "x.geojson"
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[LineString([(0, 0), (1, 1)])],
                     crs=4326).to_file(f, driver="GeoJSON")
    with pytest.raises(InputError, match="fclass"):
        RoadNetwork.from_file(f)
    with pytest.raises(FileNotFoundError):
        RoadNetwork.from_file(tmp_path / "missing.geojson")


def test_choose_crs():
    assert choose_crs(6.0, 44.6).to_epsg() == 2154
    assert choose_crs(9.1, 42.1).to_epsg() == 2154  # Corsica
    assert choose_crs(-62.85, 17.9).to_epsg() == 5490  # Saint-Barthélemy
    assert choose_crs(55.5, -21.1).to_epsg() == 2975
    assert choose_crs(-3.7, 40.4).to_epsg() == 32630  # Madrid: UTM 30N


# --------------------------------------------------------------------------- snapping
def test_snap_max_distance_reprojection_and_islands(tmp_path):
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (1000, 0)]),
        road([(1000, 0), (1000, 500)]),
        road([(0, 5000), (100, 5000)]),  # a 2-node island: not usable (small component)
    ])
    net = RoadNetwork.from_file(f)
    assert net.components == {"count": 2, "largest": 3, "usable_nodes": 3, "nodes": 5}
    p = pts([(10, 30), (990, -40), (5000, 0), (0, 5000)])
    s = net.snap(p.to_crs(4326))
    assert s.node[0] == node_at(net, 0, 0) and s.distance_m[0] == pytest.approx(np.hypot(10, 30))
    assert s.node[1] == node_at(net, 1000, 0)
    assert s.node[2] == -1 and s.distance_m[2] == pytest.approx(4000, rel=1e-6)
    assert s.node[3] == -1  # the island is not usable, mainland is 5 km away
    assert net.snap(p, max_snap_m=1e6).node[2] == node_at(net, 1000, 0)
    with pytest.raises(InputError):
        net.snap(p.set_crs(None, allow_override=True))
    with pytest.raises(InputError):
        net.snap([(0, 0)])


# --------------------------------------------------------------------------- OSM readers
OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="44.500" lon="6.000" version="1"/>
  <node id="2" lat="44.500" lon="6.010" version="1"/>
  <node id="3" lat="44.500" lon="6.020" version="1"/>
  <node id="4" lat="44.510" lon="6.010" version="1"/>
  <node id="5" lat="44.520" lon="6.010" version="1"/>
  <node id="6" lat="44.500" lon="6.030" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="maxspeed" v="30 mph"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="-1"/></way>
  <way id="12" version="1"><nd ref="4"/><nd ref="5"/>
    <tag k="highway" v="footway"/></way>
  <way id="13" version="1"><nd ref="3"/><nd ref="6"/>
    <tag k="highway" v="motorway"/></way>
</osm>
"""


def test_osm_xml_reader(tmp_path):
    f = tmp_path / "tiny.osm"
    f.write_text(OSM_XML)
    net = RoadNetwork.from_file(f)
    assert net.crs.to_epsg() == 2154
    ids = net.nodes["osmid"].to_numpy()
    assert sorted(ids) == [1, 2, 3, 4, 6]  # 5 only on the footway
    n = {int(o): i for i, o in enumerate(ids)}
    e = net.edges
    pairs = set(zip(e.u.map(lambda i: int(ids[i])), e.v.map(lambda i: int(ids[i])), strict=True))
    # way 10 split at node 2 (shared with way 11); oneway=-1 on 11; motorway implied oneway
    assert pairs == {(1, 2), (2, 1), (2, 3), (3, 2), (4, 2), (3, 6)}
    e12 = e[(e.u == n[1]) & (e.v == n[2])].iloc[0]
    assert e12.seconds == pytest.approx(e12.length_m / kmh(30 * 1.609344))
    assert 790 < e12.length_m < 800  # 0.01 degree of longitude at 44.5 N


@pytest.mark.shared
def test_real_pbf_saint_barthelemy():
    pbf = paths.SHARED_DATA_DIR / "roads" / "saint-barthelemy-201401.osm.pbf"
    if not pbf.exists():
        pytest.skip("shared data absent")
    net = RoadNetwork.from_file(pbf)
    assert net.crs.to_epsg() == 5490
    assert net.n_nodes > 100 and net.n_edges > 200
    assert (net.nodes["osmid"] > 0).all()
    G = net.to_networkx()
    assert G.number_of_nodes() == net.n_nodes and G.number_of_edges() == net.n_edges
    assert net.components["largest"] > 0.5 * net.n_nodes


# --------------------------------------------------------------------------- osmnx
def test_from_osmnx_and_back():
    G = nx.MultiDiGraph(crs=L93)
    G.add_node(101, x=X0, y=Y0)
    G.add_node(102, x=X0 + 1000, y=Y0)
    G.add_node(103, x=X0 + 1000, y=Y0 + 1000)
    G.add_edge(101, 102, length=1000.0, highway="residential")
    G.add_edge(101, 102, length=1100.0, highway="primary", maxspeed=["50", "70"])  # parallel
    G.add_edge(102, 101, length=1000.0, highway="residential", travel_time=7.0)
    G.add_edge(102, 103, length=1000.0, highway=["secondary", "tertiary"])
    G.add_edge(103, 102, length=1000.0, highway="footway")  # not driveable: dropped
    net = RoadNetwork.from_osmnx(G)
    assert net.n_nodes == 3 and net.n_edges == 3
    assert list(net.nodes["osmid"]) == [101, 102, 103]
    D = net.to_networkx()
    assert set(D.nodes) == {0, 1, 2}
    assert D[0][1]["travel_time"] == pytest.approx(min(1000 / kmh(30), 1100 / kmh(50)))
    assert D[1][0]["travel_time"] == 7.0
    assert D[1][2]["travel_time"] == pytest.approx(1000 / kmh(60))
    assert not D.has_edge(2, 1)
    assert D.nodes[2]["x"] == X0 + 1000
    # lon/lat graph -> Lambert-93
    G2 = nx.MultiDiGraph(crs="EPSG:4326")
    G2.add_node(1, x=6.0, y=44.5)
    G2.add_node(2, x=6.01, y=44.5)
    G2.add_edge(1, 2, length=795.0, highway="primary")
    assert RoadNetwork.from_osmnx(G2).crs.to_epsg() == 2154


def test_from_edges_validation():
    with pytest.raises(InputError):
        RoadNetwork.from_edges([0, 1], [0, 0], [0], [2], [1.0])
    with pytest.raises(InputError):
        RoadNetwork.from_edges([0, 1], [0, 0], [0], [1], [-1.0])


# --------------------------------------------------------------------------- cache
def test_cache_round_trip(tmp_path):
    f = write_roads(tmp_path / "r.geojson", [
        road([(0, 0), (500, 0), (1000, 0)]), road([(500, 0), (500, 700)], oneway="F"),
    ])
    cdir = tmp_path / "cache"
    a = RoadNetwork.from_file(f, cache=cdir)
    files = list(cdir.glob("*.npz"))
    assert len(files) == 1
    b = RoadNetwork.from_file(f, cache=cdir)
    assert len(list(cdir.glob("*.npz"))) == 1
    for name in ("x", "y", "u", "v", "length_m", "seconds", "fclass_code", "piece", "reverse",
                 "piece_start", "piece_end", "vx", "vy", "node_osmid"):
        np.testing.assert_array_equal(getattr(a.arrays, name), getattr(b.arrays, name))
    assert b.source_hash == a.source_hash and b.profile == a.profile and b.crs == a.crs
    # another profile -> another cache entry
    p = SpeedProfile.from_dict({"speeds": {"primary": [50, 50]}})
    c = RoadNetwork.from_file(f, cache=cdir, profile=p)
    assert len(list(cdir.glob("*.npz"))) == 2
    assert c.edges.seconds.sum() > a.edges.seconds.sum()
    # explicit save / load
    out = a.save(tmp_path / "net.npz")
    d = RoadNetwork.load(out)
    assert (d.graph != a.graph).nnz == 0
    # PROXIMITE_CACHE is the default directory
    import os
    os.environ["PROXIMITE_CACHE"] = str(tmp_path / "env")
    try:
        RoadNetwork.from_file(f, cache=True)
        assert len(list((tmp_path / "env").glob("*.npz"))) == 1
    finally:
        del os.environ["PROXIMITE_CACHE"]


# --------------------------------------------------------------------------- real 05
def test_real_05_network():
    net = network_05()
    assert net.crs.to_epsg() == 2154
    assert net.report["features_read"] == 55849
    assert net.n_nodes > 30_000 and net.n_edges > 60_000
    comp = net.components
    assert comp["largest"] > 0.95 * net.n_nodes and comp["count"] > 1
    e = net.edges
    assert set(e.fclass) <= set(SpeedProfile.default().speeds)
    assert (e.seconds > 0).all() and (e.length_m > 0).all()
    # one row per directed (u, v)
    assert not e.duplicated(["u", "v"]).any()
    assert list(net.nodes.index[:3]) == [0, 1, 2]
    assert net.nodes.crs == net.crs


@pytest.mark.parametrize("suffix,driver", [(".gpkg", "GPKG"), (".shp", "ESRI Shapefile")])
def test_same_network_from_geopackage_and_shapefile(tmp_path, suffix, driver):
    import geopandas as gpd

    feats = [road([(0, 0), (500, 0), (1000, 0)], fclass="secondary"),
             road([(500, 0), (500, 700)], fclass="residential", oneway="F"),
             road([(1000, 0), (1000, 900)], fclass="tertiary", maxspeed=30)]
    ref = RoadNetwork.from_file(write_roads(tmp_path / "r.geojson", feats))
    layer = gpd.read_file(tmp_path / "r.geojson")
    other = tmp_path / f"r{suffix}"
    layer.to_file(other, driver=driver)
    net = RoadNetwork.from_file(other)
    assert net.n_nodes == ref.n_nodes == 5
    cols = ["u", "v", "length_m", "seconds", "fclass"]
    a = ref.edges[cols].sort_values(["u", "v"]).reset_index(drop=True)
    b = net.edges[cols].sort_values(["u", "v"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9)
