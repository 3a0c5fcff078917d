"""The boundary of generated modules: every public function checks its arguments in Python and
raises ValueError (never a segfault, a heap corruption or a silently wrong number).

Each function runs its wrong cases in a subprocess, so that a crash fails the test instead of
killing pytest: exit code 0 and one ValueError per case are expected.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbackprop.codegen.output import generate
from symbackprop.model.spec import inline, preset
from tests.helpers import REPO

# One unrolled module (the committed sears-xor, the segfault of issue 11) and one loop module
# (small, so its compile is quick, with the threaded path of the wide ones).
LOOP_SPEC = inline("3-4-2", activation=["sigmoid", "softmax"], loss="cross_entropy")


@pytest.fixture(scope="module")
def module_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("boundary")
    (loops,) = generate(LOOP_SPEC, folder, style="loops")
    (unrolled,) = generate(preset("sears-xor"), folder)
    return {"unrolled": unrolled, "loops": loops}


# Runs in the subprocess: the good call first (it must work), then every wrong case of one
# function; one JSON line per case. A crash ends the process with the cases so far printed.
SCRIPT = r"""
import json, math, sys
from pathlib import Path
import numpy as np
sys.path.insert(0, {root!r})
from symbackprop.train.runs import import_path
# one module name per file in every process: Numba's cached code imports the module by the
# name it was compiled under
m = import_path(Path({path!r}))
fn = {fn!r}
NI, NO, NP = m.N_INPUTS, m.N_OUTPUTS, m.N_PARAMS

def vec(n):
    return np.linspace(0.1, 0.9, n)

def bad_vectors(n):
    big = np.empty(n).astype(">f8")
    ro = vec(n)
    ro.flags.writeable = False
    return {{
        "too short": vec(max(n - 1, 0)), "too long": vec(n + 1), "empty": np.empty(0),
        "2-D": vec(n).reshape(1, n), "0-d": np.array(1.0), "float32": vec(n).astype(np.float32),
        "int64": np.arange(n), "complex": vec(n).astype(complex), "object": vec(n).astype(object),
        "strided": np.linspace(0.1, 0.9, 3 * n)[::3][:n] if n > 1 else np.linspace(0, 1, 4)[::2],
        "big-endian": big,
        "list": list(vec(n)), "None": None, "read-only": ro,
    }}

def bad_matrices(rows, cols):
    good = np.full((rows, cols), 0.5)
    ro = good.copy()
    ro.flags.writeable = False
    return {{
        "1-D": good.ravel(),
        "too few columns": good[:, :-1].copy() if cols > 1 else np.empty((rows, 0)),
        "too many columns": np.full((rows, cols + 1), 0.5), "3-D": good.reshape(1, rows, cols),
        "float32": good.astype(np.float32), "int64": good.astype(np.int64),
        "column view": np.full((rows, 2 * cols), 0.5)[:, ::2], "list": good.tolist(), "None": None,
        "Fortran order": np.asfortranarray(good) if cols > 1 else np.full((rows, 2), 0.5)[:, :1],
    }}

X, Y = np.full((8, NI), 0.5), np.tile(np.eye(NO)[0], (8, 1))
x, y, theta = X[0].copy(), Y[0].copy(), m.init(1)
out, grad = np.empty(NO), np.empty(NP)
calls = {{
    "forward": (lambda a: m.forward(*a), [("x", x), ("theta", theta), ("out", out)]),
    "loss": (lambda a: m.loss(*a), [("x", x), ("y", y), ("theta", theta)]),
    "value_and_grad": (
        lambda a: m.value_and_grad(*a), [("x", x), ("y", y), ("theta", theta), ("grad", grad)]
    ),
    "predict": (lambda a: m.predict(*a), [("X", X), ("theta", theta)]),
    "train": (
        lambda a: m.train(*a),
        [("X", X), ("Y", Y), ("theta", theta), ("lr", 0.1), ("epochs", 2), ("batch_size", 4)],
    ),
    "init": (lambda a: m.init(*a), [("seed", 3)]),
}}
call, args = calls[fn]
names = [a for a, _ in args]
good = [v for _, v in args]
call([v.copy() if isinstance(v, np.ndarray) else v for v in good])  # the good call works
writes = {{"forward": {{"out"}}, "value_and_grad": {{"grad"}}, "train": {{"theta"}}}}.get(fn, set())
cases = []
for i, (name, value) in enumerate(args):
    if name in ("x", "y", "theta", "out", "grad"):
        bad = bad_vectors(len(value))
        if name not in writes:
            del bad["read-only"]  # reading a read-only array is fine
    elif name in ("X", "Y"):
        bad = bad_matrices(len(value), value.shape[1])
        if fn == "train":
            bad["other row count"] = np.full((len(value) - 1, value.shape[1]), 0.5)
            bad["no rows"] = np.empty((0, value.shape[1]))
    elif name == "lr":
        bad = {{
            "nan": math.nan, "inf": math.inf, "negative": -0.1, "string": "0.1", "None": None,
            "bool": True,
        }}
    elif name == "epochs":
        bad = {{
            "negative": -1, "fraction": 1.5, "huge": m.MAX_EPOCHS + 1, "bool": True, "None": None,
            "float": 2.0,
        }}
    elif name == "batch_size":
        bad = {{"zero": 0, "negative": -3, "fraction": 2.5, "huge": 2**64, "None": None}}
    else:
        bad = {{"negative": -1, "too big": 2**32, "fraction": 1.5, "string": "1", "None": None}}
    for label, value in bad.items():
        argv = [v.copy() if isinstance(v, np.ndarray) else v for v in good]
        argv[i] = value
        print(json.dumps({{"arg": name, "case": label}}), flush=True)
        try:
            call(argv)
            result = {{"error": None}}
        except Exception as exc:
            result = {{"error": type(exc).__name__, "message": str(exc)}}
        print(json.dumps(result), flush=True)
