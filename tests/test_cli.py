"""The ganz command line end to end on images and a tiny generator the tests make."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganz.cli import main
from ganz.core.errors import GanzError


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_compress_decompress_eval(tiny_model, image_file, tmp_path, capsys):
    _, model = tiny_model
    img = image_file(16)
    f = tmp_path / "f.ganz"
    code, out, err = run(["compress", img, "-o", f, "--ratio", 10, "--steps", 30, "--model", model,
                          "-q", "--device", "cpu"], capsys)
    assert code == 0, err
    assert 100 < f.stat().st_size <= 13 + 4 * round(768 / 10) + 4
    assert "bytes" in out and "PSNR" in out
    r = tmp_path / "r.png"
    code, _, err = run(["decompress", f, "-o", r, "--model", model], capsys)
    assert code == 0, err
    rec = np.asarray(Image.open(r))
    assert rec.shape == (16, 16, 3)
    code, out, err = run(["eval", img, "--files", f, "--model", model], capsys)
    assert code == 0, err
    assert "psnr" in out and "ssim" in out and "wavelet_paper_text" in out
    # decoding is bit-exact run to run
    r2 = tmp_path / "r2.png"
    run(["decompress", f, "-o", r2, "--model", model], capsys)
    assert np.array_equal(rec, np.asarray(Image.open(r2)))


def test_several_images_to_folder(tiny_model, image_file, tmp_path, capsys):
    _, model = tiny_model
    imgs = [image_file(16, i, f"im{i}.png") for i in range(3)]
    out = tmp_path / "out"
    out.mkdir()
    code, _, err = run(["compress", *imgs, "-o", out, "--adapter", "no_linear", "--steps", 5,
                        "--model", model, "-q"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["im0.ganz", "im1.ganz", "im2.ganz"]


def one_line_error(code, err):
    assert code != 0
    assert err.strip().count("\n") == 0 and "Traceback" not in err and "error" in err


def test_errors_are_one_line(tiny_model, image_file, tmp_path, capsys):
    _, model = tiny_model
    img = image_file(16)
    f = tmp_path / "f.ganz"
    assert run(["compress", img, "-o", f, "--steps", 3, "--model", model, "-q"], capsys)[0] == 0
    data = f.read_bytes()
    cases = {"trunc.ganz": data[:-7], "flip.ganz": data[:40] + bytes([data[40] ^ 4]) + data[41:],
             "empty.ganz": b""}
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
        out = tmp_path / f"{name}.png"
        code, _, err = run(["decompress", tmp_path / name, "-o", out, "--model", model], capsys)
        one_line_error(code, err)
        assert not out.exists()
    txt = tmp_path / "notes.txt"
    txt.write_text("not an image")
    code, _, err = run(["compress", txt, "-o", tmp_path / "t.ganz", "--model", model], capsys)
    one_line_error(code, err)
    assert not (tmp_path / "t.ganz").exists()
    code, _, err = run(["compress", img, "-o", tmp_path / "m.ganz", "--model", tmp_path / "nope.safetensors"], capsys)
    one_line_error(code, err)
    big = image_file(32, name="big.png")
    code, _, err = run(["compress", big, "-o", tmp_path / "b.ganz", "--model", model], capsys)
    one_line_error(code, err)
    assert "--fit" in err
    code, _, err = run(["compress", big, "-o", tmp_path / "b.ganz", "--model", model, "--fit",
                        "--steps", 2, "-q"], capsys)
    assert code == 0, err


def test_wrong_generator_refused(tiny_model, image_file, tmp_path, capsys):
    import torch

    from ganz.core.models import Generator
    from ganz.core.zoo import export_generator

    G, model = tiny_model
    torch.manual_seed(1)
    other = tmp_path / "other.safetensors"
    export_generator(Generator(G.cfg), other)
    f = tmp_path / "f.ganz"
    run(["compress", image_file(16), "-o", f, "--steps", 2, "--model", model, "-q"], capsys)
    code, _, err = run(["decompress", f, "-o", tmp_path / "x.png", "--model", other], capsys)
    one_line_error(code, err)
    assert "generator" in err


def test_bad_parameters_exit_nonzero(capsys):
    with pytest.raises(SystemExit) as e:
        main(["compress", "x.png", "-o", "y", "--ratio", "-3"])
    assert e.value.code != 0


def test_quantized_file_is_smaller_and_decodes(tiny_model, image_file, tmp_path, capsys):
    _, model = tiny_model
    img = image_file(16)
    sizes = {}
    for bits in (32, 8, 4):
        f = tmp_path / f"q{bits}.ganz"
        code, out, err = run(["compress", img, "-o", f, "--ratio", 10, "--steps", 20, "--bits", bits,
                              "--model", model, "-q"], capsys)
        assert code == 0, err
        sizes[bits] = f.stat().st_size
        assert run(["decompress", f, "-o", tmp_path / f"q{bits}.png", "--model", model], capsys)[0] == 0
    assert sizes[4] < sizes[8] < sizes[32] / 2


# --------------------------------------------------------------------------- never destroy a file
def snapshot(folder):
    """Every file under ``folder`` (links followed): path -> bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(argv, folder, capsys, *words):
    """The command fails with one stderr line containing ``words`` and changes no file."""
    before = snapshot(folder)
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "", (code, out, err)
    assert err.count("\n") == 1 and err.startswith("ganz ") and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    assert snapshot(folder) == before, "a file was changed, created or removed"
    return err


