"""The audit on the embedded Hautes-Alpes (05) data: real outcomes, real files."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pyogrio
import pytest

from proximite import paths
from proximite.auditing import COMMUNE_COLUMNS, audit
from proximite.cli import main


@pytest.fixture(scope="module")
def audit05():
    return audit("05")


@pytest.fixture(scope="module")
def cog05():
    rows = json.load(gzip.open(paths.COMMUNES_COG_JSON, "rt", encoding="utf-8"))
    return [r for r in rows if r.get("type") == "commune-actuelle" and r["departement"] == "05"]


def test_population_equals_cog_total(audit05, cog05):
    total = sum(r["population"] for r in cog05)
    assert audit05.summary["population"] == total
    assert audit05.communes["population"].sum() == total
    # the population points carry exactly that population
    assert audit05.population["population"].sum() == pytest.approx(total, rel=1e-9)


def test_every_commune_has_a_row(audit05, cog05):
    assert sorted(audit05.communes["code_insee"]) == sorted(r["code"] for r in cog05)
    assert list(audit05.communes.columns[:-1]) == COMMUNE_COLUMNS
    assert audit05.summary["communes"] == len(cog05)


def test_no_nan_outside_documented_cases(audit05):
    c = audit05.communes
    reachable = c["unreachable_population"] < c["population"]
    assert c.loc[reachable, "minutes_fs"].notna().all()
    assert c["share_within_threshold"].notna().all()
    assert c["fragility"].notna().all()
    assert c["share_30mbps"].notna().all()  # the 05 broadband file covers every commune
    assert c["minutes_mediation"].notna().sum() > 0.9 * len(c)
    # travel times are plausible for a mountain département
    assert (c["minutes_fs"].dropna() >= 0).all()
    assert c["minutes_fs"].max() < 180


def test_summary_is_consistent(audit05):
    s = audit05.summary
    assert s["population_within_20"] <= s["population_within_30"] <= s["population"]
    assert s["share_within_30"] == pytest.approx(s["population_within_30"] / s["population"],
                                                 abs=1e-6)
    assert s["communes_beyond_threshold"] == int(audit05.communes["beyond_threshold"].sum())
    # 05 has 21 France Services; the roads reach sites of neighbouring départements too
    assert s["sites_used"] >= 21
    assert s["sites_outside_departement"] == s["sites_used"] - int(
        (audit05.sites["departement"] == "05").sum())
    for key in ("communes", "sites", "roads"):
        assert len(s["inputs"][key]["sha256"]) == 64
    # the loaders' reports are kept: what was read, kept and warned about
    assert s["inputs"]["sites"]["load"]["rows_read"] == 2845
    assert s["inputs"]["sites"]["load"]["warnings"]["overlapping_hours"] == 79
    assert s["inputs"]["communes"]["load"]["rows_kept"] == s["communes"]


def test_saved_files(audit05, tmp_path):
    written = audit05.save(tmp_path / "a", maps=False)
    layers = {name for name, _ in pyogrio.list_layers(written["gpkg"])}
    assert {"communes", "sites", "isochrones"} <= layers
    com = pyogrio.read_dataframe(written["gpkg"], layer="communes")
    assert len(com) == len(audit05.communes)
    assert com["code_insee"].str.fullmatch(r"05\d{3}").all()
    csv = pd.read_csv(written["csv"], dtype=str)
    assert "05061" in set(csv["code_insee"])
    assert csv["code_insee"].str.len().eq(5).all()
    summary = json.loads(written["summary"].read_text(encoding="utf-8"))
    assert summary["population"] == audit05.summary["population"]


def test_same_input_same_bytes(audit05, tmp_path):
    a = audit05.save(tmp_path / "a", maps=False)
    again = audit("05")
    b = again.save(tmp_path / "b", maps=False)
    for key in ("gpkg", "csv", "summary"):
        assert a[key].read_bytes() == b[key].read_bytes(), key


def test_cli_audit(tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["-q", "audit", "--departement", "05", "--out", str(out), "--no-maps"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "à moins de 30 min" in printed
    assert (out / "communes.csv").exists() and (out / "summary.json").exists()


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    bad = tmp_path / "sites.csv"
    bad.write_text("nothing,useful\n1,2\n", encoding="utf-8")
    code = main(["-q", "audit", "--sites", str(bad), "--out", str(tmp_path / "x")])
    assert code != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "sites.csv" in err[0]


def test_double_fracture_is_documented_rule(audit05):
    from proximite.auditing import POOR_BROADBAND_SHARE

    c = audit05.communes
    expected = c["beyond_threshold"] & (c["share_30mbps"] < POOR_BROADBAND_SHARE)
    assert (c["double_fracture"] == expected).all()
    assert np.all((c["fragility"] >= 0) & (c["fragility"] <= 1))


def test_maps_and_report_written(audit05, tmp_path):
    import re

    written = audit05.save(tmp_path / "m", maps=True)
    html = written["map"].read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?://", html)
    # every commune of the audit is drawn (its code is in its feature's tooltip data)
    missing = [c for c in audit05.communes["code_insee"] if f'"{c}"' not in html]
    assert missing == []
    assert written["png"].stat().st_size > 50_000
    report = written["report"].read_text(encoding="utf-8")
    assert "La Chapelle-en-Valgaudémar" in report  # the one commune beyond 30 min


def test_communes_from_a_user_layer(audit05, tmp_path):
    """A GeoPackage of communes with code and population replaces the embedded COG."""
    layer = audit05.communes[["code_insee", "nom", "population", "geometry"]].copy()
    layer["population"] = layer["population"] * 2
    layer["code_insee"] = layer["code_insee"].str.lstrip("0")  # lost leading zeros, repaired
    path = tmp_path / "mes-communes.gpkg"
    layer.to_file(path, layer="communes")
    again = audit("05", roads=audit05.network, communes=path, broadband=False, mediation=False)
    assert again.summary["population"] == 2 * audit05.summary["population"]
    assert set(again.communes["code_insee"]) == set(audit05.communes["code_insee"])
    assert again.summary["inputs"]["communes"]["file"] == "mes-communes.gpkg"


def test_communes_layer_bad_population_names_the_row(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from proximite.errors import InputError
    from proximite.sources import read_commune_layer

    bad = gpd.GeoDataFrame({"code_insee": ["05001", "05002"], "population": [10, -3]},
                           geometry=[box(6, 44, 6.1, 44.1), box(6.1, 44, 6.2, 44.1)],
                           crs="EPSG:4326")
    path = tmp_path / "bad.geojson"
    bad.to_file(path)
    with pytest.raises(InputError, match=r"bad.geojson, row 2, field 'population'"):
        read_commune_layer(path)


def test_cli_tiles_option(tmp_path, capsys):
    out = tmp_path / "tiles"
    url = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    code = main(["-q", "audit", "--out", str(out), "--tiles", url,
                 "--tiles-attribution", "© OpenStreetMap contributors"])
    assert code == 0
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" in html
    # without the credit line: a one-line error
    code = main(["-q", "audit", "--out", str(out), "--tiles", url])
    assert code == 1
    assert "--tiles-attribution" in capsys.readouterr().err


def test_permanent_desks_only(audit05, capsys, tmp_path):
    """Without antennas the promise can only get worse, never better."""
    fixed = audit("05", roads=audit05.network, kinds=["fixed"])
    assert fixed.summary["sites_used"] == int((audit05.sites["kind"] == "fixed").sum()) == 17
    assert fixed.summary["site_kinds"] == ["fixed"]
    assert fixed.summary["population_within_20"] <= audit05.summary["population_within_20"]
    assert (fixed.population["seconds"].to_numpy()
            >= audit05.population["seconds"].to_numpy() - 1e-9).all()
    code = main(["-q", "audit", "--kinds", "fixed,bus", "--out", str(tmp_path / "k")])
    assert code == 1 and "unknown site kind(s) bus" in capsys.readouterr().err
