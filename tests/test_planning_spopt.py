"""Our MCLP against spopt's (PuLP + CBC) on the same cost matrices."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from proximite.planning.solvers import mclp

spopt_locate = pytest.importorskip("spopt.locate")
pulp = pytest.importorskip("pulp")

THRESHOLD = 1800.0

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def geographic_instance(seed, n_cand=25, n_dem=80, n_exist=4):
    """Points in a 60 km square, times at 50 km/h, cut at one hour."""
    rng = np.random.default_rng(seed)
    cand = rng.uniform(0, 60_000, (n_cand, 2))
    dem = rng.uniform(0, 60_000, (n_dem, 2))
    exist = rng.uniform(0, 60_000, (n_exist, 2))

    def sec(a, b):
        return np.linalg.norm(a[:, None] - b[None], axis=2) / (50 / 3.6)

    t = sec(cand, dem)
    t[t > 3600] = np.inf
    w = rng.integers(1, 300, n_dem).astype(float)
    return w, t, sec(exist, dem)


def spopt_objective(cost_matrix, w, p, predefined=None):
    model = spopt_locate.MCLP.from_cost_matrix(
        cost_matrix, w, service_radius=THRESHOLD, p_facilities=p,
        predefined_facilities_arr=predefined,
    )
    model = model.solve(pulp.PULP_CBC_CMD(msg=False))
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    return float(model.problem.objective.value())


def sparse(t):
    ok = np.isfinite(t)
    r, c = np.nonzero(ok)
    return sp.csr_matrix((t[ok], (r, c)), shape=t.shape)


@pytest.mark.parametrize("seed,k", [(0, 2), (1, 3), (2, 5)])
def test_mclp_equals_spopt_without_existing_sites(seed, k):
    w, t, _ = geographic_instance(seed)
    ours = mclp(w, sparse(t), None, THRESHOLD, k)
    theirs = spopt_objective(t.T, w, k)  # spopt: demand x facility
    assert ours.status == "optimal"
    assert ours.objective == pytest.approx(theirs, abs=1e-6)


@pytest.mark.parametrize("seed,k", [(3, 2), (4, 4)])
def test_mclp_equals_spopt_with_predefined_existing_sites(seed, k):
    """Existing sites emulated in spopt as predefined facilities (fixed open)."""
    w, t, t_exist = geographic_instance(seed)
    existing = t_exist.min(axis=0)
    ours = mclp(w, sparse(t), existing, THRESHOLD, k)
    cost = np.vstack([t_exist, t]).T  # demand x (existing + candidates)
    predefined = np.r_[np.ones(len(t_exist)), np.zeros(len(t))].astype(int)
    theirs = spopt_objective(cost, w, k + len(t_exist), predefined)
    already = w[existing <= THRESHOLD].sum()
    assert already > 0  # the comparison is meaningful
    assert ours.objective == pytest.approx(theirs - already, abs=1e-6)
