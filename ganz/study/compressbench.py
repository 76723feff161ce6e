"""``ganz bench compress``: seconds per face of ``ganz compress`` as a user runs it.

For each of the first N faces of the evaluation manifest's ``test`` split, two cold processes,
in alternating order:

- ``fit``: ``python -m ganz compress PHOTO.jpg -o F.ganz --ratio 10 --fit`` on the raw CelebA
  photo (89×109 in the half-size copy), and
- ``precropped``: the same on the face box written out as a PNG of the model's size, no ``--fit``,

with the model's default method (``auto``: fast where an encoder is committed) on the CPU.
Recorded per run: wall seconds, child CPU seconds, the one-minute load average before it, the
PSNR the command printed, whether the two files are byte for byte the same, and the file's size.

Written (atomic), under ``results/bench/``: ``compress-<model>-cpu.csv`` (one row per run),
``compress-<model>-cpu-summary.csv`` (per mode: median and mean seconds per face, CPU seconds,
mean PSNR) and ``compress-<model>-cpu.json`` (settings, backend, load averages at start and end,
CPU, threads, commit). The machine may be shared: the load columns say how busy it was.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ..core.atomic import atomic_write, write_csv
from ..core.errors import GanzError

MODES = ("fit", "precropped")


def _load() -> list[float] | None:
    return [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_cold(argv: list[str], env: dict) -> tuple[subprocess.CompletedProcess, dict]:
    """One cold ``python -m ganz ARGV``: the finished process, and its wall and CPU seconds and
    the load average before it."""
    load = _load()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ganz", *argv], env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return proc, {"wall_seconds": wall, "cpu_seconds": cpu,
                  "load1_before": load[0] if load else None}


def _run(argv: list[str], env: dict) -> dict:
    """``run_cold``, which must succeed: its times and its stdout."""
    proc, times = run_cold(argv, env)
    if proc.returncode != 0:
        raise GanzError(f"ganz {' '.join(argv[:1])} failed ({proc.returncode}): "
                        f"{' '.join(proc.stderr.split())[-300:]}")
    return {**times, "stdout": proc.stdout}


def _printed_psnr(stdout: str) -> float:
    try:
        return float(stdout.split("PSNR ")[1].split(" dB")[0])
    except (IndexError, ValueError):
        raise GanzError(f"ganz compress printed no PSNR: {stdout.strip()[:200]!r}") from None


def manifest_photos(n: int) -> list[Path]:
    """The raw photos of the manifest's first ``n`` test faces (checked against its SHA-256)."""
    from ..core.data import celeba_dir, eval_entries, sha256_file

    out = []
    for e in eval_entries("test")[:n]:
        p = celeba_dir() / e["name"]
        if not p.is_file() or sha256_file(p) != e["sha256"]:
            raise GanzError(f"{p} is missing or differs from the evaluation manifest")
        out.append(p)
    return out


def time_compress(model: str | None = None, faces: int = 3, photos: list[Path] | None = None,
                  out_dir: Path | None = None, steps: int | None = None,
                  say=print) -> pd.DataFrame:
    """Time ``ganz compress`` with and without ``--fit`` (see the module docstring); returns the
    summary. ``photos``: other originals than the test faces (tests); ``steps``: passed as
    ``--steps`` (tests; the recorded runs leave the method its own)."""
    from ..core.images import fit_image, open_image
    from ..core.modelfiles import resolve_model
    from ..core.paths import ROOT, results_dir
    from ..core.runtime import git_commit
    from ..core.zoo import load_generator
    from .speedruns import _fast_backend

    path = resolve_model(model)
    name = path.name.removesuffix(".safetensors")
    G, gid, _ = load_generator(path)
    size = G.cfg.image_size
    photos = list(photos) if photos is not None else manifest_photos(faces)
    env = dict(os.environ)  # the children import this very ganz, wherever they start
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    threads = env.get("OMP_NUM_THREADS", "")
    load_start = _load()
    runs = []
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ganz-compressbench-") as tmp:
        tmp = Path(tmp)
        for i, photo in enumerate(photos):
            crop = tmp / f"{photo.stem}.png"
            fit_image(open_image(photo), size)[0].save(crop)
            files = {}
            order = MODES if i % 2 == 0 else MODES[::-1]
            for mode in order:
                src = photo if mode == "fit" else crop
                dst = tmp / f"{photo.stem}-{mode}.ganz"
                argv = ["compress", str(src), "-o", str(dst), "--ratio", "10", "--model", str(path),
                        "--device", "cpu", "-q", "-f", *(["--fit"] if mode == "fit" else []),
                        *(["--steps", str(steps)] if steps else [])]
                done = len(runs)
                if done:
                    per = (time.perf_counter() - t_all) / done
                    left = f", ~{per * (2 * len(photos) - done):.0f} s left"
                else:
                    left = ""
                say(f"compress bench: run {done + 1}/{2 * len(photos)} ({photo.name}, {mode}){left}")
                r = _run(argv, env)
                files[mode] = dst.read_bytes()
                runs.append({"image": photo.name, "mode": mode, "wall_seconds": r["wall_seconds"],
                             "cpu_seconds": r["cpu_seconds"], "load1_before": r["load1_before"],
                             "psnr": _printed_psnr(r["stdout"]), "bytes": len(files[mode])})
            for row in runs[-2:]:
                row["same_file"] = files["fit"] == files["precropped"]
    table = pd.DataFrame(runs)
    summary = (table.groupby("mode", sort=False)
               .agg(faces=("image", "count"), seconds_median=("wall_seconds", "median"),
                    seconds_mean=("wall_seconds", "mean"), seconds_min=("wall_seconds", "min"),
                    seconds_max=("wall_seconds", "max"), cpu_seconds_median=("cpu_seconds", "median"),
                    psnr_mean=("psnr", "mean"), load1_median=("load1_before", "median"),
                    same_file=("same_file", "all"))
               .reset_index())
    summary["threads"] = threads or "default"
    out = Path(out_dir) if out_dir is not None else results_dir() / "bench"
    stem = f"compress-{name}-cpu"
    meta = {"model": name, "generator": gid[:16], "image_size": size,
            "faces": [p.name for p in photos], "modes": {
                "fit": "python -m ganz compress PHOTO.jpg -o F.ganz --ratio 10 --fit",
                "precropped": "python -m ganz compress FACE.png -o F.ganz --ratio 10 "
                              "(FACE.png: the photo's --fit crop, written out)"},
            "flags_added": "--model MODEL --device cpu -q -f (a fresh process each)",
            "method": "auto (fast when an encoder is committed beside the model)",
            "steps": steps, "fast_backend": _fast_backend(str(path)), "threads": threads or None,
            "cpu": _cpu_name(), "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": sys.version.split()[0], "commit": git_commit(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "load_average_start": load_start, "load_average_end": _load(),
            "note": "load averages are the machine's (1, 5, 15 min); it may be shared"}
    write_csv(table.round(4), out / f"{stem}.csv")
    write_csv(summary.round(4), out / f"{stem}-summary.csv")
    atomic_write(out / f"{stem}.json", (json.dumps(meta, indent=1) + "\n").encode())
    return summary
