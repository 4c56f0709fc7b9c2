"""Helpers shared by the network / access / route tests (not a conftest)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from proximite import paths
from proximite.network import RoadNetwork

L93 = "EPSG:2154"
# a base point in the Hautes-Alpes, Lambert-93 metres
X0, Y0 = 940_000.0, 6_380_000.0


def road(coords, fclass="primary", oneway="B", maxspeed=0, layer=0, bridge="F", tunnel="F"):
    """One Geofabrik-schema feature; coords relative to (X0, Y0), metres."""
    return {
        "osm_id": "1",
        "fclass": fclass,
        "oneway": oneway,
        "maxspeed": int(maxspeed),
        "layer": layer,
        "bridge": bridge,
        "tunnel": tunnel,
        "geometry": LineString([(X0 + x, Y0 + y) for x, y in coords]),
    }


def write_roads(path: Path, features: list[dict], crs: str = L93) -> Path:
    """Write a Geofabrik-like GeoJSON road layer."""
    gdf = gpd.GeoDataFrame(features, geometry="geometry", crs=L93)
    if crs != L93:
        gdf = gdf.to_crs(crs)
    gdf.to_file(path, driver="GeoJSON")
    return path


def pts(coords, crs: str = L93) -> gpd.GeoDataFrame:
    """Points relative to (X0, Y0)."""
    return gpd.GeoDataFrame(
        geometry=[Point(X0 + x, Y0 + y) for x, y in coords], crs=crs
    )


def node_at(net: RoadNetwork, x: float, y: float) -> int:
    """Node id at relative coordinates (exact within 1 mm)."""
    d = np.hypot(net.x - (X0 + x), net.y - (Y0 + y))
    i = int(np.argmin(d))
    assert d[i] < 1e-3, (x, y, d[i])
    return i


def kmh(km_h: float) -> float:
    """m/s."""
    return km_h / 3.6


@functools.lru_cache(maxsize=1)
def cache_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="proximite-test-net-"))


@functools.lru_cache(maxsize=1)
def network_05() -> RoadNetwork:
    """The real 05 network, built once per test session (cached in a tmp dir)."""
    return RoadNetwork.from_file(paths.ROADS_05, cache=cache_dir())


@functools.lru_cache(maxsize=1)
def sites_05() -> gpd.GeoDataFrame:
    """The 21 France Services of 05, read straight from the CSV."""
    df = pd.read_csv(paths.FRANCE_SERVICES_CSV, dtype=str)
    df = df[df["insee_dep"] == "05"].reset_index(drop=True)
    return gpd.GeoDataFrame(
        df,
        geometry=gpd.points_from_xy(df["longitude"].astype(float), df["latitude"].astype(float)),
        crs="EPSG:4326",
    )


@functools.lru_cache(maxsize=1)
def nx_05() -> nx.DiGraph:
    return network_05().to_networkx()


def nx_times_to_sites(net: RoadNetwork, G: nx.DiGraph, sites) -> np.ndarray:
    """Reference: networkx Dijkstra on the reversed graph from a super-source whose
    edges carry the site access legs."""
    snap = net.snap(sites)
    R = G.reverse(copy=True)
    src = "S"
    R.add_node(src)
    for nd, d in zip(snap.node, snap.distance_m, strict=True):
        if nd < 0:
            continue
        w = d / net.profile.access_speed_ms
        if R.has_edge(src, int(nd)):
            w = min(w, R[src][int(nd)]["travel_time"])
        R.add_edge(src, int(nd), travel_time=w)
    ref = nx.single_source_dijkstra_path_length(R, src, weight="travel_time")
    out = np.full(net.n_nodes, np.inf)
    for k, v in ref.items():
        if k != src:
            out[k] = v
    return out
