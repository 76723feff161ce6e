"""Verdicts say what their tables say: counts and names read from the table, a stated tolerance."""
import pandas as pd

from ganz.report import verdicts


def _fig2(n_images: int, dims=(64, 128, 256), ood_best: int = 256, spread: float = 0.3):
    rows = []
    for split in ("train", "test", "ood"):
        for i in range(n_images):
            rows.append({"split": split, "image": f"{split}{i}", "method": verdicts.WAVELET_CODE,
                         "adapter": None, "dim": None, "psnr": 40.0})
            for d in dims:
                best = ood_best if split == "ood" else 64
                psnr = 25.0 + (spread if d == best else 0.0) - 0.01 * d / 64
                rows.append({"split": split, "image": f"{split}{i}", "method": "ganz",
                             "adapter": "random_linear", "dim": d, "psnr": psnr})
    return pd.DataFrame(rows)


def test_fig2_counts_come_from_the_table():
    v = verdicts.fig2(_fig2(20))
    assert "the 3 models there" in v.text and "20 pictures each" in v.text
    assert "8 or fewer" not in v.text and "four models" not in v.text
    assert "not settled" in v.text  # 0.3 dB < the paper's ≈ 1 dB step
    wide = verdicts.fig2(_fig2(5, dims=(64, 128, 256, 512), ood_best=512, spread=2.0))
    assert "the 4 models there" in wide.text and "5 pictures each" in wide.text
    assert "not settled" not in wide.text


def _fig4(keep: float, random_same: float):
    n = 3072
    rows = [{"image": "jack.png", "split": "ood", "method": m, "adapter": a, "ratio": r,
             "nominal_ratio": r, "psnr": p}
            for r in (10.0, n / 64)
            for m, a, p in (("ganz", "random_linear", random_same if r == n / 64 else 22.0),
                            (verdicts.WAVELET_CODE, None, 30.0))]
    rows.append({"image": "jack.png", "split": "ood", "method": "ganz", "adapter": "keep_linear",
                 "ratio": n / 64, "nominal_ratio": n / 64, "psnr": keep})
    return pd.DataFrame(rows)


def test_fig4_needs_more_than_the_tolerance_to_call_the_trained_layer_better():
    close = verdicts.fig4(_fig4(20.21, 20.13), [10, 48], 3072)
    assert "Too close to call" in close.text and "one picture" in close.text
    assert "**Reproduces on this picture:** at the same" not in close.text
    clear = verdicts.fig4(_fig4(21.5, 20.0), [10, 48], 3072)
    assert "**Reproduces on this picture:** at the same" in clear.text
    assert "by 8.0 to" in clear.text  # the wavelet's lead, read from the table


def test_fig4_wavelet_lead_inside_the_tolerance_is_too_close_to_call():
    t = _fig4(21.5, 20.0)
    t.loc[(t["method"] == verdicts.WAVELET_CODE) & (t["ratio"] == 48.0), "psnr"] = 20.1
    v = verdicts.fig4(t, [10, 48], 3072)
    assert "**Partly reproduces:**" in v.text and "at R = 48 by less than the 0.5 dB" in v.text
    assert "by 8.0 to 8.0 dB at the other ratios" in v.text and v.facts["close"] == "48"
    assert "**Reproduces:** on" not in v.text


def test_training_trend_per_model_agrees_with_its_line():
    log = pd.DataFrame({"step": range(10), "images_seen": range(0, 100, 10), "loss_real": 0.3,
                        "loss_fake": 0.1, "k": 0.01})
    logs = pd.concat([log.assign(dim=64, m_global=[0.06] * 8 + [0.061, 0.070]),
                      log.assign(dim=128, m_global=[0.063] * 9 + [0.062]),
                      log.assign(dim=512, m_global=[0.057] * 8 + [0.057, 0.054])])
    v = verdicts.training(logs)
    assert v.facts == {"falling": 1, "models": 3, "flat": 1, "rising": 1}
    assert "1 of 3 models (d_t = 512)" in v.text and "rises for d_t = 64" in v.text
    assert "(+15%, rising)" in v.text and "flat)" in v.text


def test_reasons_mention_the_wavelet_only_where_the_verdict_does():
    t = pd.DataFrame({"split": ["train", "train", "ood", "ood"], "image": ["a", "a", "b", "b"],
                      "method": "ganz", "adapter": ["square_linear", "no_linear"] * 2,
                      "ratio": 6.0, "nominal_ratio": 6.0, "psnr": [20.0, 21.0, 18.0, 19.5]})
    models = [{"width": 32, "image_size": 32, "images_seen": 80000}]
    assert "wavelet" not in verdicts.fig3(t, models).text
