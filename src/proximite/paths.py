"""Where the embedded default data lives, and the optional shared data set."""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the repository (src layout: src/proximite/paths.py -> repo root).
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Embedded default data (Hautes-Alpes, 05). ``PROXIMITE_DATA`` overrides it.
DATA_DIR = Path(os.environ.get("PROXIMITE_DATA", REPO_ROOT / "data"))

#: The larger real data set next to the project (``../shared/data``), if present.
SHARED_DATA_DIR = Path(
    os.environ.get("PROXIMITE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))

DEFAULT_DEPARTEMENT = "05"

FRANCE_SERVICES_CSV = DATA_DIR / "sites" / "france-services-20240801.csv"
MEDIATION_JSON = DATA_DIR / "mediation" / "lieux-mediation-numerique-paca-20230516.json"
CONSEILLERS_JSON = DATA_DIR / "mediation" / "conseillers-numeriques-structures-2021.json"
BROADBAND_JSON = DATA_DIR / "broadband" / "internet-fixe-05-2026T2.json"
COMMUNES_COG_JSON = DATA_DIR / "communes" / "communes-cog2026.json.gz"
DEPARTEMENTS_CSV = DATA_DIR / "communes" / "departements-2018.csv"
COMMUNES_BOUNDARIES = DATA_DIR / "communes" / "communes-2018-05.geojson.gz"
ROADS_05 = DATA_DIR / "roads" / "osm-roads-05-202107.geojson.gz"


def shared_data_available() -> bool:
    """True when ``../shared/data`` (or ``PROXIMITE_SHARED_DATA``) exists."""
    return SHARED_DATA_DIR.is_dir()
