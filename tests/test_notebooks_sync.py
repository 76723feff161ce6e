"""The notebooks: each percent-format .py has its .ipynb, both say the same, and the .ipynb
files are committed without outputs."""
from __future__ import annotations

import json
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.py"))
IPYNBS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _cells(nb) -> list[tuple[str, str, list]]:
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", [])))
            for c in nb.cells]


def test_there_are_notebooks():
    assert SOURCES, "no notebooks/*.py found"


@pytest.mark.parametrize("py", SOURCES, ids=lambda p: p.name)
def test_pair_exists_and_is_in_sync(py: Path):
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} missing: run jupytext --to ipynb {py}"
    a, b = jupytext.read(py), jupytext.read(ipynb)
    assert _cells(a) == _cells(b), (f"{py.name} and {ipynb.name} differ: "
                                    f"run jupytext --sync {py}")


@pytest.mark.parametrize("ipynb", IPYNBS, ids=lambda p: p.name)
def test_ipynb_has_no_outputs_and_a_parameters_cell(ipynb: Path):
    assert ipynb.with_suffix(".py").is_file(), f"{ipynb.name} has no .py source"
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    dirty = [i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{ipynb.name}: code cells {dirty} carry outputs; commit it cleared"
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{ipynb.name}: needs exactly one cell tagged 'parameters'"


def test_every_notebook_is_in_the_book():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    missing = [p.stem for p in SOURCES if f"notebooks/{p.stem}" not in toc]
    assert not missing, f"notebooks not listed in _toc.yml: {missing}"
