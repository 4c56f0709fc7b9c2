"""Broadband loaders: 2026 per-commune JSON and the 2018 ARCEP observatory."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from proximite import paths
from proximite.sources import load_broadband

SHARES = ["share_30mbps", "share_ftth", "share_sat_4g"]


def test_2026_json_05():
    df = load_broadband()
    assert list(df.columns) == ["code_insee", "premises", *SHARES, "vintage"]
    assert len(df) == 162
    assert df["code_insee"].str.fullmatch(r"05\d{3}").all()
    assert df["premises"].dtype == np.int64
    for col in SHARES:
        assert df[col].between(0, 1).all(), col
    assert set(df["vintage"]) == {"2026T2"}
    assert df.attrs["report"].count() == 0


def test_2026_share_by_hand():
    with paths.BROADBAND_JSON.open(encoding="utf-8") as fh:
        raw = json.load(fh)
    rec = raw["05093"]
    row = load_broadband(departement="05").set_index("code_insee").loc["05093"]
    assert row["premises"] == rec["n"] == 765
    assert row["share_30mbps"] == pytest.approx(rec["d"][0] / rec["n"])  # 586 / 765
    assert row["share_ftth"] == pytest.approx(rec["f"][0] / rec["f"][1])  # 553 / 844
    assert row["share_sat_4g"] == pytest.approx((rec["b"]["sat"] + rec["b"]["4gf"]) / rec["n"])


def test_2026_other_departement_is_empty():
    assert load_broadband(departement="83").empty


def test_2018_embedded_extract():
    path = paths.DATA_DIR / "broadband" / "arcep-ftth-communes-05-2018T1.csv"
    df = load_broadband(path)
    assert len(df) == 163  # COG 2018 communes of 05
    assert set(df["vintage"]) == {"2018T1"}
    assert df["premises"].dtype == np.int64
    assert df["share_ftth"].between(0, 1).all()
    assert df["share_30mbps"].isna().all() and df["share_sat_4g"].isna().all()
    ancelle = df.set_index("code_insee").loc["05004"]
    assert ancelle["premises"] == 1720 + 39  # " 1\xa0720    " + " 39    "
    assert df.attrs["report"].count() == 0


def test_2018_without_companion(tmp_path):
    src = paths.DATA_DIR / "broadband" / "arcep-ftth-communes-05-2018T1.csv"
    lonely = tmp_path / "arcep-ftth-communes-05-2018T1.csv"
    shutil.copy(src, lonely)
    df = load_broadband(lonely)
    assert df.attrs["report"].count("missing_companion") == 1
    assert df["premises"].isna().all()
    assert df["share_ftth"].isna().all()
    # explicit companion path
    comp = paths.DATA_DIR / "broadband" / "arcep-communes-05-2018T1.csv"
    assert load_broadband(lonely, premises_path=comp)["premises"].notna().all()


@pytest.mark.shared
def test_2018_national(shared_data):
    df = load_broadband(shared_data / "broadband" / "arcep-ftth-communes-2018T1.csv")
    assert len(df) == 35361
    assert df["code_insee"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    assert {"2A004", "2B033", "05061", "97101"} <= set(df["code_insee"])
    assert df["share_ftth"].dropna().between(0, 1).all()
    report = df.attrs["report"]
    assert report.count("share_clipped") == 689  # connectable > dwellings + establishments
    assert set(report.counts) == {"share_clipped"}
    corsica = load_broadband(
        shared_data / "broadband" / "arcep-ftth-communes-2018T1.csv", departement="2A"
    )
    assert len(corsica) == 124
    assert corsica["code_insee"].str.startswith("2A").all()
