"""The example notebook runs (nbclient) and shows a Derivation, a verdict and a report."""

from __future__ import annotations

import os

import pytest

from tests.helpers import REPO

NOTEBOOK = REPO / "examples" / "report.ipynb"


def test_example_notebook_runs() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    os.environ.setdefault("PYTHONPATH", str(REPO))
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    kinds = [
        set(o.get("data", {}))
        for o in outputs
        if o.output_type in ("execute_result", "display_data")
    ]
    assert any("text/html" in k for k in kinds)  # the Derivation and the report
    assert any("text/latex" in k for k in kinds)  # the verdict
    assert not [o for o in outputs if o.output_type == "error"]
