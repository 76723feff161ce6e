"""The numbers the deviations chapter prints (``book/deviations.md``), computed from results/,
the data and the paper's numbers when the page is built, never typed: how our image lists,
stand-in pictures, wavelet rule, training epochs and file sizes differ from the original code's
(the recorded wavelet rows are refreshed by ``python -m ganz.study.fidelity refresh``)."""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from ..core.data import train_face_count
from ..core.errors import GanzError
from ..core.paths import results_dir
from ..results.calls import figure_call
from ..results.profiles import SPLITS, get_profile
from ..results.store import REFRESH_RECORD, WAVELETS, figure_tables


def _record(profile: str) -> pd.DataFrame:
    path = results_dir() / profile / REFRESH_RECORD
    if not path.is_file():
        raise GanzError(f"{path} is missing; run `python -m ganz.study.fidelity refresh`")
    return pd.read_csv(path).drop_duplicates(["experiment", "split", "ratio", "method"])


def wavelet_rule_effect(profile: str = "cpu-small") -> pd.DataFrame:
    """Median ``wavelet_original_code`` PSNR (dB) of figs. 4 and 5 under the project's former
    rule (level capped by pywt, round(N / R) per channel, 8-bit PSNR) and the original's."""
    t = _record(profile)
    t = t[(t["method"] == "wavelet_original_code") & t["experiment"].isin(["fig4", "fig5"])]
    t = t.rename(columns={"before": "former_rule", "after": "original_rule"})
    return (t[["experiment", "split", "ratio", "former_rule", "original_rule", "delta_db"]]
            .sort_values(["experiment", "split", "ratio"]).reset_index(drop=True))


def figure_image_counts(profile: str) -> dict[str, int]:
    """Images per split each figure takes by default (its call's ``n``, ``ganz.results.calls``)."""
    prof = get_profile(profile)
    return {f: figure_call(f, prof).params["n"] for f in ("fig2", "fig3", "fig5", "fig8")}


def image_list_differences(profile: str = "cpu-small") -> pd.DataFrame:
    """Per figure and split: the images ``profile`` evaluates against the original code's lists
    (names from the manifest; no pixels needed)."""
    from ..core.data import eval_names

    prof = get_profile(profile)
    rows = []
    for figure, n in figure_image_counts(profile).items():
        lists = "fig3" if figure == "fig3" else "fig8" if figure == "fig8" else None
        for split in SPLITS:
            ours = eval_names(split, n, prof.image_set, lists)
            theirs = eval_names(split, None, "original", lists)
            rows.append({"figure": figure, "split": split, "ours_n": len(ours),
                         "original_n": len(theirs), "shared": len(set(ours) & set(theirs)),
                         "ours": _names(ours), "original": _names(theirs)})
    return pd.DataFrame(rows)


def _names(names: list[str]) -> str:
    """Every name, runs of consecutive numbered faces written as ``first–last`` (nothing cut)."""
    stems = [n.rsplit(".", 1)[0] for n in names]
    parts: list[list[str]] = []
    for s in stems:
        prev = parts[-1][-1] if parts else None
        if (prev is not None and s.isdigit() and prev.isdigit() and len(s) == len(prev)
                and int(s) == int(prev) + 1):
            parts[-1].append(s)
        else:
            parts.append([s])
    return ", ".join(p[0] if len(p) == 1 else f"{p[0]}–{p[-1]}" for p in parts)


def stand_ins() -> pd.DataFrame:
    """The original's pictures missing from this data copy and the picture used instead."""
    from ..core.data import load_manifest

    seen, rows = set(), []
    for _figure, picks in load_manifest().get("original", {}).get("figures", {}).items():
        for e in picks:
            if "replaces" in e and e["replaces"] not in seen:
                seen.add(e["replaces"])
                rows.append({"original": e["replaces"], "split": e["split"], "ours": e["name"]})
    return pd.DataFrame(rows, columns=["original", "split", "ours"])


