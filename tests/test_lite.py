"""ganz.lite: the torch-free compress path agrees with the torch one."""
from __future__ import annotations

import numpy as np
import torch

from ganz.core.fast import _loss_grad, lbfgs_batch
from ganz.lite.lbfgs import lbfgs
from tiny import fitting_problem


def test_numpy_lbfgs_follows_the_torch_one():
    G, ad, x, z0 = fitting_problem()

    def loss_grad(z: np.ndarray, rows: np.ndarray):
        f, g = _loss_grad(G, ad, torch.from_numpy(z), x[torch.from_numpy(rows)])
        return f.numpy(), g.numpy()

    for steps in (1, 3, 6):  # step for step while far from convergence
        stats: dict = {}
        zt, ft, _ = lbfgs_batch(G, ad, x, z0, steps, 5, stats=stats)
        zn, fn, evals = lbfgs(loss_grad, z0.numpy(), steps, 5)
        np.testing.assert_allclose(fn, ft.numpy(), rtol=1e-5)
        np.testing.assert_allclose(zn, zt.numpy(), atol=1e-5)
        assert (evals == stats["evals"].numpy()).all()
    # to the end, with the stopping rule: the same minimum (near it, rounding decides how many
    # backtracking passes each takes)
    stats = {}
    zt, ft, _ = lbfgs_batch(G, ad, x, z0, 60, 5, tol_db=0.02, tol_window=10, stats=stats)
    zn, fn, evals = lbfgs(loss_grad, z0.numpy(), 60, 5, tol_db=0.02, tol_window=10)
    np.testing.assert_allclose(fn, ft.numpy(), rtol=1e-3)
    assert np.abs(zn - zt.numpy()).max() < 1e-2 and (np.abs(zn) <= 1).all()
    assert (np.abs(evals - stats["evals"].numpy()) <= 0.3 * stats["evals"].numpy()).all()


import pytest  # noqa: E402

from ganz.lite.lossgrad import LossGrad  # noqa: E402
from tiny import tiny_generator  # noqa: E402


