"""A long fuzz of ``.ganz`` decoding: a benchmark, not part of the default test run.

    python -m tools.fuzz --cases 10000 [--seed S] [--out results/bench/fuzz.json]

Valid files (format versions 1 and 2, every adapter and latent storage, entropy-coded ones with
a prior written beside the generator) made with a tiny seeded generator are mutated (truncated,
bit-flipped, spliced, header fields set to random or edge values, non-canonical varints, latents
set to NaN/inf/out-of-range values, lengths changed, deflate bombs, entropy-coded payloads cut,
padded, flipped or replaced under a valid CRC, random bytes) and fed to ``fileformat.unpack``
and ``GanzCodec.decompress``. Each case must either
decode or raise ``GanzError``; anything else is a *crash*, a case running past the time limit is
a *hang*, and a *violation* is an accepted file that breaks an invariant (a parsed file that does
not re-serialize and re-parse to the same contents, a decoded image of the wrong shape or type,
``unpack`` refusing what ``decompress`` accepts, a decode that differs when repeated). The summary
(counts, distinct error messages with digits stripped, peak memory and the cases that raised it,
the slowest case, the first crashes with their bytes) is written atomically as JSON. Exit status
1 if anything crashed, hung or broke an invariant.

Case ``i`` of seed ``S`` is a pure function of (S, i): ``--first I --cases 1`` replays it.
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from ganz.core.atomic import atomic_write
from ganz.core.errors import GanzError
from ganz.core.fileformat import pack, unpack

from .fuzzcases import TINY, make_case, make_generator, seed_files


class _Hang(BaseException):
    """Raised by the per-case alarm; a BaseException so library ``except Exception`` can't eat it."""


def _alarm(signum, frame):  # noqa: ARG001
    raise _Hang()


def normalize(msg: str) -> str:
    """An error message with generator ids and digits stripped (to count distinct messages)."""
    msg = re.sub(r"0x[0-9a-f]+", "0x", msg.splitlines()[0] if msg else msg)
    msg = re.sub(r"(generator|model is) [0-9a-f]+", r"\1 <id>", msg)
    return re.sub(r"[0-9]+", "", msg)


# --------------------------------------------------------------------------- running
def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Stats:
    def __init__(self) -> None:
        self.counts = {t: Counter() for t in ("unpack", "decompress")}
        self.errors: Counter = Counter()
        self.crashes: list[dict] = []
        self.hangs: list[dict] = []
        self.violations: list[dict] = []

    def record(self, kind: str, target: str, case: int, mutator: str, data: bytes, **extra) -> None:
        self.counts[target][kind] += 1
        entry = {"target": target, "case": case, "mutator": mutator, "bytes": len(data),
                 "hex": data[:512].hex(), **extra}
        dest = {"crashes": self.crashes, "hangs": self.hangs, "violations": self.violations}[kind]
        if len(dest) < 25:
            dest.append(entry)


def roundtrip_problem(f, prior=None) -> str | None:
    """A parsed file must re-serialize (same version) and re-parse to the same contents."""
    try:
        g = unpack(pack(f, version=f.version, prior=prior), prior=prior)
    except GanzError as e:
        return f"a parsed file does not re-serialize: {e}"
    same = ((g.adapter, g.height, g.width, g.seed, g.bits, g.version, g.generator_id)
            == (f.adapter, f.height, f.width, f.seed, f.bits, f.version, f.generator_id)
            and np.array_equal(g.z, f.z))
    return None if same else "a parsed file re-serializes to different contents"


WALL_FACTOR = 10  # wall-clock limit = this × the CPU limit (a busy machine is not a hang)


def _arm(limit: float) -> None:
    signal.setitimer(signal.ITIMER_PROF, limit)  # CPU seconds: catches loops on a loaded machine
    signal.setitimer(signal.ITIMER_REAL, limit * WALL_FACTOR)  # and anything stuck without CPU


def _disarm() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)


