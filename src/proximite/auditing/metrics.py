"""Per-commune access metrics, the "double fracture" and the fragility score.

Every figure is computed from the population points of
:func:`proximite.auditing.population.place_population`: each point carries a
``share`` of its commune's population and a travel time ``seconds`` to the
nearest France Services (``inf`` when unreachable).

For a commune with points *i* (shares *s_i*, times *t_i* in minutes):

- ``minutes_fs`` = sum(s_i t_i) / sum(s_i) over the *reachable* points
  (NaN only when no point of the commune is reachable);
- ``minutes_fs_max`` = max t_i over the reachable points;
- ``share_within_threshold`` = sum of s_i with t_i <= threshold (unreachable
  points count as not within);
- ``beyond_threshold`` = ``share_within_threshold < 0.5``;
- ``unreachable_population`` = population x sum of s_i with t_i = inf;
- ``nearest_fs_id`` = the France Services that is nearest for the largest
  share of the commune's population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A commune "beyond the threshold": less than this share of its people within it.
BEYOND_SHARE = 0.5

#: Poor broadband: share of premises able to get >= 30 Mbit/s below this level.
#: (The national plan promised "très haut débit", >= 30 Mbit/s, to every home
#: by 2022; a commune where more than one premises in five still cannot get it
#: is counted as poorly served.)
POOR_BROADBAND_SHARE = 0.8

#: Travel time (minutes) at which the time components of the fragility score saturate.
FRAGILITY_SATURATION_MINUTES = 45.0


def point_times(seconds_by_node: np.ndarray, site_by_node: np.ndarray, node: np.ndarray,
                access_m: np.ndarray, access_speed_kmh: float) -> tuple[np.ndarray, np.ndarray]:
    """Travel time (s) and site index for population points.

    Parameters
    ----------
    seconds_by_node, site_by_node : numpy.ndarray
        Node-indexed results of :func:`proximite.access.nearest`.
    node : numpy.ndarray
        Node id of each point (-1 when the point could not be snapped).
    access_m : numpy.ndarray
        Off-network leg of each point, metres.
    access_speed_kmh : float
        Speed on the off-network leg.

    Returns
    -------
    seconds, site : numpy.ndarray
        ``inf`` / -1 for points that cannot reach any site.
    """
    node = np.asarray(node, np.int64)
    ok = node >= 0
    seconds = np.full(len(node), np.inf)
    site = np.full(len(node), -1, np.int64)
    leg = np.nan_to_num(np.asarray(access_m, float)) / (access_speed_kmh / 3.6)
    seconds[ok] = seconds_by_node[node[ok]] + leg[ok]
    site[ok] = site_by_node[node[ok]]
    site[~np.isfinite(seconds)] = -1
    return seconds, site


def commune_metrics(points: pd.DataFrame, seconds: np.ndarray, site: np.ndarray,
                    threshold_minutes: float) -> pd.DataFrame:
    """Aggregate point travel times into per-commune metrics.

    Parameters
    ----------
    points : pandas.DataFrame
        ``code_insee``, ``share`` and ``population`` per point.
    seconds : numpy.ndarray
        Travel time of each point (``inf`` when unreachable).
    site : numpy.ndarray
        Index of the nearest site of each point (-1 when none).
    threshold_minutes : float
        The promise tested (30 minutes).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code_insee``: ``minutes_fs``, ``minutes_fs_max``,
        ``share_within_threshold``, ``unreachable_population``, ``nearest_site``
        (position, -1 when none), ``share_within_20``, ``share_within_30``.
    """
    minutes = np.asarray(seconds, float) / 60.0
    reach = np.isfinite(minutes)
    share = points["share"].to_numpy(float)
    df = pd.DataFrame({
        "code_insee": points["code_insee"].to_numpy(object),
        "s": share,
        "s_reach": np.where(reach, share, 0.0),
        "st": np.where(reach, share * np.where(reach, minutes, 0.0), 0.0),
        "tmax": np.where(reach, minutes, -np.inf),
        "within": np.where(minutes <= threshold_minutes, share, 0.0),
        "within20": np.where(minutes <= 20.0, share, 0.0),
        "within30": np.where(minutes <= 30.0, share, 0.0),
        "unreach": np.where(reach, 0.0, points["population"].to_numpy(float)),
        "site": np.asarray(site, np.int64),
    })
    g = df.groupby("code_insee", sort=True)
    agg = g[["s", "s_reach", "st", "within", "within20", "within30", "unreach"]].sum()
    out = pd.DataFrame(index=agg.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["minutes_fs"] = np.where(agg["s_reach"] > 0, agg["st"] / agg["s_reach"], np.nan)
    tmax = g["tmax"].max()
    out["minutes_fs_max"] = tmax.where(np.isfinite(tmax))
    total = agg["s"].where(agg["s"] > 0)
    out["share_within_threshold"] = (agg["within"] / total).clip(0, 1)
    out["share_within_20"] = (agg["within20"] / total).clip(0, 1)
    out["share_within_30"] = (agg["within30"] / total).clip(0, 1)
    out["unreachable_population"] = agg["unreach"]
    served = df[df["site"] >= 0]
    by_site = served.groupby(["code_insee", "site"], sort=True)["s"].sum().reset_index()
    # largest share first; ties broken by the lowest site position (deterministic)
    by_site = by_site.sort_values(["code_insee", "s", "site"], ascending=[True, False, True])
    top = by_site.drop_duplicates("code_insee").set_index("code_insee")["site"]
    out["nearest_site"] = top.reindex(out.index).fillna(-1).astype(np.int64)
    return out


def fragility_score(minutes_fs: pd.Series, share_30mbps: pd.Series,
                    minutes_mediation: pd.Series, unreachable: pd.Series) -> pd.Series:
    """Composite fragility score in [0, 1] (1 = most fragile).

    The mean of the components that are known for the commune:

    - travel time: ``min(minutes_fs / 45, 1)`` (1 when the commune is unreachable);
    - broadband: ``1 - share_30mbps`` (skipped when there is no broadband data);
    - mediation: ``min(minutes_mediation / 45, 1)`` (skipped when there is no
      mediation data; 1 when no venue is reachable).

    Parameters
    ----------
    minutes_fs, share_30mbps, minutes_mediation : pandas.Series
        Per-commune inputs (NaN where unknown; ``minutes_mediation`` is ``inf``
        where mediation data exists but no venue can be reached).
    unreachable : pandas.Series
        True where the commune cannot reach any France Services.

    Returns
    -------
    pandas.Series
        The score, rounded to 4 decimals.
    """
    sat = FRAGILITY_SATURATION_MINUTES
    time_c = (minutes_fs / sat).clip(upper=1.0).where(~unreachable, 1.0)
    bb_c = 1.0 - share_30mbps
    med_c = (minutes_mediation / sat).clip(upper=1.0)
    comps = pd.concat([time_c, bb_c, med_c], axis=1)
    return comps.mean(axis=1, skipna=True).round(4)


def population_figures(population: np.ndarray, minutes: np.ndarray,
                       threshold_minutes: float) -> dict[str, float | None]:
    """Headline figures shared by the network audit and the screening estimate.

    Parameters
    ----------
    population : numpy.ndarray
        People at each point (population point or commune).
    minutes : numpy.ndarray
        Their travel time in minutes (``inf`` or NaN when unreachable).
    threshold_minutes : float
        The promise tested.

    Returns
    -------
    dict
        ``population_within_20``, ``population_within_30``, ``share_within_30``,
        ``population_within_threshold``, ``share_within_threshold`` and
        ``unreachable_population``, rounded as written in ``summary.json``;
        shares are relative to ``population.sum()``.
    """
    pop = np.asarray(population, float)
    mins = np.asarray(minutes, float)
    total = float(pop.sum())

    def within(m: float) -> float:
        return float(pop[mins <= m].sum())

    def share(x: float) -> float | None:
        return round(x / total, 6) if total else None

    w20, w30, wthr = within(20.0), within(30.0), within(threshold_minutes)
    return {
        "population_within_20": round(w20, 1),
        "population_within_30": round(w30, 1),
        "share_within_30": share(w30),
        "population_within_threshold": round(wthr, 1),
        "share_within_threshold": share(wthr),
        "unreachable_population": round(float(pop[~np.isfinite(mins)].sum()), 1),
    }
