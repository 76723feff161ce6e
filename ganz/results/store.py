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
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..core.atomic import atomic_write, write_csv, write_npz
from ..core.config import config_key
from ..core.errors import GanzError
from ..core.modelfiles import file_weights_id, resolve_model
from ..core.paths import results_dir
from . import published
from .calls import WITH_PICTURES, FigureCall, figure_call
from .profiles import ExperimentResult, get_profile, loop_label

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


#: the wavelet baselines' methods in the figure tables, the figures that hold them, and the record
#: of their last recomputation (``python -m ganz.study.fidelity refresh``)
WAVELETS = ("wavelet_paper_text", "wavelet_original_code")
WAVELET_FIGURES = ("fig2", "fig3", "fig4", "fig5")
REFRESH_RECORD = "wavelet-refresh.csv"


def figure_tables(profile: str) -> dict[Path, pd.DataFrame]:
    """The profile's recorded figure tables that hold wavelet rows, by path."""
    out = {}
    for fig in WAVELET_FIGURES:
        for path in sorted((results_dir() / profile).glob(f"{fig}-*.csv")):
            table = pd.read_csv(path)
            if table["method"].isin(WAVELETS).any():
                out[path] = table
    return out


def pictures_path(table: Path) -> Path:
    """The pictures a figure's run kept beside ``table``: ``<figure>-<key>[.partial].pictures.npz``."""
    return table.with_suffix(".pictures.npz")


def is_original(key: str) -> bool:
    """Whether a runner's picture key names an original (``original``, ``<split>/<name>/original``)."""
    return key == "original" or key.endswith("/original")


def kept_picture(key: str, originals: bool = False) -> bool:
    """Whether a runner's picture is kept with its table: reconstructions are; the originals and
    the wavelet's pictures (made from them) stay with the data and are drawn at reading, unless
    ``originals`` (the smoke profile's synthetic images, which no data folder holds)."""
    if key.startswith("wavelet/"):
        return False
    return originals or not is_original(key)


def write_pictures(table: Path, images: Mapping[str, np.ndarray], originals: bool = False) -> None:
    kept = {k: np.asarray(v) for k, v in images.items() if kept_picture(k, originals)}
    if kept:
        write_npz(pictures_path(table), **kept)


def read_pictures(table: Path) -> dict[str, np.ndarray] | None:
    path = pictures_path(table)
    if not path.is_file():
        return None
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def not_recorded(profile: str, what: str, command_args: str = "FIGURE") -> GanzError:
    """The error for a result a reader finds missing, naming the command that records it."""
    return GanzError(f"stale: no recorded {profile} {what}; run `ganz run --profile {profile} "
                     f"{command_args}` and commit results/{profile}/")


def _find_table(call: FigureCall) -> tuple[Path, list[str]]:
    """The table ``call`` records (or would record) and its generators' ids: by the key the
    runner hashes; the smoke profile's seeded generators have no file, so its table is the one
    whose sidecar holds these parameters."""
    prof, root = call.profile, results_dir() / call.profile.name
    if prof.synthetic:
        want = json.loads(json.dumps(call.params, default=list))  # as the sidecar holds them
        for side in sorted(root.glob(f"{call.figure}-*.json")):
            doc = json.loads(side.read_text())
            if doc.get("params") == want:  # the whole table's path, also for a partial one
                return (root / (side.stem.removesuffix(".partial") + ".csv"),
                        list(doc.get("generators", [])))
        return root / f"{call.figure}-unrecorded.csv", []
    try:
        gids = [file_weights_id(resolve_model(m)) for m in call.models]
    except GanzError as e:
        raise GanzError(f"profile {prof.name}: {e}. The paper profile's models come from a GPU "
                        f"training session (scripts/gpu/README.md); use profile cpu-small meanwhile") from None
    return root / f"{call.figure}-{config_key(call.figure, call.params, sorted(gids))}.csv", gids


def read(figure: str, profile: str | None = None, **args) -> ExperimentResult:
    """The recorded result of ``figure(profile, **args)`` (``args``: the runner's parameters):
    its table (whole, or partial with ``meta["missing"]``), the pictures its run kept, and where
    it came from. Never computes: a result not recorded is the ``stale`` error naming the
    command that records it."""
    prof = get_profile(profile)
    call = figure_call(figure, prof, **args)
    path, gids = _find_table(call)
    partial = partial_path(path)
    meta = {"profile": prof.name, "figure": figure, "params": call.params,
            "model": ", ".join(call.models), "generator": ", ".join(g[:12] for g in gids),
            "inversion": loop_label(prof.inversion(call.params.get("steps")))}
    if path.is_file():
        table = pd.read_csv(path)
    elif partial.is_file():
        path, table = partial, pd.read_csv(partial)
        meta["missing"] = (read_sidecar(partial) or {}).get("missing") or ["unknown"]
        meta["note"] = partial_note(meta["missing"])
    else:
        image = call.params.get("image", "jack")
        raise not_recorded(prof.name, f"{figure} table ({path.name})",
                           figure + ("" if image == "jack" else f" --image {image}"))
    table.attrs["source"] = str(path)
    pictures = read_pictures(path)
    if pictures is None and figure in WITH_PICTURES:
        raise not_recorded(prof.name, f"{figure} pictures ({pictures_path(path).name})", figure)
    devices = sorted(set(table["device"].dropna().astype(str)) - {""}) if "device" in table else []
    meta["computed_on"] = ", ".join(devices)
    return ExperimentResult(table, pictures or {}, meta)


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

