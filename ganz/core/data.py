"""Finding and loading images: CelebA (half-size copy or official layout), out-of-domain folders,
single user images, and the evaluation manifest.

Images enter the models as float tensors (3, H, W) in [-1, 1]; ``ganz.core.pixels`` converts.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .atomic import atomic_path, atomic_write
from .errors import MISSING_DATA_HELP, GanzError, MissingDataError  # noqa: F401
from .images import (LAYOUTS, MAX_PIXELS, CelebALayout, celeba_layout, center_square,  # noqa: F401
                     face_box, fit_image, open_image, resize)
from .paths import DATA_DIR, cache_dir
from .pixels import to_model

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
TRAIN_FRACTION = 0.95



def data_root() -> Path:
    """The data root: $GANZ_DATA if set, else the project's data/ folder."""
    env = os.environ.get("GANZ_DATA")
    return Path(env).expanduser() if env else DATA_DIR


def celeba_dir(root: Path | None = None) -> Path:
    """The folder of CelebA JPEGs under ``root`` (``celeba/``, ``img_align_celeba/`` or nested)."""
    root = data_root() if root is None else Path(root)
    candidates = [
        root / "celeba",
        root / "img_align_celeba",
        root / "celeba" / "img_align_celeba",
        root,
    ]
    for c in candidates:
        if c.is_dir() and any(c.glob("*.jpg")):
            return c
    raise MissingDataError(f"no CelebA images found under {root}: {MISSING_DATA_HELP}")


def ood_dir(root: Path | None = None) -> Path:
    root = data_root() if root is None else Path(root)
    d = root / "ood"
    if not d.is_dir() or not list_images(d):
        raise MissingDataError(f"no out-of-domain images found in {d}: {MISSING_DATA_HELP}")
    return d


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)


def celeba_split(folder: Path, split: str, validation_images: int = 0) -> list[Path]:
    """Sorted names; first 95 % train, last 5 % test (as the original code).

    ``validation`` is the last ``validation_images`` of the train split, and ``train`` then
    excludes them, so checkpoints can be selected on faces the GAN never saw.
    """
    files = sorted(Path(folder).glob("*.jpg"))
    if not files:
        raise MissingDataError(f"no .jpg files in {folder}: {MISSING_DATA_HELP}")
    n_train = int(len(files) * TRAIN_FRACTION)
    train, test = files[:n_train], files[n_train:]
    if split == "test":
        return test
    if split == "all_train":
        return train
    cut = len(train) - validation_images
    if split == "validation":
        return train[cut:]
    if split == "train":
        return train[:cut]
    raise GanzError(f"unknown split {split!r}: use train, validation, test or all_train")


def load_face(path: Path | str, image_size: int) -> Image.Image:
    """A CelebA image cropped to the paper's face region and resized to ``image_size``."""
    return face_box(open_image(path), image_size)


def load_any(path: Path | str, image_size: int) -> Image.Image:
    """Any image fitted to ``image_size`` by ``ganz.core.images.fit_image`` (CelebA photos: the
    face box; others: the centre square): what ``ganz compress --fit`` does."""
    return fit_image(open_image(path), image_size)[0]


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def celeba_array(image_size: int, split: str = "train", validation_images: int = 64,
                 root: Path | None = None) -> np.ndarray:
    """All faces of a split as uint8 (n, H, W, 3), decoded once and cached under .cache/."""
    folder = celeba_dir(root)
    files = celeba_split(folder, split, validation_images)
    key = hashlib.sha256(
        json.dumps([str(folder.resolve()), image_size, [f.name for f in files]]).encode()
    ).hexdigest()[:16]
    cache = cache_dir() / f"celeba_{split}_{image_size}_{key}.npy"
    if cache.exists():
        return np.load(cache)
    from tqdm.auto import tqdm

    arr = np.stack([np.asarray(load_face(f, image_size)) for f in tqdm(files, desc=f"decode {split}")])
    with atomic_path(cache) as tmp:  # processes may race here: each writes its own temp file
        np.save(tmp, arr)
    return arr