@pytest.fixture
def ganz_file(tiny_model, tmp_path):
    """A valid .ganz file for the tiny model (a fixed latent, no optimization)."""
    from ganz.core.codec import GanzCodec

    codec = GanzCodec(tiny_model[1], "cpu")
    z = np.random.default_rng(0).uniform(-1, 1, 77).astype(np.float32)
    f = tmp_path / "f.ganz"
    f.write_bytes(codec.to_file(z, codec.adapter("random_linear", dim=77)))
    return f


def test_output_that_is_an_input_is_refused_even_with_force(tiny_model, image_file, ganz_file,
                                                              tmp_path, capsys):
    _, model = tiny_model
    img = image_file(16)
    m = ["--model", model, "--device", "cpu"]
    for force in ([], ["-f"]):
        refused(["compress", img, "-o", img, *force, *m], tmp_path, capsys, "is an input")
        refused(["decompress", ganz_file, "-o", ganz_file, *force, *m], tmp_path, capsys, "is an input")
        refused(["compress", img, "-o", model, *force, *m], tmp_path, capsys, "is an input")
    (tmp_path / "link.ganz").symlink_to(img)  # the same file through a symbolic link
    os.link(img, tmp_path / "hard.ganz")  # ... and through a hard link (same inode)
    os.link(ganz_file, tmp_path / "hard.png")
    for out in ("link.ganz", "hard.ganz"):
        refused(["compress", img, "-o", tmp_path / out, "-f", *m], tmp_path, capsys, "is an input")
    refused(["decompress", ganz_file, "-o", tmp_path / "hard.png", "-f", *m], tmp_path, capsys,
            "is an input")
    # several inputs into a folder: the output of one is another input
    sub = tmp_path / "sub"
    sub.mkdir()
    other = sub / "g.ganz"
    other.write_bytes(ganz_file.read_bytes())
    (sub / "g.png").write_bytes(ganz_file.read_bytes())  # a .ganz file named like g's output
    refused(["decompress", ganz_file, sub / "g.png", "-o", sub, "-f", *m], tmp_path, capsys)


