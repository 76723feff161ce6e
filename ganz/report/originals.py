"""The pictures a page shows beside a recorded run's reconstructions, drawn at reading: the
originals from the evaluation images (where this machine has them) and, for fig. 4, the
wavelet's pictures made from them. A run keeps only its reconstructions
(``ganz.results.store.write_pictures``); the images stay with the data."""
from __future__ import annotations

import numpy as np

from ..baselines.wavelet import wavelet_baseline
from ..core.data import eval_image
from ..core.errors import MissingDataError
from ..results.calls import WITH_PICTURES
from ..results.profiles import NO_IMAGES_NOTE, ExperimentResult, get_profile
from ..results.store import is_original


def _fig4_ratio(tag: str, table) -> float:
    """The ratio a fig. 4 picture was made at: ``R<ratio>``, or the trained layer's N / d_t."""
    if tag.startswith("R"):
        return float(tag[1:])
    keep = table[(table["method"] == "ganz") & (table["adapter"] == "keep_linear")]
    return float(keep["nominal_ratio"].iloc[0])


def with_originals(figure: str, res: ExperimentResult) -> ExperimentResult:
    """``res`` with the originals (and fig. 4's wavelet pictures) added in the places the runner
    puts them; where the images are absent, the reconstructions alone and ``NO_IMAGES_NOTE``."""
    if figure not in WITH_PICTURES or figure == "fig7" or not res.images:
        return res
    size = get_profile(res.meta.get("profile")).image_size
    found: dict[tuple[str, str], np.ndarray | None] = {}

    def original(split: str, name: str) -> np.ndarray | None:
        if (split, name) not in found:
            try:
                found[(split, name)] = eval_image(split, name, size)
            except MissingDataError:
                found[(split, name)] = None
        return found[(split, name)]

    images: dict[str, np.ndarray] = {}
    if figure == "fig4":
        t = res.table
        orig = res.images.get("original")
        if orig is None and len(t):
            orig = original(str(t["split"].iloc[0]), str(t["image"].iloc[0]))
        if orig is not None:
            images["original"] = orig
        for key, img in res.images.items():
            if key == "original":
                continue
            images[key] = img
            if orig is not None and key.startswith("ganz/"):
                tag = key.split("/", 1)[1]
                images[f"wavelet/{tag}"] = wavelet_baseline(orig, _fig4_ratio(tag, t),
                                                            "original_code").recon
    else:  # "<split>/<name>/<setting>": the original first in its row
        for key, img in res.images.items():
            split, name, _ = key.split("/")
            own = f"{split}/{name}/original"
            if own not in images and own not in res.images:
                orig = original(split, name)
                if orig is not None:
                    images[own] = orig
            images[key] = img
    meta = dict(res.meta)
    if not any(is_original(k) for k in images):
        meta["note"] = "; ".join(filter(None, [meta.get("note"), NO_IMAGES_NOTE]))
    return ExperimentResult(res.table, images, meta)
