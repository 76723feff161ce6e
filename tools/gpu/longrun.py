"""The long d64: d64 trained again from scratch with the original recipe for as long as the calls
allow, on from call to call (its checkpoint stays on the machine) and from session to session (its
state handed off through OUT, ``ganz.train.handoff``), published as ``celeba64-d64-long`` once it
saw more images than ``celeba64-d64``, and measured at R = 10."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

from . import progress
from .recipe import LONG_HANDOFF, LONG_MODEL, LONG_RATIO, train_cfg
from .session import MAX_OUT_FILES, Session
from .training import keep, publish, train


def long_checkpoint(s: Session) -> Path:
    """The long d64's training state on this machine (~170 MB: G, D, both Adams, k): it never
    leaves the device, so only a later call of the same session and commit goes on from it."""
    return s.run_dir("d64-long") / "latest.pt"


def carried_long(s: Session) -> tuple[Path, str] | None:
    """The long d64's state handed off by an earlier session, where it came with the tree
    (``--long-state``: ``lease-state/`` as ``lease.sh`` passes it), or None."""
    from ganz.train.handoff import find_parts

    folder = s.opts.long_state
    if folder and find_parts(folder, LONG_HANDOFF):
        return Path(folder), LONG_HANDOFF
    return None


def hand_off(s: Session, trainer) -> None:
    """The long d64's training state into OUT for a later session (``ganz.train.handoff``: exact
    when it fits, else compact; ``--handoff-form`` forces one), when OUT has room for it."""
    from ganz.train.handoff import (MAX_BYTES, PART_BYTES, choose_form, exact_bytes, find_parts,
                                    save_handoff)

    t0 = time.monotonic()
    form = s.opts.handoff_form or choose_form(trainer, MAX_BYTES)
    for old in find_parts(s.out, LONG_HANDOFF).values():  # an earlier handoff of this call
        for p in old:
            p.unlink()
    est = exact_bytes(trainer) // (6 if form == "compact" else 1)  # fp16 weights only
    need = max(1, -(-est // PART_BYTES))
    if s.out_room() < need:
        s.say(f"train d64-long: state not handed off: OUT has room for {s.out_room()} "
              f"more files of {MAX_OUT_FILES}, the {form} state needs ~{need}")
        return
    parts = save_handoff(trainer, s.out, LONG_HANDOFF, form=form)
    mb = sum(p.stat().st_size for p in parts) / 2**20
    s.say(f"train d64-long: state handed off ({form}, step {trainer.step}, k = {trainer.k:.4f}): "
          f"{len(parts)} parts, {mb:.1f} MiB in {time.monotonic() - t0:.1f} s")


def long_stage(s: Session, budget: float, resume: bool = False) -> None:
    """d64 trained again from scratch with the original recipe for ``budget`` seconds, past its 50
    epochs (our train split is 8,550 faces, the original's ~192,000: 50 epochs here are 4 % of its
    images); ``resume``: a later call goes on from the checkpoint the last one left on this machine
    (exact: same data order, lr schedule and k), or, on a fresh machine, from the state an earlier
    session handed off (:func:`carried_long`). Published as ``celeba64-d64-long`` beside the default
    model, which stays as it is, when it saw more images than ``celeba64-d64`` (an R = 10 table of
    an earlier state is removed); :func:`long_eval_stage` then measures it at R = 10. Packed as
    ``train-d64-long.tgz``, handed off into OUT (:func:`hand_off`) and checkpointed for the next
    call before the publish (up to 30 s), so a SIGTERM there loses neither."""
    from ganz.study.longmodel import long_table_path

    tcfg = train_cfg(s.dry, epochs=1000)  # the deadline (or --long-epochs) stops it
    run = s.run_dir("d64-long")
    handoff = carried_long(s) if resume else None
    log = s.results() / "training" / "long-d64.csv"  # the earlier sessions' rows
    if handoff and not (run / "latest.pt").is_file() and log.is_file():
        run.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, run / "log.csv")  # the run's log keeps its rows up to the step
    trainer, run, members = train(
        s, "d64-long", 64, tcfg, budget, "going on until the deadline" if resume else
        "until the deadline", resume=resume, handoff=handoff, epochs_per_call=s.opts.long_epochs)
    s.long_trained = True
    hand_off(s, trainer)
    t0 = time.monotonic()
    trainer.save()
    s.say(f"train d64-long: checkpoint for a next call at step {trainer.step} "
          f"({time.monotonic() - t0:.1f} s)")
    keep(s, run / "log.csv", "long-d64.csv", members)
    keep(s, run / "samples.png", "long-d64-samples.png", members)
    seen, base = trainer.step * tcfg.batch_size, int(float(progress.d64_log(s).get("images_seen", 0)))
    if seen > base:
        publish(s, run / "final.safetensors", LONG_MODEL, members, copy_log=False)
        long_table_path("paper", 64, LONG_RATIO).unlink(missing_ok=True)  # of an earlier state
    else:
        s.say(f"{LONG_MODEL} not published: {seen} images, not more than celeba64-d64's {base}")
    s.pack("train-d64-long.tgz", members)


def long_stages(s: Session) -> None:
    """The long d64: from scratch in a call with ``long_min_s`` left when it does not exist yet;
    in a later call of the same session on the same machine, on from the checkpoint the last call
    left, and in a later session on from the state it handed off (carried in the tree), each
    keeping ``long_eval_s`` for its R = 10 table."""
    o = s.opts
    if long_checkpoint(s).is_file() or carried_long(s):
        if s.long_trained:
            return
        budget = s.left() - 10 - o.long_eval_s
        if budget >= o.long_resume_min_s:
            s.guarded("train d64 long", lambda: long_stage(s, budget, resume=True))
        return
    if not progress.has_long(s) and s.left() - 10 >= o.long_min_s:
        s.guarded("train d64 long", lambda: long_stage(s, s.left() - 10))


def long_eval_stage(s: Session, budget: float) -> None:
    """``celeba64-d64-long`` at R = 10 on fig. 5's 20 train, test and OOD images with fig. 5's
    inversion (one batched call), beside ``celeba64-d64``'s fig. 5 rows:
    ``results/paper/long-d64-r10.csv``, packed with the results."""
    from ganz.study import policy
    from ganz.study.longmodel import evaluate_long

    kw = dict(steps=5, n_images=1) if s.dry else {}
    s.bounded(f"long d64 at R = {LONG_RATIO:g}", budget, lambda deadline: evaluate_long(
        "paper", s.device(), LONG_MODEL, LONG_RATIO, policy=policy.compute(deadline), **kw).name)
