"""Siting new France Services: MCLP / LSCP / p-median, solved with HiGHS or greedy.

:mod:`proximite.planning.solvers` works on plain matrices;
:func:`plan_sites` wires it to an :class:`proximite.Audit`.
"""

from __future__ import annotations

from proximite.planning.plan import CANDIDATE_SETS, PlanResult, candidate_sites, plan_sites
from proximite.planning.solvers import METHODS, SOLVERS, Solution, lscp, mclp, pmedian, solve

__all__ = [
    "CANDIDATE_SETS",
    "METHODS",
    "SOLVERS",
    "PlanResult",
    "Solution",
    "candidate_sites",
    "lscp",
    "mclp",
    "plan_sites",
    "pmedian",
    "solve",
]
