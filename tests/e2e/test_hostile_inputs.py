"""Issue 11: hostile input to every subcommand and to the library is one clear error.

CLI: exit 2 and one line on stderr, never a traceback. Library: a SymbackpropError subclass.
Each case is a family of the probe (non-UTF-8 files, huge integers, deep nesting, FIFOs,
corrupt archives, unbounded numbers, wrong types...).
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import symbackprop
from symbackprop import NetworkSpec, SymbackpropError, derive, preset
from symbackprop.cli.main import main
from symbackprop.errors import ArgumentError, SpecError, UsageError
from symbackprop.testing import assert_derivation

ROOT = Path(__file__).resolve().parents[2]
NOTE_VALUES = str(ROOT / "examples" / "note.toml")


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], *words: str) -> str:
    """Run the CLI: exit 2 and one line on stderr containing every word."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("symbackprop: error: "), err
    for w in words:
        assert w in err, err
    return err


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "binary.toml").write_bytes(b"layers = [2, 2, 1]\n\xff\xfe\x00name = 1")
    (tmp_path / "bigint.toml").write_text("layers = [2, " + "9" * 5000 + ", 1]\n")
    (tmp_path / "deep.toml").write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    return tmp_path


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("binary.toml", ["not UTF-8", "offset 19", "0xff"]),
        ("bigint.toml", ["too many digits"]),
        ("deep.toml", ["nested too deeply"]),
    ],
)
@pytest.mark.parametrize("role", ["spec", "values", "claims", "notation", "document", "csv"])
def test_bad_files(
    capsys: pytest.CaptureFixture[str], files: Path, name: str, words: list[str], role: str
) -> None:
    path = str(files / name)
    argv = {
        "spec": ["derive", path],
        "values": ["eval", "note", "--values", path],
        "claims": ["verify", "note", "--claims", path],
        "notation": ["derive", "2-2-1", "--notation", path],
        "document": ["audit", path, "--spec", "note"],
        "csv": ["train", "2-2-1", "--data", path.replace(".toml", ".csv")],
    }[role]
    if role == "csv":
        Path(argv[-1]).write_bytes((files / name).read_bytes())
        words = words if name == "binary.toml" else []
    if role == "document" and name != "binary.toml":
        return  # a document is not TOML
    refused(capsys, argv, *words)


def test_fifo_is_refused_not_opened(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    refused(capsys, ["derive", str(fifo)], "not a regular file")
    refused(capsys, ["audit", str(fifo), "--spec", "note"], "not a regular file")
    refused(capsys, ["eval", "note", "--values", str(fifo)], "not a regular file")
    refused(capsys, ["train", "2-2-1", "--data", str(fifo)], "not a regular file")
    refused(capsys, ["derive", "/dev/zero"], "not a regular file")


def test_a_folder_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    refused(capsys, ["eval", "note", "--values", str(tmp_path)], "folder")


def test_superscript_layer_number(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    notation = tmp_path / "n.toml"
    notation.write_text('[layers."²"]\nunit = "h_{$j}"\n', encoding="utf-8")
    refused(capsys, ["derive", "2-2-1", "--notation", str(notation)], "layer number")
    refused(capsys, ["derive", "2-²-1"], "inline spec")


def test_sizes_are_bounded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    refused(capsys, ["derive", "100000-100000-1"], "10,000,200,001 parameters", "10,000,000")
    refused(capsys, ["generate", "100000-100000-1"], "parameters", "limit")
    spec = tmp_path / "huge.toml"
    spec.write_text("layers = [2, 100000000000000000000000, 1]\n")
    refused(capsys, ["derive", str(spec)], "about 10^23 parameters")


def npz_cases(tmp_path: Path) -> dict[str, Path]:
    ok = tmp_path / "ok.npz"
    np.savez(ok, X=np.zeros((4, 2)), Y=np.zeros(4))
    cases = {"truncated": tmp_path / "truncated.npz", "objects": tmp_path / "objects.npz"}
    cases["truncated"].write_bytes(ok.read_bytes()[:150])
    np.savez(cases["objects"], X=np.array([1, "a", None], dtype=object), Y=np.zeros(3))
    cases["garbage"] = tmp_path / "garbage.npz"
    cases["garbage"].write_bytes(os.urandom(300))
    bomb = cases["bomb"] = tmp_path / "bomb.npz"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z,
        z.open("X.npy", "w", force_zip64=True) as fh,
    ):
        header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
        header["shape"] = (2**28, 1)
        np.lib.format.write_array_header_1_0(fh, header)
        block = b"\0" * (1 << 24)
        for _ in range(2**31 // len(block)):
            fh.write(block)
    return cases


def test_bad_npz(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name, path in npz_cases(tmp_path).items():
        err = refused(capsys, ["train", "2-2-1", "--data", str(path)])
        assert {"truncated": ".npz", "objects": "objects", "garbage": ".npz", "bomb": "bytes"}[
            name
        ] in err


def test_csv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    long = tmp_path / "long.csv"
    long.write_text("0,0," + "1" * 200_000 + "\n")
    refused(capsys, ["train", "2-2-1", "--data", str(long)], "CSV")
    bom = tmp_path / "bom.csv"
    bom.write_text("0,0,0\n0,1,1\n1,0,1\n1,1,0\n", encoding="utf-8-sig")
    from symbackprop.train import load_data

    assert load_data(str(bom), 2, 1).X.shape == (4, 2)  # the first row is data, not a header
    refused(capsys, ["train", "2-2-1", "--data", str(bom), "--inputs", "²", "--targets", "3"], "²")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--epochs", str(10**12)], ["--epochs", "10,000,000"]),
        (["--epochs", "0"], ["--epochs"]),
        (["--seed", str(2**64)], ["--seed", "4,294,967,295"]),
        (["--seed", "-1"], ["--seed", "0..4,294,967,295"]),
        (["--seed", "4294967295", "--restarts", "2"], ["last seed"]),
        (["--restarts", str(10**12)], ["--restarts"]),
        (["--plot", "loss.txt"], ["--plot", ".png"]),
        (["--plot", "/"], ["--plot"]),
        (["--plot", "/no/such/folder/loss.png"], ["does not exist"]),
        (["--save", "/"], ["--save", "folder"]),
        (["--save", "x" * 256 + ".npz"], ["--save", "longer"]),
        (["--gain-value", "inf"], ["--gain-value"]),
        (["--lr", "1e999999999"], ["--lr"]),
    ],
)
def test_train_options(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    refused(capsys, ["train", "xor-bias", "--data", "xor", *argv], *words)


def test_plot_folder_with_an_image_name(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "loss.png").mkdir()
    refused(
        capsys,
        ["train", "xor-bias", "--data", "xor", "--plot", str(tmp_path / "loss.png")],
        "folder",
    )


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["eval", "note", "--values", NOTE_VALUES, "--digits", "-1"], ["--digits", "0..40"]),
        (["eval", "note", "--values", NOTE_VALUES, "--digits", "100000000"], ["--digits"]),
        (["derive", "2-3-1", "--activation", ""], ["--activation is empty"]),
        (["derive", "2-3-1", "--loss", ""], ["--loss is empty"]),
        (["derive", "2-3-1", "--notation", ""], ["--notation is empty"]),
        (["verify", "note", "--claim", "x", "--learning-rate", "1e999999999"], ["exponent"]),
        (["verify", "note", "--claim", "x", "--decimals", "999999999"], ["--decimals", "0..40"]),
        (["verify", "maren", "--claim", "x", "--bind", "o=1,o=2"], ["'o' twice"]),
        (["generate", "note", "-o", "x" * 256 + ".py"], ["file name"]),
        (["derive", "x" * 300 + ".toml"], ["spec file"]),
    ],
)
def test_cli_options(capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]) -> None:
    refused(capsys, argv, *words)


