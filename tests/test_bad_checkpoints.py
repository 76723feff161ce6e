"""Unsafe or mismatched generator checkpoints are refused with their problem named; decoding is
bit-exact across processes."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from ganz.core.codec import GanzCodec
from ganz.core.config import ModelConfig, TrainConfig
from ganz.core.errors import GanzError
from ganz.core.fileformat import GanzFile, pack
from ganz.core.models import Generator
from ganz.train.began import Trainer
from ganz.core.zoo import FORMAT, load_generator
from tiny import TINY

from robust import CORPUS, ROOT, assert_one_line_error, cli, make_env, no_visible_warnings


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory)


# --------------------------------------------------------------------------- checkpoints
class Payload:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickled_object_checkpoint_refused(env, tmp_path, capsys):
    marker = tmp_path / "payload_ran"
    evil = tmp_path / "evil.pt"
    torch.save({"generator": Payload(str(marker)), "model_config": TINY.__dict__}, evil)
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(Payload(str(marker))))
    for path in (evil, raw):
        with pytest.raises(GanzError, match="not a loadable weights file"):
            load_generator(path)
        with no_visible_warnings():
            code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", tmp_path / "x.png",
                                "--model", path], capsys)
        assert_one_line_error(code, err)
    assert not marker.exists(), "unsafe unpickling ran the payload"
    # a training checkpoint made of the same is refused on resume too
    (tmp_path / "run").mkdir()
    os.replace(evil, tmp_path / "run" / "latest.pt")
    t = Trainer(ModelConfig(16, 4, 4, 8), TrainConfig(steps=1, batch_size=4, validation_images=0),
                np.zeros((8, 16, 16, 3), np.uint8), tmp_path / "run")
    with pytest.raises(GanzError, match="not a readable checkpoint"), no_visible_warnings():
        t.load()
    assert not marker.exists()


def _state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return {k: v.half().contiguous() for k, v in Generator(TINY).state_dict().items()}


def _meta(cfg: dict | None = None, **extra) -> dict[str, str]:
    import json

    return {"format": FORMAT, "config": json.dumps(cfg or TINY.__dict__), **extra}


def test_unexpected_keys_and_shapes_named(tmp_path, capsys):
    st_ = _state()
    extra = dict(st_, **{"h1.weight": torch.zeros(2, 2, dtype=torch.half)})
    save_file(extra, str(tmp_path / "extra.safetensors"), metadata=_meta())
    with pytest.raises(GanzError, match=r"unexpected \['h1.weight'\]"):
        load_generator(tmp_path / "extra.safetensors")
    missing = {k: v for k, v in st_.items() if k != "h0.weight"}
    save_file(missing, str(tmp_path / "missing.safetensors"), metadata=_meta())
    with pytest.raises(GanzError, match=r"missing \['h0.weight'\]"):
        load_generator(tmp_path / "missing.safetensors")
    shaped = dict(st_, **{"h0.weight": torch.zeros(128, 9, dtype=torch.half)})
    save_file(shaped, str(tmp_path / "shape.safetensors"), metadata=_meta())
    with pytest.raises(GanzError, match=r"h0.weight \(128, 9\) != \(128, 8\)"):
        load_generator(tmp_path / "shape.safetensors")
    torch.save({"generator": extra, "model_config": TINY.__dict__}, tmp_path / "extra.pt")
    with pytest.raises(GanzError, match="h1.weight"):
        load_generator(tmp_path / "extra.pt")
    torch.save({"generator": [1, 2], "model_config": TINY.__dict__}, tmp_path / "list.pt")
    with pytest.raises(GanzError, match="dict of tensors"):
        load_generator(tmp_path / "list.pt")
    code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", tmp_path / "x.png",
                        "--model", tmp_path / "shape.safetensors"], capsys)
    assert_one_line_error(code, err)
    assert "h0.weight" in err


def test_hostile_model_config_allocates_nothing(tmp_path):
    huge = dict(image_size=1 << 16, base_size=1, width=1 << 20, latent_dim=1 << 30)
    save_file(_state(), str(tmp_path / "huge.safetensors"), metadata=_meta(huge))
    t0 = time.perf_counter()
    with pytest.raises(GanzError, match="do not match"):
        load_generator(tmp_path / "huge.safetensors")
    assert time.perf_counter() - t0 < 5
    for bad in ('{"image_size": -1}', "[1, 2]", "not json", '{"image_size": 16, "evil": 1}'):
        save_file(_state(), str(tmp_path / "b.safetensors"), metadata={"format": FORMAT, "config": bad})
        with pytest.raises(GanzError, match="bad model config"):
            load_generator(tmp_path / "b.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(GanzError, match="not a valid safetensors"):
        load_generator(tmp_path / "junk.safetensors")


def test_foreign_metadata_is_kept_as_text(tmp_path):
    save_file(_state(), str(tmp_path / "m.safetensors"), metadata=_meta(note="made elsewhere"))
    G, gid, meta = load_generator(tmp_path / "m.safetensors")
    assert meta["note"] == "made elsewhere" and G.cfg == TINY


def test_files_made_with_older_exports_still_decode(tmp_path):
    """An export from before ``adapter_gain`` existed keeps its id: its .ganz files decode."""
    old_state = {k: v for k, v in _state().items() if k != "adapter_gain"}
    save_file(old_state, str(tmp_path / "old.safetensors"), metadata=_meta())
    from ganz.core.zoo import weights_id

    old_id = weights_id(old_state)  # what the codec of that time wrote into its files
    codec = GanzCodec(tmp_path / "old.safetensors", "cpu")
    assert codec.generator_sha256 == old_id
    z = np.random.default_rng(0).uniform(-1, 1, 77).astype(np.float32)
    img = codec.decompress(pack(GanzFile("random_linear", 16, 16, 5, old_id, z, 32)))
    assert img.shape == (16, 16, 3)


# --------------------------------------------------------------------------- bit-exact decoding
@pytest.mark.slow
def test_decoding_is_bit_exact_across_processes(tmp_path, capsys):
    model, f = CORPUS / "tiny.safetensors", CORPUS / "valid.ganz"
    outs = [tmp_path / f"in{i}.png" for i in range(2)]
    for out in outs:  # twice in a row in this process
        code, _, err = cli(["decompress", f, "-o", out, "--model", model, "--device", "cpu"], capsys)
        assert code == 0, err
    bad = tmp_path / "bad.ganz"
    bad.write_bytes((CORPUS / "bitflip.ganz").read_bytes())
    def args(src, dst):
        return ["decompress", str(src), "-o", str(dst), "--model", str(model), "--device", "cpu"]

    outs += [tmp_path / "proc0.png", tmp_path / "proc1.png"]
    # two fresh interpreters side by side: `python -m ganz decompress`, and one that then also
    # decodes a corrupt file, to see its stderr is exactly one line in a real process
    second = (f"import sys; from ganz.cli import main; assert main({args(f, outs[3])!r}) == 0; "
              f"sys.exit(main({args(bad, tmp_path / 'bad.png')!r}))")
    env_vars = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen(cmd, env=env_vars, cwd=tmp_path, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for cmd in ([sys.executable, "-m", "ganz", *args(f, outs[2])], [sys.executable, "-c", second])]
    (out0, err0), (out1, err1) = (p.communicate(timeout=300) for p in procs)
    assert procs[0].returncode == 0, err0
    assert_one_line_error(procs[1].returncode, err1)
    assert "bad.ganz" in err1 and "checksum" in err1 and not (tmp_path / "bad.png").exists()
    blobs = [o.read_bytes() for o in outs]
    assert all(b == blobs[0] for b in blobs), "decoding differs between runs or processes"


