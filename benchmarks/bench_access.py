"""Benchmark of the network build and the travel-time engine against networkx.

Run: ``python benchmarks/bench_access.py`` (all sections, each in its own process so
that the peak RSS is per section), or ``--section 05|83|grid``.

Figures printed: build time, cache reload time, size and contraction time of the
junction core, nearest-site time vs networkx ``multi_source_dijkstra_path_length`` on
the same graph, all-site isochrone times (per-site bounded searches on the core) vs
one networkx search per site with a cutoff, and the floor of that ratio (the core
searches alone), polygon construction time, peak RSS. Our times include snapping the
sites; networkx's exclude building its graph.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def clock(fn, repeat=1):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def sites_of(dep: str):
    import geopandas as gpd
    import pandas as pd

    from proximite import paths

    df = pd.read_csv(paths.FRANCE_SERVICES_CSV, dtype=str)
    df = df[df["insee_dep"] == dep].reset_index(drop=True)
    return gpd.GeoDataFrame(
        df, geometry=gpd.points_from_xy(df.longitude.astype(float), df.latitude.astype(float)),
        crs=4326,
    )


def bench_real(dep: str, path: Path) -> None:
    import networkx as nx

    from proximite import access
    from proximite.network import RoadNetwork

    print(f"== département {dep}: {path.name}")
    with tempfile.TemporaryDirectory() as tmp:
        t_build, net = clock(lambda: RoadNetwork.from_file(path, cache=tmp))
        rss_build = peak_rss_mb()
        t_load, _ = clock(lambda: RoadNetwork.from_file(path, cache=tmp), repeat=3)
    print(f"build {t_build:.2f} s ({net.n_nodes:,} nodes, {net.n_edges:,} edges), "
          f"peak RSS after build {rss_build:.0f} MB")
    print(f"cache reload {t_load:.3f} s -> {t_build / t_load:.0f}x faster than a rebuild")
    sites = sites_of(dep)
    t_core, core = clock(lambda: net.contraction)
    from proximite.network.contraction import _two_core, _undirected_neighbours

    coo = net.graph.tocoo()
    alive, _ = _two_core(_undirected_neighbours(coo.row, coo.col, net.n_nodes))
    print(f"nodes on dead-end trees {1 - alive.mean():.0%}, on chains "
          f"{(alive.sum() - core.n_core) / net.n_nodes:.0%}")
    print(f"junction core: {core.n_core:,} nodes ({core.n_core / net.n_nodes:.0%}), "
          f"{core.core_reversed.nnz:,} edges, {core.n_pieces:,} pieces; contracted in "
          f"{t_core:.2f} s (once per network, on first search)")
    access.nearest(net, sites)  # warm (kd-tree, usable components)
    t_near, res = clock(lambda: access.nearest(net, sites), repeat=3)
    G = net.to_networkx()
    R = G.reverse(copy=False)
    snap = net.snap(sites)
    src = {int(n) for n in snap.node if n >= 0}
    t_nx, _ = clock(lambda: nx.multi_source_dijkstra_path_length(R, src, weight="travel_time"))
    print(f"nearest site, {len(sites)} sites, all nodes: proximite {t_near * 1000:.1f} ms, "
          f"networkx {t_nx * 1000:.0f} ms -> {t_nx / t_near:.0f}x")
    cutoff = 1800.0
    t_iso, _ = clock(lambda: access.times_from_sites(net, sites, cutoff=cutoff), repeat=2)

    def nx_iso():
        return [nx.single_source_dijkstra_path_length(R, s, cutoff=cutoff, weight="travel_time")
                for s in snap.node if s >= 0]

    t_nxiso, _ = clock(nx_iso)
    print(f"all-site isochrone times (30 min): proximite {t_iso * 1000:.0f} ms, networkx "
          f"per-site {t_nxiso * 1000:.0f} ms -> {t_nxiso / t_iso:.0f}x")
    # the floor of that figure: the bounded searches on the core alone, no output
    from proximite.access import _search

    ok = snap.node >= 0
    nodes, legs = snap.node[ok], net.access_seconds(snap.distance_m[ok])
    ins = _search._inside(core, nodes, legs, cutoff)
    t_floor, _ = clock(lambda: _search._core_search(core, nodes, legs, cutoff, ins), repeat=3)
    print(f"  of which the {len(nodes)} bounded core searches alone (scipy dijkstra): "
          f"{t_floor * 1000:.1f} ms -> at most {t_nxiso / t_floor:.0f}x with SciPy's Dijkstra")
    from concurrent.futures import ThreadPoolExecutor

    from scipy.sparse.csgraph import dijkstra

    src = np.arange(0, net.n_nodes, max(1, net.n_nodes // 40))[:40]
    g = net.graph_reversed
    t_one, _ = clock(lambda: dijkstra(g, indices=src), repeat=2)
    with ThreadPoolExecutor(2) as pool:
        t_two, _ = clock(lambda: list(pool.map(lambda s: dijkstra(g, indices=s),
                                               np.array_split(src, 2))), repeat=2)
    print(f"  40 full searches: 1 thread {t_one * 1000:.0f} ms, 2 threads {t_two * 1000:.0f} ms "
          f"(SciPy's Dijkstra holds the GIL when these are equal)")
    t_poly, iso = clock(lambda: access.isochrones(net, sites, minutes=(10, 20, 30)))
    t_sa, _ = clock(lambda: access.service_areas(net, res.seconds, minutes=(10, 20, 30)))
    print(f"isochrone polygons ({len(iso)}): {t_poly:.1f} s; service areas (3): {t_sa:.1f} s")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


def grid_network(side: int = 1000, seed: int = 0):
    """A perturbed side x side grid (road-like: 100 m blocks, 10% one-ways, 5% missing)."""
    from proximite.network import RoadNetwork

    rng = np.random.default_rng(seed)
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = (i * 100.0 + rng.uniform(-30, 30, i.shape)).ravel() + 700_000
    y = (j * 100.0 + rng.uniform(-30, 30, j.shape)).ravel() + 6_300_000
    ids = np.arange(side * side).reshape(side, side)
    a = np.concatenate([ids[:-1, :].ravel(), ids[:, :-1].ravel()])
    b = np.concatenate([ids[1:, :].ravel(), ids[:, 1:].ravel()])
    keep = rng.random(len(a)) > 0.05
    a, b = a[keep], b[keep]
    length = np.hypot(x[a] - x[b], y[a] - y[b])
    speed = rng.choice([30, 50, 80], size=len(a), p=[0.6, 0.3, 0.1]) / 3.6
    sec = length / speed
    oneway = rng.random(len(a)) < 0.10
    flip = rng.random(len(a)) < 0.5
    fu = np.where(flip, b, a)
    fv = np.where(flip, a, b)
    u = np.concatenate([fu, fv[~oneway]])
    v = np.concatenate([fv, fu[~oneway]])
    s = np.concatenate([sec, sec[~oneway]])
    ln = np.concatenate([length, length[~oneway]])
    return RoadNetwork.from_edges(x, y, u, v, s, length_m=ln)


def bench_grid() -> None:
    import geopandas as gpd

    from proximite import access

    print("== generated road-like grid, 1000 x 1000")
    t_build, net = clock(grid_network)
    print(f"build {t_build:.2f} s ({net.n_nodes:,} nodes, {net.n_edges:,} edges), "
          f"SCC largest {net.components['largest']:,}")
    rng = np.random.default_rng(1)
    pick = rng.choice(net.n_nodes, 200, replace=False)
    sites = gpd.GeoSeries(gpd.points_from_xy(net.x[pick] + 20, net.y[pick]), crs=net.crs)
    t_core, core = clock(lambda: net.contraction)
    print(f"junction core: {core.n_core:,} nodes ({core.n_core / net.n_nodes:.0%}); "
          f"contracted in {t_core:.2f} s (once per network, on first search)")
    access.nearest(net, sites[:1])  # warm: reversed graph, components, kd-tree
    t_near, res = clock(lambda: access.nearest(net, sites), repeat=3)
    print(f"nearest site for all {net.n_nodes:,} nodes, 200 sites: {t_near:.2f} s; "
          f"reachable {np.isfinite(res.seconds).mean():.1%}; peak RSS {peak_rss_mb():.0f} MB")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--section", choices=["05", "83", "grid"])
    args = ap.parse_args()
    from proximite import paths

    if args.section == "05":
        bench_real("05", paths.ROADS_05)
    elif args.section == "83":
        p = paths.SHARED_DATA_DIR / "roads" / "osm-roads-83-202107.geojson.gz"
        if not p.exists():
            print("== 83: shared data absent, skipped")
            return 0
        bench_real("83", p)
    elif args.section == "grid":
        bench_grid()
    else:
        for sec in ("05", "83", "grid"):
            subprocess.run([sys.executable, str(HERE), "--section", sec], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
