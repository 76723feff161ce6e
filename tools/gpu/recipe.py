"""What a GPU session trains and runs: the paper profile's model names, the original layout and
recipe (``dry``: toy sizes on CPU), the equal-images budget of figs. 2 and 7, the stages' figures."""
from __future__ import annotations

# dim 64 only; cheapest first; ``fig4:<image>`` is fig. 4 on another picture (the faces standing
# in for the paper's panels a and b, ``ganz.results.profiles.FIG4_STAND_INS``)
PAPER_FIGS = ("fig4", "fig4:000001", "fig4:008551", "fig3", "fig8", "fig5")
DIM_FIGS = ("fig7", "fig2")  # need every dim at equal images seen
OTHER_DIMS = (128, 256, 512)
LONG_MODEL = "celeba64-d64-long"  # d64 again, from scratch, for as long as a session's calls allow
LONG_RATIO = 10.0  # the long model is evaluated at this ratio on every split
LONG_HANDOFF = "d64-long"  # name of the long d64's handed-off state (OUT, then lease-state/)
DRY_CALIBRATION_STEPS = 40  # dry: a fixed calibration, not as many steps as 30 s allow (up to 200)


def model_name(dim: int, equal_budget: bool = False) -> str:
    return f"celeba64-d{dim}-final" if equal_budget else f"celeba64-d{dim}"


def model_cfg(dim: int, dry: bool):
    """The original layout at 64×64, width 128 (dry: 16×16, width 8)."""
    from ganz.core.config import ModelConfig

    size = dict(image_size=16, base_size=4, width=8) if dry else \
        dict(image_size=64, base_size=4, width=128)
    return ModelConfig(latent_dim=dim, arch="original", **size)


def train_cfg(dry: bool, steps: int | None = None, snapshot_images: tuple[int, ...] = (),
              epochs: int | None = None):
    """The original recipe without checkpoints (dry: batch 8, one epoch); ``steps`` or ``epochs``
    replace its length."""
    from ganz.core.config import TrainConfig

    small = dict(batch_size=8, log_every=10, epochs=1) if dry else dict(log_every=100)
    extra = {"epochs": 0, "steps": steps} if steps else {}
    if epochs:
        extra = {"epochs": epochs}
    return TrainConfig.original(checkpoint_every=0, snapshot_images=snapshot_images,
                                **{**small, **extra})


def equal_images(dry: bool, epochs: int) -> int:
    """Images seen by every dim for figs. 2 and 7: ``epochs`` whole-batch epochs of the train split."""
    from ganz.core.data import celeba_array

    n = len(celeba_array(model_cfg(64, dry).image_size, "train", 0))
    b = train_cfg(dry).batch_size
    return epochs * (n // b) * b


def fig_call(entry: str) -> tuple[str, dict]:
    """``"fig4:000001"`` -> ("fig4", {"image": "000001"}); ``"fig3"`` -> ("fig3", {})."""
    fig, _, image = entry.partition(":")
    return fig, ({"image": image} if image else {})
