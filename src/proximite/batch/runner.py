"""Batch audits of many départements on Dask distributed.

Flow of :func:`batch_audit`:

1. each département gets its road file (``roads_dir``, else the embedded 05
   file) -> a **network audit** task; without one -> the **screening estimate**;
2. every département's inputs are hashed; unchanged ones with their outputs on
   disk are **skipped** (see :mod:`proximite.batch.manifest`);
3. network audits run one task per département; the screening runs as two
   tasks for *all* screening départements together (load the national
   communes once and find nearest sites — started at once, alongside the
   audits — then apply the calibrated factor and write the files);
4. the detour factor is calibrated on the network audits of the run (their
   calibration samples are kept on disk, so skipped audits still count);
5. the national table (``summary.csv`` / ``summary.parquet``), ``national.json``,
   ``calibration.json``, ``index.html`` and ``manifest.json`` are written.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from proximite import paths
from proximite.batch import national, screening, tasks
from proximite.batch.manifest import Manifest, describe_inputs, fingerprint, now
from proximite.batch.roads import find_roads_file
from proximite.errors import InputError
from proximite.outputs.files import write_json

logger = logging.getLogger("proximite.batch")

#: Départements of ``"all"``: the 96 metropolitan ones and the 5 overseas
#: départements (971-974, 976). Overseas collectivities listed in the COG
#: (975, 977, 978, 984-989) are not départements and have no boundaries.
OVERSEAS_DEPARTEMENTS = ("971", "972", "973", "974", "976")


def all_departements() -> list[str]:
    """Every département code of the COG (101), sorted.

    Returns
    -------
    list of str
    """
    metro = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B"]
    return sorted([*metro, *OVERSEAS_DEPARTEMENTS])


def parse_departements(value: str | Iterable[str]) -> list[str]:
    """``"05,83"``, ``["5", "2a"]`` or ``"all"`` -> normalised, sorted, unique codes.

    Raises
    ------
    InputError
        For an unknown code or an empty list.

    Examples
    --------
    >>> parse_departements("83, 5,2a")
    ['05', '2A', '83']
    """
    from proximite.sources.validation import VALID_DEPARTEMENTS, normalise_departement

    items = value.split(",") if isinstance(value, str) else list(value)
    items = [str(i).strip() for i in items if str(i).strip()]
    if any(i.lower() == "all" for i in items):
        return all_departements()
    if not items:
        raise InputError("no département given")
    out = set()
    for item in items:
        try:
            code = normalise_departement(item)
        except (ValueError, TypeError):
            code = None
        if code is None or code not in VALID_DEPARTEMENTS:
            raise InputError(f"unknown département code {item!r}")
        out.add(code)
    return sorted(out)


def resolve_roads(departements: list[str], roads_dir: str | Path | None) -> dict[str, Path]:
    """The road file of each département that has one (others are screened).

    ``roads_dir`` (default ``../shared/data/roads``) is searched with
    :func:`find_roads_file`; 05 falls back to the embedded file.
    """
    directory = Path(roads_dir) if roads_dir is not None else paths.SHARED_DATA_DIR / "roads"
    found: dict[str, Path] = {}
    for dep in departements:
        p = find_roads_file(directory, dep)
        if p is None and dep == paths.DEFAULT_DEPARTEMENT and paths.ROADS_05.exists():
            p = paths.ROADS_05
        if p is not None:
            found[dep] = p
    return found


def maps_available() -> tuple[bool, str | None]:
    """Whether the map and report writers can be imported (and why not)."""
    for name in ("proximite.outputs.maps", "proximite.outputs.report",
                 "proximite.outputs.static"):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return False, f"{name} not importable ({exc}); maps skipped"
    return True, None


def _boundaries(dep: str | None) -> Path:
    if dep == paths.DEFAULT_DEPARTEMENT:
        return paths.COMMUNES_BOUNDARIES
    return paths.SHARED_DATA_DIR / "communes" / "communes-2018.geojson.gz"


def network_inputs(dep: str, roads: Path) -> dict[str, Path | None]:
    """Files a network audit of ``dep`` reads (as :func:`proximite.audit` defaults them)."""
    from proximite.auditing.audit import PACA

    return {
        "roads": roads,
        "sites": paths.FRANCE_SERVICES_CSV,
        "communes": paths.COMMUNES_COG_JSON,
        "communes_boundaries": _boundaries(dep),
        "broadband": paths.BROADBAND_JSON if dep == paths.DEFAULT_DEPARTEMENT else None,
        "mediation": paths.MEDIATION_JSON if dep in PACA else None,
    }


def screening_inputs() -> dict[str, Path | None]:
    """Files the screening estimate reads (national communes, national sites)."""
    return {"sites": paths.FRANCE_SERVICES_CSV, "communes": paths.COMMUNES_COG_JSON,
            "communes_boundaries": _boundaries(None)}


def _profile_hash() -> str | None:
    try:
        from proximite.network import SpeedProfile

        return SpeedProfile.default().hash()
    except Exception as exc:  # the profile module may be unfinished: record, go on
        logger.debug("no speed profile hash: %s", exc)
        return None


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """Dask's own INFO logs only when proximite logs at DEBUG (``-v``)."""
    verbose = logging.getLogger("proximite").getEffectiveLevel() <= logging.DEBUG
    names = ("distributed", "distributed.scheduler", "distributed.nanny", "distributed.core",
             "distributed.worker", "distributed.http.proxy")
    saved = {n: logging.getLogger(n).level for n in names}
    if not verbose:
        for n in names:
            logging.getLogger(n).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)