def test_long_spec_name_generates_into_a_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = tmp_path / "long.toml"
    spec.write_text(f'name = "{"n" * 256}"\nlayers = [2, 2, 1]\n')
    refused(capsys, ["generate", str(spec), "-o", str(tmp_path)], "file name")


def test_json_is_strict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    values = tmp_path / "v.toml"
    values.write_text(
        "x = [1e300, 1e300]\ny = [1]\n[params]\n"
        + "".join(f'"w_{{{k}}}" = 1e300\n' for k in range(1, 7))
    )
    code = main(["eval", "note", "--values", str(values), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Infinity" not in out and "NaN" not in out
    json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON: {c}"))


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"symbackprop {symbackprop.__version__}"


# ---------------------------------------------------------------- the library


def test_derive_takes_what_a_user_would_pass(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text("layers = [2, 2, 1]\n")
    for given in ("sears-xor", "2-3-1", preset("note"), str(spec), spec):
        assert derive(given).gradients


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: derive(None), ArgumentError),
        (lambda: derive(3), ArgumentError),
        (lambda: derive(["2-3-1"]), ArgumentError),
        (lambda: derive({"layers": [2, 1]}), ArgumentError),
        (lambda: derive("no-such-preset"), SpecError),
        (lambda: derive("2-3-1", notation=5), ArgumentError),
        (lambda: derive("2-3-1", params=5), ArgumentError),
        (lambda: derive("2-3-1", params=[1, 2]), ArgumentError),
        (lambda: derive(""), SpecError),
        (lambda: derive("2-3-1").to_json("bogus"), UsageError),
        (lambda: derive("2-3-1").to_text("bogus"), UsageError),
        (lambda: derive("2-3-1").latex("bogus"), UsageError),
        (lambda: assert_derivation(None, "w_{1}", "x"), ArgumentError),
        (lambda: assert_derivation("sears-xor", 1, "x"), ArgumentError),
        (lambda: assert_derivation("sears-xor", "w_{1}", None), ArgumentError),
        (lambda: assert_derivation("sears-xor", "w_{1}", "x", kind=3), ArgumentError),
        (lambda: assert_derivation("sears-xor", "w_{1}", "x", kind="bogus"), UsageError),
        (lambda: assert_derivation("sears-xor", "w_{1}", "x", bind={"o": 1}), ArgumentError),
        (lambda: assert_derivation("sears-xor", "w_{1}", "x", notation=1), ArgumentError),
        (lambda: NetworkSpec((2, 1), ("sigmoid",), ("yes",), (False,)), SpecError),
        (lambda: NetworkSpec((2, 2, 1), ("sigmoid", ""), (True, ""), (False, False)), SpecError),
        (lambda: NetworkSpec((2, 1), ("sigmoid",), (True,), (False,), loss=None), SpecError),
        (lambda: NetworkSpec((2, 1), ("sigmoid",), (True,), (False,), mean="no"), SpecError),
        (lambda: NetworkSpec("21", ("sigmoid",), (True,), (False,)), SpecError),
        (lambda: NetworkSpec((2, 1), (1,), (True,), (False,)), SpecError),
    ],
)
def test_library_boundary(call: object, error: type) -> None:
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    assert isinstance(info.value, SymbackpropError)
    assert "\n" not in str(info.value)


def test_wrong_types_are_also_type_errors() -> None:
    with pytest.raises(TypeError):
        derive(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        derive("2-3-1").to_json("bogus")
