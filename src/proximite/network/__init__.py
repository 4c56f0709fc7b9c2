"""Road network: OSM roads -> directed CSR graph of car travel seconds.

- :class:`RoadNetwork` builds the graph from a Geofabrik "roads" layer, an OSM
  file (PBF / XML), an osmnx graph or plain arrays; snaps points to usable nodes;
  caches itself (``save`` / ``load``).
- :class:`SpeedProfile` holds the car speeds by road class, the off-network access
  speed and the snapping rules (packaged default: ``profiles/car_fr.toml``).
"""

from __future__ import annotations

from proximite.network._readers import choose_crs, parse_maxspeed
from proximite.network.core import RoadNetwork, SnapResult, default_cache_dir, file_sha256
from proximite.network.profile import SpeedProfile

__all__ = [
    "RoadNetwork",
    "SnapResult",
    "SpeedProfile",
    "choose_crs",
    "default_cache_dir",
    "file_sha256",
    "parse_maxspeed",
]