@contextmanager
def _dask_client(workers: int, scheduler: str | None) -> Iterator[Any]:
    with _quiet_dask(), _dask_session(workers, scheduler) as client:
        yield client


@contextmanager
def _dask_session(workers: int, scheduler: str | None) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


class _LazyClient:
    """Starts the Dask client on first use only (a run where all is skipped needs none)."""

    def __init__(self, workers: int, scheduler: str | None) -> None:
        self.workers, self.scheduler = workers, scheduler
        self._cm: Any = None
        self.client: Any = None

    def get(self) -> Any:
        if self.client is None:
            self._cm = _dask_client(self.workers, self.scheduler)
            self.client = self._cm.__enter__()
        return self.client

    def close(self) -> None:
        if self._cm is not None:
            self._cm.__exit__(None, None, None)
            self._cm = self.client = None


def _read_sample(out: Path, entry: dict[str, Any]) -> pd.DataFrame | None:
    rel = (entry.get("outputs") or {}).get("calibration_sample")
    if not rel or not (out / rel).is_file():
        return None
    return pd.read_csv(out / rel, dtype={"code_insee": str, "departement": str})


def _read_summary(out: Path, entry: dict[str, Any]) -> dict[str, Any] | None:
    import json

    rel = (entry.get("outputs") or {}).get("summary")
    if not rel or not (out / rel).is_file():
        return None
    return json.loads((out / rel).read_text(encoding="utf-8"))


