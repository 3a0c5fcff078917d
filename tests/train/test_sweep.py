"""symbackprop sweep on a real Dask LocalCluster of two worker processes: the rows, a worker
killed mid-sweep, a resumed sweep, and bad input."""

from __future__ import annotations

import csv
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from symbackprop.cli.main import main
from symbackprop.model.spec import preset
from symbackprop.train.data import load_data
from symbackprop.train.rows import FIELDS, Row, read_rows
from symbackprop.train.runs import import_path, module_file, run
from symbackprop.train.sweep import sweep

try:
    import distributed
except ImportError:  # pragma: no cover - the sweep extra is part of the test extra
    distributed = None
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(
        "dask.distributed is not installed: pip install 'symbackprop[sweep]'",
        allow_module_level=True,
    )

SEEDS = range(0, 12)
LRS = (0.5, 1.0)
EPOCHS = (300,)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.getbasetemp() / "symbackprop-cache"
    old = os.environ.get("SYMBACKPROP_CACHE")
    os.environ["SYMBACKPROP_CACHE"] = str(base)  # before the cluster: its workers inherit it
    yield base
    if old is None:
        os.environ.pop("SYMBACKPROP_CACHE", None)
    else:
        os.environ["SYMBACKPROP_CACHE"] = old


@pytest.fixture(scope="module")
def xor(cache: Path) -> tuple[Path, Any]:
    path = module_file(preset("xor-bias"))
    import_path(path)  # compiled once here; the workers load Numba's disk cache
    return path, load_data("xor", 2, 1)


@pytest.fixture(scope="module")
def cluster(cache: Path) -> Iterator[Any]:
    """One real LocalCluster of 2 worker processes (one thread each) for the module."""
    import logging

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as c,
        distributed.Client(c, set_as_default=False) as client,
    ):
        yield c, client


@pytest.fixture(scope="module")
def expected(xor: tuple[Path, Any]) -> dict[tuple[int, float, int, int], Row]:
    """The rows of sequential ``run`` calls, one seed after another in this process."""
    path, data = xor
    net = import_path(path)
    rows = {}
    for lr in LRS:
        for n in EPOCHS:
            for seed in SEEDS:
                r = run(net, data, net.init(seed), lr, n, 1, seed, keep_history=False)
                row = Row(seed, lr, n, 1, r.final_loss, r.success, r.epochs_to_success, None)
                rows[row.key] = row
    return rows


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_rows_equal_sequential_runs(
    xor: tuple[Path, Any], cluster: Any, expected: dict[Any, Row], tmp_path: Path
) -> None:
    """Every row once, bit for bit the final loss of a sequential run of the same seed."""
    path, data = xor
    _, client = cluster
    out = tmp_path / "sweep.csv"
    result = sweep(path, data, SEEDS, LRS, EPOCHS, out, client=client, seeds_per_task=5)
    assert result.rows == result.ran == len(expected) and result.workers == 2
    rows = read_rows(out)
    assert sorted(r.key for r in rows) == sorted(expected)
    for row in rows:
        assert row == expected[row.key]  # the float compares bit for bit (repr round-trips)
    assert list(csv_rows(out)[0]) == list(FIELDS)
    by_point = {(p.lr, p.epochs): p.summary for p in result.points}
    wins = [r for r in expected.values() if r.lr == 1.0 and r.success]
    assert by_point[(1.0, 300)].success_rate == len(wins) / len(SEEDS)


def test_a_killed_worker_loses_only_its_tasks(
    xor: tuple[Path, Any], cluster: Any, expected: dict[Any, Row], tmp_path: Path
) -> None:
    """SIGKILL a worker after the first batch: the sweep still ends with every row once."""
    path, data = xor
    _, client = cluster
    pids = list(dict(client.run(os.getpid)).values())
    killed: list[int] = []

    def kill_once(n: int) -> None:
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    out = tmp_path / "sweep.csv"
    result = sweep(
        path, data, SEEDS, LRS, EPOCHS, out, client=client, seeds_per_task=1, on_rows=kill_once
    )
    assert killed
    keys = [r.key for r in read_rows(out)]
    assert len(keys) == len(set(keys)) == len(expected) == result.rows
    assert {r.key: r for r in read_rows(out)} == expected
    client.wait_for_workers(2, timeout=30)  # the nanny restarts it, for the next test
    assert killed[0] not in dict(client.run(os.getpid)).values()  # it really died


