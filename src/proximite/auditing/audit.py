"""The commune audit: is every person within N minutes of a France Services?

:func:`audit` loads (or takes) the inputs, builds the road network, places
each commune's population on it, runs one multi-source Dijkstra from all
France Services of the *national* list that the roads reach (so a site across
the département border counts), and aggregates per commune.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from proximite import paths
from proximite.auditing.metrics import (
    BEYOND_SHARE,
    POOR_BROADBAND_SHARE,
    commune_metrics,
    fragility_score,
    point_times,
    population_figures,
)
from proximite.auditing.population import place_population
from proximite.errors import InputError
from proximite.progress import steps
from proximite.sources.communes import departement_name

logger = logging.getLogger("proximite.audit")

#: Kinds of France Services (see :func:`proximite.load_france_services`).
SITE_KINDS = ("fixed", "antenna", "itinerant")

#: Isochrone thresholds (minutes) drawn on maps and written to the GeoPackage.
ISOCHRONE_MINUTES = (10, 20, 30)

#: Grid resolution (m) of the audit's service areas; polygons are then simplified by half
#: a cell, which keeps maps light (05's map.html: 1.8 MB, against 8.9 MB with unsimplified
#: 50 m polygons).
ISOCHRONE_RESOLUTION_M = 100.0

#: Mediation departements covered by the embedded PACA venues file.
PACA = ("04", "05", "06", "13", "83", "84")

#: Columns of ``Audit.communes``, in order (geometry last).
COMMUNE_COLUMNS = [
    "code_insee", "nom", "departement", "population", "population_method",
    "minutes_fs", "minutes_fs_max", "share_within_threshold", "beyond_threshold",
    "nearest_fs_id", "nearest_fs_name", "nearest_fs_departement", "served_across_border",
    "minutes_mediation", "share_30mbps", "share_ftth", "unreachable_population",
    "double_fracture", "fragility",
]


@dataclass
class Audit:
    """Result of :func:`audit`.

    Attributes
    ----------
    departement : str
        The département audited.
    threshold : float
        The promise tested, in minutes.
    communes : geopandas.GeoDataFrame
        One row per commune (EPSG:4326), columns :data:`COMMUNE_COLUMNS`.
    sites : geopandas.GeoDataFrame
        France Services that the road network reaches (EPSG:4326), with
        ``outside_departement`` and ``population_served``.
    population : geopandas.GeoDataFrame
        Population points (network CRS): ``code_insee``, ``node``, ``access_m``,
        ``share``, ``population``, ``method``, ``seconds`` (to the nearest site),
        ``site`` (its position in ``sites``).
    isochrones : geopandas.GeoDataFrame
        Areas within 10 / 20 / 30 minutes of the nearest site (EPSG:4326).
    mediation : geopandas.GeoDataFrame or None
        Mediation venues offering help with administrative procedures.
    summary : dict
        Key figures (see the README for every key).
    network : RoadNetwork
        The road network used.
    """

    departement: str
    threshold: float
    communes: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    population: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    mediation: gpd.GeoDataFrame | None
    summary: dict[str, Any]
    network: Any
    inputs: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def double_fracture(self) -> gpd.GeoDataFrame:
        """Communes both beyond the threshold and with poor broadband."""
        return self.communes[self.communes["double_fracture"]]

    def with_sites(self, extra_sites: gpd.GeoDataFrame) -> Audit:
        """Re-run the audit on the same network with extra France Services.

        Parameters
        ----------
        extra_sites : geopandas.GeoDataFrame
            Points with a CRS; ``id_fs`` / ``lib_fs`` are filled in when missing.

        Returns
        -------
        Audit
            A new audit; this one is unchanged.
        """
        extra = extra_sites.to_crs("EPSG:4326").copy()
        if "id_fs" not in extra:
            extra["id_fs"] = [f"new-{i + 1}" for i in range(len(extra))]
        if "lib_fs" not in extra and "name" in extra:
            extra["lib_fs"] = extra["name"]
        if "departement" not in extra:  # a planner's new sites are in the département
            extra["departement"] = self.departement
        all_sites = pd.concat([self.inputs["sites"], extra], ignore_index=True)
        all_sites = gpd.GeoDataFrame(all_sites, geometry="geometry", crs="EPSG:4326")
        return _run(self.departement, self.threshold, self.network, self.inputs["communes"],
                    all_sites, self.inputs.get("broadband"), self.inputs.get("mediation"),
                    self.inputs["files"])

    def to_map(self, **kwargs: Any):
        """Folium gap map (see :func:`proximite.outputs.maps.gap_map`)."""
        from proximite.outputs.maps import gap_map

        return gap_map(self, **kwargs)

    def save(self, directory: str | Path, *, maps: bool = True, tiles: str | None = None,
             attribution: str | None = None) -> dict[str, Path]:
        """Write the audit's files (see :func:`proximite.outputs.files.write_audit`)."""
        from proximite.outputs.files import write_audit

        return write_audit(self, directory, maps=maps, tiles=tiles, attribution=attribution)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_roads(departement: str) -> Path:
    """The road file for a département: embedded for 05, else from ``../shared/data``.

    Raises
    ------
    InputError
        When no road file is known for that département.
    """
    if departement == paths.DEFAULT_DEPARTEMENT and paths.ROADS_05.exists():
        return paths.ROADS_05
    from proximite.batch.roads import find_roads_file

    found = find_roads_file(paths.SHARED_DATA_DIR / "roads", departement)
    if found is None:
        raise InputError(f"no road file for département {departement}: pass roads=FILE "
                         "(Geofabrik roads layer, .osm.pbf or .osm)")
    return found


