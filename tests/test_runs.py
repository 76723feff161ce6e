"""ganz.report.runs: the book's pages show the paper profile where recorded, cpu-small beside it."""
import pandas as pd
import pytest

from ganz.core.errors import GanzError
from ganz.report import runs
from ganz.report.figure import BookFigure, message_figure
from ganz.results.profiles import ExperimentResult


def _result(profile: str, psnr: float) -> ExperimentResult:
    table = pd.DataFrame({"experiment": "fig3", "profile": profile, "image": ["a", "b"],
                          "split": "test", "adapter": ["square_linear", "no_linear"],
                          "ratio": 6.0, "method": "ganz", "psnr": [psnr, psnr + 1],
                          "device": "cpu", "commit": "abc"})
    return ExperimentResult(table, {}, {"profile": profile})


@pytest.fixture
def fake_load(monkeypatch):
    """``recorded.load`` with a paper profile that has only fig. 3 recorded."""
    def load(figure, profile, device="auto", **params):
        if profile == "paper" and figure != "fig3":
            raise GanzError(f"stale: no recorded paper {figure} table")
        return _result(profile, 20.0 if profile == "paper" else 15.0)
    monkeypatch.setattr(runs.recorded, "load", load)
    monkeypatch.delenv("GANZ_PROFILE", raising=False)


def test_book_profiles_follow_the_parameter_and_the_environment(monkeypatch):
    monkeypatch.delenv("GANZ_PROFILE", raising=False)
    assert runs.book_profiles() == ("paper", "cpu-small")
    assert runs.book_profiles("cpu-small") == ("cpu-small",)
    monkeypatch.setenv("GANZ_PROFILE", "smoke")
    assert runs.book_profiles() == ("smoke",)


def test_paper_profile_leads_where_recorded(fake_load):
    r = runs.load("fig3")
    assert list(r.results) == ["paper", "cpu-small"] and r.main_profile == "paper"
    assert not r.missing
    table = r.table(["method", "psnr"])
    assert list(table.columns) == ["profile", "method", "psnr"]
    assert list(dict.fromkeys(table["profile"])) == ["paper", "cpu-small"]


def test_missing_paper_profile_falls_back_and_says_so(fake_load):
    r = runs.load("fig5")
    assert list(r.results) == ["cpu-small"] and r.main_profile == "cpu-small"
    assert "stale" in r.missing["paper"]
    assert "cpu-small` alone" in r._missing_note()


def test_the_last_profile_must_exist(monkeypatch):
    def load(figure, profile, device="auto", **params):
        raise GanzError("stale: nothing")
    monkeypatch.setattr(runs.recorded, "load", load)
    monkeypatch.delenv("GANZ_PROFILE", raising=False)
    with pytest.raises(GanzError, match="stale"):
        runs.load("fig3")


def test_stack_titles_each_profile_and_passes_a_lone_figure_through():
    a, b = message_figure("a"), message_figure("b")
    assert runs.stack({"only": a}) is a
    both = runs.stack({"profile paper": a, "profile cpu-small": b})
    assert isinstance(both, BookFigure) and len(both.axes) == 2
    assert [t.get_text() for t in both.texts] == ["profile paper", "profile cpu-small"]
    assert isinstance(runs.stack({"only": a}, titled=True), BookFigure)


def test_split_medians_one_row_per_ratio_the_trained_layer_labelled():
    rows = []
    for split in ("train", "test", "ood"):
        for i in range(3):
            for r, a in ((10.0, "random_linear"), (48.0, "keep_linear")):
                rows.append({"image": f"{split}{i}", "split": split, "method": "ganz",
                             "adapter": a, "ratio": r, "psnr": 20.5 + i})
                rows.append({"image": f"{split}{i}", "split": split,
                             "method": "wavelet_original_code", "adapter": None, "ratio": r,
                             "psnr": 30.0 + i})
                rows.append({"image": f"{split}{i}", "split": split, "method": "wavelet_paper_text",
                             "adapter": None, "ratio": r, "psnr": 25.0})
    res = ExperimentResult(pd.DataFrame(rows), {}, {"profile": "cpu-small"})
    t = runs.Runs("fig5", {"cpu-small": res}).split_medians().df
    assert list(t.columns) == ["profile", "R = N / d_c", "train: GANZ (dB)", "train: wavelet (dB)",
                               "test: GANZ (dB)", "test: wavelet (dB)", "ood: GANZ (dB)",
                               "ood: wavelet (dB)"]
    assert t["R = N / d_c"].tolist() == ["10", "48 (trained layer)"]
    assert t["test: GANZ (dB)"].tolist() == ["21.50", "21.50"]  # the median of 20.5, 21.5, 22.5
