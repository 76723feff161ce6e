"""One GPU lease, planned to return something whatever happens (``scripts/gpu/lease.sh`` runs it).

    python -m ganz.study.lease auto|train|experiments|long --out OUT [--dry]
    python -m ganz.study.lease plan          # FLOPs and expected times of each stage (no GPU needed)

Stages share the time left until ``GANZ_LEASE_END`` (Unix seconds): training the paper profile's
generators (original layout and recipe), publishing them, the paper profile's figures. Each stage
packs what it finished into ``OUT`` the moment it ends (``train-d<dim>.tgz``, ``results-paper.tgz``,
``encoder.tgz``, ``bench.tgz``; at most 8 files with ``lease.log``), paths relative to the
repository, so ``scripts/gpu/unpack.sh`` only extracts them. The long d64 also hands its training
state off in ``d64-long-step<N>.state<i>of<n>`` parts (``ganz.train.handoff``), which unpack.sh
puts in ``lease-state/``, where a later lease (mode ``long``) goes on from it. ``--dry`` runs the
same code on CPU at toy size on synthetic images. Preflight and the dry run's images: ``ganz.study.leasecheck``; the
FLOP plan: ``ganz.study.leaseplan``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tarfile
import time
import traceback
from pathlib import Path

from .leasecheck import make_dry_data, preflight

# dim 64 only; cheapest first; ``fig4:<image>`` is fig. 4 on another picture (the faces standing
# in for the paper's panels a and b, ``figures.FIG4_STAND_INS``)
PAPER_FIGS = ("fig4", "fig4:000001", "fig4:008551", "fig3", "fig8", "fig5")
DIM_FIGS = ("fig7", "fig2")  # need every dim at equal images seen
LONG_MODEL = "celeba64-d64-long"  # d64 again, from scratch, for as long as a lease's calls allow
LONG_MIN_S = 400.0  # seconds a call must have left to start it (lease 1's d64 trained 276 s)
LONG_RESUME_MIN_S = 60.0  # training seconds a later call must have left to go on with it
LONG_EVAL_S = 75.0  # seconds a call that goes on with it keeps for its R = 10 table (~40 s)
LONG_RATIO = 10.0  # the done-when's ratio: the long model is evaluated there on every split
LONG_HANDOFF = "d64-long"  # name of the long d64's handed-off state (OUT, then lease-state/)
MAX_OUT_FILES = 8  # the device returns at most 8 files from OUT
DRY_CALIBRATION_STEPS = 40  # dry: a fixed calibration, not as many steps as 30 s allow (up to 200)
OTHER_DIMS = (128, 256, 512)
MIN_STAGE_S = 5.0  # a stage with less time than this is skipped
RATE_MARGIN = 0.8  # share of d64's recorded training rate another dim's estimate counts on


class LeaseStop(Exception):
    """SIGTERM from outside (the command's own timeout): pack and leave."""


def fig_call(entry: str) -> tuple[str, dict]:
    """``"fig4:000001"`` -> ("fig4", {"image": "000001"}); ``"fig3"`` -> ("fig3", {})."""
    fig, _, image = entry.partition(":")
    return fig, ({"image": image} if image else {})


def model_name(dim: int, equal_budget: bool = False) -> str:
    return f"celeba64-d{dim}-final" if equal_budget else f"celeba64-d{dim}"


class Lease:
    def __init__(self, out: Path, dry: bool, end: float):
        self.out, self.dry, self.end = out, dry, end
        self.long_trained = False  # this call trained the long d64 (a later call goes on with it)
        self.root = Path(os.environ.get("GANZ_LEASE_WORK", "/tmp/ganz_lease"))
        self.log_path = out / "lease.log"
        out.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ helpers
    def left(self) -> float:
        return self.end - time.time()

    def say(self, msg: str) -> None:
        print(f"[lease {time.strftime('%H:%M:%S')} {self.left():6.0f} s left] {msg}", flush=True)

    def device(self) -> str:
        return "cpu" if self.dry else "cuda"

    def model_cfg(self, dim: int):
        from ..core.config import ModelConfig

        size = dict(image_size=16, base_size=4, width=8) if self.dry else \
            dict(image_size=64, base_size=4, width=128)
        return ModelConfig(latent_dim=dim, arch="original", **size)

    def train_cfg(self, steps: int | None = None, snapshot_images: tuple[int, ...] = (),
                  epochs: int | None = None):
        from ..core.config import TrainConfig

        small = dict(batch_size=8, log_every=10, epochs=1) if self.dry else dict(log_every=100)
        extra = {"epochs": 0, "steps": steps} if steps else {}
        if epochs:
            extra = {"epochs": epochs}
        return TrainConfig.original(checkpoint_every=0, snapshot_images=snapshot_images,
                                    **{**small, **extra})

    def equal_images(self) -> int:
        """Images seen by every dim for figs. 2 and 7 (EQUAL_EPOCHS epochs of the train split)."""
        from ..core.data import celeba_array

        n = len(celeba_array(self.model_cfg(64).image_size, "train", 0))
        b = self.train_cfg().batch_size
        return int(os.environ.get("EQUAL_EPOCHS", "1" if self.dry else "15")) * (n // b) * b

    def pack(self, name: str, members: dict[str, Path]) -> None:
        """``OUT/name`` := a tgz of ``{path in the repository: file here}``, written atomically."""
        from ..core.atomic import atomic_path

        with atomic_path(self.out / name) as part, tarfile.open(part, "w:gz") as tar:
            for arc, src in sorted(members.items()):
                if src.is_file():
                    tar.add(src, arcname=arc)
        self.say(f"packed {name} ({(self.out / name).stat().st_size / 1e6:.2f} MB, {len(members)} files)")

    def zoo(self) -> Path:
        from ..core.paths import MODELS_DIR

        return MODELS_DIR

    def results(self) -> Path:
        from ..core.paths import results_dir

        return results_dir() / "paper"

    # ------------------------------------------------------------------ stages
    def run_dir(self, tag: str) -> Path:
        return self.root / "runs" / f"paper-{tag}"

    def _train(self, tag: str, dim: int, tcfg, budget: float, what: str, resume: bool = False,
               epochs_per_call: int | None = None, handoff: tuple[Path, str] | None = None):
        """Train ``dim`` with ``tcfg`` (from scratch, or when ``resume`` from the run's checkpoint on
        this machine, else from the state ``handoff`` = (folder, name) an earlier lease handed off)
        until it ends, ``budget`` seconds pass or ``epochs_per_call`` more epochs are done; the raw
        run (``runs/paper-<tag>/``) is packed as ``train-<tag>.tgz`` at once.
        Returns (trainer, run dir, packed members)."""
        from ..core.data import celeba_array
        from ..train.began import Trainer, stop_on_sigterm

        t0 = time.monotonic()
        run = self.run_dir(tag)
        if not resume:
            shutil.rmtree(run, ignore_errors=True)
        mcfg = self.model_cfg(dim)
        images = celeba_array(mcfg.image_size, "train", tcfg.validation_images)
        self.say(f"train {tag}: {len(images)} images, {budget:.0f} s, {tcfg.recipe} recipe, {what}")
        trainer = Trainer(mcfg, tcfg, images, run, self.device())
        if resume and trainer.load():
            self.say(f"train {tag}: resumed at step {trainer.step} "
                     f"({trainer.step * tcfg.batch_size} images seen)")
        elif resume and handoff is not None:
            from ..train.handoff import load_handoff

            t1 = time.monotonic()
            info = load_handoff(trainer, *handoff)
            if info is not None:
                adam = "exact" if info["form"] == "exact" else \
                    f"Adam rebuilt from {info['rebuilt']} gradient-only steps"
                self.say(f"train {tag}: resumed at step {trainer.step} "
                         f"({trainer.step * tcfg.batch_size} images seen) from the handed-off state "
                         f"({info['form']}: {adam}; k = {trainer.k:.4f}; "
                         f"{time.monotonic() - t1:.1f} s)")
        more = epochs_per_call * trainer.per_epoch if epochs_per_call else None
        with stop_on_sigterm(trainer):
            why = trainer.run(progress=False, deadline=t0 + budget, stop_after=more)
        seen = trainer.step * tcfg.batch_size
        self.say(f"train {tag}: stopped ({why}) at step {trainer.step}, {seen} images "
                 f"({seen / max(len(images), 1):.1f} epochs), k = {trainer.k:.4f}")
        members = {f"runs/paper-{tag}/{p.name}": p for p in run.iterdir()
                   if p.suffix in (".safetensors", ".csv", ".png", ".json")}
        self.pack(f"train-{tag}.tgz", members)  # durable before anything else is tried
        return trainer, run, members

    def _publish(self, src: Path, name: str, members: dict[str, Path], copy_log: bool) -> None:
        """``publish`` one exported generator into the zoo and add it to ``members``; a failure
        is logged (the raw generator is packed already)."""
        from ..train.publish import publish

        try:
            info = publish(src, name, "paper", copy_log=copy_log, device=self.device(),
                           time_limit=max(min(30.0, self.left() / 4), 1.0),
                           steps=DRY_CALIBRATION_STEPS if self.dry else None)
            self.say(f"published {name}: {info['calibration']}")
            members[f"ganz/zoo/{name}.safetensors"] = self.zoo() / f"{name}.safetensors"
        except Exception as e:  # noqa: BLE001
            self.say(f"publish {name} failed: {type(e).__name__}: {e}")

    def _keep(self, src: Path, name: str, members: dict[str, Path]) -> None:
        """Copy a run's file to ``results/paper/training/<name>`` (the book's training page)."""
        if src.is_file():
            dst = self.results() / "training" / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            members[f"results/paper/training/{name}"] = dst

    def train_stage(self, dim: int, budget: float, full: bool) -> None:
        """Train dim ``dim`` for ``budget`` seconds: dim 64 for the recipe's 50 epochs with a
        snapshot at the equal-images budget; other dims (``full=False``) to that budget only."""
        eq = self.equal_images()
        tcfg = self.train_cfg(snapshot_images=(eq,)) if full else \
            self.train_cfg(steps=-(-eq // self.train_cfg().batch_size))
        trainer, run, members = self._train(f"d{dim}", dim, tcfg, budget,
                                            "full length" if full else f"{eq} images")
        snap = run / f"generator_images{eq}.safetensors"
        enough = trainer.step >= trainer.per_epoch if full else trainer.step * tcfg.batch_size >= eq
        if enough:
            self._publish(run / "final.safetensors", model_name(dim, equal_budget=not full), members,
                          copy_log=True)
        else:
            self.say(f"d{dim} not published: too short (its raw generator is in train-d{dim}.tgz)")
        if full and snap.is_file():
            self._publish(snap, model_name(64, equal_budget=True), members, copy_log=False)
        members[f"results/paper/training/d{dim}.csv"] = self.results() / "training" / f"d{dim}.csv"
        self._keep(run / "samples.png", f"d{dim}-samples.png", members)
        self.pack(f"train-d{dim}.tgz", members)

    def experiments_stage(self, figs, budget: float) -> None:
        """Each figure in turn until ``budget`` runs out; results repacked after each one. Its
        inversions are sized to end in time (``jobs.DEADLINE``): a figure cut short keeps every
        job it finished, and the next lease starts from them."""
        from . import jobs
        from .experiments import run

        stop_at = time.monotonic() + budget
        extra = {"steps": 5, "n_images": 1} if self.dry else {}
        for fig in figs:
            left = stop_at - time.monotonic()
            if left < MIN_STAGE_S:
                self.say(f"{fig}: skipped, {left:.0f} s left")
                continue
            t0 = time.monotonic()
            jobs.DEADLINE = time.time() + left
            try:
                name, kw = fig_call(fig)
                with alarm(left):
                    run([name], "paper", self.device(), **extra, **kw)
                self.say(f"{fig}: done in {time.monotonic() - t0:.0f} s")
            except (StageTimeout, jobs.OutOfTime) as e:
                why = f": {e}" if str(e) else ""
                self.say(f"{fig}: out of time after {time.monotonic() - t0:.0f} s{why} "
                         f"(finished jobs are kept)")
            except LeaseStop:
                self.pack_results()
                raise
            except Exception as e:  # noqa: BLE001 - the next figure may still run
                self.say(f"{fig}: failed: {type(e).__name__}: {e}")
                traceback.print_exc()
            finally:
                jobs.DEADLINE = None
            self.pack_results()

    def encoder_stage(self, dim: int, budget: float) -> None:
        """Train the fast method's encoder for ``celeba64-d<dim>`` for ``budget`` seconds and
        pack it beside the generator (with its log), so ``ganz compress`` starts from it."""
        from ..train.encoder import EncoderTrainConfig, train_for_model

        t0 = time.monotonic()
        cfg = EncoderTrainConfig(steps=20 if self.dry else 200_000, batch_size=8 if self.dry else 256,
                                 log_every=5 if self.dry else 100, max_seconds=budget - 15)
        log = self.results() / "training" / f"encoder-d{dim}.csv"
        self.say(f"encoder d{dim}: {budget:.0f} s, batch {cfg.batch_size}")
        out, df = train_for_model(model_name(dim), cfg, self.device(), log_path=log)
        last = df.iloc[-1]
        psnrs = ", ".join(f"{k} {last[k]:.2f}" for k in df.columns if k.startswith("psnr"))
        self.say(f"encoder d{dim}: {int(last['step'])} steps, {int(last['images_seen'])} images in "
                 f"{time.monotonic() - t0:.0f} s; validation PSNR (dB, model space): {psnrs}")
        self.pack("encoder.tgz", {f"ganz/zoo/{out.name}": out,
                                  f"results/paper/training/{log.name}": log})

    def bench_stage(self, budget: float) -> None:
        """``ganz bench inversion`` on this device with the paper profile's model: the paper method
        (7,500 steps) against the fast one at R = 10 on held-out faces; packed at once."""
        import torch

        from ..core.paths import results_dir
        from .bench import run_inversion

        t0 = time.monotonic()
        n = 2 if self.dry else int(os.environ.get("BENCH_IMAGES", "16"))
        out = results_dir() / "bench"  # where ``has_gpu_bench`` looks: a second call skips it
        kw = dict(quick=True) if self.dry else dict(model=model_name(64))
        self.say(f"bench inversion: {n} test faces, R = 10, {budget:.0f} s at most")
        started = time.time() - 1
        tuned, torch.backends.cudnn.benchmark = torch.backends.cudnn.benchmark, False
        try:  # cuDNN as `ganz compress` runs it (no autotuning) for both methods
            with alarm(budget):
                run_inversion(n_images=n, device=self.device(), out_dir=out,
                              settings=(("random_linear", 10.0),), splits=("test",),
                              progress=False, **kw)
        except StageTimeout:
            self.say(f"bench inversion: out of time after {time.monotonic() - t0:.0f} s")
            return
        finally:
            torch.backends.cudnn.benchmark = tuned
        self.say(f"bench inversion: done in {time.monotonic() - t0:.0f} s")
        self.pack("bench.tgz", {f"results/bench/{p.name}": p for p in out.glob("inversion-*")
                                if p.is_file() and p.stat().st_mtime >= started})

    def has_long(self) -> bool:
        return (self.zoo() / f"{LONG_MODEL}.safetensors").is_file()

    def has_long_eval(self) -> bool:
        from .longmodel import long_table_path

        return long_table_path("paper", 64, LONG_RATIO).is_file()

    def long_checkpoint(self) -> Path:
        """The long d64's training state on this machine (~170 MB: G, D, both Adams, k): it never
        leaves the device, so only a later call of the same lease and commit goes on from it."""
        return self.run_dir("d64-long") / "latest.pt"

    def carried_long(self) -> tuple[Path, str] | None:
        """The long d64's state handed off by an earlier lease, where it came with the tree
        (``$GANZ_LONG_STATE``, ``lease-state/`` as ``lease.sh`` sets it), or None."""
        from ..train.handoff import find_parts

        folder = os.environ.get("GANZ_LONG_STATE")
        if folder and find_parts(folder, LONG_HANDOFF):
            return Path(folder), LONG_HANDOFF
        return None

    def out_room(self) -> int:
        """Files OUT can still take (``MAX_OUT_FILES``), keeping one for ``results-paper.tgz``
        (the long d64's R = 10 table is packed there after the handoff)."""
        names = {p.name for p in self.out.iterdir() if p.is_file() and not p.name.startswith(".")}
        return MAX_OUT_FILES - len(names) - ("results-paper.tgz" not in names)

    def hand_off(self, trainer) -> None:
        """The long d64's training state into OUT for a later lease (``ganz.train.handoff``: exact
        when it fits, else compact; ``HANDOFF_FORM`` forces one), when OUT has room for it."""
        from ..train.handoff import (MAX_BYTES, PART_BYTES, exact_bytes, choose_form, find_parts,
                                     save_handoff)

        t0 = time.monotonic()
        form = os.environ.get("HANDOFF_FORM") or choose_form(trainer, MAX_BYTES)
        for old in find_parts(self.out, LONG_HANDOFF).values():  # an earlier handoff of this call
            for p in old:
                p.unlink()
        est = exact_bytes(trainer) // (6 if form == "compact" else 1)  # fp16 weights only
        need = max(1, -(-est // PART_BYTES))
        if self.out_room() < need:
            self.say(f"train d64-long: state not handed off: OUT has room for {self.out_room()} "
                     f"more files of {MAX_OUT_FILES}, the {form} state needs ~{need}")
            return
        parts = save_handoff(trainer, self.out, LONG_HANDOFF, form=form)
        mb = sum(p.stat().st_size for p in parts) / 2**20
        self.say(f"train d64-long: state handed off ({form}, step {trainer.step}, k = {trainer.k:.4f}): "
                 f"{len(parts)} parts, {mb:.1f} MiB in {time.monotonic() - t0:.1f} s")

    def long_stage(self, budget: float, resume: bool = False) -> None:
        """d64 trained again from scratch with the original recipe for ``budget`` seconds, past
        its 50 epochs (our train split is 8,550 faces, the original's ~192,000: 50 epochs here are
        4 % of its images); ``resume``: a later call goes on from the checkpoint the last one left
        on this machine (exact: same data order, lr schedule and k), or, on a fresh machine, from
        the state an earlier lease handed off (:meth:`carried_long`). Published as
        ``celeba64-d64-long`` beside the default model, which stays as it is, when it saw more
        images than ``celeba64-d64`` (an R = 10 table of an earlier state is removed);
        :meth:`long_eval_stage` then measures it at R = 10. Packed as ``train-d64-long.tgz``,
        handed off into OUT (:meth:`hand_off`) and checkpointed for the next call before the
        publish (up to 30 s), so a SIGTERM there loses neither."""
        from .longmodel import long_table_path

        tcfg = self.train_cfg(epochs=1000)  # the deadline stops it (dry: 2 epochs a call)
        run = self.run_dir("d64-long")
        handoff = self.carried_long() if resume else None
        log = self.results() / "training" / "long-d64.csv"  # the earlier leases' rows
        if handoff and not (run / "latest.pt").is_file() and log.is_file():
            run.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, run / "log.csv")  # the run's log keeps its rows up to the step
        trainer, run, members = self._train(
            "d64-long", 64, tcfg, budget, "going on until the deadline" if resume else
            "until the deadline", resume=resume, handoff=handoff,
            epochs_per_call=int(os.environ.get("DRY_LONG_EPOCHS", "2")) if self.dry else None)
        self.long_trained = True
        self.hand_off(trainer)
        t0 = time.monotonic()
        trainer.save()
        self.say(f"train d64-long: checkpoint for a next call at step {trainer.step} "
                 f"({time.monotonic() - t0:.1f} s)")
        self._keep(run / "log.csv", "long-d64.csv", members)
        self._keep(run / "samples.png", "long-d64-samples.png", members)
        seen, base = trainer.step * tcfg.batch_size, int(float(self.d64_log().get("images_seen", 0)))
        if seen > base:
            self._publish(run / "final.safetensors", LONG_MODEL, members, copy_log=False)
            long_table_path("paper", 64, LONG_RATIO).unlink(missing_ok=True)  # of an earlier state
        else:
            self.say(f"{LONG_MODEL} not published: {seen} images, not more than celeba64-d64's {base}")
        self.pack("train-d64-long.tgz", members)

    def _bounded(self, label: str, budget: float, work) -> None:
        """Run ``work()`` (inversions) within ``budget`` seconds: calls sized by ``jobs.DEADLINE``,
        ``alarm`` as the backstop; the jobs finished are kept and the results packed either way.
        ``work`` returns what to log on success."""
        from . import jobs

        t0 = time.monotonic()
        self.say(f"{label}: {budget:.0f} s at most")
        jobs.DEADLINE = time.time() + budget
        try:
            with alarm(budget):
                done = work()
            self.say(f"{label}: {done} in {time.monotonic() - t0:.0f} s")
        except (StageTimeout, jobs.OutOfTime) as e:
            why = f": {e}" if str(e) else ""
            self.say(f"{label}: out of time after {time.monotonic() - t0:.0f} s{why} (finished "
                     f"ones are kept)")
        finally:
            jobs.DEADLINE = None
            self.pack_results()

    def long_eval_stage(self, budget: float) -> None:
        """``celeba64-d64-long`` at R = 10 on fig. 5's 20 train, test and OOD images with fig. 5's
        inversion (one batched call), beside ``celeba64-d64``'s fig. 5 rows:
        ``results/paper/long-d64-r10.csv``, packed with the results."""
        from .longmodel import evaluate_long

        kw = dict(steps=5, n_images=1) if self.dry else {}
        self._bounded(f"long d64 at R = {LONG_RATIO:g}", budget, lambda: evaluate_long(
            "paper", self.device(), LONG_MODEL, LONG_RATIO, **kw).name)

    def rd_stage(self, budget: float) -> None:
        """The GPU part of the codecs chapter at 64×64: every latent ``rd_experiment`` needs (the
        test and OOD jobs of fig. 5's settings with the codec's projection, inverted in
        deadline-sized batched calls, and their QAT refinements at 8, 6 and 4 bits), cached
        under ``results/paper/jobs/`` and packed; the codec rows are made later on any CPU."""
        from .ratedistortion import rd_latents

        kw = dict(steps=5, n_images=1, qat_steps=2) if self.dry else {}
        self._bounded("rd latents", budget,
                      lambda: f"{rd_latents('paper', self.device(), **kw)} latent sets")

    def has_whole(self, figure: str) -> bool:
        """Whether a whole table of ``figure`` is recorded (not only a partial one)."""
        return any(not p.name.endswith(".partial.csv") for p in self.results().glob(f"{figure}-*.csv"))

    def has_rd_latents(self) -> bool:
        """Whether every QAT latent set of the paper profile's codecs table is recorded (counted
        by file: quantized depths × fig. 5's settings × splits)."""
        from .ratedistortion import BITS, FIG5_RATIOS, RD_SPLITS, QUANT_BITS

        want = sum(b in QUANT_BITS for b in BITS) * (len(FIG5_RATIOS) + 1) * len(RD_SPLITS)
        return len(list((self.results() / "jobs").glob("qat-*.npz"))) >= want

    def pack_results(self) -> None:
        res = self.results()
        if res.is_dir():
            self.pack("results-paper.tgz", {f"results/paper/{p.relative_to(res)}": p
                                            for p in res.rglob("*") if p.is_file()})

    # ------------------------------------------------------------------ plan
    def missing_dims(self) -> list[int]:
        return [d for d in OTHER_DIMS if not (self.zoo() / f"{model_name(d, True)}.safetensors").is_file()]

    def figs(self) -> tuple[str, ...]:
        return tuple(os.environ.get("FIGS", " ".join(PAPER_FIGS)).split())

    def has_encoder(self) -> bool:
        from ..core.encoder import encoder_path_for

        return encoder_path_for(self.zoo() / f"{model_name(64)}.safetensors").is_file()

    def has_gpu_bench(self) -> bool:
        """A GPU benchmark recorded with cuDNN as ``ganz compress`` runs it. Lease 2's ran with the
        lease's autotuning on, which stalled the fast method (``fast.no_autotuning``): redo it."""
        import json

        from ..core.paths import results_dir

        return any(json.loads(p.read_text()).get("cudnn_benchmark") is False
                   for p in (results_dir() / "bench").glob("inversion-*-cuda.json"))

    def d64_log(self) -> dict:
        """The last row of d64's recorded training log (``{}`` when there is none)."""
        import csv

        log = self.results() / "training" / "d64.csv"
        rows = list(csv.DictReader(log.open())) if log.is_file() else []
        return rows[-1] if rows else {}

    def train_estimate(self) -> float:
        """Seconds to train one more dim to the equal-images budget: the images/s that d64's
        recorded log reached (same FLOPs per step at every latent dim) less ``RATE_MARGIN`` (it
        was measured on lease 1's H200; a run cut before the budget is not published), plus
        start-up."""
        rate = float(self.d64_log().get("images_per_s") or 1000.0)
        return (5.0 if self.dry else 30.0) + self.equal_images() / (rate * RATE_MARGIN)

    def run(self, mode: str) -> None:
        """The next stages not yet done, in order: d64 (with its equal-images snapshot); the
        paper figures at dim 64; the encoder of d64; the GPU benchmark; dims 128/256/512, each
        only when it fits whole; figs. 7 and 2 once every dim exists; then, in a call with at
        least ``LONG_MIN_S`` left, d64 trained again for as long as the call allows, and on in the
        lease's next call (``celeba64-d64-long``), then its PSNR at R = 10; the codecs table's
        latents (not a paper figure: last)."""
        if mode == "long":  # the long d64 only (on from its handed-off state), then its table
            self.long_stages()
            if self.has_long() and not self.has_long_eval() and self.left() - 10 >= MIN_STAGE_S:
                self.guarded("long d64 eval", lambda: self.long_eval_stage(self.left() - 10))
            return
        have64 = (self.zoo() / f"{model_name(64)}.safetensors").is_file()
        share = float(os.environ.get("TRAIN_SHARE", "0.6"))
        if mode in ("auto", "train") and not have64:
            self.train_stage(64, share * self.left() if mode == "auto" else self.left() - 10, True)
            if mode == "auto":
                self.experiments_stage(self.figs(), self.left() - 5)
            return
        if not have64:
            self.say("experiments: no celeba64-d64 generator in the zoo; run mode train first")
            return
        if mode in ("auto", "experiments"):
            self.experiments_stage(self.figs(), (share if mode == "auto" else 1.0) * self.left() - 5)
        if mode in ("auto", "train") and not self.has_encoder():
            budget = min(float(os.environ.get("ENCODER_S", "90")), self.left() - 10)
            if budget >= 30 or (self.dry and budget >= MIN_STAGE_S):
                self.guarded("encoder", lambda: self.encoder_stage(64, budget))
        if mode in ("auto", "experiments") and not self.has_gpu_bench() and self.has_encoder():
            budget = min(float(os.environ.get("BENCH_S", "120")), self.left() - 10)
            if budget >= MIN_STAGE_S:
                self.guarded("bench", lambda: self.bench_stage(budget))
        if mode in ("auto", "train"):
            for dim in self.missing_dims():
                need = self.train_estimate()
                if need > self.left() - 10:
                    self.say(f"train d{dim}: skipped, needs ~{need:.0f} s, {self.left():.0f} s left")
                    continue
                self.guarded(f"train d{dim}", lambda dim=dim: self.train_stage(dim, self.left() - 10,
                                                                               full=False))
        if mode in ("auto", "experiments") and not self.missing_dims() and \
                (self.zoo() / f"{model_name(64, True)}.safetensors").is_file():
            self.experiments_stage(DIM_FIGS, self.left() - 5)
        if mode in ("auto", "train") and not self.missing_dims():
            self.long_stages()
        if mode in ("auto", "experiments") and self.has_long() and not self.has_long_eval():
            budget = self.left() - 10
            if budget >= MIN_STAGE_S:
                self.guarded("long d64 eval", lambda: self.long_eval_stage(budget))
        if mode in ("auto", "experiments") and self.has_whole("fig5") and not self.has_rd_latents():
            budget = min(float(os.environ.get("RD_S", "300")), self.left() - 10)
            if budget >= MIN_STAGE_S:
                self.guarded("rd latents", lambda: self.rd_stage(budget))

    def long_stages(self) -> None:
        """The long d64: from scratch in a call with ``LONG_MIN_S`` left when it does not exist yet;
        in a later call of the same lease on the same machine, on from the checkpoint the last
        call left, and in a later lease on from the state it handed off (carried in the tree),
        each keeping ``LONG_EVAL_S`` for its R = 10 table."""
        if self.long_checkpoint().is_file() or self.carried_long():
            if self.long_trained:
                return
            budget = self.left() - 10 - float(os.environ.get("LONG_EVAL_S", "5" if self.dry else
                                                             str(LONG_EVAL_S)))
            if budget >= float(os.environ.get("LONG_RESUME_MIN_S", "5" if self.dry else
                                              str(LONG_RESUME_MIN_S))):
                self.guarded("train d64 long", lambda: self.long_stage(budget, resume=True))
            return
        long_min = float(os.environ.get("LONG_MIN_S", str(20 if self.dry else LONG_MIN_S)))
        if not self.has_long() and self.left() - 10 >= long_min:
            self.guarded("train d64 long", lambda: self.long_stage(self.left() - 10))

    def guarded(self, what: str, stage) -> None:
        """Run one stage; a failure is logged and the lease goes on to the next."""
        try:
            stage()
        except LeaseStop:
            raise
        except Exception as e:  # noqa: BLE001
            self.say(f"{what}: failed: {type(e).__name__}: {e}")
            traceback.print_exc()


class StageTimeout(Exception):
    pass


class alarm:
    """Raise ``StageTimeout`` in the main thread after ``seconds`` (a figure stops between steps)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def _fire(self, signum, frame):  # noqa: ARG002
        raise StageTimeout

    def __enter__(self):
        self.old = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.01))
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ganz.study.lease", description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["auto", "train", "experiments", "long", "plan"])
    p.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp/ganz_out")))
    p.add_argument("--dry", action="store_true", help="CPU, toy sizes, synthetic images")
    a = p.parse_args(argv)
    if a.mode == "plan":
        from .leaseplan import count_image_steps, plan

        print(plan(image_steps=count_image_steps()))
        return 0
    end = float(os.environ.get("GANZ_LEASE_END", time.time() + 540))
    lease = Lease(a.out, a.dry, end)
    if a.dry:
        make_dry_data(lease.root / "data")
    problems = preflight(a.dry)
    if problems:
        lease.say("preflight failed: " + "; ".join(problems))
        return 3
    if os.environ.get("LEASE_CLOCK") == "ready":  # the deadline counts from here, not the start
        lease.end = time.time() + float(os.environ.get("DEADLINE_S", "540"))
    lease.say(f"preflight ok; mode {a.mode}")
    if not a.dry:
        import torch

        torch.backends.cudnn.benchmark = True  # fixed shapes for thousands of steps

    def stop(signum, frame):  # noqa: ARG001
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop: packing must not be interrupted
        raise LeaseStop

    signal.signal(signal.SIGTERM, stop)
    try:
        lease.run(a.mode)
    except LeaseStop:
        lease.say("stopped by SIGTERM")
    lease.say("finished; OUT holds: " + ", ".join(sorted(p.name for p in a.out.iterdir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
