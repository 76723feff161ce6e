#!/usr/bin/env python3
"""What a GPU lease's device call sends, and making it fit (scripts/gpu/README.md, "Fit").

The device tool sends the checkout's tracked files, its untracked files that git does not ignore,
``shared/`` where the checkout has one, and the carried paths, counted as a tar (a 512-byte header
a file, sizes padded to 512), and refuses more than 64 MiB. We plan with 8 MiB to spare:
``LIMIT_MIB`` = 56.

A *view* leaves out of the call what the lease never reads on the device (the CPU profile's results
and models, tests, notebooks, the book, every tool but the GPU driver ``tools/gpu/``; for ``long``
also the zoo and the figures' results).
``apply`` takes those files out of the index (``git rm --cached``: the files stay where they are)
and ignores them in a marked block of ``.git/info/exclude``, so by the tool's own rule they do not
travel; ``restore`` (unpack.sh runs it) puts the index entries back from the commit they were
taken from and removes the block. Only the index and the exclude file change; nothing is deleted.

    python3 scripts/gpu/fit.py count VIEW... [--data-bytes N] [--wheel-bytes N] [--state-bytes N]
    python3 scripts/gpu/fit.py apply VIEW
    python3 scripts/gpu/fit.py restore
    python3 scripts/gpu/fit.py strip-wheel WHEEL

Stdlib only: prepare.sh runs it with any python3.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

MIB = 1 << 20
LIMIT_MIB = 56  # the device's 64 MiB less 8 MiB spare
CARRIED = (".whl", ".data", ".commit")  # prepare.sh's outputs, the call's `carry`
STATE_DIR = "lease-state"  # the long d64's handed-off state (unpack.sh puts it there)
# never read on the device (the lease writes its own copies of the sample grids and result indexes)
NEVER = ("tests/", "notebooks/", "book/", "tools/", ".github/", ".ci/", "results/cpu-small/",
         "results/smoke/", "results/bench/", "ganz/zoo/cpu-small-*", "results/*/tidy.csv",
         "results/*/index.csv", "results/paper/training/*.png", "results/paper/gpu-session-*.log")
DRIVER = ("tools/__init__.py", "tools/gpu/")  # the driver lease.sh runs; the other tools never run there
VIEWS = {
    # the stages of `lease.sh auto|train|experiments`: the paper profile's zoo and results; the
    # recorded GPU benchmark (has_gpu_bench); no handed-off state (only `long` goes on from it)
    "auto": dict(leave=NEVER + (STATE_DIR + "/",), keep=DRIVER + ("results/bench/inversion-*-cuda.json",)),
    # `lease.sh long`: the long d64 on from lease-state/, its publish and R = 10 table: no zoo, no
    # figures; d64's training log (the long model is published once it saw more images)
    "long": dict(leave=NEVER + ("ganz/zoo/", "results/paper/"), keep=DRIVER + ("results/paper/training/*.csv",)),
}
BEGIN, END = "# >>> ganz lease view (scripts/gpu/fit.py; unpack.sh removes it)", "# <<< ganz lease view"


def git(*args: str, input: str | None = None, env: dict | None = None) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True, input=input,
                          env={**os.environ, **(env or {})}).stdout


def listed(*flags: str) -> list[str]:
    return [p for p in git("ls-files", "-z", *flags).split("\0") if p]


def matches(path: str, patterns) -> bool:
    return any(path.startswith(p) if p.endswith("/") else fnmatch.fnmatchcase(path, p) for p in patterns)


def left_out(view: str, paths) -> list[str]:
    v = VIEWS[view]
    return sorted(p for p in paths if matches(p, v["leave"]) and not matches(p, v["keep"]))


def tarred(n: int) -> int:
    return 512 + -(-n // 512) * 512


def tree_bytes(paths) -> int:
    """The paths as a tar counts them (a header a file and a folder, data padded to 512)."""
    folders = {str(Path(p).parent) for p in paths} - {"."}
    folders |= {str(q) for f in list(folders) for q in Path(f).parents} - {"."}
    return sum(tarred(os.lstat(p).st_size) for p in paths if os.path.lexists(p)) + 512 * len(folders)


def walk(top: str) -> list[str]:
    if os.path.isfile(top):
        return [top]
    return [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]


def sending() -> list[str]:
    """What the device tool sends of the tree: tracked + untracked-not-ignored files, shared/."""
    files = set(listed("-co", "--exclude-standard"))
    return sorted(p for p in files | set(walk("shared")) if os.path.lexists(p))


def report(view: str, tree: list[str], leaving: list[str], data: int, wheel: int, state: int,
           carried_files: list[str]) -> int:
    t, lo = tree_bytes(tree), tree_bytes(leaving)
    c = tree_bytes(carried_files) + data + wheel
    total = t + c + state
    ok = total <= LIMIT_MIB * MIB
    extra = f", handed-off state {state / MIB:.1f} (estimated)" if state else ""
    print(f"prepare.sh ({view}): travels {total / MIB:.1f} MiB of 64, limit {LIMIT_MIB} "
          f"(tree {t / MIB:.1f} in {len(tree)} files, carried {c / MIB:.1f}{extra}); the view leaves "
          f"out {len(leaving)} files, {lo / MIB:.1f} MiB" + ("" if ok else
          f" — OVER the {LIMIT_MIB}-MiB limit by {(total - LIMIT_MIB * MIB) / MIB:.1f} MiB"))
    return 0 if ok else 1


def count(views: list[str], data: int, wheel: int, state: int) -> int:
    """What each view would send (nothing changes); the carried .data/.whl counted by the given
    sizes where they are not made yet (prepare.sh count)."""
    rc = 0
    everything = sending()
    carried = [f for top in CARRIED if not ((top == ".data" and data) or (top == ".whl" and wheel))
               for f in walk(top)]
    for view in views:
        leaving = left_out(view, everything)
        tree = sorted(set(everything) - set(leaving))
        has_state = any(p.startswith(STATE_DIR + "/") for p in tree)
        rc |= report(view, tree, leaving, data, wheel, state if view == "long" and not has_state else 0,
                     carried)
    return rc


def record_path() -> Path:
    return Path(git("rev-parse", "--git-path", "ganz-lease-view.json").strip())


def exclude_path() -> Path:
    return Path(git("rev-parse", "--git-path", "info/exclude").strip())


def escape(path: str) -> str:
    out = "".join("\\" + ch if ch in "*?[\\" else ch for ch in path)
    return "/" + out


def pathspecs(paths) -> str:
    return "".join(p + "\0" for p in paths)


LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}


def apply(view: str) -> int:
    """Leave the view's files out of what the call sends (index and exclude file), then count."""
    if record_path().is_file():
        restore()
    everything = sending()
    leaving = left_out(view, everything)
    tracked = sorted(set(leaving) & set(listed()))
    status = git("status", "--porcelain=v1", "-z", "--untracked-files=no").split("\0")
    changed = sorted({e[3:] for e in status if len(e) > 3} & set(tracked))
    if changed:
        print("prepare.sh: uncommitted changes in files the call leaves out; commit first: "
              + " ".join(changed)[:400], file=sys.stderr)
        return 2
    record = {"view": view, "commit": git("rev-parse", "HEAD").strip(), "tracked": tracked,
              "untracked": sorted(set(leaving) - set(tracked))}
    record_path().write_text(json.dumps(record, indent=0) + "\n")
    ex = exclude_path()
    ex.parent.mkdir(parents=True, exist_ok=True)
    text = ex.read_text() if ex.is_file() else ""
    block = "\n".join([BEGIN, *(escape(p) for p in leaving), END])
    ex.write_text(text + ("" if not text or text.endswith("\n") else "\n") + block + "\n")
    if tracked:
        git("rm", "-q", "--cached", "--pathspec-from-file=-", "--pathspec-file-nul",
            input=pathspecs(tracked), env=LITERAL)
    after = sending()
    expect = sorted(set(everything) - set(leaving))
    if after != expect:  # the tool's rule, read back from git, must give the view
        restore()
        print(f"prepare.sh: the view did not take: {len(set(after) ^ set(expect))} files differ "
              f"(e.g. {sorted(set(after) ^ set(expect))[:3]}); index restored", file=sys.stderr)
        return 2
    carried = [f for top in CARRIED for f in walk(top)]
    rc = report(view, after, leaving, 0, 0, 0, carried)
    print(f"prepare.sh: {len(tracked)} tracked files are out of the index for the call (git status "
          f"shows them deleted: do not commit now); unpack.sh puts them back "
          f"(or: python3 scripts/gpu/fit.py restore)")
    return rc