def _load(value, loader, files: dict, key: str, **kw):
    """Call ``loader`` on a path (recording its files' hashes) or pass a frame through."""
    if value is None or isinstance(value, str | Path):
        frame = loader(value, **kw) if value is not None else loader(**kw)
        report = frame.attrs.get("report")
        sources = report.source.split(" + ") if report is not None else [str(value)]
        entries = [{"file": Path(s).name, "sha256": _sha256(Path(s))}
                   for s in sources if Path(s).is_file()]
        files[key] = entries[0] if len(entries) == 1 else {
            "file": " + ".join(e["file"] for e in entries),
            "sha256": _combined_hash([e["sha256"] for e in entries]),
            "parts": entries,
        }
        if report is not None:  # rows read / kept and warnings by kind, for the record
            files[key]["load"] = {k: v for k, v in report.to_dict().items() if k != "source"}
        return _without_attrs(frame)
    files[key] = {"file": "<in memory>", "sha256": None}
    return _without_attrs(value)


def _without_attrs(frame):
    """A shallow copy without ``attrs``: pandas deep-copies ``attrs`` (load reports,
    rejected rows) on every derived frame, which costs more than the audit itself."""
    out = frame.copy(deep=False)
    out.attrs = {}
    return out


def _combined_hash(hashes: list[str]) -> str:
    """One SHA-256 standing for several files (hash of their hashes, in order)."""
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()


