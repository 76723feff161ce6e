"""The results store: every recorded table of a profile in one tidy schema, with an index.

Under ``results/<profile>/``:

- ``<figure>-<key>.csv``: a figure's table as its run wrote it (``key`` hashes what changes it);
- ``<figure>-<key>.json``: its sidecar: figure, profile, key, parameters, generator ids, the
  inversion settings;
- ``index.csv``: one row per table: figure, file, key, rows, commits, devices, torch, whether it
  has a sidecar (a table without one is made by no current figure call: a leftover);
- ``tidy.csv``: every table's rows in ``SCHEMA`` (one row per image × setting × method), and the
  paper's published numbers as rows of the same schema (``source = paper``; ``approx``: read
  off a plot).

``python -m ganz.results.store [--profile P ...]`` rewrites the index and the tidy file from what is
recorded; it never computes a result.
"""
from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..core.atomic import atomic_write, write_csv
from ..core.errors import GanzError
from ..core.paths import results_dir
from . import published

SCHEMA = ["figure", "profile", "source", "split", "image", "method", "adapter", "dim", "d_c",
          "nominal_ratio", "ratio", "nominal_measurements", "measurements", "m_over_n", "bits", "bytes", "bpp", "psnr",
          "psnr_uint8", "ssim", "steps", "seed", "config_key", "commit", "device", "torch",
          "generator", "approx"]
FIGURE_TABLES = ("fig2", "fig3", "fig4", "fig5", "fig8")  # figures whose tables hold PSNR rows
FLOAT_BITS = 32  # the figures' .ganz files hold float32 latents


def sidecar_path(table: Path) -> Path:
    return table.with_suffix(".json")


def partial_path(table: Path) -> Path:
    """Where a figure's table made from the jobs recorded so far goes (``ganz run --so-far``)."""
    return table.with_name(table.stem + ".partial.csv")


def partial_note(missing: list[str]) -> str:
    """What a table made from the jobs recorded so far lacks (the ``so_far`` policy)."""
    return (f"partial result: the settings {', '.join(missing)} are not recorded yet (the next "
            f"GPU session runs them), so they are absent from this page's plots, tables and verdict")


def write_sidecar(table: Path, figure: str, profile: str, key: str, params: dict,
                  generators: Sequence[str], inversion: dict | None = None,
                  missing: Sequence[str] | None = None) -> None:
    """The parameters that made ``table`` (atomic; JSON beside it); ``missing``: the settings a
    partial table still lacks."""
    doc = {"figure": figure, "profile": profile, "key": key, "params": params,
           "generators": sorted(generators), "inversion": inversion or {}}
    if missing:
        doc["missing"] = list(missing)
    atomic_write(sidecar_path(table), (json.dumps(doc, indent=1, sort_keys=True, default=list) + "\n").encode())


def read_sidecar(table: Path) -> dict | None:
    path = sidecar_path(table)
    return json.loads(path.read_text()) if path.is_file() else None


def tables(profile: str) -> list[Path]:
    """The profile's recorded figure tables (``<figure>-<key>.csv``), sorted."""
    root = results_dir() / profile
    return sorted(p for p in root.glob("*-*.csv") if p.stem.split("-")[0] in FIGURE_TABLES)


def _image_size(profile: str) -> int:
    from .profiles import PROFILES

    return PROFILES[profile].image_size


def tidy(df: pd.DataFrame, figure: str, profile: str, key: str, side: dict | None = None,
         image_size: int | None = None) -> pd.DataFrame:
    """One recorded figure table in ``SCHEMA``."""
    if "nominal_ratio" not in df or "d_c" not in df:
        raise GanzError(f"{figure} table {key} has no rate columns (d_c, nominal_ratio): "
                        "run `python -m tools.add_rate_columns` on it")
    s = image_size or _image_size(profile)
    n = 3 * s * s
    out = pd.DataFrame(index=df.index)
    for c in SCHEMA:
        out[c] = df[c] if c in df else np.nan
    out["figure"], out["profile"], out["source"], out["config_key"] = figure, profile, "ours", key
    out["approx"] = False
    ganz = df["method"].astype(str).eq("ganz")
    out.loc[ganz & out["bytes"].notna(), "bits"] = FLOAT_BITS
    out["bpp"] = pd.to_numeric(out["bytes"], errors="coerce") * 8 / (s * s)
    if "m_over_n" not in df and "measurements" in df:
        out["m_over_n"] = pd.to_numeric(df["measurements"], errors="coerce") / n
    seed = (side or {}).get("inversion", {}).get("seed")
    out.loc[ganz, "seed"] = seed if seed is not None else np.nan
    return out[SCHEMA]


