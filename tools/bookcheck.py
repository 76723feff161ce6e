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
* each figure page ends with a verdict: a section ``Verdict`` with numbers in it;
* nothing is silently missing: a section with code cells shows a table, a picture or a note
  saying why not (a line of provenance alone does not count), and prose that points at a table
  ("the table below", "the tables below", "the following table") has one in its section;
* a figure verdict's numbers agree with its "paper vs ours" table: every ``X to Y dB`` range and
  single signed difference in its "By how much" paragraph (the verdict's own profile) is the
  min and max of, or a value in, the table's "ours − paper (dB)" column for GANZ rows of that
  profile (±0.05 dB, the rounding), and every "N pictures each" is a count in its images column;
* nothing stale: a page that runs code carries the inputs it ran with (``ganz.report.stamp``:
  one hash each for the package, the recorded results and the data present) and they equal the
  inputs as this check sees them, so a page left in Jupyter's cache from other inputs (say a
  build without the images, then one with them) fails;
* prose that points at a figure ("the figure below", "the plot below", "the pictures below")
  has a picture in its section, as prose pointing at a table has a table;
* no table longer than ``MAX_TABLE_ROWS`` rows (summarise it and link the whole as a CSV);
* every page names the commit the book was built from (its footer) and loads each script once
  (a script declared twice is a console error on every page).

It prints one line per problem and exits 1 if there are any (warnings printed on stderr by a
notebook are listed as notes and do not fail the check).

``python -m tools.bookcheck --screenshots OUTDIR [HTML_DIR]`` also saves a PNG of every page,
taken with headless Chromium in a window 1280 px wide, and fails on a page that logs a console
error while loading; it says how to install Chromium if it is missing.
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
    tables: list[list[list[str]]] = field(default_factory=list)  # rows of cells, per <table>
    sections: list["Section"] = field(default_factory=list)  # closed <section>s, innermost first
    stamps: list[dict[str, str]] = field(default_factory=list)  # ganz.report.stamp's data-* attrs
    scripts: list[str] = field(default_factory=list)  # "src:<url>" or "body:<inline code>"
    build_commit: bool = False  # the footer names the build's commit


