"""``proximite audit``: the commune audit of one département."""

from __future__ import annotations

import argparse
from pathlib import Path

from proximite.errors import InputError
from proximite.progress import progress_enabled


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``audit`` sub-command."""
    p = sub.add_parser(
        "audit",
        help="test the '< 30 minutes to a France Services' promise, commune by commune",
        description="Audit a département: car travel time from every commune's population "
        "to the nearest France Services (sites across the border count).",
    )
    p.add_argument("--departement", "-d", default="05", help="département code (default 05)")
    p.add_argument("--roads", type=Path, help="road file (Geofabrik roads, .osm.pbf, .osm)")
    p.add_argument("--sites", type=Path, help="France Services CSV (official format)")
    p.add_argument("--communes", type=Path,
                   help="communes: a polygon layer (.gpkg, .geojson, .shp, .fgb, .parquet) with "
                   "code_insee and population, or a COG JSON (boundaries then embedded)")
    p.add_argument("--broadband", type=Path, help="broadband by commune (ARCEP JSON or CSV)")
    p.add_argument("--mediation", type=Path, help="mediation venues (JSON or CSV)")
    p.add_argument("--threshold", type=float, default=30.0, help="minutes promised (30)")
    p.add_argument("--kinds", help="only these kinds of sites, comma-separated: "
                   "fixed,antenna,itinerant (default all)")
    p.add_argument("--out", type=Path, help="output folder (default outputs/<dep>/)")
    p.add_argument("--no-maps", action="store_true", help="skip map.html, map.png, report.html")
    p.add_argument("--tiles", help="basemap tile URL for map.html (none by default: the map "
                   "then needs no network), e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    p.add_argument("--tiles-attribution", help="attribution of --tiles (required with it)")
    p.add_argument("--no-cache", action="store_true", help="rebuild the road network")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the audit, write its files and print a short summary."""
    from proximite.auditing import audit

    if args.tiles and not args.tiles_attribution:
        raise InputError("--tiles needs --tiles-attribution (the tile provider's credit line)",
                         field="--tiles-attribution")
    result = audit(
        args.departement,
        roads=args.roads,
        sites=args.sites,
        communes=args.communes,
        broadband=args.broadband,
        mediation=args.mediation,
        threshold=args.threshold,
        kinds=args.kinds.split(",") if args.kinds else None,
        cache=not args.no_cache,
        progress=progress_enabled(args.quiet),
    )
    out = args.out or Path("outputs") / result.departement
    written = result.save(out, maps=not args.no_maps, tiles=args.tiles,
                          attribution=args.tiles_attribution)
    print(format_summary(result.summary))
    print(f"Fichiers écrits dans {out}/ : " + ", ".join(sorted(p.name for p in written.values())))
    return 0


def _n(x: float) -> str:
    """A number the French way: thin groups of thousands, no decimals."""
    return f"{x:,.0f}".replace(",", "\u202f")


def _dep_label(s: dict) -> str:
    name = s.get("departement_nom")
    return f"{name} ({s['departement']})" if name else f"Département {s['departement']}"


def format_summary(s: dict) -> str:
    """A few human lines from an audit summary."""
    pop = s["population"]

    def pct(x: float) -> str:
        return f"{100 * x / pop:.1f} %".replace(".", ",") if pop else "n/a"

    thr = s.get("threshold_minutes", 30)
    return "\n".join([
        f"{_dep_label(s)} — {_n(pop)} habitants, {s['communes']} communes",
        f"  à moins de 20 min d'une France services : {_n(s['population_within_20'])} "
        f"({pct(s['population_within_20'])})",
        f"  à moins de 30 min d'une France services : {_n(s['population_within_30'])} "
        f"({pct(s['population_within_30'])})",
        f"  communes au-delà de {thr:g} min (moins de la moitié de la population) : "
        f"{s['communes_beyond_threshold']}",
        f"  population sans accès routier : {_n(s['unreachable_population'])}",
        f"  France services utilisées : {s['sites_used']} "
        f"(dont {s['sites_outside_departement']} hors du département)",
    ])
