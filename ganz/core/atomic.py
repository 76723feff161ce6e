"""Safe writes: atomic (a temp file in the same folder, then ``os.replace``: never a half-written
file), and the checks that keep a command from replacing a file it should not."""
from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GanzError

if TYPE_CHECKING:  # not imported at run time: `ganz compress` never needs pandas
    import numpy as np
    import pandas as pd


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary name beside ``path`` (same suffix) for a writer that wants a file name; when the
    block ends without an error it replaces ``path``, and in any case the temporary file is gone."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")  # per process: no races
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path | str, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_csv(df: pd.DataFrame, path: Path | str) -> None:
    atomic_write(path, df.to_csv(index=False).encode())


def write_npz(path: Path | str, **arrays: np.ndarray) -> None:
    import numpy as np

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]  # mypy matches **arrays to allow_pickle: bool
    atomic_write(path, buf.getvalue())


def check_inputs(paths: list[Path], what: str) -> None:
    """Each path is an existing, readable regular file, or a one-line error says what it is."""
    for p in paths:
        if p.is_dir():
            raise GanzError(f"{p}: is a folder, not {what}")
        if not p.exists():
            raise GanzError(f"{p}: no such file")
        if not p.is_file():
            raise GanzError(f"{p}: not a regular file")
        if not os.access(p, os.R_OK):
            raise GanzError(f"{p}: cannot read it (permission denied)")


def same_file(a: Path, b: Path) -> bool:
    """The same path once links are resolved, or the same inode (hard links)."""
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):  # a link loop
        pass
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(outs: list[Path], inputs: list[Path], force: bool) -> None:
    """Refuse, before anything is written: an output that is an input (whatever ``force``
    says), an output folder that is missing, an existing output without ``force``."""
    for dst in outs:
        for src in inputs:
            if same_file(dst, src):
                same = "" if dst == src else f" ({src})"
                raise GanzError(f"{dst}: is an input{same}; refusing to overwrite it, even with --force")
        folder = dst.parent
        if not folder.is_dir():
            raise GanzError(f"output folder {folder} {'is not a folder' if folder.exists() else 'does not exist'}")
        if dst.is_dir():
            raise GanzError(f"{dst}: is a folder; name an output file")
        if (dst.exists() or dst.is_symlink()) and not force:
            raise GanzError(f"{dst} already exists; use -f/--force to overwrite it")
