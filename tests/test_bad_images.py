"""Odd and broken images given to ``ganz compress``: every mode and size converts faithfully or
is refused with one line, before anything huge is decoded."""
from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganz.core.data import open_image
from ganz.core.errors import GanzError
from ganz.core.fileformat import unpack

from robust import assert_one_line_error, cli, make_env, no_visible_warnings


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory)


# --------------------------------------------------------------------------- images
def odd_image(kind: str, folder: Path) -> Path:
    rng = np.random.default_rng(1)
    rgb = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
    p = folder / {"cmyk_jpeg": "im.jpg", "cmyk_tiff": "im.tif", "tiff_deflate": "im.tif"}.get(kind, "im.png")
    if kind == "gray":
        Image.fromarray(rgb[..., 0]).save(p)
    elif kind == "rgba":
        Image.fromarray(np.dstack([rgb, rng.integers(0, 256, (16, 16), dtype=np.uint8)])).save(p)
    elif kind == "la":
        Image.fromarray(rgb[..., 0]).convert("LA").save(p)
    elif kind == "16bit":
        Image.fromarray((rng.random((16, 16)) * 65535).astype(np.uint16)).save(p)
    elif kind == "palette":
        Image.fromarray(rgb).convert("P").save(p)
    elif kind == "palette_transparent":
        Image.fromarray(rgb).convert("P").save(p, transparency=0)
    elif kind == "bilevel":
        Image.fromarray(rgb[..., 0]).convert("1").save(p)
    elif kind in ("cmyk_jpeg", "cmyk_tiff"):
        Image.fromarray(rgb).convert("CMYK").save(p)
    elif kind == "tiff_deflate":
        Image.fromarray(rgb).save(p, compression="tiff_deflate")
    return p


ODD = ["gray", "rgba", "la", "16bit", "palette", "palette_transparent", "bilevel", "cmyk_jpeg",
       "cmyk_tiff", "tiff_deflate"]


@pytest.mark.parametrize("kind", ODD)
def test_odd_images_compress(env, kind, tmp_path, capfd):
    img = odd_image(kind, tmp_path)
    out = tmp_path / "o.ganz"
    with no_visible_warnings():
        code, stdout, err = cli(["compress", img, "-o", out, "--steps", 2, "--model", env.model, "-q"], capfd)
    assert code == 0 and err == "", err
    assert "PSNR" in stdout
    f = unpack(out.read_bytes())
    assert (f.height, f.width) == (16, 16)


def test_image_conversions_are_faithful(tmp_path):
    gray = np.arange(256, dtype=np.uint8).reshape(16, 16)
    Image.fromarray(gray).save(tmp_path / "g.png")
    a = np.asarray(open_image(tmp_path / "g.png"))
    assert a.shape == (16, 16, 3) and np.array_equal(a[..., 0], gray) and np.array_equal(a[..., 2], gray)
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:8, :, 3] = 255  # top opaque red-ish, bottom fully transparent -> white
    Image.fromarray(rgba).save(tmp_path / "a.png")
    a = np.asarray(open_image(tmp_path / "a.png"))
    assert (a[:8] == [200, 0, 0]).all() and (a[8:] == 255).all()
    deep = (np.arange(256, dtype=np.uint16).reshape(16, 16) * 257)  # full 16-bit range
    Image.fromarray(deep).save(tmp_path / "d.png")
    assert np.array_equal(np.asarray(open_image(tmp_path / "d.png"))[..., 1], gray)
    dark = np.full((16, 16), 256, np.uint16)  # a dark 16-bit image stays dark (256/65535)
    Image.fromarray(dark).save(tmp_path / "dark.png")
    assert np.asarray(open_image(tmp_path / "dark.png")).max() <= 2
    rgb = (np.random.default_rng(0).random((16, 16, 3)) * 255).astype(np.uint8)
    pal = Image.fromarray(rgb).convert("P")
    pal.save(tmp_path / "p.png")
    assert np.array_equal(np.asarray(open_image(tmp_path / "p.png")), np.asarray(pal.convert("RGB")))
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "c.tif")
    assert np.abs(np.asarray(open_image(tmp_path / "c.tif")).astype(int) - rgb).max() <= 2


