"""Hard limits on the verifier: input size checked at once, time and memory enforced in a worker.

A claim is judged in a forked worker process that inherits everything the caller has built
(the network, its derivations) and sends back only the outcomes. The caller waits at most
``Limits.seconds``; a worker still busy then is killed and the claim is *undecided*
("exceeded the 10 s limit"), never a hang. The worker's address space is capped at the
caller's size plus ``Limits.memory_mb``, so a claim that blows up SymPy's expressions ends
as *undecided* too, without taking the machine with it.

Inputs over a size limit (length, nesting depth, digits of a number, an exponent) are refused
before any work, with one line.

Where ``fork`` is not available (Windows), claims run in the calling process without the time
and memory limits; the size limits still hold.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
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


class InputTooLarge(SymbackpropError):
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


def check_size(latex: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse LaTeX over a size limit, naming the limit."""
    if len(latex) > limits.max_chars:
        raise InputTooLarge(
            f"the claim has {len(latex)} characters; the limit is {limits.max_chars}"
        )
    depth = deepest = 0
    for ch in latex:
        depth += ch in "{(["
        depth -= ch in "})]"
        deepest = max(deepest, depth)
    if deepest > limits.max_depth:
        raise InputTooLarge(
            f"the claim nests brackets {deepest} deep; the limit is {limits.max_depth}"
        )
    for match in DIGITS.finditer(latex):
        digits = sum(c.isdigit() for c in match.group())
        if digits > limits.max_digits:
            raise InputTooLarge(
                f"the number {match.group()[:12]}... has {digits} digits; "
                f"the limit is {limits.max_digits}"
            )
    for match in EXPONENT.finditer(latex):
        power = abs(int(match.group(1).replace(" ", "")))
        if power > limits.max_exponent:
            raise InputTooLarge(f"the exponent {power} is over the limit of {limits.max_exponent}")
    if re.search(r"\^\s*\{[^{}]*\^", latex):
        raise InputTooLarge("a power of a power (a tower such as 10^{10^{10}}) is not judged")


IN_WORKER = False  # set in the worker: a nested call runs directly


def run_limited(work: Callable[[], T], limits: Limits = DEFAULT_LIMITS) -> Done[T] | Exceeded:
    """``work()`` in a forked worker under the time and memory limits."""
    if IN_WORKER or "fork" not in multiprocessing.get_all_start_methods():
        return Done(work())
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    worker = context.Process(target=_serve, args=(work, writer, limits.memory_mb), daemon=True)
    worker.start()
    writer.close()
    try:
        if not reader.poll(limits.seconds):
            return Exceeded(f"exceeded the {limits.seconds:g} s limit")
        try:
            status, payload = reader.recv()
        except (EOFError, OSError):
            return Exceeded(f"exceeded the {limits.memory_mb} MiB memory limit")
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join()
        reader.close()
    if status == "memory":
        return Exceeded(f"exceeded the {limits.memory_mb} MiB memory limit")
    if status == "error":
        raise payload
    return Done(payload)


def _serve(work: Callable[[], object], writer: object, memory_mb: int) -> None:
    global IN_WORKER
    IN_WORKER = True
    _cap_memory(memory_mb)
    try:
        result: tuple[str, object] = ("ok", work())
    except MemoryError:
        result = ("memory", None)
    except RecursionError:
        result = ("error", SymbackpropError("the claim is nested too deeply to judge"))
    except Exception as exc:
        result = ("error", exc)
    try:
        writer.send(result)  # type: ignore[attr-defined]  # multiprocessing's Connection
    except (MemoryError, OSError):
        pass
    except Exception:
        writer.send(("error", RuntimeError(repr(result[1]))))  # type: ignore[attr-defined]
    os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


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
