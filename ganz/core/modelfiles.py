"""Where a model's files are (no torch): its weights, the encoder beside them, its lite bundle."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .errors import GanzError
from .paths import models_dir

DEFAULT_MODELS = ("celeba64-d64", "cpu-small-d64")  # the default model: the first committed one


def available_models() -> list[str]:
    zoo = models_dir()
    if not zoo.is_dir():
        return []
    # encoders (<model>.encoder.safetensors) live beside their generators
    return sorted(p.stem for p in zoo.glob("*.safetensors") if not p.stem.endswith(".encoder"))


def resolve_model(name_or_path: str | Path | None) -> Path:
    """A path, or the name of a committed model in ganz/zoo (``None`` = the default model)."""
    if name_or_path is None:
        committed = [m for m in DEFAULT_MODELS if (models_dir() / f"{m}.safetensors").is_file()]
        if not committed:
            raise GanzError("no default model is committed yet; pass --model PATH")
        name_or_path = committed[0]
    p = Path(name_or_path)
    if p.suffix in (".safetensors", ".pt") or p.exists():
        if not p.is_file():
            raise GanzError(f"model file {p} not found")
        return p
    cand = models_dir() / f"{name_or_path}.safetensors"
    if cand.is_file():
        return cand
    known = ", ".join(available_models()) or "none committed yet"
    raise GanzError(f"unknown model {name_or_path!r} (committed models: {known}); pass --model PATH")


def _beside(path: Path | str, suffix: str) -> Path:
    p = Path(path)
    return p.with_name((p.name[: -len(p.suffix)] if p.suffix else p.name) + suffix)


def encoder_path_for(generator_path: Path | str) -> Path:
    """``foo.safetensors`` -> ``foo.encoder.safetensors`` (same folder)."""
    return _beside(generator_path, ".encoder.safetensors")


def bundle_for(generator_path: Path | str) -> Path:
    """``foo.safetensors`` -> ``foo.lite/``: the torch-free compress path's bundle (``ganz.lite``)."""
    return _beside(generator_path, ".lite")


def model_inputs(a) -> list[Path]:
    """The ``--model`` file of parsed arguments ``a``, when one is given: an input no output may
    replace."""
    return [Path(a.model)] if a.model and Path(a.model).is_file() else []


#: safetensors' dtype codes as torch names them (``ganz.core.zoo.weights_id`` hashes torch's name)
_TORCH_DTYPES = {"F64": "torch.float64", "F32": "torch.float32", "F16": "torch.float16",
                 "BF16": "torch.bfloat16", "I64": "torch.int64", "I32": "torch.int32",
                 "I16": "torch.int16", "I8": "torch.int8", "U8": "torch.uint8", "BOOL": "torch.bool"}


def file_weights_id(path: Path | str) -> str:
    """``ganz.core.zoo.weights_id`` of a safetensors file's weights, read without torch: the
    SHA-256 over each tensor (by name) of its name, dtype, shape and bytes as stored."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size))
            body = f.read()
    except (OSError, ValueError) as e:
        raise GanzError(f"{p}: not a readable safetensors file ({e})") from None
    h = hashlib.sha256()
    for name in sorted(k for k in header if k != "__metadata__"):
        entry = header[name]
        if entry["dtype"] not in _TORCH_DTYPES:
            raise GanzError(f"{p}: tensor {name} has an unknown dtype {entry['dtype']!r}")
        start, end = entry["data_offsets"]
        h.update(f"{name}|{_TORCH_DTYPES[entry['dtype']]}|{tuple(entry['shape'])}|".encode())
        h.update(body[start:end])
    return h.hexdigest()
