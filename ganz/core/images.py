"""Opening user images and fitting them to a model's size, without torch.

``fit_image`` is THE crop: ``ganz compress --fit``, ``ganz eval`` (when an original is not the
size of its file) and the book's evaluation images (``ganz.core.data.eval_images``) all call it.
The rule, by the image's size:

- the model's size already: unchanged;
- a CelebA aligned photo (89×109 half-size copy, or the official 178×218): the paper's face box
  (``LAYOUTS``), then bicubic resize to the model's size when the box is another size;
- anything else: the centre square (the original code's ``load_target_image``), then bilinear
  resize.

A ``.ganz`` file records nothing about the crop (only the size it decodes to), so the only way
to compare a file with a larger original is to apply this same rule again.
"""
from __future__ import annotations

import os
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .errors import GanzError

MAX_PIXELS = 50_000_000  # refuse larger images before decoding them


@dataclass(frozen=True)
class CelebALayout:
    """Where the face is in one CelebA image size: crop box (top, left, size)."""

    name: str
    image_wh: tuple[int, int]
    top: int
    left: int
    size: int


# The paper crops the official 178×218 images at top=51, left=26 to 128×128; the half-size copy
# in ../shared holds the same face region at top=25, left=13, 64×64.
LAYOUTS = (
    CelebALayout("official", (178, 218), 51, 26, 128),
    CelebALayout("half", (89, 109), 25, 13, 64),
)


@contextmanager
def _quiet_native_stderr():
    """Silence what C decoders (libtiff, libjpeg) print straight to fd 2 while an image decodes:
    their complaints about a hostile file become our one-line error, not extra stderr lines."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_image(path: Path | str) -> Image.Image:
    """Open an image safely: size checked before decoding, EXIF orientation applied, RGB out.

    Any failure of the decoders (truncated, corrupt or hostile files) is a one-line ``GanzError``;
    their warnings and native stderr messages are suppressed.
    """
    path = Path(path)
    if not path.is_file():
        raise GanzError(f"{path}: no such file")
    try:
        with warnings.catch_warnings(), _quiet_native_stderr():
            warnings.simplefilter("ignore")  # DecompressionBombWarning, corrupt-EXIF warnings, ...
            with Image.open(path) as src:
                w, h = src.size
                if w * h > MAX_PIXELS:
                    raise GanzError(f"{path}: image is {w}×{h}, larger than {MAX_PIXELS} pixels; refusing")
                im = ImageOps.exif_transpose(src)
                if im.mode.startswith("I;16") or im.mode == "I":
                    arr = np.asarray(im, dtype=np.float64)
                    # 16-bit images use the full 16-bit range (a dark one stays dark); 32-bit "I"
                    # images carry no range, so small values are taken as 8-bit
                    scale = 65535.0 if im.mode.startswith("I;16") or arr.max() > 255 else 255.0
                    im = Image.fromarray(np.clip(arr / scale * 255 + 0.5, 0, 255).astype(np.uint8))
                if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                    im = im.convert("RGBA")
                    bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
                    im = Image.alpha_composite(bg, im)
                return im.convert("RGB")
    except (GanzError, MemoryError):
        raise
    except Image.DecompressionBombError as e:
        raise GanzError(f"{path}: image too large to decode safely ({e}); refusing") from None
    except Exception as e:  # noqa: BLE001 - any decoder failure on an untrusted file is a refusal
        raise GanzError(f"{path}: not a readable image ({type(e).__name__}: {e})") from None


def celeba_layout(im: Image.Image) -> CelebALayout:
    for layout in LAYOUTS:
        if im.size == layout.image_wh:
            return layout
    known = ", ".join(f"{l.image_wh[0]}×{l.image_wh[1]} ({l.name})" for l in LAYOUTS)
    raise GanzError(f"CelebA image of size {im.size[0]}×{im.size[1]} not recognised; expected {known}")


def resize(im: Image.Image, size: int) -> Image.Image:
    if im.size == (size, size):
        return im
    return im.resize((size, size), Image.Resampling.BICUBIC)


def face_box(im: Image.Image, image_size: int) -> Image.Image:
    """A CelebA photo cropped to the paper's face region and resized to ``image_size``."""
    lay = celeba_layout(im)
    im = im.crop((lay.left, lay.top, lay.left + lay.size, lay.top + lay.size))
    return resize(im, image_size)


def center_square(im: Image.Image, image_size: int) -> Image.Image:
    """Center-crop to a square and resize (bilinear), as the original ``load_target_image``."""
    w, h = im.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    im = im.crop((left, top, left + s, top + s))
    return im if s == image_size else im.resize((image_size, image_size), Image.Resampling.BILINEAR)


@dataclass(frozen=True)
class Fit:
    """What ``fit_image`` did to one image: its size before, the box it kept, the size after."""

    rule: str  # "none" | "celeba-face" | "center-square"
    source_wh: tuple[int, int]
    box: tuple[int, int, int, int]  # left, top, right, bottom in the source
    size: int

    def __str__(self) -> str:
        w, h = self.source_wh
        if self.rule == "none":
            return f"{w}×{h}, not cropped"
        left, top, right, bottom = self.box
        what = "CelebA face box" if self.rule == "celeba-face" else "centre square"
        resized = "" if right - left == self.size else f", resized to {self.size}×{self.size}"
        return (f"{w}×{h} -> {what} {right - left}×{bottom - top} at (left {left}, top {top})"
                f"{resized}")


def fit_image(im: Image.Image, image_size: int) -> tuple[Image.Image, Fit]:
    """``im`` fitted to ``image_size``×``image_size`` by the rule in the module docstring, and
    what was done."""
    w, h = im.size
    if (w, h) == (image_size, image_size):
        return im, Fit("none", (w, h), (0, 0, w, h), image_size)
    for lay in LAYOUTS:
        if (w, h) == lay.image_wh:
            box = (lay.left, lay.top, lay.left + lay.size, lay.top + lay.size)
            return face_box(im, image_size), Fit("celeba-face", (w, h), box, image_size)
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    return center_square(im, image_size), Fit("center-square", (w, h),
                                             (left, top, left + s, top + s), image_size)


FIT_HELP = "use --fit to crop and resize (a CelebA photo: its face box; any other: the centre square)"


def load_for_model(path: Path | str, image_size: int, fit: bool) -> tuple[np.ndarray, Fit]:
    """One input image for a model of ``image_size``: uint8 (H, W, 3) and what was done to it.
    Without ``fit`` an image of another size is a one-line ``GanzError``."""
    im = open_image(path)
    if not fit and im.size != (image_size, image_size):
        raise GanzError(f"{path}: image is {im.size[0]}×{im.size[1]}, the model takes "
                        f"{image_size}×{image_size}; {FIT_HELP}")
    im, how = fit_image(im, image_size)
    return np.array(im, dtype=np.uint8), how
