"""Building point layers from validated coordinates (shared by the point loaders)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from proximite.errors import LoadReport
from proximite.sources.validation import validate_coordinates


def point_layer(
    df: pd.DataFrame,
    report: LoadReport,
    *,
    lat: str = "latitude",
    lon: str = "longitude",
) -> gpd.GeoDataFrame:
    """Validate coordinates and return an EPSG:4326 point layer.

    Rows without usable coordinates are left out of the layer and kept, with
    every column, in ``report.without_coordinates`` (a DataFrame). The
    report is attached as ``gdf.attrs["report"]`` and ``rows_kept`` updated.
    """
    y, x, ok = validate_coordinates(df[lat], df[lon], report, lat_field=lat, lon_field=lon)
    df = df.copy()
    df[lat] = y
    df[lon] = x
    without = pd.DataFrame(df[~ok]).reset_index(drop=True)
    kept = df[ok]
    gdf = gpd.GeoDataFrame(
        kept.reset_index(drop=True),
        geometry=gpd.points_from_xy(kept[lon].to_numpy(), kept[lat].to_numpy()),
        crs="EPSG:4326",
    )
    report.rows_kept = len(gdf)
    gdf.attrs["report"] = report
    report.without_coordinates = without
    return gdf
