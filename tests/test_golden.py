"""Golden tests: the bytes the encoder writes, the pixels the decoder makes and the words the
command line says are pinned by files in ``tests/expected/`` (made by ``python tests/golden.py``).

A failure here means every ``.ganz`` file ever written would decode differently (or a message
changed): regenerate only if that is intended, and say why in the commit.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import golden
from golden import CASES, CORPUS, ENTROPY_CASES, EXPECTED, GOLDEN, pixel_hash

REGENERATE = "if the change is intended, regenerate with `python tests/golden.py --cli` and say why"


@pytest.fixture(scope="module")
def codecs():
    return golden.codecs()


def test_adapter_codes_agree_with_the_format():
    from ganz.core import adapters, fileformat

    assert fileformat.ADAPTERS == adapters.ADAPTERS
    assert fileformat.ADAPTER_CODES == adapters.ADAPTER_CODES


def test_committed_model_unchanged(codecs):
    meta = json.loads((EXPECTED / "decode.json").read_text())["meta"]
    assert codecs[0].generator_sha256 == meta["generator_sha256"], (
        f"the committed {golden.MODEL} weights changed: files made with it no longer decode")
    assert codecs[1].generator_sha256 == meta["tiny_sha256"], "tests/corpus/tiny.safetensors changed"
    assert codecs[2].generator_sha256 == meta["entropy_sha256"]
    assert golden.prior_file_sha256() == meta["prior_sha256"], (
        f"ganz/zoo/{golden.ENTROPY_MODEL}.prior.json changed: entropy-coded files made with it no "
        f"longer decode (a new prior needs new tables beside the old ones)")


def test_encoded_bytes(codecs):
    """A fixed latent packs to the same bytes, for every adapter, storage and format version."""
    files = json.loads((EXPECTED / "encode.json").read_text())["files"]
    assert sorted(files) == sorted([*CASES, *ENTROPY_CASES])
    drift = []
    for name in [*CASES, *ENTROPY_CASES]:
        committed = (GOLDEN / f"{name}.ganz").read_bytes()
        assert hashlib.sha256(committed).hexdigest() == files[name]["sha256"], \
            f"golden/{name}.ganz was edited: it no longer matches encode.json"
        data = (golden.encode_case(name, codecs[0]) if name in CASES
                else golden.encode_entropy_case(name, codecs[2]))
        if data != committed:
            drift.append(f"{name}: {len(data)} bytes, expected {len(committed)} "
                         f"(sha256 {hashlib.sha256(data).hexdigest()[:16]}…)")
    assert not drift, "ENCODER DRIFT, the .ganz bytes changed:\n" + "\n".join(drift) + "\n" + REGENERATE


def test_decoded_pixels(codecs):
    """Each golden file and each decodable corpus file decodes to exactly the recorded pixels."""
    expected = json.loads((EXPECTED / "decode.json").read_text())["pixels"]
    stored = np.load(EXPECTED / "decode.npz")
    got = golden.decode_all(*codecs)
    for name in ENTROPY_CASES:  # the entropy-coded ones are entropy-coded
        assert (GOLDEN / f"{name}.ganz").read_bytes()[3] & 16, name
    assert sorted(got) == sorted(expected), "the set of corpus files that decode changed"
    drift = []
    for key, img in got.items():
        ref = stored[key.replace("/", "__")]
        assert pixel_hash(ref) == expected[key]["sha256"], f"decode.npz disagrees with decode.json: {key}"
        if pixel_hash(img) == expected[key]["sha256"]:
            continue
        if img.shape != ref.shape:
            drift.append(f"{key}: shape {img.shape}, expected {ref.shape}")
            continue
        diff = np.abs(img.astype(np.int16) - ref.astype(np.int16))
        drift.append(f"{key}: {np.count_nonzero(diff)} of {diff.size} values differ "
                     f"(max |Δ| = {diff.max()}, mean |Δ| = {diff.mean():.3f})")
    assert not drift, ("DECODER DRIFT, files decode to other pixels than they did when written:\n"
                       + "\n".join(drift) + "\n" + REGENERATE)


def test_entropy_cases_decode_alike_on_the_lite_path(codecs):
    """The torch-free path holds the same prior: it writes the same bytes and reads the same
    codes (unpack is shared; the tables are integers)."""
    from ganz.core.fileformat import unpack
    from ganz.core.modelfiles import bundle_for, resolve_model
    from ganz.lite.compress import stale

    weights = resolve_model(golden.ENTROPY_MODEL)
    if stale(weights):
        pytest.skip("no lite bundle: python -m ganz.lite.export")
    pytest.importorskip("onnxruntime")
    from ganz.lite.compress import LiteModel

    lite = LiteModel(bundle_for(weights), threads=1)
    for name in ENTROPY_CASES:
        committed = (GOLDEN / f"{name}.ganz").read_bytes()
        assert golden.encode_entropy_case(name, codecs[2], lite.prior) == committed, name
        a, b = unpack(committed, prior=lite.prior), codecs[2].parse(committed)
        assert a.coding == b.coding == "entropy" and np.array_equal(a.z, b.z), name


# --------------------------------------------------------------------------- CLI expected outputs
def run_main(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """``ganz.cli.main(argv)`` in ``cwd``: (exit code, stdout, stderr)."""
    from ganz.cli import main

    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:  # argparse: usage errors, --help
                code = e.code
    finally:
        os.chdir(here)
    return code, out.getvalue(), err.getvalue()


INFO_CASES = {  # expected file -> (folder, argv)
    "info_golden.txt": (EXPECTED, ["info", *(f"golden/{n}.ganz" for n in CASES)]),
    "info_entropy.txt": (EXPECTED, ["info", *(f"golden/{n}.ganz" for n in ENTROPY_CASES)]),
    "info_corpus.txt": (CORPUS, ["info", "valid.ganz", "valid_v1.ganz", "valid_q8.ganz",
                                 "--model", "tiny.safetensors"]),
}
M = ["--model", "tiny.safetensors", "--device", "cpu"]


def compress(*args: str) -> list[str]:  # with the tiny model, on the CPU
    return ["compress", *args, *M]


def decompress(*args: str) -> list[str]:
    return ["decompress", *args, *M]


ERROR_CASES = {  # name -> argv, run in the folder ``error_folder`` makes
    "no_command": [],
    "compress_output_is_input": compress("face.png", "-o", "face.png", "-f"),
    "compress_output_is_model": compress("face.png", "-o", "tiny.safetensors", "-f"),
    "compress_output_exists": compress("face.png", "-o", "keep.ganz"),
    "compress_output_not_ganz": compress("face.png", "-o", "face2.png"),
    "compress_input_folder": compress("sub", "-o", "x.ganz"),
    "compress_input_missing": compress("nope.png", "-o", "x.ganz"),
    "compress_output_folder_missing": compress("face.png", "-o", "nodir/x.ganz"),
    "compress_several_folder_missing": compress("face.png", "other.png", "-o", "newdir"),
    "compress_several_one_exists": compress("face.png", "other.png", "-o", "sub"),
    "compress_ratio_and_adapter": compress("face.png", "-o", "x.ganz", "--ratio", "5", "--adapter",
                                           "keep_linear"),
    "compress_layer_seed_keep": compress("face.png", "-o", "x.ganz", "--adapter", "keep_linear",
                                         "--layer-seed", "2"),
    "compress_layer_seed_range": compress("face.png", "-o", "x.ganz", "--layer-seed", "-1"),
    "compress_bad_ratio": compress("face.png", "-o", "x.ganz", "--ratio", "-3"),
    "compress_image_size": compress("big.png", "-o", "x.ganz"),
    "compress_budget_below_smallest_file": compress("face.png", "-o", "x.ganz", "--max-bytes", "12"),
    "compress_budget_float_bits": compress("face.png", "-o", "x.ganz", "--max-bytes", "99",
                                           "--bits", "16"),
    "decompress_output_is_input": decompress("f.ganz", "-o", "f.ganz", "-f"),
    "decompress_output_exists": decompress("f.ganz", "-o", "keep.png"),
    "decompress_jpeg": decompress("f.ganz", "-o", "out.jpg"),
    "decompress_webp": decompress("f.ganz", "-o", "out.webp"),
    "decompress_txt": decompress("f.ganz", "-o", "out.txt"),
    "decompress_no_extension": decompress("f.ganz", "-o", "out"),
    "decompress_quality_png": decompress("f.ganz", "-o", "out.png", "--lossy-quality", "80"),
    "decompress_bad_quality": decompress("f.ganz", "-o", "out.jpg", "--lossy-quality", "0"),
    "decompress_input_folder": decompress("sub", "-o", "out.png"),
    "decompress_corrupt": decompress("bitflip.ganz", "-o", "out.png"),
    "decompress_wrong_generator": decompress("wronggen.ganz", "-o", "out.png"),
    "info_not_ganz": ["info", "face.png"],
    "info_input_folder": ["info", "sub"],
    "info_truncated": ["info", "f.ganz", "truncated.ganz"],
    "eval_csv_exists": ["eval", "face.png", "--files", "f.ganz", "--csv", "keep.csv", *M],
}


def error_folder(folder: Path) -> Path:
    """The files the error cases run among (all made here or copied from the corpus)."""
    from PIL import Image

    from images import make_image

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sub").mkdir(exist_ok=True)
    for name, size, seed in (("face.png", 16, 0), ("other.png", 16, 1), ("big.png", 32, 2)):
        Image.fromarray(make_image(size, seed)).save(folder / name)
    for src, dst in (("valid.ganz", "f.ganz"), ("valid.ganz", "keep.ganz"), ("bitflip.ganz", None),
                     ("wronggen.ganz", None), ("truncated.ganz", None), ("tiny.safetensors", None)):
        shutil.copyfile(CORPUS / src, folder / (dst or src))
    (folder / "keep.png").write_bytes(b"a picture the user keeps")
    (folder / "keep.csv").write_text("a table the user keeps\n")
    (folder / "sub" / "other.ganz").write_bytes(b"another file the user keeps")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cli_outputs(tmp: Path) -> tuple[dict[str, str], dict[str, dict]]:
    """What ``ganz info`` prints (by expected file) and what each error case says."""
    info = {}
    for fname, (folder, argv) in INFO_CASES.items():
        code, out, err = run_main(argv, folder)
        assert code == 0 and err == "", err
        info[fname] = out
    work = error_folder(tmp)
    before = snapshot(work)
    errors = {}
    for name, argv in ERROR_CASES.items():
        code, out, err = run_main(argv, work)
        assert snapshot(work) == before, f"{name}: a file was changed, created or removed"
        errors[name] = {"argv": argv, "code": code, "stdout": out, "stderr": err}
    return info, errors


def write_cli_expectations() -> None:
    import tempfile

    from ganz.core.atomic import atomic_write

    with tempfile.TemporaryDirectory() as tmp:
        info, errors = cli_outputs(Path(tmp))
    for fname, text in info.items():
        atomic_write(EXPECTED / fname, text.encode())
    atomic_write(EXPECTED / "errors.json", (json.dumps(errors, indent=1, ensure_ascii=False)
                                            + "\n").encode())


def test_cli_outputs_match_expected(tmp_path):
    info, errors = cli_outputs(tmp_path / "work")
    for fname, text in info.items():
        assert text == (EXPECTED / fname).read_text(), f"`ganz info` output changed ({fname}); {REGENERATE}"
    expected = json.loads((EXPECTED / "errors.json").read_text())
    assert sorted(expected) == sorted(ERROR_CASES)
    changed = [f"{name}: got {errors[name]['stderr']!r}, expected {expected[name]['stderr']!r}"
               for name in ERROR_CASES if errors[name] != expected[name]]
    assert not changed, "CLI error output changed:\n" + "\n".join(changed) + "\n" + REGENERATE
    for name, e in errors.items():  # the policy: one line on stderr, exit 2, nothing on stdout
        assert e["code"] == 2 and e["stdout"] == "", name
        assert e["stderr"].count("\n") == 1 and e["stderr"].startswith("ganz"), name
        assert "error:" in e["stderr"] and "Traceback" not in e["stderr"], name
