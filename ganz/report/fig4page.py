"""Fig. 4's page beyond the default picture: the faces standing in for the paper's panels (a) and
(b), read only like every figure page."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from ..core.errors import GanzError
from ..results.profiles import FIG4_STAND_INS
from . import pageparams, paper, recorded, tables, verdicts
from .runs import Fetch, Runs, book_profiles, read_only, stacked, verdict_for



@dataclass
class Fig4StandIns:
    """Fig. 4 on the faces standing in for the paper's panels (a) and (b) (``stand_ins()``:
    ``000001`` for the training face ``034782``, ``008551`` for the held-out ``196479``): per
    face, the book's profiles that recorded it, read only (never computed in the book)."""

    runs: dict[str, Runs]  # face (stem) -> its recorded runs
    wanted: tuple[str, ...] = ()

    def _label(self, face: str, profile: str) -> str:
        split = next(iter(self.runs[face].results.values())).table["split"].iloc[0]
        panel = paper.FIG4_PANELS.get(split, "?")
        kind = {"train": "training face", "test": "held-out face"}.get(split, split)
        return (f"Panel ({panel}): {kind} {face}, standing in "
                f"for the paper's {paper.paper_picture(face)}; {self.runs[face].label(profile)}")

    def note(self):
        """What is shown, and the stand-ins or profiles not recorded yet (with the command)."""
        from IPython.display import Markdown

        lines = []
        for face in self.wanted:
            r = self.runs.get(face)
            if r is None:
                lines.append(f"`{face}` (for the paper's `{paper.paper_picture(face)}`) is not "
                             f"recorded under any profile yet.")
                continue
            todo = []
            for p, why in r.missing.items():
                cmd = re.search(r"`(ganz run [^`]+)`", why)
                todo.append(f"`{p}` ({'record it with `' + cmd.group(1) + '`' if cmd else why}"
                            f"{', on a GPU' if p == 'paper' else ''})")
            lines.append(f"`{face}` (for the paper's `{paper.paper_picture(face)}`): recorded "
                         f"under {', '.join(f'`{p}`' for p in r.results)}"
                         + (f"; not yet under {', '.join(todo)}" if todo else "") + ".")
        return Markdown("**Stand-in faces:** " + " ".join(lines) if lines else "")

    def pictures(self):
        """Each face's picture grid per profile (``pictures.fig4_images``), one below the other
        under its panel and profile."""
        from . import pictures
        from .figure import message_figure

        figs = {self._label(f, p): pictures.fig4_images(res.images, res.table)
                for f, r in self.runs.items() for p, res in r.results.items()}
        if not figs:
            return message_figure("No stand-in face of panels (a) and (b) is recorded yet.")
        return stacked(figs)

    def table(self) -> pd.DataFrame:
        """The tidy results of every face and profile, with a leading ``profile`` column."""
        parts = [r.table() for r in self.runs.values()]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def compare(self) -> tables.Table:
        """Paper vs ours for every face (against the paper's picture it stands in for) and
        profile, on the settings the paper printed, as one table (the paper's notes once,
        below it)."""
        parts = []
        for r in self.runs.values():
            for name, res in r.results.items():
                cmp = paper.compare("fig4", res.table, published_only=True)
                parts.append(cmp.assign(profile=name)[["profile", *cmp.columns]])
        if not parts:
            return tables.Note("No stand-in face is recorded yet, so there is nothing to compare.")
        t = pd.concat(parts, ignore_index=True)
        out = tables.paper_vs_ours(t.drop(columns=["paper_note"]),
                                   verdicts.paper_approx("fig4", t))
        out.notes.append("The paper's values are the labels of the original code's committed "
                         "figures of panels (a) and (b), each for the picture named first; ours "
                         "are for the face in brackets. Ratios the paper did not print (R = N/64 "
                         "of the trained layer's random twin) and the wavelet as described in its "
                         "text are in the CSV below.")
        return out

    def verdict(self) -> verdicts.Verdict:
        """``verdicts.fig4`` on each face and profile, under its panel; glued as
        ``fig4_panels_verdict``."""
        text, facts, reasons = [], {}, []
        ratios = pageparams.PAGE_DEFAULTS["fig4"]["ratios"]
        for face, r in self.runs.items():
            for name, res in r.results.items():
                v = verdict_for("fig4", res, ratios=ratios)
                why = verdicts.reason(recorded.provenance(res)["models"])
                body = v.text.removesuffix(why).rstrip()  # the reason once, at the end
                if why in v.text and why not in reasons:
                    reasons.append(why)
                text.append(f"**{self._label(face, name)}.**\n\n{body}")
                facts.update({f"{face}_{name.replace('-', '_')}_{k}": x for k, x in v.facts.items()})
        if not text:
            text.append("No stand-in face is recorded yet.")
        return verdicts.Verdict("fig4_panels", "\n\n".join(text + reasons), facts)


def fig4_stand_ins(profile: str | None = None, fetch: Fetch = read_only) -> Fig4StandIns:
    """Fig. 4's recorded runs on the faces standing in for the paper's panels (a) and (b), under
    ``book_profiles(profile)``; read only (``recorded.load``), a profile that has not recorded a
    face is listed as missing with the command that records it."""
    out = {}
    for face in FIG4_STAND_INS:
        results, missing = {}, {}
        for name in book_profiles(profile):
            try:
                params = pageparams.normalise("fig4", {"image": face})
                results[name] = fetch("fig4", name, params, False)
            except GanzError as e:
                missing[name] = str(e)
        if results:
            out[face] = Runs("fig4", results, missing,
                             pageparams.normalise("fig4", {"image": face}))
    return Fig4StandIns(out, FIG4_STAND_INS)
