"""The inputs a book page was run with, so that a page left over from other inputs is caught.

A page's code reads three things besides its own cells: the ``ganz`` package (code and the
committed generators), the recorded results (``results/`` or ``$GANZ_RESULTS``) and the data
(the repository's ``data/`` files, and which evaluation images this machine has). Jupyter's
cache re-runs a notebook only when its cells change, so a page can outlive a change of any of
the three. Each page that runs code therefore shows ``stamp()`` (an invisible element carrying
one hash per input); ``tools/bookcheck`` recomputes ``fingerprint()`` after the build and fails
on a page whose stamp differs or is missing, and ``scripts/book.sh`` starts the cache afresh
when ``python -m ganz.report.stamp`` prints another value than at the last build.
"""
from __future__ import annotations

import hashlib
import html
import sys
from functools import lru_cache
from pathlib import Path

from ..core.paths import DATA_DIR, PACKAGE_DIR, models_dir, results_dir

PARTS = ("package", "results", "data")
#: names skipped anywhere in a tree: caches and build products that do not change a page
SKIP = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
STAMP_CLASS = "ganz-inputs"


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not any(part in SKIP or part.endswith((".lite", ".egg-info"))
                              for part in p.relative_to(root).parts)
                  and p.suffix != ".pyc")


def _hash_tree(*roots: Path) -> str:
    h = hashlib.sha256()
    for root in roots:
        for p in _files(root):
            h.update(p.relative_to(root).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def _present_images() -> list[str]:
    """The evaluation images (manifest entries, both image sets) this machine has."""
    from ..core import data
    from ..core.errors import MissingDataError

    manifest = data.load_manifest()
    entries = manifest["images"] + manifest.get("original", {}).get("images", [])
    folders = {}
    for split, find in (("face", data.celeba_dir), ("ood", data.ood_dir)):
        try:
            folders[split] = find()
        except MissingDataError:
            folders[split] = None
    present = []
    for e in entries:
        folder = folders["ood" if e["split"] == "ood" else "face"]
        if folder is not None and (folder / e["name"]).is_file():
            present.append(f"{e['split']}/{e['name']}")
    return sorted(set(present))


def _hash_data() -> str:
    h = hashlib.sha256(_hash_tree(DATA_DIR).encode())
    for name in _present_images():
        h.update(name.encode() + b"\n")
    return h.hexdigest()[:16]


@lru_cache(maxsize=1)
def _fingerprint(results: str) -> tuple[tuple[str, str], ...]:
    zoo = models_dir()
    models = [zoo] if PACKAGE_DIR not in zoo.resolve().parents else []
    return (("package", _hash_tree(PACKAGE_DIR, *models)),
            ("results", _hash_tree(Path(results))),
            ("data", _hash_data()))


def fingerprint() -> dict[str, str]:
    """One short hash per input (``PARTS``) as this process sees them."""
    return dict(_fingerprint(str(results_dir())))


def combined(parts: dict[str, str] | None = None) -> str:
    """The three hashes as one (what ``scripts/book.sh`` compares between builds)."""
    parts = parts or fingerprint()
    return hashlib.sha256("|".join(f"{k}={parts[k]}" for k in PARTS).encode()).hexdigest()[:16]


class Stamp:
    """An invisible element carrying the inputs' hashes (``data-package`` …) in the page."""

    def __init__(self, parts: dict[str, str]):
        self.parts = parts

    def _repr_html_(self) -> str:
        attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in self.parts.items())
        return f'<span class="{STAMP_CLASS}" hidden {attrs}></span>'

    def __repr__(self) -> str:
        return "inputs: " + ", ".join(f"{k} {v}" for k, v in self.parts.items())


def stamp() -> Stamp:
    """The page's inputs, shown (invisibly) in its output; see the module docstring."""
    return Stamp(fingerprint())


if __name__ == "__main__":  # python -m ganz.report.stamp: the combined hash, then each part
    parts = fingerprint()
    print(combined(parts))
    if "-v" in sys.argv[1:]:
        for k in PARTS:
            print(f"{k} {parts[k]}")
