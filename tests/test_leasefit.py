"""What a lease's device call sends (``scripts/gpu/fit.py``): a view leaves files out of the index
and ignores them, so by the device tool's rule (tracked + untracked-not-ignored files) they do not
travel; restoring puts the index and the exclude file back exactly."""
from __future__ import annotations

import subprocess
import sys

from ganz.core.paths import ROOT

FIT = ROOT / "scripts" / "gpu" / "fit.py"
FILES = {  # path: whether the auto / long view sends it
    "ganz/core.py": (True, True),
    "README.md": (True, True),
    "tests/test_x.py": (False, False),
    "tools/__init__.py": (True, True),  # the GPU driver travels, the other tools do not
    "tools/gpu/driver.py": (True, True),
    "tools/fuzz.py": (False, False),
    "notebooks/fig5.ipynb": (False, False),
    "results/cpu-small/fig5-1.csv": (False, False),
    "results/bench/inversion-cpu-small-cpu.csv": (False, False),
    "results/bench/inversion-paper-cuda.json": (True, False),
    "results/paper/tidy.csv": (False, False),
    "results/paper/fig5-2.csv": (True, False),
    "results/paper/jobs/a b[1].npz": (True, False),  # names with spaces and glob characters
    "results/paper/training/d64.csv": (True, True),
    "results/paper/training/d64-samples.png": (False, False),
    "ganz/zoo/cpu-small-d64.safetensors": (False, False),
    "ganz/zoo/celeba64-d64.safetensors": (True, False),
    "lease-state/d64-long-step9.state0of1": (False, True),
}


def git(repo, *args) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def fit(repo, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FIT), *args], cwd=repo, capture_output=True, text=True)


def sent(repo) -> set[str]:
    return {p for p in git(repo, "ls-files", "-z", "-co", "--exclude-standard").split("\0") if p}


def make_repo(tmp_path):
    repo = tmp_path / "repo"
    for name in FILES:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_bytes(b"x" * 3000)
    git(tmp_path, "init", "-q", str(repo))
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "all")
    (repo / "untracked.txt").write_text("travels too\n")
    return repo


def test_each_view_sends_what_its_lease_reads_and_restores(tmp_path):
    repo = make_repo(tmp_path)
    exclude = repo / ".git" / "info" / "exclude"
    before = exclude.read_text()
    for i, view in enumerate(("auto", "long")):
        r = fit(repo, "apply", view)
        assert r.returncode == 0, r.stderr
        want = {p for p, s in FILES.items() if s[i]} | {"untracked.txt"}
        assert sent(repo) == want
        assert f"prepare.sh ({view}): travels" in r.stdout
        assert (repo / "tests/test_x.py").is_file()  # nothing deleted
        r = fit(repo, "restore")
        assert r.returncode == 0 and "undone" in r.stdout
        assert git(repo, "status", "--porcelain") == "?? untracked.txt\n"
        assert exclude.read_text() == before
    assert "no lease view" in fit(repo, "restore").stdout


def test_count_changes_nothing_and_fails_over_the_limit(tmp_path):
    repo = make_repo(tmp_path)
    r = fit(repo, "count", "auto", "long", "--data-bytes", str(20 << 20), "--state-bytes", str(10 << 20))
    assert r.returncode == 0, r.stderr
    assert "(auto): travels 20.0 MiB" in r.stdout  # 8 files of 3000 bytes + 2 folders ≈ 0.04
    assert "(long): travels 20.0 MiB" in r.stdout and "(estimated)" not in r.stdout  # it carries one
    assert git(repo, "status", "--porcelain") == "?? untracked.txt\n"
    r = fit(repo, "count", "auto", "--data-bytes", str(57 << 20))
    assert r.returncode == 1 and "OVER the 56-MiB limit" in r.stdout


def test_apply_refuses_uncommitted_changes_in_what_it_leaves_out(tmp_path):
    repo = make_repo(tmp_path)
    (repo / "tests/test_x.py").write_text("changed\n")
    r = fit(repo, "apply", "auto")
    assert r.returncode == 2 and "commit first" in r.stderr
    assert git(repo, "status", "--porcelain") == " M tests/test_x.py\n?? untracked.txt\n"
