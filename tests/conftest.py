"""Shared pytest fixtures (kept small and generic)."""

from __future__ import annotations

from pathlib import Path

import pytest

from proximite import paths


@pytest.fixture
def shared_data() -> Path:
    """The ``../shared/data`` directory; skips the test when it is absent."""
    if not paths.shared_data_available():
        pytest.skip(f"shared data not available at {paths.SHARED_DATA_DIR}")
    return paths.SHARED_DATA_DIR


@pytest.fixture(scope="session")
def embedded_data() -> Path:
    """The embedded ``data/`` directory of the repository."""
    return paths.DATA_DIR
