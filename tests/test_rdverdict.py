"""ganz.report.rdverdict: the codecs chapter's prose comes from the recorded rate–distortion table."""
import pytest

from ganz.report import rdverdict
from ganz.study import policy
from ganz.study import ratedistortion as rd


@pytest.fixture(scope="module")
def recorded_rd():
    """The committed table (results/ of the checkout, whatever GANZ_RESULTS the run sets)."""
    from ganz.core.paths import ROOT

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANZ_RESULTS", str(ROOT / "results"))
        return rd.rd_experiment("cpu-small", "cpu", bits=[32, 16, 8, 6, 4],
                                policy=policy.recorded())


@pytest.mark.slow
def test_verdict_is_written_from_the_table(recorded_rd):
    v = rdverdict.verdict(recorded_rd, "cpu")
    assert v.figure == "codecs"
    assert "nan" not in v.text.lower()
    # the chapter's wavelet is named for what it is, and set against the figures' baseline
    assert "at level 4 (32×32)" in v.text and "figures' baseline" in v.text
    cap = float(recorded_rd.table.query("method == 'ganz' and split == 'test'")
                .groupby(["adapter", "ratio", "bits"])["psnr"].mean().max())
    assert v.facts["cap_test"] == round(cap, 1)


def test_examples_paragraph_gives_the_budgets(recorded_rd):
    text = rdverdict.examples(recorded_rd)
    assert "ratio 100" in text and "ratio 10," in text and "bytes" in text