def test_exif_rotation_applied(env, tmp_path, capsys):
    im = np.zeros((8, 16, 3), np.uint8)  # 16 wide, 8 high: left half red, right half blue
    im[:, :8] = [255, 0, 0]
    im[:, 8:] = [0, 0, 255]
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    p = tmp_path / "rot.jpg"
    Image.fromarray(im).save(p, exif=exif.tobytes(), quality=95)
    a = np.asarray(open_image(p)).astype(int)
    assert a.shape == (16, 8, 3)  # now 8 wide, 16 high: the left (red) half is on top
    assert a[2, 4, 0] > 200 and a[2, 4, 2] < 60 and a[13, 4, 2] > 200 and a[13, 4, 0] < 60
    code, _, err = cli(["compress", p, "-o", tmp_path / "rot.ganz", "--fit", "--steps", 2,
                        "--model", env.model, "-q"], capsys)
    assert code == 0, err


def test_one_pixel_image(env, tmp_path, capsys):
    p = tmp_path / "one.png"
    Image.fromarray(np.full((1, 1, 3), 90, np.uint8)).save(p)
    code, _, err = cli(["compress", p, "-o", tmp_path / "one.ganz", "--steps", 2, "--model", env.model,
                        "-q"], capsys)
    assert_one_line_error(code, err)
    assert "1×1" in err and "--fit" in err and not (tmp_path / "one.ganz").exists()
    code, _, err = cli(["compress", p, "-o", tmp_path / "one.ganz", "--fit", "--steps", 2,
                        "--model", env.model, "-q"], capsys)
    assert code == 0, err
    assert unpack((tmp_path / "one.ganz").read_bytes()).height == 16


def png_header_only(w: int, h: int) -> bytes:
    """A tiny PNG whose IHDR claims w×h pixels (the pixel data is absent)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("wh", [(20000, 20000), (10000, 10000), (8000, 8000)])
def test_huge_png_refused_before_decoding(env, wh, tmp_path, capfd):
    p = tmp_path / "huge.png"
    p.write_bytes(png_header_only(*wh))
    assert p.stat().st_size < 100
    tracemalloc.start()
    try:
        with no_visible_warnings():
            code, _, err = cli(["compress", p, "-o", tmp_path / "h.ganz", "--fit", "--model", env.model],
                               capfd)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_one_line_error(code, err)
    assert ("too large" in err or "larger than" in err) and peak < 32 << 20
    assert not (tmp_path / "h.ganz").exists()


def test_broken_images_one_line(env, tmp_path, capfd):
    rgb = (np.random.default_rng(2).random((16, 16, 3)) * 255).astype(np.uint8)
    blobs = {}
    for fmt in ("JPEG", "PNG"):
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, fmt)
        blobs[fmt] = buf.getvalue()
    tif = io.BytesIO()
    Image.fromarray(rgb).save(tif, "TIFF", compression="tiff_deflate")
    t = bytearray(tif.getvalue())
    t[20] ^= 0xFF  # corrupt deflate stream: libtiff complains on fd 2 by itself
    cases = {"notes.txt.png": b"this is not an image\n", "empty.png": b"",
             "trunc.jpg": blobs["JPEG"][: len(blobs["JPEG"]) // 2],
             "trunc.png": blobs["PNG"][: len(blobs["PNG"]) // 2],
             "head.jpg": blobs["JPEG"][:40], "head.png": blobs["PNG"][:40],
             "corrupt.tif": bytes(t)}
    for name, blob in cases.items():
        p = tmp_path / name
        p.write_bytes(blob)
        out = tmp_path / (name + ".ganz")
        with no_visible_warnings():
            code, _, err = cli(["compress", p, "-o", out, "--steps", 2, "--model", env.model, "-q"], capfd)
        assert_one_line_error(code, err)
        assert name in err and not out.exists()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_refused_or_exact(tmp_path, fmt):
    """Cut at every 8th byte: refused, or (PNG missing only its trailer) exactly the same pixels."""
    rgb = (np.random.default_rng(3).random((16, 16, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt)
    data = buf.getvalue()
    full = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    p = tmp_path / f"t.{fmt.lower()}"
    for cut in range(0, len(data), 8):
        p.write_bytes(data[:cut])
        try:
            got = np.asarray(open_image(p))
        except GanzError:
            continue
        assert np.array_equal(got, full), f"cut at {cut} decoded to different pixels"


