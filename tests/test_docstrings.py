"""The examples in the public docstrings run, and public functions are documented."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import proximite

MODULES = [
    "proximite.sources.france_services",
    "proximite.sources.mediation",
    "proximite.sources.broadband",
    "proximite.sources.communes",
    "proximite.sources.crs",
    "proximite.network.core",
    "proximite.access.engine",
    "proximite.auditing.audit",
    "proximite.batch.roads",
    "proximite.progress",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no example"


def test_public_api_is_documented():
    missing = []
    for name in proximite.__all__:
        if name == "__version__":
            continue
        obj = getattr(proximite, name)
        doc = inspect.getdoc(obj) or ""
        if not doc.strip():
            missing.append(name)
        if inspect.isfunction(obj) and not ("Parameters" in doc and "Returns" in doc):
            missing.append(f"{name} (numpydoc sections)")
    assert missing == []
