"""Communes: COG 2026 populations on COG 2018 boundaries."""

from __future__ import annotations

import gzip
import json

import pytest

from proximite import paths
from proximite.errors import InputError
from proximite.sources import load_communes


@pytest.fixture(scope="module")
def cog():
    with gzip.open(paths.COMMUNES_COG_JSON, "rt", encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def communes05():
    return load_communes("05")


def test_population_and_count_05(communes05, cog):
    actual = [c for c in cog if c["type"] == "commune-actuelle" and c["departement"] == "05"]
    assert len(communes05) == len(actual) == 162
    assert communes05["population"].sum() == sum(c["population"] for c in actual) == 143467
    assert set(communes05["code_insee"]) == {c["code"] for c in actual}
    # delegated / associated communes are not counted twice
    others = [c for c in cog if c["type"] != "commune-actuelle" and c["departement"] == "05"]
    assert others and not (set(communes05["code_insee"]) - {c["code"] for c in actual})


def test_geometries_05(communes05):
    assert communes05.crs.to_epsg() == 4326
    assert communes05.geometry.notna().all()
    assert (~communes05.geometry.is_empty).all()
    assert communes05.is_valid.all()
    assert communes05.attrs["unreconciled"] == []
    assert communes05.attrs["report"].count() == 0
    assert communes05["population"].dtype == "int64"
    assert communes05["code_insee"].map(type).eq(str).all()
    assert set(communes05["departement"]) == {"05"}


def test_merged_commune_gets_union(communes05):
    import geopandas as gpd

    old = gpd.read_file(f"/vsigzip/{paths.COMMUNES_BOUNDARIES}")
    abries = communes05.set_index("code_insee").loc["05001"]
    assert abries["anciens_codes"] == "05120"
    parts = old[old["code"].isin(["05001", "05120"])]
    merged = communes05[communes05["code_insee"] == "05001"].to_crs(2154)
    assert merged.area.item() == pytest.approx(parts.to_crs(2154).area.sum(), rel=1e-6)


def test_missing_boundaries_error(tmp_path, monkeypatch):
    from proximite.sources import communes as mod

    monkeypatch.setattr(mod, "SHARED_BOUNDARIES", tmp_path / "absent.geojson.gz")
    with pytest.raises(InputError, match="not embedded"):
        load_communes("83")
    with pytest.raises(InputError, match="unknown département"):
        load_communes("20")


@pytest.mark.shared
def test_other_departement_from_shared(shared_data, cog):
    gdf = load_communes("2A")
    actual = [c for c in cog if c["type"] == "commune-actuelle" and c["departement"] == "2A"]
    assert len(gdf) == len(actual)
    assert gdf["population"].sum() == sum(c["population"] for c in actual)
    assert "2A004" in set(gdf["code_insee"])


@pytest.mark.slow
@pytest.mark.shared
def test_national_unreconciled(shared_data):
    gdf = load_communes()
    report = gdf.attrs["report"]
    # communes re-created since 2018 and collectivities without 2018 boundaries
    assert report.count("no_boundary") == 101
    assert report.count("unused_boundary") == 0
    assert {"14666", "85165", "97501"} <= set(gdf.attrs["unreconciled"])
    assert len(gdf) == 34969 - 101
