"""Training data: XOR, CSV, NPZ and scikit-learn's digits, each checked against the network's
shape."""

from __future__ import annotations

import csv
import io
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from symbackprop.errors import SymbackpropError
from symbackprop.files import big, kind, read_text, regular_file
from symbackprop.model.losses import loss_for
from symbackprop.model.spec import NetworkSpec

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


@dataclass(frozen=True)
class Dataset:
    X: np.ndarray
    Y: np.ndarray
    source: str
    test: Dataset | None = None  # a held-out split (digits), never trained on

    @property
    def binary(self) -> bool:
        """Targets all 0 or 1: success (every case right at threshold 0.5) is defined."""
        return bool(np.all((self.Y == 0.0) | (self.Y == 1.0)))

    @property
    def labelled(self) -> bool:
        """Accuracy is defined: one 0/1 target column, or one-hot rows (a single 1, the rest 0)."""
        return self.binary and (self.Y.shape[1] == 1 or bool(np.all(self.Y.sum(axis=1) == 1.0)))


def _columns(flag: str | None) -> list[str] | None:
    return [c.strip() for c in flag.split(",") if c.strip()] if flag else None


def _finite(name: str, values: np.ndarray, where: str) -> None:
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        row, col = int(bad[0][0]), int(bad[0][1])
        raise SymbackpropError(
            f"{where}: {name} row {row + 1}, column {col + 1} is {float(values[row, col])!r}: "
            "every value must be a finite number"
        )


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _shape_error(
    where: str, have: str, n_inputs: int, n_outputs: int, hint: str = ""
) -> SymbackpropError:
    return SymbackpropError(
        f"{where}: {have}, but the network has {_count(n_inputs, 'input')} and "
        f"{_count(n_outputs, 'output')}{hint}"
    )


def _check(X: np.ndarray, Y: np.ndarray, n_inputs: int, n_outputs: int, where: str) -> Dataset:
    if X.shape[0] == 0:
        raise SymbackpropError(f"{where}: no rows of data")
    if X.shape[1] != n_inputs or Y.shape[1] != n_outputs:
        have = f"{_count(X.shape[1], 'input column')} and {_count(Y.shape[1], 'target column')}"
        raise _shape_error(where, have, n_inputs, n_outputs)
    if X.shape[0] != Y.shape[0]:
        raise SymbackpropError(
            f"{where}: {X.shape[0]} rows of inputs but {Y.shape[0]} rows of targets"
        )
    _finite("input", X, where)
    _finite("target", Y, where)
    return Dataset(
        np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(Y, dtype=np.float64), where
    )


def _pick(header: list[str] | None, names: list[str], where: str, flag: str) -> list[int]:
    out = []
    for name in names:
        if header is not None and name in header:
            out.append(header.index(name))
        elif name.isascii() and name.isdigit() and len(name) <= 9 and int(name) >= 1:
            out.append(int(name) - 1)
        else:
            known = (
                f"; columns are {', '.join(map(repr, header))[:200]}"
                if header
                else " (the file has no header: use 1-based numbers)"
            )
            raise SymbackpropError(f"{where}: {flag} names unknown column {name!r:.60}{known}")
    return out


def _number(cell: str, where: str, row: int, col: int) -> float:
    try:
        return float(cell)
    except ValueError:
        raise SymbackpropError(
            f"{where}: row {row}, column {col} is {shown(cell)}, not a number"
        ) from None


def shown(cell: str, most: int = 40) -> str:
    """A cell for a message: quoted, escaped, and cut after ``most`` characters."""
    return repr(cell[:most]) + ("..." if len(cell) > most else "")


