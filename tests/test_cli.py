"""The ganz command line end to end on images and a tiny generator the tests make."""
import numpy as np
import pytest
from PIL import Image

from ganz.cli import main


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

    from ganz.models import Generator
    from ganz.zoo import export_generator

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
