"""proximite: measure access to French public services on real open data.

The package reads as a pipeline:

``sources`` (loaders) -> ``network`` (road graph) -> ``access`` (travel-time
engine) -> ``audit`` (commune metrics) -> ``outputs`` (maps, files);
``planning`` and ``batch`` build on top; ``cli`` is a thin shell.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names, imported lazily so that ``import proximite`` stays fast.
_EXPORTS = {
    "load_france_services": "proximite.sources",
    "load_mediation_venues": "proximite.sources",
    "load_conseillers_numeriques": "proximite.sources",
    "load_broadband": "proximite.sources",
    "load_communes": "proximite.sources",
    "metric_crs": "proximite.sources",
    "RoadNetwork": "proximite.network",
    "SpeedProfile": "proximite.network",
    "access": "proximite.access",
    "audit": "proximite.auditing",
    "Audit": "proximite.auditing",
    "plan_sites": "proximite.planning",
    "batch_audit": "proximite.batch",
    "InputError": "proximite.errors",
    "LoadReport": "proximite.errors",
    "ProximiteError": "proximite.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(_EXPORTS[name])
        value = module if name == "access" else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'proximite' has no attribute {name!r}")
