"""Export a committed model for the torch-free compress path (needs torch and onnx; run once).

``export_bundle("cpu-small-d64")`` writes ``ganz/zoo/<model>.lite/``:

- ``lossgrad.onnx``: (h, x) -> (per-image MSE, its gradient in h) (``ganz.lite.lossgrad``);
- ``decode.onnx``: h -> the model-space image (the conv module);
- ``encoder.onnx``: x -> (h, one z per head) of the model's fast-method encoder;
- ``adapters.npz``: per default adapter its matrix W (C, d) at the codec's default latent scale
  (``ganz.core.codec``; the scale is in ``meta.json``), bias, pseudo-inverse and squared spectral
  norm (for the start's projection);
- ``meta.json``: the generator id, the SHA-256 of the weights and encoder files, sizes, the
  adapters and the encoder's heads in output order.

Bundles are derived files (git-ignored): ``python -m ganz.lite.export`` makes the missing ones.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..core.adapters import make_adapter
from ..core.codec import SCALED_ADAPTERS, model_latent_scale
from ..core.encoder import find_encoder, head_key
from ..core.fast import _solver
from ..core.modelfiles import bundle_for, encoder_path_for, resolve_model
from ..core.zoo import load_generator
from .compress import file_sha256, stale
from .lossgrad import LossGrad

#: the adapters a bundle carries: the codec's default (random layer at R = 10, layer seed 0) and
#: the trained first layer
DEFAULT_ADAPTERS = (("random_linear", 10.0, 0), ("keep_linear", None, 0))


class _EncoderHeads(torch.nn.Module):
    def __init__(self, E, keys: list[str]):
        super().__init__()
        self.E, self.keys = E, keys

    def forward(self, x):
        h, zs = self.E(x)
        return (h, *[zs[k] for k in self.keys])


def bundle_dir(model: str | Path) -> Path:
    return bundle_for(resolve_model(model))


def export_bundle(model: str | Path, out: Path | None = None,
                  adapters=DEFAULT_ADAPTERS) -> Path:
    """Write the lite bundle of ``model`` (default: beside its weights); returns its folder."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript-based exporter's deprecation notices
        return _export(model, out, adapters)


def _export(model: str | Path, out: Path | None, adapters) -> Path:
    G, gid, meta = load_generator(model, "cpu")
    E = find_encoder(meta.get("path"), gid, "cpu")
    if E is None:
        raise ValueError(f"{model}: no encoder beside the model; the lite path starts from one")
    E = E.eval().requires_grad_(False)
    out = Path(out) if out is not None else bundle_dir(model)
    out.mkdir(parents=True, exist_ok=True)
    c, s = G.cfg, G.cfg.image_size
    h = torch.zeros(2, c.width, c.base_size, c.base_size)
    x = torch.zeros(2, 3, s, s)
    dyn = {"h": {0: "b"}, "x": {0: "b"}}
    torch.onnx.export(LossGrad(G.conv).eval(), (h, x), str(out / "lossgrad.onnx"),
                      input_names=["h", "x"], output_names=["mse", "grad"], dynamic_axes=dyn,
                      opset_version=17, dynamo=False)
    torch.onnx.export(G.conv.eval(), (h,), str(out / "decode.onnx"), input_names=["h"],
                      output_names=["image"], dynamic_axes={"h": {0: "b"}}, opset_version=17,
                      dynamo=False)
    arrays, ads = {}, []
    model_scale = model_latent_scale(meta)
    for name, ratio, seed in adapters:
        scale = model_scale if name in SCALED_ADAPTERS else 1.0
        ad = make_adapter(G, name, ratio, None, seed, latent_scale=scale)
        pinv, lip = _solver(ad)
        tag = f"{name}_{ad.input_dim}_{seed}"
        arrays[f"{tag}.W"] = ad.weight.numpy()
        arrays[f"{tag}.b"] = ad.bias.numpy() if ad.bias.numel() else np.zeros(0, np.float32)
        arrays[f"{tag}.pinv"] = pinv.numpy()
        ads.append({"name": name, "ratio": ratio, "seed": seed, "dim": ad.input_dim,
                    "tag": tag, "lipschitz": lip, "head": head_key(ad), "latent_scale": scale})
    keys = E.keys()
    torch.onnx.export(_EncoderHeads(E, keys).eval(), (x,), str(out / "encoder.onnx"),
                      input_names=["x"], output_names=["h", *[f"z{i}" for i in range(len(keys))]],
                      dynamic_axes={"x": {0: "b"}}, opset_version=17, dynamo=False)
    np.savez(out / "adapters.npz", **arrays)
    path = resolve_model(model)
    doc = {"generator_sha256": gid, "file_sha256": file_sha256(path),
           "encoder_sha256": file_sha256(encoder_path_for(path)), "image_size": s,
           "width": c.width, "base_size": c.base_size, "num_pixels": c.num_pixels, "arch": c.arch,
            "adapters": ads, "heads": keys,
           "model": str(meta.get("model") or model)}
    (out / "meta.json").write_text(json.dumps(doc, indent=1) + "\n")
    return out


def main() -> int:
    """``python -m ganz.lite.export``: (re)make the bundle of every committed model that has an
    encoder and no up-to-date bundle (``scripts/setup.sh`` runs it)."""
    from ..core.paths import models_dir

    for weights in sorted(models_dir().glob("*.safetensors")):
        if weights.name.endswith(".encoder.safetensors") or not encoder_path_for(weights).is_file():
            continue
        if stale(weights):
            print(f"lite bundle: {export_bundle(weights)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
