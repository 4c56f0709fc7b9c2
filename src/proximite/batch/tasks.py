"""Functions run on the Dask workers.

Each task loads only what it needs, writes its files itself (the output folder
must be on a file system the workers share with the client) and returns a
small dict: status, summary, calibration sample, output paths, timings. The
big frames (network, population points, polygons) never leave the worker and
are freed before returning. Exceptions are caught and returned as
``status = "failed"`` with a one-line message, so one département failing
does not stop the others.
"""

from __future__ import annotations

import gc
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pandas as pd

from proximite.batch import screening
from proximite.outputs.files import write_csv, write_json


def one_line(exc: BaseException) -> str:
    """``"InputError: message"`` on one line (long messages cut)."""
    text = " ".join(str(exc).split()) or repr(exc)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def _rel(path: Path, out: Path) -> str:
    try:
        return Path(path).resolve().relative_to(out.resolve()).as_posix()
    except ValueError:
        return str(path)


def network_task(departement: str, roads: str, out: str, *, threshold: float, maps: bool,
                 sites: str, communes: str) -> dict[str, Any]:
    """Network audit of one département: run, save, extract the calibration sample.

    Parameters
    ----------
    departement : str
        Département code.
    roads : str
        Its road file.
    out : str
        The batch output folder (files go to ``out/<departement>/``).
    threshold : float
        Minutes promised.
    maps : bool
        Write ``map.html``, ``map.png`` and ``report.html`` too.
    sites, communes : str
        France Services CSV and COG communes JSON.

    Returns
    -------
    dict
        ``departement``, ``method`` ("network"), ``status`` ("ok" / "failed"),
        ``error``, ``traceback``, ``summary``, ``sample`` (calibration sample,
        a few hundred rows), ``outputs`` (kind -> path relative to ``out``),
        ``timings`` (seconds), ``peak_rss_mb``.
    """
    from proximite.auditing import audit

    t0 = time.perf_counter()
    base = Path(out)
    result: dict[str, Any] = {"departement": departement, "method": "network",
                              "status": "failed", "error": None, "traceback": None,
                              "summary": None, "sample": None, "outputs": {}, "timings": {}}
    try:
        a = audit(departement, roads=roads, sites=sites, communes=communes,
                  threshold=threshold, cache=True)
        t1 = time.perf_counter()
        folder = base / departement
        try:
            written = a.save(folder, maps=maps)
        except Exception as exc:
            if not maps:
                raise
            # a map failure must not lose the audit: keep its tables, record why
            written = a.save(folder, maps=False)
            result.update(maps=False, maps_note=f"maps failed: {one_line(exc)}")
        t2 = time.perf_counter()
        sample = screening.calibration_sample(a.communes, a.inputs["sites"])
        sample_path = write_csv(sample, folder / "calibration_sample.csv")
        written = {**written, "calibration_sample": sample_path}
        summary = dict(a.summary)
        del a
        gc.collect()
        t3 = time.perf_counter()
        result.update(status="ok", summary=summary, sample=sample,
                      outputs={k: _rel(p, base) for k, p in sorted(written.items())},
                      timings={"audit_seconds": round(t1 - t0, 3),
                               "save_seconds": round(t2 - t1, 3),
                               "calibration_seconds": round(t3 - t2, 3)})
    except Exception as exc:  # reported, never raised: the other départements go on
        result.update(error=one_line(exc), traceback=traceback.format_exc(limit=8))
    gc.collect()
    result["timings"]["total_seconds"] = round(time.perf_counter() - t0, 3)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def screening_prepare(departements: list[str], *, sites: str, communes: str) -> dict[str, Any]:
    """Load the national communes once and find each commune's nearest site (straight line).

    Parameters
    ----------
    departements : list of str
        The départements to estimate.
    sites, communes : str
        France Services CSV and COG communes JSON (boundaries: the shared
        national file, see :func:`proximite.sources.load_communes`).

    Returns
    -------
    dict
        ``table`` (one row per commune of ``departements``: identity,
        population, distance and nearest site, no geometry), ``sites_per_dep``,
        ``without_boundary`` (département -> codes left out), ``error``,
        ``seconds``, ``peak_rss_mb``.
    """
    from proximite.sources import load_communes, load_france_services
    from proximite.sources.validation import departement_from_insee

    t0 = time.perf_counter()
    res: dict[str, Any] = {"table": None, "sites_per_dep": {}, "without_boundary": {},
                           "error": None, "traceback": None}
    try:
        fs = load_france_services(sites)
        fs.attrs = {}
        com = load_communes(None, path=communes)
        unreconciled = com.attrs.get("unreconciled", [])
        com.attrs = {}
        wanted = set(departements)
        com = com[com["departement"].isin(wanted)].reset_index(drop=True)
        near = screening.nearest_sites(com, fs)
        table = screening.prepared_table(com, fs, near)
        del com, near
        missing: dict[str, list[str]] = {}
        for code in unreconciled:
            try:
                dep = departement_from_insee(code)
            except (ValueError, TypeError):
                continue
            if dep in wanted:
                missing.setdefault(dep, []).append(code)
        res.update(table=table, without_boundary=missing,
                   sites_per_dep={str(k): int(v) for k, v in
                                  fs["departement"].astype(str).value_counts().items()})
        del fs
    except Exception as exc:  # reported as a failure of every screening département
        res.update(error=one_line(exc), traceback=traceback.format_exc(limit=8))
    gc.collect()
    res["seconds"] = round(time.perf_counter() - t0, 3)
    res["peak_rss_mb"] = peak_rss_mb()
    return res


