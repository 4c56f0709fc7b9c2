"""Mediation venues and conseillers numériques on the real files."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from proximite import paths
from proximite.sources import load_conseillers_numeriques, load_mediation_venues
from proximite.sources.mediation import offers_admin_help, split_services


@pytest.fixture(scope="module")
def venues():
    return load_mediation_venues()


@pytest.fixture(scope="module")
def raw_venues():
    with paths.MEDIATION_JSON.open(encoding="utf-8") as fh:
        return json.load(fh)


def test_counts_pinned(venues, raw_venues):
    assert len(raw_venues) == 792
    report = venues.attrs["report"]
    assert report.rows_read == 792
    assert report.count("missing_coordinates") == 4
    assert len(venues) == 788
    without = venues.attrs["report"].without_coordinates
    assert isinstance(without, pd.DataFrame)
    assert len(without) == 4
    assert without["latitude"].isna().all()
    assert len(venues) + len(without) == 792
    # 05 as counted by the file's own codes (postcode; INSEE code when present)
    by_file = sum(
        1 for v in raw_venues if (v.get("code_insee") or v["code_postal"]).startswith("05")
    )
    assert by_file == 65
    assert (venues["departement"] == "05").sum() == 65
    assert len(load_mediation_venues(departements="05")) == 65


def test_columns_and_types(venues):
    for col in (
        "id",
        "nom",
        "services",
        "code_insee",
        "code_postal",
        "commune",
        "adresse",
        "departement",
        "admin_help",
        "source",
        "date_maj",
    ):
        assert col in venues.columns, col
    assert venues["services"].map(lambda s: isinstance(s, list)).all()
    assert venues["services"].map(lambda s: all(isinstance(x, str) for x in s)).all()
    assert venues["code_postal"].str.fullmatch(r"\d{5}").all()
    assert venues["admin_help"].dtype == bool
    assert venues.crs.to_epsg() == 4326
    assert set(venues["departement"]) == {"04", "05", "06", "13", "83", "84"}


def test_services_and_admin_help(venues, raw_venues):
    raw0 = raw_venues[0]  # the file's first venue has no coordinates
    assert "latitude" not in raw0
    first = venues.attrs["report"].without_coordinates.set_index("id").loc[raw0["id"]]
    assert first["services"] == raw0["services"].split(";")
    assert first["admin_help"]  # "Devenir autonome dans les démarches administratives"
    raw1 = next(v for v in raw_venues if v.get("latitude") is not None)
    located = venues.set_index("id").loc[raw1["id"]]
    assert located["services"] == raw1["services"].split(";")
    assert located.geometry.x == raw1["longitude"] and located.geometry.y == raw1["latitude"]
    expected = sum(
        1 for v in raw_venues if v.get("latitude") is not None and "démarches" in v["services"]
    )
    assert venues["admin_help"].sum() == expected == 199
    assert split_services(None) == []
    assert split_services(" a ; ;b") == ["a", "b"]
    assert offers_admin_help(["Accompagner les démarches de santé"])
    assert not offers_admin_help(["Prendre en main un ordinateur"])


def test_csv_with_same_columns(tmp_path, raw_venues):
    csv_path = tmp_path / "venues.json.csv"  # extension lies: content decides
    pd.DataFrame(raw_venues).to_csv(csv_path, index=False)
    gdf = load_mediation_venues(csv_path, departements="05")
    assert len(gdf) == 65
    assert gdf["services"].map(len).gt(0).all()


def test_conseillers_numeriques():
    gdf = load_conseillers_numeriques()
    report = gdf.attrs["report"]
    assert report.rows_read == 1450
    assert report.count("missing_coordinates") == 12
    assert len(gdf) == 1438
    assert len(gdf.attrs["report"].without_coordinates) == 12
    assert gdf["insee_com"].dropna().str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    ain = gdf[gdf["insee_com"] == "01283"].iloc[0]
    assert ain["code_département"] == "01"  # "1" in the source
    assert ain["code_postal"] == "01100"  # 1100 (a number) in the source
    assert ain["departement"] == "01"
    assert gdf["departement"].notna().all()
    assert len(load_conseillers_numeriques(departements="05")) == 11