# --------------------------------------------------------------------------- evaluation manifest
MANIFEST_PATH = DATA_DIR / "eval_manifest.json"


#: the image lists: "seeded" (20 faces drawn by seed per split; cpu-small) and "original"
#: (the original code's lists, with stand-ins where our copy lacks its images; the paper profile)
IMAGE_SETS = ("seeded", "original")
ORIGINAL_PER_SPLIT = 20
#: the original's figure lists: fig. 3 (its committed square/no-linear figures) and fig. 8
ORIGINAL_FIGURE_IMAGES = {
    "fig3": ("034782", "196479", "campfire", "ferns", "horsehead_nebula", "jack", "obama",
             "ocean", "snow_tree", "subway"),
    "fig8": ("034782", "196479", "jack"),
}
#: CelebA faces the original used that are not in the 9,000-image copy: the first face of the
#: same split stands in (034782 is a train face, 196479 a test face of the full CelebA)
ORIGINAL_STAND_INS = {"034782": "train", "196479": "test"}


def _entry(split: str, path: Path, **extra) -> dict:
    return {"split": split, "name": path.name, "sha256": sha256_file(path), **extra}


def original_lists(root: Path | None = None, validation_images: int = 64) -> dict:
    """The original code's evaluation lists on the data at ``root``: the first 20 of each sorted
    split (train 000001–000020; test: the first 20 of our test split, since its 192471… are not
    in a 9,000-image copy; ood: the first 20 sorted, which is all of ours — subway where the
    original had lena), and its fig. 3 / fig. 8 pictures, each missing face replaced by the first
    face of its split (``replaces`` names it)."""
    folder = celeba_dir(root)
    splits = {"train": celeba_split(folder, "train", validation_images)[:ORIGINAL_PER_SPLIT],
              "test": celeba_split(folder, "test", validation_images)[:ORIGINAL_PER_SPLIT],
              "ood": list_images(ood_dir(root))[:ORIGINAL_PER_SPLIT]}
    images = [_entry(split, f) for split, files in splits.items() for f in files]
    stems = {(e["split"], Path(e["name"]).stem): e["name"] for e in images}
    figures = {}
    for figure, wanted in ORIGINAL_FIGURE_IMAGES.items():
        picks = []
        for stem in wanted:
            split = ORIGINAL_STAND_INS.get(stem, "ood")
            if (split, stem) in stems:
                picks.append({"split": split, "name": stems[split, stem]})
            elif split in ("train", "test"):
                picks.append({"split": split, "name": splits[split][0].name,
                              "replaces": f"{stem}.jpg"})
            else:
                raise MissingDataError(f"the original's {figure} image {stem} is not in "
                                       f"{ood_dir(root)}")
        figures[figure] = picks
    return {"per_split": ORIGINAL_PER_SPLIT, "images": images, "figures": figures,
            "note": "the original code's lists; stand-ins where this copy lacks an image"}


def make_eval_manifest(per_split: int = 20, seed: int = 0, validation_images: int = 64,
                       root: Path | None = None) -> dict:
    """Choose the seeded evaluation images, add the original's lists; names + SHA-256 only."""
    folder = celeba_dir(root)
    rng = np.random.default_rng(seed)
    entries = []
    for split in ("train", "test"):
        files = celeba_split(folder, split, validation_images)
        for i in sorted(rng.choice(len(files), size=per_split, replace=False)):
            entries.append({"split": split, "name": files[i].name, "sha256": sha256_file(files[i])})
    for f in list_images(ood_dir(root)):
        entries.append({"split": "ood", "name": f.name, "sha256": sha256_file(f)})
    return {"seed": seed, "per_split": per_split, "validation_images": validation_images,
            "source": "CelebA (Liu et al. 2015) and the paper's out-of-domain set", "images": entries,
            "original": original_lists(root, validation_images)}


