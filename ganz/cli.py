"""The ``ganz`` command line: compress, decompress, info, eval, train here; run, bench, publish and
train-encoder in ``ganz.commands``. Thin: parse, call one library function, write.

Error policy (every subcommand): a problem the user can fix prints one line on stderr and exits 2.
Files are never destroyed: an output that is also an input is refused (even with ``--force``), an
existing output is replaced only with ``-f/--force``, all outputs are checked before any is
written, and writes are atomic.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .commands import add_commands
from .core.atomic import atomic_write, check_inputs, check_outputs, write_csv
from .core.errors import GanzError
from .core.modelfiles import model_inputs

MAX_GANZ_BYTES = 64 << 20  # above the largest valid .ganz file (format version 1, 2^20 float32s)
LOSSLESS = {".png": "PNG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".ppm": "PPM"}
LOSSY = {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def output_paths(inputs: list[Path], out: Path, suffix: str) -> list[Path]:
    """One input -> ``out`` itself (unless it is a folder); several -> ``out/<stem><suffix>``."""
    if len(inputs) == 1 and not out.is_dir() and not str(out).endswith(os.sep):
        return [out]
    if out.exists() and not out.is_dir():
        raise GanzError(f"{out} is a file; with several inputs -o must be a folder")
    paths = [out / (p.stem + suffix) for p in inputs]
    if len(set(paths)) != len(paths):
        raise GanzError("several inputs share a name; outputs would overwrite each other")
    return paths


def _positive(convert, noun: str):
    """An argparse type: ``convert(text)``, which must be finite and > 0."""
    def parse(text: str):
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {noun}: {text!r}") from None
        if not (0 < v < float("inf")):
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return v
    return parse


positive_float = _positive(float, "a number")
positive_int = _positive(int, "an integer")


def _int_in(lo: int, hi: int):
    """An argparse type: an integer in [lo, hi]."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"must be {lo} to {hi}, got {text}")
        return v
    return parse


seed_int = _int_in(0, 2**32 - 1)


def latent_scale(text: str) -> float:
    """An argparse type: a positive number a file can store (rounded to float16)."""
    from .core.fileformat import as_scale

    v = positive_float(text)
    try:
        return as_scale(v)
    except GanzError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


quality_int = _int_in(1, 100)


# --------------------------------------------------------------------------- files
def image_format(dst: Path, lossy_quality: int | None) -> str:
    """The PIL format a decompressed image is written in, from ``dst``'s extension."""
    ext = dst.suffix.lower()
    if ext in LOSSLESS:
        if lossy_quality is not None:
            raise GanzError(f"--lossy-quality applies to .jpg/.jpeg/.webp outputs only, not {dst}")
        return LOSSLESS[ext]
    if ext in LOSSY:
        if lossy_quality is None:
            raise GanzError(f"{dst}: {LOSSY[ext]} is lossy and would add a second loss; pass "
                            f"--lossy-quality Q (1-100) to accept it, or write .png")
        return LOSSY[ext]
    raise GanzError(f"{dst}: unknown image extension {ext or '(none)'!s}; use .png (default), "
                    f".bmp, .tif or .ppm, or .jpg/.webp with --lossy-quality")


