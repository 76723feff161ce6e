"""``ganz run | bench | publish | train-encoder``: main(argv), --help and the one-line error policy."""
import pandas as pd
import pytest

from ganz.cli import main


def cli(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # a usage error: argparse exits (2) after its one line
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_line_error(code: int, err: str, command: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and err.endswith("\n"), f"not exactly one stderr line: {err!r}"
    assert err.startswith(f"ganz {command}: error: ") and "Traceback" not in err, err


@pytest.mark.parametrize("command, flags", [
    ("run", ["--profile", "--together", "--n-images", "fig5"]),
    ("bench", ["inversion", "tune", "command", "compress"]),
    ("publish", ["--name", "--profile", "--gains", "weights"]),
    ("train-encoder", ["--model", "--steps", "--out"]),
])
def test_help(command, flags, capsys):
    with pytest.raises(SystemExit) as e:
        main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: ganz {command} "), out.splitlines()[0]  # not `python -m ...`
    for flag in flags:
        assert flag in out, f"{command} --help lacks {flag}"


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("compress", "decompress", "info", "eval", "train", "train-encoder",
                    "publish", "run", "bench"):
        assert command in out


@pytest.mark.parametrize("argv, says", [
    (["run", "fig9"], "invalid choice: 'fig9'"),
    (["run", "--profile", "nope", "fig3"], "unknown profile 'nope'"),
    (["bench", "inversion", "--n-images", "0"], "must be positive"),
    (["publish", "missing.safetensors", "--name", "x", "--profile", "smoke"], "no such file"),
    (["publish", "missing.safetensors", "--name", "x", "--profile", "smoke", "--gains", "-1"],
     "must be positive"),
    (["train-encoder", "--model", "no-such-model"], "unknown model 'no-such-model'"),
    (["run", "fig3", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_errors_are_one_line(argv, says, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(argv, capsys)
    one_line_error(code, err, " ".join(argv[:2]) if argv[0] == "bench" else argv[0])
    assert says in err


def test_run_smoke_writes_and_reads_results(tmp_path, monkeypatch, capsys):
    """``ganz run`` computes a figure once (writing its table), then only reads it."""
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "results"))
    argv = ["run", "--profile", "smoke", "--device", "cpu", "--steps", "2", "--n-images", "1", "fig3"]
    code, out, err = cli(argv, capsys)
    assert code == 0, err
    assert out.startswith("fig3: ") and "(smoke, cpu" in out
    tables = list((tmp_path / "results" / "smoke").glob("fig3-*.csv"))
    assert len(tables) == 1 and len(pd.read_csv(tables[0])) > 0
    before = tables[0].stat().st_mtime_ns
    code, out2, err = cli(argv, capsys)
    assert code == 0, err
    assert tables[0].stat().st_mtime_ns == before  # read from the cache, not rewritten


def test_run_codecs_records_the_codecs_table(tmp_path, monkeypatch, capsys):
    """``ganz run codecs`` records the codecs chapter's rate-distortion table."""
    monkeypatch.setenv("GANZ_RESULTS", str(tmp_path / "results"))
    argv = ["run", "--profile", "smoke", "--device", "cpu", "--steps", "2", "--n-images", "1", "codecs"]
    code, out, err = cli(argv, capsys)
    assert code == 0, err
    assert out.startswith("codecs: ")
    (table,) = (tmp_path / "results" / "smoke").glob("rd-*.csv")
    df = pd.read_csv(table)
    assert {"ganz", "ganz_qat"} <= set(df["method"]) and (df["bytes"] > 0).all()
