"""``proximite batch``: audits of many départements on Dask, with a national summary."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from proximite.progress import progress_enabled

if TYPE_CHECKING:
    import pandas as pd


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``batch`` sub-command."""
    p = sub.add_parser(
        "batch",
        help="audit many départements (Dask), with a national summary",
        description="One audit per département with a road file; a straight-line screening "
        "estimate (method 'estimate', detour factor calibrated on the audited départements) "
        "for the others. Re-runs skip unchanged départements (out/manifest.json).",
    )
    p.add_argument("--departements", "-d", default=None,
                   help="comma-separated codes (05,83) or 'all'")
    p.add_argument("--all", action="store_true", help="every département of the COG")
    p.add_argument("--roads-dir", type=Path, default=None,
                   help="folder of road files (default ../shared/data/roads; 05 embedded)")
    p.add_argument("--out", type=Path, default=Path("outputs") / "batch",
                   help="output folder (default outputs/batch)")
    p.add_argument("--workers", type=int, default=2,
                   help="worker processes of the local Dask cluster (default 2)")
    p.add_argument("--scheduler", default=None,
                   help="address of an existing Dask scheduler (tcp://host:8786)")
    p.add_argument("--threshold", type=float, default=30.0, help="minutes promised (30)")
    p.add_argument("--no-maps", action="store_true",
                   help="skip map.html, map.png, report.html of each audit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the batch, print one line per département; non-zero exit if any failed."""
    from proximite.batch import batch_audit

    if args.all:
        deps = "all"
    elif args.departements:
        deps = args.departements
    else:
        print("proximite batch: error: give --departements CODES or --all", file=sys.stderr)
        return 2
    if args.workers < 1:
        print("proximite batch: error: --workers must be >= 1", file=sys.stderr)
        return 2
    table = batch_audit(deps, roads_dir=args.roads_dir, out=args.out, workers=args.workers,
                        scheduler=args.scheduler, threshold=args.threshold,
                        maps=not args.no_maps, progress=progress_enabled(args.quiet))
    print(format_table(table, args.threshold))
    failed = table.attrs.get("failed", {})
    for dep, message in sorted(failed.items()):
        print(f"proximite batch: {dep} failed: {message}", file=sys.stderr)
    print(f"Synthèse nationale : {args.out}/index.html, summary.csv, summary.parquet, "
          "calibration.json, manifest.json")
    return 1 if failed else 0


def format_table(table: pd.DataFrame, threshold: float) -> str:
    """One line per département, then the totals and the screening note."""
    lines = []
    for rec in table.to_dict("records"):
        share = rec.get("share_within_threshold")
        share_txt = (f"{100 * share:5.1f} %" if isinstance(share, float)
                     and math.isfinite(share) else "   n/a")
        pop = rec.get("population")
        pop_txt = f"{int(pop):>10,}".replace(",", " ") if isinstance(pop, int | float) and \
            math.isfinite(pop) else " " * 10
        lines.append(f"{rec['departement']:>4} {rec['method']:<8} {rec['status']:<7} "
                     f"{pop_txt} hab.  {share_txt} à moins de {threshold:g} min")
    screened = table.attrs.get("screened") or []
    cal = table.attrs.get("calibration") or {}
    if screened:
        lines.append(
            f"Estimation à vol d'oiseau (pas de fichier de routes) pour {len(screened)} "
            f"département(s) : facteur de détour {cal.get('factor')} à "
            f"{cal.get('speed_kmh'):g} km/h, {cal.get('label')}"
            + (f" (erreur absolue moyenne {cal['overall'].get('mae_minutes')} min, "
               f"{100 * (cal['overall'].get('flag_mismatch_share') or 0):.1f} % de communes "
               "classées différemment)" if cal.get("calibrated") else ""))
    totals = table.attrs.get("totals", {}).get("all")
    if totals and totals.get("share_within_threshold") is not None:
        lines.append(f"Total : {totals['population']:,} habitants, ".replace(",", " ")
                     + f"{100 * totals['share_within_threshold']:.1f} % à moins de "
                     f"{threshold:g} min")
    return "\n".join(lines)
