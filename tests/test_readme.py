"""The README's commands, run as written (slow). Each line of a ``bash`` block runs in a folder
holding ``face.png`` (a face of the default model's size), and the Python block too. Skipped:
a line whose comment says it needs a GPU or hours, and the two commands that CI itself runs
(``scripts/book.sh``, then ``scripts/test.sh``, which runs this file)."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganz.core.paths import ROOT

pytestmark = pytest.mark.slow
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared" / "data"
RUN_BY_CI = ("bash scripts/book.sh", "bash scripts/test.sh", "pytest -m")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(), re.S)


def commands() -> list[str]:
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            cmd, _, comment = line.partition("#")
            cmd = cmd.strip()
            if cmd and not re.search(r"\bGPU\b|\bhours?\b", comment):
                out.append(cmd)
    return out


def test_the_readme_has_what_a_user_needs():
    text = README.read_text()
    for heading in ("## Install", "## Usage", "## The book", "## Tests", "## Citation", "## Licence"):
        assert heading in text
    assert blocks("python"), "no Python example"
    assert not re.search(r"\blease\b|\(issue \d+\)", text, re.I), "run history belongs in the book"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("readme")
    rng = np.random.default_rng(0)  # a smooth 64×64 picture: the default model's size
    yy, xx = np.mgrid[0:64, 0:64] / 63
    img = np.stack([0.6 + 0.2 * xx, 0.45 + 0.2 * yy, 0.4 + 0.1 * xx * yy], -1)
    img += 0.02 * rng.standard_normal(img.shape)
    Image.fromarray((np.clip(img, 0, 1) * 255).astype(np.uint8)).save(d / "face.png")
    return d


def _env(workdir: Path) -> dict[str, str]:
    """A user's environment: no ``GANZ_*`` settings but ``GANZ_DATA`` where the images are, and
    the committed results copied aside (a figure run off its defaults writes there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZ_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    if SHARED.is_dir():
        env["GANZ_DATA"] = str(SHARED)
    results = workdir / "results"
    if not results.is_dir():
        shutil.copytree(ROOT / "results", results)
    env["GANZ_RESULTS"] = str(results)
    return env


@pytest.mark.parametrize("cmd", commands())
def test_each_command_runs(cmd, workdir):
    if cmd.startswith(RUN_BY_CI):
        pytest.skip("CI runs it itself (.ci/run)")
    if cmd == "source .venv/bin/activate":
        assert (BIN / "activate").is_file()
        return
    argv = shlex.split(cmd)
    in_repo = argv[0] in ("bash", "papermill")  # paths relative to the repository
    if argv[0] == "papermill":
        argv[2] = str(workdir / argv[2])
    run = subprocess.run(argv, cwd=ROOT if in_repo else workdir, env=_env(workdir),
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, f"{cmd}\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"


def test_the_python_example_runs(workdir):
    code = blocks("python")[0]
    run = subprocess.run([sys.executable, "-c", code + "\nassert picture.shape == (64, 64, 3)\n"
                          "assert isinstance(data, bytes) and len(data) < 4000\n"],
                         cwd=workdir, env=_env(workdir), capture_output=True, text=True,
                         timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