def run_target(target: str, fn, data: bytes, limit: float, stats: Stats, case: int,
               mutator: str):
    """Call fn(data) under the per-case alarms; returns (result or None, CPU seconds)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out, kind = None, "ok"
    _arm(limit)
    try:
        out = fn(data)
    except GanzError as e:
        kind = "refused"
        msg = str(e)
        if "\n" in msg or not msg:
            stats.record("violations", target, case, mutator, data,
                         problem=f"error message not one line: {msg!r}")
        stats.errors[normalize(msg)] += 1
    except _Hang:
        kind = "hangs"
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 - anything that is not GanzError is a crash
        kind = "crashes"
        tb = traceback.extract_tb(e.__traceback__)
        stats.record("crashes", target, case, mutator, data, error=f"{type(e).__name__}: {e}"[:500],
                     where=[f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in tb[-4:]])
    finally:
        _disarm()
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    if kind in ("ok", "refused"):
        stats.counts[target][kind] += 1
    if kind == "hangs" or cpu > limit:  # (a slow C call the alarm could not interrupt)
        stats.record("hangs", target, case, mutator, data, cpu_seconds=round(cpu, 3),
                     wall_seconds=round(wall, 3))
    return out, cpu


def fuzz(cases: int, seed: int = 0, limit: float = 2.0, first: int = 0,
         progress: bool = True) -> dict:
    from ganz.core.codec import GanzCodec

    torch.set_num_threads(1)
    stats = Stats()
    mutators: Counter = Counter()
    slowest = {"cpu_seconds": 0.0}
    old = {sig: signal.signal(sig, _alarm) for sig in (signal.SIGALRM, signal.SIGPROF)}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            codec = GanzCodec(make_generator(seed, Path(tmp)), "cpu")
            pool = seed_files(codec, np.random.default_rng(seed))
            for data in pool:  # the seeds themselves must decode
                codec.decompress(data)
            base_rss = last_rss = _rss_mb()
            memory_jumps: list[dict] = []
            t_start, c_start = time.perf_counter(), time.process_time()
            for i in range(first, first + cases):
                name, data = make_case(seed, i, pool)
                mutators[name] += 1
                f, s1 = run_target("unpack", lambda d: unpack(d, prior=codec.prior), data, limit,
                                   stats, i, name)
                if f is not None:
                    problem = roundtrip_problem(f, codec.prior)
                    if problem:
                        stats.record("violations", "unpack", i, name, data, problem=problem)
                img, s2 = run_target("decompress", codec.decompress, data, limit, stats, i, name)
                if img is not None:
                    problem = None
                    if not (isinstance(img, np.ndarray) and img.dtype == np.uint8
                            and img.shape == (TINY.image_size, TINY.image_size, 3)):
                        problem = (f"decoded image {getattr(img, 'dtype', type(img))} "
                                   f"{getattr(img, 'shape', '')}")
                    elif f is None:
                        problem = "decompress accepted a file unpack refuses"
                    elif i % 10 == 0 and not np.array_equal(img, codec.decompress(data)):
                        problem = "decoding twice gave different images"
                    if problem:
                        stats.record("violations", "decompress", i, name, data, problem=problem)
                rss = _rss_mb()
                if rss > last_rss + 8 and len(memory_jumps) < 25:  # which cases raised the peak
                    memory_jumps.append({"case": i, "mutator": name, "bytes": len(data),
                                         "peak_rss_mb": round(rss, 1)})
                last_rss = max(last_rss, rss)
                if s1 + s2 > slowest["cpu_seconds"]:
                    slowest = {"cpu_seconds": round(s1 + s2, 4), "case": i, "mutator": name,
                               "bytes": len(data)}
                if progress and (i - first + 1) % 1000 == 0:
                    print(f"fuzz: {i - first + 1}/{cases} cases, {sum(stats.counts['unpack'].values())} "
                          f"run, {len(stats.crashes)} crashes", file=sys.stderr, flush=True)
            seconds, cpu = time.perf_counter() - t_start, time.process_time() - c_start
    finally:
        _disarm()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    n_crash = sum(c["crashes"] for c in stats.counts.values())
    n_hang = sum(c["hangs"] for c in stats.counts.values())
    n_viol = sum(c["violations"] for c in stats.counts.values())
    return {
        "tool": "tools.fuzz", "seed": seed, "first_case": first, "cases": cases,
        "cpu_limit_s": limit, "wall_limit_s": limit * WALL_FACTOR,
        "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "cases_per_s": round(cases / max(seconds, 1e-9), 1),
        "crashes": n_crash, "hangs": n_hang, "violations": n_viol,
        "distinct_errors": len(stats.errors),
        "targets": {t: {k: c.get(k, 0) for k in ("ok", "refused", "crashes", "hangs", "violations")}
                    for t, c in stats.counts.items()},
        "mutators": dict(sorted(mutators.items())),
        "errors": dict(stats.errors.most_common()),
        "baseline_rss_mb": round(base_rss, 1), "peak_rss_mb": round(_rss_mb(), 1),
        "slowest_case": slowest, "memory_jumps": memory_jumps,
        "crash_cases": stats.crashes, "hang_cases": stats.hangs, "violation_cases": stats.violations,
        "seed_files": len(pool),
        "platform": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": np.__version__, "machine": platform.machine()},
    }


def main(argv: list[str] | None = None) -> int:
    from ganz.core.paths import results_dir

    p = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--first", type=int, default=0, help="index of the first case (to replay one)")
    p.add_argument("--time-limit", type=float, default=2.0,
                   help="CPU seconds per case before it is a hang (wall clock: 10× that)")
    p.add_argument("--out", type=Path, default=results_dir() / "bench" / "fuzz.json")
    p.add_argument("-q", "--quiet", action="store_true")
    a = p.parse_args(argv)
    if a.cases < 1 or a.time_limit <= 0 or a.first < 0:
        p.error("--cases and --time-limit must be positive, --first not negative")
    summary = fuzz(a.cases, a.seed, a.time_limit, a.first, progress=not a.quiet)
    atomic_write(a.out, (json.dumps(summary, indent=1) + "\n").encode())
    print(f"{summary['cases']} cases in {summary['seconds']} s: {summary['crashes']} crashes, "
          f"{summary['hangs']} hangs, {summary['violations']} violations, "
          f"{summary['distinct_errors']} distinct errors, peak RSS {summary['peak_rss_mb']} MB "
          f"-> {a.out}")
    return 1 if summary["crashes"] or summary["hangs"] or summary["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
