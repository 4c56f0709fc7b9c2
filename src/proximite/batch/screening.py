"""Screening estimate for départements without a road file.

Method
------
Each commune is reduced to **one point**, the representative point of its
polygon (inside the polygon, computed in the département's metric CRS). This
is coarser than the network audit, which spreads each commune's population
over its roads: a large commune with a remote hamlet gets one time only.

The estimated car time to the nearest France Services is::

    minutes = straight_line_m × detour_factor / nominal_speed

with ``nominal_speed`` fixed at :data:`NOMINAL_SPEED_KMH` and the nearest site
found with a ``scipy.spatial.cKDTree`` over the *national* list (a site across
the département border counts). Sites are matched within the same land mass
only (:func:`land_group`: continental France, Corsica, each overseas
département) — a car does not cross the sea — in that land's metric CRS
(:func:`proximite.sources.metric_crs`).

Calibration
-----------
The detour factor is fitted on the départements of the same run that have a
road network: for each of their communes, ``y`` = the network audit's
population-weighted mean minutes (``minutes_fs``) and ``x`` = the straight-line
minutes at the nominal speed with factor 1 (same representative point, same
site list). The factor is the **population-weighted least-squares slope
through the origin**, ``k = Σ w·x·y / Σ w·x²`` (``w`` = population). The error
is reported per calibration département and overall: mean absolute error in
minutes (per commune, and population-weighted), mean bias, and the share of
communes whose beyond-threshold flag differs (network flag: less than half of
the population within the threshold; estimate flag: estimated minutes above
the threshold). With two or more calibration départements, leave-one-out
errors (factor fitted on the others) are reported too. With no calibration
département, :data:`DEFAULT_DETOUR_FACTOR` is used and the estimate is
labelled ``"uncalibrated"``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from proximite.auditing.metrics import population_figures
from proximite.sources import departement_name, metric_crs

#: Fixed nominal speed (km/h) of the estimate; the detour factor absorbs the rest.
NOMINAL_SPEED_KMH = 60.0

#: Detour factor used when no département of the run has roads ("uncalibrated").
#: Rounded from the calibration on 05 (Hautes-Alpes) and 83 (Var), OSM 2021-07, default
#: speed profile: 1.486 (MAE 1.9 min per commune, 0.3 % of beyond-threshold flags differ).
DEFAULT_DETOUR_FACTOR = 1.5

#: Columns of the per-commune estimate table.
ESTIMATE_COLUMNS = [
    "code_insee", "nom", "departement", "population", "method", "distance_km",
    "minutes_fs", "beyond_threshold", "nearest_fs_id", "nearest_fs_name",
    "nearest_fs_departement", "served_across_border", "point_lon", "point_lat",
]


def land_group(departement: str) -> str:
    """The land mass a département belongs to (sites are matched within it).

    Parameters
    ----------
    departement : str
        Département code.

    Returns
    -------
    str
        ``"metropole"`` (continental France), ``"corse"`` (2A, 2B) or the
        overseas code itself (``"971"`` ...).

    Examples
    --------
    >>> land_group("05"), land_group("2A"), land_group("974")
    ('metropole', 'corse', '974')
    """
    dep = str(departement).upper()
    if dep in ("2A", "2B", "20"):
        return "corse"
    if len(dep) == 3:
        return dep
    return "metropole"


def _group_crs(group: str) -> Any:
    return metric_crs({"metropole": "75", "corse": "2A"}.get(group, group))


def estimate_minutes(distance_m: Any, factor: float,
                     speed_kmh: float = NOMINAL_SPEED_KMH) -> np.ndarray:
    """Minutes by car estimated from a straight-line distance.

    Parameters
    ----------
    distance_m : array-like
        Straight-line distances in metres (``inf`` for no site: gives NaN).
    factor : float
        Detour factor (road length / straight line, speed effects included).
    speed_kmh : float
        Nominal speed.

    Returns
    -------
    numpy.ndarray
        ``distance_m × factor / speed``, in minutes.

    Examples
    --------
    >>> float(estimate_minutes([10_000.0], 1.5, 60.0)[0])   # 15 km at 60 km/h
    15.0
    """
    d = np.asarray(distance_m, dtype=float)
    out = d * float(factor) / (float(speed_kmh) * 1000.0 / 60.0)
    return np.where(np.isfinite(out), out, np.nan)


def commune_points(communes: gpd.GeoDataFrame, crs: Any) -> np.ndarray:
    """Representative points of commune polygons, as (n, 2) metric coordinates."""
    if len(communes) == 0:
        return np.empty((0, 2))
    pts = communes.to_crs(crs).geometry.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def nearest_sites(communes: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """Straight-line distance from each commune's representative point to the nearest site.

    Parameters
    ----------
    communes : geopandas.GeoDataFrame
        Commune polygons (any CRS) with a ``departement`` column.
    sites : geopandas.GeoDataFrame
        France Services points (any CRS) with a ``departement`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``communes``: ``distance_m`` (``inf`` when the land mass
        has no site), ``site`` (position in ``sites``, -1 when none),
        ``point_lon``, ``point_lat`` (the representative point, EPSG:4326).
    """
    n = len(communes)
    dist = np.full(n, np.inf)
    site = np.full(n, -1, dtype=np.int64)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    groups = communes["departement"].astype(str).map(land_group).to_numpy()
    site_groups = sites["departement"].astype(str).map(land_group).to_numpy()
    valid_site = (sites.geometry.notna() & ~sites.geometry.is_empty).to_numpy()
    for group in pd.unique(groups):
        rows = np.flatnonzero(groups == group)
        crs = _group_crs(group)
        xy = commune_points(communes.iloc[rows], crs)
        ll = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs).to_crs("EPSG:4326")
        lon[rows] = ll.x.to_numpy()
        lat[rows] = ll.y.to_numpy()
        cand = np.flatnonzero((site_groups == group) & valid_site)
        if len(cand) == 0:
            continue
        sxy = sites.iloc[cand].to_crs(crs).geometry
        tree = cKDTree(np.column_stack([sxy.x.to_numpy(), sxy.y.to_numpy()]))
        d, i = tree.query(xy, k=1)
        dist[rows] = d
        site[rows] = cand[i]
    return pd.DataFrame({"distance_m": dist, "site": site, "point_lon": lon, "point_lat": lat},
                        index=communes.index)


def prepared_table(communes: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
                   nearest: pd.DataFrame | None = None) -> pd.DataFrame:
    """Everything of the estimate that does not depend on the detour factor.

    Parameters
    ----------
    communes : geopandas.GeoDataFrame
        ``code_insee``, ``nom``, ``departement``, ``population``, polygons.
    sites : geopandas.GeoDataFrame
        The national France Services list (``id_fs``, ``lib_fs``, ``departement``).
    nearest : pandas.DataFrame, optional
        A precomputed :func:`nearest_sites` result for ``communes``.

    Returns
    -------
    pandas.DataFrame
        No geometry: identity, population, ``distance_m``, nearest site,
        representative point (lon / lat).
    """
    near = nearest if nearest is not None else nearest_sites(communes, sites)
    codes = communes["code_insee"].astype(str).to_numpy()
    out = pd.DataFrame({
        "code_insee": codes,
        "nom": communes["nom"].astype(str).to_numpy() if "nom" in communes else codes,
        "departement": communes["departement"].astype(str).to_numpy(),
        "population": pd.to_numeric(communes["population"]).fillna(0).astype(np.int64)
        .to_numpy(),
        "distance_m": near["distance_m"].to_numpy(float),
    })
    idx = near["site"].to_numpy()
    has = idx >= 0
    for col, src in (("nearest_fs_id", "id_fs"), ("nearest_fs_name", "lib_fs"),
                     ("nearest_fs_departement", "departement")):
        vals = np.full(len(out), None, dtype=object)
        if src in sites:
            vals[has] = sites[src].astype(str).to_numpy()[idx[has]]
        out[col] = vals
    out["point_lon"] = np.round(near["point_lon"].to_numpy(float), 6)
    out["point_lat"] = np.round(near["point_lat"].to_numpy(float), 6)
    return out


def apply_estimate(prepared: pd.DataFrame, *, factor: float,
                   speed_kmh: float = NOMINAL_SPEED_KMH, threshold: float = 30) -> pd.DataFrame:
    """Turn a :func:`prepared_table` into the estimate (columns :data:`ESTIMATE_COLUMNS`).

    Parameters
    ----------
    prepared : pandas.DataFrame
        Output of :func:`prepared_table`.
    factor : float
        Detour factor.
    speed_kmh : float
        Nominal speed.
    threshold : float
        Minutes promised: ``beyond_threshold`` is ``minutes_fs > threshold``
        (or no site at all).

    Returns
    -------
    pandas.DataFrame
        Sorted by ``code_insee``; ``method`` is ``"estimate"``.
    """
    out = prepared.copy()
    out["method"] = "estimate"
    d = out["distance_m"].to_numpy(float)
    out["distance_km"] = np.where(np.isfinite(d), np.round(d / 1000.0, 3), np.nan)
    minutes = estimate_minutes(d, factor, speed_kmh)
    out["minutes_fs"] = np.round(minutes, 2)
    out["beyond_threshold"] = ~(minutes <= threshold)
    out["served_across_border"] = (out["nearest_fs_departement"].notna()
                                   & (out["nearest_fs_departement"] != out["departement"]))
    return out[ESTIMATE_COLUMNS].sort_values("code_insee", kind="stable").reset_index(drop=True)


def estimate_communes(communes: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *,
                      factor: float, speed_kmh: float = NOMINAL_SPEED_KMH,
                      threshold: float = 30) -> pd.DataFrame:
    """The screening estimate, one row per commune (columns :data:`ESTIMATE_COLUMNS`).

    Parameters
    ----------
    communes : geopandas.GeoDataFrame
        ``code_insee``, ``nom``, ``departement``, ``population``, polygons.
    sites : geopandas.GeoDataFrame
        The national France Services list (``id_fs``, ``lib_fs``, ``departement``).
    factor : float
        Detour factor.
    speed_kmh : float
        Nominal speed.
    threshold : float
        Minutes promised.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``code_insee``; ``method`` is ``"estimate"``.
    """
    return apply_estimate(prepared_table(communes, sites), factor=factor, speed_kmh=speed_kmh,
                          threshold=threshold)


def estimate_summary(table: pd.DataFrame, departement: str, *, threshold: float,
                     factor: float, speed_kmh: float, calibration: dict[str, Any],
                     sites_in_departement: int | None = None) -> dict[str, Any]:
    """Key figures of one département's estimate, with the audit summary's key names.

    Parameters
    ----------
    table : pandas.DataFrame
        The département's rows of :func:`estimate_communes`.
    departement : str
        Its code.
    threshold : float
        Minutes promised.
    factor, speed_kmh : float
        The estimate's parameters.
    calibration : dict
        :meth:`Calibration.brief` of the run.
    sites_in_departement : int, optional
        Number of France Services of the département (national list).

    Returns
    -------
    dict
    """
    pop = table["population"].to_numpy(float)
    mins = table["minutes_fs"].to_numpy(float)
    figures = population_figures(pop, mins, threshold)
    nearest = table["nearest_fs_id"].dropna()
    served_out = table["nearest_fs_departement"].dropna() != departement
    return {
        "departement": departement,
        "departement_nom": departement_name(departement),
        "method": "estimate",
        "threshold_minutes": threshold,
        "population": int(pop.sum()),
        **{k: v for k, v in figures.items() if k != "unreachable_population"},
        "communes": len(table),
        "communes_beyond_threshold": int(table["beyond_threshold"].sum()),
        "unreachable_population": figures["unreachable_population"],
        "sites_in_departement": sites_in_departement,
        "sites_serving": int(nearest.nunique()),
        "communes_served_across_border": int(served_out.sum()),
        "mean_minutes_fs": round(float(np.nanmean(mins)), 2) if np.isfinite(mins).any()
        else None,
        "detour_factor": round(float(factor), 4),
        "nominal_speed_kmh": float(speed_kmh),
        "calibration": calibration.get("label"),
        "calibration_mae_minutes": calibration.get("mae_minutes"),
        "calibration_flag_mismatch_share": calibration.get("flag_mismatch_share"),
        "estimate_point": "one representative point per commune",
    }


# ---------------------------------------------------------------------------------------
# calibration
# ---------------------------------------------------------------------------------------

#: Columns of a calibration sample (one row per commune of a network audit).
SAMPLE_COLUMNS = ["code_insee", "departement", "population", "minutes_network",
                  "beyond_network", "distance_m"]


def calibration_sample(communes: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """Pair a network audit's per-commune minutes with the straight-line distance.

    Parameters
    ----------
    communes : geopandas.GeoDataFrame
        ``Audit.communes`` (``minutes_fs``, ``beyond_threshold``, polygons).
    sites : geopandas.GeoDataFrame
        The national France Services list used by the screening.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SAMPLE_COLUMNS`.
    """
    near = nearest_sites(communes, sites)
    return pd.DataFrame({
        "code_insee": communes["code_insee"].astype(str).to_numpy(),
        "departement": communes["departement"].astype(str).to_numpy(),
        "population": pd.to_numeric(communes["population"]).to_numpy(float),
        "minutes_network": pd.to_numeric(communes["minutes_fs"]).to_numpy(float),
        "beyond_network": communes["beyond_threshold"].astype(bool).to_numpy(),
        "distance_m": near["distance_m"].to_numpy(float),
    })[SAMPLE_COLUMNS]


def _usable(sample: pd.DataFrame) -> pd.DataFrame:
    ok = (np.isfinite(sample["minutes_network"].to_numpy(float))
          & np.isfinite(sample["distance_m"].to_numpy(float))
          & (sample["population"].to_numpy(float) > 0))
    return sample[ok]


def fit_factor(sample: pd.DataFrame, speed_kmh: float = NOMINAL_SPEED_KMH) -> float | None:
    """Population-weighted least-squares detour factor through the origin.

    ``k = Σ w·x·y / Σ w·x²`` with ``x`` the straight-line minutes at
    ``speed_kmh`` (factor 1), ``y`` the network minutes and ``w`` the
    population. Communes with no network time, no site or no population are
    left out.

    Parameters
    ----------
    sample : pandas.DataFrame
        Rows of :func:`calibration_sample`.
    speed_kmh : float
        Nominal speed.

    Returns
    -------
    float or None
        None when nothing usable is left.

    Examples
    --------
    >>> s = pd.DataFrame({"population": [10, 10], "minutes_network": [15.0, 30.0],
    ...                   "distance_m": [10_000.0, 20_000.0]})
    >>> round(fit_factor(s, 60.0), 6)
    1.5
    """
    s = _usable(sample)
    if len(s) == 0:
        return None
    x = estimate_minutes(s["distance_m"], 1.0, speed_kmh)
    y = s["minutes_network"].to_numpy(float)
    w = s["population"].to_numpy(float)
    den = float(np.sum(w * x * x))
    if den <= 0:
        return None
    return float(np.sum(w * x * y) / den)


def calibration_errors(sample: pd.DataFrame, factor: float, *, threshold: float,
                       speed_kmh: float = NOMINAL_SPEED_KMH) -> dict[str, Any]:
    """Errors of the estimate against the network audit, for one sample.

    Returns
    -------
    dict
        ``communes`` (compared), ``mae_minutes`` (per commune),
        ``weighted_mae_minutes`` (population-weighted), ``bias_minutes``
        (estimate − network, per commune), ``flag_mismatch_share`` (share of the
        compared communes whose beyond-threshold flag differs).
    """
    s = _usable(sample)
    if len(s) == 0:
        return {"communes": 0, "mae_minutes": None, "weighted_mae_minutes": None,
                "bias_minutes": None, "flag_mismatch_share": None}
    est = estimate_minutes(s["distance_m"], factor, speed_kmh)
    y = s["minutes_network"].to_numpy(float)
    w = s["population"].to_numpy(float)
    err = est - y
    flag_est = est > threshold
    flag_net = s["beyond_network"].astype(bool).to_numpy()
    return {
        "communes": len(s),
        "mae_minutes": round(float(np.mean(np.abs(err))), 3),
        "weighted_mae_minutes": round(float(np.sum(w * np.abs(err)) / np.sum(w)), 3),
        "bias_minutes": round(float(np.mean(err)), 3),
        "flag_mismatch_share": round(float(np.mean(flag_est != flag_net)), 4),
    }


@dataclass
class Calibration:
    """The detour factor of a run and how well it reproduces the network audits.

    Attributes
    ----------
    factor : float
        Detour factor used by the estimate.
    speed_kmh : float
        Nominal speed.
    calibrated : bool
        False when :data:`DEFAULT_DETOUR_FACTOR` was used.
    departements : list of str
        Calibration départements.
    overall : dict
        :func:`calibration_errors` over every calibration commune.
    per_departement : dict
        Département -> errors (in-sample; plus ``loo_*`` keys: leave-one-out).
    method : str
        The fitting method, in words.
    """

    factor: float
    speed_kmh: float = NOMINAL_SPEED_KMH
    calibrated: bool = False
    departements: list[str] = field(default_factory=list)
    overall: dict[str, Any] = field(default_factory=dict)
    per_departement: dict[str, dict[str, Any]] = field(default_factory=dict)
    method: str = ("population-weighted least squares through the origin: "
                   "network minutes = factor × straight-line km / nominal speed")

    @property
    def label(self) -> str:
        """``"calibrated on 05, 83"`` or ``"uncalibrated"``."""
        if not self.calibrated:
            return "uncalibrated"
        return "calibrated on " + ", ".join(self.departements)

    def brief(self) -> dict[str, Any]:
        """The few figures copied into each estimated département's summary."""
        return {"label": self.label, "factor": self.factor,
                "mae_minutes": self.overall.get("mae_minutes"),
                "flag_mismatch_share": self.overall.get("flag_mismatch_share")}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (written to ``calibration.json``)."""
        d = asdict(self)
        d["label"] = self.label
        return d


def calibrate(samples: dict[str, pd.DataFrame], *, threshold: float = 30,
              speed_kmh: float = NOMINAL_SPEED_KMH) -> Calibration:
    """Fit the detour factor on the network audits of a run.

    Parameters
    ----------
    samples : dict
        Département -> :func:`calibration_sample` frame.
    threshold : float
        Minutes promised (for the flag comparison).
    speed_kmh : float
        Nominal speed.

    Returns
    -------
    Calibration
        Uncalibrated (:data:`DEFAULT_DETOUR_FACTOR`) when ``samples`` is empty
        or nothing in them is usable.
    """
    samples = {d: s for d, s in sorted(samples.items()) if s is not None and len(_usable(s))}
    if not samples:
        return Calibration(factor=DEFAULT_DETOUR_FACTOR, speed_kmh=speed_kmh, calibrated=False)
    everything = pd.concat(list(samples.values()), ignore_index=True)
    factor = fit_factor(everything, speed_kmh)
    if factor is None:
        return Calibration(factor=DEFAULT_DETOUR_FACTOR, speed_kmh=speed_kmh, calibrated=False)
    factor = round(factor, 4)
    per: dict[str, dict[str, Any]] = {}
    for dep, s in samples.items():
        entry = calibration_errors(s, factor, threshold=threshold, speed_kmh=speed_kmh)
        entry["own_factor"] = round(float(fit_factor(s, speed_kmh) or np.nan), 4)
        if len(samples) > 1:
            others = pd.concat([o for d, o in samples.items() if d != dep], ignore_index=True)
            k = fit_factor(others, speed_kmh)
            if k is not None:
                loo = calibration_errors(s, k, threshold=threshold, speed_kmh=speed_kmh)
                entry.update({"loo_factor": round(k, 4),
                              "loo_mae_minutes": loo["mae_minutes"],
                              "loo_flag_mismatch_share": loo["flag_mismatch_share"]})
        per[dep] = entry
    overall = calibration_errors(everything, factor, threshold=threshold, speed_kmh=speed_kmh)
    return Calibration(factor=factor, speed_kmh=speed_kmh, calibrated=True,
                       departements=list(samples), overall=overall, per_departement=per)
