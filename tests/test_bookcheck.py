"""tools.bookcheck on a tiny hand-made HTML tree (no book build needed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ganz.report import stamp
from tools import bookcheck

TOC = """format: jb-book
root: intro
chapters:
  - file: notebooks/fig2
  - file: notebooks/summary.ipynb
"""
PNG = b"\x89PNG\r\n\x1a\n"
INPUTS = {"package": "p1", "results": "r1", "data": "d1"}
STAMP = stamp.Stamp(INPUTS)._repr_html_()
FOOTER = '<footer><p class="ganz-build">Built from commit <code>0123456789ab</code>.</p></footer>'


@pytest.fixture(autouse=True)
def _inputs(monkeypatch):
    """The inputs as the check sees them (not this machine's package and results)."""
    monkeypatch.setattr(stamp, "fingerprint", lambda: dict(INPUTS))


def _page(body: str, footer: bool = True) -> str:
    return f"<html><body>{STAMP}{body}{FOOTER if footer else ''}</body></html>"


def _book(tmp_path: Path, fig2: str, summary: str = "<p>ok</p>") -> tuple[Path, Path]:
    toc = tmp_path / "_toc.yml"
    toc.write_text(TOC)
    html = tmp_path / "html"
    (html / "notebooks").mkdir(parents=True, exist_ok=True)
    (html / "_images").mkdir(exist_ok=True)
    (html / "_images" / "a.png").write_bytes(PNG)
    (html / "intro.html").write_text(_page("<p>intro</p>"))
    (html / "notebooks" / "fig2.html").write_text(_page(fig2))
    (html / "notebooks" / "summary.html").write_text(_page(summary))
    return toc, html


VERDICT = ('<section id="verdict"><h2>Verdict</h2><p><strong>Reproduces:</strong> the wavelet '
           'beats GANZ by 12.9 to 21.2 dB.</p></section>')
GOOD_FIG = ('<div class="cell_output docutils container"><div class="output stream '
            'highlight-myst-ansi"><pre>profile: smoke</pre></div>'
            '<img alt="PSNR against ratio, one panel per split" src="../_images/a.png" />'
            '<div class="ganz-table"><table><tr><th>PSNR (dB)</th></tr><tr><td>—</td></tr>'
            '</table></div></div>' + VERDICT)


def test_toc_pages(tmp_path):
    toc, _ = _book(tmp_path, GOOD_FIG)
    assert bookcheck.toc_pages(toc) == ["intro", "notebooks/fig2", "notebooks/summary"]


def test_good_book_passes(tmp_path, capsys):
    toc, html = _book(tmp_path, GOOD_FIG)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 0
    assert "3 pages OK" in capsys.readouterr().out


def test_problems_are_reported_one_per_line(tmp_path, capsys):
    bad = ('<img src="../_images/missing.png"/>'
           '<div class="output stderr"><pre>Traceback (most recent call last):\n'
           'ValueError: boom</pre></div>')
    toc, html = _book(tmp_path, bad, summary='<div class="output traceback"><pre>x</pre></div>')
    (html / "intro.html").unlink()
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert any(l.startswith("intro: page missing") for l in out)
    assert any("missing.png does not exist" in l for l in out)
    assert any("notebooks/fig2: output contains a traceback" in l for l in out)
    assert any("notebooks/summary: error output" in l for l in out)


def test_figure_page_without_image_and_stderr_exception(tmp_path, capsys):
    fig = '<div class="output stderr"><pre>RuntimeError: bad thing</pre></div>'
    toc, html = _book(tmp_path, fig)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    out = capsys.readouterr().out
    assert "figure page has no image" in out
    assert "stderr reports an exception: RuntimeError: bad thing" in out


def test_warnings_are_notes_not_failures(tmp_path, capsys):
    fig = GOOD_FIG + '<div class="output stderr"><pre>x.py:1: UserWarning: meh</pre></div>'
    toc, html = _book(tmp_path, fig)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 0
    assert "note: notebooks/fig2: stderr warning" in capsys.readouterr().out


def test_missing_chromium_is_explained(tmp_path, monkeypatch, capsys):
    toc, html = _book(tmp_path, GOOD_FIG)
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-browser"))
    rc = bookcheck.main([str(html), "--toc", str(toc), "--screenshots", str(tmp_path / "s")])
    assert rc == 1
    assert "apt-get install -y chromium" in capsys.readouterr().out


def _problems(tmp_path, capsys, fig: str, summary: str = "<p>ok</p>") -> str:
    toc, html = _book(tmp_path, fig, summary)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    return capsys.readouterr().out


def test_truncated_and_missing_cells_fail(tmp_path, capsys):
    table = ('<table><tr><td>the wavelet (as in the code) beats GANZ for ev…</td>'
             '<td>NaN</td><td>&lt;NA&gt;</td></tr></table><p>81 rows × 8 columns</p>')
    out = _problems(tmp_path, capsys, GOOD_FIG, summary=table)
    assert "notebooks/summary: table cell cut short" in out
    assert "notebooks/summary: table cell shows 'NaN'" in out
    assert "notebooks/summary: truncated table dump (81 rows × 8 columns)" in out


def test_external_scripts_and_stylesheets_fail(tmp_path, capsys):
    page = ('<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>'
            '<link rel="stylesheet" href="//fonts.example.com/a.css"/>'
            '<script src="../_static/mathjax/tex-chtml.js"></script>')
    out = _problems(tmp_path, capsys, GOOD_FIG + page)
    assert "loads from outside the site: script https://cdn.jsdelivr.net" in out
    assert "loads from outside the site: stylesheet //fonts.example.com/a.css" in out
    assert "_static/mathjax" not in out


def test_on_demand_script_urls_are_notes(tmp_path, capsys):
    page = GOOD_FIG + '<script>const THEBE_JS_URL = "https://unpkg.com/thebe/index.js";</script>'
    toc, html = _book(tmp_path, page)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 0
    assert "fetched only on demand" in capsys.readouterr().out


def test_absolute_paths_fail(tmp_path, capsys):
    out = _problems(tmp_path, capsys, GOOD_FIG,
                    summary="<p>no CelebA images found under /work/shared/data/celeba</p>")
    assert "notebooks/summary: absolute path(s) in the page: /work/shared" in out


def test_figure_page_needs_a_verdict_with_numbers(tmp_path, capsys):
    out = _problems(tmp_path, capsys, GOOD_FIG.replace(VERDICT, ""))
    assert "notebooks/fig2: figure page has no Verdict section" in out
    empty = GOOD_FIG.replace(VERDICT, '<section id="verdict"><h2>Verdict</h2><p></p></section>')
    (tmp_path / "b").mkdir()
    out = _problems(tmp_path / "b", capsys, empty)
    assert "verdict is empty or has no numbers" in out


def test_alt_text_must_not_be_a_path(tmp_path, capsys):
    out = _problems(tmp_path, capsys, GOOD_FIG.replace(
        'alt="PSNR against ratio, one panel per split"', 'alt="_images/a.png"'))
    assert "has no meaningful alt text" in out


SECTION = ('<section id="whole-commands"><h2>Whole commands<a class="headerlink">#</a></h2>'
           '<p>A user runs a command.</p><div class="cell docutils container">'
           '<div class="cell_input docutils container"><pre>x</pre></div>'
           '<div class="cell_output docutils container">{out}</div></div></section>')


def test_a_section_that_runs_code_must_show_something(tmp_path, capsys):
    log_only = SECTION.format(out='<div class="output stream"><pre>source: a.csv</pre></div>')
    toc, html = _book(tmp_path, GOOD_FIG, summary=log_only)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    assert "section 'Whole commands' runs code but shows no table" in capsys.readouterr().out
    for shown in ('<div class="output text_html"><table><tr><td>1</td></tr></table></div>',
                  "<p class='ganz-table-missing'>Not shown: none recorded.</p>",
                  "<p>a Markdown result</p>"):
        toc, html = _book(tmp_path, GOOD_FIG, summary=SECTION.format(out=shown))
        assert bookcheck.main([str(html), "--toc", str(toc)]) == 0


def test_prose_pointing_at_a_missing_table_fails(tmp_path, capsys):
    prose = '<section id="cost"><h2>Cost</h2><p>The table below gives the FLOPs.</p></section>'
    toc, html = _book(tmp_path, GOOD_FIG, summary=prose)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    assert "says 'The table below' but has no table" in capsys.readouterr().out


def _fig_with_verdict(by_how_much: str, each: str = "") -> str:
    table = ('<div class="ganz-table"><table><tr><th>profile</th><th>adapter</th><th>method</th>'
             '<th>images</th><th>ours − paper (dB)</th></tr>'
             '<tr><td>paper</td><td>random_linear</td><td>ganz</td><td>20</td><td>-4.12</td></tr>'
             '<tr><td>paper</td><td>random_linear</td><td>ganz</td><td>20</td><td>-1.02</td></tr>'
             '<tr><td>paper</td><td>keep_linear</td><td>ganz</td><td>20</td><td>2.27</td></tr>'
             '<tr><td>cpu-small</td><td>random_linear</td><td>ganz</td><td>8</td><td>-8.90</td></tr>'
             '</table></div>')
    verdict = ('<section id="verdict"><h2>Verdict</h2><p><em>Resting on profile paper: 64×64.</em>'
               f'</p><p><strong>Reproduces:</strong> the wavelet wins{each}.</p>'
               f'<p><strong>By how much:</strong> {by_how_much}</p><p>Most likely reason: x.</p>'
               '<p><strong>Secondary comparison, profile cpu-small:</strong> -8.9 to -8.9 dB '
               'from the paper.</p></section>')
    return ('<img alt="PSNR against ratio, one panel per split" src="../_images/a.png" />'
            + table + verdict)


def test_verdict_numbers_must_match_its_table(tmp_path, capsys):
    good = _fig_with_verdict("our GANZ PSNR is -4.1 to -1.0 dB from the paper's values.",
                             " (20 pictures each)")
    toc, html = _book(tmp_path, good)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 0
    bad = _fig_with_verdict("our GANZ PSNR is -4.1 to +2.3 dB from the paper's values "
                            "(-3.0 dB).", " (8 pictures each)")
    toc, html = _book(tmp_path, bad)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    out = capsys.readouterr().out
    assert "verdict says -4.1 to +2.3 dB from the paper, its table has -4.12 to -1.02 dB" in out
    assert "verdict's difference -3.0 dB is not in its table" in out
    assert "verdict says 8 pictures each; its table counts [20]" in out


CODE = ('<section id="t"><h1>Title</h1><div class="cell docutils container">'
        '<div class="cell_input docutils container"><pre>x</pre></div></div></section>')


def test_a_page_run_with_other_inputs_is_stale(tmp_path, capsys):
    toc, html = _book(tmp_path, GOOD_FIG, summary=CODE)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 0  # its stamp is the inputs'
    other = stamp.Stamp({**INPUTS, "data": "d0"})._repr_html_()  # run before the data came
    (html / "notebooks" / "summary.html").write_text(
        f"<html><body>{other}{CODE}{FOOTER}</body></html>")
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    out = capsys.readouterr().out
    assert "notebooks/summary: stale: it ran with other data than this build has" in out
    assert "(page data d0; now data d1)" in out and "package" not in out.split("stale")[1][:40]
    (html / "notebooks" / "summary.html").write_text(f"<html><body>{CODE}{FOOTER}</body></html>")
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    assert "does not show the inputs it ran with" in capsys.readouterr().out


def test_each_script_once_and_the_build_commit_on_every_page(tmp_path, capsys):
    twice = ('<script>const THEBE_JS_URL = "x";</script><script src="_static/a.js?v=1"></script>'
             '<script>const THEBE_JS_URL = "x";</script><script src="_static/a.js?v=1"></script>')
    toc, html = _book(tmp_path, GOOD_FIG, summary=twice)
    (html / "intro.html").write_text(_page("<p>intro</p>", footer=False))
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    out = capsys.readouterr().out
    assert "notebooks/summary: loads inline script 'const THEBE_JS_URL = \"x\";' twice" in out
    assert "notebooks/summary: loads _static/a.js twice" in out
    assert "intro: its footer does not name the commit" in out


def test_long_tables_and_missing_figures_fail(tmp_path, capsys):
    rows = "".join(f"<tr><td>{i}</td></tr>" for i in range(bookcheck.MAX_TABLE_ROWS + 1))
    long = f"<table><tr><th>n</th></tr>{rows}</table>"
    prose = ('<section id="look"><h2>Look</h2><p>The pictures below show every face.</p>'
             '<table><tr><td>1</td></tr></table></section>')
    toc, html = _book(tmp_path, GOOD_FIG, summary=long + prose)
    assert bookcheck.main([str(html), "--toc", str(toc)]) == 1
    out = capsys.readouterr().out
    assert f"a table of {bookcheck.MAX_TABLE_ROWS + 1} rows (over {bookcheck.MAX_TABLE_ROWS})" in out
    assert "section 'Look' says 'The pictures below' but shows no picture" in out


def test_console_errors_are_read_from_chromiums_log():
    log = ('[1:1:1206/141407.446715:WARNING:media/gpu/vaapi_wrapper.cc:1655] drm\n'
           '[1:1:1206/141407.896908:INFO:CONSOLE:63] "Uncaught SyntaxError: Identifier '
           "'THEBE_JS_URL' has already been declared\", source: file:///b/html/intro.html (63)\n"
           '[1:1:1206/141408.274077:INFO:CONSOLE:1] "[PST]: Changed to auto mode using the light '
           'theme.", source: file:///b/html/_static/scripts/pydata-sphinx-theme.js (1)\n')
    errors = bookcheck.console_errors(log)
    assert errors == ["Uncaught SyntaxError: Identifier 'THEBE_JS_URL' has already been declared "
                      "(intro.html)"]