def batch_audit(
    departements: str | Iterable[str],
    *,
    roads_dir: str | Path | None = None,
    out: str | Path | None = None,
    workers: int = 2,
    scheduler: str | None = None,
    threshold: float = 30,
    maps: bool = True,
    progress: bool = False,
) -> pd.DataFrame:
    """Audit many départements on Dask and write a national summary.

    Départements with a road file get the network audit (as ``proximite
    audit``, files in ``out/<dep>/``); the others get the screening estimate
    (straight line × calibrated detour factor, ``method = "estimate"``, see
    :mod:`proximite.batch.screening`). Unchanged départements are skipped on a
    re-run; a failing département is reported and does not stop the others.

    Parameters
    ----------
    departements : str or iterable of str
        Codes (``"05,83"``, ``["05", "83"]``) or ``"all"``.
    roads_dir : str or Path, optional
        Folder of road files (default ``../shared/data/roads``); a file belongs
        to a département when its code is a separate token of the name. 05
        falls back to the embedded file.
    out : str or Path, optional
        Output folder (default ``outputs/batch``). With a remote ``scheduler``
        it must be on a file system shared with the workers.
    workers : int
        Worker processes of the local Dask cluster (one thread each).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); then
        ``workers`` is ignored.
    threshold : float
        Minutes promised.
    maps : bool
        Write maps and reports of network audits (skipped, and recorded in the
        manifest, when the map modules cannot be imported).
    progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        The national table (one row per département; ``status``, ``method``,
        the summary keys, ``error``). ``attrs``: ``out``, ``calibration``,
        ``totals``, ``failed`` (département -> message), ``screened``.

    Examples
    --------
    >>> import proximite
    >>> table = proximite.batch_audit("05,83", out="outputs/batch", maps=False)  # doctest: +SKIP
    >>> table[["departement", "method", "status", "share_within_threshold"]]  # doctest: +SKIP
    """
    from distributed import as_completed
    from tqdm import tqdm

    import proximite

    t_start = time.perf_counter()
    deps = parse_departements(departements)
    if threshold is None or not threshold > 0:
        raise InputError(f"threshold must be a positive number of minutes, got {threshold!r}")
    threshold = float(threshold)
    out = Path(out) if out is not None else Path("outputs") / "batch"
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out)
    version = proximite.__version__
    profile_hash = _profile_hash()
    maps_note = None
    if maps:
        maps, maps_note = maps_available()
        if maps_note:
            logger.warning(maps_note)

    roads = resolve_roads(deps, roads_dir)
    net_deps = [d for d in deps if d in roads]
    scr_deps = [d for d in deps if d not in roads]
    if scr_deps:
        logger.warning("no road file for %d département(s) (%s): screening estimate "
                       "(straight line × detour factor, method 'estimate')", len(scr_deps),
                       ", ".join(scr_deps))
    common = {"speed_profile_hash": profile_hash, "version": version, "threshold": threshold}
    manifest.data.update(software={"proximite": version}, speed_profile_hash=profile_hash)
    manifest.data["last_run"] = {"started_at": now(), "departements": deps,
                                 "threshold": threshold, "maps": maps, "maps_note": maps_note}

    results: dict[str, dict[str, Any]] = {}
    samples: dict[str, pd.DataFrame] = {}
    lazy = _LazyClient(workers, scheduler)
    try:
        # -- network audits: skip or submit
        futures: dict[Any, str] = {}
        net_meta: dict[str, dict[str, Any]] = {}
        for dep in net_deps:
            t0 = time.perf_counter()
            inputs = describe_inputs(network_inputs(dep, roads[dep]))
            fp = fingerprint(inputs, method="network", **common)
            net_meta[dep] = {"inputs": inputs, "fingerprint": fp}
            ok, why = manifest.can_skip(dep, fp, maps=maps)
            entry = manifest.entry(dep) or {}
            sample = _read_sample(out, entry) if ok else None
            summary = _read_summary(out, entry) if ok else None
            if ok and sample is not None and summary is not None:
                manifest.skipped(dep, time.perf_counter() - t0)
                samples[dep] = sample
                results[dep] = {"departement": dep, "method": "network", "status": "skipped",
                                "summary": summary, "error": None}
                logger.info("%s: unchanged, skipped", dep)
                continue
            logger.info("%s: network audit (%s)", dep, why)
            i = net_meta[dep]["inputs"]
            fut = lazy.get().submit(
                tasks.network_task, dep, str(roads[dep]), str(out), threshold=threshold, maps=maps,
                sites=i["sites"]["path"], communes=i["communes"]["path"],
                key=f"audit-{dep}-{fp[:12]}", pure=False)
            futures[fut] = dep

        # -- screening: preparation starts now if anything may need recomputing
        scr_inputs = describe_inputs(screening_inputs()) if scr_deps else {}
        prep_future = None
        base_fp = fingerprint(scr_inputs, method="estimate", **common)
        maybe = [d for d in scr_deps
                 if (manifest.entry(d) or {}).get("base_fingerprint") != base_fp
                 or not manifest.can_skip(d, (manifest.entry(d) or {}).get("fingerprint", ""))[0]]
        if maybe:
            prep_future = _submit_prepare(lazy, scr_deps, scr_inputs)

        # -- collect network audits
        with tqdm(total=len(futures), desc="audits", unit="dép.", disable=not progress) as bar:
            for fut in (as_completed(list(futures)) if futures else []):
                dep = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # worker died, unpicklable result...
                    res = {"departement": dep, "method": "network", "status": "failed",
                           "error": tasks.one_line(exc), "summary": None, "outputs": {},
                           "timings": {}}
                fut.release()
                bar.update(1)
                bar.set_postfix_str(f"{dep} {res['status']}")
                results[dep] = res
                if res["status"] == "ok" and res.get("sample") is not None:
                    samples[dep] = res.pop("sample")
                _record(manifest, dep, res, net_meta[dep], maps=maps, maps_note=maps_note)
                if res["status"] == "failed":
                    logger.error("%s: failed: %s", dep, res["error"])

        # -- calibration, then screening
        cal = screening.calibrate(samples, threshold=threshold)
        calibration = cal.to_dict()
        if scr_deps:
            if not cal.calibrated:
                logger.warning("no calibration département in this run: default detour factor "
                               "%.2f (uncalibrated)", cal.factor)
            params = {"method": "estimate", "detour_factor": cal.factor,
                      "nominal_speed_kmh": cal.speed_kmh, "calibration": cal.label, **common}
            fp = fingerprint(scr_inputs, **params)
            todo = []
            for dep in scr_deps:
                t0 = time.perf_counter()
                ok, _ = manifest.can_skip(dep, fp)
                summary = _read_summary(out, manifest.entry(dep) or {}) if ok else None
                if ok and summary is not None:
                    manifest.skipped(dep, time.perf_counter() - t0)
                    results[dep] = {"departement": dep, "method": "estimate",
                                    "status": "skipped", "summary": summary, "error": None}
                else:
                    todo.append(dep)
            if todo:
                if prep_future is None:
                    prep_future = _submit_prepare(lazy, scr_deps, scr_inputs)
                fin = lazy.get().submit(
                    tasks.screening_finish, prep_future, todo, str(out), threshold=threshold,
                    factor=cal.factor, speed_kmh=cal.speed_kmh, calibration=cal.brief(),
                    key=f"screening-finish-{fp[:12]}", pure=False)
                with tqdm(total=1, desc=f"estimate ({len(todo)} dép.)", unit="task",
                          disable=not progress) as bar:
                    try:
                        scr = fin.result()
                    except Exception as exc:
                            scr = {d: {"departement": d, "method": "estimate", "status": "failed",
                                   "error": tasks.one_line(exc), "summary": None, "outputs": {},
                                   "timings": {}} for d in todo}
                    bar.update(1)
                meta = {"inputs": scr_inputs, "fingerprint": fp, "base_fingerprint": base_fp,
                        "params": {k: params[k] for k in ("detour_factor", "nominal_speed_kmh",
                                                          "calibration")}}
                for dep in todo:
                    res = scr[dep]
                    results[dep] = res
                    _record(manifest, dep, res, meta, maps=False, maps_note=None, save=False)
                    if res["status"] == "failed":
                        logger.error("%s: failed: %s", dep, res["error"])
            if prep_future is not None:
                prep_future.release()
    finally:
        lazy.close()

    # -- national outputs
    rows = []
    for dep in deps:
        res = results[dep]
        row = {"departement": dep, "status": res["status"], "method": res["method"]}
        if res.get("summary"):
            flat = national.flatten_summary(res["summary"])
            flat.pop("departement", None)
            flat.pop("method", None)
            row.update(flat)
        row["error"] = res.get("error")
        rows.append(row)
    table = national.summary_table(rows)
    totals = national.national_totals(table)
    files = national.write_summary(table, out)
    write_json(calibration, out / "calibration.json")
    national.write_totals(totals, out)
    national.write_index(table, out, manifest=manifest.departements,
                         calibration=calibration, totals=totals, threshold=threshold)
    failed = {d: r["error"] for d, r in results.items() if r["status"] == "failed"}
    manifest.data["calibration"] = {k: calibration[k] for k in
                                    ("factor", "speed_kmh", "calibrated", "label",
                                     "departements", "overall")}
    manifest.data["last_run"].update(
        finished_at=now(), seconds=round(time.perf_counter() - t_start, 3),
        counts={s: sum(1 for r in results.values() if r["status"] == s)
                for s in ("ok", "skipped", "failed")},
        outputs={k: p.name for k, p in files.items()})
    manifest.save()
    table.attrs.update(out=str(out), calibration=calibration, totals=totals, failed=failed,
                       screened=scr_deps, seconds=round(time.perf_counter() - t_start, 3))
    return table


