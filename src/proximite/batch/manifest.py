"""The batch manifest: what was computed from what, and when to skip.

``out/manifest.json`` holds one entry per département::

    {"status": "ok" | "failed" | "skipped", "method": "network" | "estimate",
     "error": null | "one line", "inputs": {role: {"path": ..., "sha256": ...}},
     "speed_profile_hash": ..., "version": ..., "threshold": ...,
     "fingerprint": ..., "maps": bool, "timings": {...}, "outputs": {kind: relative path},
     "computed": {"finished_at": ..., "timings": {...}}}

A département is skipped when its previous entry is ``ok`` or ``skipped``,
its :func:`fingerprint` (input hashes, speed profile hash, software version,
threshold, method and method parameters) is unchanged, every output it lists
still exists, and maps were written if maps are asked for now.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from proximite.outputs.files import json_safe

logger = logging.getLogger("proximite.batch")

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1

_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file (memoised on path, size and modification time).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        64 hex digits.
    """
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key not in _HASH_CACHE:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _HASH_CACHE[key] = h.hexdigest()
    return _HASH_CACHE[key]


def describe_inputs(files: dict[str, str | Path | None]) -> dict[str, dict[str, str | None]]:
    """``{role: path}`` -> ``{role: {"path": ..., "sha256": ...}}`` (None paths dropped).

    A missing file gets ``sha256`` None (the task will report the error).
    """
    out: dict[str, dict[str, str | None]] = {}
    for role, path in sorted(files.items()):
        if path is None:
            continue
        p = Path(path)
        out[role] = {"path": str(p), "sha256": sha256_file(p) if p.is_file() else None}
    return out


def fingerprint(inputs: dict[str, dict[str, Any]], **params: Any) -> str:
    """A stable hash of everything a département's result depends on.

    Parameters
    ----------
    inputs : dict
        :func:`describe_inputs` output; only the hashes count (not the paths:
        the same bytes elsewhere give the same result).
    **params
        Speed profile hash, version, threshold, method, estimate parameters...

    Returns
    -------
    str
        64 hex digits.
    """
    data = {"inputs": {role: v.get("sha256") for role, v in sorted(inputs.items())},
            "params": json_safe(params)}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    """Current UTC time, ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Manifest:
    """``out/manifest.json``, read at start and rewritten (atomically) as results arrive.

    Parameters
    ----------
    out : str or Path
        The batch output folder.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.path = self.out / MANIFEST_NAME
        self.data: dict[str, Any] = {"format": MANIFEST_FORMAT, "departements": {}}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(data, dict) and isinstance(data.get("departements"), dict):
                    self.data = data
                else:
                    logger.warning("%s: unexpected content, starting a new manifest", self.path)
            except (OSError, ValueError) as exc:
                logger.warning("%s: unreadable (%s), starting a new manifest", self.path, exc)

    @property
    def departements(self) -> dict[str, dict[str, Any]]:
        """Département -> entry."""
        return self.data["departements"]

    def entry(self, departement: str) -> dict[str, Any] | None:
        """The entry of a département, or None."""
        return self.departements.get(departement)

    def record(self, departement: str, entry: dict[str, Any], *, save: bool = True) -> None:
        """Set a département's entry (and write the file)."""
        self.departements[departement] = entry
        if save:
            self.save()

    def save(self) -> Path:
        """Write the manifest atomically (temporary file, then rename)."""
        self.out.mkdir(parents=True, exist_ok=True)
        self.data["updated"] = now()
        self.data["departements"] = dict(sorted(self.departements.items()))
        tmp = self.path.with_suffix(".json.tmp")
        text = json.dumps(json_safe(self.data), indent=2, ensure_ascii=False)
        tmp.write_text(text + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
        return self.path

    def can_skip(self, departement: str, fp: str, *, maps: bool = False) -> tuple[bool, str]:
        """Whether a département's previous result can be reused.

        Parameters
        ----------
        departement : str
        fp : str
            The :func:`fingerprint` of the current inputs and parameters.
        maps : bool
            Whether maps are asked for (then the previous run must have made them).

        Returns
        -------
        (bool, str)
            The decision and the reason in words.
        """
        e = self.entry(departement)
        if e is None:
            return False, "not computed before"
        if e.get("status") not in ("ok", "skipped"):
            return False, f"previous status {e.get('status')}"
        if e.get("fingerprint") != fp:
            return False, "inputs or parameters changed"
        outputs = e.get("outputs") or {}
        if not outputs:
            return False, "no outputs recorded"
        missing = [p for p in outputs.values() if not (self.out / p).exists()]
        if missing:
            return False, f"output missing: {missing[0]}"
        if maps and e.get("method") == "network" and not e.get("maps"):
            return False, "maps asked for, not made before"
        return True, "unchanged"

    def skipped(self, departement: str, seconds: float) -> dict[str, Any]:
        """Mark a département skipped, keeping what its computation recorded."""
        e = dict(self.entry(departement) or {})
        if e.get("status") == "ok":
            e["computed"] = {"finished_at": e.get("finished_at"), "timings": e.get("timings")}
        e["status"] = "skipped"
        e["error"] = None
        e["timings"] = {"total_seconds": round(seconds, 3), "recomputed": False}
        e["checked_at"] = now()
        self.record(departement, e, save=False)
        return e
