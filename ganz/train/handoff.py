"""A training run handed from one GPU session to a later one (``scripts/gpu/README.md``).

A session returns at most 8 files of at most 16 MiB, and the next session's whole tree travels in
64 MiB (56 planned), so the run's state comes back as ``<name>-step<N>.state<i>of<n>`` parts of
one ``torch.save`` file, each ≤ ``PART_BYTES``, in the richest form that fits ``max_bytes``:

- ``exact``: G, D, both Adams (moments and step counts) in fp32, k and the step: a run resumed
  from it equals an uninterrupted one bit for bit (as the on-machine ``latest.pt``). At 64×64
  this is ~174 MB (14.5 M parameters × 3), which fits neither limit.
- ``compact``: G and D rounded to fp16 (relative error ≤ 2⁻¹¹, below one Adam step at the
  recipe's learning rate for weights above ~0.1; ~29 MB at 64×64: two parts), k and the step
  (hence the learning-rate schedule and the data position: both are functions of the step).
  Adam's moments are not kept; :meth:`Trainer.rebuild_moments` rebuilds them on resume with
  ``REBUILD_STEPS`` gradient-only steps (lr 0) on the batches of the last ``REBUILD_STEPS``
  steps. What differs from an uninterrupted run: the weights' fp16 rounding and Adam's moments
  (estimated from those steps instead of the run's whole history, bias correction restarted).

``save_handoff`` writes the parts (each atomically) and returns them; ``load_handoff`` finds the
newest complete set in a folder and loads it into a :class:`~ganz.train.began.Trainer`.
"""
from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import torch

from ..core.atomic import atomic_write
from ..core.config import to_jsonable
from ..core.errors import GanzError

FORMAT = "ganz-handoff-1"
PART_BYTES = 15 << 20  # the device returns files of at most 16 MiB
MAX_BYTES = 30 << 20  # the next session's tree has room for ~34 MiB of state (README: fit)
REBUILD_STEPS = 100  # gradient-only steps that rebuild Adam's moments after a compact handoff
#: what must match for a run to go on (the data order, the schedule and the step's randomness)
SAME_RUN = ("recipe", "batch_size", "lr", "lr_decay_every", "lr_decay_factor", "beta1", "beta2",
            "gamma", "lambda_k", "clamp_k", "hflip", "seed", "shuffle", "validation_images")


def part_name(name: str, step: int, i: int, n: int) -> str:
    return f"{name}-step{step}.state{i}of{n}"


def _pattern(name: str) -> re.Pattern:
    return re.compile(re.escape(name) + r"-step(\d+)\.state(\d+)of(\d+)")


def find_parts(folder: Path | str, name: str) -> dict[int, list[Path]]:
    """Complete part sets under ``folder`` by step (incomplete sets are left out)."""
    sets: dict[tuple[int, int], dict[int, Path]] = {}
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    pat = _pattern(name)
    for p in folder.iterdir():
        m = pat.fullmatch(p.name)
        if m and p.is_file():
            step, i, n = map(int, m.groups())
            sets.setdefault((step, n), {})[i] = p
    return {step: [parts[i] for i in range(n)] for (step, n), parts in sets.items()
            if sorted(parts) == list(range(n))}


def exact_bytes(trainer) -> int:
    """Bytes of the exact form's tensors (weights and both Adams' moments in fp32)."""
    weights = sum(t.numel() * 4 for m in (trainer.G, trainer.D) for t in m.state_dict().values())
    params = sum(p.numel() * 4 for m in (trainer.G, trainer.D) for p in m.parameters())
    return weights + 2 * params


def compact_state(G, D) -> dict:
    """G's and D's weights in fp16 (refused when one does not fit its range)."""
    sd = {}
    for key, module in (("generator", G), ("discriminator", D)):
        tensors = {k: v.detach().to("cpu") for k, v in module.state_dict().items()}
        for k, v in tensors.items():
            if v.is_floating_point() and v.abs().max() > torch.finfo(torch.float16).max:
                raise GanzError(f"{key}.{k} does not fit fp16; hand the run off in exact form")
        sd[key] = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    return sd


def compact_bytes(mcfg, tcfg=None) -> int:
    """Bytes of a compact handoff of a run of ``mcfg`` (serialized; what ``prepare.sh`` counts
    for a session that carries one before any exists)."""
    from types import SimpleNamespace

    from ..core.config import TrainConfig
    from ..core.models import Discriminator, Generator

    run = SimpleNamespace(G=Generator(mcfg), D=Discriminator(mcfg), k=0.0, step=10 ** 6,
                          best_val=float("-inf"), world=1, mcfg=mcfg,
                          cfg=tcfg or TrainConfig.original())
    return len(_serialize(run, "compact"))


