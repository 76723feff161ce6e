"""Which profiles a figure page shows, and everything it shows once per profile.

The book leads with the ``paper`` profile (64×64 generators with the original code's layout and
recipe, trained and inverted on a lent GPU) wherever a GPU session has recorded a figure, and keeps
``cpu-small`` (32×32, CPU) beside it as the secondary comparison. A figure the paper profile has
not recorded yet falls back to ``cpu-small`` alone, and the page says so. Nothing here computes:
``load`` reads through ``recorded.load`` unless its caller passes a ``fetch`` that computes
(``ganz.pages``), and a missing paper result is the ``stale`` error that names the command
which would record it.

A notebook set to one profile (its ``profile`` parameter, or ``GANZ_PROFILE``, e.g. ``smoke``
under nbval) shows that profile alone.
"""
from __future__ import annotations

import io
import os
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib.image as mpimg
import pandas as pd

from ..core.errors import GanzError
from ..results.profiles import ExperimentResult, get_profile
from . import claims, pageparams, paper, recorded, tables, verdicts
from .figure import PAGE_PX, BookFigure

#: the profiles a figure page shows when none is set, the closer reproduction first
BOOK_PROFILES = ("paper", "cpu-small")


def book_profiles(profile: str | None = None) -> tuple[str, ...]:
    """The profiles to show: the one asked for (parameter or ``GANZ_PROFILE``), else the book's."""
    if profile or os.environ.get("GANZ_PROFILE"):
        return (get_profile(profile).name,)
    return BOOK_PROFILES


