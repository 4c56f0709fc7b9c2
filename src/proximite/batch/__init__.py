"""Batch audits: many départements on Dask, a manifest, a screening estimate.

- :func:`batch_audit` — one network audit per département with a road file,
  the screening estimate for the others, a national summary, resumable runs;
- :mod:`proximite.batch.screening` — straight-line × detour factor estimate
  and its calibration on the network audits;
- :mod:`proximite.batch.manifest` — input hashes and the skip logic;
- :func:`find_roads_file` — a département's road file in a folder.
"""

from __future__ import annotations

from proximite.batch.roads import find_roads_file
from proximite.batch.runner import all_departements, batch_audit, parse_departements
from proximite.batch.screening import (
    DEFAULT_DETOUR_FACTOR,
    NOMINAL_SPEED_KMH,
    Calibration,
    calibrate,
    estimate_communes,
    estimate_minutes,
)

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "NOMINAL_SPEED_KMH",
    "Calibration",
    "all_departements",
    "batch_audit",
    "calibrate",
    "estimate_communes",
    "estimate_minutes",
    "find_roads_file",
    "parse_departements",
]
