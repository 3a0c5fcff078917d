"""The command line: ``symbackprop derive|eval|generate|train|verify|audit|...``.

May import: every other subpackage; nothing imports it.
"""

import signal
import sys
import threading
from types import FrameType

_seen: list[int] = []  # a Ctrl-C while the libraries load (Python may swallow the exception)


def _note(signum: int, frame: FrameType | None) -> None:
    _seen.append(signum)
    raise KeyboardInterrupt


def _unraisable(info: "sys.UnraisableHookArgs") -> None:
    if isinstance(info.exc_value, KeyboardInterrupt):
        _seen.append(signal.SIGINT)  # swallowed inside an import callback: noted, not printed
    else:
        sys.__unraisablehook__(info)


_main_thread = threading.current_thread() is threading.main_thread()
sys.unraisablehook = _unraisable
_previous = signal.signal(signal.SIGINT, _note) if _main_thread else None
try:
    from symbackprop.cli.main import main
except KeyboardInterrupt:
    _seen.append(signal.SIGINT)
finally:
    sys.unraisablehook = sys.__unraisablehook__
    if _main_thread:
        signal.signal(signal.SIGINT, _previous)
if _seen:  # the same one line as a Ctrl-C later on
    print("symbackprop: interrupted", file=sys.stderr)
    raise SystemExit(130)

__all__ = ["main"]
