"""The user's files and numbers, read and written so that bad input is one clear error.

Every stage reads its input through these helpers:

- ``read_text``: regular files only (a FIFO or a device would block or never end), at most
  ``MAX_TEXT_BYTES``, strict UTF-8 (an error names the file and the byte offset), a leading
  byte-order mark dropped.
- ``parse_toml``: TOML whose errors (malformed text, nesting too deep for the parser, an
  integer over Python's int-string limit) are one ``SymbackpropError``.
- ``exact_decimal``: a decimal number from the command line as an exact fraction, bounded
  (``1e999999999`` would build a billion-digit integer).
- ``strict_json``: JSON without ``NaN`` or ``Infinity`` (they become null).
- ``write_atomic``: a temporary sibling then ``os.replace``; a temporary file left by a
  killed run is removed at the next write.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tempfile
import time
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from symbackprop.errors import SymbackpropError
from symbackprop.util import tomllib

__all__ = [
    "MAX_TEXT_BYTES",
    "big",
    "check_range",
    "exact_decimal",
    "finite",
    "kind",
    "parse_toml",
    "read_bytes",
    "read_text",
    "regular_file",
    "remove_stale_temps",
    "strict_json",
    "write_atomic",
]

MAX_TEXT_BYTES = 64 * 2**20  # a spec, notation, values, claims, CSV file or document
MAX_NUMBER_CHARS = 400  # a number on the command line
MAX_EXPONENT = 400  # |e| of a decimal number on the command line
STALE_SECONDS = 3600  # a temporary file this old is a leftover whoever wrote it
STARTED = time.time()
DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def big(n: int) -> str:
    """An integer for a message: with thousands separators, or its power of ten when huge."""
    if abs(n) < 10**15:
        return f"{n:,}"
    return f"about 10^{int(abs(n).bit_length() * math.log10(2))}"


def kind(path: str | os.PathLike[str]) -> str | None:
    """``"file"``, ``"folder"``, ``"other"`` (FIFO, device...) or None (missing, unreadable, bad
    name)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return "file" if stat.S_ISREG(mode) else "folder" if stat.S_ISDIR(mode) else "other"


def regular_file(path: str | os.PathLike[str], what: str, error: type = SymbackpropError) -> Path:
    """``path`` if it names a regular file; otherwise one clear error (FIFOs and devices too)."""
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except ValueError:  # an embedded NUL byte
        raise error(f"cannot read {what} {path!r}: not a valid file name") from None
    if stat.S_ISDIR(mode):
        raise error(f"cannot read {what} {path}: it is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise error(f"cannot read {what} {path}: not a regular file (a FIFO, socket or device)")
    return p


def read_bytes(
    path: str | os.PathLike[str],
    what: str,
    error: type = SymbackpropError,
    limit: int = MAX_TEXT_BYTES,
) -> bytes:
    p = regular_file(path, what, error)
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{what} {path} is larger than {big(limit)} bytes")
    return data


def decode(data: bytes, where: str, error: type = SymbackpropError) -> str:
    """Strict UTF-8, a leading byte-order mark dropped; an error names the byte offset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{where} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"({exc.reason}); save it as UTF-8"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: str | os.PathLike[str], what: str, error: type = SymbackpropError) -> str:
    """A regular file's UTF-8 text (see the module's docstring)."""
    return decode(read_bytes(path, what, error), f"{what} {path}", error)


def parse_toml(text: str, where: str, error: type = SymbackpropError) -> dict[str, Any]:
    """TOML text as a dict; every failure of the parser is one ``error``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}: malformed TOML: {exc}") from None
    except RecursionError:
        raise error(f"{where}: malformed TOML: tables or arrays nested too deeply") from None
    except ValueError as exc:  # int() over the int-string limit
        if "digits" in str(exc):
            raise error(f"{where}: a number in the file has too many digits") from None
        raise error(f"{where}: malformed TOML: {exc}") from None


def exact_decimal(text: str, what: str, error: type = SymbackpropError) -> Fraction:
    """A decimal (``0.05``, ``1e-3``, ``1/2``) as an exact fraction, within sane bounds."""
    s = text.strip()
    if len(s) > MAX_NUMBER_CHARS:
        raise error(f"{what} must be a number of at most {MAX_NUMBER_CHARS} characters")
    num, slash, den = s.partition("/")
    parts = [num, den] if slash else [num]
    for part in parts:
        m = DECIMAL.fullmatch(part.strip())
        if m is None:
            raise error(f"{what} must be a number, got {text!r}")
        if m.group(3) and abs(int(m.group(3)[1:])) > MAX_EXPONENT:
            raise error(f"{what} {text!r}: the exponent must lie within ±{MAX_EXPONENT}")
    try:
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise error(f"{what} must be a number, got {text!r}") from None


def check_range(value: int, low: int, high: int, what: str, error: type = SymbackpropError) -> int:
    """``value`` if ``low <= value <= high``; else an error naming the range."""
    if not low <= value <= high:
        raise error(f"{what} must lie in {low}..{big(high)}, got {big(value)}")
    return value


def finite(value: Any) -> Any:
    """Numbers for JSON: NaN and ±inf become None, through dicts, lists and tuples."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    tolist = getattr(value, "tolist", None)  # NumPy arrays and scalars
    if tolist is not None and not isinstance(value, (str, bytes)):
        return finite(tolist())
    return value


def strict_json(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` that never prints NaN or Infinity (they become null)."""
    return json.dumps(finite(value), allow_nan=False, **kwargs)


def _temp_prefix(path: Path) -> str:
    return f".{path.name[:100]}."  # short enough that the temporary name is a valid one


def remove_stale_temps(path: Path) -> None:
    """Remove temporary siblings of ``path`` left by a killed writer.

    A temporary file is named ``.<name>.<pid>-<random>.tmp``: it is a leftover when its
    process is gone, when it predates this run and is not ours, or when it is an hour old.
    """
    prefix = _temp_prefix(path)
    try:
        names = [n for n in os.listdir(path.parent) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    now = time.time()
    for name in names:
        sibling = path.parent / name
        pid_text = name[len(prefix) :].partition("-")[0]
        try:
            age = sibling.lstat().st_mtime
            pid = int(pid_text) if pid_text.isascii() and pid_text.isdigit() else None
            stale = now - age > STALE_SECONDS or (pid is not None and not _alive(pid))
            stale = stale or (pid is None and age < STARTED)
            if stale and pid != os.getpid():
                sibling.unlink()
        except (OSError, ValueError):
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, or what a plain open() would give (mkstemp gives
    0600)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def printable(path: object) -> str:
    """A path for a one-line message: as it is, or quoted and escaped when it holds a line
    break or another control character."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def write_atomic(path: Path, data: str | bytes, what: str = "") -> None:
    """Write through a temporary file in the same folder and ``os.replace``: all or nothing."""
    label = f"{what} {printable(path)}".strip()
    folder = path.parent
    if kind(folder) != "folder":
        problem = "is not a folder" if folder.exists() else "does not exist; create it first"
        raise SymbackpropError(f"cannot write {label}: {printable(folder)} {problem}")
    remove_stale_temps(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f"{_temp_prefix(path)}{os.getpid()}-", suffix=".tmp", dir=folder
        )
        os.chmod(tmp, _file_mode(path))
        if isinstance(data, str):
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise SymbackpropError(
            f"cannot write {label}: {exc.strerror or exc}; nothing was changed"
        ) from None
    except ValueError:  # a NUL byte in the name
        raise SymbackpropError(f"cannot write {label!r}: not a valid file name") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
