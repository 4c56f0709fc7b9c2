"""Batch on the real data (../shared/data): 05 + 83 on Dask, re-runs, failures, screening.

The tests of this module share one output folder and run in order: first run,
re-run (skips), a changed input (re-runs only that one), a corrupt road file
(fails alone, CLI exit code 1), a département without roads (screening), and
the national screening run.
"""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import time

import pandas as pd
import pytest

from proximite import paths
from proximite.batch import batch_audit
from proximite.cli import main

# the tests of this module share one output folder, in order: keep them on one xdist worker
pytestmark = [pytest.mark.shared, pytest.mark.slow, pytest.mark.xdist_group("batch_shared")]

ROADS = ("osm-roads-05-202107.geojson.gz", "osm-roads-83-202107.geojson.gz")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not paths.shared_data_available():
        pytest.skip(f"shared data not available at {paths.SHARED_DATA_DIR}")
    base = tmp_path_factory.mktemp("batch")
    roads = base / "roads"
    roads.mkdir()
    for name in ROADS:
        shutil.copy(paths.SHARED_DATA_DIR / "roads" / name, roads / name)
    return {"roads": roads, "out": base / "out"}


def _manifest(out):
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["departements"]


def _run(env, deps, **kw):
    return batch_audit(deps, roads_dir=env["roads"], out=env["out"], workers=2, maps=False,
                       **kw)


@pytest.fixture(scope="module")
def first(env):
    t0 = time.perf_counter()
    table = _run(env, "05,83")
    return table, time.perf_counter() - t0


def test_first_run_05_83(env, first):
    table, seconds = first
    out = env["out"]
    assert list(table["departement"]) == ["05", "83"]
    assert (table["status"] == "ok").all() and (table["method"] == "network").all()
    assert table["share_within_threshold"].between(0.9, 1.0).all()
    m = _manifest(out)
    for dep in ("05", "83"):
        e = m[dep]
        assert e["status"] == "ok" and e["error"] is None and e["method"] == "network"
        assert len(e["inputs"]["roads"]["sha256"]) == 64
        assert {"sites", "communes", "communes_boundaries"} <= set(e["inputs"])
        assert len(e["speed_profile_hash"]) == 64 and e["version"]
        assert e["timings"]["total_seconds"] > 0
        for rel in e["outputs"].values():
            assert (out / rel).is_file()
    assert "broadband" in m["05"]["inputs"] and "mediation" in m["83"]["inputs"]
    cal = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert cal["calibrated"] and cal["departements"] == ["05", "83"]
    assert 1.0 < cal["factor"] < 2.5
    assert cal["overall"]["mae_minutes"] < 5
    assert set(cal["per_departement"]) == {"05", "83"}
    summary = pd.read_csv(out / "summary.csv", dtype={"departement": str})
    assert list(summary["departement"]) == ["05", "83"]
    assert len(pd.read_parquet(out / "summary.parquet")) == 2
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="05/communes.csv"' in index and "<script" not in index
    print(f"05+83 batch (2 workers, no maps): {seconds:.1f} s")


def test_rerun_skips_everything(env, first):
    csv = env["out"] / "83" / "communes.csv"
    before = csv.stat().st_mtime_ns
    t0 = time.perf_counter()
    table = _run(env, "05,83")
    assert time.perf_counter() - t0 < 10
    assert (table["status"] == "skipped").all()
    assert table["share_within_threshold"].notna().all()     # figures still reported
    m = _manifest(env["out"])
    assert m["05"]["status"] == m["83"]["status"] == "skipped"
    assert m["83"]["timings"]["recomputed"] is False
    assert m["83"]["computed"]["timings"]["audit_seconds"] > 0
    assert csv.stat().st_mtime_ns == before


def test_changed_input_reruns_only_it(env, first):
    # same roads, different bytes: the hash changes, so 05 is recomputed
    path = env["roads"] / ROADS[0]
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
    table = _run(env, "05,83").set_index("departement")
    assert table.loc["05", "status"] == "ok"
    assert table.loc["83", "status"] == "skipped"
    m = _manifest(env["out"])
    assert m["05"]["inputs"]["roads"]["sha256"] != m["83"]["inputs"]["roads"]["sha256"]


def test_corrupt_roads_fail_alone(env, first, capsys):
    from distributed import LocalCluster

    (env["roads"] / ROADS[0]).write_bytes(b"this is not a road file\n")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        rc = main(["-q", "batch", "--departements", "05,83", "--roads-dir", str(env["roads"]),
                   "--out", str(env["out"]), "--no-maps",
                   "--scheduler", cluster.scheduler_address])
    captured = capsys.readouterr()
    assert rc == 1
    fails = [line for line in captured.err.splitlines() if "failed" in line]
    assert len(fails) == 1 and "05 failed" in fails[0]
    m = _manifest(env["out"])
    assert m["05"]["status"] == "failed" and m["05"]["error"]
    assert m["83"]["status"] == "skipped"
    table = pd.read_csv(env["out"] / "summary.csv", dtype={"departement": str})
    assert table.set_index("departement").loc["05", "status"] == "failed"


def test_departement_without_roads_is_screened(env, first, caplog):
    shutil.copy(paths.SHARED_DATA_DIR / "roads" / ROADS[0], env["roads"] / ROADS[0])
    with caplog.at_level(logging.WARNING, logger="proximite.batch"):
        table = _run(env, "04,05,83").set_index("departement")
    assert any("no road file" in r.getMessage() and "04" in r.getMessage()
               for r in caplog.records)
    assert table.loc["05", "status"] == "ok"              # failed before: recomputed
    assert table.loc["04", "method"] == "estimate" and table.loc["04", "status"] == "ok"
    assert table.loc["04", "calibration"] == "calibrated on 05, 83"
    assert table.loc["04", "calibration_mae_minutes"] > 0
    communes = pd.read_csv(env["out"] / "04" / "communes.csv", dtype={"code_insee": str})
    assert (communes["method"] == "estimate").all()
    assert communes["code_insee"].str.startswith("04").all() and len(communes) > 190
    assert communes["minutes_fs"].notna().all()
    summary = pd.read_csv(env["out"] / "summary.csv", dtype={"departement": str})
    assert summary.set_index("departement").loc["04", "method"] == "estimate"


def test_national_screening_run(env, first):
    from proximite.sources import load_france_services

    t0 = time.perf_counter()
    table = _run(env, "all")
    seconds = time.perf_counter() - t0
    assert len(table) == 101 and table["departement"].is_unique
    assert (table["status"] != "failed").all(), table.loc[table["status"] == "failed", "error"]
    by = table.set_index("departement")
    assert by.loc["05", "status"] == by.loc["83", "status"] == by.loc["04", "status"] == "skipped"
    assert (by.drop(index=["05", "83"])["method"] == "estimate").all()
    assert by["communes"].sum() > 34_000
    fs = load_france_services()
    est = by[by["method"] == "estimate"]
    expected = fs["departement"].astype(str).value_counts()
    assert (est["sites_in_departement"] == expected.reindex(est.index).fillna(0)).all()
    assert set(expected.index) - set(by.index) <= {"978"}  # Saint-Martin is no département
    assert (env["out"] / "974" / "communes.csv").is_file()
    print(f"national screening run (99 estimated, 2 skipped): {seconds:.1f} s")
