"""Golden files that pin the codec: ``python tests/golden.py`` (re)writes ``tests/expected/``.

- ``expected/golden/*.ganz``: fixed latents (seeded, with exact ±1 and 0 entries) packed for the
  committed ``cpu-small-d64`` generator, for every adapter, several storages and both format
  versions; and ``entropy_*``: codes drawn from the shipped prior of ``celeba64-d64``,
  entropy-coded with it (flag bit 4); ``encode.json`` holds each file's spec and the SHA-256 of
  its bytes.
- ``decode.json`` / ``decode.npz``: the SHA-256 (and, for diagnosis, the values) of the pixels each
  golden file decodes to with ``cpu-small-d64``, and each corpus file that decodes
  (``tests/corpus/*.ganz``) with the corpus's ``tiny.safetensors``.
- ``info_golden.txt``, ``info_corpus.txt``, ``errors.json``: what ``ganz info`` prints and what CLI errors say
  (``python tests/golden.py --cli`` writes them too, with ``test_golden.write_cli_expectations``).

Regenerate only when a change of the decoder or of a message is intended, and say why in the
commit: every ``.ganz`` file ever written decodes through the code these files pin.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent
EXPECTED = TESTS / "expected"
GOLDEN = EXPECTED / "golden"
CORPUS = TESTS / "corpus"
MODEL = "cpu-small-d64"  # the committed generator the golden files are made for

# name -> (adapter, d_c or None (the adapter's own), layer seed, bits, format version, rng seed)
CASES: dict[str, tuple[str, int | None, int, int, int, int]] = {
    "random_r10_f32": ("random_linear", 307, 0, 32, 2, 0),
    "random_r10_f16": ("random_linear", 307, 0, 16, 2, 0),
    "random_r10_q8": ("random_linear", 307, 0, 8, 2, 0),
    "random_r10_q1": ("random_linear", 307, 0, 1, 2, 0),
    "random_r10_v1": ("random_linear", 307, 0, 32, 1, 0),
    "random_r10_seed7": ("random_linear", 307, 7, 32, 2, 1),
    "random_r40_q12": ("random_linear", 77, 0, 12, 2, 2),
    "random_r40_zlib": ("random_linear", 77, 3, 32, 2, -1),  # few distinct values: deflated
    "keep_f32": ("keep_linear", None, 0, 32, 2, 3),
    "keep_q6_v2": ("keep_linear", None, 0, 6, 2, 4),
    "keep_f16_v1": ("keep_linear", None, 0, 16, 1, 4),
    "square_f16": ("square_linear", None, 3, 16, 2, 5),
    "no_linear_q8": ("no_linear", None, 0, 8, 2, 6),
    "random_r10_q8_scale6": ("random_linear", 307, 0, 8, 2, 7),
}
SCALES = {"random_r10_q8_scale6": 6.0}  # the latent scale of a case (others: 1, no scale field)

#: entropy-coded files (flag bit 4) of the default model with its shipped prior
#: (``ganz/zoo/celeba64-d64.prior.json``): name -> (d_c, bits, latent scale, rng seed); the codes
#: are drawn from the prior's own table, so the entropy-coded form is the shortest
ENTROPY_MODEL = "celeba64-d64"
ENTROPY_CASES: dict[str, tuple[int, int, float, int]] = {
    "entropy_d120_q4": (120, 4, 3.0, 10),
    "entropy_d200_q5": (200, 5, 1.5, 11),
    "entropy_d300_q3": (300, 3, 0.75, 12),
    "entropy_d400_q6": (400, 6, 2.25, 13),
    "entropy_d1229_q8": (1229, 8, 16.0, 14),
}


def entropy_latent(codec, name: str) -> np.ndarray:
    """The fixed latent of entropy case ``name``: codes drawn (seeded) from the prior's table."""
    from ganz.core.fileformat import dequantize

    d, bits, _, rng_seed = ENTROPY_CASES[name]
    table = codec.prior.table("random_linear", d, bits)
    p = table.freqs / table.freqs.sum()
    return dequantize(np.random.default_rng(rng_seed).choice(len(p), size=d, p=p), bits)


def encode_entropy_case(name: str, codec, prior=None) -> bytes:
    """The bytes of entropy case ``name`` for ``codec`` (a ``GanzCodec`` of ``ENTROPY_MODEL``),
    entropy-coded with ``prior`` (default: the codec's)."""
    from ganz.core.fileformat import GanzFile, pack

    d, bits, scale, _ = ENTROPY_CASES[name]
    s = codec.cfg.image_size
    f = GanzFile("random_linear", s, s, 0, codec.generator_sha256, entropy_latent(codec, name),
                 bits, scale=scale)
    return pack(f, prior=codec.prior if prior is None else prior)


def golden_latent(d: int, rng_seed: int) -> np.ndarray:
    """A fixed latent of length d: seeded uniform values, the first three exactly 1, −1, 0
    (rng_seed −1: multiples of ½ only, so the v2 payload deflates)."""
    if rng_seed < 0:
        z = np.round(np.random.default_rng(0).uniform(-1, 1, d) * 2) / 2
    else:
        z = np.random.default_rng(rng_seed).uniform(-1, 1, d)
    z[:3] = [1.0, -1.0, 0.0]
    return z.astype(np.float32)


