"""A page's parameters as users type them, made into what the runners take, in one place.

``papermill notebooks/fig5.ipynb out.ipynb -p ratio 24`` hands the notebook the number 24 where
the page's default is a list of ratios; ``-y "ratio: [10, 24]"`` a list; ``-p ratio 10,24`` a
string. ``normalise`` turns each into the runner's form (a tuple of numbers for a list parameter)
and refuses what cannot be meant, with one line naming the parameter. ``PAGE_DEFAULTS`` are the
values each notebook's parameter cell sets (a test keeps the two equal): a page at its defaults is
the book's page and only reads recorded results; any other value is the user's own run.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from ..core.errors import GanzError
from ..results.calls import DEFAULTS as FIGURE_DEFAULTS

#: each page's parameters (besides ``profile`` and ``device``) at the values its notebook sets:
#: the figures' calls' defaults (``ganz.results.calls``), and the codecs page's bit depths
PAGE_DEFAULTS: dict[str, dict[str, object]] = {**FIGURE_DEFAULTS,
                                               "codecs": {"bits": (32, 16, 8, 6, 4)}}

#: the parameters that hold a list (a single number stands for a list of one)
LIST_PARAMS = {"fig2": {"dims"}, "fig4": {"ratios"}, "fig5": {"ratio"}, "fig7": {"dims"},
               "fig8": {"measurements"}, "codecs": {"bits"}}
#: integer parameters (the rest of the numbers may be fractional, e.g. a ratio of 7.5)
INT_PARAMS = {"dims", "measurements", "bits", "n_images", "steps", "n", "seed"}
#: parameters that may be None (the profile's own value)
OPTIONAL = {"n_images", "steps"}


def _number(page: str, name: str, value: object) -> float | int:
    """One number of parameter ``name``: an int, float or numeric string; positive unless it is a
    seed; whole where the parameter counts something."""
    if isinstance(value, bool):
        raise GanzError(f"{page}: parameter {name} must be a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise GanzError(f"{page}: parameter {name} must be a number, got {value!r}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GanzError(f"{page}: parameter {name} must be a number, got {value!r}")
    if name in INT_PARAMS:
        if value != int(value):
            raise GanzError(f"{page}: parameter {name} must be a whole number, got {value!r}")
        value = int(value)
    elif float(value).is_integer():
        value = int(value)
    if name != "seed" and value <= 0:
        raise GanzError(f"{page}: parameter {name} must be positive, got {value!r}")
    return value


def _numbers(page: str, name: str, value: object) -> tuple:
    """A list parameter as a tuple: one number, a list/tuple, or a string like ``"10,24"``."""
    if isinstance(value, str):
        parts = [p for p in value.replace(",", " ").split() if p]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        parts = [value]
    if not parts:
        raise GanzError(f"{page}: parameter {name} is empty; give at least one value")
    out = tuple(_number(page, name, v) for v in parts)
    if len(set(out)) != len(out):
        raise GanzError(f"{page}: parameter {name} repeats a value: {list(out)}")
    return out


def normalise(page: str, params: Mapping[str, object]) -> dict[str, object]:
    """``params`` in the runner's form: list parameters as tuples, counts as ints, ``None`` kept
    where the profile's own value is meant. Unknown names and bad values raise ``GanzError``."""
    if page not in PAGE_DEFAULTS:
        raise GanzError(f"unknown page {page!r}; choose one of {', '.join(PAGE_DEFAULTS)}")
    known = PAGE_DEFAULTS[page]
    out: dict[str, object] = {}
    for name, value in params.items():
        if name not in known:
            raise GanzError(f"{page}: unknown parameter {name!r}; it takes "
                            f"{', '.join(['profile', 'device', *known])}")
        if value is None and name in OPTIONAL:
            out[name] = None
        elif name in LIST_PARAMS.get(page, ()):
            out[name] = _numbers(page, name, value)
        elif isinstance(known[name], bool):
            if not isinstance(value, bool):
                raise GanzError(f"{page}: parameter {name} must be True or False, got {value!r}")
            out[name] = value
        elif isinstance(known[name], str):
            out[name] = str(value)
        else:
            if isinstance(value, (list, tuple)):
                raise GanzError(f"{page}: parameter {name} takes one value, got {list(value)}")
            out[name] = _number(page, name, value)
    return out


def is_default(page: str, params: Mapping[str, object]) -> bool:
    """Whether normalised ``params`` are the page's defaults (the book's page)."""
    defaults = normalise(page, PAGE_DEFAULTS[page])
    return all(params.get(k, v) == v for k, v in defaults.items())


def describe(page: str, params: Mapping[str, object]) -> str:
    """The parameters that differ from the page's defaults, as papermill flags
    (``-p ratio 24``); "" at the defaults."""
    defaults = normalise(page, PAGE_DEFAULTS[page])
    flags = []
    for k, v in params.items():
        if v == defaults.get(k):
            continue
        if isinstance(v, tuple):
            v = v[0] if len(v) == 1 else ",".join(f"{x:g}" for x in v)
        flags.append(f"-p {k} {v}")
    return " ".join(flags)
