"""A small Sphinx extension for the GANZ book (``_config.yml``: ``sphinx.local_extensions``).

* **The build's commit on every page**: the page footer names the commit the book was built from
  (``git rev-parse HEAD`` of the source tree, or ``$GANZ_BOOK_COMMIT`` where the tree has no git),
  marked when the tree had uncommitted changes, and links it where the repository's address is
  set (``sphinx.config.ganz_repository_url`` or ``$GANZ_REPOSITORY_URL``; Jupyter Book's own
  default ``repository.url``, its project's address, is not ours and is ignored).
* **No script twice**: sphinx-thebe and sphinx-togglebutton add their inline configuration
  scripts once more on each build (``const THEBE_JS_URL`` declared twice is a JavaScript error
  on every page); a page's scripts are kept once each, in order.
* **Click to enlarge**: every picture of a page is a link to its full-size file, so a grid drawn
  wider than the page can be read at its own resolution.
"""
from __future__ import annotations

import html
import os
import posixpath
import subprocess
from pathlib import Path

from docutils import nodes

ENLARGE_CLASS = "ganz-enlarge"


def _git(args: list[str], cwd: Path) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def build_commit(srcdir: Path) -> tuple[str, bool]:
    """(commit, uncommitted changes?) of the tree the book is built from; ("", False) if unknown."""
    env = os.environ.get("GANZ_BOOK_COMMIT", "").strip()
    if env:
        return env, False
    commit = _git(["rev-parse", "HEAD"], srcdir)
    if not commit:
        return "", False
    dirty = bool(_git(["status", "--porcelain", "--untracked-files=no"], srcdir))
    return commit, dirty


def footer_html(commit: str, dirty: bool, repository_url: str = "") -> str:
    """The footer line naming the build's commit (and the repository, where one is set)."""
    if not commit:
        return "Built from a source tree without git history: commit unknown."
    short = html.escape(commit[:12])
    url = repository_url.rstrip("/")
    code = f"<code>{short}</code>"
    if url:
        code = f'<a href="{html.escape(url)}/tree/{html.escape(commit)}">{code}</a>'
    text = f"Built from commit {code}"
    if dirty:
        text += " with uncommitted changes"
    if url:
        text += f' of <a href="{html.escape(url)}">{html.escape(url)}</a>'
    return f'<p class="ganz-build">{text}.</p>'


def _on_builder_inited(app) -> None:
    commit, dirty = build_commit(Path(app.srcdir))
    url = os.environ.get("GANZ_REPOSITORY_URL", "") or app.config.ganz_repository_url or ""
    app.config.ganz_footer = footer_html(commit, dirty, url)
    builder = app.builder
    if not hasattr(builder, "post_process_images"):
        return
    original = builder.post_process_images

    def post_process_images(doctree) -> None:
        original(doctree)
        _link_images(builder, doctree)

    builder.post_process_images = post_process_images


def _link_images(builder, doctree) -> None:
    """Wrap each picture not already in a link in one to its full-size file (as Sphinx does for
    scaled images, whose code this follows)."""
    images = getattr(builder, "images", {})
    imgpath = getattr(builder, "imgpath", "_images")
    for node in list(doctree.findall(nodes.image)):
        if isinstance(node.parent, nodes.reference) or "no-scaled-link" in node["classes"]:
            continue
        uri = node["uri"]
        if uri.startswith("data:"):
            continue
        target = posixpath.join(imgpath, images[uri]) if uri in images else uri
        ref = nodes.reference("", "", internal=True, refuri=target,
                              reftitle="Open the picture at full size", classes=[ENLARGE_CLASS])
        node.replace_self(ref)
        ref.append(node)


def _script_key(js) -> tuple:
    filename = getattr(js, "filename", js) or ""
    attrs = getattr(js, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attrs.items())))


def unique_scripts(scripts: list) -> list:
    """``scripts`` with each (file, attributes, inline body) kept once, first occurrence first."""
    seen, out = set(), []
    for js in scripts:
        key = _script_key(js)
        if key in seen:
            continue
        seen.add(key)
        out.append(js)
    return out


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = unique_scripts(list(context["script_files"]))
    footer = getattr(app.config, "ganz_footer", "")
    if footer:
        context["theme_extra_footer"] = footer


def setup(app):
    app.add_config_value("ganz_footer", "", "html")
    app.add_config_value("ganz_repository_url", "", "html")
    app.connect("builder-inited", _on_builder_inited)
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