def audit(
    departement: str = "05",
    *,
    roads: str | Path | Any = None,
    sites: str | Path | gpd.GeoDataFrame | None = None,
    communes: str | Path | gpd.GeoDataFrame | None = None,
    broadband: str | Path | pd.DataFrame | bool | None = None,
    mediation: str | Path | gpd.GeoDataFrame | bool | None = None,
    threshold: float = 30,
    kinds: tuple[str, ...] | list[str] | None = None,
    profile: Any = None,
    cache: bool | str | Path = True,
    progress: bool = False,
) -> Audit:
    """Audit the "< N minutes to a France Services" promise, commune by commune.

    Parameters
    ----------
    departement : str
        Département code (``"05"``, ``"2A"``, ``"974"``).
    roads : path or RoadNetwork, optional
        Road file (Geofabrik roads layer, ``.osm.pbf``, ``.osm``) or a built
        network. Default: the embedded roads of 05, or ``../shared/data/roads``.
    sites : path or GeoDataFrame, optional
        France Services list. Default: the embedded national list (every site
        the roads reach is used, across the border too).
    communes : path or GeoDataFrame, optional
        Communes with ``code_insee``, ``nom``, ``population`` and polygons.
        Default: :func:`proximite.load_communes` for the département.
    broadband : path, DataFrame or False, optional
        Broadband by commune; default the embedded file for 05, none elsewhere.
    mediation : path, GeoDataFrame or False, optional
        Mediation venues; default the embedded PACA file for PACA départements.
    threshold : float
        Minutes promised (30).
    kinds : sequence of str, optional
        Keep only these kinds of France Services (``"fixed"``, ``"antenna"``,
        ``"itinerant"``); default all. Buses and itinerant services are counted
        at their listed base, so ``kinds=("fixed", "antenna")`` tests the promise
        on permanent desks only.
    profile : SpeedProfile, optional
        Car speed profile; default :meth:`SpeedProfile.default`.
    cache : bool or path
        Network cache (see :meth:`RoadNetwork.from_file`).
    progress : bool
        Show a progress bar over the steps.

    Returns
    -------
    Audit
        ``.communes``, ``.sites``, ``.summary``, ``.save(directory)``...

    Examples
    --------
    >>> import proximite
    >>> a = proximite.audit("05")
    >>> a.summary["population"], len(a.communes)
    (143467, 162)
    >>> a.summary["population_within_30"] <= a.summary["population"]
    True
    """
    from proximite.network import RoadNetwork
    from proximite.sources import load_broadband, load_france_services, load_mediation_venues

    departement = str(departement).strip().upper()
    if departement.isdigit() and len(departement) == 1:
        departement = "0" + departement
    if threshold is None or not np.isfinite(threshold) or threshold <= 0:
        raise InputError(f"threshold must be a positive number of minutes, got {threshold!r}")
    files: dict[str, dict] = {}
    names = ["communes", "France Services", "réseau routier", "haut débit / médiation",
             "temps d'accès", "indicateurs"]
    with steps(names, enabled=progress, desc=f"audit {departement}") as bar:
        bar.start(names[0])
        com = _load(communes, lambda p=None: _communes_from(p, departement), files,
                    "communes")
        _check_communes(com)
        bar.start(names[1])
        fs = _select_kinds(_load(sites, load_france_services, files, "sites"), kinds)
        bar.start(names[2])
        if isinstance(roads, RoadNetwork):
            network = roads
            files["roads"] = {"file": "<network>", "sha256": network.source_hash}
        else:
            road_path = Path(roads) if roads is not None else default_roads(departement)
            if not road_path.exists():
                raise InputError("road file not found", path=road_path)
            network = RoadNetwork.from_file(road_path, profile=profile, cache=cache)
            files["roads"] = {"file": road_path.name, "sha256": network.source_hash}
        bar.start(names[3])
        bb = None
        if broadband is not False and (broadband is not None or departement == "05"):
            bb = _load(broadband, lambda p=None: load_broadband(p, departement=departement),
                       files, "broadband")
        med = None
        if mediation is not False and (mediation is not None or departement in PACA):
            med = _load(mediation, lambda p=None: load_mediation_venues(p), files, "mediation")
        bar.start(names[4])
        result = _run(departement, threshold, network, com, fs, bb, med, files)
        bar.start(names[5])
    return result


def _communes_from(path: str | Path | None, departement: str) -> gpd.GeoDataFrame:
    """Communes from a ready-made polygon layer (code + population), or the COG JSON."""
    from proximite.sources import load_communes, read_commune_layer
    from proximite.sources.communes import LAYER_SUFFIXES

    if path is not None and str(path).lower().endswith(LAYER_SUFFIXES):
        return read_commune_layer(path, departement)
    return load_communes(departement, path=path)


def _select_kinds(fs: gpd.GeoDataFrame, kinds) -> gpd.GeoDataFrame:
    """Keep the France Services of the given kinds (all when ``kinds`` is None)."""
    if kinds is None:
        return fs
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = sorted(set(kinds) - set(SITE_KINDS))
    if unknown:
        raise InputError(f"unknown site kind(s) {', '.join(unknown)}; expected some of "
                         f"{', '.join(SITE_KINDS)}", field="kinds")
    if "kind" not in fs:
        raise InputError("sites have no 'kind' column to select on", field="kinds")
    return fs[fs["kind"].isin(kinds)]


