"""Communes: COG 2026 codes and legal populations, on COG 2018 boundaries.

Decisions
---------
Populations and codes
    From the COG 2026 JSON (``@etalab/decoupage-administratif``). Only
    ``type == "commune-actuelle"`` rows are communes; delegated/associated
    communes and municipal arrondissements are parts of them and are ignored,
    so nothing is counted twice.
Boundaries
    COG 2018 polygons (IGN ADMIN EXPRESS, simplified). A 2026 commune gets the
    union of the 2018 polygons of its own code and of its ``anciensCodes``
    (communes merged since 2018, e.g. 05001 Abriès-Ristolas = 05001 + 05120).
Unreconciled codes
    A 2026 commune with no 2018 polygon (communes re-created by splitting since
    2018, collectivities without boundaries) gets a ``no_boundary`` warning and
    is *left out* of the layer; a 2018 polygon used by no 2026 commune gets an
    ``unused_boundary`` warning. Both lists of codes are in
    ``gdf.attrs["unreconciled"]``. Every 2026 commune of 05 is reconciled.
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from proximite import paths
from proximite.errors import InputError, LoadReport
from proximite.sources._io import GZIP_MAGIC, parse_json, read_text, records_frame
from proximite.sources.validation import (
    clean_insee_column,
    departement_from_insee,
    normalise_departement,
    normalise_insee,
)

SHARED_BOUNDARIES = paths.SHARED_DATA_DIR / "communes" / "communes-2018.geojson.gz"
COG_REQUIRED = ("code", "nom", "type", "departement")


def _read_cog(path: Path, report: LoadReport) -> pd.DataFrame:
    df = records_frame(parse_json(read_text(path, report), path), path, report)
    missing = [c for c in COG_REQUIRED if c not in df.columns]
    if missing:
        raise InputError(
            "missing required column(s): " + ", ".join(missing), path=path, field=missing[0]
        )
    return df


def _read_boundaries(
    boundaries: str | Path | gpd.GeoDataFrame, report: LoadReport
) -> gpd.GeoDataFrame:
    if isinstance(boundaries, gpd.GeoDataFrame):
        gdf = boundaries.copy()
        name = "<GeoDataFrame>"
    else:
        p = Path(boundaries)
        name = str(p)
        if not p.exists():
            raise InputError("boundaries file not found", path=p)
        if p.stat().st_size == 0:
            raise InputError("empty file", path=p)
        with p.open("rb") as fh:
            gz = fh.read(2) == GZIP_MAGIC
        source = f"/vsigzip/{p.resolve()}" if gz else str(p)
        try:
            gdf = pyogrio.read_dataframe(source)
        except Exception as exc:  # pyogrio/GDAL errors are many and untyped
            raise InputError(f"cannot read boundaries ({exc})", path=p) from None
    code_col = next(
        (c for c in ("code", "code_insee", "INSEE_COM", "insee") if c in gdf.columns), None
    )
    if code_col is None:
        raise InputError("missing required column(s): code", path=name, field="code")
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    codes = []
    for value in gdf[code_col]:
        try:
            codes.append(normalise_insee(value))
        except ValueError:
            report.warn(
                "malformed_insee", f"invalid boundary code {value!r}", field=code_col, value=value
            )
            codes.append(None)
    out = gpd.GeoDataFrame({"code": codes}, geometry=gdf.geometry.to_numpy(), crs="EPSG:4326")
    out = out[out["code"].notna() & out.geometry.notna() & ~out.geometry.is_empty]
    return out


def _default_boundaries(dep: str | None) -> Path:
    if dep == "05":
        return paths.COMMUNES_BOUNDARIES
    if SHARED_BOUNDARIES.exists():
        return SHARED_BOUNDARIES
    which = "all départements" if dep is None else f"département {dep}"
    raise InputError(
        f"commune boundaries for {which} are not embedded (only 05 is); pass "
        f"boundaries=... or provide {SHARED_BOUNDARIES}",
        path=SHARED_BOUNDARIES,
    )


def load_communes(
    departement: str | None = None,
    *,
    path: str | Path | None = None,
    boundaries: str | Path | gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Load the communes of a département (COG 2026) with their boundaries.

    Parameters
    ----------
    departement : str, optional
        Département code (``"05"``, ``"2A"`` ...); None for all of France.
    path : str or Path, optional
        The COG 2026 JSON, plain or gzipped (default: ``paths.COMMUNES_COG_JSON``).
    boundaries : str, Path or GeoDataFrame, optional
        COG 2018 commune polygons with a ``code`` property. Default: the
        embedded 05 extract for 05, else ``../shared/data/communes/communes-2018.geojson.gz``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code_insee``, ``nom``, ``departement``, ``region``, ``population`` (int),
        ``anciens_codes`` (``;``-joined 2018 codes merged into the commune),
        geometry (EPSG:4326), sorted by code. ``attrs["report"]``: the
        :class:`LoadReport`; ``attrs["unreconciled"]``: the codes (2026 without
        boundary, or 2018 boundary without 2026 commune).

    Raises
    ------
    InputError
        Unknown département, unreadable files, or boundaries not available for
        the département.

    Examples
    --------
    >>> from proximite import load_communes
    >>> communes = load_communes("05")
    >>> len(communes), int(communes["population"].sum())
    (162, 143467)
    >>> communes.set_index("code_insee").loc["05061", "nom"]
    'Gap'
    """
    dep = normalise_departement(departement) if departement is not None else None
    cog_path = Path(path) if path is not None else paths.COMMUNES_COG_JSON
    report = LoadReport(str(cog_path))
    cog = _read_cog(cog_path, report)
    cog = cog[cog["type"] == "commune-actuelle"].copy()
    # normalise each distinct code once (35,000 rows, ~100 codes)
    raw = cog["departement"]
    codes = {v: normalise_departement(v) for v in raw.dropna().unique()
             if isinstance(v, str) and v}
    cog["departement"] = raw.map(codes)
    if dep is not None:
        cog = cog[cog["departement"] == dep]
        if cog.empty:
            raise InputError(f"no commune of département {dep} in the COG", path=cog_path)
    report.rows_read = len(cog)

    b_source = boundaries if boundaries is not None else _default_boundaries(dep)
    if not isinstance(b_source, gpd.GeoDataFrame):
        report.source = f"{cog_path} + {b_source}"
    geo = _read_boundaries(b_source, report)

    anciens = (
        cog["anciensCodes"]
        if "anciensCodes" in cog.columns
        else pd.Series([None] * len(cog), index=cog.index)
    )
    parts: dict[str, list[str]] = {}
    for code, old in zip(cog["code"], anciens, strict=True):
        old_codes = list(old) if isinstance(old, list) else []
        parts[str(code)] = [str(code), *[str(c) for c in old_codes]]
    needed = {c for p in parts.values() for c in p}
    geo = geo[
        geo["code"].isin(needed)
        | (geo["code"].map(departement_from_insee) == dep if dep is not None else True)
    ]
    by_code: dict[str, list] = {}
    for code, geom in zip(geo["code"], geo.geometry, strict=True):
        by_code.setdefault(code, []).append(geom)

    used: set[str] = set()
    rows = []
    unreconciled: list[str] = []
    for idx, rec in cog.iterrows():
        code = str(rec["code"])
        found = [c for c in parts[code] if c in by_code]
        pop = rec.get("population")
        if pop is None or pd.isna(pop):
            report.warn(
                "missing_population",
                f"commune {code} has no population: 0",
                row=idx,
                field="population",
                value=code,
            )
            pop = 0
        if not found:
            report.warn(
                "no_boundary",
                f"commune {code} ({rec['nom']}) has no 2018 boundary: left out",
                row=idx,
                value=code,
            )
            unreconciled.append(code)
            continue
        used.update(found)
        geoms = [g for c in found for g in by_code[c]]
        geom = geoms[0] if len(geoms) == 1 else shapely.union_all(shapely.make_valid(geoms))
        rows.append(
            {
                "code_insee": code,
                "nom": rec["nom"],
                "departement": rec["departement"],
                "region": rec.get("region"),
                "population": int(pop),
                "anciens_codes": ";".join(parts[code][1:]),
                "geometry": geom,
            }
        )
    for code in sorted(set(by_code) - used):
        if dep is None or departement_from_insee(code) == dep:
            report.warn(
                "unused_boundary", f"2018 boundary {code} matches no 2026 commune", value=code
            )
            unreconciled.append(code)
    gdf = gpd.GeoDataFrame(
        rows,
        geometry="geometry",
        crs="EPSG:4326",
        columns=[
            "code_insee",
            "nom",
            "departement",
            "region",
            "population",
            "anciens_codes",
            "geometry",
        ],
    )
    gdf = gdf.sort_values("code_insee").reset_index(drop=True)
    for col in ("code_insee", "nom", "departement", "region", "anciens_codes"):
        gdf[col] = gdf[col].astype("str")
    gdf["population"] = gdf["population"].astype("int64")
    report.rows_kept = len(gdf)
    gdf.attrs["report"] = report
    gdf.attrs["unreconciled"] = unreconciled
    return gdf