@dataclass
class Section:
    """What one ``<section>`` shows directly (not counting its subsections)."""

    id: str
    title: str = ""
    level: int = 0  # its heading's level (1 for the page's title)
    cells: int = 0  # notebook code cells
    shown: int = 0  # tables, pictures and "not shown" notes
    pictures: int = 0  # <img>s
    prose: list[str] = field(default_factory=list)  # text outside code cells and tables


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
    _heading: list[str] | None = None
    _table_depth = 0
    _code_depth: int | None = None  # stack depth of the open notebook code cell
    _result_depth: int | None = None  # stack depth of the open cell output container

    @property
    def _sections(self) -> list[Section]:
        if not hasattr(self, "_open_sections"):
            self._open_sections: list[Section] = []
        return self._open_sections

    _script: list[str] | None = None  # the inline code of the open <script>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes_here = set((a.get("class") or "").split())
        if "ganz-inputs" in classes_here:
            self.scan.stamps.append({k.removeprefix("data-"): v or "" for k, v in a.items()
                                     if k.startswith("data-")})
        if "ganz-build" in classes_here:
            self.scan.build_commit = True
        if tag == "img":
            self.scan.images.append(a.get("src") or "")
            self.scan.alts.append((a.get("src") or "", a.get("alt")))
            if self._sections:
                self._sections[-1].pictures += 1
            return
        if tag in ("script", "style"):
            self._skip += 1
            if tag == "script" and a.get("src") and EXTERNAL.match(a["src"]):
                self.scan.external.append(f"script {a['src']}")
            if tag == "script" and a.get("type", "text/javascript") in ("text/javascript", "module"):
                if a.get("src"):
                    self.scan.scripts.append(f"src:{a['src'].split('?')[0]}")
                else:
                    self._script = []
            return
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and \
                EXTERNAL.match(a.get("href") or ""):
            self.scan.external.append(f"stylesheet {a['href']}")
        if tag == "table":
            self._table_depth += 1
            self.scan.tables.append([])
            if self._sections:
                self._sections[-1].shown += 1
        if tag == "tr" and self.scan.tables and self._table_depth:
            self.scan.tables[-1].append([])
        if tag in ("td", "th"):
            self._cell = []
        if self._sections and (tag == "img" or "ganz-table-missing" in classes_here or (
                self._result_depth is not None and tag in ("p", "ul", "ol", "figure"))):
            self._sections[-1].shown += 1  # a rendered result (Markdown output counts; a log line not)
        if tag in ("h1", "h2", "h3", "h4") and self._sections and not self._sections[-1].title:
            self._heading = []
            self._sections[-1].level = int(tag[1])
        if tag == "section":
            self._sections.append(Section(a.get("id") or ""))
        if tag == "section" and (a.get("id") or "").startswith("verdict"):
            self.scan.verdict = []
            self._verdict_depth = len(self._stack) + 1
        if tag not in self._TRACKED:
            return
        classes = frozenset((a.get("class") or "").split())
        self._stack.append((tag, classes))
        if tag == "div" and "cell" in classes and self._code_depth is None:
            self._code_depth = len(self._stack)
            if self._sections:
                self._sections[-1].cells += 1
        if tag == "div" and "cell_output" in classes and self._result_depth is None:
            self._result_depth = len(self._stack)
        if self._output_depth is None and tag == "div" and "output" in classes:
            self._output_depth = len(self._stack)
            self._output_classes = classes
            self._text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("img", "link"):
            self.handle_starttag(tag, attrs)

    def close(self) -> None:
        super().close()
        while self._sections:
            self.scan.sections.append(self._sections.pop())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(self._skip - 1, 0)
            if tag == "script" and self._script is not None:
                body = "".join(self._script).strip()
                if body:
                    self.scan.scripts.append(f"body:{body}")
                self._script = None
            return
        if tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell).strip()
            self.scan.cells.append(text)
            if self._table_depth and self.scan.tables and self.scan.tables[-1]:
                self.scan.tables[-1][-1].append(text)
            self._cell = None
        if tag == "table":
            self._table_depth = max(self._table_depth - 1, 0)
        if tag in ("h1", "h2", "h3", "h4") and self._heading is not None and self._sections:
            self._sections[-1].title = "".join(self._heading).replace("#", "").strip()
            self._heading = None
        if tag == "section" and self._sections:
            self.scan.sections.append(self._sections.pop())
        if tag == "section" and self._verdict_depth is not None \
                and len(self._stack) <= self._verdict_depth:
            self._verdict_depth = None
        if tag not in self._TRACKED or not self._stack:
            return
        # pop to the matching tag (tolerates sloppy nesting)
        while self._stack:
            t, _ = self._stack.pop()
            if self._code_depth is not None and len(self._stack) < self._code_depth:
                self._code_depth = None
            if self._result_depth is not None and len(self._stack) < self._result_depth:
                self._result_depth = None
            if self._output_depth is not None and len(self._stack) < self._output_depth:
                self.scan.outputs.append((self._output_classes, "".join(self._text)))
                self._output_depth = None
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._skip:
            self.scan.inline_urls += re.findall(r"https?://[^\s\"'<>]+\.js\b", data)
            if self._script is not None:
                self._script.append(data)
            return
        self.scan.text.append(data)
        if self._heading is not None:
            self._heading.append(data)
        elif self._sections and self._code_depth is None and not self._table_depth:
            self._sections[-1].prose.append(data)
        if self._sections and "Not shown:" in data:
            self._sections[-1].shown += 1
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


TABLE_POINTER = re.compile(r"\b(?:the|these|two) tables? (?:below|beside)\b|\bthe following "
                           r"tables?\b|\btables? below\b", re.I)
FIGURE_POINTER = re.compile(r"\b(?:the|these|two) (?:figures?|plots?|pictures|grids?|curves) "
                            r"below\b|\bthe following (?:figures?|plots?|pictures)\b", re.I)
#: a table longer than this is a dump: the page shows a summary and links the whole as CSV
MAX_TABLE_ROWS = 40