def screening_finish(prepared: dict[str, Any], departements: list[str], out: str, *,
                     threshold: float, factor: float, speed_kmh: float,
                     calibration: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Apply the calibrated estimate and write each département's files.

    Files: ``out/<dep>/communes.csv`` (``method`` = ``"estimate"``) and
    ``out/<dep>/summary.json``.

    Returns
    -------
    dict
        Département -> result dict (as :func:`network_task`, without sample).
    """
    base = Path(out)
    results: dict[str, dict[str, Any]] = {}
    shared = {"prepare_seconds": prepared.get("seconds")}
    if prepared.get("error"):
        for dep in departements:
            results[dep] = {"departement": dep, "method": "estimate", "status": "failed",
                            "error": prepared["error"], "traceback": prepared.get("traceback"),
                            "summary": None, "outputs": {}, "timings": dict(shared)}
        return results
    table: pd.DataFrame = prepared["table"]
    estimated = screening.apply_estimate(table, factor=factor, speed_kmh=speed_kmh,
                                         threshold=threshold)
    for dep, rows in estimated.groupby("departement", sort=True):
        if dep not in departements:
            continue
        t0 = time.perf_counter()
        try:
            rows = rows.reset_index(drop=True)
            summary = screening.estimate_summary(
                rows, str(dep), threshold=threshold, factor=factor, speed_kmh=speed_kmh,
                calibration=calibration, sites_in_departement=prepared["sites_per_dep"]
                .get(str(dep), 0))
            summary["communes_without_boundary"] = prepared["without_boundary"].get(str(dep), [])
            folder = base / str(dep)
            folder.mkdir(parents=True, exist_ok=True)
            written = {"csv": write_csv(rows, folder / "communes.csv"),
                       "summary": write_json(summary, folder / "summary.json")}
            results[str(dep)] = {
                "departement": str(dep), "method": "estimate", "status": "ok", "error": None,
                "traceback": None, "summary": summary,
                "outputs": {k: _rel(p, base) for k, p in written.items()},
                "timings": {**shared, "estimate_seconds": round(time.perf_counter() - t0, 3)}}
        except Exception as exc:
            results[str(dep)] = {"departement": str(dep), "method": "estimate",
                                 "status": "failed", "error": one_line(exc),
                                 "traceback": traceback.format_exc(limit=8), "summary": None,
                                 "outputs": {}, "timings": dict(shared)}
    for dep in departements:
        if dep not in results:
            results[dep] = {"departement": dep, "method": "estimate", "status": "failed",
                            "error": "no commune with a boundary in this département",
                            "traceback": None, "summary": None, "outputs": {},
                            "timings": dict(shared)}
    for r in results.values():
        r["peak_rss_mb"] = peak_rss_mb()
    return results