@pytest.mark.parametrize("arch", ["ganz", "original"])
def test_written_out_gradient_is_autograds(arch):
    G = tiny_generator(3, arch=arch, image_size=32).eval().requires_grad_(False)
    g = torch.Generator().manual_seed(0)
    h = torch.randn(2, G.cfg.width, G.cfg.base_size, G.cfg.base_size, generator=g)
    x = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    hr = h.clone().requires_grad_(True)
    want = (G.conv(hr) - x).pow(2).flatten(1).mean(1)
    (want_g,) = torch.autograd.grad(want.sum(), hr)
    with torch.no_grad():
        loss, grad = LossGrad(G.conv)(h, x)
    torch.testing.assert_close(loss, want.detach(), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(grad, want_g, rtol=1e-4, atol=1e-7)


# ----------------------------------------------------------------------------- bundles and the CLI
import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from PIL import Image  # noqa: E402

from ganz.core.codec import GanzCodec  # noqa: E402
from ganz.core.encoder import encoder_path_for, export_encoder  # noqa: E402
from ganz.core.errors import GanzError  # noqa: E402
from ganz.core.fast import FastConfig  # noqa: E402
from ganz.core.metrics import psnr  # noqa: E402
from ganz.core.pixels import uint8_to_model  # noqa: E402
from ganz.core.zoo import export_generator, load_generator  # noqa: E402
from ganz.lite import cli as lite_cli  # noqa: E402
from ganz.core.modelfiles import bundle_for  # noqa: E402
from ganz.lite import compress as lite_compress  # noqa: E402
from ganz.lite.compress import LiteModel, stale  # noqa: E402
from ganz.lite.export import export_bundle  # noqa: E402
from ganz.train.encoder import EncoderTrainConfig, train_encoder  # noqa: E402
from images import make_image  # noqa: E402

pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """A tiny generator with a briefly trained encoder, exported with its lite bundle."""
    torch.set_num_threads(1)
    d = tmp_path_factory.mktemp("lite")
    G = tiny_generator(0).eval().requires_grad_(False)
    E, _ = train_encoder(G, None, EncoderTrainConfig(steps=40, batch_size=16, log_every=40,
                                                     lr=3e-3, channels=8))
    model = d / "tiny.safetensors"
    export_generator(G, model)
    _, gid, _ = load_generator(model)
    export_encoder(E, encoder_path_for(model), gid)
    assert stale(model)
    export_bundle(model)
    assert not stale(model)
    images = d / "img"
    images.mkdir()
    for i in range(2):
        Image.fromarray(make_image(16, seed=i)).save(images / f"face{i}.png")
    return model, sorted(images.glob("*.png"))


@pytest.fixture(scope="module")
def scaled_bundle(bundle, tmp_path_factory):
    """The same generator and encoder, exported with a codec latent scale of 4 in its metadata."""
    import shutil

    model, paths = bundle
    d = tmp_path_factory.mktemp("lite-scaled")
    G, gid, _ = load_generator(model)
    scaled = d / "tiny.safetensors"
    assert export_generator(G, scaled, latent_scale=4.0) == gid  # metadata is not in the id
    shutil.copyfile(encoder_path_for(model), encoder_path_for(scaled))
    export_bundle(scaled)
    return scaled, paths


def test_lite_writes_the_models_latent_scale(scaled_bundle):
    model, paths = scaled_bundle
    x = np.stack([np.asarray(Image.open(p)) for p in paths])
    files, _, _ = LiteModel(bundle_for(model)).compress(x)
    from ganz.core.fileformat import unpack

    assert {unpack(f).scale for f in files} == {4.0}
    codec = GanzCodec(model, "cpu", method="fast")
    torch_files = codec.compress(uint8_to_model(x), cfg=FastConfig())
    assert {unpack(f).scale for f in torch_files} == {4.0}
    for i in range(len(x)):
        a, b = psnr(x[i], codec.decompress(files[i])), psnr(x[i], codec.decompress(torch_files[i]))
        assert abs(a - b) < 0.1, (a, b)
    outs = [model.parent / "a.ganz"]
    assert not lite_cli.compress_lite(_args(model, paths[:1], latent_scale=2.0), outs,
                                      "random_linear")  # another scale: the torch path's
    assert not outs[0].exists()


def test_lite_uses_the_fast_methods_defaults():
    c = FastConfig()
    assert (lite_compress.STEPS, lite_compress.MEMORY, lite_compress.TOL_DB, lite_compress.TOL_WINDOW,
            lite_compress.PROJECT_ITERS) == (c.steps, c.memory, c.tol_db, c.tol_window, c.project_iters)
    assert c.starts == ("head", "project", "zeros") and c.random_starts == 0 and c.refine == 1
    assert c.bound_eps == 0.0 and c.head_scale == 1.0


def test_lite_compress_matches_the_torch_fast_method(bundle):
    model, paths = bundle
    x = np.stack([np.asarray(Image.open(p)) for p in paths])
    files, _, evals = LiteModel(bundle_for(model)).compress(x)
    codec = GanzCodec(model, "cpu", method="fast")
    torch_files = codec.compress(uint8_to_model(x), cfg=FastConfig())
    for i in range(len(x)):
        a, b = psnr(x[i], codec.decompress(files[i])), psnr(x[i], codec.decompress(torch_files[i]))
        assert abs(a - b) < 0.1, (a, b)
    assert (evals > 0).all()


def test_cli_compress_runs_without_torch(bundle, tmp_path):
    model, paths = bundle
    out = tmp_path / "a.ganz"
    code = ("import sys; from ganz.cli import main; "
            f"rc = main(['compress', {str(paths[0])!r}, '-o', {str(out)!r}, '--model', {str(model)!r}, "
            "'--device', 'cpu']); print('torch' in sys.modules); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("False") and "(fast method)" in r.stdout
    img = GanzCodec(model, "cpu").decompress(out.read_bytes())
    assert img.shape == (16, 16, 3)


def _args(weights, images, **kw) -> argparse.Namespace:
    base = dict(images=images, method="auto", fit=False, steps=None, device="cpu",
                model=str(weights), ratio=None, layer_seed=0, bits=32, force=False,
                latent_scale=None)
    return argparse.Namespace(**{**base, **kw})


def test_lite_steps_aside_for_what_it_cannot_do(bundle, tmp_path):
    model, paths = bundle
    assert lite_cli.lite_model(_args(model, paths)) is not None
    for change in (dict(fit=True), dict(steps=5)):  # the lite path does these too
        assert lite_cli.lite_model(_args(model, paths, **change)) is not None, change
    for change in (dict(method="paper"), dict(device="cuda"),
                   dict(model=str(tmp_path / "missing.safetensors"))):
        assert lite_cli.lite_model(_args(model, paths, **change)) is None, change
    big = tmp_path / "big.png"
    Image.fromarray(make_image(32)).save(big)
    out = tmp_path / "o.ganz"
    with pytest.raises(GanzError, match="--fit"):  # wrong size: the torch path's own refusal
        lite_cli.compress_lite(_args(model, [big]), [out], "random_linear")
    assert not lite_cli.compress_lite(_args(model, paths[:1], ratio=20.0), [out], "random_linear")
    assert not out.exists()
    meta = bundle_for(model) / "meta.json"  # a bundle of other weights is never used
    doc = json.loads(meta.read_text())
    meta.write_text(json.dumps({**doc, "file_sha256": "0" * 64}))
    try:
        assert lite_cli.lite_model(_args(model, paths)) is None and stale(model)
    finally:
        meta.write_text(json.dumps(doc))


def _cli(argv: list) -> tuple[int, str, str]:
    """``ganz ARGV`` in a fresh process: (exit code, stdout, stderr); stdout ends with whether
    torch was imported."""
    code = ("import sys; from ganz.cli import main; "
            f"rc = main({[str(a) for a in argv]!r}); print('torch' in sys.modules); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def test_fit_and_steps_take_the_lite_path_and_give_the_precropped_result(bundle, tmp_path):
    """--fit crops first (the one crop, ganz.core.images.fit_image), then the torch-free path
    compresses exactly what it would for the pre-cropped image; --steps applies there too."""
    from ganz.core.images import fit_image

    model, _ = bundle
    wide = tmp_path / "wide.png"  # non-square: the centre square, resized
    Image.fromarray(make_image(40, seed=3)[4:34]).save(wide)  # 40 wide, 30 high
    fitted, how = fit_image(Image.open(wide).convert("RGB"), 16)
    assert how.rule == "center-square" and how.box == (5, 0, 35, 30)
    pre = tmp_path / "pre.png"
    fitted.save(pre)
    code, out, err = _cli(["compress", wide, "-o", tmp_path / "fit.ganz", "--fit", "--model", model,
                           "--device", "cpu", "--steps", 7])
    assert code == 0, err
    assert out.strip().endswith("False"), "torch was imported: the lite path did not run"
    assert "centre square 30×30" in err and "resized to 16×16" in err
    code, out2, err = _cli(["compress", pre, "-o", tmp_path / "pre.ganz", "--model", model,
                            "--device", "cpu", "--steps", 7, "-q"])
    assert code == 0 and err == "", err
    assert (tmp_path / "fit.ganz").read_bytes() == (tmp_path / "pre.ganz").read_bytes()
    assert out.split("PSNR")[1] == out2.split("PSNR")[1]  # the same PSNR reported
    # and the torch path, given the same pixels and steps, reaches the same quality
    codec = GanzCodec(model, "cpu", method="fast")
    x = np.array(fitted)[None]
    (torch_file,) = codec.compress(uint8_to_model(x), cfg=FastConfig(steps=7))
    a = psnr(x[0], codec.decompress((tmp_path / "fit.ganz").read_bytes()))
    assert abs(a - psnr(x[0], codec.decompress(torch_file))) < 0.1


def test_lite_path_refuses_bad_input_in_one_line(bundle, tmp_path):
    model, _ = bundle
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    code, out, err = _cli(["compress", bad, "-o", tmp_path / "b.ganz", "--fit", "--model", model,
                           "--device", "cpu"])
    assert code == 2 and err.count("\n") == 1 and "not a readable image" in err, err
    assert not (tmp_path / "b.ganz").exists()