def load_csv(
    path: Path, n_inputs: int, n_outputs: int, inputs: list[str] | None, targets: list[str] | None
) -> Dataset:
    where = str(path)
    text = read_text(path, "data file")
    try:
        rows = [
            r for r in csv.reader(io.StringIO(text, newline="")) if r and any(c.strip() for c in r)
        ]
    except csv.Error as exc:
        raise SymbackpropError(f"{where}: not a readable CSV file: {exc}") from None
    if not rows:
        raise SymbackpropError(f"{where}: the file is empty")
    header: list[str] | None = None
    try:
        [float(c) for c in rows[0]]
    except ValueError:
        header = [c.strip() for c in rows[0]]
        rows = rows[1:]
    width = len(header) if header is not None else len(rows[0]) if rows else 0
    for r, row in enumerate(rows, start=2 if header else 1):
        if len(row) != width:
            raise SymbackpropError(f"{where}: row {r} has {len(row)} columns, expected {width}")
    if inputs is None and targets is None:
        if width != n_inputs + n_outputs:
            raise SymbackpropError(
                f"{where}: {width} columns, but the network needs {n_inputs} inputs + {n_outputs} "
                "targets "
                f"= {n_inputs + n_outputs}; name the columns with --inputs and --targets"
            )
        in_cols, out_cols = list(range(n_inputs)), list(range(n_inputs, width))
    else:
        if inputs is None or targets is None:
            raise SymbackpropError(f"{where}: give both --inputs and --targets, or neither")
        in_cols, out_cols = (
            _pick(header, inputs, where, "--inputs"),
            _pick(header, targets, where, "--targets"),
        )
        for c in in_cols + out_cols:
            if c >= width:
                raise SymbackpropError(
                    f"{where}: column {c + 1} does not exist; the file has {width} columns"
                )
    first = 2 if header else 1
    data = np.array(
        [
            [_number(row[c], where, r, c + 1) for c in in_cols + out_cols]
            for r, row in enumerate(rows, start=first)
        ],
        dtype=np.float64,
    ).reshape(len(rows), len(in_cols) + len(out_cols))
    return _check(data[:, : len(in_cols)], data[:, len(in_cols) :], n_inputs, n_outputs, where)


def load_npz(
    path: Path, n_inputs: int, n_outputs: int, inputs: list[str] | None, targets: list[str] | None
) -> Dataset:
    where = str(path)
    arrays = read_npz(path, "data file")
    keys = list(arrays)

    def stack(names: list[str], flag: str) -> np.ndarray:
        parts = []
        for name in names:
            if name not in keys:
                raise SymbackpropError(
                    f"{where}: {flag} names array {name!r}; the archive holds"
                    f" {', '.join(keys) or 'no arrays'}"
                )
            arr = arrays[name]
            if arr.dtype.kind not in "fiub":
                raise SymbackpropError(f"{where}: array {name!r} is not numeric")
            parts.append(arr.reshape(-1, 1) if arr.ndim == 1 else arr)
            if parts[-1].ndim != 2:
                raise SymbackpropError(f"{where}: array {name!r} must be 1-D or 2-D")
        if len({p.shape[0] for p in parts}) > 1:
            raise SymbackpropError(f"{where}: the arrays of {flag} have different numbers of rows")
        return np.hstack(parts).astype(np.float64)

    X = stack(inputs or ["X"], "--inputs")
    Y = stack(targets or ["Y"], "--targets")
    return _check(X, Y, n_inputs, n_outputs, where)


MAX_NPZ_BYTES = 1 << 30  # the arrays of one .npz archive, uncompressed


def read_npz(path: str | Path, what: str, limit: int = MAX_NPZ_BYTES) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive, checked before anything is decompressed.

    Only a regular file; every member an ``.npy`` array of numbers (no objects, no pickles)
    whose header's shape and dtype agree with the size the archive declares, all together
    at most ``limit`` bytes uncompressed (a decompression bomb is refused, not inflated).
    """
    p = regular_file(path, what)
    where = f"{what} {path}"
    try:
        with zipfile.ZipFile(p) as archive:
            infos = archive.infolist()
            total = sum(i.file_size for i in infos)
            if total > limit:
                raise SymbackpropError(
                    f"{where}: the arrays would take {big(total)} bytes uncompressed (at most"
                    f" {big(limit)})"
                )
            out: dict[str, np.ndarray] = {}
            for info in infos:
                name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
                with archive.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    header = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = header(fh)
                    if dtype.hasobject:
                        raise SymbackpropError(
                            f"{where}: array {name!r} holds Python objects; only numbers are read"
                        )
                    nbytes = math.prod(shape) * dtype.itemsize
                    if nbytes > info.file_size:
                        raise SymbackpropError(
                            f"{where}: array {name!r} declares {big(nbytes)} bytes but the archive"
                            f" holds {big(info.file_size)}"
                        )
                with archive.open(info) as fh:
                    out[name] = np.lib.format.read_array(fh, allow_pickle=False)
            return out
    except SymbackpropError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, KeyError) as exc:
        raise SymbackpropError(
            f"{where}: not a readable .npz archive ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None


DIGITS_SPLIT_SEED = 0


DIGITS_TEST_SHARE = 0.2


def digits_split(n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers of the train and test parts: a PCG64 permutation (seed DIGITS_SPLIT_SEED), test
    first."""
    order = np.random.Generator(np.random.PCG64(DIGITS_SPLIT_SEED)).permutation(n_rows)
    n_test = round(DIGITS_TEST_SHARE * n_rows)
    return order[n_test:], order[:n_test]


