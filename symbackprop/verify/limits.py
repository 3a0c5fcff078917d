"""Hard limits on the verifier: input size checked at once, time and memory enforced in a worker.

A claim is judged in a forked worker process that inherits everything the caller has built
(the network, its derivations) and sends back only the outcomes. The worker may use
``Limits.seconds`` of CPU time (the kernel stops it there, so a loaded machine does not cut a
claim short); a worker that waits without computing is killed after a wall-clock backstop of
``3 * seconds + 5``. Either way the claim is *undecided* ("exceeded the 10 s limit"), never a
hang. The worker's address space is capped at the
caller's size plus ``Limits.memory_mb``, so a claim that blows up SymPy's expressions ends
as *undecided* too, without taking the machine with it.

Inputs over a size limit (length, nesting depth, digits of a number, an exponent) are refused
before any work, with one line.

Where ``fork`` is not available (Windows), claims run in the calling process without the time
and memory limits; the size limits still hold.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import re
import resource
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from symbackprop.errors import SymbackpropError

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one claim may take: wall seconds, extra memory, and the size of its LaTeX."""

    seconds: float = 10.0
    memory_mb: int = 2048
    max_chars: int = 5000
    max_depth: int = 40
    max_digits: int = 30
    max_exponent: int = 64

    def __post_init__(self) -> None:
        if not 0 < self.seconds <= 86_400:
            raise SymbackpropError(f"--timeout must be in (0, 86400] seconds, got {self.seconds}")
        if not 64 <= self.memory_mb <= 1_048_576:
            raise SymbackpropError(
                f"the memory limit must be 64 MiB to 1 TiB, got {self.memory_mb}"
            )


DEFAULT_LIMITS = Limits()


class InputTooLargeError(SymbackpropError):
    """A claim over a size limit: refused before any work."""


@dataclass(frozen=True)
class Exceeded:
    """The worker was stopped: ``why`` is "exceeded the 10 s limit" or the memory one."""

    why: str


@dataclass(frozen=True)
class Done(Generic[T]):
    value: T


DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
EXPONENT = re.compile(r"\^\s*\{?\s*([+-]?\s*\d+)")
# a number raised to a power of a power (10^{10^{10}}); a name's tower is read (e^{z^L_j})
NUMBER_TOWER = re.compile(r"(?<![\w\\}])\d+(?:\.\d+)?\s*\^\s*\{[^{}]*\^")


def check_size(latex: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse LaTeX over a size limit, naming the limit."""
    if len(latex) > limits.max_chars:
        raise InputTooLargeError(
            f"the claim has {len(latex)} characters; the limit is {limits.max_chars}"
        )
    depth = deepest = 0
    for ch in latex:
        depth += ch in "{(["
        depth -= ch in "})]"
        deepest = max(deepest, depth)
    if deepest > limits.max_depth:
        raise InputTooLargeError(
            f"the claim nests brackets {deepest} deep; the limit is {limits.max_depth}"
        )
    for match in DIGITS.finditer(latex):
        digits = sum(c.isdigit() for c in match.group())
        if digits > limits.max_digits:
            raise InputTooLargeError(
                f"the number {match.group()[:12]}... has {digits} digits; "
                f"the limit is {limits.max_digits}"
            )
    for match in EXPONENT.finditer(latex):
        power = abs(int(match.group(1).replace(" ", "")))
        if power > limits.max_exponent:
            raise InputTooLargeError(
                f"the exponent {power} is over the limit of {limits.max_exponent}"
            )
    if NUMBER_TOWER.search(latex):
        raise InputTooLargeError("a power of a power (a tower such as 10^{10^{10}}) is not judged")


IN_WORKER = False  # set in the worker: a nested call runs directly
WALL_FACTOR, WALL_SLACK = 3, 5.0  # the wall-clock backstop: 3 * seconds + 5


def run_limited(work: Callable[[], T], limits: Limits = DEFAULT_LIMITS) -> Done[T] | Exceeded:
    """``work()`` in a forked worker under the time and memory limits."""
    if IN_WORKER or "fork" not in multiprocessing.get_all_start_methods():
        return Done(work())
    classes = exception_classes()  # the worker names its exception's class by id: see rebuilt
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    worker = context.Process(target=_serve, args=(work, writer, limits), daemon=True)
    worker.start()
    writer.close()
    late = Exceeded(f"exceeded the {limits.seconds:g} s limit")
    try:
        if not reader.poll(WALL_FACTOR * limits.seconds + WALL_SLACK):
            return late
        try:
            status, payload = reader.recv()
        except (EOFError, OSError):  # the worker died without a word: which limit?
            worker.join()
            if worker.exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
                return late
            return Exceeded(f"exceeded the {limits.memory_mb} MiB memory limit")
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        reader.close()
    if status == "memory":
        return Exceeded(f"exceeded the {limits.memory_mb} MiB memory limit")
    if status == "error":
        raise rebuilt(payload, classes)
    return Done(payload)


def _serve(work: Callable[[], object], writer: object, limits: Limits) -> None:
    global IN_WORKER
    IN_WORKER = True
    _cap_memory(limits.memory_mb)
    _cap_cpu(limits.seconds)
    try:
        result: tuple[str, object] = ("ok", work())
    except MemoryError:
        result = ("memory", None)
    except RecursionError:
        result = ("error", SymbackpropError("the claim is nested too deeply to judge"))
    except Exception as exc:
        result = ("error", exc)
    if result[0] == "error":
        result = ("error", portable(result[1]))  # type: ignore[arg-type]
    with contextlib.suppress(MemoryError, OSError):  # the caller then reports the limit
        writer.send(result)  # type: ignore[attr-defined]  # multiprocessing's Connection
    os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


def exception_classes() -> dict[int, type[BaseException]]:
    """Every exception class alive in this process, by id. A forked worker shares these objects,
    so it can name its exception's class by id: pickling by module path would fail for a class
    whose module was imported again since (the tests do that), and raise a stranger instead."""
    found: dict[int, type[BaseException]] = {}
    todo: list[type[BaseException]] = [BaseException]
    while todo:
        cls = todo.pop()
        if id(cls) not in found:
            found[id(cls)] = cls
            todo.extend(cls.__subclasses__())
    return found


def portable(exc: BaseException) -> tuple[int, tuple[object, ...], dict[str, object], str]:
    """An exception as (its class's id, args, attributes, text), each part picklable."""
    state = {k: v for k, v in vars(exc).items() if _picklable(v)}
    args = exc.args if _picklable(exc.args) else (str(exc),)
    return id(type(exc)), args, state, str(exc)


def rebuilt(
    payload: tuple[int, tuple[object, ...], dict[str, object], str],
    classes: dict[int, type[BaseException]],
) -> BaseException:
    """The worker's exception again, of the very class it was."""
    class_id, args, state, text = payload
    cls = classes.get(class_id)
    if cls is None:
        return RuntimeError(text)
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def _cap_cpu(seconds: float) -> None:
    """SIGXCPU (which ends the process) after ``seconds`` of CPU time, SIGKILL a second later."""
    soft = max(1, math.ceil(seconds))
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))


def _cap_memory(memory_mb: int) -> None:
    """Cap the address space at what the process maps now plus ``memory_mb``."""
    if sys.platform != "linux":
        return
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            mapped = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = mapped * 1024 + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, StopIteration):
        pass
