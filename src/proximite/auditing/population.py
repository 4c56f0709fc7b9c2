"""Population placement: spread each commune's legal population over its roads.

A commune is never reduced to its centroid. Its legal population (COG) is
spread over the road-network nodes that lie inside its boundary, in proportion
to the length of *local* roads around each node (half of every adjacent
residential, living-street, unclassified or tertiary road segment, see
:data:`LOCAL_CLASSES`): people live along local roads, not along
motorways or mountain passes. Two fallbacks, in order, keep every commune
placed:

``"roads"``
    the normal case, weights from local road length;
``"any_road"``
    the commune has nodes but no local road: weights from the length of any
    road around its nodes;
``"point"``
    the commune has no usable node inside it: its whole population is put on
    its representative point (a point guaranteed inside the polygon), snapped
    to the network with an off-network leg; beyond the maximum snapping
    distance that population is *unreachable*.

The method used is kept per commune (column ``population_method``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

#: Road classes (Geofabrik ``fclass`` / OSM ``highway``) whose length weights population.
LOCAL_CLASSES = frozenset(
    {"residential", "living_street", "unclassified", "tertiary", "tertiary_link", "road"}
)


def node_road_length(network, classes: frozenset[str] | None = LOCAL_CLASSES) -> np.ndarray:
    """Length of road (metres) attributed to each node: half of each adjacent segment.

    Parameters
    ----------
    network : RoadNetwork
        The road network.
    classes : frozenset of str or None
        Road classes counted; ``None`` counts every class.

    Returns
    -------
    numpy.ndarray
        One float per node. A two-way road (two directed edges) counts once.
    """
    edges = network.edges
    u = edges["u"].to_numpy(np.int64)
    v = edges["v"].to_numpy(np.int64)
    length = edges["length_m"].to_numpy(float)
    if classes is None:
        keep = np.ones(len(edges), bool)
    else:
        keep = edges["fclass"].isin(classes).to_numpy()
    a, b = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
    length = length[keep]
    # one undirected segment per node pair (the two directions of a two-way road)
    key = a * np.int64(len(network.nodes)) + b
    _, first = np.unique(key, return_index=True)
    a, b, length = a[first], b[first], length[first]
    n = len(network.nodes)
    return np.bincount(a, 0.5 * length, n) + np.bincount(b, 0.5 * length, n)


def place_population(communes: gpd.GeoDataFrame, network) -> gpd.GeoDataFrame:
    """Spread each commune's population over the network nodes inside it.

    Parameters
    ----------
    communes : geopandas.GeoDataFrame
        Columns ``code_insee`` and ``population``, polygon geometry, any CRS.
    network : RoadNetwork
        The road network (its nodes carry the population).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per population point in the network CRS, with ``code_insee``,
        ``node`` (network node id, -1 when the point cannot be snapped),
        ``access_m`` (off-network distance, 0 for nodes), ``share`` (share of
        the commune's population on that point: sums to 1 per commune),
        ``population`` (= share x commune population), ``method`` and geometry.
        Ordered by commune code then node id.
    """
    crs = network.crs
    com = communes[["code_insee", "population", "geometry"]].to_crs(crs).reset_index(drop=True)
    nodes = network.nodes.loc[network.usable, ["geometry"]]
    joined = gpd.sjoin(nodes, com, how="inner", predicate="within")
    # a node on a shared boundary could fall in two communes: keep the first code
    joined = joined[~joined.index.duplicated(keep="first")]
    node_ids = joined.index.to_numpy(np.int64)
    codes = joined["code_insee"].to_numpy(object)

    w_local = node_road_length(network, LOCAL_CLASSES)[node_ids]
    w_any = node_road_length(network, None)[node_ids]
    frame = pd.DataFrame({"code_insee": codes, "node": node_ids, "w_local": w_local,
                          "w_any": w_any})
    totals = frame.groupby("code_insee")[["w_local", "w_any"]].transform("sum")
    use_local = totals["w_local"].to_numpy() > 0
    use_any = ~use_local & (totals["w_any"].to_numpy() > 0)
    weight = np.where(use_local, frame["w_local"], np.where(use_any, frame["w_any"], 0.0))
    total = np.where(use_local, totals["w_local"], np.where(use_any, totals["w_any"], 1.0))
    frame["share"] = weight / total
    frame["method"] = np.where(use_local, "roads", "any_road")
    frame["access_m"] = 0.0
    frame = frame[(use_local | use_any) & (frame["share"] > 0)]

    placed = set(frame["code_insee"])
    missing = com[~com["code_insee"].isin(placed)]
    parts = [frame[["code_insee", "node", "access_m", "share", "method"]]]
    geoms = [network.nodes.geometry.to_numpy()[frame["node"].to_numpy(np.int64)]]
    if len(missing):
        points = gpd.GeoSeries(missing.geometry.representative_point(), crs=crs)
        snap = network.snap(points)
        node = np.asarray(snap[0], np.int64)
        dist = np.asarray(snap[1], float)
        fallback = pd.DataFrame({
            "code_insee": missing["code_insee"].to_numpy(object),
            "node": node,
            "access_m": np.where(node >= 0, dist, np.nan),
            "share": 1.0,
            "method": "point",
        })
        parts.append(fallback)
        geoms.append(points.to_numpy())
    out = pd.concat(parts, ignore_index=True)
    geometry = np.concatenate(geoms)
    pop = com.set_index("code_insee")["population"]
    out["population"] = out["share"] * out["code_insee"].map(pop).to_numpy(float)
    result = gpd.GeoDataFrame(out, geometry=geometry, crs=crs)
    result = result.sort_values(["code_insee", "node"], kind="stable").reset_index(drop=True)
    return result
