"""Batch: screening math, calibration, manifest skip logic, national table (no Dask)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from proximite.batch import national, screening
from proximite.batch.manifest import Manifest, describe_inputs, fingerprint
from proximite.batch.roads import find_roads_file
from proximite.batch.runner import all_departements, parse_departements

# Lambert-93 coordinates somewhere in the Hautes-Alpes
X0, Y0 = 940_000.0, 6_400_000.0


def square(x: float, y: float, half: float = 500.0) -> shapely.Polygon:
    return shapely.box(x - half, y - half, x + half, y + half)


@pytest.fixture
def handmade():
    """Two communes of 05 and one of 04; two sites, one across the border."""
    communes = gpd.GeoDataFrame(
        {"code_insee": ["05001", "05002", "04001"], "nom": ["A", "B", "C"],
         "departement": ["05", "05", "04"], "population": [100, 300, 50]},
        geometry=[square(X0, Y0), square(X0 + 30_000, Y0), square(X0, Y0 + 20_000)],
        crs="EPSG:2154")
    sites = gpd.GeoDataFrame(
        {"id_fs": ["s1", "s2"], "lib_fs": ["FS un", "FS deux"], "departement": ["05", "04"]},
        geometry=[shapely.Point(X0 + 10_000, Y0), shapely.Point(X0, Y0 + 20_000)],
        crs="EPSG:2154").to_crs("EPSG:4326")
    return communes, sites


def test_estimate_minutes_known_values():
    # 10 km × 1.5 at 60 km/h = 15 min; 0 m = 0 min; no site (inf) = NaN
    out = screening.estimate_minutes([10_000.0, 0.0, np.inf], 1.5, 60.0)
    assert out[0] == pytest.approx(15.0)
    assert out[1] == 0.0
    assert np.isnan(out[2])
    assert screening.estimate_minutes([45_000.0], 2.0, 90.0)[0] == pytest.approx(60.0)


def test_handmade_estimate(handmade):
    communes, sites = handmade
    est = screening.estimate_communes(communes, sites, factor=1.5, speed_kmh=60.0, threshold=30)
    est = est.set_index("code_insee")
    assert (est["method"] == "estimate").all()
    # 05001: 10 km to s1 -> 15 min; 05002: 20 km to s1 -> 30 min (not beyond: <= threshold)
    assert est.loc["05001", "distance_km"] == pytest.approx(10.0, abs=1e-3)
    assert est.loc["05001", "minutes_fs"] == pytest.approx(15.0, abs=0.01)
    assert est.loc["05001", "nearest_fs_id"] == "s1"
    assert est.loc["05002", "minutes_fs"] == pytest.approx(30.0, abs=0.01)
    assert not est.loc["05002", "beyond_threshold"]
    # 04001 holds s2: 0 min, served at home; 05001 is 20 km from s2, 10 km from s1
    assert est.loc["04001", "minutes_fs"] == pytest.approx(0.0, abs=0.01)
    assert not est.loc["04001", "served_across_border"]
    assert not est.loc["05001", "served_across_border"]
    # at a lower factor 05002 stays within, at a higher one it goes beyond
    est2 = screening.estimate_communes(communes, sites, factor=1.6, speed_kmh=60.0, threshold=30)
    assert est2.set_index("code_insee").loc["05002", "beyond_threshold"]
    assert list(est.reset_index().columns) == screening.ESTIMATE_COLUMNS


def test_nearest_site_across_border():
    communes = gpd.GeoDataFrame({"code_insee": ["05001"], "departement": ["05"],
                                 "population": [10], "nom": ["A"]},
                                geometry=[square(X0, Y0)], crs="EPSG:2154")
    sites = gpd.GeoDataFrame({"id_fs": ["far", "near"], "lib_fs": ["x", "y"],
                              "departement": ["05", "38"]},
                             geometry=[shapely.Point(X0 + 50_000, Y0),
                                       shapely.Point(X0, Y0 + 5_000)], crs="EPSG:2154")
    est = screening.estimate_communes(communes, sites, factor=1.0, speed_kmh=60.0)
    assert est.loc[0, "nearest_fs_id"] == "near"
    assert est.loc[0, "served_across_border"]
    assert est.loc[0, "minutes_fs"] == pytest.approx(5.0, abs=0.01)


def test_sea_is_not_crossed():
    # a Corsican commune near a (continental) site but with only a far Corsican one
    pts = gpd.GeoDataFrame(
        {"id_fs": ["nice", "ajaccio"], "lib_fs": ["n", "a"], "departement": ["06", "2A"]},
        geometry=[shapely.Point(7.26, 43.70), shapely.Point(8.74, 41.92)], crs="EPSG:4326")
    com = gpd.GeoDataFrame({"code_insee": ["2B050"], "departement": ["2B"], "population": [1],
                            "nom": ["Cap"]},
                           geometry=[shapely.Point(9.40, 43.00).buffer(0.01)], crs="EPSG:4326")
    near = screening.nearest_sites(com, pts)
    assert pts.iloc[near.loc[0, "site"]]["id_fs"] == "ajaccio"
    # an overseas commune with no site in its territory: no site, no time
    com2 = com.assign(departement="976", geometry=[shapely.Point(45.1, -12.8).buffer(0.01)])
    est = screening.estimate_communes(com2, pts, factor=1.5)
    assert np.isnan(est.loc[0, "minutes_fs"]) and est.loc[0, "beyond_threshold"]
    assert screening.land_group("2A") == "corse" and screening.land_group("974") == "974"


def _sample(dist_km, minutes, pop, dep="05", beyond=None):
    n = len(dist_km)
    return pd.DataFrame({
        "code_insee": [f"{dep}{i:03d}" for i in range(n)], "departement": dep,
        "population": pop, "minutes_network": minutes,
        "beyond_network": beyond if beyond is not None else [m > 30 for m in minutes],
        "distance_m": np.asarray(dist_km, float) * 1000.0})


def test_fit_factor_exact_and_weighted():
    # y = 1.5 × x exactly -> factor 1.5, zero error
    s = _sample([10, 20, 5], [15.0, 30.0, 7.5], [10, 20, 30])
    assert screening.fit_factor(s) == pytest.approx(1.5)
    err = screening.calibration_errors(s, 1.5, threshold=30)
    assert err["mae_minutes"] == pytest.approx(0.0, abs=1e-9)
    assert err["flag_mismatch_share"] == 0.0
    # weighted LS: k = Σ w x y / Σ w x², by hand
    s2 = _sample([10, 20], [20.0, 30.0], [1, 3])
    x = np.array([10.0, 20.0])  # minutes at 60 km/h, factor 1
    y = np.array([20.0, 30.0])
    w = np.array([1.0, 3.0])
    assert screening.fit_factor(s2) == pytest.approx((w * x * y).sum() / (w * x * x).sum())
    # unusable rows (no network time, no population) are left out
    s3 = pd.concat([s, _sample([10], [np.nan], [5]), _sample([10], [99.0], [0])])
    assert screening.fit_factor(s3) == pytest.approx(1.5)


def test_calibrate_reports_errors_and_leave_one_out():
    a = _sample([10, 20, 30], [15.0, 30.0, 45.0], [10, 10, 10], dep="05")
    b = _sample([10, 20, 30], [20.0, 40.0, 60.0], [10, 10, 10], dep="83",
                beyond=[False, True, True])
    cal = screening.calibrate({"05": a, "83": b}, threshold=30)
    assert cal.calibrated and cal.departements == ["05", "83"]
    assert 1.5 < cal.factor < 2.0
    assert cal.label == "calibrated on 05, 83"
    per = cal.per_departement
    assert per["05"]["own_factor"] == pytest.approx(1.5)
    assert per["83"]["own_factor"] == pytest.approx(2.0)
    assert per["05"]["loo_factor"] == pytest.approx(2.0)  # fitted on 83 only
    assert per["05"]["loo_mae_minutes"] > per["05"]["mae_minutes"]
    assert cal.overall["communes"] == 6 and cal.overall["mae_minutes"] > 0
    json.dumps(cal.to_dict())  # JSON-ready


def test_uncalibrated_default():
    cal = screening.calibrate({}, threshold=30)
    assert not cal.calibrated
    assert cal.factor == screening.DEFAULT_DETOUR_FACTOR
    assert cal.label == "uncalibrated"


def test_manifest_skip_logic(tmp_path):
    inp = tmp_path / "roads-05.geojson"
    inp.write_text("abc")
    inputs = describe_inputs({"roads": inp, "absent": None})
    assert set(inputs) == {"roads"} and len(inputs["roads"]["sha256"]) == 64
    fp = fingerprint(inputs, method="network", version="0.1.0", threshold=30.0)
    # parameters count, paths do not
    assert fp != fingerprint(inputs, method="network", version="0.1.0", threshold=20.0)
    moved = {"roads": {"path": "/elsewhere", "sha256": inputs["roads"]["sha256"]}}
    assert fp == fingerprint(moved, method="network", version="0.1.0", threshold=30.0)

    m = Manifest(tmp_path / "out")
    assert m.can_skip("05", fp) == (False, "not computed before")
    (tmp_path / "out" / "05").mkdir(parents=True)
    (tmp_path / "out" / "05" / "communes.csv").write_text("x")
    m.record("05", {"status": "ok", "method": "network", "fingerprint": fp, "maps": False,
                    "outputs": {"csv": "05/communes.csv"}, "timings": {"total_seconds": 3}})
    assert Manifest(tmp_path / "out").can_skip("05", fp)[0]          # reloaded from disk
    assert not m.can_skip("05", "0" * 64)[0]                         # input changed
    assert m.can_skip("05", fp, maps=True) == (False, "maps asked for, not made before")
    e = m.skipped("05", 0.01)
    assert e["status"] == "skipped" and e["computed"]["timings"] == {"total_seconds": 3}
    assert m.can_skip("05", fp)[0]                                   # skipped stays skippable
    (tmp_path / "out" / "05" / "communes.csv").unlink()
    ok, why = m.can_skip("05", fp)
    assert not ok and why.startswith("output missing")
    m.record("83", {"status": "failed", "fingerprint": None, "outputs": {}})
    assert m.can_skip("83", fp) == (False, "previous status failed")
    # a corrupt manifest starts afresh, with a warning, instead of crashing
    (tmp_path / "out" / "manifest.json").write_text("{not json")
    assert Manifest(tmp_path / "out").departements == {}


def test_parse_departements():
    assert parse_departements("05,83") == ["05", "83"]
    assert parse_departements(["83", "5", "2a"]) == ["05", "2A", "83"]
    every = parse_departements("all")
    assert every == all_departements() and len(every) == 101
    assert "2A" in every and "976" in every and "20" not in every and "975" not in every
    from proximite.errors import InputError

    with pytest.raises(InputError):
        parse_departements("05,999")
    with pytest.raises(InputError):
        parse_departements("")


def test_find_roads_file_tokens(tmp_path):
    for name in ("osm-roads-05-202107.geojson.gz", "osm-roads-050.geojson", "x-205.gpkg",
                 "notes-83.txt"):
        (tmp_path / name).write_text("x")
    assert find_roads_file(tmp_path, "05").name == "osm-roads-05-202107.geojson.gz"
    assert find_roads_file(tmp_path, "83") is None
    assert find_roads_file(tmp_path / "missing", "05") is None


def test_flatten_and_table_and_index(tmp_path):
    evil = '<script>alert("x")</script>'
    rows = [
        {"departement": "83", "status": "ok", "method": "network",
         **national.flatten_summary({"population": 100, "population_within_threshold": 90.0,
                                     "share_within_threshold": 0.9, "communes": 3,
                                     "population_methods": {"roads": 2, "centroid": 1},
                                     "inputs": {"roads": {"file": "r", "sha256": "h"}},
                                     "speed_profile": {"a": 1}})},
        {"departement": "04", "status": "failed", "method": "estimate", "error": evil},
    ]
    table = national.summary_table(rows)
    assert list(table["departement"]) == ["04", "83"]
    assert "population_methods.roads" in table and "speed_profile" not in table
    assert json.loads(table.loc[1, "inputs"])["roads"]["sha256"] == "h"
    assert table.columns[-1] == "error"
    national.write_summary(table, tmp_path)
    back = pd.read_parquet(tmp_path / "summary.parquet")
    assert list(back["departement"]) == ["04", "83"]
    totals = national.national_totals(table)
    assert totals["all"]["population"] == 100 and totals["failed"] == ["04"]
    (tmp_path / "83").mkdir()
    (tmp_path / "83" / "map.html").write_text("<html></html>")
    path = national.write_index(
        table, tmp_path, manifest={"83": {"outputs": {"map": "83/map.html",
                                                      "report": "83/report.html"}}},
        calibration=None, totals=totals, threshold=30)
    text = path.read_text(encoding="utf-8")
    assert evil not in text and "&lt;script&gt;" in text
    assert 'href="83/map.html"' in text
    assert "83/report.html" not in text      # missing files are not linked
    assert "<script" not in text and "http" not in text   # self-contained
