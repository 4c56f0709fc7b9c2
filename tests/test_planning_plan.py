"""plan_sites on a hand-made road network where the right answer is known."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from proximite.auditing import audit
from proximite.errors import InputError
from proximite.planning import PlanResult, plan_sites
from proximite.planning.plan import candidate_sites

LAT = 44.6
#: spur longitude -> (commune code, name, population)
SPURS = {
    6.01: ("05001", "Près", 1000),
    6.80: ("05002", "Milieu", 300),
    7.20: ("05003", "Loin", 200),
    7.95: ("05004", "Bout", 500),
    7.99: ("05005", "Extrême", 100),
}


def _road(coords, fclass):
    return {
        "type": "Feature",
        "properties": {"osm_id": "1", "fclass": fclass, "name": None, "ref": None,
                       "oneway": "B", "maxspeed": 0, "layer": 0, "bridge": "F", "tunnel": "F"},
        "geometry": LineString(coords).__geo_interface__,
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A primary road 6.0E-8.0E, one France Services at 6.0E, venues along the road."""
    d = tmp_path_factory.mktemp("plan_world")
    lons = sorted([6.0, 8.0, *SPURS])
    feats = [_road([(x, LAT) for x in lons], "primary")]
    feats += [_road([(x, LAT), (x, LAT + 0.01)], "residential") for x in SPURS]
    roads = d / "roads-05.geojson"
    roads.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    communes = gpd.GeoDataFrame(
        {"code_insee": [v[0] for v in SPURS.values()], "nom": [v[1] for v in SPURS.values()],
         "departement": "05", "population": [v[2] for v in SPURS.values()]},
        geometry=[box(x - 0.004, LAT + 0.002, x + 0.004, LAT + 0.02) for x in SPURS],
        crs="EPSG:4326")
    sites = gpd.GeoDataFrame(
        {"id_fs": ["S"], "lib_fs": ["Site S"], "departement": ["05"], "kind": ["fixed"]},
        geometry=[Point(6.0, LAT)], crs="EPSG:4326")
    venues = gpd.GeoDataFrame(
        {"id": ["v1", "v2", "v3", "v4"],
         "nom": ["Médiathèque Milieu", "Tiers-lieu Loin", "Mairie Bout", "Café sans aide"],
         "code_insee": ["05002", "05003", "05004", "05005"],
         "commune": ["Milieu", "Loin", "Bout", "Extrême"],
         "admin_help": [True, True, True, False]},
        geometry=[Point(6.80, LAT + 0.005), Point(7.20, LAT + 0.005), Point(7.95, LAT + 0.005),
                  Point(7.99, LAT + 0.005)],
        crs="EPSG:4326")
    return audit("05", roads=roads, sites=sites, communes=communes, broadband=False,
                 mediation=venues, cache=False)


def test_world_is_as_designed(world):
    pop = world.population.groupby("code_insee").apply(
        lambda g: float(g["population"][g["seconds"] <= 1800].sum()), include_groups=False)
    # only the commune next to the existing site is within 30 minutes
    assert pop.to_dict() == pytest.approx(
        {"05001": 1000, "05002": 0, "05003": 0, "05004": 0, "05005": 0})
    assert len(world.mediation) == 3  # the venue without admin help is left out


def test_mclp_picks_the_venue_covering_most_and_the_audit_confirms_it(world, tmp_path):
    plan = plan_sites(world, k=1)
    assert isinstance(plan, PlanResult)
    assert plan.status == "optimal" and plan.gap == 0.0
    # ~34 min between spurs 0.4 degree apart: each venue covers its own commune only,
    # "Mairie Bout" covers Bout + Extrême (600)
    assert plan.sites["name"].tolist() == ["Mairie Bout"]
    assert plan.objective == pytest.approx(600)
    assert plan.verified_gain == pytest.approx(plan.objective, abs=1e-6)
    assert plan.after["population_within_30"] - plan.before["population_within_30"] == (
        pytest.approx(600))
    two = plan_sites(world, k=2)
    assert two.sites["name"].tolist() == ["Mairie Bout", "Médiathèque Milieu"]
    assert two.sites["rank"].tolist() == [1, 2]
    np.testing.assert_allclose(two.sites["population_gained"], [600, 300])
    assert two.verified_gain == pytest.approx(two.objective, abs=1e-6) == 900
    files = two.save(tmp_path / "out")
    table = pd.read_csv(files["csv"], dtype={"code_insee": str})
    assert table.columns.tolist() == ["rank", "name", "code_insee", "lon", "lat",
                                      "population_gained"]
    assert table["code_insee"].tolist() == ["05004", "05002"]
    summary = json.loads(files["summary"].read_text())
    for key in ("method", "k", "objective", "status", "gap", "before", "after"):
        assert key in summary
    assert summary["k"] == 2 and summary["method"] == "mclp"
    layer = gpd.read_file(files["gpkg"], layer="sites")
    assert layer["code_insee"].tolist() == ["05004", "05002"]
    geo = json.loads(two.to_geojson())
    assert len(geo["features"]) == 2


def test_greedy_and_other_methods(world):
    greedy = plan_sites(world, k=2, solver="greedy", verify=False)
    assert greedy.objective == pytest.approx(900)
    assert np.isnan(greedy.verified_gain) and greedy.after == {}
    cover = plan_sites(world, method="lscp")
    # every uncovered commune needs its own venue
    assert cover.objective == len(cover.sites) == 3
    assert cover.verified_gain == pytest.approx(1100, abs=1e-6)
    med = plan_sites(world, k=1, method="pmedian", verify=False)
    assert len(med.sites) == 1 and "minutes_saved" in med.sites
    assert med.status == "optimal"


def test_commune_and_file_candidates(world, tmp_path):
    plan = plan_sites(world, k=1, candidates="communes", verify=False)
    assert plan.sites["code_insee"].tolist()[0] in {"05004", "05005"}
    path = tmp_path / "cands.geojson"
    gpd.GeoDataFrame({"label": ["ici"]}, geometry=[Point(7.2, LAT + 0.005)],
                     crs="EPSG:4326").to_file(path)
    own = plan_sites(world, k=1, candidates=path, verify=False)
    assert own.sites["name"].tolist() == ["ici"]
    assert own.sites["code_insee"].tolist() == ["05003"]  # found by location
    cands = candidate_sites(world, "mediation")
    assert cands.crs.to_epsg() == 4326 and len(cands) == 3


def test_bad_requests_are_clear_errors(world, tmp_path):
    with pytest.raises(InputError, match="needs k"):
        plan_sites(world)
    with pytest.raises(InputError, match="method"):
        plan_sites(world, k=1, method="pcenter")
    with pytest.raises(InputError, match="candidates"):
        plan_sites(world, k=1, candidates=tmp_path / "missing.gpkg")
    with pytest.raises(InputError, match="threshold"):
        plan_sites(world, k=1, threshold=-5)


def test_format_plan_keeps_commas_in_names():
    from types import SimpleNamespace

    import pandas as pd

    from proximite.cli.plan import format_plan

    sites = pd.DataFrame({"rank": [1], "name": ["Diniapolis, La Fabrique"],
                          "code_insee": ["04070"], "population_gained": [12345.4]})
    plan = SimpleNamespace(method="mclp", sites=sites, threshold=30.0, status="optimal",
                           solver="highs", gap=0.0, before={}, after={})
    text = format_plan(plan)
    assert "1. Diniapolis, La Fabrique (04070) : +12\u202f345 habitants" in text
