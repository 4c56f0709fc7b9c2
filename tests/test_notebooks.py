"""The analyst notebooks in ``notebooks/`` run top to bottom on the embedded data.

Each notebook is executed with nbclient in a fresh ``python3`` kernel (ipykernel's
own kernel spec is enough: jupyter_client falls back to it when no spec is
installed), with ``notebooks/`` as working directory. Their own ``assert`` cells
(hand recomputations of the audit, verification of the planning gains) make an
execution error a real failure. A fast test also checks that the committed
notebooks carry no outputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

#: Seconds allowed per cell (the whole of a notebook takes ~15-30 s on 2 cores).
CELL_TIMEOUT = 300


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _snapshot(directory: Path) -> dict[Path, float]:
    return {
        p: p.stat().st_mtime
        for p in directory.rglob("*")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    }


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_clean(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {i} has outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {i} has an execution count"
    assert any(c.cell_type == "markdown" for c in nb.cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path: Path):
    nb = nbformat.read(path, as_version=4)
    before = _snapshot(NOTEBOOK_DIR)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [
        (i, out.get("ename"), out.get("evalue"))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, errors
    # every code cell ran, in order
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    # the notebook writes nothing next to itself (nor changes the committed file)
    assert _snapshot(NOTEBOOK_DIR) == before