# --------------------------------------------------------------------------- commands
def cmd_compress(a: argparse.Namespace) -> None:
    check_inputs(a.images, "an image")
    outs = output_paths(a.images, a.output, ".ganz")
    check_outputs(outs, [*a.images, *model_inputs(a)], a.force)
    for dst in outs:
        if dst.suffix.lower() != ".ganz":
            raise GanzError(f"{dst}: a compressed file's name must end in .ganz")
    adapter = a.adapter or "random_linear"
    if adapter != "random_linear" and a.ratio is not None:
        raise GanzError(f"--ratio applies to random_linear only; {adapter} has a fixed ratio")
    if a.layer_seed and adapter in ("keep_linear", "no_linear"):
        raise GanzError(f"--layer-seed applies to random layers (random_linear, square_linear), "
                        f"not {adapter}")
    if a.max_bytes is not None:
        return compress_budget(a, outs, adapter)
    if a.bits is None:
        a.bits = 32
    from .lite.cli import compress_lite, load_inputs, progress_for

    if compress_lite(a, outs, adapter):  # the fast method without torch, where it applies
        return

    import torch

    from .core.codec import GanzCodec
    from .core.config import InvertConfig
    from .core.pixels import to_uint8, uint8_to_model
    from .core.fileformat import roundtrip
    from .core.metrics import psnr

    codec = GanzCodec(a.model, a.device, method=a.method)
    images = load_inputs(a, codec.cfg.image_size)  # the same pixels the lite path takes
    if codec.method == "fast":
        from .core.fast import FastConfig

        cfg = FastConfig(steps=a.steps or FastConfig().steps, seed=a.seed, batch_size=a.batch_size)
        if codec.encoder is None and not a.quiet:
            print("note: no encoder is committed for this model; the fast method starts from zeros",
                  file=sys.stderr)
    else:
        cfg = InvertConfig(steps=a.steps or InvertConfig().steps, seed=a.seed, batch_size=a.batch_size)
        if a.method == "auto" and codec.device.type == "cpu" and not a.quiet:
            print(f"note: no encoder is committed for this model yet, so this runs the paper's "
                  f"{cfg.steps}-step optimization: minutes per batch on a CPU (--method fast starts "
                  f"from zeros; --model cpu-small-d64 is the fast 32×32 model)", file=sys.stderr)
    x = uint8_to_model(images)
    ad = codec.adapter(adapter, a.ratio or 10.0 if adapter == "random_linear" else None,
                       layer_seed=a.layer_seed, latent_scale=a.latent_scale)
    if codec.method == "fast" and codec.encoder is not None and a.layer_seed and not a.quiet:
        keys = codec.encoder.keys()
        if f"{ad.name}:{ad.input_dim}:0" in keys and f"{ad.name}:{ad.input_dim}:{ad.seed}" not in keys:
            print(f"note: the encoder's start is trained for layer seed 0, not {a.layer_seed}; "
                  f"starting from its projection", file=sys.stderr)
    progress = progress_for(a)
    try:
        res = codec.invert(x, ad, cfg, progress=progress or False)
    finally:
        if progress is not None:
            progress.close()
    z_stored = torch.from_numpy(roundtrip(res.z.numpy(), a.bits))
    rec = to_uint8(codec.reconstruct(z_stored, ad))
    files = [codec.to_file(z, ad, a.bits) for z in res.z.numpy()]
    check_outputs(outs, [*a.images, *model_inputs(a)], a.force)  # nothing appeared meanwhile
    for i, (src, dst, data) in enumerate(zip(a.images, outs, files)):
        atomic_write(dst, data)
        q = psnr(rec[i], to_uint8(x[i:i + 1])[0])
        print(f"{src} -> {dst}: {len(data)} bytes ({len(data) / 1024:.2f} KiB), "
              f"R = {ad.ratio(codec.cfg.num_pixels):.4g}, PSNR {q:.2f} dB ({codec.method} method)")