def section_problems(scan: PageScan) -> list[str]:
    """Sections that run code but show nothing, or point at a table or figure they do not have;
    the page's title section (level 1: parameters, imports, provenance) is not asked to show a
    result."""
    out = []
    for sec in scan.sections:
        name = sec.title or sec.id
        prose = " ".join(sec.prose)
        fig = FIGURE_POINTER.search(prose)
        if fig and not sec.pictures:
            out.append(f"section {name!r} says {fig.group(0)!r} but shows no picture")
        if sec.shown:
            continue
        if sec.cells and sec.level > 1:
            out.append(f"section {name!r} runs code but shows no table, picture or result "
                       f"(show it, or a note saying why not)")
        elif TABLE_POINTER.search(prose):
            m = TABLE_POINTER.search(prose)
            out.append(f"section {name!r} says {m.group(0)!r} but has no table")
    return out


def long_tables(scan: PageScan, limit: int = MAX_TABLE_ROWS) -> list[str]:
    """Tables of more than ``limit`` body rows."""
    return [f"a table of {len(t) - 1} rows (over {limit}): summarise it on the page and link "
            f"the whole as a CSV" for t in scan.tables if len(t) - 1 > limit]


def page_build_problems(scan: PageScan) -> list[str]:
    """Each script once (a second declaration is a console error), the build's commit shown."""
    out = []
    seen: set[str] = set()
    for s in scan.scripts:
        if s in seen:
            what = s.removeprefix("src:") if s.startswith("src:") else \
                f"inline script {s.removeprefix('body:')[:60]!r}"
            out.append(f"loads {what} twice (a console error where it declares a constant)")
        seen.add(s)
    if not scan.build_commit:
        out.append("its footer does not name the commit the book was built from "
                   "(book/_ext/ganzbook.py)")
    return out


def stale_problems(scan: PageScan, inputs: dict[str, str]) -> list[str]:
    """A page that runs code must carry the inputs it ran with (``ganz.report.stamp``), equal
    to ``inputs``: else its output is left over from other inputs."""
    if not any(sec.cells for sec in scan.sections):
        return []
    if not scan.stamps:
        return ["runs code but does not show the inputs it ran with (add a remove-input cell "
                "with ganz.report.stamp.stamp())"]
    ran = scan.stamps[-1]
    changed = [k for k in inputs if ran.get(k) != inputs[k]]
    if not changed:
        return []
    was = ", ".join(f"{k} {ran.get(k) or '?'}" for k in changed)
    return [f"stale: it ran with other {', '.join(changed)} than this build has "
            f"(page {was}; now "
            f"{', '.join(f'{k} {inputs[k]}' for k in changed)}): rebuild with scripts/book.sh, "
            f"which starts Jupyter's cache afresh when the inputs change (or check with the "
            f"build's GANZ_DATA and GANZ_RESULTS)"]


NUMBER = r"[+\-−]?\d+(?:\.\d+)?"
RANGE = re.compile(rf"({NUMBER}) to ({NUMBER}) dB")
SIGNED = re.compile(r"\(([+\-−]\d+\.\d+) dB")
EACH = re.compile(r"(\d+) pictures each")
ROUNDING = 0.051


def _num(text: str) -> float | None:
    try:
        return float(text.replace("−", "-").replace(",", ""))
    except ValueError:
        return None


def _compare_table(scan: PageScan, profile: str) -> tuple[list[float], set[int]] | None:
    """The differences (GANZ rows, trained layer excluded) and image counts of ``profile`` in the
    page's first "paper vs ours" table (a header "ours − paper (dB)")."""
    for table in scan.tables:
        if not table or "ours − paper (dB)" not in table[0]:
            continue
        head = table[0]
        col = {h: i for i, h in enumerate(head)}

        def cell(row: list[str], name: str, col: dict = col) -> str:
            return row[col[name]] if name in col and col[name] < len(row) else ""

        rows = [r for r in table[1:] if len(r) == len(head)
                and cell(r, "method") in ("ganz", "GANZ")
                and not {"keep_linear", "trained"} & {cell(r, "adapter"), cell(r, "first layer")}
                and (not cell(r, "profile") or cell(r, "profile") == profile)]
        deltas = [v for v in (_num(cell(r, "ours − paper (dB)")) for r in rows) if v is not None]
        counts = {int(v) for v in (_num(cell(r, "images")) for r in rows) if v is not None}
        return deltas, counts
    return None