def restore() -> int:
    """Put back what ``apply`` left out: the index entries (from the commit they were taken from)
    and the exclude file."""
    rec = record_path()
    if not rec.is_file():
        print("fit.py: no lease view to restore")
        return 0
    record = json.loads(rec.read_text())
    if record["tracked"]:
        git("reset", "-q", record["commit"], "--pathspec-from-file=-", "--pathspec-file-nul",
            input=pathspecs(record["tracked"]), env=LITERAL)
    ex = exclude_path()
    if ex.is_file():
        lines, out, inside = ex.read_text().splitlines(), [], False
        for line in lines:
            if line == BEGIN:
                inside = True
            elif line == END and inside:
                inside = False
            elif not inside:
                out.append(line)
        ex.write_text("".join(line + "\n" for line in out))
    rec.unlink()
    head = git("rev-parse", "HEAD").strip()
    moved = "" if head == record["commit"] else (
        f"; HEAD moved since prepare.sh ({record['commit'][:12]} → {head[:12]}): check that no commit "
        f"deleted them (git status shows any difference as staged)")
    print(f"fit.py: the lease view ({record['view']}) is undone: {len(record['tracked'])} files back "
          f"in the index{moved}")
    return 0


def strip_wheel(path: str) -> int:
    """Drop a wheel's test suite and sample data (pywt: tests/ and data/*.npz, 3.7 of its 4.4 MB;
    neither is imported by ``import pywt``), keeping RECORD consistent."""
    src = Path(path)
    drop = lambda n: "/tests/" in n or (fnmatch.fnmatch(n, "*/data/*.np[yz]"))  # noqa: E731
    tmp = src.with_name(src.name + ".tmp")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        dropped = {i.filename for i in zin.infolist() if drop(i.filename)}
        for info in zin.infolist():
            if info.filename in dropped:
                continue
            data = zin.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                lines = data.decode().splitlines()
                data = "".join(line + "\n" for line in lines if line.split(",")[0] not in dropped).encode()
            zout.writestr(info, data)
    before, after = src.stat().st_size, tmp.stat().st_size
    tmp.replace(src)
    print(f"prepare.sh: {src.name}: {before / MIB:.1f} → {after / MIB:.1f} MiB ({len(dropped)} test and "
          f"sample-data files dropped)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("count")
    c.add_argument("views", nargs="+", choices=sorted(VIEWS))
    c.add_argument("--data-bytes", type=int, default=0, help=".data/data.tgz's size (else .data/)")
    c.add_argument("--wheel-bytes", type=int, default=0, help="the wheels' size (else .whl/)")
    c.add_argument("--state-bytes", type=int, default=0,
                   help="long: the handed-off state's size where lease-state/ holds none yet")
    a = sub.add_parser("apply")
    a.add_argument("view", choices=sorted(VIEWS))
    sub.add_parser("restore")
    w = sub.add_parser("strip-wheel")
    w.add_argument("wheel")
    args = p.parse_args(argv)
    if args.cmd == "strip-wheel":
        args.wheel = os.path.abspath(args.wheel)
    os.chdir(git("rev-parse", "--show-toplevel").strip())
    if args.cmd == "count":
        return count(args.views, args.data_bytes, args.wheel_bytes, args.state_bytes)
    if args.cmd == "apply":
        return apply(args.view)
    if args.cmd == "restore":
        return restore()
    return strip_wheel(args.wheel)


if __name__ == "__main__":
    sys.exit(main())
