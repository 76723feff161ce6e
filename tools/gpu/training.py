"""The training stages: the paper profile's generators in the original layout and recipe (d64 for
its 50 epochs with a snapshot at the equal-images budget, the other dims to that budget only),
published into the zoo, and the fast method's encoder. Each packs its run into OUT as it stops."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from .recipe import DRY_CALIBRATION_STEPS, equal_images, model_cfg, model_name, train_cfg
from .session import Session


def train(s: Session, tag: str, dim: int, tcfg, budget: float, what: str, resume: bool = False,
          epochs_per_call: int | None = None, handoff: tuple[Path, str] | None = None):
    """Train ``dim`` with ``tcfg`` (from scratch, or when ``resume`` from the run's checkpoint on
    this machine, else from the state ``handoff`` = (folder, name) an earlier session handed off)
    until it ends, ``budget`` seconds pass or ``epochs_per_call`` more epochs are done; the raw
    run (``runs/paper-<tag>/``) is packed as ``train-<tag>.tgz`` at once.
    Returns (trainer, run dir, packed members)."""
    from ganz.core.data import celeba_array
    from ganz.train.began import Trainer, stop_on_sigterm

    t0 = time.monotonic()
    run = s.run_dir(tag)
    if not resume:
        shutil.rmtree(run, ignore_errors=True)
    mcfg = model_cfg(dim, s.dry)
    images = celeba_array(mcfg.image_size, "train", tcfg.validation_images)
    s.say(f"train {tag}: {len(images)} images, {budget:.0f} s, {tcfg.recipe} recipe, {what}")
    trainer = Trainer(mcfg, tcfg, images, run, s.device())
    if resume and trainer.load():
        s.say(f"train {tag}: resumed at step {trainer.step} "
              f"({trainer.step * tcfg.batch_size} images seen)")
    elif resume and handoff is not None:
        from ganz.train.handoff import load_handoff

        t1 = time.monotonic()
        info = load_handoff(trainer, *handoff)
        if info is not None:
            adam = "exact" if info["form"] == "exact" else \
                f"Adam rebuilt from {info['rebuilt']} gradient-only steps"
            s.say(f"train {tag}: resumed at step {trainer.step} "
                  f"({trainer.step * tcfg.batch_size} images seen) from the handed-off state "
                  f"({info['form']}: {adam}; k = {trainer.k:.4f}; {time.monotonic() - t1:.1f} s)")
    more = epochs_per_call * trainer.per_epoch if epochs_per_call else None
    with stop_on_sigterm(trainer):
        why = trainer.run(progress=False, deadline=t0 + budget, stop_after=more)
    seen = trainer.step * tcfg.batch_size
    s.say(f"train {tag}: stopped ({why}) at step {trainer.step}, {seen} images "
          f"({seen / max(len(images), 1):.1f} epochs), k = {trainer.k:.4f}")
    members = {f"runs/paper-{tag}/{p.name}": p for p in run.iterdir()
               if p.suffix in (".safetensors", ".csv", ".png", ".json")}
    s.pack(f"train-{tag}.tgz", members)  # durable before anything else is tried
    return trainer, run, members


def publish(s: Session, src: Path, name: str, members: dict[str, Path], copy_log: bool) -> None:
    """``publish`` one exported generator into the zoo and add it to ``members``; a failure is
    logged (the raw generator is packed already)."""
    from ganz.train.publish import publish as publish_model

    try:
        info = publish_model(src, name, "paper", copy_log=copy_log, device=s.device(),
                             time_limit=max(min(30.0, s.left() / 4), 1.0),
                             steps=DRY_CALIBRATION_STEPS if s.dry else None)
        s.say(f"published {name}: {info['calibration']}")
        members[f"ganz/zoo/{name}.safetensors"] = s.zoo() / f"{name}.safetensors"
    except Exception as e:  # noqa: BLE001
        s.say(f"publish {name} failed: {type(e).__name__}: {e}")


def keep(s: Session, src: Path, name: str, members: dict[str, Path]) -> None:
    """Copy a run's file to ``results/paper/training/<name>`` (the book's training page)."""
    if src.is_file():
        dst = s.results() / "training" / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        members[f"results/paper/training/{name}"] = dst


def train_stage(s: Session, dim: int, budget: float, full: bool) -> None:
    """Train dim ``dim`` for ``budget`` seconds: dim 64 for the recipe's 50 epochs with a snapshot
    at the equal-images budget; other dims (``full=False``) to that budget only. Published when it
    ran at least one epoch (``full``) or reached the budget."""
    eq = equal_images(s.dry, s.opts.equal_epochs)
    tcfg = train_cfg(s.dry, snapshot_images=(eq,)) if full else \
        train_cfg(s.dry, steps=-(-eq // train_cfg(s.dry).batch_size))
    trainer, run, members = train(s, f"d{dim}", dim, tcfg, budget,
                                  "full length" if full else f"{eq} images")
    snap = run / f"generator_images{eq}.safetensors"
    enough = trainer.step >= trainer.per_epoch if full else trainer.step * tcfg.batch_size >= eq
    if enough:
        publish(s, run / "final.safetensors", model_name(dim, equal_budget=not full), members,
                copy_log=True)
    else:
        s.say(f"d{dim} not published: too short (its raw generator is in train-d{dim}.tgz)")
    if full and snap.is_file():
        publish(s, snap, model_name(64, equal_budget=True), members, copy_log=False)
    members[f"results/paper/training/d{dim}.csv"] = s.results() / "training" / f"d{dim}.csv"
    keep(s, run / "samples.png", f"d{dim}-samples.png", members)
    s.pack(f"train-d{dim}.tgz", members)


def encoder_stage(s: Session, dim: int, budget: float) -> None:
    """Train the fast method's encoder for ``celeba64-d<dim>`` for ``budget`` seconds and pack it
    beside the generator (with its log), so ``ganz compress`` starts from it."""
    from ganz.train.encoder import EncoderTrainConfig, train_for_model

    t0 = time.monotonic()
    cfg = EncoderTrainConfig(steps=20 if s.dry else 200_000, batch_size=8 if s.dry else 256,
                             log_every=5 if s.dry else 100, max_seconds=budget - 15)
    log = s.results() / "training" / f"encoder-d{dim}.csv"
    s.say(f"encoder d{dim}: {budget:.0f} s, batch {cfg.batch_size}")
    out, df = train_for_model(model_name(dim), cfg, s.device(), log_path=log)
    last = df.iloc[-1]
    psnrs = ", ".join(f"{k} {last[k]:.2f}" for k in df.columns if k.startswith("psnr"))
    s.say(f"encoder d{dim}: {int(last['step'])} steps, {int(last['images_seen'])} images in "
          f"{time.monotonic() - t0:.0f} s; validation PSNR (dB, model space): {psnrs}")
    s.pack("encoder.tgz", {f"ganz/zoo/{out.name}": out,
                           f"results/paper/training/{log.name}": log})