@dataclass
class Runs:
    """One figure's recorded results per profile (the first is the one the verdict rests on) and
    the profiles left out, each with the reason (e.g. the ``stale`` error naming the command)."""

    figure: str
    results: dict[str, ExperimentResult]
    missing: dict[str, str] = field(default_factory=dict)
    #: the page's parameters, normalised (``pageparams.normalise``)
    params: dict = field(default_factory=dict)

    @property
    def main(self) -> ExperimentResult:
        return next(iter(self.results.values()))

    @property
    def main_profile(self) -> str:
        return next(iter(self.results))

    def label(self, profile: str) -> str:
        """``profile `paper`: 64×64, `celeba64-d64`, NVIDIA H200`` (model and device as recorded)."""
        p = recorded.provenance(self.results[profile])
        size = get_profile(profile).image_size
        models = ", ".join(m["model"] for m in p["models"]) or "untrained smoke generator"
        return (f"profile {profile}: {size}×{size} images, {models}, "
                f"{', '.join(p['devices']) or 'device not recorded'}")

    def _missing_note(self) -> str:
        if not self.missing:
            return ""
        shown = self.main_profile
        why = "; ".join(self.missing.values())
        return (f"**Not shown:** this figure has no recorded result for profile "
                f"{', '.join(f'`{p}`' for p in self.missing)} yet ({why}). The page shows "
                f"`{shown}` alone.")

    def provenance(self, extra: str = ""):
        """Each shown profile's provenance block under its label, then the runs' note (once when
        they share it, e.g. images missing from this build) and what is not shown and why."""
        from IPython.display import Markdown

        notes = {name: _sentence(res.meta.get("note", "")) for name, res in self.results.items()}
        shared = next(iter(notes.values())) if len(set(notes.values())) == 1 else ""
        blocks = []
        for name, res in self.results.items():
            role = ("" if len(self.results) == 1 else
                    " (the verdict rests on it)" if name == self.main_profile else
                    " (secondary comparison)")
            label = self.label(name)
            blocks.append(f"**{label[:1].upper() + label[1:]}**{role}\n\n"
                          + recorded.provenance_md(recorded.provenance(res),
                                                   "" if shared else notes[name]))
        blocks += [f"**Note:** {shared}" if shared else "", _sentence(extra), self._missing_note()]
        return Markdown("\n\n".join(b for b in blocks if b))

    def pictures(self, draw: Callable[..., object]):
        """``draw(images, table)`` per profile (``pictures.figN_images``), see ``_stack``."""
        return self._stack({n: draw(r.images, r.table) for n, r in self.results.items()})

    def plot(self, draw: Callable[..., object], **kwargs):
        """``draw(table, **kwargs)`` per profile (``plots.figN``), see ``_stack``."""
        return self._stack({n: draw(r.table, **kwargs) for n, r in self.results.items()})

    def _stack(self, figs: dict[str, object]):
        return stack({self.label(name): fig for name, fig in figs.items()}, bool(self.missing))

    def table(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The results tables (``columns`` of them, default all), stacked under a leading
        ``profile`` column, the verdict's profile first."""
        return pd.concat([(r.table if columns is None else r.table[columns]).assign(profile=n)
                          for n, r in self.results.items()], ignore_index=True
                         ).pipe(lambda t: t[["profile", *[c for c in t if c != "profile"]]])

    def medians(self, rows: Sequence[str]) -> tables.Table:
        """Median PSNR (dB) per profile and ``rows`` (e.g. split and d_t), one column per method
        (GANZ's first layer named when it is not the random one), and the pictures per row;
        the tidy table, one row per picture, is the page's CSV."""
        from .figure import ADAPTER_LABELS, METHOD_LABELS, SPLIT_ORDER

        t = self.table()
        adapter = t["adapter"].fillna("") if "adapter" in t else pd.Series("", index=t.index)
        t["method"] = [METHOD_LABELS.get(m, m).split(" (")[0]
                       + ("" if a in ("", "random_linear") else f", {ADAPTER_LABELS.get(a, a)}")
                       for m, a in zip(t["method"], adapter)]
        keys = ["profile", *rows]
        wide = t.pivot_table(index=keys, columns="method", values="psnr", aggfunc="median",
                             sort=False).round(2)
        wide = wide[sorted(wide.columns, key=lambda c: (not c.startswith("GANZ"), c))]
        wide.columns = [f"{c} (dB)" for c in wide.columns]
        wide.insert(0, "pictures", t.groupby(keys, sort=False)["image"].nunique())
        order = {"profile": {p: i for i, p in enumerate(self.results)},
                 "split": {s: i for i, s in enumerate(SPLIT_ORDER)}}
        wide = wide.reset_index().sort_values(
            keys, key=lambda c: c.map(order[c.name]) if c.name in order else c, kind="stable")
        return tables.show(wide, notes=[
            "Median PSNR over the pictures of each row; the file below has every picture."])

    def split_medians(self) -> tables.Table:
        """Median PSNR (dB) per profile and ratio (rows) on each split: GANZ and the wavelet as in
        the original code (columns); a ratio run only with the trained first layer (N/64) is
        labelled so. The wavelet as described in the text is in the page's CSV."""
        from .figure import SPLIT_ORDER, WAVELET_CODE

        t = self.table()
        t = t[t["method"].isin(["ganz", WAVELET_CODE])].copy()
        t["R"] = t["ratio"].astype(float).round(1)
        keep_only = {r for r, g in t[t["method"] == "ganz"].groupby("R")
                     if set(g["adapter"].fillna("")) == {"keep_linear"}}
        t["R = N / d_c"] = [f"{r:g}" + (" (trained layer)" if r in keep_only else "") for r in t["R"]]
        t["column"] = [f"{s}: {'GANZ' if m == 'ganz' else 'wavelet'} (dB)"
                       for s, m in zip(t["split"], t["method"])]
        wide = t.pivot_table(index=["profile", "R", "R = N / d_c"], columns="column",
                             values="psnr", aggfunc="median", sort=False)
        order = [f"{s}: {m} (dB)" for s in SPLIT_ORDER for m in ("GANZ", "wavelet")]
        wide = wide[[c for c in order if c in wide.columns]].round(2)
        rank = {p: i for i, p in enumerate(self.results)}
        wide = wide.reset_index().sort_values(["profile", "R"], key=lambda c: c.map(rank)
                                              if c.name == "profile" else c, kind="stable")
        return tables.show(wide.drop(columns="R"), notes=[
            "Median PSNR over each split's pictures; the wavelet is the original code's rule "
            "(3·d_c coefficients). The file below has every picture and both wavelets."])

    def compare(self, published_only: bool = False) -> tables.Table:
        """Paper vs ours per profile (the verdict's first), as one table with a ``profile`` column."""
        parts, approx = [], []
        for name, res in self.results.items():
            cmp = paper.compare(self.figure, res.table, published_only=published_only)
            approx += verdicts.paper_approx(self.figure, cmp)
            parts.append(cmp.assign(profile=name)[["profile", *cmp.columns]])
        return tables.paper_vs_ours(pd.concat(parts, ignore_index=True), approx)

    def panels(self, stand_ins=None):
        """Fig. 4: which of the paper's panels (pictures) the shown profiles ran, with the faces
        of ``stand_ins`` (panels a and b), and why the others are missing
        (``paper.fig4_panels_note``)."""
        from IPython.display import Markdown

        tables = {n: [r.table] for n, r in self.results.items()}
        for r in (stand_ins.runs.values() if stand_ins else ()):
            for n, res in r.results.items():
                tables.setdefault(n, []).append(res.table)
        note = paper.fig4_panels_note(tables)
        return Markdown(f"**Panels:** {note}" if note else
                        "**Panels:** every panel of the paper's Fig. 4 is shown.")

    def verdict(self, **params) -> verdicts.Verdict:
        """The verdict on the main profile, then the others' as a secondary comparison; its
        numbers are glued under ``<figure>_<name>`` (main) and ``<figure>_<profile>_<name>``.
        Figs. 4 and 5 judge the ratios the page was loaded with."""
        if self.figure in ("fig4", "fig5"):
            params.setdefault("ratios", self.params.get(
                figure_ratios(self.figure), pageparams.PAGE_DEFAULTS[self.figure][figure_ratios(self.figure)]))
        parts = {name: verdict_for(self.figure, res, **params)
                 for name, res in self.results.items()}
        main = parts.pop(self.main_profile)
        text = [f"*Resting on {self.label(self.main_profile)}.*", main.text]
        missing = self.results[self.main_profile].meta.get("missing")
        if missing:
            from ..results.store import partial_note

            text.append(f"**{_sentence(partial_note(missing))}**")
        facts = dict(main.facts)
        for name, v in parts.items():
            text.append(f"**Secondary comparison, {self.label(name)}:**\n\n{v.text}")
            facts.update({f"{name.replace('-', '_')}_{k}": x for k, x in v.facts.items()})
        if self.missing:
            text.append(self._missing_note())
        return verdicts.Verdict(self.figure, "\n\n".join(text), facts)


def _sentence(text: str) -> str:
    """``text`` with a capital first letter and a closing full stop ("" stays "")."""
    text = text.strip()
    if not text:
        return ""
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", ")")) else ".")


