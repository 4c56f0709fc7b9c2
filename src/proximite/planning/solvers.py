"""Exact and greedy solvers for siting new sites next to existing ones.

Everything here works on plain matrices, independently of the road network:

- ``weights`` (n_demand,): population of each demand point;
- ``times``: a ``scipy.sparse`` candidate x demand matrix of travel times in
  seconds, holding only the pairs within the engine cutoff (a missing entry
  means *beyond the cutoff*; an explicit ``0`` is a real zero-second trip);
- ``existing`` (n_demand,): the best time from each demand point to the
  existing sites (``inf`` when none), which stay **fixed**: a plan extends a
  network, it never closes a site.

Three models are offered, each solved exactly as an integer program with HiGHS
(``solver="highs"``) or by a lazy greedy heuristic (``solver="greedy"``):

:func:`mclp`
    Maximal covering: ``k`` new sites maximising the population *newly* brought
    within the threshold (demand already covered contributes nothing).
:func:`lscp`
    Set covering: the fewest new sites bringing every reachable, not yet
    covered demand point within the threshold; demand no candidate reaches is
    reported as uncoverable instead of making the model infeasible.
:func:`pmedian`
    ``k`` new sites minimising the population-weighted travel time, each demand
    point using the faster of its existing site and the chosen candidates.

The formulations stay sparse: demand points with identical columns are merged
(their weights summed), coverage variables exist only for not yet covered
demand that at least one candidate reaches, and p-median assignment variables
only for (candidate, demand) pairs that improve on the existing time.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from proximite.errors import InputError

__all__ = ["METHODS", "SOLVERS", "Solution", "lscp", "mclp", "pmedian", "solve"]

#: Location models understood by :func:`solve`.
METHODS = ("mclp", "lscp", "pmedian")
#: Solvers understood by every model.
SOLVERS = ("highs", "greedy")

#: Default cap on the integer program size (constraint matrix non-zeros) above
#: which ``solver="highs"`` falls back to the greedy heuristic.
MAX_NONZEROS = 5_000_000


@dataclass
class Solution:
    """The outcome of one siting model.

    Attributes
    ----------
    method : str
        ``"mclp"``, ``"lscp"`` or ``"pmedian"``.
    chosen : ndarray of int
        Indices (rows of the time matrix) of the chosen candidates, in order of
        decreasing marginal gain (the greedy order among the chosen set).
        Candidates that would add nothing are never listed.
    gains : ndarray of float
        Marginal gain of each chosen site in that order: population newly
        covered (``mclp``, ``lscp``) or person-seconds saved (``pmedian``).
    objective : float
        ``mclp``: population newly covered; ``lscp``: number of new sites;
        ``pmedian``: total population-weighted time in person-seconds (after).
    status : str
        ``"optimal"`` (proven), ``"time_limit"`` (best solution found when the
        time limit stopped HiGHS) or ``"heuristic"`` (greedy, not proven).
    gap : float
        Relative gap ``|objective - bound| / |objective|``: ``0.0`` when
        proven optimal, ``nan`` when no bound is known.
    solver : str
        ``"highs"``, ``"greedy"``, ``"highs+greedy"`` (time limit hit and the
        greedy solution was better) or ``"none"`` (trivial instance).
    runtime : float
        Wall-clock seconds, preparation included.
    bound : float
        Best proven bound on the objective (``nan`` when unknown).
    uncoverable : ndarray of int
        Demand points that nothing can help: for ``mclp``/``lscp`` the not yet
        covered demand (positive weight) no candidate reaches within the
        threshold; for ``pmedian`` the demand with no finite time anywhere
        (excluded from the objective).
    message : str
        Why a fallback happened, if it did.
    details : dict
        Model statistics (already covered and uncoverable population, number of
        merged demand groups, variables, non-zeros, ...).
    """

    method: str
    chosen: NDArray[np.int64]
    gains: NDArray[np.float64]
    objective: float
    status: str
    gap: float
    solver: str
    runtime: float
    bound: float = math.nan
    uncoverable: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def k(self) -> int:
        """Number of chosen sites."""
        return len(self.chosen)

    def __repr__(self) -> str:
        return (
            f"Solution(method={self.method!r}, chosen={self.chosen.tolist()}, "
            f"objective={self.objective:.6g}, status={self.status!r}, gap={self.gap:.3g}, "
            f"solver={self.solver!r}, runtime={self.runtime:.3f}s)"
        )


# ---------------------------------------------------------------------------
# input checks and preparation
# ---------------------------------------------------------------------------


def _check_inputs(
    weights: ArrayLike, times: Any, existing: ArrayLike | None
) -> tuple[NDArray[np.float64], sp.csr_matrix, NDArray[np.float64]]:
    """Validate and normalise the common inputs.

    Returns float weights, a canonical CSR time matrix (sorted indices, one
    entry per pair, the smallest when duplicated) and existing times
    (``inf`` where there is no existing site; a boolean array means
    covered = ``0`` seconds, not covered = ``inf``).
    """
    w = np.asarray(weights, dtype=float).ravel()
    n_dem = len(w)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InputError("weights must be finite and non-negative", field="weights")
    if sp.issparse(times):
        if times.format == "csr" and times.has_canonical_format and times.shape[1] == n_dem:
            fast = _canonical_csr(times)
            if fast is not None:
                return w, fast, _existing(existing, n_dem)
        coo = sp.coo_matrix(times)
    else:
        dense = np.asarray(times, dtype=float)
        if dense.ndim != 2:
            raise InputError("times must be a 2-D candidate x demand matrix", field="times")
        keep = np.isfinite(dense)
        rows, cols = np.nonzero(keep)
        coo = sp.coo_matrix((dense[keep], (rows, cols)), shape=dense.shape)
    if coo.shape[1] != n_dem:
        raise InputError(
            f"times has {coo.shape[1]} demand columns but weights has {n_dem} entries",
            field="times",
        )
    data = np.asarray(coo.data, dtype=float)
    if np.any(np.isnan(data)) or np.any(data < 0):
        raise InputError("travel times must be non-negative numbers", field="times")
    finite = np.isfinite(data)
    row, col, data = coo.row[finite], coo.col[finite], data[finite]
    # one entry per pair (the fastest), explicit zeros kept
    n_cand = coo.shape[0]
    order = np.lexsort((data, col, row))
    row, col, data = row[order], col[order], data[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    row, col, data = row[first], col[first], data[first]
    indptr = np.zeros(n_cand + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_cand), out=indptr[1:])
    csr = sp.csr_matrix((data, col.astype(np.int64), indptr), shape=(n_cand, n_dem))
    return w, csr, _existing(existing, n_dem)


def _canonical_csr(times: sp.csr_matrix) -> sp.csr_matrix | None:
    """Fast path for an already canonical CSR matrix (the engine's output).

    Returns ``None`` when entries need cleaning (``inf`` / NaN / negative).
    """
    data = np.asarray(times.data, dtype=float)
    if not (np.all(np.isfinite(data)) and np.all(data >= 0)):
        return None
    return sp.csr_matrix(
        (data, times.indices.astype(np.int64), times.indptr.astype(np.int64)),
        shape=times.shape,
    )


def _existing(existing: ArrayLike | None, n_dem: int) -> NDArray[np.float64]:
    """Existing best times (``inf``: none); booleans mean covered (0 s) or not (inf)."""
    if existing is None:
        e = np.full(n_dem, np.inf)
    else:
        e_arr = np.asarray(existing).ravel()
        if len(e_arr) != n_dem:
            raise InputError(
                f"existing has {len(e_arr)} entries but weights has {n_dem}", field="existing"
            )
        e = np.where(e_arr, 0.0, np.inf) if e_arr.dtype == bool else e_arr.astype(float)
        e = np.where(np.isnan(e), np.inf, e)
        if np.any(e < 0):
            raise InputError("existing times must be non-negative", field="existing")
    return e


def _check_k(k: int) -> int:
    if k is None or int(k) != k or k < 0:
        raise InputError(f"k must be a non-negative integer, got {k!r}", field="k")
    return int(k)


def _check_solver(solver: str) -> str:
    if solver not in SOLVERS:
        raise InputError(f"unknown solver {solver!r}; expected one of {SOLVERS}", field="solver")
    return solver


def _merge_columns(
    mat: sp.csr_matrix, weights: NDArray[np.float64], *, with_values: bool
) -> tuple[sp.csr_matrix, NDArray[np.float64], NDArray[np.int64]]:
    """Merge identical demand columns, summing their weights.

    Parameters
    ----------
    mat : csr_matrix
        Candidate x demand matrix (sorted indices, no duplicates).
    weights : ndarray
        Weight of each demand column.
    with_values : bool
        Compare stored values too (``False``: the sparsity pattern only).

    Returns
    -------
    merged : csr_matrix
        Candidate x group matrix.
    group_weights : ndarray
        Summed weight of each group.
    group_of : ndarray of int
        Group index of every demand column.
    """
    csc = mat.tocsc()
    csc.sort_indices()
    keys: dict[bytes, int] = {}
    group_of = np.empty(csc.shape[1], dtype=np.int64)
    firsts: list[int] = []
    ind, val, ptr = csc.indices.astype(np.int64), csc.data, csc.indptr
    for j in range(csc.shape[1]):
        a, b = ptr[j], ptr[j + 1]
        key = ind[a:b].tobytes()
        if with_values:
            key += b"|" + val[a:b].tobytes()
        g = keys.setdefault(key, len(keys))
        if g == len(firsts):
            firsts.append(j)
        group_of[j] = g
    merged = csc[:, np.asarray(firsts, dtype=np.int64)].tocsr()
    merged.sort_indices()
    group_weights = np.bincount(group_of, weights=weights, minlength=len(firsts))
    return merged, group_weights, group_of


# ---------------------------------------------------------------------------
# lazy greedy (CELF)
# ---------------------------------------------------------------------------


class _Coverage:
    """Marginal gains for covering: population of newly covered groups."""

    def __init__(self, cover: sp.csr_matrix, weights: NDArray[np.float64]) -> None:
        self.cover, self.w = cover, weights
        self.covered = np.zeros(len(weights), dtype=bool)

    def _groups(self, i: int) -> NDArray[np.int64]:
        return self.cover.indices[self.cover.indptr[i] : self.cover.indptr[i + 1]]

    def gain(self, i: int) -> float:
        g = self._groups(i)
        return float(self.w[g[~self.covered[g]]].sum())

    def add(self, i: int) -> None:
        self.covered[self._groups(i)] = True

    def all_gains(self) -> NDArray[np.float64]:
        free = np.where(self.covered, 0.0, self.w)
        return np.asarray(self.cover @ free, dtype=float).ravel()


class _Savings:
    """Marginal gains for p-median: person-seconds saved over the current times."""

    def __init__(self, savings: sp.csr_matrix, weights: NDArray[np.float64]) -> None:
        self.s, self.w = savings, weights
        self.best = np.zeros(len(weights))

    def _slice(self, i: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        a, b = self.s.indptr[i], self.s.indptr[i + 1]
        return self.s.indices[a:b], self.s.data[a:b]

    def gain(self, i: int) -> float:
        g, s = self._slice(i)
        return float((self.w[g] * np.maximum(s - self.best[g], 0.0)).sum())

    def add(self, i: int) -> None:
        g, s = self._slice(i)
        self.best[g] = np.maximum(self.best[g], s)

    def all_gains(self) -> NDArray[np.float64]:
        coo = self.s.tocoo()
        extra = self.w[coo.col] * np.maximum(coo.data - self.best[coo.col], 0.0)
        return np.bincount(coo.row, weights=extra, minlength=self.s.shape[0])


def _celf(
    state: _Coverage | _Savings,
    candidates: ArrayLike,
    k: int,
    *,
    stop: Callable[[], bool] | None = None,
) -> tuple[list[int], list[float]]:
    """Lazy greedy selection (CELF priority queue of marginal gains).

    Picks, ``k`` times at most, the candidate with the largest marginal gain
    (ties: lowest index) and stops early when no candidate adds anything or
    when ``stop()`` says so. Valid for submodular gains (coverage, savings):
    a stale gain is an upper bound on the current one, so a candidate whose
    refreshed gain still tops the queue is the true best.

    Returns
    -------
    picks, gains : list of int, list of float
        Chosen candidates in order, and their marginal gains (non-increasing).
    """
    heap = [(-state.gain(int(i)), int(i), 0) for i in candidates]
    heapq.heapify(heap)
    picks: list[int] = []
    gains: list[float] = []
    rnd = 0
    while heap and len(picks) < k and not (stop is not None and stop()):
        neg, i, seen = heapq.heappop(heap)
        if seen == rnd:
            if -neg <= 0.0:
                break
            state.add(i)
            picks.append(i)
            gains.append(-neg)
            rnd += 1
        else:
            heapq.heappush(heap, (-state.gain(i), i, rnd))
    return picks, gains


def _online_bound(state: _Coverage | _Savings, value: float, k: int) -> float:
    """Upper bound on the best value of ``k`` sites (submodularity).

    ``f(S*) <= f(S) + sum of the k largest marginal gains with respect to S``.
    """
    extra = np.sort(state.all_gains())[::-1][:k]
    return float(value + extra[extra > 0].sum())


# ---------------------------------------------------------------------------
# HiGHS
# ---------------------------------------------------------------------------


@dataclass
class _MipResult:
    x: NDArray[np.float64] | None
    status: str
    objective: float
    bound: float
    gap: float
    sense_max: bool = True


def _solve_mip(
    cost: NDArray[np.float64],
    matrix: sp.csc_matrix,
    row_lower: NDArray[np.float64],
    row_upper: NDArray[np.float64],
    integer: NDArray[np.bool_],
    *,
    maximize: bool,
    offset: float = 0.0,
    start: NDArray[np.float64] | None = None,
    time_limit: float,
    mip_rel_gap: float,
) -> _MipResult:
    """Solve ``opt cost @ x + offset`` s.t. ``row_lower <= A x <= row_upper``, ``0 <= x <= 1``."""
    import highspy

    inf = highspy.kHighsInf
    n_col, n_row = len(cost), matrix.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(n_col)
    lp.col_upper_ = np.ones(n_col)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf)
    lp.offset_ = float(offset)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    matrix = sp.csc_matrix(matrix)
    matrix.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
        for flag in integer
    ]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.passModel(lp)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=float)
        h.setSolution(sol)
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    names = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
    }
    status = names.get(model_status, h.modelStatusToString(model_status).lower())
    feasible = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if feasible else None
    return _MipResult(
        x=x,
        status=status,
        objective=float(info.objective_function_value) if feasible else math.nan,
        bound=float(info.mip_dual_bound),
        gap=float(info.mip_gap) if feasible else math.inf,
        sense_max=maximize,
    )


def _rel_gap(objective: float, bound: float) -> float:
    if not math.isfinite(bound):
        return math.nan
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf


# ---------------------------------------------------------------------------
# covering models
# ---------------------------------------------------------------------------


@dataclass
class _CoverModel:
    cover: sp.csr_matrix  # useful candidate x group (bool pattern)
    weights: NDArray[np.float64]  # group weights
    useful: NDArray[np.int64]  # original index of each useful candidate
    uncoverable: NDArray[np.int64]
    details: dict[str, Any]


def _cover_model(
    w: NDArray[np.float64], times: sp.csr_matrix, e: NDArray[np.float64], threshold: float
) -> _CoverModel:
    """Coverage groups of the not yet covered, reachable, populated demand."""
    if not threshold >= 0:
        raise InputError(
            f"threshold must be a non-negative number, got {threshold!r}", field="threshold"
        )
    covered0 = e <= threshold
    within = times.copy()
    within.data = (within.data <= threshold).astype(np.int8)
    within.eliminate_zeros()  # now a 0/1 pattern: explicit ones only
    within = within.astype(bool).tocsr()
    need = ~covered0 & (w > 0)
    reach = np.zeros(len(w), dtype=bool)
    reach[within.indices] = True
    uncoverable = np.flatnonzero(need & ~reach)
    cols = np.flatnonzero(need & reach)
    sub = within[:, cols].tocsr()
    sub.sort_indices()
    useful = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sub[useful].tocsr()
    merged, gw, _ = _merge_columns(sub, w[cols], with_values=False)
    details = {
        "demand_points": len(w),
        "already_covered": float(w[covered0].sum()),
        "uncoverable": float(w[uncoverable].sum()),
        "coverable": float(w[cols].sum()),
        "demand_groups": merged.shape[1],
        "useful_candidates": len(useful),
    }
    return _CoverModel(merged, gw, useful.astype(np.int64), uncoverable.astype(np.int64), details)


def _ordered(
    state_factory: Callable[[], _Coverage | _Savings], chosen: ArrayLike
) -> tuple[list[int], list[float]]:
    """Order a chosen set by greedy marginal gain; drop members adding nothing."""
    chosen = [int(i) for i in chosen]
    return _celf(state_factory(), chosen, len(chosen))


def _finish(
    method: str,
    model_useful: NDArray[np.int64],
    picks: list[int],
    gains: list[float],
    objective: float,
    status: str,
    gap: float,
    solver: str,
    t0: float,
    *,
    bound: float = math.nan,
    uncoverable: NDArray[np.int64],
    message: str = "",
    details: dict[str, Any],
) -> Solution:
    return Solution(
        method=method,
        chosen=model_useful[np.asarray(picks, dtype=np.int64)].astype(np.int64),
        gains=np.asarray(gains, dtype=float),
        objective=float(objective),
        status=status,
        gap=float(gap),
        solver=solver,
        runtime=time.perf_counter() - t0,
        bound=float(bound),
        uncoverable=uncoverable,
        message=message,
        details=details,
    )


def _greedy_result(
    method: str,
    useful: NDArray[np.int64],
    picks: list[int],
    gains: list[float],
    value: float,
    bound: float,
    t0: float,
    common: dict[str, Any],
    *,
    proven: bool = False,
    message: str = "",
) -> Solution:
    """The greedy picks as a Solution: optimal when its bound proves it, else heuristic
    with the gap to that bound."""
    if proven:
        return _finish(method, useful, picks, gains, value, "optimal", 0.0, "greedy", t0,
                       bound=value, message=message, **common)
    return _finish(method, useful, picks, gains, value, "heuristic", _rel_gap(value, bound),
                   "greedy", t0, bound=bound, message=message, **common)


def mclp(
    weights: ArrayLike,
    times: Any,
    existing: ArrayLike | None,
    threshold: float,
    k: int,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    mip_rel_gap: float = 0.0,
    max_nonzeros: int = MAX_NONZEROS,
) -> Solution:
    """Maximal covering location with fixed existing sites.

    Choose at most ``k`` new sites maximising the population newly brought
    within ``threshold``: demand already within reach of an existing site adds
    nothing. Integer program (groups ``g`` of identical demand columns,
    weight ``W_g``, covering candidates ``N_g``)::

        max  sum_g W_g y_g
        s.t. y_g <= sum_{i in N_g} x_i   for every group g
             sum_i x_i <= k
             x binary, 0 <= y <= 1

    Parameters
    ----------
    weights : array_like, shape (n_demand,)
        Population of each demand point.
    times : sparse matrix or array_like, shape (n_candidates, n_demand)
        Travel times in seconds; missing (or ``inf``) entries are beyond reach.
    existing : array_like, shape (n_demand,), or None
        Best time to an existing site (``inf``: none), or a boolean
        "already covered" array. ``None``: no existing site.
    threshold : float
        Coverage threshold, seconds (``time <= threshold`` covers).
    k : int
        Number of new sites.
    solver : {"highs", "greedy"}
        Exact integer program, or lazy greedy (``(1 - 1/e)``-approximate).
    time_limit : float
        HiGHS time limit in seconds; when hit, the best of HiGHS' incumbent and
        the greedy solution is returned with status ``"time_limit"``.
    mip_rel_gap : float
        Relative optimality gap at which HiGHS stops (``0``: proven optimum).
    max_nonzeros : int
        Above this integer-program size the greedy heuristic is used instead.

    Returns
    -------
    Solution
        ``objective`` is the population newly covered.
    """
    t0 = time.perf_counter()
    k = _check_k(k)
    _check_solver(solver)
    w, mat, e = _check_inputs(weights, times, existing)
    model = _cover_model(w, mat, e, threshold)
    cover, gw, n_use = model.cover, model.weights, len(model.useful)
    details = dict(model.details)
    common = {"uncoverable": model.uncoverable, "details": details}
    if k == 0 or n_use == 0:
        return _finish(
            "mclp", model.useful, [], [], 0.0, "optimal", 0.0, "none", t0, bound=0.0, **common
        )
    kk = min(k, n_use)
    greedy_state = _Coverage(cover, gw)
    picks, gains = _celf(greedy_state, range(n_use), kk)
    g_value = float(sum(gains))
    bound = _online_bound(greedy_state, g_value, kk)
    if kk == n_use or bound <= g_value + 1e-9 * max(1.0, g_value):
        return _greedy_result("mclp", model.useful, picks, gains, g_value, bound, t0, common,
                              proven=True)
    if solver == "greedy":
        return _greedy_result("mclp", model.useful, picks, gains, g_value, bound, t0, common)
    n_grp = cover.shape[1]
    nnz = 2 * cover.nnz + n_grp + n_use
    details.update(variables=n_use + n_grp, constraints=n_grp + 1, nonzeros=nnz)
    if nnz > max_nonzeros:
        msg = f"integer program too large ({nnz} non-zeros > {max_nonzeros}): greedy used"
        return _greedy_result("mclp", model.useful, picks, gains, g_value, bound, t0, common,
                              message=msg)
    a = sp.vstack(
        [
            sp.hstack([-cover.T.astype(float), sp.identity(n_grp, format="csr")]),
            sp.hstack([np.ones((1, n_use)), sp.csr_matrix((1, n_grp))]),
        ]
    ).tocsc()
    start = np.zeros(n_use + n_grp)
    start[picks] = 1.0
    start[n_use:] = greedy_state.covered
    res = _solve_mip(
        np.concatenate([np.zeros(n_use), gw]),
        a,
        np.full(n_grp + 1, -np.inf),
        np.concatenate([np.zeros(n_grp), [kk]]),
        np.arange(n_use + n_grp) < n_use,
        maximize=True,
        start=start,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
    )
    return _conclude(
        "mclp",
        res,
        n_use,
        lambda: _Coverage(cover, gw),
        picks,
        gains,
        g_value,
        model.useful,
        t0,
        common,
        heuristic_bound=bound,
    )


def _conclude(
    method: str,
    res: _MipResult,
    n_use: int,
    factory: Callable[[], _Coverage | _Savings],
    g_picks: list[int],
    g_gains: list[float],
    g_value: float,
    useful: NDArray[np.int64],
    t0: float,
    common: dict[str, Any],
    *,
    to_objective: Callable[[float], float] = float,
    heuristic_bound: float = math.nan,
) -> Solution:
    """Order the HiGHS solution by marginal gain, compare with greedy, build the Solution."""
    picks, gains, solver = g_picks, g_gains, "highs+greedy"
    if res.x is not None:
        chosen = np.flatnonzero(res.x[:n_use] > 0.5)
        h_picks, h_gains = _ordered(factory, chosen)
        h_value = float(sum(h_gains))
        if h_value >= g_value - 1e-9 * max(1.0, abs(g_value)) or res.status == "optimal":
            picks, gains, solver = h_picks, h_gains, "highs"
    value = float(sum(gains))
    objective = to_objective(value)
    bound = res.bound
    if res.status == "optimal":
        status, gap = "optimal", 0.0
        if not math.isfinite(bound):
            bound = objective
    else:
        status = "time_limit" if res.status == "time_limit" else res.status
        # keep the tighter of HiGHS' dual bound and the greedy (submodular) bound
        if math.isfinite(heuristic_bound):
            if not math.isfinite(bound):
                bound = heuristic_bound
            elif res.sense_max:
                bound = min(bound, heuristic_bound)
            else:
                bound = max(bound, heuristic_bound)
        gap = _rel_gap(objective, bound)
    return _finish(
        method, useful, picks, gains, objective, status, gap, solver, t0, bound=bound, **common
    )


def lscp(
    weights: ArrayLike,
    times: Any,
    existing: ArrayLike | None,
    threshold: float,
    *,
    solver: str = "highs",
    time_limit: float = 60.0,
    mip_rel_gap: float = 0.0,
    max_nonzeros: int = MAX_NONZEROS,
) -> Solution:
    """Location set covering with fixed existing sites.

    The fewest new sites bringing every reachable, not yet covered demand
    point of positive weight within ``threshold``::

        min  sum_i x_i
        s.t. sum_{i in N_g} x_i >= 1   for every group g
             x binary

    Demand that no candidate reaches is left out and listed in
    ``Solution.uncoverable`` (the model stays feasible).

    Parameters
    ----------
    weights, times, existing, threshold
        As in :func:`mclp`.
    solver : {"highs", "greedy"}
        Exact integer program, or greedy set cover (redundant picks removed).
    time_limit, mip_rel_gap, max_nonzeros
        As in :func:`mclp`.

    Returns
    -------
    Solution
        ``objective`` is the number of new sites; ``gains`` the population
        each newly covers, in greedy order.
    """
    t0 = time.perf_counter()
    _check_solver(solver)
    w, mat, e = _check_inputs(weights, times, existing)
    model = _cover_model(w, mat, e, threshold)
    cover, gw, n_use = model.cover, model.weights, len(model.useful)
    details = dict(model.details)
    common = {"uncoverable": model.uncoverable, "details": details}
    if n_use == 0:
        return _finish(
            "lscp", model.useful, [], [], 0.0, "optimal", 0.0, "none", t0, bound=0.0, **common
        )
    picks = _greedy_cover(cover, gw)
    picks, gains = _ordered(lambda: _Coverage(cover, gw), picks)
    g_value = float(len(picks))
    if solver == "greedy" or g_value <= 1:
        status = "optimal" if g_value <= 1 else "heuristic"
        return _finish(
            "lscp",
            model.useful,
            picks,
            gains,
            g_value,
            status,
            0.0 if status == "optimal" else math.nan,
            "greedy",
            t0,
            bound=g_value if status == "optimal" else math.nan,
            **common,
        )
    nnz = cover.nnz
    details.update(variables=n_use, constraints=cover.shape[1], nonzeros=nnz)
    if nnz > max_nonzeros:
        msg = f"integer program too large ({nnz} non-zeros > {max_nonzeros}): greedy used"
        return _finish(
            "lscp",
            model.useful,
            picks,
            gains,
            g_value,
            "heuristic",
            math.nan,
            "greedy",
            t0,
            message=msg,
            **common,
        )
    start = np.zeros(n_use)
    start[picks] = 1.0
    res = _solve_mip(
        np.ones(n_use),
        cover.T.astype(float).tocsc(),
        np.ones(cover.shape[1]),
        np.full(cover.shape[1], np.inf),
        np.ones(n_use, dtype=bool),
        maximize=False,
        start=start,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
    )
    picks_h, gains_h, solver_name = picks, gains, "highs+greedy"
    if res.x is not None:
        chosen = np.flatnonzero(res.x > 0.5)
        if len(chosen) <= len(picks) or res.status == "optimal":
            picks_h, gains_h = _ordered(lambda: _Coverage(cover, gw), chosen)
            solver_name = "highs"
    objective = float(len(picks_h))
    if res.status == "optimal":
        status, gap, bound = "optimal", 0.0, objective
    else:
        # a site count is an integer: round the bound up (none yet when HiGHS stopped early)
        status = res.status
        bound = math.ceil(res.bound - 1e-9) if math.isfinite(res.bound) else math.nan
        gap = _rel_gap(objective, bound)
    return _finish(
        "lscp",
        model.useful,
        picks_h,
        gains_h,
        objective,
        status,
        gap,
        solver_name,
        t0,
        bound=bound,
        **common,
    )


def _greedy_cover(cover: sp.csr_matrix, gw: NDArray[np.float64]) -> list[int]:
    """Greedy set cover by newly covered population, then drop redundant picks."""
    state = _Coverage(cover, gw)
    picks, _ = _celf(state, range(cover.shape[0]), cover.shape[0])
    counts = np.zeros(cover.shape[1], dtype=np.int64)
    for i in picks:
        counts[state._groups(i)] += 1
    kept = list(picks)
    for i in reversed(picks):
        g = state._groups(i)
        if np.all(counts[g] >= 2):
            counts[g] -= 1
            kept.remove(i)
    return kept


# ---------------------------------------------------------------------------
# p-median
# ---------------------------------------------------------------------------


def pmedian(
    weights: ArrayLike,
    times: Any,
    existing: ArrayLike | None,
    k: int,
    *,
    unserved_seconds: float | None = None,
    solver: str = "highs",
    time_limit: float = 60.0,
    mip_rel_gap: float = 0.0,
    max_nonzeros: int = MAX_NONZEROS,
) -> Solution:
    """p-median with fixed existing sites.

    Choose at most ``k`` new sites minimising ``sum_j w_j * min(e_j, t_ij over
    chosen i)`` where ``e_j`` is the existing time. A candidate beyond the
    matrix cutoff (missing entry) cannot serve a demand point. Demand with no
    finite time anywhere is excluded (``Solution.uncoverable``); demand with
    no existing site but some candidate in reach counts ``unserved_seconds``
    while no chosen site serves it. Savings formulation over the improving
    pairs only (``s_ig = e_g - t_ig > 0``, groups of identical columns)::

        min  sum_g W_g e_g - sum_(i,g) W_g s_ig z_ig
        s.t. sum_i z_ig <= 1     for every group g
             z_ig <= x_i         for every improving pair
             sum_i x_i <= k
             x binary, 0 <= z <= 1

    Parameters
    ----------
    weights, times, existing
        As in :func:`mclp` (``existing`` must be times here).
    k : int
        Number of new sites.
    unserved_seconds : float, optional
        Time charged to demand served by nothing (default: the largest finite
        time in ``existing`` and ``times``; pass the matrix cutoff).
    solver, time_limit, mip_rel_gap, max_nonzeros
        As in :func:`mclp`.

    Returns
    -------
    Solution
        ``objective`` is the population-weighted time after, person-seconds;
        ``gains`` the person-seconds each chosen site saves.
    """
    t0 = time.perf_counter()
    k = _check_k(k)
    _check_solver(solver)
    w, mat, e = _check_inputs(weights, times, existing)
    reach = np.zeros(len(w), dtype=bool)
    reach[mat.indices] = True
    finite_e = np.isfinite(e)
    excluded = np.flatnonzero(~finite_e & ~reach)
    if unserved_seconds is None:
        pool = np.concatenate([e[finite_e], mat.data])
        unserved_seconds = float(pool.max()) if len(pool) else 0.0
    base_t = np.where(finite_e, e, float(unserved_seconds))
    include = (finite_e | reach) & (w > 0)
    base = float((w[include] * base_t[include]).sum())
    # savings over improving pairs
    coo = mat.tocoo()
    s = base_t[coo.col] - coo.data
    keep = (s > 0) & include[coo.col]
    sav = sp.csr_matrix((s[keep], (coo.row[keep], coo.col[keep])), shape=mat.shape)
    sav.sort_indices()
    cols = np.flatnonzero(np.diff(sav.tocsc().indptr) > 0)
    sub = sav[:, cols].tocsr()
    useful = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sub[useful].tocsr()
    sub.sort_indices()
    merged, gw, _ = _merge_columns(sub, w[cols], with_values=True)
    n_use, n_grp = merged.shape
    details = {
        "demand_points": len(w),
        "excluded": float(w[excluded].sum()),
        "unserved_seconds": float(unserved_seconds),
        "time_before": base,
        "demand_groups": n_grp,
        "useful_candidates": n_use,
        "improving_pairs": merged.nnz,
    }
    common = {"uncoverable": excluded.astype(np.int64), "details": details}
    useful = useful.astype(np.int64)
    if k == 0 or n_use == 0:
        return _finish(
            "pmedian", useful, [], [], base, "optimal", 0.0, "none", t0, bound=base, **common
        )
    kk = min(k, n_use)
    state = _Savings(merged, gw)
    picks, gains = _celf(state, range(n_use), kk)
    g_saved = float(sum(gains))
    saved_bound = _online_bound(state, g_saved, kk)
    g_obj, obj_bound = base - g_saved, base - saved_bound
    if kk == n_use or saved_bound <= g_saved + 1e-9 * max(1.0, g_saved):
        return _greedy_result("pmedian", useful, picks, gains, g_obj, obj_bound, t0, common,
                              proven=True)
    if solver == "greedy":
        return _greedy_result("pmedian", useful, picks, gains, g_obj, obj_bound, t0, common)
    n_pair = merged.nnz
    nnz = 3 * n_pair + n_use
    details.update(variables=n_use + n_pair, constraints=n_grp + n_pair + 1, nonzeros=nnz)
    if nnz > max_nonzeros:
        msg = f"integer program too large ({nnz} non-zeros > {max_nonzeros}): greedy used"
        return _greedy_result("pmedian", useful, picks, gains, g_obj, obj_bound, t0, common,
                              message=msg)
    pc = merged.tocoo()  # pairs in row-major order
    pair_idx = np.arange(n_pair)
    group_rows = sp.csr_matrix((np.ones(n_pair), (pc.col, pair_idx)), shape=(n_grp, n_pair))
    link_x = sp.csr_matrix((-np.ones(n_pair), (pair_idx, pc.row)), shape=(n_pair, n_use))
    a = sp.vstack(
        [
            sp.hstack([sp.csr_matrix((n_grp, n_use)), group_rows]),
            sp.hstack([link_x, sp.identity(n_pair, format="csr")]),
            sp.hstack([np.ones((1, n_use)), sp.csr_matrix((1, n_pair))]),
        ]
    ).tocsc()
    cost = np.concatenate([np.zeros(n_use), -gw[pc.col] * pc.data])
    start = np.zeros(n_use + n_pair)
    start[picks] = 1.0
    # greedy assignment: each group to its best chosen candidate
    chosen_mask = np.zeros(n_use, dtype=bool)
    chosen_mask[picks] = True
    open_pairs = np.flatnonzero(chosen_mask[pc.row])
    order = open_pairs[np.lexsort((-pc.data[open_pairs], pc.col[open_pairs]))]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pc.col[order[1:]] != pc.col[order[:-1]]
    start[n_use + order[first]] = 1.0
    res = _solve_mip(
        cost,
        a,
        np.full(n_grp + n_pair + 1, -np.inf),
        np.concatenate([np.ones(n_grp), np.zeros(n_pair), [kk]]),
        np.arange(n_use + n_pair) < n_use,
        maximize=False,
        offset=base,
        start=start,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
    )
    # the comparison in _conclude is on savings: convert to the time objective at the end
    return _conclude(
        "pmedian",
        res,
        n_use,
        lambda: _Savings(merged, gw),
        picks,
        gains,
        g_saved,
        useful,
        t0,
        common,
        to_objective=lambda saved: base - saved,
        heuristic_bound=obj_bound,
    )


def solve(
    method: str,
    weights: ArrayLike,
    times: Any,
    existing: ArrayLike | None,
    *,
    threshold: float | None = None,
    k: int | None = None,
    **options: Any,
) -> Solution:
    """Run one of :data:`METHODS` with the arguments it needs.

    Parameters
    ----------
    method : {"mclp", "lscp", "pmedian"}
        The model.
    weights, times, existing
        As in :func:`mclp`.
    threshold : float, optional
        Coverage threshold in seconds (``mclp``, ``lscp``).
    k : int, optional
        Number of new sites (``mclp``, ``pmedian``).
    **options
        Passed on (``solver``, ``time_limit``, ``mip_rel_gap``, ...).

    Returns
    -------
    Solution
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; expected one of {METHODS}", field="method")
    if method in ("mclp", "lscp") and threshold is None:
        raise InputError(f"{method} needs a threshold", field="threshold")
    if method in ("mclp", "pmedian") and k is None:
        raise InputError(f"{method} needs k", field="k")
    if method == "mclp":
        return mclp(weights, times, existing, threshold, k, **options)
    if method == "lscp":
        return lscp(weights, times, existing, threshold, **options)
    return pmedian(weights, times, existing, k, **options)
