"""The siting solvers against exhaustive search, on small hand-made and random instances."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proximite.errors import InputError
from proximite.planning import solvers
from proximite.planning.solvers import lscp, mclp, pmedian

THRESHOLD = 30.0


# ---------------------------------------------------------------------------
# brute-force references, written independently of the solvers
# ---------------------------------------------------------------------------


def dense(times, n_cand, n_dem):
    """Candidate x demand array, inf where no entry."""
    out = np.full((n_cand, n_dem), np.inf)
    coo = sp.coo_matrix(times)
    out[coo.row, coo.col] = coo.data
    return out


def coverage_value(w, t, e, threshold, subset):
    best = np.minimum(e, t[list(subset)].min(axis=0)) if subset else e
    newly = (best <= threshold) & ~(e <= threshold)
    return float(w[newly].sum())


def brute_mclp(w, t, e, threshold, k):
    n = t.shape[0]
    return max(
        coverage_value(w, t, e, threshold, s)
        for r in range(min(k, n) + 1)
        for s in itertools.combinations(range(n), r)
    )


def brute_lscp(w, t, e, threshold):
    """Smallest number of candidates covering every coverable demand point."""
    n = t.shape[0]
    need = ~(e <= threshold) & (w > 0) & (t <= threshold).any(axis=0)
    for r in range(n + 1):
        for s in itertools.combinations(range(n), r):
            covered = (t[list(s)] <= threshold).any(axis=0) if s else np.zeros(len(w), bool)
            if np.all(covered[need]):
                return r
    raise AssertionError("unreachable")


def pmedian_value(w, t, e, subset, penalty):
    base = np.where(np.isfinite(e), e, penalty)
    best = np.minimum(base, t[list(subset)].min(axis=0)) if subset else base
    keep = np.isfinite(e) | np.isfinite(t).any(axis=0)
    return float((w[keep] * best[keep]).sum())


def brute_pmedian(w, t, e, k, penalty):
    n = t.shape[0]
    return min(
        pmedian_value(w, t, e, s, penalty)
        for r in range(min(k, n) + 1)
        for s in itertools.combinations(range(n), r)
    )


# ---------------------------------------------------------------------------
# a hand-made instance
# ---------------------------------------------------------------------------

#: 4 candidates x 6 demand points (minutes); nan = beyond the cutoff.
HAND = np.array(
    [
        [10, 20, np.nan, np.nan, np.nan, np.nan],
        [np.nan, 25, 28, np.nan, np.nan, np.nan],
        [np.nan, np.nan, 40, 5, np.nan, np.nan],
        [10, np.nan, np.nan, np.nan, 29, np.nan],
    ]
)
HAND_W = np.array([100.0, 50, 30, 20, 10, 7])
#: demand 0 is already served by an existing site; demand 5 by nothing at all.
HAND_E = np.array([12.0, 45, 50, 60, 35, np.inf])


def hand_times():
    t = np.nan_to_num(HAND, nan=np.inf)
    return sp.csr_matrix(np.where(np.isfinite(t), t, 0)), t


def test_hand_mclp_respects_existing_coverage():
    _, t = hand_times()
    res = mclp(HAND_W, t, HAND_E, THRESHOLD, 1)
    # candidate 0 reaches 150 people but 100 already have a site within 30 min
    assert res.objective == 80  # candidate 1: demand 1 (50) + 2 (30)
    assert res.chosen.tolist() == [1]
    assert res.status == "optimal" and res.gap == 0.0
    assert res.uncoverable.tolist() == [5]
    assert res.details["already_covered"] == 100
    res2 = mclp(HAND_W, t, HAND_E, THRESHOLD, 2)
    assert res2.objective == 100  # + candidate 2 (20); candidate 0/3 add 50/10
    assert res2.chosen.tolist() == [1, 2]
    np.testing.assert_allclose(res2.gains, [80, 20])


def test_hand_lscp_counts_and_reports_uncoverable():
    _, t = hand_times()
    res = lscp(HAND_W, t, HAND_E, THRESHOLD)
    # demand 1,2 (cand 1), 3 (cand 2), 4 (cand 3); demand 5 nobody reaches
    assert res.objective == 3
    assert sorted(res.chosen.tolist()) == [1, 2, 3]
    assert res.uncoverable.tolist() == [5]
    assert res.status == "optimal"


def test_hand_pmedian_uses_the_faster_of_existing_and_new():
    _, t = hand_times()
    res = pmedian(HAND_W, t, HAND_E, 1, unserved_seconds=60)
    assert res.objective == pytest.approx(brute_pmedian(HAND_W, t, HAND_E, 1, 60))
    assert res.uncoverable.tolist() == [5]  # no time anywhere: excluded
    before = (HAND_W[:5] * HAND_E[:5]).sum()
    assert res.gains.sum() == pytest.approx(before - res.objective)


def test_explicit_zero_time_is_a_real_trip():
    # a candidate sitting on a demand point: a stored 0 must count as 0 s, not "missing"
    t = sp.csr_matrix((np.array([0.0]), (np.array([0]), np.array([1]))), shape=(1, 2))
    assert t.nnz == 1
    res = mclp([1.0, 5.0], t, None, THRESHOLD, 1)
    assert res.objective == 5.0 and res.chosen.tolist() == [0]


@pytest.mark.parametrize("solver", ["highs", "greedy"])
def test_edge_cases(solver):
    _, t = hand_times()
    # k = 0
    r = mclp(HAND_W, t, HAND_E, THRESHOLD, 0, solver=solver)
    assert r.k == 0 and r.objective == 0 and r.status == "optimal"
    r = pmedian(HAND_W, t, HAND_E, 0, unserved_seconds=60, solver=solver)
    assert r.k == 0 and r.objective == pytest.approx((HAND_W[:5] * HAND_E[:5]).sum())
    # k >= number of candidates: everything coverable is covered, zero-gain sites dropped
    r = mclp(HAND_W, t, HAND_E, THRESHOLD, 10, solver=solver)
    assert r.objective == 110 and r.k == 3 and r.status == "optimal"
    # no candidates at all
    empty = sp.csr_matrix((0, len(HAND_W)))
    for fn in (
        lambda: mclp(HAND_W, empty, HAND_E, THRESHOLD, 2, solver=solver),
        lambda: lscp(HAND_W, empty, HAND_E, THRESHOLD, solver=solver),
        lambda: pmedian(HAND_W, empty, HAND_E, 2, solver=solver),
    ):
        r = fn()
        assert r.k == 0 and r.status == "optimal"
    # demand nobody can reach, no existing sites
    r = mclp([5.0, 3.0], sp.csr_matrix((2, 2)), None, THRESHOLD, 1, solver=solver)
    assert r.objective == 0 and r.uncoverable.tolist() == [0, 1]
    r = lscp([5.0, 3.0], sp.csr_matrix((2, 2)), None, THRESHOLD, solver=solver)
    assert r.objective == 0 and r.uncoverable.tolist() == [0, 1]
    r = pmedian([5.0, 3.0], sp.csr_matrix((2, 2)), None, 1, solver=solver)
    assert r.objective == 0 and r.uncoverable.tolist() == [0, 1]


def test_bad_inputs_are_clear_errors():
    _, t = hand_times()
    with pytest.raises(InputError, match="k must be"):
        mclp(HAND_W, t, HAND_E, THRESHOLD, -1)
    with pytest.raises(InputError, match="demand columns"):
        mclp(HAND_W[:3], t, HAND_E, THRESHOLD, 1)
    with pytest.raises(InputError, match="weights"):
        mclp(-HAND_W, t, HAND_E, THRESHOLD, 1)
    with pytest.raises(InputError, match="solver"):
        mclp(HAND_W, t, HAND_E, THRESHOLD, 1, solver="cplex")
    with pytest.raises(InputError, match="method"):
        solvers.solve("pcenter", HAND_W, t, HAND_E, k=1)


def test_duplicate_entries_keep_the_fastest():
    t = sp.coo_matrix((np.array([50.0, 10.0]), (np.array([0, 0]), np.array([0, 0]))), shape=(1, 1))
    assert mclp([1.0], t, None, THRESHOLD, 1).objective == 1.0


def test_time_limit_and_size_fallbacks_report_what_happened():
    rng = np.random.default_rng(3)
    t = rng.uniform(0, 60, (25, 120))
    t[t > 40] = np.inf
    w = rng.integers(1, 50, 120).astype(float)
    big = mclp(w, t, None, THRESHOLD, 4, max_nonzeros=10)
    assert big.solver == "greedy" and big.status == "heuristic" and "too large" in big.message
    assert 0 < big.gap < 1 and big.bound >= big.objective  # online submodular bound
    quick = mclp(w, t, None, THRESHOLD, 4, time_limit=0.0)
    assert quick.status in ("time_limit", "optimal")
    assert quick.objective >= big.objective - 1e-9  # never worse than greedy


def test_greedy_gap_bound_is_valid():
    rng = np.random.default_rng(11)
    t = rng.uniform(0, 60, (8, 15))
    w = rng.integers(1, 20, 15).astype(float)
    g = mclp(w, t, None, THRESHOLD, 2, solver="greedy")
    assert g.bound >= brute_mclp(w, t, np.full(15, np.inf), THRESHOLD, 2) - 1e-9


# ---------------------------------------------------------------------------
# random instances versus exhaustive search
# ---------------------------------------------------------------------------


@st.composite
def instances(draw):
    n_cand = draw(st.integers(0, 8))
    n_dem = draw(st.integers(1, 15))
    cells = st.one_of(st.just(math.inf), st.integers(0, 60).map(float))
    t = np.array(
        draw(st.lists(st.lists(cells, min_size=n_dem, max_size=n_dem), min_size=n_cand,
                      max_size=n_cand)),
        dtype=float,
    ).reshape(n_cand, n_dem)
    w = np.array(draw(st.lists(st.integers(0, 20), min_size=n_dem, max_size=n_dem)), float)
    e = np.array(draw(st.lists(cells, min_size=n_dem, max_size=n_dem)), float)
    k = draw(st.integers(0, 3))
    return w, t, e, k


def to_sparse(t):
    finite = np.isfinite(t)
    r, c = np.nonzero(finite)
    return sp.csr_matrix((t[finite], (r, c)), shape=t.shape)


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances())
def test_mclp_matches_exhaustive_search(inst):
    w, t, e, k = inst
    res = mclp(w, to_sparse(t), e, THRESHOLD, k)
    best = brute_mclp(w, t, e, THRESHOLD, k)
    assert res.objective == pytest.approx(best, abs=1e-9)
    assert res.status == "optimal" and res.gap == 0.0
    assert res.k <= k
    # the chosen sites really deliver the objective; gains add up and are non-increasing
    assert coverage_value(w, t, e, THRESHOLD, res.chosen.tolist()) == pytest.approx(best)
    assert res.gains.sum() == pytest.approx(res.objective)
    assert np.all(np.diff(res.gains) <= 1e-9) and np.all(res.gains > 0)
    greedy = mclp(w, to_sparse(t), e, THRESHOLD, k, solver="greedy")
    assert greedy.objective <= best + 1e-9
    assert greedy.objective >= (1 - 1 / math.e) * best - 1e-9
    assert np.all(np.diff(greedy.gains) <= 1e-9)
    assert coverage_value(w, t, e, THRESHOLD, greedy.chosen.tolist()) == pytest.approx(
        greedy.objective)
    # already covered demand never counts
    covered = e <= THRESHOLD
    w2 = w.copy()
    w2[covered] += 1000
    assert mclp(w2, to_sparse(t), e, THRESHOLD, k).objective == pytest.approx(res.objective)


@SETTINGS
@given(instances())
def test_lscp_matches_exhaustive_search(inst):
    w, t, e, _ = inst
    res = lscp(w, to_sparse(t), e, THRESHOLD)
    assert res.objective == brute_lscp(w, t, e, THRESHOLD)
    assert res.k == res.objective
    need = ~(e <= THRESHOLD) & (w > 0)
    reach = (t <= THRESHOLD).any(axis=0)
    assert sorted(res.uncoverable.tolist()) == np.flatnonzero(need & ~reach).tolist()
    chosen = res.chosen.tolist()
    covered = (t[chosen] <= THRESHOLD).any(axis=0) if chosen else np.zeros(len(w), bool)
    assert np.all(covered[need & reach])
    greedy = lscp(w, to_sparse(t), e, THRESHOLD, solver="greedy")
    assert greedy.objective >= res.objective
    gcov = (t[greedy.chosen.tolist()] <= THRESHOLD).any(axis=0) if greedy.k else covered * 0
    assert np.all(gcov[need & reach])


@SETTINGS
@given(instances())
def test_pmedian_matches_exhaustive_search(inst):
    w, t, e, k = inst
    penalty = 90.0
    res = pmedian(w, to_sparse(t), e, k, unserved_seconds=penalty)
    best = brute_pmedian(w, t, e, k, penalty)
    assert res.objective == pytest.approx(best, abs=1e-6)
    assert res.status == "optimal"
    assert pmedian_value(w, t, e, res.chosen.tolist(), penalty) == pytest.approx(best)
    nowhere = ~np.isfinite(e) & ~np.isfinite(t).any(axis=0)
    assert sorted(res.uncoverable.tolist()) == np.flatnonzero(nowhere).tolist()
    greedy = pmedian(w, to_sparse(t), e, k, unserved_seconds=penalty, solver="greedy")
    assert greedy.objective >= best - 1e-6
    assert np.all(np.diff(greedy.gains) <= 1e-9)
    assert np.all(np.diff(res.gains) <= 1e-9)


@settings(max_examples=25, deadline=None)
@given(instances())
def test_solve_dispatches(inst):
    w, t, e, k = inst
    a = solvers.solve("mclp", w, to_sparse(t), e, threshold=THRESHOLD, k=k)
    assert a.objective == pytest.approx(mclp(w, to_sparse(t), e, THRESHOLD, k).objective)


def test_lscp_stopped_before_any_bound_reports_it():
    """HiGHS stopped at once has no finite bound yet: no crash, a greedy cover and no gap."""
    rng = np.random.default_rng(7)
    t = rng.uniform(0, 3600, (300, 5000))
    t[t > 900] = np.inf
    w = np.ones(5000)
    res = lscp(w, t, None, 900, time_limit=0.0)
    greedy = lscp(w, t, None, 900, solver="greedy")
    assert res.status in ("time_limit", "optimal")
    if res.status == "time_limit":
        assert math.isnan(res.bound) or res.bound <= res.objective
    assert res.objective <= greedy.objective  # never worse than greedy
    covered = (t[res.chosen] <= 900).any(axis=0)
    assert covered[np.isfinite(t).min(axis=0) <= 900].all()