#: how a page gets one profile's result: ``fetch(figure, profile, params, own_run)``, where
#: ``own_run`` says the parameters are not the page's defaults (``pageparams.is_default``)
Fetch = Callable[[str, str, dict, bool], ExperimentResult]


def read_only(figure: str, profile: str, params: dict, own_run: bool) -> ExperimentResult:
    """The book's fetch: the recorded result, or the ``stale`` error naming its command."""
    return recorded.load(figure, profile, **params)


def load(figure: str, profile: str | None = None, fetch: Fetch = read_only, **params) -> Runs:
    """``fetch`` for each of ``book_profiles(profile)``; a profile other than the last that has
    nothing recorded is left out (with the reason), the last one must exist.

    ``params`` are the page's parameters as the user typed them (``pageparams.normalise``).
    The default ``fetch`` only reads; ``ganz.pages.load`` passes one that first computes what a
    page's own parameters (or the smoke profile) need, when that takes minutes."""
    params = pageparams.normalise(figure, params)
    own_run = not pageparams.is_default(figure, params)
    names = book_profiles(profile)
    results, missing = {}, {}
    for i, name in enumerate(names):
        try:
            results[name] = fetch(figure, name, params, own_run)
        except GanzError as e:
            if i == len(names) - 1 and not results:
                raise
            model = re.search(r"unknown model '([^']+)'", str(e))
            missing[name] = (f"its generator `{model.group(1)}` is not committed yet" if model
                             else str(e))
    return Runs(figure, results, missing, params)