def _prepare_sites(fs: gpd.GeoDataFrame, com: gpd.GeoDataFrame,
                   departement: str) -> gpd.GeoDataFrame:
    """Sites with a point, an id, a name and a département (filled in when missing).

    A table of bare points is accepted: ``id_fs`` becomes ``site-1``, ``site-2``...,
    ``lib_fs`` the id, ``kind`` "fixed", and ``departement`` the audited one for
    points inside its communes, "?" (outside) for the others.
    """
    if not isinstance(fs, gpd.GeoDataFrame) or fs.crs is None:
        raise InputError("sites must be a point layer with a CRS")
    fs = fs[fs.geometry.notna() & ~fs.geometry.is_empty].copy()
    if len(fs) and not (fs.geometry.geom_type == "Point").all():
        raise InputError("sites must be points", field="geometry")
    if "id_fs" not in fs:
        fs["id_fs"] = [f"site-{i + 1}" for i in range(len(fs))]
    fs["id_fs"] = fs["id_fs"].astype(str)
    if "lib_fs" not in fs:
        fs["lib_fs"] = fs["id_fs"]
    if "kind" not in fs:
        fs["kind"] = "fixed"
    if "departement" not in fs:
        inside = gpd.sjoin(fs[["geometry"]], com[["geometry"]].to_crs(fs.crs),
                           how="left", predicate="within")
        hit = inside[~inside.index.duplicated()]["index_right"].notna()
        fs["departement"] = np.where(hit.reindex(fs.index).to_numpy(), departement, "?")
    return fs


def _check_communes(com: gpd.GeoDataFrame) -> None:
    missing = [c for c in ("code_insee", "population", "geometry") if c not in com.columns]
    if missing:
        raise InputError(f"communes table lacks column(s) {', '.join(missing)}")
    if com.crs is None:
        raise InputError("communes table has no CRS")
    if len(com) == 0:
        raise InputError("no commune to audit")