def _submit_prepare(lazy: _LazyClient, deps: list[str], inputs: dict[str, Any]) -> Any:
    return lazy.get().submit(tasks.screening_prepare, deps, sites=inputs["sites"]["path"],
                             communes=inputs["communes"]["path"],
                             key=f"screening-prepare-{len(deps)}-{time.time_ns()}", pure=False)


def _record(manifest: Manifest, dep: str, res: dict[str, Any], meta: dict[str, Any], *,
            maps: bool, maps_note: str | None, save: bool = True) -> None:
    """Write a computed (or failed) département's manifest entry."""
    import proximite

    summary = res.get("summary") or {}
    entry = {
        "status": res["status"],
        "method": res["method"],
        "error": res.get("error"),
        "inputs": meta["inputs"],
        "speed_profile_hash": summary.get("speed_profile_hash")
        or manifest.data.get("speed_profile_hash"),
        "version": proximite.__version__,
        "threshold": manifest.data.get("last_run", {}).get("threshold"),
        "fingerprint": meta["fingerprint"] if res["status"] == "ok" else None,
        "maps": bool(res.get("maps", maps)) if res["method"] == "network" else False,
        "maps_note": res.get("maps_note") or maps_note,
        "timings": res.get("timings") or {},
        "peak_rss_mb": res.get("peak_rss_mb"),
        "outputs": res.get("outputs") or {},
        "finished_at": now(),
    }
    if "base_fingerprint" in meta:
        entry["base_fingerprint"] = meta["base_fingerprint"]
        entry["params"] = meta.get("params")
    if summary.get("inputs"):
        entry["audit_inputs"] = summary["inputs"]
    if res.get("traceback"):
        entry["traceback"] = res["traceback"]
    manifest.record(dep, entry, save=save)