def _payload(trainer, form: str) -> dict:
    base = {"format": FORMAT, "form": form, "k": trainer.k, "step": trainer.step,
            "best_val": trainer.best_val, "world_size": trainer.world,
            "model_config": to_jsonable(trainer.mcfg), "train_config": to_jsonable(trainer.cfg)}
    if form == "exact":
        st = trainer.state()
        move = lambda x: x.detach().to("cpu") if isinstance(x, torch.Tensor) else x  # noqa: E731
        for key in ("generator", "discriminator"):
            base[key] = {k: move(v) for k, v in st[key].items()}
        for key in ("opt_g", "opt_d"):
            base[key] = {"state": {i: {k: move(v) for k, v in s.items()}
                                   for i, s in st[key]["state"].items()},
                         "param_groups": st[key]["param_groups"]}
        return base
    if form == "compact":
        return {**base, **compact_state(trainer.G, trainer.D), "rebuild_steps": REBUILD_STEPS}
    raise GanzError(f"unknown handoff form {form!r}: exact or compact")


def _serialize(trainer, form: str) -> bytes:
    buf = io.BytesIO()
    torch.save(_payload(trainer, form), buf)
    return buf.getvalue()


def choose_form(trainer, max_bytes: int = MAX_BYTES) -> str:
    """``exact`` when its tensors fit ``max_bytes``, else ``compact``."""
    return "exact" if exact_bytes(trainer) <= max_bytes else "compact"


def save_handoff(trainer, folder: Path | str, name: str, form: str | None = None,
                 max_bytes: int = MAX_BYTES, part_bytes: int = PART_BYTES) -> list[Path]:
    """Write ``trainer``'s state as parts under ``folder`` (``form``: ``exact``, ``compact`` or
    None: the richest that fits ``max_bytes``); earlier parts of ``name`` there are removed
    once the new set is whole. Returns the parts in order."""
    folder = Path(folder)
    form = form or choose_form(trainer, max_bytes)
    blob = _serialize(trainer, form)
    n = max(1, -(-len(blob) // part_bytes))
    parts = [folder / part_name(name, trainer.step, i, n) for i in range(n)]
    for i, p in enumerate(parts):
        atomic_write(p, blob[i * part_bytes:(i + 1) * part_bytes])
    for _step, old in find_parts(folder, name).items():
        if old != parts:
            for p in old:
                p.unlink(missing_ok=True)
    return parts


def read_handoff(folder: Path | str, name: str) -> dict | None:
    """The newest complete handoff of ``name`` under ``folder`` (None when there is none)."""
    sets = find_parts(folder, name)
    if not sets:
        return None
    parts = sets[max(sets)]
    blob = b"".join(p.read_bytes() for p in parts)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            st = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - a part missing, truncated or from another run
        raise GanzError(f"{parts[0].parent}: the handoff parts of {name} do not make one state "
                        f"({type(e).__name__}); remove them or unpack a whole set") from None
    if not isinstance(st, dict) or st.get("format") != FORMAT:
        raise GanzError(f"{parts[0]}: not a GANZ handoff ({FORMAT})")
    return st


def load_handoff(trainer, folder: Path | str, name: str) -> dict | None:
    """Continue ``trainer``'s run from the newest handoff of ``name`` under ``folder``: weights,
    k, the step, and Adam exactly (``exact``) or rebuilt (``compact``). Returns what was read
    (``form``, ``step``, ``rebuilt``: the gradient-only steps run), or None when there is none."""
    st = read_handoff(folder, name)
    if st is None:
        return None
    if st["model_config"] != to_jsonable(trainer.mcfg):
        raise GanzError(f"the handoff of {name} was trained with model config {st['model_config']}, "
                        f"not {to_jsonable(trainer.mcfg)}")
    mine = to_jsonable(trainer.cfg)
    differ = [k for k in SAME_RUN if st["train_config"].get(k) != mine.get(k)]
    if differ or st.get("world_size", 1) != trainer.world:
        raise GanzError(f"the handoff of {name} is another run: {', '.join(differ) or 'world size'} "
                        f"differ")
    trainer.G.load_state_dict(st["generator"])  # fp16 parts are copied into the fp32 weights
    trainer.D.load_state_dict(st["discriminator"])
    trainer.k, trainer.step = float(st["k"]), int(st["step"])
    trainer.best_val = float(st.get("best_val", float("-inf")))
    rebuilt = 0
    if st["form"] == "exact":
        trainer.opt_g.load_state_dict(st["opt_g"])
        trainer.opt_d.load_state_dict(st["opt_d"])
    else:
        rebuilt = trainer.rebuild_moments(int(st.get("rebuild_steps", REBUILD_STEPS)))
    return {"form": st["form"], "step": trainer.step, "k": trainer.k, "rebuilt": rebuilt}
