"""Outputs of an audit: files, interactive gap map, static PNG map, HTML report.

``outputs.files`` writes the GeoPackage, CSV and JSON files; ``maps``, ``static``
and ``report`` the visual outputs. The visual functions are imported lazily, so
that writing files does not pay for importing folium and matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "gap_map": "proximite.outputs.maps",
    "map_html": "proximite.outputs.maps",
    "write_map": "proximite.outputs.maps",
    "report_html": "proximite.outputs.report",
    "write_report": "proximite.outputs.report",
    "gap_png": "proximite.outputs.static",
    "write_audit": "proximite.outputs.files",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'proximite.outputs' has no attribute {name!r}")
