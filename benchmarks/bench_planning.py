"""Benchmark: optimal MCLP (HiGHS) vs spopt (PuLP + CBC) and greedy, on the real 05.

Run from the repository root::

    python benchmarks/bench_planning.py [--k 3] [--quick]

For each candidate set (mediation venues, commune centres) it prints, on the
same candidate x population travel-time matrix:

- our exact MCLP (existing France Services fixed) time and objective;
- spopt's MCLP on the same matrix restricted to the demand not yet covered
  (spopt has no notion of existing sites; the rest of the demand adds nothing);
- spopt's MCLP on the full matrix with the existing sites as
  ``predefined_facilities_arr`` (equal terms; slow to build in PuLP);
- the lazy greedy heuristic's time, objective and bound;
- a harder greenfield instance (no existing site, every population point,
  commune centres as candidates), ours vs spopt on the same matrix.

Goal: optimal <= 5 s and >= 5x faster than spopt.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def spopt_mclp(cost: np.ndarray, w: np.ndarray, radius: float, p: int,
               predefined: np.ndarray | None = None) -> tuple[float, float]:
    """Objective and wall time of spopt's MCLP (model build + CBC solve)."""
    import pulp
    from spopt.locate import MCLP

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=p,
                                      predefined_facilities_arr=predefined)
        model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    return float(model.problem.objective.value()), time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="skip the slow spopt runs on the full matrix (predefined "
                        "facilities, greenfield)")
    args = parser.parse_args()

    from proximite import access
    from proximite.auditing import audit
    from proximite.planning import mclp
    from proximite.planning.plan import candidate_sites, plan_matrix

    t0 = time.perf_counter()
    a = audit("05")
    print(f"audit 05: {time.perf_counter() - t0:.1f} s, {len(a.population)} population points, "
          f"{len(a.sites)} France Services, threshold {a.threshold:g} min")
    limit = a.threshold * 60
    pop = a.population
    w = pop["population"].to_numpy(float)
    existing = pop["seconds"].to_numpy(float)
    todo = ~(existing <= limit)
    print(f"  population not yet within {a.threshold:g} min: {w[todo].sum():.1f} "
          f"({todo.sum()} points)")
    exist_od = None
    for label in ("mediation", "communes"):
        cands = candidate_sites(a, label)
        t0 = time.perf_counter()
        times = plan_matrix(a, cands, limit)
        t_matrix = time.perf_counter() - t0
        print(f"\n[{label}] {len(cands)} candidates, matrix {times.shape[0]} x {times.shape[1]}"
              f" ({times.nnz} pairs within {a.threshold:g} min) in {t_matrix:.2f} s, k={args.k}")
        ours = mclp(w, times, existing, limit, args.k)
        print(f"  ours   HiGHS  : {ours.runtime:8.3f} s  objective {ours.objective:12.3f}  "
              f"{ours.status} ({ours.solver}), sites {ours.chosen.tolist()}")
        greedy = mclp(w, times, existing, limit, args.k, solver="greedy")
        print(f"  ours   greedy : {greedy.runtime:8.3f} s  objective {greedy.objective:12.3f}  "
              f"{greedy.status}, bound {greedy.bound:.3f}")
        coo = times.tocoo()
        dense = np.full(times.shape, np.inf)
        dense[coo.row, coo.col] = coo.data
        p = min(args.k, len(cands))
        obj, sec = spopt_mclp(dense[:, todo].T, w[todo], limit, p)
        print(f"  spopt  CBC    : {sec:8.3f} s  objective {obj:12.3f}  "
              f"(not-yet-covered demand)  -> ours {sec / ours.runtime:.1f}x faster, "
              f"{'same' if abs(obj - ours.objective) < 1e-6 else 'DIFFERENT'} objective")
        if not args.quick:
            if exist_od is None:
                exist_od = access.od_matrix(a.network, pop, a.sites, cutoff=limit).T.tocoo()
            n_e = exist_od.shape[0]
            cost = np.full((len(pop), n_e + len(cands)), np.inf)
            cost[exist_od.col, exist_od.row] = exist_od.data
            cost[:, n_e:] = dense.T
            predefined = np.r_[np.ones(n_e), np.zeros(len(cands))].astype(int)
            obj, sec = spopt_mclp(cost, w, limit, n_e + p, predefined)
            already = w[(cost[:, :n_e] <= limit).any(axis=1)].sum()
            print(f"  spopt  CBC    : {sec:8.3f} s  objective {obj - already:12.3f}  "
                  f"(full matrix, {n_e} existing sites predefined)  -> ours "
                  f"{sec / ours.runtime:.1f}x faster, "
                  f"{'same' if abs(obj - already - ours.objective) < 1e-6 else 'DIFFERENT'}"
                  " objective")

    # a harder instance: no existing site (greenfield), every population point
    cands = candidate_sites(a, "communes")
    times = plan_matrix(a, cands, limit)
    for k in (5, 10):
        ours = mclp(w, times, None, limit, k)
        greedy = mclp(w, times, None, limit, k, solver="greedy")
        print(f"\n[greenfield communes, k={k}] ours HiGHS {ours.runtime:.3f} s objective "
              f"{ours.objective:.1f} {ours.status} ({ours.details['demand_groups']} demand "
              f"groups); greedy {greedy.runtime:.3f} s objective {greedy.objective:.1f} "
              f"(gap bound {greedy.gap:.2%})")
        if not args.quick and k == 5:
            coo = times.tocoo()
            dense = np.full(times.shape, np.inf)
            dense[coo.row, coo.col] = coo.data
            obj, sec = spopt_mclp(dense.T, w, limit, k)
            print(f"  spopt CBC {sec:.3f} s objective {obj:.1f} on the same {dense.shape[1]} x "
                  f"{dense.shape[0]} matrix -> ours {sec / ours.runtime:.1f}x faster, "
                  f"{'same' if abs(obj - ours.objective) < 1e-6 else 'DIFFERENT'} objective")


if __name__ == "__main__":
    main()
