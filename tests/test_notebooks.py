"""The notebooks run top to bottom on the sample shop, and are kept in git without outputs."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Installed by the test extras: a missing one must fail, not skip, or the notebooks could rot unseen.
import ipykernel  # noqa: F401
import nbclient
import nbformat

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120


def test_the_three_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["rule_tuning", "topic_mining", "weekly_review"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    # Each notebook builds its own sample warehouse; the kernel is this interpreter.
    monkeypatch.delenv("QC_NOTEBOOK_DB", raising=False)
    monkeypatch.delenv("QC_NOTEBOOK_WEEK", raising=False)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