def test_existing_outputs_need_force(tiny_model, image_file, ganz_file, tmp_path, capsys):
    _, model = tiny_model
    m = ["--model", model, "--device", "cpu"]
    keep = tmp_path / "keep.png"
    keep.write_bytes(b"a picture the user keeps")
    backup = tmp_path / "backup.png"
    os.link(keep, backup)  # another name for the old contents: replaced, not truncated
    err = refused(["decompress", ganz_file, "-o", keep, *m], tmp_path, capsys, "keep.png", "--force")
    assert "already exists" in err
    code, _, err = run(["decompress", ganz_file, "-o", keep, "-f", *m], capsys)
    assert code == 0, err
    assert np.asarray(Image.open(keep)).shape == (16, 16, 3) and keep.read_bytes()[:4] == b"\x89PNG"
    assert backup.read_bytes() == b"a picture the user keeps"  # a new file was renamed over it
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp
    # several outputs: all are checked before any is written
    imgs = [image_file(16, i, f"im{i}.png") for i in range(3)]
    out = tmp_path / "out"
    out.mkdir()
    (out / "im2.ganz").write_bytes(b"kept")
    refused(["compress", *imgs, "-o", out, "--steps", 2, "-q", *m], tmp_path, capsys, "im2.ganz")
    code, _, err = run(["compress", *imgs, "-o", out, "--steps", 2, "-q", "--force", *m], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["im0.ganz", "im1.ganz", "im2.ganz"]
    assert (out / "im2.ganz").read_bytes()[:2] == b"GZ"
    csv = tmp_path / "t.csv"
    csv.write_text("kept\n")
    refused(["eval", imgs[0], "--files", out / "im0.ganz", "--csv", csv, *m], tmp_path, capsys,
            "t.csv", "--force")


def test_output_formats(tiny_model, image_file, ganz_file, tmp_path, capsys):
    _, model = tiny_model
    m = ["--model", model, "--device", "cpu"]
    for name in ("o.jpg", "o.jpeg", "o.webp", "o.JPG"):
        refused(["decompress", ganz_file, "-o", tmp_path / name, *m], tmp_path, capsys,
                "lossy", "--lossy-quality")
    for name in ("o.txt", "o", "o.ganz"):
        refused(["decompress", ganz_file, "-o", tmp_path / name, *m], tmp_path, capsys,
                "unknown image extension")
    refused(["decompress", ganz_file, "-o", tmp_path / "o.png", "--lossy-quality", 90, *m], tmp_path,
            capsys, "--lossy-quality")
    refused(["compress", image_file(16), "-o", tmp_path / "o.png", *m], tmp_path, capsys,
            "must end in .ganz")
    magic = {"o.png": b"\x89PNG", "o.bmp": b"BM", "o.tif": b"II*\0", "o.ppm": b"P6",
             "o.jpg": b"\xff\xd8\xff", "o.webp": b"RIFF"}
    ref = None
    for name, head in magic.items():
        q = ["--lossy-quality", 95] if name in ("o.jpg", "o.webp") else []
        code, _, err = run(["decompress", ganz_file, "-o", tmp_path / name, *q, *m], capsys)
        assert code == 0, err
        assert (tmp_path / name).read_bytes().startswith(head), name
        img = np.asarray(Image.open(tmp_path / name).convert("RGB"))
        ref = img if ref is None else ref
        if not q:  # lossless formats: the same pixels
            assert np.array_equal(img, ref), name
    # several files into a folder: PNG
    out = tmp_path / "out"
    out.mkdir()
    g = tmp_path / "g.ganz"
    g.write_bytes(ganz_file.read_bytes())
    code, _, err = run(["decompress", ganz_file, g, "-o", out, *m], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["f.png", "g.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in out.iterdir())


def test_precise_input_and_folder_messages(tiny_model, image_file, ganz_file, tmp_path, capsys,
                                           monkeypatch):
    _, model = tiny_model
    m = ["--model", model, "--device", "cpu"]
    img = image_file(16)
    folder = tmp_path / "photos"
    folder.mkdir()
    refused(["compress", folder, "-o", tmp_path / "x.ganz", *m], tmp_path, capsys, "is a folder")
    refused(["decompress", folder, "-o", tmp_path / "x.png", *m], tmp_path, capsys, "is a folder")
    refused(["info", folder], tmp_path, capsys, "is a folder")
    refused(["compress", tmp_path / "nope.png", "-o", tmp_path / "x.ganz", *m], tmp_path, capsys,
            "no such file")
    refused(["compress", img, "-o", tmp_path / "nodir" / "x.ganz", *m], tmp_path, capsys,
            "output folder", "does not exist")
    refused(["decompress", ganz_file, "-o", tmp_path / "nodir" / "x.png", *m], tmp_path, capsys,
            "output folder", "does not exist")
    refused(["compress", img, image_file(16, 1, "b.png"), "-o", tmp_path / "newdir", *m], tmp_path,
            capsys, "output folder", "does not exist")
    locked = tmp_path / "locked.png"
    locked.write_bytes(Path(img).read_bytes())
    locked.chmod(0)
    if os.access(locked, os.R_OK):  # running as root: the permission is not enforced
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked and real(p, mode))
    refused(["compress", locked, "-o", tmp_path / "x.ganz", *m], tmp_path, capsys, "cannot read")
    locked.chmod(0o644)


# --------------------------------------------------------------------------- two seeds, ganz info
def test_layer_seed_is_stored_and_seed_is_not(tiny_model, image_file, tmp_path, capsys):
    from ganz.core.fileformat import unpack

    _, model = tiny_model
    img = image_file(16)
    base = ["compress", img, "--steps", 20, "--method", "paper", "--model", model, "-q", "--device", "cpu"]
    files = {}
    for name, extra in (("s1", ["--seed", 1]), ("s2", ["--seed", 2]), ("l7", ["--layer-seed", 7])):
        f = tmp_path / f"{name}.ganz"
        code, _, err = run([*base, "-o", f, *extra], capsys)
        assert code == 0, err
        files[name] = unpack(f.read_bytes())
    assert files["s1"].seed == files["s2"].seed == 0 and files["l7"].seed == 7
    assert not np.array_equal(files["s1"].z, files["s2"].z)  # the optimizer's start did change
    code, out, err = run(["info", tmp_path / "l7.ganz", "--model", model], capsys)
    assert code == 0, err
    assert "layer seed      7" in out and "tiny.safetensors" in out
    code, _, err = run(["decompress", tmp_path / "l7.ganz", "-o", tmp_path / "l7.png", "--model", model],
                       capsys)
    assert code == 0, err


def test_codec_api_separates_the_seeds(tiny_model):
    from images import make_image

    from ganz.core.codec import GanzCodec
    from ganz.core.config import InvertConfig
    from ganz.core.pixels import to_model
    from ganz.core.fileformat import unpack

    codec = GanzCodec(tiny_model[1], "cpu", method="paper")
    x = to_model(Image.fromarray(make_image(16)))
    cfg = InvertConfig(steps=5)
    a, b = (unpack(codec.compress(x, layer_seed=5, seed=s, cfg=cfg)[0]) for s in (1, 2))
    assert a.seed == b.seed == 5 and not np.array_equal(a.z, b.z)
    c = unpack(codec.compress(x, layer_seed=5, cfg=cfg)[0])  # seed None: cfg.seed (0)
    d = unpack(codec.compress(x, layer_seed=5, seed=0, cfg=cfg)[0])
    assert np.array_equal(c.z, d.z)
    with pytest.raises(GanzError, match="layer seed"):
        codec.adapter("random_linear", 10.0, layer_seed=-1)


# --------------------------------------------------------------------------- start-up cost
HEAVY = ("pandas", "matplotlib", "skimage", "scipy", "sklearn", "imagecodecs", "pywt", "seaborn",
         "ganz.baselines.imagecodecs", "ganz.baselines.wavelet", "ganz.study.experiments",
         "ganz.study.figures", "ganz.study.jobs", "ganz.report.plots", "ganz.study.bench",
         "ganz.report.paper", "ganz.study.evaluate", "ganz.study.ratedistortion", "ganz.train.began",
         "ganz.train.publish")
PROBE = """import sys
from ganz.cli import main
try:
    rc = main(sys.argv[1:])
except SystemExit as e:
    rc = e.code
heavy = {heavy!r}
print("LOADED", sorted(m for m in sys.modules if m in heavy or m.split(".")[0] in heavy))
print("TORCH", "torch" in sys.modules)
sys.exit(rc)
"""


@pytest.mark.slow
def test_startup_imports_stay_lean(tiny_model, image_file, tmp_path):
    """`--help` and a 1-image compress import no plotting, tables or baselines
    (`--help` not even torch): measured with `python -X importtime`, see the issue's note."""
    import subprocess
    import sys

    _, model = tiny_model
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    runs = {"help": ["compress", "--help"],
            "compress": ["compress", image_file(16), "-o", tmp_path / "c.ganz", "--steps", 2,
                         "--model", model, "-q", "--device", "cpu"]}
    for name, argv in runs.items():
        p = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *map(str, argv)],
                           env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        assert "LOADED []" in p.stdout, f"{name} imports {p.stdout}"
        if name == "help":
            assert "TORCH False" in p.stdout


# --------------------------------------------------------------------------- the codec as users run it
def _psnr_of(out: str) -> float:
    """The PSNR `ganz compress` printed (`... PSNR 23.45 dB (...)`)."""
    return float(out.split("PSNR ")[1].split(" dB")[0])


@pytest.mark.parametrize("hw,rule", [((109, 89), "CelebA face box 64×64 at (left 13, top 25)"),
                                     ((20, 36), "centre square 20×20 at (left 8, top 0)")])
def test_eval_crops_as_compress_fit_did(tiny_model, tmp_path, capsys, hw, rule):
    """A non-square original (a CelebA-sized one, and any other): eval compares the file with the
    same crop compress --fit made, says so, and gets the PSNR compress reported."""
    from images import make_image as scene

    _, model = tiny_model
    h, w = hw
    src = tmp_path / "photo.png"
    Image.fromarray(scene(max(h, w), seed=5)[:h, :w]).save(src)
    f = tmp_path / "p.ganz"
    code, out, err = run(["compress", src, "-o", f, "--fit", "--steps", 20, "--model", model,
                          "--device", "cpu"], capsys)
    assert code == 0, err
    assert rule in err and "resized to 16×16" in err
    reported = _psnr_of(out)
    code, out, err = run(["eval", src, "--files", f, "--model", model], capsys)
    assert code == 0, err
    row = [ln.split() for ln in out.splitlines() if " ganz " in f" {ln} "][0]
    header = out.splitlines()[0].split()
    assert abs(float(row[header.index("psnr")]) - reported) <= 0.01, (out, reported)
    assert f"compared {src} ({w}×{h} -> {rule}" in err and "with " + str(f) in err


def test_fit_rule_is_one_function():
    from ganz.core.images import fit_image

    def im(w, h):
        return Image.new("RGB", (w, h), (10, 20, 30))

    assert fit_image(im(64, 64), 64)[1].rule == "none"
    out, how = fit_image(im(89, 109), 64)
    assert out.size == (64, 64) and how.rule == "celeba-face" and how.box == (13, 25, 77, 89)
    out, how = fit_image(im(178, 218), 64)
    assert out.size == (64, 64) and how.box == (26, 51, 154, 179)
    out, how = fit_image(im(90, 109), 64)
    assert how.rule == "center-square" and how.box == (0, 9, 90, 99) and out.size == (64, 64)
    out, how = fit_image(im(32, 32), 64)  # square of another size: resized only
    assert how.rule == "center-square" and how.box == (0, 0, 32, 32) and out.size == (64, 64)


def test_decompress_finds_the_committed_model_by_the_files_id(image_file, tmp_path, capsys):
    """A file made with --model cpu-small-d64 decodes without the flag; eval too."""
    from ganz.core.modelfiles import available_models

    if "cpu-small-d64" not in available_models():
        pytest.skip("cpu-small-d64 is not committed here")
    img = image_file(32)
    f = tmp_path / "s.ganz"
    code, _, err = run(["compress", img, "-o", f, "--model", "cpu-small-d64", "--steps", 2,
                        "--method", "paper", "--device", "cpu", "-q"], capsys)
    assert code == 0, err
    code, out, err = run(["decompress", f, "-o", tmp_path / "s.png"], capsys)
    assert code == 0, err
    assert np.asarray(Image.open(tmp_path / "s.png")).shape == (32, 32, 3)
    code, out, err = run(["eval", img, "--files", f], capsys)
    assert code == 0 and "decoded by cpu-small-d64" in err, err


def test_decompress_of_an_uncommitted_model_says_so(tiny_model, image_file, tmp_path, capsys):
    _, model = tiny_model
    f = tmp_path / "t.ganz"
    assert run(["compress", image_file(16), "-o", f, "--steps", 2, "--model", model, "-q"],
               capsys)[0] == 0
    code, out, err = run(["decompress", f, "-o", tmp_path / "t.png"], capsys)
    one_line_error(code, err)
    assert "matches no committed model" in err and "--model" in err and out == ""
    assert not (tmp_path / "t.png").exists()


def test_compress_stdout_is_one_line_per_image_with_progress_on(tiny_model, image_file, tmp_path,
                                                                 capsys):
    """Progress and crop notes go to stderr; stdout keeps its one result line per image."""
    _, model = tiny_model
    imgs = [image_file(24, i, f"im{i}.png") for i in range(2)]
    out_dir = tmp_path / "o"
    out_dir.mkdir()
    code, out, err = run(["compress", *imgs, "-o", out_dir, "--fit", "--steps", 3, "--model", model,
                          "--device", "cpu"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2 and all(" -> " in ln and "PSNR" in ln for ln in lines)
