"""Digital-mediation venues ("lieux de médiation numérique") and conseillers numériques.

Decisions
---------
``services``
    The ``;``-separated string becomes a list of stripped, non-empty strings
    (empty list when missing).
``admin_help``
    True when at least one service is about administrative procedures. In the
    real vocabulary (PACA 2023-05, 15 distinct services) these are
    ``"Réaliser des démarches administratives avec un accompagnement"`` (184
    venues), ``"Devenir autonome dans les démarches administratives"`` (26) and
    ``"Accompagner les démarches de santé"`` (8). Rule: a service whose
    accent-folded, lower-cased text contains ``"demarche"``.
``departement``
    From ``code_insee`` when present and valid; otherwise from ``code_postal``
    (Corsican 200xx-201xx -> 2A, 202xx-206xx -> 2B). In the PACA file only 23 of
    792 venues carry an INSEE code, so the postcode is the usual source.
Coordinates
    Venues without (valid) coordinates are counted (``missing_coordinates`` ...)
    and kept in ``gdf.attrs["report"].without_coordinates``, not in the layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from proximite import paths
from proximite.errors import InputError, LoadReport
from proximite.sources._geo import point_layer
from proximite.sources._io import (
    looks_like_json,
    parse_json,
    read_csv_table,
    read_text,
    records_frame,
    require_columns,
)
from proximite.sources.validation import (
    _missing,
    check_duplicates,
    clean_insee_column,
    clean_postcode_column,
    departement_from_insee,
    departement_from_postcode,
    departement_list,
    normalise_departement,
    strip_accents,
)

VENUE_REQUIRED = (
    "id",
    "nom",
    "services",
    "code_postal",
    "commune",
    "adresse",
    "latitude",
    "longitude",
    "source",
    "date_maj",
)

CONSEILLERS_REQUIRED = ("id", "raison_sociale", "insee_com", "latitude", "longitude")


def split_services(value: object) -> list[str]:
    """Split a ``;``-separated services string into a list (``[]`` when missing)."""
    if isinstance(value, list):
        return [str(s).strip() for s in value if str(s).strip()]
    if _missing(value):
        return []
    return [s.strip() for s in str(value).split(";") if s.strip()]


def offers_admin_help(services: list[str]) -> bool:
    """True when one of the services is help with (administrative or health) procedures."""
    return any("demarche" in strip_accents(s) for s in services)


def _read_table(path: Path, report: LoadReport) -> pd.DataFrame:
    text = read_text(path, report)
    if looks_like_json(text):
        return records_frame(parse_json(text, path), path, report)
    return read_csv_table(text, path, report)


def _text_column(values: pd.Series) -> pd.Series:
    """Keep text verbatim; only turn non-missing non-str scalars into str."""
    return values.map(lambda v: None if _missing(v) else (v if isinstance(v, str) else str(v)))


def _typed(values: pd.Series) -> pd.Series:
    """Give a JSON-read column a clear dtype: str for text, int/float for numbers."""
    if values.map(lambda v: _missing(v) or isinstance(v, str)).all():
        return values.map(lambda v: None if _missing(v) else v).astype("str")
    inferred = values.infer_objects()
    if inferred.dtype == object:
        return _text_column(values).astype("str")
    return inferred


def _filter(df: pd.DataFrame, wanted: list[str] | None) -> pd.DataFrame:
    return df if wanted is None else df[df["departement"].isin(wanted)]


def load_mediation_venues(
    path: str | Path | None = None,
    *,
    departements: str | Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Load digital-mediation venues (JSON list, or CSV with the same columns).

    Parameters
    ----------
    path : str or Path, optional
        Default: the embedded PACA file (``paths.MEDIATION_JSON``). The format is
        detected from the content, not the extension.
    departements : str or list of str, optional
        Keep only these départements.

    Returns
    -------
    geopandas.GeoDataFrame
        All input columns (text verbatim) with ``services`` as list of str,
        ``code_insee``/``code_postal`` as 5-character text, ``latitude``/``longitude``
        as float, plus ``departement`` and ``admin_help``; point geometry EPSG:4326.
        ``attrs["report"]``: the :class:`LoadReport`; ``attrs["report"].without_coordinates``:
        venues without a usable point (a DataFrame).

    Raises
    ------
    InputError
        Missing, empty, truncated or malformed file; missing required column(s).

    Examples
    --------
    >>> from proximite import load_mediation_venues
    >>> venues = load_mediation_venues(departements=["05"])
    >>> len(venues), int(venues["admin_help"].sum())
    (65, 26)
    >>> isinstance(venues["services"].iloc[0], list)
    True
    """
    path = Path(path) if path is not None else paths.MEDIATION_JSON
    report = LoadReport(str(path))
    wanted = departement_list(departements)
    df = _read_table(path, report)
    require_columns(df.columns, VENUE_REQUIRED, path)
    report.rows_read = len(df)
    if "code_insee" not in df.columns:
        df["code_insee"] = None
    for col in df.columns:
        if col not in ("services", "latitude", "longitude", "code_insee", "code_postal"):
            df[col] = _text_column(df[col]).astype("str")
    check_duplicates(df["id"], report, "id")
    df["code_insee"] = clean_insee_column(df["code_insee"], report, "code_insee", required=False)
    df["code_postal"] = clean_postcode_column(df["code_postal"], report, "code_postal")
    dep = df["code_insee"].map(departement_from_insee)
    dep = dep.where(dep.notna(), df["code_postal"].map(departement_from_postcode))
    df["departement"] = dep.astype("str")
    for row in df.index[df["departement"].isna()]:
        report.warn("missing_departement", "neither INSEE code nor postcode", row=row)
    df = _filter(df, wanted)
    df["services"] = df["services"].map(split_services)
    df["admin_help"] = df["services"].map(offers_admin_help).astype(bool)
    return point_layer(df, report)