#: Suffixes of geographic layers accepted as a ready-made commune table.
LAYER_SUFFIXES = (".gpkg", ".shp", ".fgb", ".geojson", ".geojson.gz", ".parquet")


def read_commune_layer(path: str | Path, departement: str | None = None) -> gpd.GeoDataFrame:
    """Read a user's commune layer that already carries codes and populations.

    For audits on other boundaries or populations than the embedded COG: any
    polygon layer (GeoPackage, Shapefile, FlatGeobuf, GeoJSON, GeoParquet) with an
    INSEE code column (``code_insee``, ``insee`` or ``code``) and a ``population``
    column. Codes are validated (leading zeros restored with a warning, malformed
    codes dropped and counted), populations must be numbers >= 0.

    Parameters
    ----------
    path : str or Path
        The layer.
    departement : str, optional
        Keep only the communes of this département.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code_insee``, ``nom``, ``departement``, ``population``, geometry (EPSG:4326);
        ``attrs["report"]``: the :class:`LoadReport`.

    Raises
    ------
    InputError
        Unreadable file, no CRS, missing columns, or a bad population value.
    """
    path = Path(path)
    report = LoadReport(source=str(path))
    source = f"/vsigzip/{path}" if path.name.lower().endswith(".gz") else str(path)
    try:
        if path.suffix.lower() == ".parquet":
            layer = gpd.read_parquet(path)
        else:
            layer = pyogrio.read_dataframe(source)
    except Exception as exc:  # pyogrio/pyarrow raise many types; name the file
        raise InputError(f"cannot read commune layer: {exc}", path=path) from exc
    report.rows_read = len(layer)
    if layer.crs is None:
        raise InputError("commune layer has no CRS", path=path)
    code_col = next((c for c in ("code_insee", "insee", "code") if c in layer.columns), None)
    if code_col is None or "population" not in layer.columns:
        missing = ["code_insee"] if code_col is None else []
        missing += [] if "population" in layer.columns else ["population"]
        raise InputError("missing required column(s): " + ", ".join(missing), path=path,
                         field=missing[0])
    layer = layer.reset_index(drop=True)
    layer.index = layer.index + 1  # 1-based rows in warnings
    codes = clean_insee_column(layer[code_col], report, code_col)
    pop = pd.to_numeric(layer["population"], errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        row = int(bad.idxmax())
        raise InputError(f"population must be a number >= 0, got {layer.loc[row, 'population']!r}",
                         path=path, row=row, field="population")
    out = gpd.GeoDataFrame({
        "code_insee": codes,
        "nom": layer["nom"].astype(str) if "nom" in layer else codes,
        "departement": [departement_from_insee(c) for c in codes],
        "population": pop.round().astype("int64"),
    }, geometry=layer.geometry.to_crs("EPSG:4326").to_numpy(), crs="EPSG:4326")
    out = out[out["code_insee"].notna()]
    dups = out["code_insee"].duplicated()
    if dups.any():
        raise InputError(f"duplicate INSEE code {out.loc[dups, 'code_insee'].iloc[0]!r}",
                         path=path, row=int(dups.idxmax()), field=code_col)
    if departement is not None:
        out = out[out["departement"] == normalise_departement(departement)]
    out = out.sort_values("code_insee").reset_index(drop=True)
    report.rows_kept = len(out)
    out.attrs["report"] = report
    return out


@functools.lru_cache(maxsize=1)
def _departement_names() -> dict[str, str]:
    path = paths.DEPARTEMENTS_CSV
    if not path.exists():
        return {}
    table = pd.read_csv(path, dtype=str, encoding="utf-8")
    return dict(zip(table["code"], table["nom"], strict=True))


def departement_name(code: str) -> str | None:
    """Name of a département (``"05"`` -> ``"Hautes-Alpes"``), None when unknown.

    Examples
    --------
    >>> departement_name("05"), departement_name("2A")
    ('Hautes-Alpes', 'Corse-du-Sud')
    """
    return _departement_names().get(normalise_departement(code))