def compress_budget(a: argparse.Namespace, outs: list[Path], adapter: str) -> None:
    """``ganz compress --max-bytes N``: each file fits N bytes (``ganz.core.budget``)."""
    if a.bits in (16, 32):
        raise GanzError("--max-bytes quantizes the latent: --bits must be 1 to 12 (or left out to "
                        "let the search pick it)")
    from .core.budget import compress_to_budget, smallest_file
    from .core.codec import GanzCodec
    from .core.metrics import psnr
    from .core.pixels import uint8_to_model
    from .lite.cli import load_inputs

    codec = GanzCodec(a.model, a.device, method=a.method)
    s = codec.cfg.image_size
    scale = codec.default_scale(adapter) if a.latent_scale is None else a.latent_scale
    least = smallest_file(s, s, a.layer_seed, scale)
    if a.max_bytes < least:
        raise GanzError(f"--max-bytes {a.max_bytes} is below the smallest .ganz file of this model "
                        f"({least} bytes: {least - 1} of header and checksum, one latent byte)")
    images = load_inputs(a, s)
    x = uint8_to_model(images)
    cfg = None
    if a.steps or codec.method == "paper":
        from .core.config import InvertConfig
        from .core.fast import FastConfig

        base = FastConfig() if codec.method == "fast" else InvertConfig()
        cfg = type(base)(**{**base.__dict__, "steps": a.steps or base.steps, "seed": a.seed,
                            "batch_size": a.batch_size})
    dims = None
    if a.ratio is not None:
        from .core.adapters import ratio_to_dim

        dims = (ratio_to_dim(codec.cfg.num_pixels, a.ratio),)
    note = None if a.quiet else (lambda text: print(text, file=sys.stderr))
    if note:
        note(f"searching d_c, bit depth and codes for {a.max_bytes} bytes ({codec.method} method)")
    choices = compress_to_budget(codec, x, a.max_bytes, adapter, a.layer_seed, a.latent_scale,
                                 invert_cfg=cfg, dims=dims, bits=(a.bits,) if a.bits else None)
    check_outputs(outs, [*a.images, *model_inputs(a)], a.force)  # nothing appeared meanwhile
    n = codec.cfg.num_pixels
    for i, (src, dst, ch) in enumerate(zip(a.images, outs, choices)):
        rec = codec.decompress(ch.data)
        atomic_write(dst, ch.data)
        print(f"{src} -> {dst}: {len(ch.data)} bytes (budget {a.max_bytes}), d_c = {ch.dim} "
              f"(R = {n / ch.dim:.4g}), {ch.bits} bits, PSNR {psnr(rec, images[i]):.2f} dB "
              f"({codec.method} method, rate-aware codes, λ = {ch.lam:.3g})")


def read_ganz(p: Path) -> bytes:
    if p.stat().st_size > MAX_GANZ_BYTES:  # refuse before reading a huge file into memory
        raise GanzError(f"{p}: {p.stat().st_size} bytes is far too large for a .ganz file")
    return p.read_bytes()


def cmd_decompress(a: argparse.Namespace) -> None:
    check_inputs(a.files, "a .ganz file")
    outs = output_paths(a.files, a.output, ".png")
    check_outputs(outs, [*a.files, *model_inputs(a)], a.force)
    formats = [image_format(dst, a.lossy_quality) for dst in outs]
    import io

    from PIL import Image

    from .core.codec import codec_for_file
    from .core.fileformat import unpack

    codecs: dict = {}  # without --model: the committed model each file names, loaded once
    decoded = []
    for p in a.files:
        try:
            data = read_ganz(p)
            codec = codec_for_file(unpack(data), a.model, a.device, codecs)
            decoded.append(codec.decompress(data))
        except GanzError as e:
            raise GanzError(f"{p}: {e}") from None
    blobs = []
    for img, fmt in zip(decoded, formats):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format=fmt, **({"quality": a.lossy_quality} if fmt in
                                                      ("JPEG", "WEBP") else {}))
        blobs.append(buf.getvalue())
    check_outputs(outs, [*a.files, *model_inputs(a)], a.force)
    for src, dst, blob in zip(a.files, outs, blobs):
        atomic_write(dst, blob)
        print(f"{src} -> {dst}")


def model_ids(extra: str | None) -> dict[str, str]:
    """Weights ids of the committed models (and of ``extra``, a name or path), by name."""
    from .core.modelfiles import available_models
    from .core.zoo import load_generator

    ids = {}
    for name in [*available_models(), *([extra] if extra else [])]:
        try:
            ids[Path(name).name if name == extra else name] = load_generator(name)[1]
        except GanzError:
            if name == extra:
                raise
    return ids


