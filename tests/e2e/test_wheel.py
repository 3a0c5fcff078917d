"""The package works from a built wheel, not only from an editable checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.helpers import REPO

ROOT = REPO


def test_wheel_carries_data_and_runs(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("symbackprop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "symbackprop/model/data/presets/sears-xor.toml",
        "symbackprop/model/data/notations/canonical.toml",
        "symbackprop/verify/latex.lark",
        "symbackprop/templates/loops.py.j2",
        "symbackprop/templates/loops_blocks.j2",
    ):
        assert required in names
    # import straight from the zip, in a folder without the source tree
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import symbackprop; print(symbackprop.__file__); "
            "from symbackprop.cli.main import main; raise SystemExit(main(['derive', 'sears-xor', "
            "'--param', 'w_{1}']))",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    where, latex = done.stdout.split("\n", 1)
    assert where.startswith(str(wheel)), where  # imported from the wheel
    assert latex.startswith(r"\frac{\partial E}{\partial w_{1}} = - \left(y - \hat{y}\right)")