def load_manifest(path: Path = MANIFEST_PATH) -> dict:
    if not Path(path).is_file():
        raise GanzError(f"evaluation manifest {path} is missing; run `python -m ganz.core.data` to make it")
    return json.loads(Path(path).read_text())


def eval_entries(split: str, image_set: str = "seeded", figure: str | None = None) -> list[dict]:
    """Manifest entries (split, name, sha256[, replaces]) of one split of an image set; with
    ``figure``, the original set's list for that figure (the seeded set ignores ``figure``)."""
    if image_set not in IMAGE_SETS:
        raise GanzError(f"unknown image set {image_set!r}; choose one of {', '.join(IMAGE_SETS)}")
    manifest = load_manifest()
    if image_set == "seeded":
        return [e for e in manifest["images"] if e["split"] == split]
    if "original" not in manifest:
        raise GanzError("the evaluation manifest has no original lists; run `python -m ganz.core.data`")
    original = manifest["original"]
    entries = [e for e in original["images"] if e["split"] == split]
    if figure in original["figures"]:
        sha = {e["name"]: e["sha256"] for e in entries}
        entries = [{**e, "sha256": sha[e["name"]]} for e in original["figures"][figure]
                   if e["split"] == split]
    return entries


def eval_names(split: str, limit: int | None = None, image_set: str = "seeded",
               figure: str | None = None) -> list[str]:
    """The manifest's image names of one split (no pixels needed)."""
    names = [e["name"] for e in eval_entries(split, image_set, figure)]
    return names if limit is None else names[:limit]


def eval_images(split: str, image_size: int, limit: int | None = None,
                root: Path | None = None, check: bool = True, image_set: str = "seeded",
                figure: str | None = None) -> tuple[list[str], torch.Tensor]:
    """The manifest's images of one split (train/test/ood) as names and a model-space batch."""
    entries = eval_entries(split, image_set, figure)
    if limit is not None:
        entries = entries[:limit]
    images = [_load_entry(e, image_size, root, check) for e in entries]
    return [e["name"] for e in entries], to_model(images)


def _load_entry(entry: dict, image_size: int, root: Path | None, check: bool) -> Image.Image:
    split = entry["split"]
    folder = ood_dir(root) if split == "ood" else celeba_dir(root)
    path = folder / entry["name"]
    if not path.is_file():
        raise MissingDataError(f"{path} is missing: {MISSING_DATA_HELP}")
    if check and sha256_file(path) != entry["sha256"]:
        raise GanzError(f"{path} differs from the manifest (SHA-256 mismatch)")
    im = open_image(path)
    if split != "ood":
        celeba_layout(im)  # a face of another size is an error, not a centre crop
    return fit_image(im, image_size)[0]  # the crop compress --fit and eval use


def eval_image(split: str, name: str, image_size: int, root: Path | None = None) -> np.ndarray:
    """One manifest image (any set) by split and name, checked, as uint8 (H, W, 3)."""
    manifest = load_manifest()
    entries = manifest["images"] + manifest.get("original", {}).get("images", [])
    for e in entries:
        if e["split"] == split and e["name"] == name:
            return np.asarray(_load_entry(e, image_size, root, True))
    raise GanzError(f"{split}/{name} is not in the evaluation manifest")


def train_face_count(image_set: str = "original") -> int:
    """Faces in the train split of our CelebA copy, read from the evaluation manifest (names are
    numbered from 000001, so the first test face's number minus one), no images needed."""
    m = load_manifest()
    entries = m["original"]["images"] if image_set == "original" else m["images"]
    first_test = min(int(Path(e["name"]).stem) for e in entries if e["split"] == "test")
    return first_test - 1



if __name__ == "__main__":  # python -m ganz.core.data: (re)make the evaluation manifest
    m = make_eval_manifest()
    atomic_write(MANIFEST_PATH, (json.dumps(m, indent=1) + "\n").encode())
    print(f"wrote {MANIFEST_PATH} ({len(m['images'])} images)")
