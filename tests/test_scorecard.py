"""The scorecard: every published number beside ours, judged with the stated tolerance."""
import pandas as pd

from ganz.report import scorecard, verdicts
from ganz.report.runs import Runs
from ganz.results.profiles import ExperimentResult


def _fig5(test_r10: float) -> Runs:
    n = 3 * 64 * 64
    rows = []
    for split in ("test", "ood"):
        for r in (10, 30):
            for i in range(3):
                psnr = test_r10 if (split, r) == ("test", 10) else 20.0
                rows.append({"split": split, "image": f"{split}{i}", "method": "ganz",
                             "adapter": "random_linear", "ratio": n / round(n / r),
                             "nominal_ratio": float(r), "psnr": psnr,
                             "profile": "paper"})
                rows.append({"split": split, "image": f"{split}{i}", "method": verdicts.WAVELET_CODE,
                             "adapter": None, "ratio": n / round(n / r), "nominal_ratio": float(r),
                             "psnr": 40.0,
                             "profile": "paper"})
    res = ExperimentResult(pd.DataFrame(rows), {}, {"profile": "paper"})
    return Runs("fig5", {"paper": res})


def test_paper_images_seen_follow_its_recipe():
    assert scorecard.paper_images_seen() == 50 * 192_470


def test_numbers_hold_within_the_tolerance_only():
    t = scorecard.numbers({"fig5": _fig5(33.3)})
    row = t[t["what the paper printed"] == "GANZ, held-out faces, R = 10"].iloc[0]
    assert row["paper (dB)"] == "≈ 33.50" and row["ours (dB)"] == "33.30"
    assert row["holds"] == "yes" and row["tolerance"] == f"±{verdicts.TIE_DB:g} dB"
    far = scorecard.numbers({"fig5": _fig5(26.1)})
    row = far[far["what the paper printed"] == "GANZ, held-out faces, R = 10"].iloc[0]
    assert row["holds"] == "no" and row["ours − paper (dB)"] == "-7.40"
    assert len(far) == 8  # fig. 5's eight published numbers


def test_headline_states_the_fraction_and_a_prediction():
    t = scorecard.numbers({"fig5": _fig5(26.1)})
    seen = {"model": "m", "ours": 369_120, "paper": scorecard.paper_images_seen(),
            "fraction": 369_120 / scorecard.paper_images_seen(), "doublings": 4.7, "faces": 8550,
            "paper_faces": scorecard.PAPER_TRAIN_FACES,
            "per_doubling": {"test": 1.2, "train": 1.3, "ood": 1.8}}
    text = scorecard.headline(t, seen)
    assert "**26.10 dB**" in text and "3.8%" in text and "≈ 9.6 M" in text
    assert "A prediction, not a measurement" in text and "+5.6 dB (+5.6 to +8.5)" in text
