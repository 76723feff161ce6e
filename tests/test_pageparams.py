"""Notebook parameters as users type them: normalised in one place, subsets of recorded tables
read, other values computed (or refused) only outside the book's defaults."""
from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from ganz import pages
from ganz.core.errors import GanzError
from ganz.core.paths import ROOT
from ganz.report import pageparams, recorded, runs, verdicts

NOTEBOOKS = ROOT / "notebooks"


@pytest.mark.parametrize("typed, expected", [
    (24, (24,)), (24.0, (24,)), ("24", (24,)), ("10,24", (10, 24)), ("10 24", (10, 24)),
    ([10, 24], (10, 24)), ((7.5,), (7.5,)),
])
def test_a_number_or_a_string_stands_for_a_list(typed, expected):
    assert pageparams.normalise("fig5", {"ratio": typed}) == {"ratio": expected}


@pytest.mark.parametrize("page, params, message", [
    ("fig5", {"ratio": 0}, "positive"), ("fig5", {"ratio": "abc"}, "must be a number"),
    ("fig5", {"ratio": []}, "empty"), ("fig5", {"ratio": True}, "must be a number"),
    ("fig5", {"ratio": [10, 10]}, "repeats"), ("fig5", {"ratios": 10}, "unknown parameter"),
    ("fig2", {"ratio": [10, 20]}, "takes one value"), ("fig2", {"dims": 64.5}, "whole number"),
    ("fig5", {"keep_linear": "no"}, "True or False"), ("fig9", {}, "unknown page"),
])
def test_bad_parameters_get_one_line(page, params, message):
    with pytest.raises(GanzError, match=message) as e:
        pageparams.normalise(page, params)
    assert "\n" not in str(e.value)


def test_defaults_and_describe():
    assert pageparams.is_default("fig5", pageparams.normalise("fig5", {"ratio": [6, 10, 20, 24, 30, 50, 100, 200]}))
    own = pageparams.normalise("fig5", {"ratio": 24, "steps": None})
    assert not pageparams.is_default("fig5", own)
    assert pageparams.describe("fig5", own) == "-p ratio 24"


def _parameter_cell(notebook: Path) -> dict:
    text = notebook.read_text()
    cell = text.split('tags=["parameters"]', 1)[1].split("# %%", 1)[0]
    return {t.id: ast.literal_eval(n.value) for n in ast.parse(cell.split("\n", 1)[1]).body
            for t in n.targets}


@pytest.mark.parametrize("page", sorted(pageparams.PAGE_DEFAULTS))
def test_page_defaults_are_the_notebooks_parameters(page):
    cell = _parameter_cell(NOTEBOOKS / f"{page}.py")
    assert cell.pop("profile") is None and cell.pop("device") == "auto"
    assert pageparams.normalise(page, cell) == pageparams.normalise(page, pageparams.PAGE_DEFAULTS[page])


@pytest.fixture
def committed_results(monkeypatch):
    """The committed results/ (read only), the book's profiles."""
    monkeypatch.setenv("GANZ_RESULTS", str(ROOT / "results"))
    monkeypatch.delenv("GANZ_PROFILE", raising=False)


def _dc(t: pd.DataFrame, n: int) -> set[int]:
    r = t[(t["method"] == "ganz") & (t["adapter"] == "random_linear")]["ratio"]
    return {int(round(n / x)) for x in r}


def test_a_subset_of_a_recorded_table_is_its_rows(committed_results):
    n = recorded.num_pixels("cpu-small")
    whole = recorded.load("fig5", "cpu-small", ratio=(6, 10, 20, 24, 30, 50, 100, 200)).table
    part = recorded.load("fig5", "cpu-small", ratio=(10, 30)).table
    assert _dc(part, n) == {round(n / 10), round(n / 30)}
    assert (part["adapter"] == "keep_linear").any()
    keys = ["image", "method", "adapter", "ratio"]
    merged = part.merge(whole, on=keys, suffixes=("", "_whole"))
    assert len(merged) == len(part) and (merged["psnr"] == merged["psnr_whole"]).all()
    no_keep = recorded.load("fig5", "cpu-small", ratio=(30,), keep_linear=False).table
    assert not (no_keep["adapter"] == "keep_linear").any()
    assert set(no_keep["ratio"].round(2)) == {round(n / round(n / 30), 2)}


def test_the_page_as_typed_shows_and_judges_its_ratio(committed_results):
    r24, r30 = runs.load("fig5", ratio=24), runs.load("fig5", ratio=30)
    assert r24.params["ratio"] == (24,)
    for r, want in ((r24, 24), (r30, 30)):
        v = r.verdict()
        assert f"this page has R = {want} only" in v.text and v.facts["ratios"] == f"{want}"
        assert "not in the paper" in v.text or want == 30
    assert not r24.table().equals(r30.table())


def test_verdicts_take_any_ratio_set():
    t = pd.DataFrame({"split": "test", "image": ["a", "a", "b", "b"], "adapter": ["random_linear", None] * 2,
                      "method": ["ganz", verdicts.WAVELET_CODE] * 2, "ratio": 3072 / 128,
                      "nominal_ratio": 24.0,
                      "psnr": [20.0, 25.0, 21.0, 26.0]})
    v = verdicts.fig5(t, [24], 3072)
    assert "Not judged" in v.text and "not in the paper" in v.text
    v4 = verdicts.fig4(t.assign(image="jack"), [24], 3072)
    assert "not in the paper" in v4.text
    other = verdicts.fig4(t.assign(image="astronaut.png"), [24], 3072)
    assert "printed no GANZ values for this picture" in other.text


def test_own_parameters_compute_what_is_not_recorded_and_the_book_never(monkeypatch):
    calls, store = [], {}

    def load(figure, profile, **params):  # the store: what compute recorded, else stale
        if profile in store:
            return store[profile]
        raise GanzError(f"stale: no recorded {profile} {figure} table")

    def compute(figure, profile, device, params, flags, max_minutes):
        calls.append((profile, flags))
        if profile == "paper":
            raise GanzError("would take about 10 h on cpu: use `-p profile cpu-small`")
        store[profile] = recorded.ExperimentResult(pd.DataFrame({"psnr": [1.0]}), {},
                                                   {"profile": profile})

    monkeypatch.setattr(recorded, "load", load)
    monkeypatch.setattr(pages.ondemand, "compute", compute)
    monkeypatch.delenv("GANZ_PROFILE", raising=False)
    r = pages.load("fig5", ratio=15)
    assert calls == [("paper", "-p ratio 15"), ("cpu-small", "-p ratio 15")]
    assert list(r.results) == ["cpu-small"] and "10 h" in r.missing["paper"]
    calls.clear()
    store.clear()
    with pytest.raises(GanzError, match="stale"):
        pages.load("fig5")  # the book's page: read only
    with pytest.raises(GanzError, match="stale"):
        runs.load("fig5", ratio=15)  # the report alone never computes
    assert calls == []
    with pytest.raises(GanzError, match="-p profile cpu-small"):
        pages.load("fig5", "paper", ratio=15)