def describe(p: Path, size: int, f, ids: dict[str, str]) -> str:
    """``ganz info``'s block for one file."""
    storage = {32: "float32", 16: "float16"}.get(f.bits, "uniform quantization")
    match = [name for name, sha in ids.items() if sha.startswith(f.generator_id)]
    rows = [("format version", f.version), ("adapter", f.adapter), ("d_c", f"{len(f.z)} latent values"),
            ("nominal ratio", f"{f.ratio:.4g} (N/d_c = {f.num_pixels}/{len(f.z)})"),
            ("latent storage", f"{f.bits} bits ({storage})"),
            *([("latent coding", f"entropy-coded (ANS) with the prior's table for d_c ≤ "
                                 f"{f.table.max_dim} at {f.bits} bits ({f.table.digest.hex()})")]
              if f.coding == "entropy" else []),
            ("latent scale", f"{f.scale:g} (the adapter takes {f.scale:g}·z)" if f.scale != 1 else "1"),
            ("layer seed", f.seed),
            ("generator id", f"{f.generator_id} ({', '.join(match) or 'matches no committed model'})"),
            ("image size", f"{f.width}×{f.height}"), ("file bytes", size),
            ("bpp", f"{8 * size / (f.width * f.height):.4g}")]
    return "\n".join([str(p), *(f"  {k:<15} {v}" for k, v in rows)])


def cmd_info(a: argparse.Namespace) -> None:
    from .core.fileformat import unpack

    check_inputs(a.files, "a .ganz file")
    parsed = []
    for p in a.files:
        try:
            data = read_ganz(p)
            parsed.append((p, len(data), unpack(data)))
        except GanzError as e:
            raise GanzError(f"{p}: {e}") from None
    ids = model_ids(a.model)
    print("\n\n".join(describe(p, size, f, ids) for p, size, f in parsed))


def cmd_eval(a: argparse.Namespace) -> None:
    check_inputs([*a.images, *a.files], "an input file")
    if a.csv:
        check_outputs([a.csv], [*a.images, *a.files, *model_inputs(a)], a.force)
    from .study.evaluate import evaluate_files

    table = evaluate_files(a.images, a.files, a.model, a.device,
                           report=lambda line: print(line, file=sys.stderr))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if a.csv:
        check_outputs([a.csv], [*a.images, *a.files, *model_inputs(a)], a.force)
        write_csv(table, a.csv)