def psnr_quantization_gap(profile: str = "cpu-small") -> pd.DataFrame:
    """Median and largest gap (dB) between the wavelet's PSNR as the original computed it (float
    reconstruction, unclipped) and the PSNR of the 8-bit image, over the recorded rows."""
    frames = [t for t in figure_tables(profile).values() if "psnr_uint8" in t]
    if not frames:
        raise GanzError(f"no recorded psnr_uint8 under {results_dir() / profile}")
    t = pd.concat(frames)
    t = t[t["method"].isin(WAVELETS)].assign(gap=lambda d: d["psnr"] - d["psnr_uint8"])
    return t.groupby("method")["gap"].agg(median="median", max="max", rows="size").round(3)


def jack_wavelet_labels(ratios=(10, 20, 50, 100, 768)) -> pd.DataFrame | None:
    """The original rule on ``jack`` at 128×128 against the paper's fig. 4 wavelet labels;
    None where the picture is not on this machine."""
    from ..core.data import eval_image
    from ..core.errors import MissingDataError
    from ..results.published import paper_numbers
    from ..baselines.wavelet import wavelet_baseline

    try:
        image = eval_image("ood", "jack.png", 128)
    except MissingDataError:
        return None
    pub = paper_numbers("fig4", ["jack"])
    pub = pub[pub["method"] == "wavelet_original_code"].set_index("ratio")["psnr"]
    rows = []
    for r in ratios:
        w = wavelet_baseline(image, r, "original_code")
        rows.append({"ratio": r, "paper_label": pub.get(r, np.nan), "ours": round(w.psnr, 2),
                     "ours_uint8": round(w.psnr_uint8, 2)})
    return pd.DataFrame(rows)


def ood_wavelet_medians(ratios=(10, 30), size: int = 128) -> pd.DataFrame | None:
    """Median original-rule wavelet PSNR of our 20 out-of-domain pictures (subway in place of
    the original's lena) at the paper's size; None where the pictures are absent."""
    from ..core.data import eval_image, eval_names
    from ..core.errors import MissingDataError
    from ..baselines.wavelet import wavelet_baseline

    try:
        images = [eval_image("ood", n, size) for n in eval_names("ood", image_set="original")]
    except MissingDataError:
        return None
    return pd.DataFrame({"ratio": list(ratios), "median": [
        round(float(np.median([wavelet_baseline(im, r, "original_code").psnr for im in images])), 2)
        for r in ratios]})


def epoch_remainder(faces: int | None = None) -> dict:
    """The original recipe's epochs over ``faces`` (default our train split): full batches only,
    in the same sorted order every epoch, so the same last faces are never drawn."""
    from ..core.config import TrainConfig

    faces = train_face_count() if faces is None else faces
    batch = TrainConfig.original().batch_size
    return {"faces": faces, "batch": batch, "steps": faces // batch, "dropped": faces % batch}


def file_overheads(ratio: float = 768.0, paper_size: int = 128, size: int = 64) -> dict:
    """Bytes a compressed file carries beyond its float32 latent: the original's (a gzipped
    tensor plus a JSON of checkpoint name, SHA-1 and PSNR), from the file size the paper printed at
    ``ratio``, and a ``.ganz`` file's at ``size``, from the format itself (generator id, sizes,
    seed, latent scale and CRC)."""
    from ..core.fileformat import GanzFile, pack
    from ..results.published import paper_numbers

    pub = paper_numbers("fig4")
    kib = float(pub.loc[(pub["ratio"] == ratio) & pub["file_kb"].notna(), "file_kb"].iloc[0])
    d_paper = 3 * paper_size ** 2 // int(ratio)  # the original floors N / R
    d_ours = round(3 * size ** 2 / 10)
    z = np.random.default_rng(0).uniform(-1, 1, d_ours).astype(np.float32)
    blob = pack(GanzFile("random_linear", size, size, 0, "0" * 16, z, scale=16.0))
    raw = z.astype("<f4").tobytes()
    stored = min(len(raw), len(zlib.compress(raw, 9)))  # the format deflates when that is smaller
    return {"paper_ratio": ratio, "paper_latent_bytes": 4 * d_paper,
            "paper_file_bytes": kib * 1024, "paper_overhead_bytes": kib * 1024 - 4 * d_paper,
            "ganz_latent_bytes": stored, "ganz_file_bytes": len(blob),
            "ganz_overhead_bytes": len(blob) - stored}
