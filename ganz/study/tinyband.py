"""``ganz bench tiny``: a face in 100–250 bytes, GANZ against the image codecs at the same budgets.

For each of the first N test faces of the evaluation manifest (the face box at the model's size,
written out as a PNG) and each byte budget B:

- GANZ: ``python -m ganz compress FACE.png -o F.ganz --max-bytes B`` in a fresh process (the
  whole file as the CLI writes it), then the file is checked (it parses, it is ≤ B bytes) and
  decoded; recorded: bytes, PSNR and SSIM of the decoded face, the setting the search chose
  (d_c, bits, how the latent is stored), the latent payload's bytes against what the zlib path
  writes for the same codes and against the ideal length under the prior's table (its empirical
  entropy), wall and CPU seconds and the load average before the run;
- every registered image codec that runs here (WebP first; the wavelet baseline is not one a
  user has), searched to the largest file ≤ B (``ganz.baselines.imagecodecs.encode_at_budget``):
  a face a codec cannot fit is recorded as not served (``fits`` False) — a loss at that budget.

Written (atomic): ``<out>/tiny-band-<model>.csv`` (one row per face × budget × codec),
``-summary.csv`` (per budget and codec: faces served, median PSNR of the served faces, median
with an unserved face counted as 0 dB, and GANZ's wins against each codec, an unserved face being
the codec's loss) and ``.json`` (settings, load averages, CPU, threads, commit). The machine may be
shared: the load columns say how busy it was.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.atomic import atomic_write, write_csv
from ..core.errors import GanzError

BUDGETS = (150, 250)
OTHER_CODECS = ("webp", "jpeg", "avif", "jpegxl", "jpeg2000")


def test_faces(n: int, size: int) -> list[tuple[str, np.ndarray]]:
    """The first ``n`` test faces of the evaluation manifest: (name, uint8 face box)."""
    from ..core.data import celeba_dir, eval_entries, load_face, sha256_file

    out = []
    for e in eval_entries("test")[:n]:
        p = celeba_dir() / e["name"]
        if not p.is_file() or sha256_file(p) != e["sha256"]:
            raise GanzError(f"{p} is missing or differs from the evaluation manifest")
        out.append((e["name"], np.asarray(load_face(p, size))))
    return out


def ganz_row(data: bytes, face: np.ndarray, codec, budget: int) -> tuple[dict, np.ndarray]:
    """What a written file is: valid, its size, quality, the chosen setting, payload sizes; and
    the face it decodes to."""
    from ..core.fileformat import GanzFile, header_bytes, pack, quantize
    from ..core.metrics import psnr, ssim

    f = codec.parse(data)
    rec = codec.decompress(data)
    head = header_bytes(f.adapter, f.height, f.width, f.seed, len(f.z), f.scale)
    plain = pack(GanzFile(f.adapter, f.height, f.width, f.seed, f.generator_id, f.z, f.bits,
                          scale=f.scale))  # the same codes without the prior
    table = codec.prior.table(f.adapter, len(f.z), f.bits) if codec.prior is not None else None
    ideal = table.cost_bits(quantize(f.z, f.bits)) / 8 if table is not None else float("nan")
    return {"fits": len(data) <= budget, "bytes": len(data), "psnr": psnr(face, rec),
            "ssim": ssim(face, rec), "d_c": len(f.z), "bits": f.bits, "coding": f.coding,
            "payload": len(data) - head, "payload_zlib_path": len(plain) - head,
            "payload_ideal": ideal}, rec


def run_tiny_band(model: str | None = None, faces: int = 20, budgets=BUDGETS,
                  out_dir: Path | None = None, codecs=OTHER_CODECS, extra_args=(),
                  images: list[tuple[str, np.ndarray]] | None = None, say=print,
                  pictures: int = 4, tag: str = "") -> pd.DataFrame:
    """The table of the module's docstring; returns the summary. ``images``: (name, uint8 face)
    pairs in place of the test faces (tests); ``extra_args``: more ``ganz compress`` flags;
    ``pictures``: the first this many faces are also kept as decoded by every codec at every
    budget (``<stem>-pictures.npz``, keys ``face/budget/codec``; never the originals); ``tag``
    ends the files' stem (``tiny-band-<model>-<tag>``), e.g. for a run at other budgets."""

    from ..baselines.imagecodecs import available_codecs, encode_at_budget
    from ..core.codec import GanzCodec
    from ..core.modelfiles import resolve_model
    from ..core.paths import ROOT, results_dir
    from ..core.runtime import git_commit
    from .compressbench import _cpu_name, _load, run_cold

    path = resolve_model(model)
    name = path.name.removesuffix(".safetensors")
    codec = GanzCodec(path, "cpu", method="paper")  # decodes only
    size = codec.cfg.image_size
    picks = list(images) if images is not None else test_faces(faces, size)
    others = [c for c in codecs if c in available_codecs()]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))

    out = Path(out_dir) if out_dir is not None else results_dir() / "paper"
    stem = f"tiny-band-{name}" + (f"-{tag}" if tag else "")
    partial = out / f"{stem}.partial.csv"
    rows, load_start, t_all = [], _load(), time.perf_counter()
    kept: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix="ganz-tinyband-") as tmp:
        tmp = Path(tmp)
        total, done = len(picks) * len(budgets), 0
        for k, (face_name, face) in enumerate(picks):
            keep = k < pictures  # decoded pictures only: the originals are the data's, not ours
            src = tmp / f"{Path(face_name).stem}.png"
            from PIL import Image

            Image.fromarray(face).save(src)
            for budget in budgets:
                left = ""
                if done:
                    left = f", ~{(time.perf_counter() - t_all) / done * (total - done):.0f} s left"
                say(f"tiny band: {face_name} at {budget} B ({done + 1}/{total}{left})")
                dst = tmp / f"{Path(face_name).stem}-{budget}.ganz"
                proc, times = run_cold(["compress", str(src), "-o", str(dst), "--max-bytes",
                                        str(budget), "--model", str(path), "--device", "cpu", "-q",
                                        "-f", *extra_args], env)
                base = {"image": face_name, "budget": budget, "codec": "ganz",
                        "seconds": times["wall_seconds"], "cpu_seconds": times["cpu_seconds"],
                        "load1_before": times["load1_before"]}
                if proc.returncode != 0 or not dst.is_file():
                    rows.append({**base, "fits": False,
                                 "error": " ".join(proc.stderr.split())[-200:]})
                else:
                    row, rec = ganz_row(dst.read_bytes(), face, codec, budget)
                    rows.append({**base, **row})
                    if keep:
                        kept[f"{face_name}/{budget}/ganz"] = rec
                for c in others:
                    t0 = time.perf_counter()
                    pt = encode_at_budget(c, face, budget)
                    rows.append({"image": face_name, "budget": budget, "codec": c,
                                 "fits": bool(pt.reachable and pt.num_bytes <= budget),
                                 "bytes": pt.num_bytes, "psnr": pt.psnr, "ssim": pt.ssim,
                                 "quality": pt.quality, "seconds": time.perf_counter() - t0})
                    if keep:  # an unserved face: the codec's smallest file, shown as such
                        kept[f"{face_name}/{budget}/{c}"] = pt.recon
                done += 1
            # the rows so far, in case the run is cut short (the summary comes at the end)
            write_csv(pd.DataFrame(rows).round(4), partial)
    table = pd.DataFrame(rows)
    summary = summarize(table)
    meta = {"model": name, "generator": codec.generator_sha256[:16], "image_size": size,
            "faces": [n for n, _ in picks], "budgets": list(budgets), "pictures": list(kept),
            "codecs": ["ganz", *others],
            "ganz_command": "python -m ganz compress FACE.png -o F.ganz --max-bytes B --model M "
                            "--device cpu -q -f" + (" " + " ".join(extra_args) if extra_args else ""),
            "faces_source": "first N test faces of the evaluation manifest, face box at the model's "
                            "size (PNG)",
            "threads": os.environ.get("OMP_NUM_THREADS") or None, "cpu": _cpu_name(),
            "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": sys.version.split()[0], "commit": git_commit(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "load_average_start": load_start, "load_average_end": _load(),
            "note": "load averages are the machine's (1, 5, 15 min); it may be shared; a face a "
                    "codec cannot fit is not served (fits False), a loss at that budget"}
    write_csv(table.round(4), out / f"{stem}.csv")
    write_csv(summary.round(4), out / f"{stem}-summary.csv")
    if kept:
        from ..core.atomic import write_npz

        write_npz(out / f"{stem}-pictures.npz", **kept)
    atomic_write(out / f"{stem}.json", (json.dumps(meta, indent=1) + "\n").encode())
    partial.unlink(missing_ok=True)
    return summary


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Per budget and codec: faces, served, median PSNR (served; unserved as 0 dB), median bytes,
    and for each other codec, the faces where GANZ wins (it fits and the other does not, or both
    fit and GANZ's PSNR is higher)."""
    rows = []
    for (budget, c), g in table.groupby(["budget", "codec"], sort=True):
        served = g[g["fits"].astype(bool)]
        psnr0 = np.where(g["fits"].astype(bool), g["psnr"].fillna(0), 0.0)
        row = {"budget": budget, "codec": c, "faces": len(g), "served": len(served),
               "psnr_median_served": served["psnr"].median() if len(served) else np.nan,
               "psnr_median_unserved_0db": float(np.median(psnr0)),
               "bytes_median_served": served["bytes"].median() if len(served) else np.nan,
               "seconds_median": g["seconds"].median()}
        if c != "ganz":
            gz = table[(table["budget"] == budget) & (table["codec"] == "ganz")].set_index("image")
            other = g.set_index("image")
            wins = 0
            for img in other.index.intersection(gz.index):
                a, b = gz.loc[img], other.loc[img]
                if bool(a["fits"]) and (not bool(b["fits"]) or a["psnr"] > b["psnr"]):
                    wins += 1
            row["ganz_wins"] = wins
        if c == "ganz" and "payload" in g:
            row["payload_median"] = served["payload"].median()
            row["payload_zlib_path_median"] = served["payload_zlib_path"].median()
            row["payload_ideal_median"] = served["payload_ideal"].median()
        rows.append(row)
    return pd.DataFrame(rows)
