"""``proximite plan``: where would new France Services cover the most people?"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from proximite.cli.audit import _n
from proximite.progress import progress_enabled


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plan`` sub-command."""
    p = sub.add_parser(
        "plan",
        help="choose new France Services sites (MCLP / LSCP / p-median)",
        description="Audit a département, then choose where new France Services would help "
        "most, the existing ones staying open. Candidates: mediation venues (default), "
        "commune centres or a file of points. Writes plan.csv and plan_summary.json.",
    )
    p.add_argument("--departement", "-d", default="05", help="département code (default 05)")
    p.add_argument("--k", type=int, help="number of new sites (mclp, pmedian)")
    p.add_argument("--method", choices=("mclp", "lscp", "pmedian"), default="mclp",
                   help="mclp: most people newly within the threshold (default); lscp: fewest "
                   "sites covering everyone reachable; pmedian: lowest average travel time")
    p.add_argument("--candidates", default="mediation",
                   help="mediation (default), communes, or a file of candidate points")
    p.add_argument("--threshold", type=float, default=30.0, help="minutes promised (30)")
    p.add_argument("--solver", choices=("highs", "greedy"), default="highs",
                   help="exact integer program (highs, default) or greedy heuristic")
    p.add_argument("--time-limit", type=float, default=60.0,
                   help="seconds given to the exact solver (60)")
    p.add_argument("--roads", type=Path, help="road file (Geofabrik roads, .osm.pbf, .osm)")
    p.add_argument("--no-verify", action="store_true",
                   help="do not re-run the audit with the chosen sites")
    p.add_argument("--out", type=Path, help="output folder (default outputs/<dep>/)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Audit, plan, write the files and print a short summary."""
    from proximite.auditing import audit
    from proximite.errors import InputError
    from proximite.planning import plan_sites

    if args.method != "lscp" and args.k is None:
        raise InputError(f"--k is required with --method {args.method}")
    candidates: Any = args.candidates
    if candidates not in ("mediation", "communes"):
        candidates = Path(candidates)
    result = audit(args.departement, roads=args.roads, threshold=args.threshold,
                   progress=progress_enabled(args.quiet))
    plan = plan_sites(result, k=args.k, method=args.method, candidates=candidates,
                      solver=args.solver, time_limit=args.time_limit,
                      verify=not args.no_verify)
    out = args.out or Path("outputs") / result.departement
    written = plan.save(out)
    print(format_plan(plan))
    print(f"Fichiers écrits dans {out}/ : " + ", ".join(sorted(p.name for p in written.values())))
    return 0


def format_plan(plan: Any) -> str:
    """A few human lines describing a :class:`~proximite.planning.PlanResult`."""
    labels = {
        "mclp": "couverture maximale",
        "lscp": "couverture complète au moindre nombre de sites",
        "pmedian": "temps moyen minimal (p-médiane)",
    }
    gap = "" if plan.status == "optimal" else (
        f", écart {100 * plan.gap:.2f} %" if math.isfinite(plan.gap) else ", sans borne")
    lines = [
        f"Plan {plan.method} ({labels[plan.method]}) — {len(plan.sites)} nouveau(x) site(s), "
        f"seuil {plan.threshold:g} min, {plan.status} ({plan.solver}{gap})",
    ]
    for row in plan.sites.itertuples():
        lines.append(f"  {row.rank}. {row.name} ({row.code_insee}) : "
                     f"+{_n(row.population_gained)} habitants à moins de "
                     f"{plan.threshold:g} min")  # names keep their commas
    before = plan.before.get("population_within_threshold")
    after = plan.after.get("population_within_threshold")
    total = plan.before.get("population")
    if before is not None and after is not None and total:
        lines.append(f"  population à moins de {plan.threshold:g} min : "
                     f"{_n(before)} ({100 * before / total:.1f} %) -> "
                     f"{_n(after)} ({100 * after / total:.1f} %)")
    if plan.method == "pmedian":
        lines.append(f"  temps pondéré total : {_n(plan.objective)} personnes-minutes")
    return "\n".join(lines)
