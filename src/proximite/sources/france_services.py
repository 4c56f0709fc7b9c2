"""The official list of France Services desks (ANCT CSV).

Decisions
---------
``departement``
    The official ``insee_dep`` column, normalised (``"05"``, ``"2A"``, ``"971"``);
    when it is missing or invalid, the département of ``insee_com``. A row whose
    commune lies in another département than ``insee_dep`` is kept under
    ``insee_dep`` with a ``departement_mismatch`` warning (one real case: a desk of
    27 located in 76540).
``kind`` (real value sets, file of 2024-08-01)
    ``type_fs`` is ``Principal`` (2,721) or ``Antenne`` (124); ``format_fs`` is
    ``Fixe`` (2,400), ``Multisites`` (174), ``Bus_équivalent`` (134),
    ``Fixe_antenne(s)`` (108) or ``Itinérante`` (29). The rule, in order:

    1. ``format_fs`` is ``Bus_équivalent``, ``Itinérante`` or mentions a bus /
       itinerant service -> ``"itinerant"`` (163 rows; their coordinates are a base,
       not every stop);
    2. otherwise ``type_fs`` is ``Antenne`` -> ``"antenna"`` (124 rows);
    3. otherwise -> ``"fixed"`` (2,558 rows, including ``Multisites`` and
       ``Fixe_antenne(s)`` main desks, which are fixed desks with antennas).
``weekly_hours`` / ``open_saturday``
    Sum over ``h_lundi`` ... ``h_samedi`` of the union length of each day's
    intervals (see :mod:`proximite.sources.hours`). A day string that cannot be
    parsed is an ``unparsable_hours`` warning and makes ``weekly_hours`` NaN for
    that row (unknown, not zero). Overlapping intervals are counted once, with
    an ``overlapping_hours`` warning. ``open_saturday`` is True when Saturday has
    more than zero hours (or an unparsable, non-empty Saturday string).
Codes
    ``id_fs``, ``insee_dep``, ``insee_com``, ``code_postal`` are text, never numbers
    (``insee_dep`` normalised like ``departement``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from proximite import paths
from proximite.errors import InputError, LoadReport
from proximite.sources._geo import point_layer
from proximite.sources._io import read_csv_table, read_text, require_columns
from proximite.sources.hours import parse_intervals, union_minutes
from proximite.sources.validation import (
    VALID_DEPARTEMENTS,
    check_duplicates,
    clean_insee_column,
    clean_postcode_column,
    departement_from_insee,
    departement_list,
    strip_accents,
)

DAYS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")

REQUIRED_COLUMNS = (
    "id_fs",
    "insee_dep",
    "lib_fs",
    "insee_com",
    "code_postal",
    "latitude",
    "longitude",
    *DAYS,
    "type_fs",
    "format_fs",
)

KINDS = ("fixed", "antenna", "itinerant")


def classify_kind(type_fs: object, format_fs: object) -> str:
    """Map the official ``type_fs`` / ``format_fs`` pair to ``fixed``/``antenna``/``itinerant``.

    Examples
    --------
    >>> classify_kind("Principal", "Bus_équivalent")
    'itinerant'
    >>> classify_kind("Antenne", "Fixe_antenne(s)")
    'antenna'
    >>> classify_kind("Principal", "Multisites")
    'fixed'
    """
    fmt = strip_accents(str(format_fs)) if isinstance(format_fs, str) else ""
    if "bus" in fmt or "itinerant" in fmt:
        return "itinerant"
    typ = strip_accents(str(type_fs)) if isinstance(type_fs, str) else ""
    if typ.startswith("antenne"):
        return "antenna"
    return "fixed"


def _normalise_dep_column(values: pd.Series) -> pd.Series:
    def norm(v: object) -> str | None:
        if not isinstance(v, str) or not v.strip():
            return None
        t = v.strip().upper()
        if t.isdigit() and len(t) <= 2:
            t = t.zfill(2)
        return t if t in VALID_DEPARTEMENTS else None

    return values.map(norm).astype("str")


def load_france_services(
    path: str | Path | None = None,
    *,
    departements: str | Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Load the official France Services CSV as a point layer.

    Parameters
    ----------
    path : str or Path, optional
        The CSV (default: the embedded ``france-services-20240801.csv``).
        Multi-line quoted fields are read correctly (2,885 physical lines, 2,845 rows).
    departements : str or list of str, optional
        Keep only these départements (``"05"``, ``["05", "2A"]``, ``5`` ...).

    Returns
    -------
    geopandas.GeoDataFrame
        Every CSV column (codes as text, ``latitude``/``longitude`` as float),
        plus ``departement``, ``kind``, ``weekly_hours``, ``open_saturday``; point
        geometry in EPSG:4326. ``attrs["report"]`` is the :class:`LoadReport`,
        ``attrs["report"].without_coordinates`` the rows left out for lack of a valid point.

    Raises
    ------
    InputError
        Missing/empty/truncated-beyond-repair file, missing required column(s),
        unknown département in ``departements``.

    Examples
    --------
    >>> from proximite import load_france_services
    >>> fs = load_france_services(departements=["05"])
    >>> len(fs), fs.crs.to_string()
    (21, 'EPSG:4326')
    >>> fs["kind"].value_counts().to_dict()
    {'fixed': 17, 'antenna': 4}
    >>> fs.attrs["report"].rows_read
    2845
    """
    path = Path(path) if path is not None else paths.FRANCE_SERVICES_CSV
    report = LoadReport(str(path))
    wanted = departement_list(departements)
    text = read_text(path, report)
    df = read_csv_table(text, path, report)
    require_columns(df.columns, REQUIRED_COLUMNS, path)
    report.rows_read = len(df)
    if df.empty:
        raise InputError("no data row", path=path)

    df["id_fs"] = df["id_fs"].str.strip()
    check_duplicates(df["id_fs"], report, "id_fs")
    df["insee_com"] = clean_insee_column(df["insee_com"], report, "insee_com")
    df["code_postal"] = clean_postcode_column(df["code_postal"], report, "code_postal")
    raw_dep = df["insee_dep"]
    dep = _normalise_dep_column(raw_dep)
    for row in dep.index[dep.isna() & raw_dep.notna()]:
        report.warn(
            "malformed_departement",
            f"invalid insee_dep {raw_dep[row]!r}",
            row=row,
            field="insee_dep",
            value=raw_dep[row],
        )
    com_dep = df["insee_com"].map(departement_from_insee).astype("str")
    mismatch = dep.notna() & com_dep.notna() & (dep != com_dep)
    for row in dep.index[mismatch]:
        report.warn(
            "departement_mismatch",
            f"insee_dep {dep[row]!r} but insee_com {df.at[row, 'insee_com']!r}: "
            "kept under insee_dep",
            row=row,
            field="insee_dep",
        )
    df["insee_dep"] = dep.where(dep.notna(), raw_dep)
    df["departement"] = dep.where(dep.notna(), com_dep)
    for row in df.index[df["departement"].isna()]:
        report.warn("missing_departement", "no usable insee_dep nor insee_com", row=row)

    if wanted is not None:
        df = df[df["departement"].isin(wanted)]

    df["kind"] = [classify_kind(t, f) for t, f in zip(df["type_fs"], df["format_fs"], strict=True)]
    weekly = np.zeros(len(df))
    saturday = np.zeros(len(df), dtype=bool)
    for j, (row, values) in enumerate(
        zip(df.index, df[list(DAYS)].itertuples(index=False), strict=True)
    ):
        for day, value in zip(DAYS, values, strict=True):
            try:
                intervals = parse_intervals(value)
            except ValueError:
                report.warn(
                    "unparsable_hours",
                    f"cannot read opening hours {value!r}",
                    row=row,
                    field=day,
                    value=value,
                )
                weekly[j] = np.nan
                if day == "h_samedi":
                    saturday[j] = True
                continue
            minutes = union_minutes(intervals)
            if minutes < sum(e - s for s, e in intervals):
                report.warn(
                    "overlapping_hours",
                    f"overlapping intervals in {value!r}: counted once",
                    row=row,
                    field=day,
                    value=value,
                )
            h = minutes / 60.0
            weekly[j] += h
            if day == "h_samedi" and h > 0:
                saturday[j] = True
    df["weekly_hours"] = weekly
    df["open_saturday"] = saturday
    return point_layer(df, report)
