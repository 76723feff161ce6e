"""Checks on the built HTML book (``jupyter-book build book/``), and page screenshots.

``python -m tools.bookcheck [HTML_DIR]`` (default ``book/_build/html``) checks that:

* every page listed in ``_toc.yml`` was rendered to HTML;
* every ``<img>`` on those pages points at a file that exists (or is an inline ``data:`` URI);
* each figure page (``fig<N>``, ``training``) contains at least one image;
* no notebook output is an error: no traceback output, no "Traceback (most recent call last)",
  no stderr block that reports an exception (``SomethingError:``);
* every image has meaningful alt text (not empty, not its file path);
* tables are complete: no cell cut short ("…"), no pandas truncation ("… rows × … columns"), no
  ``NaN``/``<NA>``/``None`` cell (missing values are shown as a dash);
* nothing is loaded from outside the site: no ``<script src>`` or stylesheet ``<link>`` with an
  external URL (maths included: MathJax is served from ``_static``);
* no absolute file-system path of the build machine appears in a page's text;
* each figure page ends with a verdict: a section ``Verdict`` with numbers in it.

It prints one line per problem and exits 1 if there are any (warnings printed on stderr by a
notebook are listed as notes and do not fail the check).

``python -m tools.bookcheck --screenshots OUTDIR [HTML_DIR]`` also saves a PNG of every page,
taken with headless Chromium; it says how to install Chromium if it is missing.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ganz.core.paths import ROOT

DEFAULT_HTML = ROOT / "book" / "_build" / "html"
TOC_FILES = (ROOT / "_toc.yml", ROOT / "book" / "_toc.yml")
FIGURE_PAGE = re.compile(r"(^|/)(fig\d+|training)$")
EXCEPTION = re.compile(r"\b[A-Z]\w*(Error|Exception|Interrupt):")
WARNING = re.compile(r"\b[A-Z]\w*Warning\b")
TRACEBACK = "Traceback (most recent call last)"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_HELP = ("chromium not found: install it (Debian/Ubuntu: `apt-get install -y chromium`) "
                 "or point $CHROMIUM at a Chromium/Chrome binary")


# ---------------------------------------------------------------------------- table of contents

_TOC_ENTRY = re.compile(r"^\s*(?:-\s*)?(?:root|file)\s*:\s*['\"]?([^'\"#\s]+)")


def toc_pages(toc: Path | None = None) -> list[str]:
    """Document names (``notebooks/fig2``) in a Jupyter Book ``_toc.yml``, in order."""
    path = toc or next((p for p in TOC_FILES if p.is_file()), None)
    if path is None or not path.is_file():
        raise FileNotFoundError(f"no _toc.yml found (looked for {', '.join(map(str, TOC_FILES))})")
    pages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _TOC_ENTRY.match(line)
        if m:
            name = re.sub(r"\.(md|ipynb|rst)$", "", m.group(1))
            if name not in pages:
                pages.append(name)
    return pages


# ---------------------------------------------------------------------------- HTML scanning

ABS_PATH = re.compile(r"(?<![\w.:/~-])(?:/(?:home|Users|work|tmp|root|mnt|srv|opt|var|data)/"
                      r"[\w.+-]+|[A-Za-z]:\\[\w.+-]+\\|file://)")
BAD_CELL = re.compile(r"^(nan|NaN|<NA>|None|NaT)$")
TRUNCATED = re.compile(r"\d+\s+rows\s+×\s+\d+\s+columns")
EXTERNAL = re.compile(r"^(https?:)?//", re.I)
IMAGE_PATH = re.compile(r"(^|/)[\w.-]+\.(png|jpe?g|svg|gif|webp)$", re.I)


@dataclass
class PageScan:
    images: list[str] = field(default_factory=list)
    outputs: list[tuple[frozenset[str], str]] = field(default_factory=list)  # (classes, text)
    alts: list[tuple[str, str | None]] = field(default_factory=list)  # (src, alt)
    cells: list[str] = field(default_factory=list)  # text of every table cell
    external: list[str] = field(default_factory=list)  # scripts/stylesheets from outside the site
    inline_urls: list[str] = field(default_factory=list)  # external URLs named in inline scripts
    text: list[str] = field(default_factory=list)  # visible text (no script/style)
    verdict: list[str] | None = None  # text of the "Verdict" section, if any


class _Scanner(HTMLParser):
    """Collects <img> sources and the text of notebook output blocks (with their classes)."""

    _TRACKED = {"div", "pre", "section", "details"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = PageScan()
        self._stack: list[tuple[str, frozenset[str]]] = []
        self._output_depth: int | None = None
        self._output_classes: frozenset[str] = frozenset()
        self._text: list[str] = []

    _skip = 0  # inside <script>/<style>
    _cell: list[str] | None = None
    _verdict_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.scan.images.append(a.get("src") or "")
            self.scan.alts.append((a.get("src") or "", a.get("alt")))
            return
        if tag in ("script", "style"):
            self._skip += 1
            if tag == "script" and a.get("src") and EXTERNAL.match(a["src"]):
                self.scan.external.append(f"script {a['src']}")
            return
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and \
                EXTERNAL.match(a.get("href") or ""):
            self.scan.external.append(f"stylesheet {a['href']}")
        if tag in ("td", "th"):
            self._cell = []
        if tag == "section" and (a.get("id") or "").startswith("verdict"):
            self.scan.verdict = []
            self._verdict_depth = len(self._stack) + 1
        if tag not in self._TRACKED:
            return
        classes = frozenset((a.get("class") or "").split())
        self._stack.append((tag, classes))
        if self._output_depth is None and tag == "div" and "output" in classes:
            self._output_depth = len(self._stack)
            self._output_classes = classes
            self._text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("img", "link"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(self._skip - 1, 0)
            return
        if tag in ("td", "th") and self._cell is not None:
            self.scan.cells.append("".join(self._cell).strip())
            self._cell = None
        if tag == "section" and self._verdict_depth is not None \
                and len(self._stack) <= self._verdict_depth:
            self._verdict_depth = None
        if tag not in self._TRACKED or not self._stack:
            return
        # pop to the matching tag (tolerates sloppy nesting)
        while self._stack:
            t, _ = self._stack.pop()
            if self._output_depth is not None and len(self._stack) < self._output_depth:
                self.scan.outputs.append((self._output_classes, "".join(self._text)))
                self._output_depth = None
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            self.scan.inline_urls += re.findall(r"https?://[^\s\"'<>]+\.js\b", data)
            return
        self.scan.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._verdict_depth is not None and self.scan.verdict is not None:
            self.scan.verdict.append(data)
        if self._output_depth is not None:
            self._text.append(data)


def scan_page(path: Path) -> PageScan:
    parser = _Scanner()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser.scan


def _resolve(src: str, page: Path, root: Path) -> Path | None:
    """The local file an <img src> points at, or None for data:/remote URLs."""
    parts = urlsplit(src)
    if parts.scheme in ("data", "http", "https") or src.startswith("//"):
        return None
    target = unquote(parts.path)
    if parts.scheme == "file":
        return Path(target)
    return (root / target.lstrip("/")) if target.startswith("/") else (page.parent / target)


def page_problems(scan: PageScan, figure_page: bool | object = False) -> list[str]:
    """The reader-facing problems of one scanned page (see the module docstring)."""
    out = []
    for src, alt in scan.alts:
        text = (alt or "").strip()
        if not text or text == src or IMAGE_PATH.search(text):
            out.append(f"image {src} has no meaningful alt text ({alt!r})")
    for cell in scan.cells:
        if BAD_CELL.match(cell):
            out.append(f"table cell shows {cell!r} (use a dash with a footnote)")
            break
    for cell in scan.cells:
        if "…" in cell or cell.endswith("..."):
            out.append(f"table cell cut short: {cell[:80]!r}")
            break
    body = " ".join(scan.text)
    m = TRUNCATED.search(body)
    if m:
        out.append(f"truncated table dump ({m.group(0)}): show it whole or offer a CSV")
    out += [f"loads from outside the site: {e}" for e in scan.external]
    paths = sorted(set(ABS_PATH.findall(body)))
    if paths:
        out.append(f"absolute path(s) in the page: {', '.join(paths[:3])}")
    if figure_page:
        verdict = " ".join(scan.verdict or []).replace("Verdict", "").strip()
        if scan.verdict is None:
            out.append("figure page has no Verdict section")
        elif len(verdict) < 40 or not re.search(r"\d", verdict):
            out.append(f"figure page's verdict is empty or has no numbers: {verdict[:80]!r}")
    return out


def check_book(html_dir: Path, pages: list[str]) -> tuple[list[str], list[str]]:
    """Problems (fail) and notes (informational) for the rendered pages."""
    problems: list[str] = []
    notes: list[str] = []
    if not html_dir.is_dir():
        return [f"{html_dir}: no such directory (build the book first: "
                f"jupyter-book build book/ -W)"], notes
    on_demand: set[str] = set()
    for name in pages:
        page = html_dir / f"{name}.html"
        if not page.is_file():
            problems.append(f"{name}: page missing ({page} not found)")
            continue
        scan = scan_page(page)
        for src in scan.images:
            if not src:
                problems.append(f"{name}: <img> without src")
                continue
            target = _resolve(src, page, html_dir)
            if target is not None and not target.is_file():
                problems.append(f"{name}: image {src} does not exist")
        if FIGURE_PAGE.search(name) and not scan.images:
            problems.append(f"{name}: figure page has no image")
        problems += [f"{name}: {p}" for p in page_problems(scan, FIGURE_PAGE.search(name))]
        on_demand.update(scan.inline_urls)
        for classes, text in scan.outputs:
            first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
            if "traceback" in classes or "error" in classes:
                problems.append(f"{name}: error output: {first[:160]}")
            elif TRACEBACK in text:
                problems.append(f"{name}: output contains a traceback: {first[:160]}")
            elif "stderr" in classes:
                exc = EXCEPTION.search(text)
                if exc:
                    line = next(ln for ln in text.splitlines() if exc.group(0) in ln)
                    problems.append(f"{name}: stderr reports an exception: {line.strip()[:160]}")
                elif WARNING.search(text):
                    line = next(ln for ln in text.splitlines() if WARNING.search(ln))
                    notes.append(f"{name}: stderr warning: {line.strip()[:160]}")
    notes += [f"an inline script names an external script, fetched only on demand (never at "
              f"page load): {u}" for u in sorted(on_demand)]
    return problems, notes


# ---------------------------------------------------------------------------- screenshots

def find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env:
        return env if (Path(env).is_file() or shutil.which(env)) else None
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def screenshot(chromium: str, page: Path, out: Path, timeout: float = 90.0) -> str | None:
    """Save a PNG of ``page``; returns an error message or None."""
    with tempfile.TemporaryDirectory(prefix="ganz-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--hide-scrollbars", "--virtual-time-budget=3000",
               "--window-size=1200,9000", f"--user-data-dir={profile}", f"--screenshot={out}",
               page.resolve().as_uri()]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"chromium timed out after {timeout:.0f} s"
        if not out.is_file() or out.stat().st_size == 0:
            lines = (res.stderr or res.stdout).strip().splitlines()
            last = lines[-1] if lines else f"exit {res.returncode}"
            return f"no screenshot written ({last[:160]})"
    return None


def take_screenshots(html_dir: Path, pages: list[str], outdir: Path) -> list[str]:
    chromium = find_chromium()
    if chromium is None:
        return [CHROMIUM_HELP]
    outdir.mkdir(parents=True, exist_ok=True)
    problems = []
    for name in pages:
        page = html_dir / f"{name}.html"
        if not page.is_file():
            continue  # already reported by the checks
        out = outdir / (name.replace("/", "__") + ".png")
        err = screenshot(chromium, page, out)
        if err:
            problems.append(f"{name}: screenshot failed: {err}")
        else:
            print(f"screenshot: {out}")
    return problems


# ---------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bookcheck",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("html_dir", nargs="?", type=Path, default=DEFAULT_HTML,
                    help=f"built HTML (default {DEFAULT_HTML.relative_to(ROOT)})")
    ap.add_argument("--toc", type=Path, help="_toc.yml (default: the project's)")
    ap.add_argument("--screenshots", type=Path, metavar="OUTDIR",
                    help="also save a screenshot of every page here (headless Chromium)")
    args = ap.parse_args(argv)
    try:
        pages = toc_pages(args.toc)
    except FileNotFoundError as e:
        print(e)
        return 1
    problems, notes = check_book(args.html_dir, pages)
    if args.screenshots is not None:
        problems += take_screenshots(args.html_dir, pages, args.screenshots)
    for note in notes:
        print(f"note: {note}")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"bookcheck: {len(pages)} pages OK in {args.html_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
