"""The book's reading side: load recorded results without computing, and say where they came from.

``load("fig5", profile)`` runs a figure's runner under the ``recorded`` policy, so a result
missing from ``results/<profile>/`` is an error naming the command to run, never a computation
inside the book (the smoke profile, made on the spot by design, is exempt). ``provenance`` takes
the commit, device, profile and date from the results themselves (the table's columns, its
sidecar or the git history of its file), not from the build, and adds the model facts.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..core.errors import GanzError
from ..core.paths import results_dir
from ..results import store
from ..results.calls import as_tuple
from ..results.profiles import ExperimentResult, get_profile
from .originals import with_originals
from .pageparams import PAGE_DEFAULTS
from ..core.paths import ROOT
from ..core.runtime import git

#: the paper's original code and its write-up (the paper has no arXiv entry; the PDF is in the repo)
CODE_URL = "https://github.com/nik-sm/gan-compression"
PAPER_URL = CODE_URL + "/blob/master/gans-for-lossy-image-compression.pdf"


def load(figure: str, profile: str | None = None, **params) -> ExperimentResult:
    """A figure's recorded result (``fig2`` … ``fig8``) from the store (``store.read``), with the
    originals drawn from the data (``originals.with_originals``); ``params``: the runner's.

    A list parameter asking for part of a recorded table (``ratio=(24,)`` of a table recorded at
    eight ratios) reads that table and keeps the rows of the values asked for (``subset``): the
    same numbers, recorded once."""
    try:
        res = store.read(figure, profile, **params)
    except GanzError as e:
        if not str(e).startswith("stale"):
            raise
        found = _from_superset(figure, profile, params)
        if found is None:
            raise
        res = found
    return with_originals(figure, res)


#: per figure: the runner's list parameter that a recorded table may hold more of, and the name
#: its sidecar records it under
SUBSET_PARAMS = {"fig2": ("dims", "dims"), "fig4": ("ratios", "ratios"),
                 "fig5": ("ratio", "ratios"), "fig8": ("measurements", "measurements")}


def _from_superset(figure: str, profile: str | None, params: dict) -> ExperimentResult | None:
    """The rows of ``params`` from a recorded table whose list parameter holds every value asked
    for (the other parameters equal, as the table's key checks); None if no such table."""
    if figure not in SUBSET_PARAMS:
        return None
    arg, recorded_as = SUBSET_PARAMS[figure]
    wanted = tuple(float(v) for v in as_tuple(params.get(arg, PAGE_DEFAULTS[figure][arg])))
    prof = get_profile(profile)
    candidates = []
    for side in sorted((results_dir() / prof.name).glob(f"{figure}-*.json")):
        held = (store.read_sidecar(side) or {}).get("params", {}).get(recorded_as)
        if isinstance(held, list) and set(wanted) <= {float(v) for v in held}:
            candidates.append(tuple(held))
    # fig. 5 without the trained layer is the table with it, less its rows
    keep = [{}, {"keep_linear": True}] if params.get("keep_linear") is False else [{}]
    for held in dict.fromkeys(candidates):
        for extra in keep:
            try:
                res = store.read(figure, profile, **{**params, **extra, arg: held})
            except GanzError as e:
                if str(e).startswith("stale"):
                    continue
                raise
            return subset(figure, res, wanted, params)
    return None


def recorded_params(figure: str, profile: str) -> list[dict]:
    """The parameters of every table of ``figure`` recorded for ``profile`` (their sidecars),
    without loading any: e.g. which pictures fig. 4 was run on."""
    return [(store.read_sidecar(t) or {}).get("params", {})
            for t in sorted((results_dir() / profile).glob(f"{figure}-*.csv"))]


def subset(figure: str, res: ExperimentResult, wanted: tuple[float, ...], params: dict
           ) -> ExperimentResult:
    """``res`` cut to the values ``wanted`` of the figure's list parameter, matched as each row
    records them: ratios by ``nominal_ratio``, dims by ``dim``, measurement counts by
    ``nominal_measurements``; pictures of other settings are dropped."""
    t = res.table
    if figure in ("fig4", "fig5"):
        nominal = t["nominal_ratio"].astype(float)
        is_ganz, adapter = t["method"] == "ganz", t["adapter"].fillna("")
        kept = is_ganz & (adapter == "keep_linear")
        keep = (figure == "fig4" or bool(params.get("keep_linear", True))) and bool(kept.any())
        random = {float(r) for r in wanted}
        trained = {float(nominal[kept].iloc[0])} if keep else set()
        rows = ((is_ganz & (adapter == "random_linear") & nominal.isin(random))
                | (kept & keep)
                | (~is_ganz & nominal.isin(random | trained)))
        tags = {f"R{r:g}" for r in random | trained} | ({"keep_linear"} if keep else set())
    elif figure == "fig2":
        rows = t["dim"].astype(float).isin(wanted)
        tags = set()
    else:  # fig8: the paper's M as asked; pictures are named by M at this N
        rows = t["nominal_measurements"].astype(float).isin(wanted)
        tags = {f"M{int(m)}" for m in t.loc[rows, "measurements"].dropna().unique()}
    table = t[rows.fillna(False).astype(bool)].reset_index(drop=True)
    table.attrs.update(t.attrs)
    images = {k: v for k, v in res.images.items()
              if k.rsplit("/", 1)[-1] == "original" or k.rsplit("/", 1)[-1] in tags}
    meta = {**res.meta, "subset_of": shown_path(t.attrs.get("source", ""))}
    return ExperimentResult(table, images, meta)


# ---------------------------------------------------------------------------- provenance

@lru_cache(maxsize=None)
def recorded_date(path: str) -> str:
    """When a results file was made: its sidecar's ``created``, else the date of the commit that
    first added it ("" if neither is known, e.g. an uncommitted file)."""
    p = Path(path)
    for side in (p.with_suffix(".json"), p.with_name(p.stem + ".meta.json")):
        if side.is_file():
            try:
                created = json.loads(side.read_text()).get("created")
            except (ValueError, AttributeError):
                created = None
            if created:
                return str(created)[:10]
    rel = p.relative_to(ROOT) if p.is_absolute() and p.is_relative_to(ROOT) else p
    dates = git("log", "--diff-filter=A", "--format=%cs", "--", str(rel)).splitlines()
    return dates[-1] if dates else ""


def shown_path(path: str | Path) -> str:
    """A recorded file as the book names it: relative to the repository, else its name alone
    (results kept elsewhere with ``GANZ_RESULTS``)."""
    p = Path(path)
    return str(p.relative_to(ROOT)) if p.is_absolute() and p.is_relative_to(ROOT) else p.name


def _values(table: pd.DataFrame, col: str) -> list[str]:
    if col not in table:
        return []
    return sorted({str(v) for v in table[col].dropna() if str(v) not in ("", "nan")})


@lru_cache(maxsize=None)
def model_facts(model: str) -> dict:
    """Architecture and training length of a zoo model (no absolute paths)."""
    from ..core.zoo import load_generator

    try:
        G, _, meta = load_generator(model)
    except GanzError:
        return {"model": model}
    cfg = G.cfg
    return {"model": model, "image_size": cfg.image_size, "width": cfg.width,
            "latent_dim": cfg.latent_dim, "images_seen": int(meta.get("images_seen") or 0),
            "train_steps": int(meta.get("step") or 0), "stopped": meta.get("stopped", "")}


def provenance(res: ExperimentResult) -> dict:
    """Where a result came from: run commit(s), date, device(s), profile, source file, models,
    inversion steps and images per split, all read from the result."""
    t, meta = res.table, res.meta
    source = t.attrs.get("source", "")
    ganz = t[t["method"] == "ganz"] if "method" in t else t
    per_split = (ganz.groupby("split")["image"].nunique().to_dict()
                 if {"split", "image"} <= set(ganz.columns) else {})
    steps = sorted({int(s) for s in ganz["steps"].dropna()}) if "steps" in ganz else []
    models = [m.strip() for m in str(meta.get("model", "")).split(",") if m.strip()]
    return {"profile": meta.get("profile", "?"),
            "commits": _values(t, "commit"),
            # a table without a device column (fig. 7: drawn on the spot): where it was drawn
            "devices": _values(t, "device") or ([meta["device"]] if meta.get("device") else []),
            "torch": _values(t, "torch"),
            "source": shown_path(source) if source else "",
            "date": recorded_date(source) if source else "",
            "models": [model_facts(m) for m in models if not m.startswith("smoke")],
            "steps": steps, "images_per_split": per_split}


def _join(values: list, empty: str = "not recorded") -> str:
    return ", ".join(map(str, values)) if values else empty


def model_line(facts: Mapping) -> str:
    if "width" not in facts:
        return f"`{facts['model']}`"
    return (f"`{facts['model']}`: {facts['image_size']}×{facts['image_size']} images, width "
            f"{facts['width']}, latent dim {facts['latent_dim']}, "
            f"{facts['images_seen']:,} training images seen ({facts['train_steps']:,} steps)")


def provenance_md(p: Mapping, extra: str = "") -> str:
    """Provenance as a short Markdown block (for ``IPython.display.Markdown``)."""
    split = ", ".join(f"{n} {s}" for s, n in p.get("images_per_split", {}).items())
    lines = [f"**Run:** profile `{p['profile']}`, commit {_join([f'`{c}`' for c in p['commits']])}"
             f", recorded {p['date'] or 'on an unknown date'}, on {_join(p['devices'])}"
             f" (torch {_join(p['torch'])}).",
             f"**Source:** `{p['source'] or 'computed on the spot'}`."]
    if p.get("models"):
        lines.append("**Model:** " + "; ".join(model_line(m) for m in p["models"]) + ".")
    facts = []
    if p.get("steps"):
        facts.append(f"{_join(p['steps'])} inversion steps")
    if split:
        facts.append(f"images per split: {split}")
    if facts:
        lines.append("**Inversion:** " + "; ".join(facts) + ".")
    if extra:
        lines.append(extra)
    return "\n\n".join(lines)


def show_provenance(res: ExperimentResult, extra: str = ""):
    """A result's provenance block, as displayable Markdown."""
    from IPython.display import Markdown

    return Markdown(provenance_md(provenance(res), extra))


def training_provenance(profile: str | None = None):
    """The training page's provenance: each model's facts and the date its log was recorded."""
    from IPython.display import Markdown

    prof = get_profile(profile)
    if prof.synthetic:
        return Markdown(f"**Run:** profile `{prof.name}`: a tiny generator trained on the spot "
                        f"on synthetic images; its numbers only show that the code runs.")
    lines = []
    folder = results_dir() / prof.name / "training"
    runs = {f"d_t = {dim}": (folder / f"d{dim}.csv", [prof.models.get(dim), prof.dim_models.get(dim)])
            for dim in sorted(set(prof.models) | set(prof.dim_models))}
    if prof.models.get(64):  # the longer dim-64 run of a GPU session
        runs["d_t = 64, long run"] = (folder / "long-d64.csv", [f"{prof.models[64]}-long"])
    for label, (log, names) in runs.items():
        if not log.is_file():
            continue
        names = [n for n in dict.fromkeys(names) if n]
        date = recorded_date(str(log))
        lines.append(f"- {label}: " + "; ".join(model_line(model_facts(n)) for n in names)
                     + f". Log `{shown_path(log)}`, recorded {date or 'on an unknown date'}.")
    where = "; ".join(f"{s['gpu']} (commit `{s['commit']}`, torch {s['torch']}, session log "
                      f"`{s['log']}`)" for s in gpu_sessions(prof.name))
    where = f" Trained on {where}." if where else ""
    return Markdown(f"**Profile** `{prof.name}` ({prof.image_size}×{prof.image_size} images).{where} "
                    f"Models used by the figures:\n\n" + "\n".join(lines))


def gpu_sessions(profile: str) -> list[dict]:
    """The GPU sessions recorded for a profile (``results/<profile>/gpu-session-*.log``, whose first
    lines are ``GPU: NAME, …`` and ``commit: C; torch T; …``, after a line saying that a second
    call goes on from the first's state): gpu, commit, torch, log."""
    out = []
    for log in sorted((results_dir() / profile).glob("gpu-session-*.log")):
        head = dict(line.split(": ", 1) for line in log.read_text().splitlines()[:4]
                    if line.startswith(("GPU: ", "commit: ")))
        if "GPU" not in head:
            continue
        run = [part.strip() for part in head.get("commit", "").split(";")]
        torch = next((x.split(" ", 1)[1] for x in run[1:] if x.startswith("torch ")), "?")
        out.append({"gpu": head["GPU"].split(",")[0].strip(), "commit": run[0] or "?",
                    "torch": torch, "log": shown_path(log)})
    return out


def num_pixels(profile: str | None = None) -> int:
    """N, the number of values in one image of the profile (3 · size²)."""
    size = get_profile(profile).image_size
    return 3 * size * size


def links() -> str:
    """Markdown links to the paper and the original code."""
    return f"[the paper]({PAPER_URL}) · [the original code]({CODE_URL})"


def have_images(profile: str | None = None) -> bool:
    """Whether this build has the evaluation images (originals can be drawn)."""
    from ..core.data import eval_images
    from ..core.errors import MissingDataError

    prof = get_profile(profile)
    if prof.synthetic:
        return True
    try:
        eval_images("test", prof.image_size, limit=1)
        return True
    except MissingDataError:
        return False


