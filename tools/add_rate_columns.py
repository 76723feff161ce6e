"""Add the rate columns ``d_c``, ``nominal_ratio`` and ``nominal_measurements`` to recorded
figure tables and codecs (``rd``) tables that lack them
(``python -m tools.add_rate_columns [--profile P ...]``).

The figure runners write these columns themselves; this fills them in for tables recorded before
they did, exactly, from what each table and its sidecar hold:

- ``d_c`` = N / ``ratio`` (a row's ``ratio`` is N / d_c, so the division is exact up to rounding
  of the stored float); baseline rows without a ratio (the Lasso) get none;
- ``nominal_ratio``: the ratio R of the sidecar's parameters with ``ratio_to_dim(N, R) == d_c``
  (the random layers and their wavelet rows), else ``ratio`` itself (layers whose size no ratio
  sets: keep_linear, square_linear, no_linear, and fig. 4's added R = N / d_t);
- ``nominal_measurements`` (fig. 8): the M of the sidecar's parameters that the run scaled to the
  row's ``measurements`` (``round(M · N / PAPER_N)``).

A value that more than one parameter explains is an error: nothing is guessed.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ganz.core.adapters import ratio_to_dim
from ganz.core.atomic import write_csv
from ganz.core.paths import results_dir
from ganz.results.profiles import PAPER_N, PROFILES
from ganz.results.store import FIGURE_TABLES, sidecar_path


def _listed(params: dict, *names: str) -> list[float]:
    for name in names:
        if name in params:
            v = params[name]
            return [float(x) for x in (v if isinstance(v, list) else [v])]
    return []


def _only(found: list[float], what: str, path: Path) -> float | None:
    if len(set(found)) > 1:
        raise SystemExit(f"{path.name}: {what} is ambiguous ({found})")
    return found[0] if found else None


def rate_columns(table: pd.DataFrame, params: dict, n_pixels: int, path: Path) -> pd.DataFrame:
    out = table.copy()
    ratio = pd.to_numeric(out["ratio"], errors="coerce")
    d_c = (n_pixels / ratio).round()
    out["d_c"] = d_c.astype("Int64")
    ratios = _listed(params, "ratios", "ratio")
    nominal = []
    for r, d in zip(ratio, d_c):
        if math.isnan(r):
            nominal.append(np.nan)
            continue
        hit = _only([R for R in ratios if ratio_to_dim(n_pixels, R) == int(d)], "a ratio", path)
        nominal.append(r if hit is None else hit)
    out["nominal_ratio"] = nominal
    if "measurements" in out and out["measurements"].notna().any():
        ms = _listed(params, "measurements")
        out["nominal_measurements"] = [
            np.nan if pd.isna(m) else
            _only([M for M in ms if max(1, round(M * n_pixels / PAPER_N)) == int(m)], "M", path)
            for m in out["measurements"]]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", nargs="+", default=["cpu-small", "paper"])
    a = p.parse_args(argv)
    for name in a.profile:
        n_pixels = 3 * PROFILES[name].image_size ** 2
        for fig in (*FIGURE_TABLES, "rd"):
            for path in sorted((results_dir() / name).glob(f"{fig}-*.csv")):
                table = pd.read_csv(path)
                if "nominal_ratio" in table:
                    continue
                side = json.loads(sidecar_path(path).read_text())
                write_csv(rate_columns(table, side.get("params", {}), n_pixels, path), path)
                print(f"{path}: rate columns added")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
