"""Where batches of training runs execute: in this process, a pool of processes, or Dask.

A batch is ``fn(shared, item)``: ``shared`` (the generated module's path, the data, the
batch size) reaches each worker once, ``item`` (a grid point and a run of seeds) is small.
Workers load the generated module from its file, once per process (``import_path``), so no
compiled function is ever pickled. Results come back as each batch finishes, in any order.

Dask (``dask.distributed``) is optional: ``pip install 'symbackprop[sweep]'``. It is imported
only inside the functions that use it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, TypeVar

from symbackprop.errors import SymbackpropError

Shared = TypeVar("Shared")
Item = TypeVar("Item")
Batch = Callable[[Any, Any], Any]
ATTEMPTS = 3  # a batch whose workers keep dying is resubmitted this many times, then fails
CONNECT_SECONDS = 10.0
INSTALL = "pip install 'symbackprop[sweep]'"


def dask_available() -> bool:
    """``dask.distributed`` is importable."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def seeds_per_batch(n_seeds: int, workers: int, most: int = 250) -> int:
    """Seeds per task: about eight tasks per worker (a lost task costs little), at most ``most``."""
    return max(1, min(most, math.ceil(n_seeds / (8 * max(1, workers)))))


def in_process(
    fn: Batch, shared: Shared, items: Sequence[Item], on_result: Callable[[Item, Any], None]
) -> None:
    for item in items:
        on_result(item, fn(shared, item))


_SHARED: Any = None  # the shared part, in a pool's worker process (set by its initializer)


def _keep(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call(fn: Batch, item: Any) -> Any:
    return fn(_SHARED, item)


def on_processes(
    fn: Batch,
    shared: Shared,
    items: Sequence[Item],
    jobs: int,
    on_result: Callable[[Item, Any], None],
) -> None:
    """A pool of ``jobs`` spawned processes; ``shared`` is sent to each once."""
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=get_context("spawn"), initializer=_keep, initargs=(shared,)
    ) as pool:
        pending: dict[Future[Any], Item] = {pool.submit(_call, fn, item): item for item in items}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                on_result(pending.pop(future), future.result())


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask client: of the cluster at ``scheduler``, or of a new in-process ``LocalCluster``
    of ``workers`` processes with one thread each."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SymbackpropError(f"Dask is not installed: {INSTALL}") from None
    if scheduler:
        probe(scheduler)
        try:
            client = Client(scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError for a bad address
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise SymbackpropError(f"--scheduler {scheduler}: cannot connect ({reason})") from None
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: no clash with a running Dask
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client


def probe(scheduler: str) -> None:
    """Fail fast, with one line, when no Dask scheduler answers at ``scheduler``."""
    scheme, sep, rest = scheduler.rpartition("://")
    if not sep or scheme == "tcp":
        host, colon, port = rest.rpartition(":")
        if not colon or not port.isdigit() or not host:
            raise SymbackpropError(f"--scheduler {scheduler}: give tcp://host:port")
        try:  # a refused connection fails at once here (Dask would retry until its timeout)
            socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
        except OSError as exc:
            raise SymbackpropError(
                f"--scheduler {scheduler}: cannot connect ({exc.strerror or exc})"
            ) from None
    from distributed.comm import connect

    async def handshake() -> None:
        comm = await connect(scheduler, timeout=CONNECT_SECONDS)
        await comm.close()

    try:  # something listens: is it Dask? (a Client that fails to start hangs at exit)
        asyncio.run(handshake())
    except RuntimeError as exc:
        if "running event loop" not in str(exc):
            raise SymbackpropError(
                f"--scheduler {scheduler}: no Dask scheduler there ({exc})"
            ) from None
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SymbackpropError(
            f"--scheduler {scheduler}: no Dask scheduler answers there ({reason[:120]})"
        ) from None


def dask_pids(client: Any) -> dict[str, int]:
    """The process id of each worker (by address)."""
    import os

    return dict(client.run(os.getpid))


def on_dask(
    client: Any,
    fn: Batch,
    shared: Shared,
    items: Sequence[Item],
    on_result: Callable[[Item, Any], None],
    in_flight: int | None = None,
) -> None:
    """Run the batches on Dask. A worker that dies loses only its running tasks: Dask runs them
    again elsewhere, and a task Dask gives up on (``KilledWorker``) is resubmitted, up to
    ``ATTEMPTS`` times. At most ``in_flight`` tasks are submitted at a time (default: four
    per worker thread), so results are written as they come and memory stays small."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    # The shared part is a task of its own: if the workers holding it die, Dask recomputes it.
    held = client.submit(_identity, shared, pure=False)
    if in_flight is None:
        threads = sum(client.nthreads().values()) or 1
        in_flight = 4 * threads
    queue = list(reversed(items))
    tries: dict[str, tuple[Any, Item, int]] = {}  # by task key: (future, item, attempt)
    running = as_completed(loop=client.loop)

    def submit(item: Item, attempt: int) -> None:
        future = client.submit(fn, held, item, pure=False)
        tries[future.key] = (future, item, attempt)
        running.add(future)

    while queue and len(tries) < in_flight:
        submit(queue.pop(), 0)
    try:
        for future in running:
            _, item, attempt = tries.pop(future.key)
            if future.status == "error":
                exc = future.exception()
                if isinstance(exc, KilledWorker) and attempt + 1 < ATTEMPTS:
                    submit(item, attempt + 1)
                    continue
                raise exc
            result = future.result()
            future.release()
            on_result(item, result)
            if queue:
                submit(queue.pop(), 0)
    finally:
        for future, _, _ in tries.values():
            future.cancel()
        held.cancel()


def _identity(value: Any) -> Any:
    return value
