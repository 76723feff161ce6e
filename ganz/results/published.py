"""The paper's published numbers (``data/paper_numbers.csv``), read as transcribed: figure,
split, picture, setting, value, and ``approx`` for values read off a plot."""
from __future__ import annotations

from functools import lru_cache
from pathlib import PurePath

import pandas as pd

from ..core.paths import DATA_DIR

PAPER_CSV = DATA_DIR / "paper_numbers.csv"
FIGURES = ("fig2", "fig3", "fig4", "fig5", "fig8")  # the figures the paper printed numbers for


@lru_cache(maxsize=1)
def load() -> pd.DataFrame:
    df = pd.read_csv(PAPER_CSV, dtype={"figure": str, "split": str, "image": str,
                                       "adapter": str, "method": str, "note": str})
    df["approx"] = df["approx"].astype(str).str.lower().eq("true")
    df["exact"] = ~df["approx"]
    return df


def paper_numbers(figure: str, images=None) -> pd.DataFrame:
    """The paper's numbers for one figure (e.g. ``"fig5"``); an empty frame if it printed none.
    ``images`` (names, with or without extension) keeps the rows of those pictures (fig. 4's
    panels) and the rows that name none."""
    df = load()
    known = sorted(set(df["figure"]) | set(FIGURES))
    if figure not in known:
        raise ValueError(f"unknown figure {figure!r}; expected one of {', '.join(known)}")
    rows = df[df["figure"] == figure]
    if images is not None:
        stems = {stem(i) for i in images}
        rows = rows[rows["image"].isna() | rows["image"].map(lambda i: stem(i) in stems)]
    return rows.reset_index(drop=True).copy()


def stem(name: object) -> str:
    """A picture's name without its file extension (the paper names ``jack``, we ``jack.png``)."""
    return "" if pd.isna(name) else PurePath(str(name)).stem
