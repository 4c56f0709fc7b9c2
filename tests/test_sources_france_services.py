"""France Services loader on the real 2024-08-01 file."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from proximite import paths
from proximite.sources import load_france_services
from proximite.sources.france_services import KINDS, classify_kind

OVERLAPS = 79  # day strings with overlapping intervals (counted once)


@pytest.fixture(scope="module")
def fs():
    return load_france_services()


def _hours(text: str) -> float:
    """Independent hand computation: minutes covered by 'HH:MM - HH:MM' intervals."""
    if not isinstance(text, str) or not text:
        return 0.0
    minutes: set[int] = set()
    for part in text.split(" / "):
        a, b = part.split(" - ")
        ha, ma = map(int, a.split(":"))
        hb, mb = map(int, b.split(":"))
        minutes.update(range(ha * 60 + ma, hb * 60 + mb))
    return len(minutes) / 60


def test_row_counts(fs):
    with paths.FRANCE_SERVICES_CSV.open(encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == 2885  # physical lines: multi-line quoted fields
    assert len(fs) == 2845
    assert (fs["type_fs"] == "Principal").sum() == 2721
    assert (fs["type_fs"] == "Antenne").sum() == 124
    assert (fs["departement"] == "05").sum() == 21
    report = fs.attrs["report"]
    assert report.rows_read == report.rows_kept == 2845
    assert fs.attrs["report"].without_coordinates.empty
    assert report.counts == {"departement_mismatch": 1, "overlapping_hours": OVERLAPS}


def test_filter_departements():
    assert len(load_france_services(departements="05")) == 21
    assert len(load_france_services(departements=["5", "2a"])) == 21 + 15
    assert set(load_france_services(departements="971")["departement"]) == {"971"}


def test_codes_are_text(fs):
    for col in ("id_fs", "insee_dep", "insee_com", "code_postal", "departement"):
        assert fs[col].map(type).eq(str).all(), col
    assert fs["insee_com"].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    assert fs["code_postal"].str.fullmatch(r"\d{5}").all()
    assert fs.loc[fs["id_fs"] == "1", "insee_com"].item() == "01033"
    assert "2A004" in set(fs["insee_com"])
    assert fs["departement"].str.len().between(2, 3).all()
    assert fs.crs.to_epsg() == 4326
    assert (fs.geometry.geom_type == "Point").all()


def test_kind_counts_consistent_with_format(fs):
    counts = fs["kind"].value_counts().to_dict()
    assert set(counts) == set(KINDS)
    assert counts == {"fixed": 2558, "itinerant": 163, "antenna": 124}
    itinerant = fs["format_fs"].isin(["Bus_équivalent", "Itinérante"])
    assert (fs.loc[itinerant, "kind"] == "itinerant").all()
    assert itinerant.sum() == counts["itinerant"]
    assert (fs.loc[~itinerant & (fs["type_fs"] == "Antenne"), "kind"] == "antenna").all()
    assert classify_kind("Principal", "Fixe") == "fixed"
    assert classify_kind(None, None) == "fixed"


def test_weekly_hours_hand_computed(fs):
    days = ["h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi"]
    embrun = fs[fs["id_fs"] == "576"].iloc[0]
    assert embrun["lib_fs"] == "France services Embrun"
    assert embrun["h_lundi"] == "08:00 - 12:00 / 13:30 - 17:00"
    expected = sum(_hours(embrun[d]) for d in days)
    assert expected == pytest.approx(37.5)
    assert embrun["weekly_hours"] == pytest.approx(expected)
    assert not embrun["open_saturday"]
    la_saulce = fs[fs["id_fs"] == "2014"].iloc[0]
    assert la_saulce["h_samedi"] == "10:00 - 12:00"
    assert la_saulce["open_saturday"]
    assert la_saulce["weekly_hours"] == pytest.approx(sum(_hours(la_saulce[d]) for d in days))


def test_weekly_hours_all_rows_match_independent_sum(fs):
    days = ["h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi"]
    # "00:00 - 00:00" means closed: the hand sum gives 0 for it too.
    expected = fs[days].apply(lambda r: sum(_hours(v) for v in r), axis=1)
    pd.testing.assert_series_equal(fs["weekly_hours"], expected, check_names=False)
    assert fs["open_saturday"].sum() == (fs["h_samedi"].map(_hours) > 0).sum()
    assert fs["weekly_hours"].notna().all()


def test_all_columns_kept(fs):
    with paths.FRANCE_SERVICES_CSV.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert list(fs.columns[: len(header)]) == header
    assert {"departement", "kind", "weekly_hours", "open_saturday", "geometry"} <= set(fs.columns)
    multi = fs["commentaire"].dropna()
    assert multi.str.contains("\n").sum() == 4
