"""ganz.bookcheck on a tiny hand-made HTML tree (no book build needed)."""
from __future__ import annotations

from pathlib import Path

from ganz import bookcheck

TOC = """format: jb-book
root: intro
chapters:
  - file: notebooks/fig2
  - file: notebooks/summary.ipynb
"""
PNG = b"\x89PNG\r\n\x1a\n"


def _book(tmp_path: Path, fig2: str, summary: str = "<p>ok</p>") -> tuple[Path, Path]:
    toc = tmp_path / "_toc.yml"
    toc.write_text(TOC)
    html = tmp_path / "html"
    (html / "notebooks").mkdir(parents=True)
    (html / "_images").mkdir()
    (html / "_images" / "a.png").write_bytes(PNG)
    (html / "intro.html").write_text("<html><body><p>intro</p></body></html>")
    (html / "notebooks" / "fig2.html").write_text(f"<html><body>{fig2}</body></html>")
    (html / "notebooks" / "summary.html").write_text(f"<html><body>{summary}</body></html>")
    return toc, html


GOOD_FIG = ('<div class="cell_output docutils container"><div class="output stream '
            'highlight-myst-ansi"><pre>profile: smoke</pre></div>'
            '<img alt="_images/a.png" src="../_images/a.png" /></div>')


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