def load_digits(n_inputs: int = 64, n_outputs: int = 10) -> Dataset:
    """scikit-learn's bundled 8x8 digits: pixels scaled to [0, 1], one-hot targets, a fixed 80/20
    split.

    The split is a permutation from NumPy's PCG64 with seed DIGITS_SPLIT_SEED, so it is
    the same on every machine; ``.test`` holds the 20 %.
    """
    where = "--data digits"
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise SymbackpropError(
            f"{where} needs scikit-learn: pip install 'symbackprop[digits]'"
        ) from None
    bunch = sklearn_digits()
    X = np.asarray(bunch.data, dtype=np.float64) / 16.0
    labels = np.asarray(bunch.target, dtype=np.int64)
    Y = np.zeros((labels.size, 10))
    Y[np.arange(labels.size), labels] = 1.0
    if n_inputs != X.shape[1] or n_outputs != Y.shape[1]:
        have = (
            f"the digits are {X.shape[1]} inputs (8x8 pixels) and {Y.shape[1]} one-hot targets "
            "(classes 0-9)"
        )
        hint = (
            "; use a spec 64-...-10, for example: "
            "train 64-32-10 --activation sigmoid,softmax --loss cross_entropy"
        )
        raise _shape_error(where, have, n_inputs, n_outputs, hint)
    train, test = digits_split(labels.size)
    held_out = _check(X[test], Y[test], n_inputs, n_outputs, f"{where} (test split)")
    data = _check(X[train], Y[train], n_inputs, n_outputs, f"{where} (train split)")
    return Dataset(data.X, data.Y, data.source, test=held_out)


def load_data(
    ref: str, n_inputs: int, n_outputs: int, inputs: str | None = None, targets: str | None = None
) -> Dataset:
    """``xor`` or ``digits`` (built in), a CSV file (header optional) or an .npz archive."""
    if ref == "xor":
        return _check(XOR_X.copy(), XOR_Y.copy(), n_inputs, n_outputs, "--data xor")
    if ref == "digits":
        return load_digits(n_inputs, n_outputs)
    path = Path(ref)
    if kind(ref) == "other":
        regular_file(ref, "data file")  # a FIFO or a device: refused by name
    if kind(ref) != "file":
        raise SymbackpropError(
            f"--data {ref}: no such file (use xor, digits, a .csv or an .npz file)"
        )
    if path.suffix == ".npz":
        return load_npz(path, n_inputs, n_outputs, _columns(inputs), _columns(targets))
    return load_csv(path, n_inputs, n_outputs, _columns(inputs), _columns(targets))


PROBABILITY_TOLERANCE = 1e-9  # how far a categorical target row may sum from 1


def check_targets(spec: NetworkSpec, data: Dataset) -> None:
    """Targets that cross_entropy is defined for, in the training data and any held-out split.

    Categorical (softmax output): every row a probability vector, non-negative and summing
    to 1; the generated output delta a - y holds only then. Binary (sigmoid output): every
    target in [0, 1]; outside it the loss has no minimum.
    """
    if spec.loss != "cross_entropy":
        return
    target_sum = loss_for(spec.loss, spec.activations[-1]).target_sum  # categorical: rows sum to it
    for part in (data, data.test):
        if part is None:
            continue
        Y = part.Y
        bad = np.argwhere((Y < 0.0) | (Y > 1.0))
        if target_sum is not None:
            sums = Y.sum(axis=1)
            off = np.flatnonzero(np.abs(sums - target_sum) > PROBABILITY_TOLERANCE)
            rows = sorted({int(r) for r in bad[:, 0]} | {int(r) for r in off})
            if rows:
                r = rows[0]
                raise SymbackpropError(
                    f"{part.source}: the targets of data row {r + 1} are {_row(Y[r])} (sum "
                    f"{sums[r]:.6g}): categorical "
                    "cross_entropy with a softmax output needs every target row to be one-hot or "
                    "a "
                    f"probability vector (non-negative, summing to 1); {len(rows)} of {len(Y)} "
                    "rows are not"
                )
        elif bad.size:
            r, c = int(bad[0][0]), int(bad[0][1])
            raise SymbackpropError(
                f"{part.source}: target {c + 1} of data row {r + 1} is {float(Y[r, c]):g}: binary "
                f"cross_entropy with a sigmoid output needs every target in [0, 1]; "
                f"{len(bad)} target(s) are outside"
            )


def _row(values: np.ndarray) -> str:
    return "(" + ", ".join(f"{float(v):g}" for v in values) + ")"
