"""The directed car road network, held as arrays (CSR) in a metric CRS."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from proximite.errors import InputError
from proximite.network._build import BuiltGraph, build_graph, finish_edges
from proximite.network._readers import OSM_SUFFIXES, choose_crs, read_geofabrik, read_osm
from proximite.network.contraction import Contraction, contract
from proximite.network.profile import SpeedProfile

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import networkx as nx

logger = logging.getLogger("proximite.network")

#: Bumped whenever the built arrays change meaning (invalidates caches).
CACHE_FORMAT = 1


class SnapResult(NamedTuple):
    """Nearest usable node of each point.

    Attributes
    ----------
    node : ndarray of int64
        Node id, or -1 when the point is farther than the maximum snap distance
        (or has no geometry).
    distance_m : ndarray of float
        Straight-line distance to the nearest usable node (NaN without geometry,
        ``inf`` when the network has no usable node).
    """

    node: np.ndarray
    distance_m: np.ndarray


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_cache_dir() -> Path:
    """``$PROXIMITE_CACHE`` or ``~/.cache/proximite``."""
    env = os.environ.get("PROXIMITE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "proximite"


class RoadNetwork:
    """A directed car road network: CSR graph of travel seconds, metric coordinates.

    Build it with :meth:`from_file`, :meth:`from_osmnx`, :meth:`from_edges` or
    :meth:`load`; do not call the constructor directly.

    Attributes
    ----------
    crs : pyproj.CRS
        Metric CRS of the node coordinates and lengths.
    profile : SpeedProfile
        The speed profile used to build it (and its snapping rules).
    source_hash : str
        SHA-256 of the input file ("" when not built from a file).
    x, y : ndarray of float
        Node coordinates (node ids are 0..n-1).
    report : dict
        Counts from the build (ways, vertices, parallel edges dropped, ...).
    """

    def __init__(
        self,
        built: BuiltGraph,
        *,
        crs: pyproj.CRS | str,
        profile: SpeedProfile,
        source_hash: str = "",
        source: str = "",
    ) -> None:
        self._b = built
        self.crs = pyproj.CRS(crs)
        self.profile = profile
        self.source_hash = source_hash
        self.source = source
        self.x = built.x
        self.y = built.y
        self.report: dict[str, Any] = dict(built.stats)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        profile: SpeedProfile | None = None,
        crs: Any = None,
        cache: bool | str | Path = False,
    ) -> RoadNetwork:
        """Build the network of a road file.

        Parameters
        ----------
        path : str or Path
            A Geofabrik "roads" layer (GeoJSON, GeoPackage, Shapefile; ``.gz`` too)
            or an OSM file (``.osm.pbf``, ``.osm`` XML).
        profile : SpeedProfile, optional
            Speeds and snapping rules; :meth:`SpeedProfile.default` when omitted.
        crs : CRS-like, optional
            Metric CRS of the network; by default chosen from the data (Lambert-93
            in metropolitan France, official UTM-based CRS overseas).
        cache : bool or path
            ``True`` caches the built arrays in :func:`default_cache_dir`, a path
            caches them there; the cache key is the file's SHA-256, the profile
            hash and the CRS.

        Returns
        -------
        RoadNetwork

        Raises
        ------
        FileNotFoundError
            The file does not exist.
        InputError
            The file is not a usable road layer.

        Examples
        --------
        >>> from proximite import RoadNetwork, paths
        >>> net = RoadNetwork.from_file(paths.ROADS_05, cache=True)
        >>> net.n_nodes > 40_000, net.crs.to_epsg()
        (True, 2154)
        >>> net.snap(net.nodes.iloc[:3].to_crs("EPSG:4326")).node.tolist()
        [0, 1, 2]
        """
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(2, "No such file", str(path))
        profile = profile or SpeedProfile.default()
        sha = file_sha256(path)
        cache_file = None
        if cache is not False and cache is not None:
            cdir = default_cache_dir() if cache is True else Path(cache)
            crs_tag = "auto" if crs is None else pyproj.CRS(crs).to_string()
            tag = hashlib.sha256(
                f"{sha}|{profile.hash()}|{crs_tag}|{CACHE_FORMAT}".encode()
            ).hexdigest()[:24]
            cache_file = cdir / f"network-{path.name.split('.')[0]}-{tag}.npz"
            if cache_file.exists():
                try:
                    net = cls.load(cache_file)
                    if net.source_hash == sha:
                        net.source = str(path)
                        return net
                except (OSError, ValueError, KeyError) as exc:  # corrupt cache: rebuild
                    logger.warning("ignoring unreadable cache %s: %s", cache_file, exc)
        name = path.name.lower()
        data = (
            read_osm(path, profile)
            if name.endswith(OSM_SUFFIXES)
            else read_geofabrik(path, profile)
        )
        if len(data["key"]) == 0:
            raise InputError("no driveable road in the file", path=path)
        src_crs = data["src_crs"]
        if crs is None:
            lon0, lat0 = np.nanmedian(data["xy"], axis=0)
            target = choose_crs(float(lon0), float(lat0)) if src_crs.is_geographic else src_crs
        else:
            target = pyproj.CRS(crs)
        if target.is_geographic:
            raise InputError(f"the network CRS must be metric, got {target.name}", path=path)
        built = build_graph(
            data["key"], data["xy"], data["way"], data["fclass"], data["oneway"],
            data["maxspeed"], src_crs=src_crs, crs=target, profile=profile,
            node_ids_are_osm=data["osm"],
        )
        built.stats["features_read"] = int(data["ways_read"])
        net = cls(built, crs=target, profile=profile, source_hash=sha, source=str(path))
        if cache_file is not None:
            try:
                net.save(cache_file)
            except OSError as exc:
                logger.warning("cannot write cache %s: %s", cache_file, exc)
        return net

    @classmethod
    def from_edges(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        u: np.ndarray,
        v: np.ndarray,
        seconds: np.ndarray,
        *,
        length_m: np.ndarray | None = None,
        fclass: np.ndarray | None = None,
        crs: Any = "EPSG:2154",
        profile: SpeedProfile | None = None,
    ) -> RoadNetwork:
        """Build a network from node coordinates and directed edges (straight lines).

        Parameters
        ----------
        x, y : ndarray
            Node coordinates in ``crs`` (metric); node ids are positions.
        u, v : ndarray of int
            Directed edges u -> v.
        seconds : ndarray of float
            Travel time of each edge (>= 0).
        length_m : ndarray, optional
            Edge lengths; straight-line lengths by default.
        fclass : ndarray of str, optional
            Road class of each edge (``"road"`` by default).
        crs : CRS-like
            Metric CRS of ``x``, ``y``.
        profile : SpeedProfile, optional
            Snapping rules (speeds are not used).

        Returns
        -------
        RoadNetwork
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        sec = np.asarray(seconds, dtype=float)
        n = len(x)
        if len(y) != n or not (len(u) == len(v) == len(sec)):
            raise InputError("x/y and u/v/seconds must have matching lengths")
        if len(u) and (u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n):
            raise InputError("edge end outside 0..n-1")
        if len(sec) and (not np.all(np.isfinite(sec)) or sec.min() < 0):
            raise InputError("edge seconds must be finite and >= 0", field="seconds")
        if length_m is None:
            length_m = np.hypot(x[v] - x[u], y[v] - y[u])
        length_m = np.asarray(length_m, dtype=float)
        names = ["road"]
        fcode = np.zeros(len(u), dtype=np.int16)
        if fclass is not None:
            uniq, inv = np.unique(np.asarray(fclass).astype(str), return_inverse=True)
            names = [str(s) for s in uniq]
            fcode = inv.astype(np.int16)
        m = len(u)
        vx = np.empty(2 * m)
        vy = np.empty(2 * m)
        vx[0::2], vx[1::2] = x[u], x[v]
        vy[0::2], vy[1::2] = y[u], y[v]
        built = finish_edges(
            x, y, np.full(n, -1, dtype=np.int64), u, v, length_m, sec, fcode, names,
            np.arange(m, dtype=np.int64), np.zeros(m, bool), np.arange(0, 2 * m, 2),
            np.arange(1, 2 * m, 2), vx, vy, {"edges_in": int(m)},
        )
        return cls(built, crs=crs, profile=profile or SpeedProfile.default())

    @classmethod
    def from_osmnx(
        cls,
        G: nx.MultiDiGraph,
        *,
        profile: SpeedProfile | None = None,
        crs: Any = None,
    ) -> RoadNetwork:
        """Build the network of an osmnx graph.

        Parameters
        ----------
        G : networkx.MultiDiGraph
            Nodes with ``x``, ``y`` (in ``G.graph["crs"]``, lon/lat by default);
            edges with ``length`` (m) and ``highway``, optional ``maxspeed``,
            ``speed_kph``, ``travel_time`` (s) and ``geometry``. Edge time is
            ``travel_time`` when present, else length at ``speed_kph``, else the
            profile speed (edges of classes outside the profile are then dropped).
        profile : SpeedProfile, optional
            Speeds and snapping rules.
        crs : CRS-like, optional
            Metric CRS of the network (chosen from the data by default).

        Returns
        -------
        RoadNetwork
            Node ``i`` is the ``i``-th node of ``G``; ``nodes["osmid"]`` keeps the
            original id when it is an integer.
        """
        profile = profile or SpeedProfile.default()
        src_crs = pyproj.CRS(G.graph.get("crs", "EPSG:4326"))
        ids = list(G.nodes)
        if not ids:
            raise InputError("the graph has no node")
        index = {nid: i for i, nid in enumerate(ids)}
        nx_ = np.array([float(G.nodes[n]["x"]) for n in ids])
        ny_ = np.array([float(G.nodes[n]["y"]) for n in ids])
        if crs is None:
            if src_crs.is_geographic:
                target = choose_crs(float(np.median(nx_)), float(np.median(ny_)))
            else:
                target = src_crs
        else:
            target = pyproj.CRS(crs)
        tr = pyproj.Transformer.from_crs(src_crs, target, always_xy=True)
        x, y = (np.asarray(a, dtype=float) for a in tr.transform(nx_, ny_))
        us, vs, secs, lens, classes, starts, ends = [], [], [], [], [], [], []
        vxs: list[np.ndarray] = []
        vys: list[np.ndarray] = []
        nvert = 0
        dropped = 0
        for a, b, data in G.edges(data=True):
            hw = data.get("highway", "road")
            if isinstance(hw, list | tuple):
                hw = hw[0] if hw else "road"
            hw = str(hw)
            geom = data.get("geometry")
            if geom is not None:
                gx, gy = (np.asarray(c, dtype=float) for c in geom.xy)
                gx, gy = (np.asarray(c, dtype=float) for c in tr.transform(gx, gy))
            else:
                ia, ib = index[a], index[b]
                gx, gy = np.array([x[ia], x[ib]]), np.array([y[ia], y[ib]])
            length = data.get("length")
            length = (
                float(length)
                if length is not None
                else float(np.hypot(np.diff(gx), np.diff(gy)).sum())
            )
            if data.get("travel_time") is not None:
                sec = float(data["travel_time"])
            elif data.get("speed_kph") is not None and float(data["speed_kph"]) > 0:
                sec = length / (float(data["speed_kph"]) / 3.6)
            elif profile.is_driveable(hw):
                from proximite.network._readers import parse_maxspeed

                ms = parse_maxspeed(data.get("maxspeed"))
                if isinstance(data.get("maxspeed"), list | tuple):
                    vals = [parse_maxspeed(m) for m in data["maxspeed"]]
                    vals = [m for m in vals if m > 0]
                    ms = min(vals) if vals else 0.0
                kmh = profile.speeds_kmh(np.array([hw], dtype=object), np.array([ms]))[0]
                sec = length / (kmh / 3.6)
            else:
                dropped += 1
                continue
            us.append(index[a])
            vs.append(index[b])
            secs.append(sec)
            lens.append(length)
            classes.append(hw)
            starts.append(nvert)
            nvert += len(gx)
            ends.append(nvert - 1)
            vxs.append(gx)
            vys.append(gy)
        names, fcode = np.unique(np.array(classes, dtype=str), return_inverse=True)
        m = len(us)
        osmid = np.array(
            [n if isinstance(n, int | np.integer) else -1 for n in ids], dtype=np.int64
        )
        built = finish_edges(
            x, y, osmid, np.array(us, dtype=np.int64), np.array(vs, dtype=np.int64),
            np.array(lens, dtype=float), np.array(secs, dtype=float), fcode.astype(np.int16),
            [str(s) for s in names], np.arange(m, dtype=np.int64), np.zeros(m, bool),
            np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64),
            np.concatenate(vxs) if vxs else np.zeros(0),
            np.concatenate(vys) if vys else np.zeros(0),
            {"edges_in": G.number_of_edges(), "edges_not_driveable": dropped},
        )
        return cls(built, crs=target, profile=profile)

    @classmethod
    def from_place(
        cls,
        query: str | dict,
        *,
        profile: SpeedProfile | None = None,
        crs: Any = None,
        network_type: str = "drive",
    ) -> RoadNetwork:
        """Download the roads of a place from OpenStreetMap with osmnx (online).

        Parameters
        ----------
        query : str or dict
            A place name or structured query understood by ``osmnx.graph_from_place``.
        profile : SpeedProfile, optional
            Speeds and snapping rules.
        crs : CRS-like, optional
            Metric CRS of the network.
        network_type : str
            osmnx network type.

        Returns
        -------
        RoadNetwork
        """
        try:
            import osmnx
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RoadNetwork.from_place needs osmnx: pip install 'proximite[online]'"
            ) from None
        G = osmnx.graph_from_place(query, network_type=network_type, simplify=True)
        return cls.from_osmnx(G, profile=profile, crs=crs)

    # ------------------------------------------------------------------ cache
    def save(self, path: str | Path) -> Path:
        """Write the network to one ``.npz`` file (arrays + JSON metadata).

        Parameters
        ----------
        path : str or Path
            Target file (``.npz`` is appended by NumPy when missing).

        Returns
        -------
        Path
            The written file.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        b = self._b
        meta = {
            "format": CACHE_FORMAT,
            "crs": self.crs.to_wkt(),
            "profile": self.profile.to_dict(),
            "source_hash": self.source_hash,
            "source": self.source,
            "fclass_names": b.fclass_names,
            "stats": b.stats,
        }
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            meta=np.array(json.dumps(meta)),
            x=b.x, y=b.y, node_osmid=b.node_osmid, u=b.u, v=b.v, length_m=b.length_m,
            seconds=b.seconds, fclass_code=b.fclass_code, piece=b.piece, reverse=b.reverse,
            piece_start=b.piece_start, piece_end=b.piece_end, vx=b.vx, vy=b.vy,
        )
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> RoadNetwork:
        """Read a network written by :meth:`save`.

        Parameters
        ----------
        path : str or Path
            The ``.npz`` file.

        Returns
        -------
        RoadNetwork
        """
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != CACHE_FORMAT:
                raise ValueError(f"cache format {meta.get('format')} != {CACHE_FORMAT}")
            arrays = {k: z[k] for k in z.files if k != "meta"}
        built = BuiltGraph(fclass_names=meta["fclass_names"], stats=meta["stats"], **arrays)
        return cls(
            built,
            crs=pyproj.CRS.from_wkt(meta["crs"]),
            profile=SpeedProfile.from_dict(meta["profile"]),
            source_hash=meta["source_hash"],
            source=meta["source"],
        )

    # ------------------------------------------------------------------ views
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self._b.x)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (parallels merged)."""
        return len(self._b.u)

    @property
    def arrays(self) -> BuiltGraph:
        """The raw arrays (edges sorted by ``u`` then ``v``)."""
        return self._b

    @cached_property
    def vertex_arclength(self) -> np.ndarray:
        """Cumulative length along the stored edge-geometry vertices (monotone)."""
        b = self._b
        if len(b.vx) == 0:
            return np.zeros(0)
        return np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(b.vx), np.diff(b.vy)))])

    @cached_property
    def graph(self) -> sp.csr_matrix:
        """``scipy.sparse.csr_matrix`` (n x n): ``graph[u, v]`` = seconds of u -> v.

        Zero-second edges are stored as explicit zeros (csgraph treats them as edges).
        """
        b = self._b
        n = self.n_nodes
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(b.u, minlength=n), out=indptr[1:])
        return sp.csr_matrix((b.seconds, b.v, indptr), shape=(n, n))

    @cached_property
    def graph_reversed(self) -> sp.csr_matrix:
        """The transposed graph as CSR: ``graph_reversed[v, u]`` = seconds of u -> v."""
        b = self._b
        n = self.n_nodes
        order = np.lexsort((b.u, b.v))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(b.v, minlength=n), out=indptr[1:])
        return sp.csr_matrix((b.seconds[order], b.u[order], indptr), shape=(n, n))

    @cached_property
    def contraction(self) -> Contraction:
        """The junction core that searches *to* sites run on (built on first use).

        See :mod:`proximite.network.contraction`: dead-end trees and degree-2 chains
        are contracted away, exactly (about 80 % of the nodes of a département).
        """
        return contract(self.graph)

    @cached_property
    def contraction_forward(self) -> Contraction:
        """The same junction core, for searches *from* origins (built on first use)."""
        return contract(self.graph_reversed)

    @cached_property
    def _components(self) -> tuple[np.ndarray, np.ndarray]:
        if self.n_nodes == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        _, labels = connected_components(self.graph, directed=True, connection="strong")
        sizes = np.bincount(labels)
        return labels, sizes

    @property
    def components(self) -> dict[str, int]:
        """Strongly connected components: ``count``, ``largest`` (nodes), ``usable_nodes``."""
        _, sizes = self._components
        return {
            "count": len(sizes),
            "largest": int(sizes.max()) if len(sizes) else 0,
            "usable_nodes": int(self.usable.sum()),
            "nodes": self.n_nodes,
        }

    @cached_property
    def usable(self) -> np.ndarray:
        """Nodes points may snap to: the largest strongly connected component and every
        component of at least ``profile.min_component_nodes`` nodes."""
        labels, sizes = self._components
        if len(sizes) == 0:
            return np.zeros(0, dtype=bool)
        big = (sizes >= self.profile.min_component_nodes) | (
            np.arange(len(sizes)) == np.argmax(sizes)
        )
        return big[labels]

    @cached_property
    def _tree(self) -> tuple[cKDTree | None, np.ndarray]:
        ids = np.flatnonzero(self.usable)
        if len(ids) == 0:
            return None, ids
        return cKDTree(np.column_stack([self.x[ids], self.y[ids]])), ids

    @cached_property
    def nodes(self) -> gpd.GeoDataFrame:
        """Nodes as a GeoDataFrame indexed 0..n-1 (``x``, ``y``, ``osmid``,
        ``component``, ``usable``), in the network CRS."""
        import geopandas as gpd

        labels, _ = self._components
        return gpd.GeoDataFrame(
            {
                "x": self.x,
                "y": self.y,
                "osmid": self._b.node_osmid,
                "component": labels,
                "usable": self.usable,
            },
            geometry=gpd.points_from_xy(self.x, self.y),
            crs=self.crs,
        )

    @cached_property
    def edges(self) -> pd.DataFrame:
        """One row per directed edge: ``u``, ``v``, ``length_m``, ``seconds``, ``fclass``."""
        b = self._b
        names = np.array(b.fclass_names if b.fclass_names else ["road"], dtype=object)
        return pd.DataFrame(
            {
                "u": b.u,
                "v": b.v,
                "length_m": b.length_m,
                "seconds": b.seconds,
                "fclass": names[b.fclass_code] if len(b.u) else np.array([], dtype=object),
            }
        )

    def edge_lines(self) -> gpd.GeoSeries:
        """Geometry of every directed edge (drawn from u to v), in the network CRS."""
        import geopandas as gpd

        from proximite.network.geometry import edge_sublines

        b = self._b
        lines = edge_sublines(self, np.arange(self.n_edges), np.zeros(self.n_edges))
        return gpd.GeoSeries(lines, crs=self.crs, index=pd.RangeIndex(len(b.u)))

    def to_networkx(self) -> nx.DiGraph:
        """The network as a ``networkx.DiGraph`` on node ids 0..n-1.

        Returns
        -------
        networkx.DiGraph
            Node attributes ``x``, ``y``; edge attributes ``travel_time`` (seconds,
            fastest of parallel edges) and ``length`` (m); ``graph["crs"]``.
        """
        import networkx as nx

        G = nx.DiGraph(crs=self.crs.to_string())
        G.add_nodes_from(
            (i, {"x": float(a), "y": float(c)})
            for i, (a, c) in enumerate(zip(self.x, self.y, strict=True))
        )
        b = self._b
        G.add_edges_from(
            (int(a), int(c), {"travel_time": float(s), "length": float(ln)})
            for a, c, s, ln in zip(b.u, b.v, b.seconds, b.length_m, strict=True)
        )
        return G

    # ------------------------------------------------------------------ snapping
    def _points_xy(self, points: Any) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of points (GeoDataFrame/GeoSeries) in the network CRS, and a
        validity mask."""
        import geopandas as gpd
        import shapely

        if isinstance(points, gpd.GeoDataFrame):
            geom = points.geometry
        elif isinstance(points, gpd.GeoSeries):
            geom = points
        else:
            raise InputError(
                "points must be a GeoDataFrame or GeoSeries with a CRS, "
                f"got {type(points).__name__}"
            )
        if geom.crs is None:
            raise InputError("points have no CRS")
        if len(geom) and pyproj.CRS(geom.crs) != self.crs:
            geom = geom.to_crs(self.crs)
        arr = geom.to_numpy()
        ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
        types = shapely.get_type_id(arr)
        if np.any(ok & (types != 0)):
            raise InputError("points must be Point geometries", field="geometry")
        xy = np.full((len(arr), 2), np.nan)
        if ok.any():
            xy[ok] = shapely.get_coordinates(arr[ok])[:, :2]
        ok &= np.isfinite(xy).all(axis=1)
        return xy, ok

    def snap(self, points: Any, *, max_snap_m: float | None = None) -> SnapResult:
        """Nearest usable node of each point.

        Parameters
        ----------
        points : GeoDataFrame or GeoSeries
            Points with a CRS (reprojected to the network CRS).
        max_snap_m : float, optional
            Maximum snap distance; ``profile.max_snap_m`` by default.

        Returns
        -------
        SnapResult
            ``node`` (-1 beyond the maximum distance, or without geometry) and
            ``distance_m``.
        """
        xy, ok = self._points_xy(points)
        limit = self.profile.max_snap_m if max_snap_m is None else float(max_snap_m)
        node = np.full(len(xy), -1, dtype=np.int64)
        dist = np.full(len(xy), np.nan)
        tree, ids = self._tree
        if tree is None:
            dist[ok] = np.inf
            return SnapResult(node, dist)
        if ok.any():
            d, i = tree.query(xy[ok], k=1)
            dist[ok] = d
            within = d <= limit
            sel = np.flatnonzero(ok)
            node[sel[within]] = ids[i[within]]
        return SnapResult(node, dist)

    def access_seconds(self, distance_m: np.ndarray) -> np.ndarray:
        """Seconds of off-network legs of the given lengths (``profile.access_speed_kmh``)."""
        return np.asarray(distance_m, dtype=float) / self.profile.access_speed_ms

    def __repr__(self) -> str:
        return (
            f"<RoadNetwork {self.n_nodes} nodes, {self.n_edges} edges, "
            f"crs={self.crs.to_string()}, profile={self.profile.name}>"
        )
