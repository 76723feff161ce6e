"""Writes are atomic: a failure leaves the old file or nothing, and the CLI says so in one line;
the long fuzz's benchmark runs briefly (``python -m tools.fuzz --cases 10000`` is the long one)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ganz.core import atomic

from robust import CORPUS, assert_one_line_error, cli, make_env


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_env(tmp_path_factory)


# --------------------------------------------------------------------------- atomic writes
def test_atomic_write_failure_leaves_old_or_nothing(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "out.bin"
    atomic.atomic_write(target, b"old contents")
    real = Path.write_bytes

    def half_then_fail(self, data):
        real(self, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_fail)
    with pytest.raises(OSError):
        atomic.atomic_write(target, b"new contents that never fully arrive")
    with pytest.raises(OSError):
        atomic.atomic_write(tmp_path / "sub" / "fresh.bin", b"x" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]  # no temp, no partial


def test_atomic_csv_and_npz_failures(tmp_path, monkeypatch):
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2]})
    atomic.write_csv(df, tmp_path / "t.csv")

    def fail(*a, **k):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic.write_csv(pd.DataFrame({"a": [3, 4, 5]}), tmp_path / "t.csv")
    with pytest.raises(OSError):
        atomic.write_npz(tmp_path / "t.npz", x=np.arange(5))
    monkeypatch.undo()
    assert pd.read_csv(tmp_path / "t.csv")["a"].tolist() == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]


def test_cli_output_failure_is_one_line(env, tmp_path, capsys, monkeypatch):
    out = tmp_path / "o.png"

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", out,
                        "--model", CORPUS / "tiny.safetensors"], capsys)
    monkeypatch.undo()
    assert_one_line_error(code, err)
    assert "No space left" in err and list(tmp_path.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    code, _, err = cli(["decompress", CORPUS / "valid.ganz", "-o", blocker / "o.png",
                        "--model", CORPUS / "tiny.safetensors"], capsys)
    assert_one_line_error(code, err)


# --------------------------------------------------------------------------- the long fuzz, briefly
def test_fuzz_benchmark_runs(tmp_path, capsys):
    """``python -m tools.fuzz`` (10,000 cases as a benchmark) works; here only 150 cases."""
    import json

    from tools import fuzz

    out = tmp_path / "bench" / "fuzz.json"
    assert fuzz.main(["--cases", "150", "--seed", "7", "--out", str(out), "-q"]) == 0
    summary = json.loads(out.read_text())
    assert summary["cases"] == 150 and summary["crashes"] == summary["hangs"] == 0
    assert summary["targets"]["unpack"]["refused"] > 0 and summary["distinct_errors"] > 5
    assert "0 crashes" in capsys.readouterr().out