def _run(departement, threshold, network, com, fs, bb, med, files) -> Audit:
    """Compute the audit from loaded inputs (shared by :func:`audit` and ``with_sites``)."""
    from proximite import access

    com = com.sort_values("code_insee", kind="stable").reset_index(drop=True)
    if "nom" not in com:
        com["nom"] = com["code_insee"]
    if "departement" not in com:
        com["departement"] = departement
    com["population"] = pd.to_numeric(com["population"]).fillna(0).astype(np.int64)

    fs_valid = _prepare_sites(fs, com, departement)
    skipped_sites = len(fs) - len(fs_valid)
    snap = network.snap(fs_valid)
    reached = np.asarray(snap[0]) >= 0
    used = fs_valid[reached].copy()
    used = used.sort_values("id_fs", kind="stable").reset_index(drop=True)
    if len(used) == 0:
        raise InputError("no France Services site is reachable on the given roads")
    used["outside_departement"] = used["departement"].astype(str) != departement

    speed = network.profile.access_speed_kmh
    near = access.nearest(network, used)
    points = place_population(com, network)
    seconds, site = point_times(near.seconds, near.site, points["node"].to_numpy(),
                                points["access_m"].to_numpy(), speed)
    points["seconds"] = seconds
    points["site"] = site
    per = commune_metrics(points, seconds, site, threshold)

    out = com.set_index("code_insee")
    methods = points.groupby("code_insee")["method"].first()
    out["population_method"] = methods.reindex(out.index)
    for col in ("minutes_fs", "minutes_fs_max", "share_within_threshold",
                "unreachable_population"):
        out[col] = per[col].reindex(out.index)
    out["beyond_threshold"] = out["share_within_threshold"].fillna(0) < BEYOND_SHARE
    idx = per["nearest_site"].reindex(out.index).fillna(-1).astype(np.int64).to_numpy()
    has = idx >= 0
    for col, src in (("nearest_fs_id", "id_fs"), ("nearest_fs_name", "lib_fs"),
                     ("nearest_fs_departement", "departement")):
        vals = np.full(len(out), None, dtype=object)
        vals[has] = used[src].astype(str).to_numpy()[idx[has]]
        out[col] = vals
    out["served_across_border"] = has & (out["nearest_fs_departement"] != departement)

    # mediation: nearest venue offering help with administrative procedures
    med_used = None
    minutes_med_raw = pd.Series(np.nan, index=out.index)
    if med is not None and len(med):
        med_admin = med[med["admin_help"].astype(bool)] if "admin_help" in med else med
        med_admin = med_admin[med_admin.geometry.notna() & ~med_admin.geometry.is_empty]
        msnap = network.snap(med_admin)
        med_used = med_admin[np.asarray(msnap[0]) >= 0].reset_index(drop=True)
        if len(med_used):
            mnear = access.nearest(network, med_used)
            msec, msite = point_times(mnear.seconds, mnear.site, points["node"].to_numpy(),
                                      points["access_m"].to_numpy(), speed)
            mper = commune_metrics(points, msec, msite, threshold)
            minutes_med_raw = mper["minutes_fs"].reindex(out.index)
            minutes_med_raw = minutes_med_raw.fillna(np.inf)
    out["minutes_mediation"] = minutes_med_raw.where(np.isfinite(minutes_med_raw))

    if bb is not None and len(bb):
        b = bb.drop_duplicates("code_insee").set_index("code_insee")
        out["share_30mbps"] = b["share_30mbps"].reindex(out.index).astype(float)
        out["share_ftth"] = b["share_ftth"].reindex(out.index).astype(float)
    else:
        out["share_30mbps"] = np.nan
        out["share_ftth"] = np.nan
    out["double_fracture"] = out["beyond_threshold"] & (
        out["share_30mbps"].fillna(1.0) < POOR_BROADBAND_SHARE)
    unreachable = out["minutes_fs"].isna()
    out["fragility"] = fragility_score(out["minutes_fs"], out["share_30mbps"], minutes_med_raw,
                                       unreachable)
    out = out.reset_index()
    communes = gpd.GeoDataFrame(out[[*COMMUNE_COLUMNS, "geometry"]], geometry="geometry",
                                crs=com.crs).to_crs("EPSG:4326")

    # sites: population served (from the audited communes)
    served = pd.Series(points["population"].to_numpy(), index=points["site"].to_numpy())
    served = served[served.index >= 0].groupby(level=0).sum()
    used["population_served"] = served.reindex(range(len(used))).fillna(0.0).to_numpy()
    used = used.to_crs("EPSG:4326")

    iso = access.service_areas(network, near.seconds, minutes=ISOCHRONE_MINUTES,
                               resolution_m=ISOCHRONE_RESOLUTION_M)
    # the contours are grid staircases: the fast (non topology-preserving) simplification
    # is enough, and repaired in the rare case it yields an invalid polygon
    simple = shapely.simplify(iso.geometry.to_numpy(), ISOCHRONE_RESOLUTION_M / 2,
                              preserve_topology=False)
    iso["geometry"] = np.where(shapely.is_valid(simple), simple, shapely.make_valid(simple))
    iso = iso.to_crs("EPSG:4326")

    summary = _summary(departement, threshold, communes, points, used, network, files,
                       skipped_sites, med_used)
    inputs = {"communes": com, "sites": fs, "broadband": bb, "mediation": med, "files": files}
    return Audit(departement=departement, threshold=threshold, communes=communes, sites=used,
                 population=points, isochrones=iso,
                 mediation=None if med_used is None else med_used.to_crs("EPSG:4326"),
                 summary=summary, network=network, inputs=inputs)


def _summary(departement, threshold, communes, points, used, network, files, skipped_sites,
             med_used) -> dict[str, Any]:
    total = int(communes["population"].sum())
    figures = population_figures(points["population"].to_numpy(float),
                                 points["seconds"].to_numpy(float) / 60.0, threshold)
    profile = network.profile
    return {
        "departement": departement,
        "departement_nom": departement_name(departement),
        "method": "network",
        "threshold_minutes": threshold,
        "site_kinds": sorted(used["kind"].dropna().unique().tolist()) if "kind" in used else None,
        "population": total,
        **{k: v for k, v in figures.items() if k != "unreachable_population"},
        "communes": len(communes),
        "communes_beyond_threshold": int(communes["beyond_threshold"].sum()),
        "communes_double_fracture": int(communes["double_fracture"].sum()),
        "unreachable_population": figures["unreachable_population"],
        "sites_used": len(used),
        "sites_outside_departement": int(used["outside_departement"].sum()),
        "sites_serving": int((used["population_served"] > 0).sum()),
        "sites_without_coordinates": int(skipped_sites),
        "mediation_venues_used": 0 if med_used is None else len(med_used),
        "population_methods": {k: int(v) for k, v in
                               communes["population_method"].value_counts().sort_index().items()},
        "inputs": files,
        "speed_profile": profile.to_dict(),
        "speed_profile_hash": profile.hash(),
    }