print("done", flush=True)
"""

FUNCTIONS = ["forward", "loss", "value_and_grad", "predict", "train", "init"]


@pytest.mark.parametrize("style", ["unrolled", "loops"])
@pytest.mark.parametrize("fn", FUNCTIONS)
def test_wrong_arguments_are_value_errors(
    module_paths: dict[str, Path], style: str, fn: str
) -> None:
    script = SCRIPT.format(root=str(REPO), path=str(module_paths[style]), fn=fn)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )
    lines = proc.stdout.splitlines()
    last = lines[-2] if len(lines) >= 2 else "(none)"
    assert proc.returncode == 0, (
        f"{style} {fn}: exit code {proc.returncode} after case {last}\n{proc.stderr[-2000:]}"
    )
    assert lines[-1] == "done", proc.stdout[-2000:]
    body = lines[:-1]
    cases = [json.loads(c) for c in body[0::2]]
    results = [json.loads(r) for r in body[1::2]]
    assert len(cases) == len(results) >= 5
    for case, result in zip(cases, results):
        what = f"{style} {fn}({case['arg']}: {case['case']})"
        assert result["error"] == "ValueError", f"{what}: {result}"
        message = result["message"]
        named = ("X", "Y") if case["case"] == "other row count" else (case["arg"],)
        assert message.startswith(tuple(f"{fn}: {n} " for n in named)), f"{what}: {message}"
        assert "got" in message, f"{what}: {message}"


def test_messages_name_expected_and_received(module_paths: dict[str, Path]) -> None:
    """The crash of issue 11 (a gradient buffer of 2 for 6 parameters), and the others, in words."""
    script = f"""
import sys, numpy as np
sys.path.insert(0, {str(REPO)!r})
from symbackprop.train.runs import import_path
from pathlib import Path
m = import_path(Path({str(module_paths["unrolled"])!r}))
x, y, theta = np.array([1.0, 0.0]), np.array([1.0]), m.init(0)
for call in (lambda: m.value_and_grad(x, y, theta, np.empty(2)),
             lambda: m.loss(x, y, theta[:4]),
             lambda: m.train(np.zeros((4, 2)), np.zeros(4), theta, 0.5, 10, 1),
             lambda: m.forward(x.astype(np.float32), theta, np.empty(1)),
             lambda: m.predict(np.zeros((4, 4))[:, ::2], theta)):
    try:
        call()
        print("no error")
    except ValueError as exc:
        print(exc)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == [
        "value_and_grad: grad must be a C-contiguous float64 array of shape (6,); "
        "got shape (2,) dtype float64",
        "loss: theta must be a C-contiguous float64 array of shape (6,); "
        "got shape (4,) dtype float64",
        "train: Y must be a C-contiguous float64 array of shape (4, 1); "
        "got shape (4,) dtype float64",
        "forward: x must be a C-contiguous float64 array of shape (2,); "
        "got shape (2,) dtype float32",
        "predict: X must be a C-contiguous float64 array of shape (n, 2); "
        "got shape (4, 2) dtype float64, "
        "not C-contiguous (pass np.ascontiguousarray(X))",
    ]


def test_valid_arrays_of_other_origins_pass(module_paths: dict[str, Path]) -> None:
    """Arrays the kernels take correctly are not refused: numba-made, views of rows, int scalars
    of numpy."""
    from symbackprop.train.runs import import_path

    for path in module_paths.values():
        m = import_path(path)
        # a numba-made array: its dtype is not numpy's float64 singleton
        theta = m.init(np.int64(2))
        X = np.ascontiguousarray(np.linspace(0, 1, 8 * m.N_INPUTS).reshape(8, m.N_INPUTS))
        Y = np.tile(np.eye(m.N_OUTPUTS)[0], (8, 1))
        grad = np.empty(m.N_PARAMS)
        e = m.value_and_grad(X[3], Y[3], theta, grad)  # rows of a C array are contiguous
        assert e == m.loss(X[3], Y[3], theta) or np.isclose(
            e, m.loss(X[3], Y[3], theta), rtol=1e-14
        )
        history = m.train(X, Y, theta, np.float64(0.1), np.int32(3), np.int64(4))
        assert history.shape == (3,) and np.all(np.isfinite(history))
        assert m.train(X, Y, theta, 0.1, 0, 1).shape == (0,)
        assert m.predict(np.empty((0, m.N_INPUTS)), theta).shape == (0, m.N_OUTPUTS)
