"""The import graph of ``ganz/``, counting every import (module level and inside functions).

    python -m tools.importgraph            # cycles (strongly connected groups), upward imports, counts
    python -m tools.importgraph --json     # the same as JSON

Rules it checks (the layers, lowest first; a module may import only its own layer or lower):
    core < results < baselines < train = lite < study | report < pages, cli
(``results``, the recorded tables and the paper's numbers without torch, sits under the study,
which writes through it, and the report, which reads through it; the study and the report are
siblings that never import each other, and ``ganz.pages`` joins them for the notebooks.)
``ganz/__init__.py``, ``ganz/__main__.py``, ``ganz/cli.py``, ``ganz/commands.py`` and
``ganz/pages.py`` form the top layer. Exit status 1 when there is a cycle or an upward import
(an import between siblings counts as one).
"""
from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ganz"

LAYERS = {"core": 0, "zoo": 0, "results": 1, "baselines": 2, "train": 3, "lite": 3, "study": 4,
          "report": 4}
SIBLINGS = {"study", "report"}  # one layer, and neither imports the other
TOP = 9  # ganz, ganz.__main__, ganz.cli, ganz.commands, ganz.pages


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in LAYERS:
        return TOP
    return LAYERS[parts[1]]


def _siblings(a: str, b: str) -> bool:
    pa, pb = a.split(".")[1:2], b.split(".")[1:2]
    return bool(pa and pb and pa != pb and {pa[0], pb[0]} <= SIBLINGS)


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def edges(modules: set[str]) -> list[tuple[str, str, int, bool]]:
    """(importer, imported, line, inside a function) for every import of a ganz module."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        mod = module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        nested: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                nested.update(id(n) for n in ast.walk(fn) if n is not fn)
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = resolve(mod, path.name == "__init__.py", node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t and t.startswith("ganz") and t != mod:
                    out.append((mod, t, node.lineno, id(node) in nested))
    return out


def strongly_connected(nodes: set[str], graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return groups


def report() -> dict:
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    found = edges(modules)
    # a package's __init__ importing its own submodules is not a dependency of theirs on it
    graph: dict[str, set[str]] = {}
    for a, b, _, _ in found:
        graph.setdefault(a, set()).add(b)
    cycles = strongly_connected(modules, graph)
    upward = sorted({(a, b, line) for a, b, line, _ in found
                     if layer(b) > layer(a) or _siblings(a, b)})
    lines = sum(len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py"))
    biggest = sorted(((len(p.read_text().splitlines()), module_name(p))
                      for p in PACKAGE.rglob("*.py")), reverse=True)[:5]
    return {"modules": len(modules), "lines": lines,
            "imports": len(found), "imports_in_functions": sum(1 for *_, f in found if f),
            "cycles": cycles, "upward": [f"{a} -> {b} (line {n})" for a, b, n in upward],
            "largest": [f"{m} {n}" for n, m in biggest]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    r = report()
    if a.json:
        print(json.dumps(r, indent=1))
    else:
        print(f"{r['modules']} modules, {r['lines']} lines, {r['imports']} imports of ganz modules "
              f"({r['imports_in_functions']} inside functions)")
        print(f"{len(r['cycles'])} cycles")
        for c in r["cycles"]:
            print("  cycle:", " <-> ".join(c))
        print(f"{len(r['upward'])} upward imports")
        for u in r["upward"]:
            print("  up:", u)
        print("largest:", ", ".join(r["largest"]))
    return 1 if r["cycles"] or r["upward"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
