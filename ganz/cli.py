"""The ``ganz`` command line: compress, decompress, eval, train. Thin: parse, call, write.

Errors the user can fix print one line on stderr and exit 2; outputs are written atomically.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .atomic import atomic_write
from .errors import GanzError

MAX_GANZ_BYTES = 64 << 20  # above the largest valid .ganz file (format version 1, 2^20 float32s)


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


# --------------------------------------------------------------------------- commands
def cmd_compress(a: argparse.Namespace) -> None:
    from .codec import GanzCodec
    from .config import InvertConfig
    import torch

    from .data import center_square, load_any, open_image, to_model, to_uint8
    from .fileformat import roundtrip
    from .metrics import psnr

    codec = GanzCodec(a.model, a.device, method=a.method)
    s = codec.cfg.image_size
    images = []
    for p in a.images:
        im = load_any(p, s) if a.fit else open_image(p)
        if im.size != (s, s):
            raise GanzError(f"{p}: image is {im.size[0]}×{im.size[1]}, the model takes {s}×{s}; "
                            f"use --fit to center-crop and resize")
        images.append(center_square(im, s))
    outs = output_paths(a.images, a.output, ".ganz")
    adapter = a.adapter or "random_linear"
    if adapter != "random_linear" and a.ratio is not None:
        raise GanzError(f"--ratio applies to random_linear only; {adapter} has a fixed ratio")
    if codec.method == "fast":
        from .fast import FastConfig

        cfg = FastConfig(steps=a.steps or FastConfig().steps, seed=a.seed, batch_size=a.batch_size)
        if codec.encoder is None and not a.quiet:
            print("note: no encoder is committed for this model; the fast method starts from zeros",
                  file=sys.stderr)
    else:
        cfg = InvertConfig(steps=a.steps or InvertConfig().steps, seed=a.seed, batch_size=a.batch_size)
    x = to_model(images)
    ad = codec.adapter(adapter, a.ratio or 10.0 if adapter == "random_linear" else None, seed=a.seed)
    res = codec.invert(x, ad, cfg, progress=not a.quiet and sys.stderr.isatty())
    z_stored = torch.from_numpy(roundtrip(res.z.numpy(), a.bits))
    rec = to_uint8(codec.reconstruct(z_stored, ad))
    for i, (src, dst) in enumerate(zip(a.images, outs)):
        data = codec.to_file(res.z[i].numpy(), ad, a.bits)
        atomic_write(dst, data)
        q = psnr(rec[i], to_uint8(x[i:i + 1])[0])
        print(f"{src} -> {dst}: {len(data)} bytes ({len(data) / 1024:.2f} KiB), "
              f"R = {ad.ratio(codec.cfg.num_pixels):.4g}, PSNR {q:.2f} dB ({codec.method} method)")


def cmd_decompress(a: argparse.Namespace) -> None:
    from PIL import Image
    import io

    from .codec import GanzCodec

    codec = GanzCodec(a.model, a.device)
    outs = output_paths(a.files, a.output, ".png")
    decoded = []
    for p in a.files:
        if not p.is_file():
            raise GanzError(f"{p}: {'not a regular file' if p.exists() else 'no such file'}")
        if p.stat().st_size > MAX_GANZ_BYTES:  # refuse before reading a huge file into memory
            raise GanzError(f"{p}: {p.stat().st_size} bytes is far too large for a .ganz file")
        try:
            decoded.append(codec.decompress(p.read_bytes()))
        except GanzError as e:
            raise GanzError(f"{p}: {e}") from None
    for src, dst, img in zip(a.files, outs, decoded):
        buf = io.BytesIO()
        fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP"}.get(dst.suffix.lower(), "PNG")
        Image.fromarray(img).save(buf, format=fmt)
        atomic_write(dst, buf.getvalue())
        print(f"{src} -> {dst}")


def cmd_eval(a: argparse.Namespace) -> None:
    from .evaluate import evaluate_files

    table = evaluate_files(a.images, a.files, a.model, a.device)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if a.csv:
        atomic_write(a.csv, table.to_csv(index=False).encode())


def cmd_train(a: argparse.Namespace) -> None:
    import dataclasses
    import time

    from .codec import pick_device
    from .config import ModelConfig, TrainConfig
    from .train import train

    deadline = time.monotonic() + a.time_limit if a.time_limit else None
    fields = {f.name for f in dataclasses.fields(ModelConfig)}
    extra = {"arch": a.arch} if a.arch and "arch" in fields else {}
    if a.arch and not extra:
        raise GanzError("--arch needs a ModelConfig with architectures (not in this version)")
    mcfg = ModelConfig(a.image_size, a.base_size, a.width, a.latent_dim, **extra)
    flags = {"steps": a.steps, "epochs": a.epochs, "batch_size": a.batch_size, "lr": a.lr,
             "lr_decay_every": a.lr_decay_every, "checkpoint_every": a.checkpoint_every,
             "log_every": a.log_every, "precision": a.precision,
             "clamp_k": False if a.no_clamp_k else None, "hflip": False if a.no_flip else None,
             "snapshot_at": tuple(a.snapshot_at) if a.snapshot_at else None,
             "snapshot_images": tuple(a.snapshot_images) if a.snapshot_images else None}
    flags = {k: v for k, v in flags.items() if v is not None}
    flags["seed"] = a.seed
    if a.steps and a.epochs is None:
        flags["epochs"] = 0  # --steps counts steps, whatever the recipe's length in epochs
    try:
        tcfg = TrainConfig.original(**flags) if a.recipe == "original" else TrainConfig(**flags)
    except ValueError as e:
        raise GanzError(str(e)) from None
    if a.data:
        os.environ["GANZ_DATA"] = str(a.data)
    dev = a.device if a.device != "auto" else str(pick_device("auto"))
    t = train(mcfg, tcfg, a.out, dev, resume=not a.restart, validate_every=a.validate_every,
              progress=not a.quiet and sys.stderr.isatty(), deadline=deadline)
    print(f"trained to step {t.step}; generator: {a.out / 'final.safetensors'}")


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="ganz", description="GAN latent-space image compression.")
    p.add_argument("--version", action="version", version=f"ganz {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def model_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--model", help="generator .safetensors or a committed model name "
                        "(default: the project's default model)")
        sp.add_argument("--device", default="auto", help="auto | cpu | cuda (default auto)")

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
    c.add_argument("--bits", type=int, choices=[32, 16, *range(12, 0, -1)], default=32, metavar="B",
                   help="latent storage: 32 or 16 (floats) or 1..12 (uniform quantization); default 32")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--batch-size", type=positive_int, default=64)
    c.add_argument("--fit", action="store_true", help="center-crop and resize images to the model's size")
    c.add_argument("-q", "--quiet", action="store_true")
    model_args(c)
    c.set_defaults(func=cmd_compress)

    d = sub.add_parser("decompress", help=".ganz files -> images")
    d.add_argument("files", nargs="+", type=Path)
    d.add_argument("-o", "--output", type=Path, required=True)
    model_args(d)
    d.set_defaults(func=cmd_decompress)

    e = sub.add_parser("eval", help="PSNR / SSIM / bytes of .ganz files vs originals, and wavelets")
    e.add_argument("images", nargs="+", type=Path, help="original images")
    e.add_argument("--files", nargs="+", type=Path, required=True, help=".ganz files, same order")
    e.add_argument("--csv", type=Path, help="also write the table as CSV")
    model_args(e)
    e.set_defaults(func=cmd_eval)

    t = sub.add_parser("train", help="train a BEGAN on CelebA (resumes from OUT/latest.pt)")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--data", type=Path, help="data root (default $GANZ_DATA or data/)")
    t.add_argument("--recipe", choices=["ganz", "original"], default="ganz",
                   help="ganz (default): the project's recipe; original: the original code's "
                   "(Adam 0.9/0.999, batch 32, lr ×0.95 per 12k steps, 50 sorted epochs, no flips, "
                   "k unclamped); the flags below override either")
    t.add_argument("--arch", help="generator/discriminator layout (ModelConfig.arch)")
    t.add_argument("--image-size", type=positive_int, default=64)
    t.add_argument("--base-size", type=positive_int, default=4)
    t.add_argument("--width", type=positive_int, default=128)
    t.add_argument("--latent-dim", type=positive_int, default=64)
    t.add_argument("--steps", type=positive_int, help="steps (default 200000; ignored with --epochs)")
    t.add_argument("--epochs", type=int, help="train this many epochs (original recipe: 50)")
    t.add_argument("--batch-size", type=positive_int)
    t.add_argument("--lr", type=positive_float)
    t.add_argument("--lr-decay-every", type=positive_int)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--checkpoint-every", type=int, help="steps between checkpoints (0: none)")
    t.add_argument("--log-every", type=positive_int)
    t.add_argument("--validate-every", type=int, default=0)
    t.add_argument("--precision", choices=["auto", "bf16", "tf32", "fp32"])
    t.add_argument("--time-limit", type=positive_float, metavar="S",
                   help="stop after S seconds (the generator is still exported); SIGTERM does too")
    t.add_argument("--snapshot-at", type=positive_int, nargs="*")
    t.add_argument("--snapshot-images", type=positive_int, nargs="*",
                   help="also export the generator once this many images were seen")
    t.add_argument("--no-clamp-k", action="store_true", help="do not clamp k (the original code)")
    t.add_argument("--no-flip", action="store_true", help="no horizontal-flip augmentation")
    t.add_argument("--restart", action="store_true", help="ignore an existing checkpoint")
    t.add_argument("--device", default="auto")
    t.add_argument("-q", "--quiet", action="store_true")
    t.set_defaults(func=cmd_train)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