def verdict_problems(scan: PageScan) -> list[str]:
    """A figure verdict's differences and counts against its "paper vs ours" table."""
    text = " ".join(scan.verdict or [])
    m = re.search(r"Resting on profile ([\w-]+)", text)
    if not m:
        return []
    own = text.split("Secondary comparison")[0]
    found = _compare_table(scan, m.group(1))
    if found is None:
        return []
    deltas, counts = found
    out = []
    how = re.search(r"By how much:(.*?)(?:Most likely reason|Reproduces|Does not|Too close|"
                    r"Partly|Not judged|$)", own, re.S)
    if how and deltas:
        para = how.group(1)
        if "from those labels" in para or "from the paper" in para:
            lo, hi = min(deltas), max(deltas)
            for a, b in RANGE.findall(para):
                x, y = _num(a), _num(b)
                if x is not None and y is not None and (
                        abs(x - lo) > ROUNDING or abs(y - hi) > ROUNDING):
                    out.append(f"verdict says {a} to {b} dB from the paper, its table has "
                               f"{lo:+.2f} to {hi:+.2f} dB")
        for a in SIGNED.findall(para):
            x = _num(a)
            if x is not None and not any(abs(x - d) <= ROUNDING for d in deltas):
                out.append(f"verdict's difference {a} dB is not in its table")
    for n in EACH.findall(own):
        if counts and int(n) not in counts:
            out.append(f"verdict says {n} pictures each; its table counts {sorted(counts)}")
    return out


def check_book(html_dir: Path, pages: list[str], inputs: dict[str, str] | None = None
               ) -> tuple[list[str], list[str]]:
    """Problems (fail) and notes (informational) for the rendered pages; ``inputs``: the
    package/results/data hashes the pages must have run with (default: as this process sees
    them, ``ganz.report.stamp.fingerprint()``)."""
    problems: list[str] = []
    notes: list[str] = []

    def current() -> dict[str, str]:
        nonlocal inputs
        if inputs is None:
            from ganz.report.stamp import fingerprint

            inputs = fingerprint()
        return inputs

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
        problems += [f"{name}: {p}" for p in section_problems(scan)]
        problems += [f"{name}: {p}" for p in long_tables(scan)]
        problems += [f"{name}: {p}" for p in page_build_problems(scan)]
        if any(sec.cells for sec in scan.sections):
            problems += [f"{name}: {p}" for p in stale_problems(scan, current())]
        if FIGURE_PAGE.search(name):
            problems += [f"{name}: {p}" for p in verdict_problems(scan)]
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


#: the window the screenshots are taken in: the book's reference width, and tall enough for a page
WINDOW = (1280, 26000)
CONSOLE = re.compile(r':CONSOLE[^\]]*\] "(.*)", source: (\S+)')
CONSOLE_ERROR = re.compile(r"Uncaught|Error\b|Failed to load|Refused to", re.I)


def screenshot(chromium: str, page: Path, out: Path, timeout: float = 90.0,
               window: tuple[int, int] = WINDOW) -> tuple[str | None, list[str]]:
    """Save a PNG of ``page`` in a ``window``-sized window; returns (an error message or None,
    the console errors the page logged while loading)."""
    with tempfile.TemporaryDirectory(prefix="ganz-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--hide-scrollbars", "--virtual-time-budget=3000",
               "--enable-logging=stderr", "--v=0",
               f"--window-size={window[0]},{window[1]}", f"--user-data-dir={profile}",
               f"--screenshot={out}", page.resolve().as_uri()]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"chromium timed out after {timeout:.0f} s", []
        console = console_errors(res.stderr)
        if not out.is_file() or out.stat().st_size == 0:
            lines = (res.stderr or res.stdout).strip().splitlines()
            last = lines[-1] if lines else f"exit {res.returncode}"
            return f"no screenshot written ({last[:160]})", console
    return None, console


def console_errors(log: str) -> list[str]:
    """The console messages of a Chromium log (``--enable-logging=stderr``) that are errors."""
    out = []
    for m in CONSOLE.finditer(log or ""):
        message, source = m.groups()
        if CONSOLE_ERROR.search(message):
            out.append(f"{message} ({source.rsplit('/', 1)[-1]})")
    return out


def take_screenshots(html_dir: Path, pages: list[str], outdir: Path) -> list[str]:
    """A PNG of every page at ``WINDOW`` width; a page that logs a console error fails."""
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
        err, console = screenshot(chromium, page, out)
        problems += [f"{name}: console error: {c[:200]}" for c in console]
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