def verdict_for(figure: str, res: ExperimentResult, **params) -> verdicts.Verdict:
    """A figure's verdict from one profile's result; the image size, N and the models come from
    the result. ``params``: the page's ratios (figs. 4, 5) or, for fig. 7, ``fig2`` (a Runs)."""
    prof = res.meta.get("profile") or get_profile(None).name
    models = recorded.provenance(res)["models"]
    if figure in ("fig4", "fig5"):
        n = recorded.num_pixels(prof)
        d = next((m["latent_dim"] for m in models if "latent_dim" in m), 64)
        key = figure_ratios(figure)
        ratios = list(pageparams.normalise(figure, {key: params["ratios"]})[key])
        return getattr(verdicts, figure)(res.table, [*ratios, n / d], n, models)
    if figure == "fig7":
        fig2 = params.get("fig2")
        t2 = fig2.results[prof].table if fig2 is not None and prof in fig2.results else None
        return verdicts.fig7(res.table, t2)
    return getattr(verdicts, figure)(res.table, models)


def figure_ratios(figure: str) -> str:
    """The name of the page parameter that holds fig. 4's or fig. 5's ratios."""
    return "ratios" if figure == "fig4" else "ratio"


def stack(figs: Mapping[str, object], titled: bool = False):
    """One figure per profile (keyed by its label), stacked top to bottom under the labels; a
    single one is shown as it is unless ``titled`` (e.g. when another profile is missing)."""
    if len(figs) == 1 and not titled:
        return next(iter(figs.values()))
    return stacked(figs)


