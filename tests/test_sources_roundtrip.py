"""INSEE codes keep their leading zeros and Corsican letters through save/load."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest

from proximite.sources import load_france_services

CODES = ["05061", "2A004"]


@pytest.fixture(scope="module")
def sample():
    fs = load_france_services(departements=["05", "2A"])
    fs = fs[
        [
            "id_fs",
            "insee_dep",
            "insee_com",
            "code_postal",
            "lib_fs",
            "departement",
            "kind",
            "weekly_hours",
            "open_saturday",
            "geometry",
        ]
    ]
    # every real row of 05 and 2A: Gap (05061) and Ajaccio (2A004) are among them
    fs = fs.copy()
    assert set(CODES) <= set(fs["insee_com"])
    fs.attrs = {}  # attrs (LoadReport, DataFrames) are not file metadata
    return fs


def _check(back, sample):
    for col in ("id_fs", "insee_dep", "insee_com", "code_postal", "departement"):
        assert back[col].tolist() == sample[col].tolist(), col
    assert set(CODES) <= set(back["insee_com"])


def test_csv_roundtrip_through_loader(tmp_path):
    fs = load_france_services(departements=["05", "2A"])
    path = tmp_path / "fs.csv"
    fs.drop(columns=["geometry", "departement", "kind", "weekly_hours", "open_saturday"]).to_csv(
        path, index=False
    )
    back = load_france_services(path)
    assert back["insee_com"].tolist() == fs["insee_com"].tolist()
    assert back["insee_dep"].tolist() == fs["insee_dep"].tolist()
    assert {"05061", "2A004"} <= set(back["insee_com"])
    assert back["code_postal"].tolist() == fs["code_postal"].tolist()


def test_gpkg_roundtrip(tmp_path, sample):
    path = tmp_path / "fs.gpkg"
    pyogrio.write_dataframe(sample, path, layer="sites")
    back = gpd.read_file(path, layer="sites")
    _check(back, sample)
    assert back.crs.to_epsg() == 4326


def test_geoparquet_roundtrip(tmp_path, sample):
    path = tmp_path / "fs.parquet"
    sample.to_parquet(path)
    back = gpd.read_parquet(path)
    _check(back, sample)