# --------------------------------------------------------------------------- parser
class Parser(argparse.ArgumentParser):
    """argparse with the CLI's error policy: a usage error is one line on stderr, exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = Parser(prog="ganz", description="GAN latent-space image compression.")
    p.add_argument("--version", action="version", version=f"ganz {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def model_args(sp: argparse.ArgumentParser,
                   default: str = "the project's default model") -> None:
        sp.add_argument("--model", help=f"generator .safetensors or a committed model name "
                        f"(default: {default})")
        sp.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")

    def force_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-f", "--force", action="store_true", help="replace existing outputs "
                        "(never an input)")

    c = sub.add_parser("compress", help="images -> .ganz files")
    c.add_argument("images", nargs="+", type=Path)
    c.add_argument("-o", "--output", type=Path, required=True, help="output file, or folder for several")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--ratio", type=positive_float, help="compression ratio R = N/d_c (random_linear; default 10)")
    g.add_argument("--adapter", choices=["keep_linear", "random_linear", "square_linear", "no_linear"])
    c.add_argument("--method", choices=["auto", "fast", "paper"], default="auto",
                   help="fast: encoder start + short refinement; paper: the paper's 7500-step Adam; "
                        "auto (default): fast when an encoder is committed for the model")
    c.add_argument("--steps", type=positive_int, help="optimization steps (default: 7500 for the "
                   "paper method, the fast method's own for fast)")
    c.add_argument("--bits", type=int, choices=[32, 16, *range(12, 0, -1)], metavar="B",
                   help="latent storage: 32 or 16 (floats) or 1..12 (uniform quantization); default "
                        "32, or with --max-bytes the one the search picks")
    c.add_argument("--max-bytes", type=positive_int, metavar="N", help="fit each whole file in N "
                   "bytes: picks d_c (the ratio), the bit depth and rate-aware codes for the best "
                   "PSNR (like cwebp -size); --ratio / --bits then fix that setting")
    c.add_argument("--layer-seed", type=seed_int, default=0, help="seed of the random first "
                   "layer (random_linear, square_linear); stored in the file; default 0 (the "
                   "encoder's start is trained for 0)")
    c.add_argument("--latent-scale", type=latent_scale, metavar="S", help="the adapter takes "
                   "S·z, z in [-1, 1] (stored in the file); default: the scale calibrated for the "
                   "model's random layers (its metadata's latent_scale, else 1), 1 for the others")
    c.add_argument("--seed", type=int, default=0, help="seed of the optimizer's random start "
                   "(not stored in the file); default 0")
    c.add_argument("--batch-size", type=positive_int, default=64)
    c.add_argument("--fit", action="store_true", help="crop and resize images to the model's size "
                   "(a CelebA photo, 89×109 or 178×218: its face box; any other: the centre "
                   "square); ganz eval applies the same crop")
    c.add_argument("-q", "--quiet", action="store_true")
    force_arg(c)
    model_args(c)
    c.set_defaults(func=cmd_compress)

    d = sub.add_parser("decompress", help=".ganz files -> images (the model is found by the "
                       "generator id each file carries, unless --model names one)")
    d.add_argument("files", nargs="+", type=Path)
    d.add_argument("-o", "--output", type=Path, required=True,
                   help="output image (.png; .bmp, .tif, .ppm; .jpg/.webp need --lossy-quality), "
                        "or folder for several (PNG)")
    d.add_argument("--lossy-quality", type=quality_int, metavar="Q",
                   help="write a .jpg/.webp output at quality Q (1-100), adding a second loss")
    force_arg(d)
    model_args(d, "the committed model whose generator id the file carries")
    d.set_defaults(func=cmd_decompress)

    i = sub.add_parser("info", help="print the header of .ganz files")
    i.add_argument("files", nargs="+", type=Path)
    i.add_argument("--model", help="also compare generator ids with this model (name or path)")
    i.set_defaults(func=cmd_info)

    e = sub.add_parser("eval", help="PSNR / SSIM / bytes of .ganz files vs originals, and wavelets")
    e.add_argument("images", nargs="+", type=Path, help="original images (one of another size "
                   "than its file is cropped as compress --fit crops it)")
    e.add_argument("--files", nargs="+", type=Path, required=True, help=".ganz files, same order")
    e.add_argument("--csv", type=Path, help="also write the table as CSV")
    force_arg(e)
    model_args(e, "the committed model whose generator id the file carries")
    e.set_defaults(func=cmd_eval)

    add_commands(sub, positive_int, positive_float)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command in ("train-encoder", "train-prior"):  # their flags are their trainers' own
        args.args = extra
    elif extra:
        parser.exit(2, f"ganz {args.command}: error: unrecognized arguments: {' '.join(extra)} "
                       f"(see ganz {args.command} --help)\n")
    try:
        args.func(args)
    except GanzError as e:
        print(f"ganz {args.command}: error: {one_line(str(e))}", file=sys.stderr)
        return 2
    except OSError as e:  # unwritable output, full disk, unreadable input: a one-line message too
        where = f"{e.filename}: " if e.filename else ""
        print(f"ganz {args.command}: error: {where}{one_line(e.strerror or str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ganz {args.command}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"ganz {args.command}: error: out of memory", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
