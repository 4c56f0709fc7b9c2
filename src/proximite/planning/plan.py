"""Where would new France Services help most? Site planning on top of an audit.

:func:`plan_sites` takes an :class:`proximite.Audit`, a set of candidate
locations (mediation venues by default: turning a venue into a France Services
is the cheapest real option), computes the candidate x population travel-time
matrix in one pass of the engine, solves the chosen model with the existing
France Services kept open, then re-runs the audit with the chosen sites added
to report the situation before and after.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from proximite.errors import InputError
from proximite.outputs.files import json_safe, write_csv, write_gpkg, write_json
from proximite.planning.solvers import METHODS, SOLVERS, Solution, solve

logger = logging.getLogger("proximite.planning")

__all__ = ["CANDIDATE_SETS", "PlanResult", "candidate_sites", "plan_matrix", "plan_sites"]

#: Named candidate sets understood by :func:`plan_sites`.
CANDIDATE_SETS = ("mediation", "communes")

#: Columns of ``PlanResult.sites`` (geometry last).
SITE_COLUMNS = ["rank", "name", "code_insee", "lon", "lat", "population_gained"]

_NAME_COLUMNS = ("name", "nom", "lib_fs", "libelle", "label")


# ---------------------------------------------------------------------------
# candidates
# ---------------------------------------------------------------------------


def candidate_sites(audit: Any, candidates: Any = None) -> gpd.GeoDataFrame:
    """The candidate locations as points (EPSG:4326) with ``name`` and ``code_insee``.

    Parameters
    ----------
    audit : Audit
        The audit planned on (its ``mediation`` and ``communes`` layers).
    candidates : {"mediation", "communes"}, GeoDataFrame, path or None
        ``"mediation"`` (default): the audit's mediation venues;
        ``"communes"``: one representative point per commune; a GeoDataFrame
        or a file readable by geopandas: any points (polygons are replaced by
        a representative point). ``name`` is taken from ``name`` / ``nom`` /
        ``lib_fs`` / ``libelle`` / ``label``, ``code_insee`` from the layer or
        else from the commune containing the point.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``code_insee``, ``source``, point geometry, EPSG:4326,
        index 0..n-1.

    Raises
    ------
    InputError
        No candidate, no CRS, or an unknown set name.
    """
    label = "mediation" if candidates is None else candidates
    if isinstance(label, str) and label in CANDIDATE_SETS:
        if label == "mediation":
            layer = getattr(audit, "mediation", None)
            if layer is None or len(layer) == 0:
                raise InputError(
                    "this audit has no mediation venue to turn into a France Services: "
                    "use candidates='communes' or a file of candidate points",
                    field="candidates",
                )
        else:
            com = audit.communes
            layer = gpd.GeoDataFrame(
                com.drop(columns="geometry"),
                geometry=com.to_crs(audit.network.crs).geometry.representative_point(),
                crs=audit.network.crs,
            )
        source = label
    elif isinstance(label, gpd.GeoDataFrame):
        layer, source = label, "layer"
    elif isinstance(label, str | Path):
        path = Path(label)
        if not path.exists():
            raise InputError(
                f"candidates must be one of {CANDIDATE_SETS} or an existing file", path=path,
                field="candidates",
            )
        try:
            layer = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises several types
            raise InputError(f"cannot read candidate sites: {exc}", path=path) from exc
        source = path.name
    else:
        raise InputError(
            f"candidates must be one of {CANDIDATE_SETS}, a GeoDataFrame or a file path",
            field="candidates",
        )
    if layer.crs is None:
        raise InputError("candidate sites have no CRS", field="candidates")
    layer = layer[layer.geometry.notna() & ~layer.geometry.is_empty]
    if len(layer) == 0:
        raise InputError("no candidate site with a geometry", field="candidates")
    geom = layer.geometry
    if not (geom.geom_type == "Point").all():
        geom = geom.representative_point()
    out = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geom.to_numpy(), crs=layer.crs))
    names = next((layer[c] for c in _NAME_COLUMNS if c in layer), None)
    out["name"] = (
        names.astype(str).to_numpy()
        if names is not None
        else [f"candidat {i + 1}" for i in range(len(layer))]
    )
    spatial = _commune_of(out, audit.communes)
    if "code_insee" in layer:
        given = layer["code_insee"].to_numpy(object)
        missing = pd.isna(given) | (pd.Series(given, dtype=object).astype(str).str.strip()
                                    .isin(["", "None", "nan"]).to_numpy())
        out["code_insee"] = np.where(missing, spatial, given.astype(str))
    else:
        out["code_insee"] = spatial
    out["source"] = source
    out = out.to_crs("EPSG:4326")
    return out[["name", "code_insee", "source", "geometry"]].reset_index(drop=True)


def _commune_of(points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> np.ndarray:
    """INSEE code of the commune containing each point (``None`` outside)."""
    com = communes[["code_insee", "geometry"]].to_crs(points.crs)
    joined = gpd.sjoin(points[["geometry"]], com, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    codes = joined["code_insee"].reindex(points.index)
    return np.array([None if pd.isna(c) else str(c) for c in codes], dtype=object)


# ---------------------------------------------------------------------------
# matrix
# ---------------------------------------------------------------------------


def plan_matrix(audit: Any, sites: gpd.GeoDataFrame, cutoff: float) -> sp.csr_matrix:
    """Candidate x population-point travel seconds within ``cutoff`` (one engine pass).

    Parameters
    ----------
    audit : Audit
        Gives the network and the population points (``audit.population``).
    sites : geopandas.GeoDataFrame
        Candidate points.
    cutoff : float
        Seconds; longer pairs are left out.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(len(sites), len(audit.population))``, explicit zeros kept; times
        are from each population point *to* the candidate, both off-network
        legs included, exactly as the audit measures existing sites.
    """
    from proximite import access

    od = access.od_matrix(audit.network, audit.population, sites, cutoff=cutoff)
    return sp.csr_matrix(od.T)  # keeps explicit zeros


# ---------------------------------------------------------------------------
# result
# ---------------------------------------------------------------------------


@dataclass
class PlanResult:
    """New France Services proposed by :func:`plan_sites`, with before/after figures.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        Chosen sites in order of gain (EPSG:4326): ``rank``, ``name``,
        ``code_insee``, ``lon``, ``lat``, ``population_gained`` (population
        newly within the threshold thanks to that site, given the ones ranked
        before it), plus ``minutes_saved`` (population-weighted minutes) for
        p-median, geometry.
    before, after : dict
        Audit summaries without and with the chosen sites (``after`` is
        empty when ``verify=False``).
    objective : float
        Population newly covered (``mclp``), number of sites (``lscp``), or
        population-weighted travel time after, in person-minutes (``pmedian``).
    status : str
        ``"optimal"``, ``"time_limit"`` or ``"heuristic"``.
    gap : float
        Relative optimality gap (``0.0`` proven optimal, ``nan`` unknown).
    method : str
        ``"mclp"``, ``"lscp"`` or ``"pmedian"``.
    k : int
        Number of sites requested (``lscp``: the number found).
    threshold : float
        Minutes.
    solver : str
        Who found the solution (see :class:`~proximite.planning.solvers.Solution`).
    verified_gain : float
        Population within the threshold after minus before, measured by the
        re-run audit (``nan`` when ``verify=False``): equals the promised
        gain for ``mclp`` / ``lscp``.
    population_gained : float
        Population newly within the threshold promised by the plan.
    solution : Solution
        The raw solver output (indices refer to ``candidates``).
    candidates : geopandas.GeoDataFrame
        Every candidate considered.
    runtime : dict
        Seconds spent in ``matrix``, ``solve``, ``verify``.
    """

    sites: gpd.GeoDataFrame
    before: dict[str, Any]
    after: dict[str, Any]
    objective: float
    status: str
    gap: float
    method: str
    k: int
    threshold: float
    solver: str
    verified_gain: float
    population_gained: float
    solution: Solution = field(repr=False)
    candidates: gpd.GeoDataFrame = field(repr=False)
    runtime: dict[str, float] = field(default_factory=dict)

    def to_layer(self) -> gpd.GeoDataFrame:
        """The chosen sites as a map layer (EPSG:4326, JSON-safe columns).

        Returns
        -------
        geopandas.GeoDataFrame
            ``rank``, ``name``, ``code_insee``, ``population_gained``, ``lon``,
            ``lat``, ``method``, geometry; ``.to_json()`` gives GeoJSON.
        """
        layer = self.sites.copy()
        layer["method"] = self.method
        return layer

    def to_geojson(self) -> str:
        """The chosen sites as a GeoJSON FeatureCollection string."""
        return self.to_layer().to_json(na="null")

    def summary(self) -> dict[str, Any]:
        """What ``plan_summary.json`` holds."""
        return json_safe(
            {
                "method": self.method,
                "k": self.k,
                "threshold_minutes": self.threshold,
                "objective": self.objective,
                "status": self.status,
                "gap": self.gap,
                "solver": self.solver,
                "population_gained": self.population_gained,
                "verified_gain": self.verified_gain,
                "candidates": len(self.candidates),
                "candidate_source": (
                    str(self.candidates["source"].iloc[0]) if len(self.candidates) else None
                ),
                "uncoverable_population": self.solution.details.get("uncoverable"),
                "sites": self.sites.drop(columns="geometry").to_dict(orient="records"),
                "runtime_seconds": self.runtime,
                "before": self.before,
                "after": self.after,
            }
        )

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write ``plan.gpkg`` (layer ``sites``), ``plan.csv`` and ``plan_summary.json``.

        Parameters
        ----------
        directory : str or Path
            Created if needed.

        Returns
        -------
        dict
            File kind -> path written.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "gpkg": out / "plan.gpkg",
            "csv": out / "plan.csv",
            "summary": out / "plan_summary.json",
        }
        layer = self.sites.copy()
        layer["code_insee"] = layer["code_insee"].astype("string")
        write_gpkg({"sites": layer}, paths["gpkg"])
        write_csv(layer, paths["csv"])
        write_json(self.summary(), paths["summary"])
        return paths

    def __repr__(self) -> str:
        return (
            f"PlanResult(method={self.method!r}, k={self.k}, sites={len(self.sites)}, "
            f"objective={self.objective:.6g}, status={self.status!r}, gap={self.gap:.3g}, "
            f"population_gained={self.population_gained:.1f}, "
            f"verified_gain={self.verified_gain:.1f})"
        )


# ---------------------------------------------------------------------------
# the entry point
# ---------------------------------------------------------------------------


def _within(population: gpd.GeoDataFrame, seconds_limit: float) -> float:
    pop = population["population"].to_numpy(float)
    sec = population["seconds"].to_numpy(float)
    return float(pop[sec <= seconds_limit].sum())


def plan_sites(
    audit: Any,
    *,
    k: int | None = None,
    method: str = "mclp",
    candidates: Any = None,
    threshold: float | None = None,
    solver: str = "highs",
    time_limit: float = 60.0,
    verify: bool = True,
) -> PlanResult:
    """Choose new France Services sites, the existing ones staying open.

    Parameters
    ----------
    audit : Audit
        A département audit (:func:`proximite.audit`).
    k : int, optional
        Number of new sites (required for ``mclp`` and ``pmedian``).
    method : {"mclp", "lscp", "pmedian"}
        ``mclp``: bring the most people within the threshold; ``lscp``: the
        fewest sites bringing everyone reachable within it; ``pmedian``:
        lowest population-weighted travel time.
    candidates : {"mediation", "communes"}, GeoDataFrame or path, optional
        Where new sites may go (see :func:`candidate_sites`); default the
        audit's mediation venues.
    threshold : float, optional
        Minutes; default the audit's threshold.
    solver : {"highs", "greedy"}
        Exact integer program (HiGHS) or lazy greedy heuristic.
    time_limit : float
        Seconds given to HiGHS (then the best solution found is kept).
    verify : bool
        Re-run the audit with the chosen sites (``after`` and
        ``verified_gain``).

    Returns
    -------
    PlanResult
        ``.sites`` in order of gain, ``.before`` / ``.after``, ``.save(dir)``.

    Examples
    --------
    >>> import proximite
    >>> a = proximite.audit("05")                                  # doctest: +SKIP
    >>> plan = proximite.plan_sites(a, k=3)                        # doctest: +SKIP
    >>> plan.sites[["rank", "name", "population_gained"]]          # doctest: +SKIP
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; expected one of {METHODS}", field="method")
    if solver not in SOLVERS:
        raise InputError(f"unknown solver {solver!r}; expected one of {SOLVERS}", field="solver")
    if method != "lscp" and k is None:
        raise InputError(f"method {method!r} needs k, the number of new sites", field="k")
    if k is not None and (int(k) != k or k < 0):
        raise InputError(f"k must be a non-negative integer, got {k!r}", field="k")
    minutes = float(audit.threshold if threshold is None else threshold)
    if not (math.isfinite(minutes) and minutes > 0):
        raise InputError(f"threshold must be a positive number of minutes, got {threshold!r}",
                         field="threshold")
    limit = minutes * 60.0
    timings: dict[str, float] = {}
    cands = candidate_sites(audit, candidates)
    pop = audit.population
    weights = pop["population"].to_numpy(float)
    existing = pop["seconds"].to_numpy(float)

    t0 = time.perf_counter()
    if method == "pmedian":
        finite = existing[np.isfinite(existing)]
        cutoff = max(limit, float(finite.max()) if len(finite) else limit)
    else:
        cutoff = limit
    times = plan_matrix(audit, cands, cutoff)
    timings["matrix"] = time.perf_counter() - t0

    options: dict[str, Any] = {"solver": solver, "time_limit": time_limit}
    if method == "pmedian":
        options["unserved_seconds"] = cutoff
    sol = solve(method, weights, times, existing, threshold=limit, k=k, **options)
    timings["solve"] = sol.runtime
    if sol.message:
        logger.warning("plan: %s", sol.message)

    chosen = cands.iloc[sol.chosen].reset_index(drop=True)
    gained = _coverage_gains(weights, times, existing, limit, sol.chosen)
    sites = gpd.GeoDataFrame(
        {
            "rank": np.arange(1, len(chosen) + 1),
            "name": chosen["name"].to_numpy(object),
            "code_insee": chosen["code_insee"].to_numpy(object),
            "lon": chosen.geometry.x.round(6).to_numpy(),
            "lat": chosen.geometry.y.round(6).to_numpy(),
            "population_gained": gained,
        },
        geometry=chosen.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    if method == "pmedian":
        sites.insert(6, "minutes_saved", sol.gains / 60.0)
    objective = sol.objective / 60.0 if method == "pmedian" else sol.objective

    before = json_safe(dict(audit.summary))
    after: dict[str, Any] = {}
    verified = math.nan
    if verify:
        t0 = time.perf_counter()
        extra = sites[["name", "geometry"]].copy()
        extra["id_fs"] = [f"plan-{r}" for r in sites["rank"]]
        extra["lib_fs"] = sites["name"].to_numpy(object)
        new = audit.with_sites(extra) if len(extra) else audit
        after = json_safe(dict(new.summary))
        verified = _within(new.population, limit) - _within(pop, limit)
        timings["verify"] = time.perf_counter() - t0
    return PlanResult(
        sites=sites,
        before=before,
        after=after,
        objective=float(objective),
        status=sol.status,
        gap=sol.gap,
        method=method,
        k=int(k) if k is not None and method != "lscp" else len(sites),
        threshold=minutes,
        solver=sol.solver,
        verified_gain=verified,
        population_gained=float(gained.sum()),
        solution=sol,
        candidates=cands,
        runtime=timings,
    )


def _coverage_gains(
    weights: np.ndarray,
    times: sp.csr_matrix,
    existing: np.ndarray,
    limit: float,
    chosen: np.ndarray,
) -> np.ndarray:
    """Population newly within ``limit`` brought by each chosen site, in order."""
    covered = existing <= limit
    out = np.zeros(len(chosen))
    for r, i in enumerate(chosen):
        a, b = times.indptr[i], times.indptr[i + 1]
        cols = times.indices[a:b][times.data[a:b] <= limit]
        new = cols[~covered[cols]]
        out[r] = weights[new].sum()
        covered[new] = True
    return out
