"""Shared validation rules, metric CRS and property tests."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from proximite.errors import InputError, LoadReport
from proximite.sources import metric_crs
from proximite.sources.hours import day_hours, parse_intervals
from proximite.sources.validation import (
    INSEE_RE,
    clean_insee_column,
    departement_from_postcode,
    in_france,
    normalise_departement,
    normalise_insee,
    validate_coordinates,
)


@pytest.mark.parametrize(
    ("dep", "epsg"),
    [
        ("05", 2154),
        (5, 2154),
        ("2A", 2154),
        ("2b", 2154),
        ("75", 2154),
        ("971", 5490),
        ("972", 5490),
        ("973", 2972),
        ("974", 2975),
        ("975", 4467),
        ("976", 4471),
        ("977", 5490),
        ("978", 5490),
    ],
)
def test_metric_crs(dep, epsg):
    crs = metric_crs(dep)
    assert crs.to_epsg() == epsg
    assert crs.is_projected
    assert crs.axis_info[0].unit_name == "metre"


@pytest.mark.parametrize("dep", ["20", "99", "00", "970", "abc", "", None])
def test_metric_crs_unknown(dep):
    with pytest.raises(InputError):
        metric_crs(dep)


def test_normalise_insee_cases():
    assert normalise_insee("05061") == "05061"
    assert normalise_insee("5061") == "05061"
    assert normalise_insee(5061) == "05061"
    assert normalise_insee(5061.0) == "05061"
    assert normalise_insee("2a004") == "2A004"
    assert normalise_insee(" 2B033 ") == "2B033"
    assert normalise_insee(None) is None
    assert normalise_insee(float("nan")) is None
    for bad in ("ABCDE", "123", "050611", "2C004", "05-61"):
        with pytest.raises(ValueError):
            normalise_insee(bad)


def test_clean_insee_column_reports():
    report = LoadReport("x")
    s = pd.Series(["05061", "5061", "oops", None, "2A004"], index=[1, 2, 3, 4, 5])
    out = clean_insee_column(s, report, "insee_com")
    assert out[1] == "05061" and out[2] == "05061" and out[5] == "2A004"
    assert pd.isna(out[3]) and pd.isna(out[4])
    assert report.counts == {"repaired_insee": 1, "malformed_insee": 1, "missing_insee": 1}
    assert [i.row for i in report.issues] == [2, 3, 4]


def test_departements_and_postcodes():
    assert normalise_departement("1") == "01"
    assert normalise_departement(1) == "01"
    assert normalise_departement("2a") == "2A"
    assert normalise_departement("971") == "971"
    assert departement_from_postcode("20000") == "2A"
    assert departement_from_postcode("20137") == "2A"
    assert departement_from_postcode("20200") == "2B"
    assert departement_from_postcode("20600") == "2B"
    assert departement_from_postcode("97400") == "974"
    assert departement_from_postcode("05000") == "05"


def test_coordinates_swap_and_outside():
    report = LoadReport("x")
    lat = pd.Series(["44.56", "6.08", "0", "", "abc", "-21.1"], index=[1, 2, 3, 4, 5, 6])
    lon = pd.Series(["6.08", "44.56", "0", "", "5", "55.5"], index=[1, 2, 3, 4, 5, 6])
    y, x, ok = validate_coordinates(lat, lon, report)
    assert ok.tolist() == [True, True, False, False, False, True]
    assert (y[2], x[2]) == (44.56, 6.08)
    assert report.counts == {
        "missing_coordinates": 1,
        "malformed_coordinates": 1,
        "swapped_coordinates": 1,
        "coordinates_outside_france": 1,
    }
    assert in_france([9.3, -61.5, 45.2], [42.7, 16.2, -12.8]).all()  # Corsica, 971, 976


# -- properties ------------------------------------------------------------------

insee_like = st.one_of(
    st.from_regex(INSEE_RE, fullmatch=True),
    st.integers(min_value=1000, max_value=9999),
    st.from_regex(r"2[ab]\d{3}", fullmatch=True),
)


@given(insee_like)
def test_insee_normaliser_idempotent(value):
    once = normalise_insee(value)
    assert INSEE_RE.match(once)
    assert normalise_insee(once) == once


@st.composite
def day_schedule(draw):
    """Sorted, non-overlapping intervals in minutes within one day."""
    cuts = draw(
        st.lists(
            st.integers(min_value=1, max_value=24 * 60 - 1), min_size=0, max_size=8, unique=True
        )
    )
    cuts = sorted(cuts)
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    return pairs


def _fmt(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@given(day_schedule())
def test_hours_total_is_sum_of_intervals(pairs):
    text = " / ".join(f"{_fmt(a)} - {_fmt(b)}" for a, b in pairs)
    assert parse_intervals(text) == pairs
    assert day_hours(text) == pytest.approx(sum(b - a for a, b in pairs) / 60)


@given(day_schedule())
def test_hours_union_never_exceeds_sum(pairs):
    doubled = pairs + pairs  # duplicated intervals are counted once
    text = " / ".join(f"{_fmt(a)} - {_fmt(b)}" for a, b in doubled)
    assert day_hours(text) == pytest.approx(sum(b - a for a, b in pairs) / 60)


def test_hours_formats():
    assert day_hours("09:00 - 12:00 / 13:30 - 17:00") == 6.5
    assert day_hours("00:00 - 00:00") == 0
    assert day_hours("") == 0 and day_hours(None) == 0
    assert day_hours("9h-12h") == 3
    assert day_hours("9h30 à 12h et 14h - 17h") == 5.5
    for bad in ("fermé", "12:00 - 09:00", "25:00 - 26:00", "sur rendez-vous"):
        with pytest.raises(ValueError):
            parse_intervals(bad)
