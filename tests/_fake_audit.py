"""A fake but realistic Audit for output tests, built from the real 05 data.

Communes are the real 163 boundaries of the Hautes-Alpes (2018), sites the real
France Services of the 05; the metrics are deterministic pseudo-random values
(seeded NumPy). Hostile strings from "open data" are planted on purpose:

- a site renamed ``<img src=x onerror=alert(1)>`` (:data:`EVIL_SITE_NAME`),
- a site whose address holds ``<script>alert(1)</script>`` (:data:`EVIL_ADDRESS`),
- a commune whose name holds HTML (:data:`EVIL_COMMUNE_NAME`),
- a mediation venue with a backtick/``${}`` name (:data:`EVIL_VENUE_NAME`).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

DATA = Path(__file__).resolve().parents[1] / "data"
COMMUNES_FILE = DATA / "communes" / "communes-2018-05.geojson.gz"
SITES_FILE = DATA / "sites" / "france-services-20240801.csv"

EVIL_SITE_NAME = "<img src=x onerror=alert(1)>"
EVIL_ADDRESS = "<script>alert(1)</script> 1 rue du Piège"
EVIL_COMMUNE_NAME = 'Piège <b onmouseover=alert(3)>"&"</b>'
EVIL_VENUE_NAME = "Lieu `${alert(4)}` \\u0041 </script>"
UNREACHABLE_CODES = ("05010", "05093", "05135")


def _kind(row: pd.Series) -> str:
    fmt = str(row.get("format_fs") or "").lower()
    typ = str(row.get("type_fs") or "").lower()
    if "itin" in fmt or "bus" in fmt:
        return "itinerant"
    if "antenne" in typ:
        return "antenna"
    return "fixed"


def make_audit(seed: int = 5, threshold: int = 30) -> SimpleNamespace:
    """Build the fake audit.

    Parameters
    ----------
    seed : int, default 5
        Seed of the metric values.
    threshold : int, default 30
        Access threshold in minutes.

    Returns
    -------
    types.SimpleNamespace
        With ``communes``, ``sites``, ``isochrones``, ``mediation``, ``summary``,
        ``threshold``, ``departement`` and ``double_fracture``.
    """
    rng = np.random.default_rng(seed)
    raw = gpd.read_file(f"/vsigzip/{COMMUNES_FILE}")
    raw = raw.sort_values("code").reset_index(drop=True)
    n = len(raw)
    communes = gpd.GeoDataFrame(
        {
            "code_insee": raw["code"].astype(str),
            "nom": raw["nom"].astype(str),
            "departement": "05",
        },
        geometry=raw.geometry,
        crs="EPSG:4326",
    )
    communes.loc[communes.index[7], "nom"] = EVIL_COMMUNE_NAME
    communes["population"] = rng.integers(40, 4000, n).astype(int)
    communes.loc[communes["code_insee"] == "05061", "population"] = 40000  # Gap

    # Sites (real), with a couple of hostile strings and one itinerant bus.
    csv = pd.read_csv(SITES_FILE, dtype=str)
    csv = csv[csv["insee_dep"] == "05"].reset_index(drop=True)
    kind = csv.apply(_kind, axis=1)
    kind.iloc[-1] = "itinerant"
    sites = gpd.GeoDataFrame(
        {
            "id_fs": csv["id_fs"],
            "lib_fs": csv["lib_fs"],
            "adresse": csv["adresse"],
            "lib_com": csv["lib_com"],
            "kind": kind,
            "departement": csv["insee_dep"],
            "outside_departement": False,
            "weekly_hours": np.round(rng.uniform(24, 40, len(csv)), 1),
            "open_saturday": csv["h_samedi"].notna(),
        },
        geometry=gpd.points_from_xy(csv["longitude"].astype(float), csv["latitude"].astype(float)),
        crs="EPSG:4326",
    )
    sites.loc[0, "lib_fs"] = EVIL_SITE_NAME
    sites.loc[1, "adresse"] = EVIL_ADDRESS

    # Metrics: minutes grow with the distance to the nearest site, plus noise.
    metric = communes.to_crs(2154)
    centroids = metric.geometry.representative_point()
    site_xy = sites.to_crs(2154).geometry
    dist = np.array([[c.distance(s) for s in site_xy] for c in centroids])
    nearest = dist.argmin(axis=1)
    minutes = dist.min(axis=1) / 1000.0 * 1.3 + rng.uniform(2, 12, n)
    minutes[rng.choice(n, 6, replace=False)] += 25.0  # a few remote valleys
    unreachable = communes["code_insee"].isin(UNREACHABLE_CODES).to_numpy()
    minutes = np.where(unreachable, np.nan, np.round(minutes, 1))
    share = np.clip(1.0 - (minutes - threshold + 8) / 20.0, 0.0, 1.0)
    share = np.where(unreachable, 0.0, np.round(share, 3))

    communes["minutes_fs"] = minutes
    communes["minutes_fs_max"] = np.round(minutes * rng.uniform(1.1, 1.6, n), 1)
    communes["share_within_threshold"] = share
    communes["beyond_threshold"] = unreachable | (minutes > threshold)
    communes["nearest_fs_id"] = sites["id_fs"].to_numpy()[nearest]
    communes["nearest_fs_name"] = sites["lib_fs"].to_numpy()[nearest]
    communes["nearest_fs_departement"] = "05"
    communes["served_across_border"] = False
    communes.loc[communes.index[3], ["nearest_fs_departement", "served_across_border"]] = [
        "04",
        True,
    ]
    communes["minutes_mediation"] = np.where(
        unreachable, np.nan, np.round(minutes * rng.uniform(0.8, 1.5, n), 1)
    )
    s30 = np.round(rng.uniform(0, 1, n), 3)
    s30[rng.choice(n, 5, replace=False)] = np.nan
    communes["share_30mbps"] = s30
    communes["share_ftth"] = np.round(np.nan_to_num(s30) * rng.uniform(0, 1, n), 3)
    communes["unreachable_population"] = np.where(unreachable, communes["population"], 0).astype(
        float
    )
    communes["double_fracture"] = communes["beyond_threshold"] & (np.nan_to_num(s30, nan=0.0) < 0.5)
    m = np.nan_to_num(minutes, nan=90.0)
    communes["fragility"] = np.round(np.clip(m / 60.0, 0, 1) * 0.7 + rng.uniform(0, 0.3, n), 3)

    # Service areas: buffers around the sites (km ~ minutes), clipped to the dept.
    dept = shapely.union_all(metric.geometry.to_numpy())
    rings = []
    for mins, km in ((10, 8.0), (20, 16.0), (30, 25.0)):
        area = shapely.union_all(site_xy.buffer(km * 1000).to_numpy()).intersection(dept)
        rings.append({"minutes": mins, "geometry": area.simplify(200)})
    isochrones = gpd.GeoDataFrame(rings, crs=2154).to_crs(4326)

    # Mediation venues: a few points at commune centres.
    pick = rng.choice(n, 12, replace=False)
    pts = centroids.iloc[pick]
    mediation = gpd.GeoDataFrame(
        {
            "nom": [f"Espace numérique {communes['nom'].iloc[i]}" for i in pick],
            "adresse": [f"{k + 1} place de la Mairie" for k in range(len(pick))],
            "commune": communes["nom"].iloc[pick].to_numpy(),
            "services": [["Accès internet", "Aide aux démarches"]] * len(pick),
            "admin_help": [k % 2 == 0 for k in range(len(pick))],
        },
        geometry=pts.to_numpy(),
        crs=2154,
    ).to_crs(4326)
    mediation.loc[0, "nom"] = EVIL_VENUE_NAME

    pop = communes["population"].to_numpy(float)
    mins = communes["minutes_fs"].to_numpy(float)
    within20 = float(pop[np.nan_to_num(mins, nan=1e9) <= 20].sum())
    within = float((pop * share).sum())  # within the threshold
    within30 = within if threshold == 30 else float(pop[np.nan_to_num(mins, nan=1e9) <= 30].sum())
    summary = {
        "departement": "05",
        "departement_nom": "Hautes-Alpes",
        "population": int(pop.sum()),
        "population_within_20": within20,
        "population_within_30": within30,
        "share_within_30": within30 / pop.sum(),
        "population_within_threshold": within,
        "share_within_threshold": within / pop.sum(),
        "communes": n,
        "communes_beyond_threshold": int(communes["beyond_threshold"].sum()),
        "unreachable_population": float(communes["unreachable_population"].sum()),
        "sites_used": len(sites),
        "sites_outside_departement": int(sites["outside_departement"].sum()),
    }
    double = pd.DataFrame(communes[communes["double_fracture"]].drop(columns="geometry"))
    return SimpleNamespace(
        communes=communes,
        sites=sites,
        isochrones=isochrones,
        mediation=mediation,
        summary=summary,
        threshold=threshold,
        departement="05",
        double_fracture=double,
    )
