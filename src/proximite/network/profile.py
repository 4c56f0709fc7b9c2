"""Car speed profile: speeds by road class, access leg speed, snapping rules.

The packaged default (``profiles/car_fr.toml``) documents every value and its
rationale; :meth:`SpeedProfile.default` loads it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from proximite.errors import InputError

#: The packaged default profile.
DEFAULT_PROFILE_FILE = "car_fr.toml"


@dataclass(frozen=True)
class SpeedProfile:
    """Car speeds by road class and the rules of the off-network legs.

    Parameters
    ----------
    speeds : dict of str to (float, float)
        For each driveable road class (Geofabrik ``fclass`` / OSM ``highway``),
        ``(default_kmh, cap_kmh)``: the speed used when ``maxspeed`` is unknown,
        and the highest speed allowed for the class. A known ``maxspeed`` gives
        ``min(maxspeed, cap)``. Classes not listed are not driveable.
    access_speed_kmh : float
        Speed of the straight off-network leg between a point and its node.
    max_snap_m : float
        Points farther than this from every usable node are unreachable.
    min_component_nodes : int
        Strongly connected components smaller than this (other than the largest)
        are kept but no point is snapped to them.
    name : str
        A label.
    """

    speeds: dict[str, tuple[float, float]] = field(default_factory=dict)
    access_speed_kmh: float = 15.0
    max_snap_m: float = 1000.0
    min_component_nodes: int = 50
    name: str = "custom"

    def __post_init__(self) -> None:
        if not self.speeds:
            raise InputError("a speed profile needs at least one road class")
        clean: dict[str, tuple[float, float]] = {}
        for cls, value in self.speeds.items():
            try:
                default, cap = (float(v) for v in value)
            except (TypeError, ValueError):
                raise InputError(
                    f"speed of class {cls!r} must be (default, cap) in km/h, got {value!r}",
                    field=cls,
                ) from None
            if not (0 < default <= cap) or not np.isfinite(cap):
                raise InputError(
                    f"class {cls!r}: need 0 < default <= cap, got {default}, {cap}", field=cls
                )
            clean[str(cls)] = (default, cap)
        object.__setattr__(self, "speeds", clean)
        if not self.access_speed_kmh > 0:
            raise InputError("access_speed_kmh must be > 0", field="access_speed_kmh")
        if not self.max_snap_m >= 0:
            raise InputError("max_snap_m must be >= 0", field="max_snap_m")
        if int(self.min_component_nodes) < 1:
            raise InputError("min_component_nodes must be >= 1", field="min_component_nodes")

    # -- construction -------------------------------------------------------------
    @classmethod
    def default(cls) -> SpeedProfile:
        """The packaged French car profile (``profiles/car_fr.toml``).

        Returns
        -------
        SpeedProfile
        """
        text = resources.files("proximite.network").joinpath("profiles", DEFAULT_PROFILE_FILE)
        return cls.from_dict(tomllib.loads(text.read_text(encoding="utf-8")))

    @classmethod
    def from_toml(cls, path: str | Path) -> SpeedProfile:
        """Read a profile from a TOML file shaped like ``profiles/car_fr.toml``.

        Parameters
        ----------
        path : str or Path
            The TOML file.

        Returns
        -------
        SpeedProfile
        """
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML: {exc}", path=path) from None
        try:
            return cls.from_dict(data)
        except InputError as exc:
            raise InputError(exc.reason, path=path, field=exc.field) from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpeedProfile:
        """Build a profile from a mapping (the TOML layout or :meth:`to_dict`).

        Parameters
        ----------
        data : dict
            ``speeds`` (class -> ``{default, cap}`` or ``[default, cap]``), and
            optionally ``access`` (or top-level) ``access_speed_kmh``,
            ``max_snap_m``, ``min_component_nodes``, and ``name``.

        Returns
        -------
        SpeedProfile
        """
        if not isinstance(data, dict) or "speeds" not in data:
            raise InputError("a speed profile needs a 'speeds' table", field="speeds")
        speeds: dict[str, tuple[float, float]] = {}
        for cls_name, value in dict(data["speeds"]).items():
            if isinstance(value, dict):
                if "default" not in value:
                    raise InputError(f"class {cls_name!r} has no 'default'", field=cls_name)
                value = (value["default"], value.get("cap", value["default"]))
            elif isinstance(value, int | float):
                value = (value, value)
            speeds[cls_name] = tuple(value)  # type: ignore[assignment]
        acc = dict(data.get("access", {}))
        for key in ("access_speed_kmh", "max_snap_m", "min_component_nodes"):
            if key in data:
                acc[key] = data[key]
        kwargs: dict[str, Any] = {}
        if "access_speed_kmh" in acc:
            kwargs["access_speed_kmh"] = float(acc["access_speed_kmh"])
        if "max_snap_m" in acc:
            kwargs["max_snap_m"] = float(acc["max_snap_m"])
        if "min_component_nodes" in acc:
            kwargs["min_component_nodes"] = int(acc["min_component_nodes"])
        return cls(speeds=speeds, name=str(data.get("name", "custom")), **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain JSON-able data (inverse of :meth:`from_dict`)."""
        return {
            "name": self.name,
            "speeds": {k: {"default": d, "cap": c} for k, (d, c) in sorted(self.speeds.items())},
            "access": {
                "access_speed_kmh": float(self.access_speed_kmh),
                "max_snap_m": float(self.max_snap_m),
                "min_component_nodes": int(self.min_component_nodes),
            },
        }

    def hash(self) -> str:
        """Stable SHA-256 of the profile's canonical JSON (the name excluded).

        Returns
        -------
        str
            64 hex digits; equal profiles give equal hashes across runs.
        """
        data = self.to_dict()
        data.pop("name")
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # -- use ----------------------------------------------------------------------
    @property
    def access_speed_ms(self) -> float:
        """Access speed in m/s."""
        return self.access_speed_kmh / 3.6

    def is_driveable(self, fclass: str) -> bool:
        """True when the road class is in the profile."""
        return fclass in self.speeds

    def speeds_kmh(self, fclass: np.ndarray, maxspeed: np.ndarray) -> np.ndarray:
        """Edge speeds for arrays of classes and ``maxspeed`` (0 or NaN = unknown).

        Parameters
        ----------
        fclass : ndarray of str
            Road classes (all driveable).
        maxspeed : ndarray of float
            Posted limit in km/h; ``<= 0`` or NaN means unknown.

        Returns
        -------
        ndarray of float
            ``min(maxspeed, cap)`` when known, else the class default.
        """
        fclass = np.asarray(fclass, dtype=object)
        maxspeed = np.asarray(maxspeed, dtype=float)
        classes, inv = np.unique(fclass.astype(str), return_inverse=True)
        default = np.array([self.speeds[c][0] for c in classes])[inv]
        cap = np.array([self.speeds[c][1] for c in classes])[inv]
        known = np.isfinite(maxspeed) & (maxspeed > 0)
        return np.where(known, np.minimum(np.where(known, maxspeed, 0.0), cap), default)
