"""Finding a département's road file in a folder of road files."""

from __future__ import annotations

import re
from pathlib import Path

ROAD_SUFFIXES = (".geojson", ".geojson.gz", ".gpkg", ".shp", ".osm.pbf", ".osm", ".json",
                 ".json.gz", ".fgb")


def name_tokens(name: str) -> list[str]:
    """Split a file name into tokens on every non-alphanumeric character.

    Examples
    --------
    >>> name_tokens("osm-roads-05-202107.geojson.gz")
    ['osm', 'roads', '05', '202107', 'geojson', 'gz']
    """
    return [t for t in re.split(r"[^0-9A-Za-z]+", name) if t]


def find_roads_file(directory: str | Path, departement: str) -> Path | None:
    """The road file of a département in ``directory``, or None.

    A file matches when its name holds the département code as a separate
    token (``osm-roads-05-202107.geojson.gz`` is 05's, not 050's or 205's) and
    ends with a road-file suffix. With several matches the last one in name
    order (usually the most recent extract) is taken.

    Parameters
    ----------
    directory : str or Path
        Folder to look into (not recursive). A missing folder gives None.
    departement : str
        Code such as ``"05"``, ``"2A"``, ``"974"``.

    Returns
    -------
    Path or None
    """
    directory = Path(directory)
    if not directory.is_dir():
        return None
    code = departement.upper()
    found = [
        p for p in sorted(directory.iterdir())
        if p.is_file() and p.name.lower().endswith(ROAD_SUFFIXES)
        and code in [t.upper() for t in name_tokens(p.name)]
    ]
    return found[-1] if found else None
