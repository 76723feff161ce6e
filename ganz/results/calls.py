"""A figure call as data: the parameters a figure runs with, the profile's defaults filled in, and
the generators it runs. One rule for both sides of the store: the runner that records a table
(``ganz.study.figures``) and the reader that finds it again (``ganz.results.store.read``) build
the same ``params``, which the table's key hashes and its sidecar records."""
from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import GanzError
from .profiles import Profile

#: the figures whose runs are recorded as tables, and each one's arguments with their defaults
DEFAULTS: dict[str, dict] = {
    "fig2": {"ratio": 10, "dims": (64, 128, 256, 512), "n_images": None, "steps": None},
    "fig3": {"n_images": None, "steps": None},
    "fig4": {"image": "jack", "ratios": (10, 20, 50, 100, 768), "steps": None},
    "fig5": {"ratio": (6, 10, 20, 24, 30, 50, 100, 200), "n_images": None, "steps": None,
             "keep_linear": True},
    "fig7": {"dims": (64, 128, 256, 512), "n": 6, "seed": 0},
    "fig8": {"measurements": (4000, 10000), "n_images": None, "steps": None},
}
#: figures whose runs keep pictures (reconstructions, or fig. 7's samples; originals stay with the data)
WITH_PICTURES = ("fig3", "fig4", "fig7", "fig8")


def as_tuple(v) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


@dataclass(frozen=True)
class FigureCall:
    figure: str
    profile: Profile
    params: dict  # what the table's key hashes and its sidecar records
    dims: tuple[int, ...]  # the generators' training latent dims
    equal_budget: bool  # the dims' models trained on as many images (figs. 2 and 7)

    @property
    def models(self) -> tuple[str, ...]:
        """The generators' names (``smoke-d<dim>`` for the smoke profile's seeded ones)."""
        if self.profile.synthetic:
            return tuple(f"smoke-d{d}" for d in self.dims)
        models = self.profile.dim_models if self.equal_budget else self.profile.models
        missing = [d for d in self.dims if d not in models]
        if missing:
            raise GanzError(f"profile {self.profile.name} has no model for latent dim {missing[0]}")
        return tuple(models[d] for d in self.dims)


def figure_call(figure: str, prof: Profile, **args) -> FigureCall:
    """``figure``'s call under ``prof`` with ``args`` (the runner's keyword arguments)."""
    if figure not in DEFAULTS:
        raise GanzError(f"unknown figure {figure!r}; recorded figures: {', '.join(DEFAULTS)}")
    unknown = set(args) - set(DEFAULTS[figure])
    if unknown:
        raise GanzError(f"{figure} takes no parameter {sorted(unknown)[0]!r}")
    a = {**DEFAULTS[figure], **args}
    if figure == "fig7":  # samples: no inversion
        dims = as_tuple(a["dims"])
        return FigureCall(figure, prof, {"dims": dims, "n": a["n"], "seed": a["seed"]}, dims, True)
    steps = a["steps"] or prof.steps
    if figure == "fig2":
        dims = as_tuple(a["dims"])
        n = a["n_images"] or prof.dim_images or prof.n_images
        return FigureCall(figure, prof, {"ratio": a["ratio"], "dims": dims, "n": n, "steps": steps},
                          dims, True)
    if figure == "fig3":  # the original set has its own fig. 3 list (1 train, 1 test, 8 ood)
        n = a["n_images"] or (prof.n_images if prof.image_set == "original" else min(prof.n_images, 4))
        return FigureCall(figure, prof, {"n": n, "steps": steps}, (64,), False)
    if figure == "fig4":
        image = a["image"].rsplit(".", 1)[0]
        return FigureCall(figure, prof, {"image": image, "ratios": as_tuple(a["ratios"]),
                                         "steps": steps}, (64,), False)
    if figure == "fig5":
        ratios = tuple(float(r) for r in as_tuple(a["ratio"]))
        return FigureCall(figure, prof, {"ratios": ratios, "keep_linear": a["keep_linear"],
                                         "n": a["n_images"] or prof.n_images, "steps": steps},
                          (64,), False)
    return FigureCall(figure, prof, {"measurements": as_tuple(a["measurements"]),
                                     "n": a["n_images"] or min(prof.n_images, 3), "steps": steps},
                      (64,), False)
