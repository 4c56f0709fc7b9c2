"""``proximite route``: car time and distance between two points."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from proximite import paths
from proximite.errors import InputError


def parse_lonlat(text: str, field: str) -> tuple[float, float]:
    """``"LON,LAT"`` in degrees (WGS 84) to floats.

    Parameters
    ----------
    text : str
        The argument.
    field : str
        The option name, for the error message.

    Returns
    -------
    tuple of float
        (lon, lat).

    Raises
    ------
    InputError
        Not two finite numbers, or outside [-180, 180] x [-90, 90].
    """
    parts = str(text).replace(";", ",").split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(f"expected LON,LAT in degrees, got {text!r}", field=field) from None
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        raise InputError(f"coordinates out of range (LON,LAT): {text!r}", field=field)
    return lon, lat


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``route`` sub-command."""
    p = subparsers.add_parser(
        "route",
        help="car time and distance between two points",
        description="Fastest car route between two points (LON,LAT in WGS 84 degrees).",
    )
    p.add_argument("--roads", type=Path, default=paths.ROADS_05, help="road file (default: 05)")
    p.add_argument("--from", dest="origin", required=True, metavar="LON,LAT")
    p.add_argument("--to", dest="destination", required=True, metavar="LON,LAT")
    p.add_argument("--profile", type=Path, default=None, help="speed profile TOML")
    p.add_argument(
        "--cache", default=None, metavar="DIR",
        help="network cache directory (default: $PROXIMITE_CACHE or ~/.cache/proximite)",
    )
    p.add_argument("--no-cache", action="store_true", help="rebuild the network, no cache")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``proximite route``; prints minutes and kilometres."""
    import geopandas as gpd
    from shapely.geometry import Point

    from proximite.access import route
    from proximite.network import RoadNetwork, SpeedProfile

    o = parse_lonlat(args.origin, "--from")
    d = parse_lonlat(args.destination, "--to")
    profile = SpeedProfile.from_toml(args.profile) if args.profile else None
    cache: bool | str = False if args.no_cache else (args.cache or True)
    net = RoadNetwork.from_file(args.roads, profile=profile, cache=cache)
    r = route(
        net,
        gpd.GeoSeries([Point(o)], crs="EPSG:4326"),
        gpd.GeoSeries([Point(d)], crs="EPSG:4326"),
    )
    if not math.isfinite(r.seconds):
        print("no route: the destination cannot be reached by car from the origin")
        return 1
    print(f"{r.seconds / 60:.1f} min, {r.meters / 1000:.2f} km")
    return 0
