"""The design card's commands as users type them, from the repository's root: the book build and
``papermill notebooks/<page>.ipynb out.ipynb -p NAME VALUE`` for a non-default value of every
documented parameter. Each run is checked for content (the value took effect, no error output),
not only for its exit code. Slow (minutes): ``pytest -m slow tests/test_as_typed.py``.

The commands run with the environment a user has (no ``GANZ_PROFILE``), with the committed
results; a run that computes something not recorded writes into a temporary copy of them
(``GANZ_RESULTS``), so the checkout is left as it was.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ganz.core.paths import ROOT

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="module")
def user_env(tmp_path_factory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZ_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    if SHARED.is_dir():  # what scripts/book.sh does; a user sets GANZ_DATA
        env["GANZ_DATA"] = str(SHARED)
    results = tmp_path_factory.mktemp("typed") / "results"
    shutil.copytree(ROOT / "results", results)
    env["GANZ_RESULTS"] = str(results)
    return env


def _untracked() -> set[str]:
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    return {line[3:] for line in out.splitlines() if line.startswith("??")}


def papermill(env: dict, page: str, *args: str, tmp_path: Path) -> tuple[str, pd.DataFrame | None]:
    """``papermill notebooks/<page>.ipynb out.ipynb ARGS`` from the root: every output's text,
    and the page's downloadable results table (``downloads/<page>-results.csv``) if it has one."""
    out = tmp_path / "out.ipynb"
    download = ROOT / "downloads" / f"{page}-results.csv"
    download.unlink(missing_ok=True)
    before = _untracked()
    run = subprocess.run([str(BIN / "papermill"), f"notebooks/{page}.ipynb", str(out), *args],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr[-3000:]
    text = []
    for cell in json.loads(out.read_text())["cells"]:
        for o in cell.get("outputs", []):
            assert o["output_type"] != "error", f"{o.get('ename')}: {o.get('evalue')}"
            text.append("".join(o.get("text", "")))
            for mime, value in o.get("data", {}).items():
                if mime.endswith(("text/plain", "text/markdown", "text/html")):
                    text.append("".join(value))
    table = pd.read_csv(download) if download.is_file() else None
    shutil.rmtree(ROOT / "downloads", ignore_errors=True)
    assert _untracked() <= before, f"left in the checkout: {_untracked() - before}"
    return "\n".join(text), table


def _ratios(table: pd.DataFrame, n: int) -> set[int]:
    rand = table[(table["method"] == "ganz") & (table["adapter"] == "random_linear")]
    return {round(n / r) for r in rand["ratio"]}


def test_the_design_cards_command(user_env, tmp_path):
    text24, t24 = papermill(user_env, "fig5", "-p", "ratio", "24", tmp_path=tmp_path)
    text30, t30 = papermill(user_env, "fig5", "-p", "ratio", "30", tmp_path=tmp_path)
    assert "this page has R = 24 only" in text24 and "this page has R = 30 only" in text30
    for t, r in ((t24, 24), (t30, 30)):
        for profile, part in t.groupby("profile"):
            n = 3 * (64 if profile == "paper" else 32) ** 2
            assert _ratios(part, n) == {round(n / r)}, profile
    assert set(t24["profile"]) == {"paper", "cpu-small"}


@pytest.mark.parametrize("page, args, check", [
    ("fig2", ["-p", "dims", "64,128"], lambda text, t: set(t["dim"]) == {64, 128}),
    ("fig2", ["-p", "profile", "smoke", "-p", "ratio", "20", "-p", "n_images", "1", "-p", "steps", "3"],
     lambda text, t: set(t["steps"].dropna()) == {3} and (t["ratio"].round() == 20).any()),
    ("fig3", ["-p", "profile", "smoke", "-p", "n_images", "1", "-p", "steps", "4"],
     lambda text, t: set(t["steps"].dropna()) == {4} and t.groupby("split")["image"].nunique().max() == 1),
    ("fig4", ["-p", "ratios", "10"], lambda text, t: "R = 10" in text and set(
        t.loc[t["adapter"] == "random_linear", "ratio"].round()) <= {10, 192, 48}),
    ("fig4", ["-p", "profile", "cpu-small", "-p", "image", "astronaut"],
     lambda text, t: set(t["image"]) == {"astronaut.png"}),
    ("fig5", ["-p", "profile", "smoke", "-p", "keep_linear", "False", "-p", "steps", "3"],
     lambda text, t: not (t["adapter"] == "keep_linear").any() and set(t["steps"].dropna()) == {3}),
    ("fig7", ["-p", "dims", "64,128", "-p", "n", "3", "-p", "seed", "1"],
     lambda text, t: set(t["dim"]) == {64, 128}),
    ("fig8", ["-p", "measurements", "4000"],
     lambda text, t: t.groupby("profile")["measurements"].nunique().max() == 1),
    ("fig8", ["-p", "profile", "smoke", "-p", "n_images", "1", "-p", "steps", "3"],
     lambda text, t: set(t.loc[t["method"] == "ganz", "steps"]) == {3}),
    ("codecs", ["-p", "bits", "8"], lambda text, t: "no GANZ files at 32" in text),
    ("speed", ["-p", "profile", "cpu-small"], lambda text, t: "cpu-small" in text),
    ("summary", ["-p", "device", "cpu"], lambda text, t: "fig5" in text),
    ("training", ["-p", "profile", "cpu-small"], lambda text, t: "cpu-small" in text),
])
def test_each_parameter_takes_effect(user_env, tmp_path, page, args, check):
    if "smoke" not in args and not SHARED.is_dir() and page in ("fig4",) and "image" in args:
        pytest.skip("computing a picture not recorded needs the evaluation images (../shared)")
    text, table = papermill(user_env, page, *args, tmp_path=tmp_path)
    assert check(text, table), f"{page} {' '.join(args)}: the parameter did not take effect"


def test_the_book_builds_as_typed(user_env, tmp_path):
    """``jupyter-book build book/``, the design card's build, into a copy of book/_build."""
    run = subprocess.run([str(BIN / "jupyter-book"), "build", "book/"], cwd=ROOT, env=user_env,
                         capture_output=True, text=True, timeout=2400)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    page = (ROOT / "book" / "_build" / "html" / "notebooks" / "fig5.html").read_text()
    assert "Verdict" in page and "Traceback" not in page
