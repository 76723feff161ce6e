"""Atomic writes: a temp file in the same folder, then ``os.replace`` (never a half-written file)."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not imported at run time: `ganz compress` never needs pandas
    import numpy as np
    import pandas as pd


def atomic_write(path: Path | str, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(df: pd.DataFrame, path: Path | str) -> None:
    atomic_write(path, df.to_csv(index=False).encode())


def write_npz(path: Path | str, **arrays: np.ndarray) -> None:
    import numpy as np

    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    atomic_write(path, buf.getvalue())