def stacked(panels: Mapping[str, object]) -> BookFigure:
    """Figures (anything with ``_repr_png_``) each under its title, as one figure at the figures'
    own resolution: one below the other, or side by side when none is wider than tall (picture
    grids) and they fit the page's width together (``figure.PAGE_PX``), so that none is shown
    scaled down."""
    dpi, line_px = BookFigure.dpi_png, 20
    images = [mpimg.imread(io.BytesIO(fig._repr_png_()), format="png") for fig in panels.values()]
    side = (all(im.shape[0] >= im.shape[1] for im in images)
            and sum(im.shape[1] for im in images) <= PAGE_PX)
    # each title within its own panel's width (side by side) or the widest panel's (stacked)
    widest = max(im.shape[1] for im in images)
    titles = [textwrap.fill(t, max(20, (im.shape[1] if side else widest) // 10))
              for t, im in zip(panels, images)]
    title_px = line_px * max(t.count("\n") + 1 for t in titles) + 14
    if side:
        width, height = sum(im.shape[1] for im in images), max(im.shape[0] for im in images) + title_px
    else:
        width, height = max(im.shape[1] for im in images), sum(im.shape[0] + title_px for im in images)
    out = BookFigure(figsize=(width / dpi, height / dpi))
    out.pad_inches = 0.0  # the panels' PNGs carry their own margins
    x, y = 0, height
    for title, im in zip(titles, images):
        h, w = im.shape[:2]
        out.text((x + 6) / width, (y - 4) / height, title, fontsize=11, fontweight="bold",
                 va="top")
        top = y - title_px
        ax = out.add_axes((x / width, (top - h) / height, w / width, h / height))
        ax.imshow(im, interpolation="none")
        ax.set_axis_off()
        if side:
            x += w
        else:
            y = top - h
    return out


def load_figures(figures: Sequence[str], profile: str | None = None, fetch: Fetch = read_only
                 ) -> dict[str, Runs]:
    """``load`` for several figures at their default parameters (the summary page)."""
    return {f: load(f, profile, fetch) for f in figures}


def _role(r: Runs, profile: str) -> str:
    return "verdict" if profile == r.main_profile else "secondary"


def provenance_table(runs: Mapping[str, Runs]) -> pd.DataFrame:
    """Per figure and shown profile: its role (and what a partial result lacks), the run's
    commit, date, device and source file."""
    rows = []
    for f, r in runs.items():
        for name, res in r.results.items():
            p = recorded.provenance(res)
            lacks = res.meta.get("missing")
            rows.append({"figure": f, "profile": name,
                         "role": _role(r, name) + (f" (partial: not yet {', '.join(lacks)})"
                                                   if lacks else ""),
                         "image size": f"{get_profile(name).image_size}²",
                         "model": ", ".join(m["model"] for m in p["models"]) or "—",
                         "commit": ", ".join(p["commits"]) or "—", "recorded": p["date"] or "—",
                         "device": ", ".join(p["devices"]) or "—",
                         "source": p["source"] or "computed on the spot"})
        for name in r.missing:
            rows.append({"figure": f, "profile": name, "role": "not recorded yet",
                         "image size": f"{get_profile(name).image_size}²", "model": "—",
                         "commit": "—", "recorded": "—", "device": "—", "source": "—"})
    return pd.DataFrame(rows)


def _per_profile(runs: Mapping[str, Runs], build: Callable[[dict], pd.DataFrame]) -> pd.DataFrame:
    """``build({figure: table})`` for each figure and profile, stacked with ``profile`` and
    ``role`` columns after ``figure`` (the verdict's profile first within each figure)."""
    parts = []
    for f, r in runs.items():
        for name, res in r.results.items():
            t = build({f: res.table})
            t = t.reset_index() if t.index.names != [None] else t
            t.insert(1 if "figure" in t else 0, "profile", name)
            t.insert(2 if "figure" in t else 1, "role", _role(r, name))
            parts.append(t)
    return pd.concat(parts, ignore_index=True)


def summary_numbers(runs: Mapping[str, Runs]) -> pd.DataFrame:
    """``paper.summary`` (settings the paper gave numbers for) per figure and profile."""
    return _per_profile(runs, paper.summary).set_index(["figure", "profile", "role", "setting",
                                                        "method"])


def summary_digest(numbers: pd.DataFrame) -> pd.DataFrame:
    """``summary_numbers`` one row per figure, profile and method: the settings the paper gave
    a number for, those we ran, and our median's difference from the paper's (median, smallest
    and largest) where both sides have one. The whole table is the page's CSV."""
    from .tables import METHOD_NAMES

    t = numbers.reset_index()
    rows = []
    for (figure, profile, role, method), g in t.groupby(["figure", "profile", "role", "method"],
                                                          sort=False):
        d = pd.to_numeric(g["delta_db"], errors="coerce").dropna()
        rows.append({"figure": figure, "profile": profile, "role": role,
                     "method": METHOD_NAMES.get(method, method),
                     "settings the paper printed": len(g), "run by us": int((g["n"] > 0).sum()),
                     "ours − paper, median (dB)": round(float(d.median()), 2) if len(d) else None,
                     "ours − paper, range (dB)": (f"{d.min():+.2f} to {d.max():+.2f}"
                                                  if len(d) > 1 else None)})
    return pd.DataFrame(rows)


def summary_claims(runs: Mapping[str, Runs]) -> pd.DataFrame:
    """``claims.claims`` (the paper's qualitative findings) tested per figure and profile."""
    return _per_profile(runs, claims.claims)


# ---------------------------------------------------------------------------- training page
