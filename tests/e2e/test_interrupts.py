"""Nothing lost: a signal during training keeps what was reached; a killed generate leaves no
temporary file behind after the next write; Ctrl-C is one line, never a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from symbackprop.files import write_atomic
from symbackprop.model.spec import preset
from symbackprop.train import load_run

ROOT = Path(__file__).resolve().parents[2]


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SYMBACKPROP_CACHE=str(cwd / "cache"))
    return subprocess.Popen(
        [sys.executable, "-m", "symbackprop", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_training(proc: subprocess.Popen[str], cwd: Path, seconds: float = 120) -> None:
    """Wait until Numba has compiled the module (its cache files appear): training is under way."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if len(list((cwd / "cache").rglob("*.nbc"))) >= 2:
            time.sleep(1.0)
            return
        time.sleep(0.1)
    raise AssertionError("training did not start")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_training_saves_what_was_reached(tmp_path: Path, sig: int) -> None:
    save = tmp_path / "run.npz"
    proc = start(
        [
            "train",
            "2-2-1",
            "--data",
            "xor",
            "--lr",
            "0.01",
            "--epochs",
            "10000000",
            "--save",
            str(save),
        ],
        tmp_path,
    )
    wait_for_training(proc, tmp_path)
    time.sleep(0.5)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("symbackprop: interrupted at epoch"), err
    assert "Traceback" not in err
    spec = preset("note")  # any spec: load_run refuses another spec's file
    with pytest.raises(Exception, match="another spec"):
        load_run(save, spec.to_toml(), ["w1_1_1"])
    arrays = np.load(save)
    epochs = len(arrays["history"])
    assert 0 < epochs < 10_000_000 and f"epoch {epochs} of" in last
    assert np.all(np.isfinite(arrays["theta"]))
    resumed = start(
        [
            "train",
            "2-2-1",
            "--data",
            "xor",
            "--lr",
            "0.01",
            "--epochs",
            "5",
            "--no-progress",
            "--resume",
            str(save),
            "--save",
            str(save),
        ],
        tmp_path,
    )
    _out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert len(np.load(save)["history"]) == epochs + 5


def test_ctrl_c_in_derive_is_one_line(tmp_path: Path) -> None:
    proc = start(["derive", "64-64-64-10"], tmp_path)
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "symbackprop: interrupted"


def test_killed_generate_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "net.py"
    for delay in (0.5, 1.0, 1.5, 2.0, 2.5):  # SIGKILL at various points of a generate
        proc = start(["generate", "16-16-1", "-o", str(out)], tmp_path)
        time.sleep(delay)
        proc.kill()
        proc.wait()
    # a temporary file exactly as a killed writer leaves it (the kill rarely lands in the write)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    leftover = tmp_path / f".net.py.{dead.stdout.strip()}-abcd1234.tmp"
    leftover.write_text("half a module")
    done = start(["generate", "16-16-1", "-o", str(out)], tmp_path)
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["net.py"]


def test_a_live_writers_temporary_file_is_kept(tmp_path: Path) -> None:
    mine = tmp_path / f".x.py.{os.getpid()}-abcd.tmp"
    mine.write_text("in progress")
    write_atomic(tmp_path / "x.py", "text")
    assert mine.exists()
