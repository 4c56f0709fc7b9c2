"""Audit files: GeoPackage, CSV and JSON, written deterministically.

Same input, same bytes: rows are sorted by INSEE code, floats rounded (see
:data:`ROUNDING`), JSON keys kept in a fixed order, and GDAL's GeoPackage
timestamps pinned (``OGR_CURRENT_DATE``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

#: Decimal places per column in every written file.
ROUNDING = {
    "minutes_fs": 2,
    "minutes_fs_max": 2,
    "minutes_mediation": 2,
    "share_within_threshold": 4,
    "share_30mbps": 4,
    "share_ftth": 4,
    "unreachable_population": 1,
    "fragility": 4,
    "population_served": 1,
    "population_gained": 1,
    "weekly_hours": 2,
}

#: A fixed timestamp for GeoPackage metadata, so that files are byte-identical.
GPKG_DATE = "2000-01-01T00:00:00.000Z"


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with the :data:`ROUNDING` columns rounded."""
    out = frame.copy()
    for col, nd in ROUNDING.items():
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(nd)
    return out


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lists become ``;``-joined text (GeoPackage has no list type)."""
    out = frame.copy()
    for col in out.columns:
        if col != out.geometry.name and out[col].dtype == object:
            if out[col].map(lambda v: isinstance(v, list | tuple)).any():
                out[col] = out[col].map(
                    lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple) else v
                )
    return out


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write several layers to one GeoPackage, deterministically.

    Parameters
    ----------
    layers : dict
        Layer name -> GeoDataFrame (empty layers are skipped).
    path : str or Path
        Output file (replaced if it exists).

    Returns
    -------
    Path
    """
    path = Path(path)
    if path.exists():
        path.unlink()
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
    try:
        for name, frame in layers.items():
            if frame is None or len(frame) == 0:
                continue
            pyogrio.write_dataframe(
                _plain(rounded(frame)), path, layer=name, driver="GPKG", append=path.exists()
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    return path


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV without geometry; INSEE codes stay text."""
    path = Path(path)
    table = pd.DataFrame(rounded(frame)).drop(columns="geometry", errors="ignore")
    table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def json_safe(value: Any) -> Any:
    """A JSON-ready copy: NumPy scalars to Python, NaN / inf to ``None``, paths to text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(data: dict[str, Any], path: str | Path) -> Path:
    """Write a dict as indented UTF-8 JSON (NaN and inf become null)."""
    path = Path(path)
    text = json.dumps(json_safe(data), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_audit(audit, directory: str | Path, *, maps: bool = True, tiles: str | None = None,
                attribution: str | None = None) -> dict[str, Path]:
    """Write an audit's files into ``directory``.

    Files: ``communes.gpkg`` (layers ``communes``, ``sites``, ``isochrones``),
    ``communes.csv``, ``summary.json``, and with ``maps=True`` ``map.html``,
    ``map.png`` and ``report.html``.

    Parameters
    ----------
    audit : Audit
        The audit result.
    directory : str or Path
        Created if needed.
    maps : bool
        Also write the maps and the report.
    tiles, attribution : str, optional
        A basemap for ``map.html`` (see :func:`proximite.outputs.maps.gap_map`).

    Returns
    -------
    dict
        File kind -> path written.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = {
        "gpkg": write_gpkg(
            {"communes": audit.communes, "sites": audit.sites, "isochrones": audit.isochrones},
            out / "communes.gpkg",
        ),
        "csv": write_csv(audit.communes, out / "communes.csv"),
        "summary": write_json(audit.summary, out / "summary.json"),
    }
    if maps:
        written.update(write_audit_maps(audit, out, tiles=tiles, attribution=attribution))
    return written


def write_audit_maps(audit, directory: Path, *, tiles: str | None = None,
                     attribution: str | None = None) -> dict[str, Path]:
    """Write ``map.html``, ``map.png`` and ``report.html`` for an audit."""
    from proximite.outputs.maps import write_map
    from proximite.outputs.report import write_report
    from proximite.outputs.static import gap_png

    html = write_map(audit, directory / "map.html", tiles=tiles, attribution=attribution)
    png = gap_png(audit, directory / "map.png")
    report = write_report(audit, directory / "report.html", map_html=html, map_png=png)
    return {"map": Path(html), "png": Path(png), "report": Path(report)}
