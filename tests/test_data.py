import numpy as np
import pytest
from PIL import Image

from ganz.core.data import celeba_dir, celeba_split, load_any, load_face, open_image
from ganz.core.errors import GanzError


def fake_celeba(folder, n, wh):
    folder.mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", wh, (i, 100, 200)).save(folder / f"{i + 1:06d}.jpg")
    return folder


def test_layouts_and_split(tmp_path, monkeypatch):
    half = fake_celeba(tmp_path / "a" / "celeba", 40, (89, 109))
    monkeypatch.setenv("GANZ_DATA", str(tmp_path / "a"))
    assert celeba_dir() == half
    assert load_face(half / "000001.jpg", 64).size == (64, 64)
    assert load_face(half / "000001.jpg", 32).size == (32, 32)
    train, test = celeba_split(half, "train"), celeba_split(half, "test")
    assert len(train) == 38 and len(test) == 2 and test[-1].name == "000040.jpg"
    assert len(celeba_split(half, "train", 5)) == 33 and len(celeba_split(half, "validation", 5)) == 5
    official = fake_celeba(tmp_path / "b" / "img_align_celeba", 2, (178, 218))
    assert celeba_dir(tmp_path / "b") == official
    assert load_face(official / "000001.jpg", 128).size == (128, 128)


def test_missing_data_message(tmp_path, monkeypatch):
    monkeypatch.setenv("GANZ_DATA", str(tmp_path / "nothing"))
    with pytest.raises(GanzError, match="GANZ_DATA"):
        celeba_dir()


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "CMYK", "I;16"])
def test_odd_modes_become_rgb(tmp_path, mode):
    p = tmp_path / f"x.{'tif' if mode in ('CMYK', 'I;16') else 'png'}"
    Image.new(mode, (20, 10)).save(p)
    im = open_image(p)
    assert im.mode == "RGB" and im.size == (20, 10)
    assert load_any(p, 8).size == (8, 8)


def test_bad_files(tmp_path):
    t = tmp_path / "notes.txt"
    t.write_text("hello")
    with pytest.raises(GanzError, match="not a readable image"):
        open_image(t)
    png = tmp_path / "cut.png"
    Image.fromarray(np.zeros((30, 30, 3), np.uint8) + 77).save(png)
    png.write_bytes(png.read_bytes()[:40])
    with pytest.raises(GanzError):
        open_image(png)
    with pytest.raises(GanzError, match="no such file"):
        open_image(tmp_path / "missing.png")