def paper_rows() -> pd.DataFrame:
    """The paper's published numbers (``data/paper_numbers.csv``) as rows of ``SCHEMA``."""
    pub = published.load()
    n = 3 * 128 * 128  # the paper's images
    out = pd.DataFrame(index=pub.index)
    for c in SCHEMA:
        out[c] = pub[c] if c in pub else np.nan
    out["profile"], out["source"] = "paper (published)", "paper"
    ratio = pd.to_numeric(pub["ratio"], errors="coerce")
    out["nominal_ratio"], out["ratio"] = ratio, ratio
    out["nominal_measurements"] = pd.to_numeric(pub["measurements"], errors="coerce")
    out["d_c"] = (n / ratio).round()
    out["bytes"] = pd.to_numeric(pub["file_kb"], errors="coerce") * 1024
    out["bpp"] = out["bytes"] * 8 / (128 * 128)
    return out[SCHEMA]


INDEX_COLUMNS = ["figure", "file", "key", "rows", "commit", "device", "torch", "sidecar", "params",
                 "missing"]


def _recorded(profile: str):
    """Each recorded table of ``profile``: (path, figure, key, table, sidecar), read once."""
    for path in tables(profile):
        figure, key = path.stem.split("-", 1)
        yield path, figure, key, pd.read_csv(path), read_sidecar(path)


def _index_row(path: Path, figure: str, key: str, df: pd.DataFrame, side: dict | None) -> dict:
    def values(col: str) -> str:
        return " ".join(sorted({str(v) for v in df[col].dropna()})) if col in df else ""

    return {"figure": figure, "file": path.name, "key": key, "rows": len(df),
            "commit": values("commit"), "device": values("device"), "torch": values("torch"),
            "sidecar": side is not None,
            "params": json.dumps(side["params"], sort_keys=True) if side else "",
            "missing": "; ".join((side or {}).get("missing", []))}


def index(profile: str) -> pd.DataFrame:
    """One row per recorded table of ``profile``."""
    return pd.DataFrame([_index_row(*t) for t in _recorded(profile)], columns=INDEX_COLUMNS)


def build(profile: str, with_paper: bool = True) -> tuple[Path, Path]:
    """Write ``index.csv`` and ``tidy.csv`` of ``profile`` from its recorded tables."""
    root = results_dir() / profile
    rows, parts = [], []
    for path, figure, key, df, side in _recorded(profile):
        rows.append(_index_row(path, figure, key, df, side))
        parts.append(tidy(df, figure, profile, key, side))
    if with_paper:
        parts.append(paper_rows())
    parts = [p for p in parts if len(p)]
    all_rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCHEMA)
    write_csv(pd.DataFrame(rows, columns=INDEX_COLUMNS), root / "index.csv")
    write_csv(all_rows, root / "tidy.csv")
    return root / "index.csv", root / "tidy.csv"


#: the calls whose tables are recorded: each figure's defaults (what the book shows), fig. 4 on
#: the faces standing in for the paper's panels a and b (shown on its page), and the README's
#: example ``papermill notebooks/fig5.ipynb out.ipynb -p ratio 24``
RECORDED_CALLS = {fig: ({},) for fig in FIGURE_TABLES} | {"fig5": ({}, {"ratio": 24}),
                                                       "fig4": ({}, {"image": "000001"},
                                                                {"image": "008551"})}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ganz.results.store", description=__doc__.splitlines()[0])
    p.add_argument("--profile", nargs="+", default=["cpu-small", "paper"])
    a = p.parse_args(argv)
    for prof in a.profile:
        if not (results_dir() / prof).is_dir():
            print(f"{prof}: nothing recorded")
            continue
        idx_path, tidy_path = build(prof)
        idx = pd.read_csv(idx_path)
        print(f"{prof}: {len(idx)} tables ({int((~idx['sidecar']).sum())} without a sidecar) -> "
              f"{idx_path}, {len(pd.read_csv(tidy_path))} tidy rows -> {tidy_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

