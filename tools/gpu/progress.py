"""What is recorded already, so a call takes the next stages not yet done: the zoo's models, whole
tables, the GPU benchmark, the codecs table's latents; and how long one more dim would train."""
from __future__ import annotations

from .recipe import LONG_MODEL, LONG_RATIO, OTHER_DIMS, equal_images, model_name
from .session import Session

RATE_MARGIN = 0.8  # share of d64's recorded training rate another dim's estimate counts on


def has_model(s: Session, name: str) -> bool:
    return (s.zoo() / f"{name}.safetensors").is_file()


def missing_dims(s: Session) -> list[int]:
    """The other dims whose equal-images model is not in the zoo yet."""
    return [d for d in OTHER_DIMS if not has_model(s, model_name(d, True))]


def has_whole(s: Session, figure: str) -> bool:
    """Whether a whole table of ``figure`` is recorded (not only a partial one)."""
    return any(not p.name.endswith(".partial.csv") for p in s.results().glob(f"{figure}-*.csv"))


def has_rd_latents(s: Session) -> bool:
    """Whether every QAT latent set of the paper profile's codecs table is recorded (counted
    by file: quantized depths × fig. 5's settings × splits)."""
    from ganz.study.ratedistortion import BITS, FIG5_RATIOS, QUANT_BITS, RD_SPLITS

    want = sum(b in QUANT_BITS for b in BITS) * (len(FIG5_RATIOS) + 1) * len(RD_SPLITS)
    return len(list((s.results() / "jobs").glob("qat-*.npz"))) >= want


def has_encoder(s: Session) -> bool:
    from ganz.core.encoder import encoder_path_for

    return encoder_path_for(s.zoo() / f"{model_name(64)}.safetensors").is_file()


def has_gpu_bench() -> bool:
    """A GPU benchmark recorded with cuDNN as ``ganz compress`` runs it (no autotuning: with it
    the fast method stalls on each new batch shape, ``fast.no_autotuning``)."""
    import json

    from ganz.core.paths import results_dir

    return any(json.loads(p.read_text()).get("cudnn_benchmark") is False
               for p in (results_dir() / "bench").glob("inversion-*-cuda.json"))


def has_long(s: Session) -> bool:
    return has_model(s, LONG_MODEL)


def has_long_eval() -> bool:
    from ganz.study.longmodel import long_table_path

    return long_table_path("paper", 64, LONG_RATIO).is_file()


def d64_log(s: Session) -> dict:
    """The last row of d64's recorded training log (``{}`` when there is none)."""
    import csv

    log = s.results() / "training" / "d64.csv"
    rows = list(csv.DictReader(log.open())) if log.is_file() else []
    return rows[-1] if rows else {}


def train_estimate(s: Session) -> float:
    """Seconds to train one more dim to the equal-images budget: the images/s that d64's recorded
    log reached (same FLOPs per step at every latent dim) less ``RATE_MARGIN`` (a run cut before
    the budget is not published), plus start-up."""
    rate = float(d64_log(s).get("images_per_s") or 1000.0)
    return (5.0 if s.dry else 30.0) + equal_images(s.dry, s.opts.equal_epochs) / (rate * RATE_MARGIN)
