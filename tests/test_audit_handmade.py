"""The audit on hand-made networks where the right answer is known."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, box

from proximite.auditing import audit
from proximite.errors import InputError

LAT = 44.6


def _road(coords, fclass, oneway="B", maxspeed=0):
    return {"type": "Feature",
            "properties": {"osm_id": "1", "fclass": fclass, "name": None, "ref": None,
                           "oneway": oneway, "maxspeed": maxspeed, "layer": 0,
                           "bridge": "F", "tunnel": "F"},
            "geometry": LineString(coords).__geo_interface__}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A primary road from 6.0E to 8.0E with residential spurs and an island.

    - site S (département 05) at 6.00E, site T (département 04) at 7.00E;
    - commune A: two equal spurs, one 1 km from S, one at 7.99E (far from both);
    - commune C: a spur next to T (served across the border);
    - commune B: an island road connected to nothing.
    """
    d = tmp_path_factory.mktemp("world")
    primary = [(6.0, LAT), (6.01, LAT), (7.0, LAT), (7.01, LAT), (7.99, LAT), (8.0, LAT)]
    feats = [
        _road(primary, "primary"),
        _road([(6.01, LAT), (6.01, LAT + 0.01)], "residential"),
        _road([(7.99, LAT), (7.99, LAT + 0.01)], "residential"),
        _road([(7.01, LAT), (7.01, LAT + 0.01)], "residential"),
        _road([(6.5, LAT + 0.2), (6.51, LAT + 0.2)], "residential"),
    ]
    roads = d / "roads-05.geojson"
    roads.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    communes = gpd.GeoDataFrame(
        {"code_insee": ["05001", "05002", "05003"], "nom": ["A", "B", "C"],
         "departement": ["05"] * 3, "population": [1000, 50, 200]},
        geometry=[
            MultiPolygon([box(6.005, LAT + 0.002, 6.015, LAT + 0.02),
                          box(7.985, LAT + 0.002, 7.995, LAT + 0.02)]),
            box(6.49, LAT + 0.19, 6.52, LAT + 0.21),
            box(7.005, LAT + 0.002, 7.015, LAT + 0.02),
        ], crs="EPSG:4326")
    sites = gpd.GeoDataFrame(
        {"id_fs": ["S", "T"], "lib_fs": ["Site S", "Site T"], "departement": ["05", "04"],
         "kind": ["fixed", "fixed"]},
        geometry=[Point(6.0, LAT), Point(7.0, LAT)], crs="EPSG:4326")
    result = audit("05", roads=roads, sites=sites, communes=communes, broadband=False,
                   mediation=False, cache=False)
    return result


def _row(result, code):
    c = result.communes.set_index("code_insee")
    return c.loc[code]


def test_half_inside_half_outside_gives_one_half(world):
    a = _row(world, "05001")
    assert a["share_within_threshold"] == pytest.approx(0.5, abs=1e-9)
    assert not a["beyond_threshold"]  # 0.5 is not below one half
    assert a["minutes_fs_max"] > 30
    assert a["population_method"] == "roads"
    assert a["unreachable_population"] == 0


def test_site_across_the_border_counts(world):
    c = _row(world, "05003")
    assert c["nearest_fs_id"] == "T"
    assert c["nearest_fs_departement"] == "04"
    assert c["served_across_border"]
    assert c["share_within_threshold"] == 1.0
    assert world.summary["sites_outside_departement"] == 1
    assert world.summary["sites_used"] == 2


def test_island_is_unreachable_not_zero(world):
    b = _row(world, "05002")
    assert np.isnan(b["minutes_fs"])
    assert b["share_within_threshold"] == 0
    assert b["unreachable_population"] == pytest.approx(50)
    assert b["beyond_threshold"]
    assert pd.isna(b["nearest_fs_id"])
    assert world.summary["unreachable_population"] == pytest.approx(50)
    assert b["fragility"] == 1.0


def test_summary_adds_up(world):
    s = world.summary
    assert s["population"] == 1250
    assert s["communes"] == 3
    # A: half of 1000 within 30; C: all 200; B: none
    assert s["population_within_30"] == pytest.approx(700)
    assert s["share_within_30"] == pytest.approx(700 / 1250)
    assert s["communes_beyond_threshold"] == 1
    placed = world.population.groupby("code_insee")["population"].sum()
    assert placed.to_dict() == pytest.approx({"05001": 1000, "05002": 50, "05003": 200})


def test_times_match_networkx(world):
    import networkx as nx

    g = world.network.to_networkx()
    speed = world.network.profile.access_speed_kmh / 3.6
    pts = world.population[world.population["node"] >= 0]
    snap = world.network.snap(world.sites)
    checked = 0
    for node, sec in zip(pts["node"], pts["seconds"], strict=True):
        best = np.inf
        for s_node, s_dist in zip(snap[0], snap[1], strict=True):
            try:
                path = nx.dijkstra_path_length(g, int(node), int(s_node), weight="travel_time")
            except nx.NetworkXNoPath:
                continue
            best = min(best, path + s_dist / speed)  # the site's off-network leg
        assert sec == pytest.approx(best, abs=1e-6)
        checked += 1
    assert checked == 3


def test_extra_site_helps(world):
    extra = gpd.GeoDataFrame({"name": ["new"]}, geometry=[Point(7.99, LAT)], crs="EPSG:4326")
    after = world.with_sites(extra)
    assert after.summary["population_within_30"] == pytest.approx(1200)
    assert _row(after, "05001")["share_within_threshold"] == 1.0
    # the original is unchanged
    assert world.summary["population_within_30"] == pytest.approx(700)


def test_commune_without_roads_falls_back_to_a_point(world, tmp_path):
    communes = world.inputs["communes"].copy()
    extra = gpd.GeoDataFrame({"code_insee": ["05004"], "nom": ["D"], "departement": ["05"],
                              "population": [10]},
                             geometry=[box(6.005, LAT - 0.01, 6.015, LAT - 0.002)],
                             crs="EPSG:4326").to_crs(communes.crs)
    communes = gpd.GeoDataFrame(
        pd.concat([communes, extra], ignore_index=True), crs=communes.crs)
    res = audit("05", roads=world.network, sites=world.inputs["sites"], communes=communes,
                broadband=False, mediation=False)
    d = _row(res, "05004")
    assert d["population_method"] == "point"
    assert d["minutes_fs"] > 0 and np.isfinite(d["minutes_fs"])
    assert res.summary["population"] == 1260


def test_bad_threshold_is_a_clear_error(world):
    with pytest.raises(InputError, match="threshold"):
        audit("05", roads=world.network, sites=world.inputs["sites"],
              communes=world.inputs["communes"], broadband=False, mediation=False,
              threshold=-5)


def test_bare_points_as_sites(world):
    """A layer of bare points is accepted: ids, names and départements are filled in."""
    bare = gpd.GeoDataFrame(geometry=[Point(6.0, LAT), Point(7.0, LAT)], crs="EPSG:4326")
    res = audit("05", roads=world.network, sites=bare, communes=world.inputs["communes"],
                broadband=False, mediation=False)
    assert list(res.sites["id_fs"]) == ["site-1", "site-2"]
    # neither point lies inside an audited commune: both count as outside
    assert res.summary["sites_outside_departement"] == 2
    assert res.summary["population_within_30"] == world.summary["population_within_30"]


def test_sites_must_be_points(world):
    with pytest.raises(InputError, match="points"):
        audit("05", roads=world.network, sites=world.inputs["communes"],
              communes=world.inputs["communes"], broadband=False, mediation=False)
