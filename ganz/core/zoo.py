"""Generator weights: export (fp16 safetensors + config metadata), safe loading, identity hash,
and the registry of committed models under ``ganz/zoo/``."""
from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .atomic import atomic_path
from .config import ModelConfig
from .errors import GanzError
from .models import Generator
from .modelfiles import resolve_model

FORMAT = "ganz-generator-1"
# `ganz compress` without --model uses the first of these that is committed (paper-size first)


def weights_id(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 of the weights as stored (names, dtypes, shapes, bytes), independent of file metadata."""
    h = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().contiguous().cpu()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def export_generator(G: Generator, path: Path | str, dtype: torch.dtype = torch.float16,
                     **meta: object) -> str:
    """Write G's weights (default fp16) with its config in the metadata, atomically; return its id."""
    state = {k: v.detach().to("cpu", dtype).contiguous() for k, v in G.state_dict().items()}
    metadata = {"format": FORMAT, "config": json.dumps(G.cfg.__dict__)}
    metadata.update({k: json.dumps(v) for k, v in meta.items()})
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=metadata)
    return weights_id(state)


def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    if path.suffix == ".pt":
        try:
            with warnings.catch_warnings():  # e.g. "pickle protocol 4": our one line says enough
                warnings.simplefilter("ignore")
                obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - anything unpicklable is refused the same way
            raise GanzError(f"{path}: not a loadable weights file ({type(e).__name__})") from None
        if not isinstance(obj, dict) or "generator" not in obj or "model_config" not in obj:
            raise GanzError(f"{path}: not a GANZ checkpoint (no generator/model_config)")
        state = obj["generator"]
        if not isinstance(state, dict) or not all(
                isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
            raise GanzError(f"{path}: not a GANZ checkpoint (generator is not a dict of tensors)")
        try:
            config = json.dumps(obj["model_config"])
        except (TypeError, ValueError):
            raise GanzError(f"{path}: bad model config in checkpoint") from None
        meta = {"format": FORMAT, "config": config}
        if isinstance(obj.get("step"), int) and isinstance(obj.get("train_config"), dict):
            batch = obj["train_config"].get("batch_size", 0)
            meta.update(step=json.dumps(obj["step"]), train_config=json.dumps(obj["train_config"]),
                        images_seen=json.dumps(obj["step"] * batch * obj.get("world_size", 1)))
        return state, meta
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        return load_file(str(path)), metadata
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise GanzError(f"{path}: not a valid safetensors file ({e})") from None


def _json_or_text(value: str) -> object:
    """Metadata values we write are JSON; keep any other (foreign) value as its text."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_generator(name_or_path: str | Path | None = None,
                   device: str | torch.device = "cpu") -> tuple[Generator, str, dict]:
    """Load a generator safely; returns (G in fp32, eval mode, no grads), its weights id, metadata."""
    path = resolve_model(name_or_path)
    state, metadata = _read(path)
    # the id hashes the weights as stored, so files made with an export from before adapter_gain
    # existed still match it once the default gain is filled in below
    gid = weights_id(state)
    state.setdefault("adapter_gain", torch.tensor(1.0))  # exports from before the gain existed
    if metadata.get("format") != FORMAT or "config" not in metadata:
        raise GanzError(f"{path}: not a GANZ generator (metadata format {metadata.get('format')!r})")
    try:
        cfg = ModelConfig(**json.loads(metadata["config"]))
    except (TypeError, ValueError) as e:
        raise GanzError(f"{path}: bad model config in metadata ({e})") from None
    with torch.device("meta"):  # shapes only: a hostile config must not allocate anything
        expected = {k: tuple(v.shape) for k, v in Generator(cfg).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    missing, unexpected = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    if missing or unexpected:
        raise GanzError(f"{path}: weights do not match the config: missing {missing[:3]}, "
                        f"unexpected {unexpected[:3]}")
    bad = [f"{k} {got[k]} != {expected[k]}" for k in expected if got[k] != expected[k]]
    if bad:
        raise GanzError(f"{path}: weight shapes do not match the config: {bad[0]}")
    G = Generator(cfg)
    G.load_state_dict({k: v.float() for k, v in state.items()})
    G.eval().requires_grad_(False)
    meta = {k: (_json_or_text(v) if k != "format" else v) for k, v in metadata.items()}
    meta["path"] = str(path)
    return G.to(device), gid, meta


def committed_ids() -> Iterator[tuple[str, str]]:
    """(name, weights id) of the committed models, lazily: the default models first, then the
    others (each file read and hashed, no generator built); unreadable files are left out."""
    from .modelfiles import DEFAULT_MODELS, available_models

    names = available_models()
    for name in dict.fromkeys([*(m for m in DEFAULT_MODELS if m in names), *names]):
        try:
            yield name, weights_id(_read(resolve_model(name))[0])
        except GanzError:
            continue


def find_model(generator_id: str) -> str | None:
    """The committed model whose weights id begins with ``generator_id`` (a ``.ganz`` file's
    prefix of it), the default models first; None when no committed model matches."""
    gid = generator_id.lower()
    return next((name for name, sha in committed_ids() if sha.startswith(gid)), None)