def encode_case(name: str, codec) -> bytes:
    """The bytes of golden case ``name`` for ``codec`` (a ``GanzCodec`` of ``MODEL``)."""
    from ganz.core.fileformat import GanzFile, pack

    adapter, d, seed, bits, version, rng_seed = CASES[name]
    if d is None:
        d = {"keep_linear": codec.cfg.latent_dim}.get(adapter, codec.cfg.conv_input_dim)
    s = codec.cfg.image_size
    f = GanzFile(adapter, s, s, seed, codec.generator_sha256, golden_latent(d, rng_seed), bits,
                 scale=SCALES.get(name, 1.0))
    return pack(f, version=version)


def prior_file_sha256() -> str:
    """SHA-256 of the shipped prior the entropy cases are coded with."""
    from ganz.core.entropy import prior_path
    from ganz.core.modelfiles import resolve_model

    return hashlib.sha256(prior_path(resolve_model(ENTROPY_MODEL)).read_bytes()).hexdigest()


def pixel_hash(img: np.ndarray) -> str:
    img = np.ascontiguousarray(img, dtype=np.uint8)
    return hashlib.sha256(f"{img.shape}|".encode() + img.tobytes()).hexdigest()


def corpus_decodable(codec) -> list[str]:
    """Names of the corpus files that ``codec`` (the corpus's tiny model) decodes."""
    from ganz.core.errors import GanzError

    names = []
    for p in sorted(CORPUS.glob("*.ganz")):
        try:
            codec.decompress(p.read_bytes())
        except GanzError:
            continue
        names.append(p.name)
    return names


def decode_all(model_codec, tiny_codec, entropy_codec=None) -> dict[str, np.ndarray]:
    """``golden/<case>.ganz`` and ``corpus/<name>`` -> the decoded pixels."""
    out = {f"golden/{n}.ganz": model_codec.decompress((GOLDEN / f"{n}.ganz").read_bytes())
           for n in CASES}
    if entropy_codec is not None:
        out.update({f"golden/{n}.ganz": entropy_codec.decompress((GOLDEN / f"{n}.ganz").read_bytes())
                    for n in ENTROPY_CASES})
    out.update({f"corpus/{n}": tiny_codec.decompress((CORPUS / n).read_bytes())
                for n in corpus_decodable(tiny_codec)})
    return out


def codecs():
    import torch

    from ganz.core.codec import GanzCodec

    torch.set_num_threads(1)
    return (GanzCodec(MODEL, "cpu", method="paper"),
            GanzCodec(CORPUS / "tiny.safetensors", "cpu", method="paper"),
            GanzCodec(ENTROPY_MODEL, "cpu", method="paper"))


def main() -> None:
    from ganz.core.atomic import atomic_write, write_npz

    model_codec, tiny_codec, entropy_codec = codecs()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    encode = {}
    for name, spec in CASES.items():
        data = encode_case(name, model_codec)
        atomic_write(GOLDEN / f"{name}.ganz", data)
        encode[name] = {"spec": dict(zip(("adapter", "d_c", "layer_seed", "bits", "version",
                                          "rng_seed"), spec)),
                        "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    for name, spec in ENTROPY_CASES.items():
        data = encode_entropy_case(name, entropy_codec)
        assert data[3] & 16, f"{name} is not entropy-coded"
        atomic_write(GOLDEN / f"{name}.ganz", data)
        encode[name] = {"spec": dict(zip(("d_c", "bits", "scale", "rng_seed"), spec),
                                     model=ENTROPY_MODEL, coding="entropy"),
                        "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    decoded = decode_all(model_codec, tiny_codec, entropy_codec)
    decode = {k: {"shape": list(v.shape), "sha256": pixel_hash(v)} for k, v in decoded.items()}
    meta = {"model": MODEL, "generator_sha256": model_codec.generator_sha256,
            "tiny_sha256": tiny_codec.generator_sha256,
            "entropy_model": ENTROPY_MODEL, "entropy_sha256": entropy_codec.generator_sha256,
            "prior_sha256": prior_file_sha256()}
    atomic_write(EXPECTED / "encode.json", (json.dumps({"meta": meta, "files": encode}, indent=1)
                                            + "\n").encode())
    atomic_write(EXPECTED / "decode.json", (json.dumps({"meta": meta, "pixels": decode}, indent=1)
                                            + "\n").encode())
    write_npz(EXPECTED / "decode.npz", **{k.replace("/", "__"): v for k, v in decoded.items()})
    if "--cli" in sys.argv:
        from test_golden import write_cli_expectations

        write_cli_expectations()
    print(f"wrote {len(encode)} golden files and {len(decode)} decode hashes to {EXPECTED}")


if __name__ == "__main__":
    sys.path.insert(0, str(TESTS.parent))
    sys.path.insert(0, str(TESTS))
    main()