def load_conseillers_numeriques(
    path: str | Path | None = None,
    *,
    departements: str | Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Load the structures hosting "conseillers numériques France services" (2021).

    Parameters
    ----------
    path : str or Path, optional
        Default: the embedded ``conseillers-numeriques-structures-2021.json``
        (a JSON list; a CSV with the same columns is accepted too).
    departements : str or list of str, optional
        Keep only these départements.

    Returns
    -------
    geopandas.GeoDataFrame
        All input columns; codes as text with their leading zeros (``insee_com``,
        ``insee_dep``, ``code_département`` -- ``"1"`` in the source becomes
        ``"01"`` --, ``code_postal``, ``code_postal_bis``, ``result_citycode``,
        ``result_postcode``, ``siret``), plus ``departement``: from ``insee_com``,
        else ``insee_dep``, else ``code_département``. Point geometry EPSG:4326.

    Raises
    ------
    InputError
        Missing, empty, truncated or malformed file; missing required column(s).
    """
    path = Path(path) if path is not None else paths.CONSEILLERS_JSON
    report = LoadReport(str(path))
    wanted = departement_list(departements)
    df = _read_table(path, report)
    require_columns(df.columns, CONSEILLERS_REQUIRED, path)
    report.rows_read = len(df)
    check_duplicates(df["id"].map(lambda v: None if _missing(v) else str(v)), report, "id")
    df["insee_com"] = clean_insee_column(df["insee_com"], report, "insee_com")
    if "result_citycode" in df.columns:
        df["result_citycode"] = clean_insee_column(
            df["result_citycode"], report, "result_citycode", required=False
        )
    for col in ("code_postal", "code_postal_bis", "result_postcode"):
        if col in df.columns:
            df[col] = clean_postcode_column(df[col], report, col)

    def dep_or_none(v: object) -> str | None:
        if _missing(v):
            return None
        try:
            return normalise_departement(v)
        except InputError:
            return None

    dep = df["insee_com"].map(departement_from_insee)
    for col in ("insee_dep", "code_département"):
        if col in df.columns:
            norm = df[col].map(dep_or_none)
            df[col] = norm.where(norm.notna(), _text_column(df[col])).astype("str")
            dep = dep.where(dep.notna(), norm)
    df["departement"] = dep.astype("str")
    for row in df.index[df["departement"].isna()]:
        report.warn("missing_departement", "no usable commune or département code", row=row)
    if "siret" in df.columns:
        df["siret"] = _text_column(df["siret"])
    for col in df.columns:
        if df[col].dtype == object and col not in ("latitude", "longitude"):
            df[col] = _typed(df[col])
    df = _filter(df, wanted)
    return point_layer(df, report)