def test_resume_skips_the_rows_present(
    xor: tuple[Path, Any],  # compiled before the workers load it
    cluster: Any,
    expected: dict[Any, Row],
    tmp_path: Path,
) -> None:
    """A sweep killed after some rows (its last line cut short) resumes: only the rest run."""
    c, _ = cluster
    out = tmp_path / "sweep.csv"
    done = sorted(expected.values(), key=lambda r: (r.lr, r.seed))[:7]
    lines = [",".join(FIELDS)] + [
        f"{r.seed},{r.lr!r},{r.epochs},1,{r.final_loss!r},{int(bool(r.success))},"
        f"{r.epochs_to_success or ''},"
        for r in done
    ]
    out.write_text("\n".join(lines) + "\n" + "3,1.0,30")  # the cut-short line of a kill
    code = main(
        [
            "sweep", "xor-bias", "--data", "xor", "--seeds", "0:12", "--lr", "0.5,1",
            "--epochs", "300", "-o", str(out), "--resume", "--scheduler",
            c.scheduler_address, "--no-progress",
        ]
    )  # fmt: skip
    assert code == 0
    rows = read_rows(out)
    assert {r.key: r for r in rows} == expected and len(rows) == len(expected)
    assert [r.key for r in rows] == sorted(  # sorted at the end
        (r.key for r in rows), key=lambda k: (k[1], k[2], k[3], k[0])
    )


def test_parquet_rows(
    xor: tuple[Path, Any], cluster: Any, expected: dict[Any, Row], tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow")
    path, data = xor
    _, client = cluster
    out = tmp_path / "sweep.parquet"
    sweep(path, data, SEEDS, LRS, EPOCHS, out, client=client)
    assert {r.key: r for r in read_rows(out)} == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "5:2"], "--seeds 5:2"),
        (["--seeds", "a:b"], "--seeds a:b"),
        (["--lr", "0.5,-1"], "--lr 0.5,-1"),
        (["--lr", "0.5,,1"], "--lr 0.5,,1"),
        (["--epochs", "1.5"], "--epochs 1.5"),
        (["-o", "{tmp}/missing/rows.csv"], "does not exist"),
        (["-o", "{tmp}/rows.txt"], ".csv or .parquet"),
        (["-o", "{tmp}/old.csv"], "the file exists"),
        (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler tcp://127.0.0.1:9"),
        (["--scheduler", "nonsense"], "--scheduler nonsense"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    argv: list[str],
    message: str,
    tmp_path: Path,
    cache: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "old.csv").write_text("keep\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "rows.csv")]
    code = main(["sweep", "xor-bias", "--data", "xor", "--epochs", "10", "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]
    assert (tmp_path / "old.csv").read_text() == "keep\n"


def test_unknown_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rows.csv"
    assert main(["sweep", "no-such-net", "--data", "xor", "-o", str(out)]) == 2
    assert "no-such-net" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_restarts_backends_agree(xor: tuple[Path, Any], backend: str) -> None:
    """train --restarts: the process pool and Dask run the same batches, same results."""
    from symbackprop.train.runs import restarts

    path, data = xor
    here = restarts(path, data, 0.5, 200, 1, range(4), jobs=1)
    there = restarts(path, data, 0.5, 200, 1, range(4), jobs=2, backend=backend)
    assert [r.seed for r in there] == [0, 1, 2, 3]
    assert [r.final_loss for r in there] == [r.final_loss for r in here]
