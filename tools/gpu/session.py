"""One call of the driver: its deadline, its log lines, its work folder and OUT, packing finished
work into OUT at once, and the two ways a stage is run (``guarded``: a failure is logged and the
call goes on; ``bounded``: inversions sized to a budget by a deadline)."""
from __future__ import annotations

import tarfile
import time
import traceback
from pathlib import Path

from .clock import StageTimeout, Stopped, alarm
from .options import Options

MAX_OUT_FILES = 8  # the device returns at most 8 files from OUT
MIN_STAGE_S = 5.0  # a stage with less time than this is skipped


class Session:
    """``opts`` of this call; ``end``: Unix time by which everything must be packed."""

    def __init__(self, opts: Options, end: float):
        self.opts, self.end = opts, end
        self.out, self.dry, self.root = opts.out, opts.dry, opts.work
        self.long_trained = False  # this call trained the long d64 (a later call goes on with it)
        self.out.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)

    def left(self) -> float:
        return self.end - time.time()

    def say(self, msg: str) -> None:
        print(f"[gpu {time.strftime('%H:%M:%S')} {self.left():6.0f} s left] {msg}", flush=True)

    def device(self) -> str:
        return "cpu" if self.dry else "cuda"

    def zoo(self) -> Path:
        from ganz.core.paths import models_dir

        return models_dir()

    def results(self) -> Path:
        from ganz.core.paths import results_dir

        return results_dir() / "paper"

    def run_dir(self, tag: str) -> Path:
        return self.root / "runs" / f"paper-{tag}"

    # ------------------------------------------------------------------ OUT
    def pack(self, name: str, members: dict[str, Path]) -> None:
        """``OUT/name`` := a tgz of ``{path in the repository: file here}``, written atomically."""
        from ganz.core.atomic import atomic_path

        with atomic_path(self.out / name) as part, tarfile.open(part, "w:gz") as tar:
            for arc, src in sorted(members.items()):
                if src.is_file():
                    tar.add(src, arcname=arc)
        self.say(f"packed {name} ({(self.out / name).stat().st_size / 1e6:.2f} MB, {len(members)} files)")

    def pack_results(self) -> None:
        res = self.results()
        if res.is_dir():
            self.pack("results-paper.tgz", {f"results/paper/{p.relative_to(res)}": p
                                            for p in res.rglob("*") if p.is_file()})

    def out_room(self) -> int:
        """Files OUT can still take (``MAX_OUT_FILES``), keeping one for ``results-paper.tgz``."""
        names = {p.name for p in self.out.iterdir() if p.is_file() and not p.name.startswith(".")}
        return MAX_OUT_FILES - len(names) - ("results-paper.tgz" not in names)

    # ------------------------------------------------------------------ running stages
    def guarded(self, what: str, stage) -> None:
        """Run one stage; a failure is logged and the call goes on to the next."""
        try:
            stage()
        except Stopped:
            raise
        except Exception as e:  # noqa: BLE001
            self.say(f"{what}: failed: {type(e).__name__}: {e}")
            traceback.print_exc()

    def bounded(self, label: str, budget: float, work) -> None:
        """Run ``work(deadline)`` (inversions) within ``budget`` seconds: its calls sized by the
        deadline (``time.time()``), ``alarm`` as the backstop; the jobs finished are kept and the
        results packed either way. ``work`` returns what to log on success."""
        from ganz.study import jobs

        t0 = time.monotonic()
        self.say(f"{label}: {budget:.0f} s at most")
        try:
            with alarm(budget):
                done = work(time.time() + budget)
            self.say(f"{label}: {done} in {time.monotonic() - t0:.0f} s")
        except (StageTimeout, jobs.OutOfTime) as e:
            why = f": {e}" if str(e) else ""
            self.say(f"{label}: out of time after {time.monotonic() - t0:.0f} s{why} (finished "
                     f"ones are kept)")
        finally:
            self.pack_results()
