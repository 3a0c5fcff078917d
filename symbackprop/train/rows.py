"""The rows of a sweep on disk: one row per training run, in CSV or Parquet.

A killed sweep leaves a valid file of completed rows:

- CSV: each finished batch is appended with a single ``write`` of whole lines and flushed;
  a last line cut short (no newline: the machine stopped mid-write) is dropped on
  ``--resume``. No completed batch is lost.
- Parquet (``pyarrow``; a Parquet file is valid only once its footer is written): the whole
  table is written to a temporary file and renamed over the output (``os.replace``), at most
  every ``FLUSH_SECONDS`` and at the end. A kill loses at most the last few seconds of rows.

At the end the file is rewritten once, atomically, sorted by (lr, epochs, seed).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from symbackprop.errors import SymbackpropError

FLUSH_SECONDS = 2.0
SUFFIXES = (".csv", ".parquet")
PARQUET_INSTALL = "pip install 'symbackprop[sweep]'"


@dataclass(frozen=True)
class Row:
    """One training run of a sweep."""

    seed: int
    lr: float
    epochs: int
    batch_size: int
    final_loss: float  # the mean loss per case of the last epoch run (NaN or inf if diverged)
    success: bool | None  # every case right at threshold 0.5 at the end; None: targets not 0/1
    epochs_to_success: int | None  # the first epoch at which every case was right
    diverged_at: int | None  # the epoch at which the loss became inf or NaN

    @property
    def key(self) -> tuple[int, float, int, int]:
        return (self.seed, self.lr, self.epochs, self.batch_size)


FIELDS = tuple(f.name for f in fields(Row))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)  # round-trips: the loss read back is bit for bit the loss computed
    return str(value)


def _optional_int(text: str) -> int | None:
    return int(text) if text != "" else None


def _parse(record: list[str], where: str) -> Row:
    if len(record) != len(FIELDS):
        raise SymbackpropError(f"{where}: {len(record)} cells, expected {len(FIELDS)}")
    try:
        seed, lr, epochs, batch, loss, success, first, diverged = record
        return Row(
            int(seed),
            float(lr),
            int(epochs),
            int(batch),
            float(loss),
            None if success == "" else success == "1",
            _optional_int(first),
            _optional_int(diverged),
        )
    except ValueError as exc:
        raise SymbackpropError(f"{where}: {exc}") from None


def check_output(path: Path, resume: bool) -> None:
    """Refuse, before anything runs, an output that cannot be written (or would be clobbered)."""
    if path.suffix not in SUFFIXES:
        raise SymbackpropError(f"-o {path}: the file must end in .csv or .parquet")
    if path.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise SymbackpropError(f"-o {path}: Parquet needs pyarrow: {PARQUET_INSTALL}") from None
    folder = path.parent
    if not folder.is_dir():
        raise SymbackpropError(f"-o {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise SymbackpropError(f"-o {path}: is a folder")
    if path.exists() and not resume:
        raise SymbackpropError(
            f"-o {path}: the file exists; --resume continues that sweep, or remove the file"
        )
    try:  # the folder takes new files (the temporary files, and the output)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".tmp"):
            pass
        if path.exists():
            with open(path, "ab"):
                pass
    except OSError as exc:
        raise SymbackpropError(f"-o {path}: cannot write there ({exc.strerror or exc})") from None


def read_rows(path: Path) -> list[Row]:
    """The completed rows of an earlier sweep (an absent file has none)."""
    if not path.exists():
        return []
    if path.suffix == ".parquet":
        return _read_parquet(path)
    text = path.read_text("utf-8")
    if "\n" in text and not text.endswith("\n"):
        text = text[: text.rindex("\n") + 1]  # a last line cut short by a kill
    elif "\n" not in text:
        text = ""
    records = list(csv.reader(io.StringIO(text)))
    if not records:
        return []
    if tuple(records[0]) != FIELDS:
        raise SymbackpropError(
            f"--resume {path}: the header is not that of a sweep ({','.join(FIELDS)})"
        )
    return [_parse(r, f"--resume {path}, line {n}") for n, r in enumerate(records[1:], start=2)]


def _read_parquet(path: Path) -> list[Row]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow's ArrowInvalid and OSError
        raise SymbackpropError(f"--resume {path}: not a readable Parquet file ({exc})") from None
    if tuple(table.column_names) != FIELDS:
        raise SymbackpropError(f"--resume {path}: the columns are not those of a sweep")
    columns = [table.column(name).to_pylist() for name in FIELDS]
    return [Row(*values) for values in zip(*columns)]


def _csv_text(rows: Iterable[Row], header: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(FIELDS)
    writer.writerows([_cell(v) for v in astuple(r)] for r in rows)
    return out.getvalue()


def _parquet_table(rows: list[Row]) -> object:
    import pyarrow as pa

    schema = pa.schema(
        [
            ("seed", pa.int64()),
            ("lr", pa.float64()),
            ("epochs", pa.int64()),
            ("batch_size", pa.int64()),
            ("final_loss", pa.float64()),
            ("success", pa.bool_()),
            ("epochs_to_success", pa.int64()),
            ("diverged_at", pa.int64()),
        ]
    )
    data = {name: [getattr(r, name) for r in rows] for name in FIELDS}
    return pa.table(data, schema=schema)


def _replace(path: Path, write: object) -> None:
    """Write through a temporary file in the same folder, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        write(tmp)  # type: ignore[operator]
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class RowsFile:
    """The output of a sweep, opened after every check has passed: rows added as batches end."""

    def __init__(self, path: Path, earlier: list[Row]) -> None:
        self.path = path
        self.rows: list[Row] = list(earlier)
        self.keys = {r.key for r in earlier}
        self.parquet = path.suffix == ".parquet"
        self.flushed = time.monotonic()
        self.dirty = False
        self._write_all(self.rows)  # also drops the cut-short last line of a killed sweep

    def add(self, rows: Iterable[Row]) -> int:
        """Keep (and write) the rows not already present; the number added."""
        new = [r for r in rows if r.key not in self.keys]
        if not new:
            return 0
        self.keys.update(r.key for r in new)
        self.rows.extend(new)
        if self.parquet:
            self.dirty = True
            if time.monotonic() - self.flushed >= FLUSH_SECONDS:
                self.flush()
        else:
            data = _csv_text(new, header=False).encode("utf-8")
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            try:
                while data:  # one write of whole lines (a regular file takes it whole)
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
        return len(new)

    def flush(self) -> None:
        if self.parquet and self.dirty:
            self._write_all(self.rows)
            self.dirty = False
        self.flushed = time.monotonic()

    def finish(self) -> None:
        """Rewrite the file sorted by (lr, epochs, batch size, seed)."""
        self.rows.sort(key=lambda r: (r.lr, r.epochs, r.batch_size, r.seed))
        self._write_all(self.rows)
        self.dirty = False

    def _write_all(self, rows: list[Row]) -> None:
        if self.parquet:
            import pyarrow.parquet as pq

            table = _parquet_table(rows)
            _replace(self.path, lambda tmp: pq.write_table(table, tmp))
        else:
            text = _csv_text(rows, header=True)
            _replace(self.path, lambda tmp: Path(tmp).write_text(text, "utf-8"))
