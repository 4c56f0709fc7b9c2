"""Readers of road files: Geofabrik "roads" layers (pyogrio) and raw OSM (pyosmium)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyproj
import shapely

from proximite.errors import InputError
from proximite.network._build import BOTH, FORWARD, REVERSE, coordinate_keys
from proximite.network.profile import SpeedProfile

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m", ".opl")

#: Implicit maxspeed values (km/h) for ``maxspeed=FR:...`` and friends.
_IMPLICIT_SPEEDS = {
    "urban": 50.0,
    "rural": 80.0,
    "motorway": 130.0,
    "trunk": 110.0,
    "zone30": 30.0,
    "zone20": 20.0,
    "walk": 6.0,
    "living_street": 20.0,
}

_NUMBER = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: object) -> float:
    """OSM ``maxspeed`` text to km/h; 0.0 when unknown.

    Parameters
    ----------
    value : object
        ``"50"``, ``"50 mph"``, ``"FR:urban"``, ``"FR:zone30"``, ``"walk"``,
        ``"50;70"`` (the lowest is kept), ``None``...

    Returns
    -------
    float
        The speed in km/h, or 0.0 for unknown / ``none`` / ``signals``.
    """
    if value is None:
        return 0.0
    if isinstance(value, int | float):
        return float(value) if np.isfinite(value) and value > 0 else 0.0
    text = str(value).strip().lower()
    if not text:
        return 0.0
    if ";" in text or "|" in text:
        parts = [parse_maxspeed(p) for p in re.split(r"[;|]", text)]
        parts = [p for p in parts if p > 0]
        return min(parts) if parts else 0.0
    m = _NUMBER.match(text)
    if m:
        speed = float(m.group(1).replace(",", "."))
        if m.group(2) and m.group(2).lower() == "mph":
            speed *= 1.609344
        return speed
    if ":" in text:
        text = text.split(":", 1)[1]
    return _IMPLICIT_SPEEDS.get(text, 0.0)


def oneway_code(oneway: object, highway: str, junction: object = None) -> int:
    """OSM ``oneway`` (with implied cases) to 1 forward, -1 reverse, 0 both."""
    text = "" if oneway is None else str(oneway).strip().lower()
    if text in ("yes", "1", "true"):
        return FORWARD
    if text in ("-1", "reverse"):
        return REVERSE
    if text in ("no", "0", "false"):
        return BOTH
    if str(junction or "").lower() in ("roundabout", "circular"):
        return FORWARD
    if highway in ("motorway", "motorway_link"):
        return FORWARD
    return BOTH


def read_osm(path: Path, profile: SpeedProfile) -> dict:
    """Read the driveable ways of an OSM file (PBF or XML) with pyosmium.

    Returns
    -------
    dict
        ``key`` (OSM node id per vertex), ``xy`` (lon/lat), ``way``, ``fclass``,
        ``oneway``, ``maxspeed``, ``src_crs``, ``osm`` = True, ``ways_read``.
    """
    import osmium

    try:
        fp = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        refs: list[int] = []
        lons: list[float] = []
        lats: list[float] = []
        way_idx: list[int] = []
        fclass: list[str] = []
        oneway: list[int] = []
        maxspeed: list[float] = []
        n_read = 0
        for w in fp:
            n_read += 1
            tags = w.tags
            hw = tags.get("highway")
            if hw is None:
                continue
            if hw == "track" and tags.get("tracktype", "").startswith("grade"):
                cls = "track_" + tags.get("tracktype")
            else:
                cls = hw
            if not profile.is_driveable(cls):
                continue
            if tags.get("area") == "yes":
                continue
            pts = [(nd.ref, nd.lon, nd.lat) for nd in w.nodes if nd.location.valid()]
            if len(pts) < 2:
                continue
            k = len(fclass)
            for ref, lon, lat in pts:
                refs.append(ref)
                lons.append(lon)
                lats.append(lat)
                way_idx.append(k)
            fclass.append(cls)
            oneway.append(oneway_code(tags.get("oneway"), hw, tags.get("junction")))
            maxspeed.append(parse_maxspeed(tags.get("maxspeed")))
    except RuntimeError as exc:
        raise InputError(f"cannot read OSM data: {exc}", path=path) from None
    return {
        "key": np.asarray(refs, dtype=np.int64),
        "xy": np.column_stack([np.asarray(lons, float), np.asarray(lats, float)])
        if refs
        else np.zeros((0, 2)),
        "way": np.asarray(way_idx, dtype=np.int64),
        "fclass": np.asarray(fclass, dtype=object),
        "oneway": np.asarray(oneway, dtype=np.int64),
        "maxspeed": np.asarray(maxspeed, dtype=float),
        "src_crs": pyproj.CRS("EPSG:4326"),
        "osm": True,
        "ways_read": n_read,
    }


def _oneway_from_geofabrik(values: np.ndarray) -> np.ndarray:
    text = np.char.upper(np.asarray(values, dtype=str))
    code = np.full(len(text), BOTH, dtype=np.int64)
    code[text == "F"] = FORWARD
    code[text == "T"] = REVERSE
    return code


def read_geofabrik(path: Path, profile: SpeedProfile) -> dict:
    """Read a Geofabrik "roads" layer (GeoJSON, GeoPackage, Shapefile, gzipped too).

    Returns
    -------
    dict
        Same keys as :func:`read_osm`, keys being exact-coordinate ids.
    """
    import pyogrio

    name = str(path)
    src = f"/vsigzip/{name}" if name.endswith(".gz") and not name.startswith("/vsi") else name
    try:
        info = pyogrio.read_info(src)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        if not Path(name).exists():
            raise FileNotFoundError(2, "No such file", name) from None
        raise InputError(f"cannot read road layer: {exc}", path=path) from None
    fields = [str(f) for f in info["fields"]]
    if "fclass" not in fields:
        raise InputError(
            "not a Geofabrik roads layer (no 'fclass' column; fields: "
            + ", ".join(fields) + ")",
            path=path,
            field="fclass",
        )
    cols = [c for c in ("fclass", "oneway", "maxspeed") if c in fields]
    try:
        df = pyogrio.read_dataframe(src, columns=cols, use_arrow=True)
    except Exception:  # pragma: no cover - fall back without arrow
        df = pyogrio.read_dataframe(src, columns=cols)
    if df.crs is None:
        raise InputError("road layer has no CRS", path=path)
    src_crs = pyproj.CRS(df.crs)
    n_read = len(df)
    fclass = df["fclass"].astype(str).to_numpy()
    keep = np.isin(fclass, np.array(sorted(profile.speeds), dtype=object))
    geoms = df.geometry.to_numpy()[keep]
    fclass = fclass[keep]
    oneway = (
        _oneway_from_geofabrik(df["oneway"].fillna("B").astype(str).to_numpy()[keep])
        if "oneway" in df
        else np.zeros(len(fclass), dtype=np.int64)
    )
    if "maxspeed" in df:
        ms = np.asarray(df["maxspeed"].to_numpy()[keep], dtype=float)
        ms = np.where(np.isfinite(ms) & (ms > 0), ms, 0.0)
    else:
        ms = np.zeros(len(fclass))
    # MultiLineStrings -> parts (each part a way piece of the same way attributes)
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    ok = shapely.get_type_id(parts) == 1  # LineString
    parts, part_of = parts[ok], part_of[ok]
    coords, vidx = shapely.get_coordinates(parts, return_index=True)
    # drop ways with fewer than two vertices
    counts = np.bincount(vidx, minlength=len(parts))
    good = counts[vidx] >= 2
    coords, vidx = coords[good], vidx[good]
    key = coordinate_keys(coords, src_crs.is_geographic)
    return {
        "key": key,
        "xy": coords,
        "way": vidx.astype(np.int64),
        "fclass": fclass[part_of],
        "oneway": oneway[part_of],
        "maxspeed": ms[part_of],
        "src_crs": src_crs,
        "osm": False,
        "ways_read": n_read,
    }


# Official projected CRS of French overseas territories, by lon/lat box.
_OVERSEAS = (
    ((-63.5, 14.0, -60.5, 18.5), "EPSG:5490"),  # Antilles: RGAF09 / UTM 20N
    ((-55.0, 1.5, -51.0, 6.5), "EPSG:2972"),  # Guyane: RGFG95 / UTM 22N
    ((55.0, -21.6, 56.0, -20.7), "EPSG:2975"),  # Réunion: RGR92 / UTM 40S
    ((44.8, -13.2, 45.5, -12.4), "EPSG:4471"),  # Mayotte: RGM04 / UTM 38S
    ((-56.6, 46.6, -56.0, 47.2), "EPSG:4467"),  # Saint-Pierre-et-Miquelon
)


def choose_crs(lon: float, lat: float) -> pyproj.CRS:
    """A metric CRS for data centred on (lon, lat).

    Lambert-93 (EPSG:2154) for metropolitan France and Corsica, the official UTM-based
    CRS of French overseas territories, else the WGS 84 UTM zone.
    """
    if -5.8 <= lon <= 10.0 and 41.0 <= lat <= 51.6:
        return pyproj.CRS("EPSG:2154")
    for (x0, y0, x1, y1), code in _OVERSEAS:
        if x0 <= lon <= x1 and y0 <= lat <= y1:
            return pyproj.CRS(code)
    zone = int((lon + 180) // 6) + 1
    return pyproj.CRS(f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}")
