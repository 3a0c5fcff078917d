"""Numerics at the edges and compiled caches that cannot go wrong.

- 0 log 0 = 0 in every printed loss; a confident prediction never makes the loss NaN or inf
  unless the true loss is infinite (an mpmath reference of the loss from the net inputs).
- A module works however it is loaded (package import, by path with or without sys.modules),
  cold or warm, threads on or off, from a read-only folder; a module regenerated with another
  gain, the same size and the same mtime never runs the old machine code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

from symbackprop.codegen.output import generate
from symbackprop.model.spec import inline, preset
from symbackprop.train.runs import import_path
from tests.codegen_support import Reference
from tests.helpers import REPO

# (sizes, activations, loss): every cross-entropy form, and a squared error for contrast
EDGE_SPECS = [
    ("2-3-2", ("sigmoid", "softmax"), "cross_entropy"),
    ("2-3-1", ("tanh", "sigmoid"), "cross_entropy"),
    ("2-3-2", ("sigmoid", "sigmoid"), "cross_entropy"),
    ("2-3-1", ("sigmoid", "sigmoid"), "half_sse"),
]


def _spec(case: tuple):
    sizes, acts, loss = case
    return inline(sizes, activation=list(acts), loss=loss)


@pytest.fixture(scope="module")
def edge_modules(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for i, case in enumerate(EDGE_SPECS):
        for style in ("unrolled", "loops"):
            folder = tmp_path_factory.mktemp(f"edge{i}{style}")
            (path,) = generate(_spec(case), folder, style=style)
            out[(i, style)] = import_path(path)
    return out


def mp_loss(
    case: tuple, ref: Reference, x: np.ndarray, y: np.ndarray, theta: np.ndarray
) -> mpmath.mpf:
    """The true loss at 60 digits from the output net inputs (mpmath's exponent range is
    unbounded)."""
    n_out = len(y)
    with mpmath.workdps(60):
        vals = ref.values(x, y, theta)
        z = [f(*vals) for f in ref.nets][-n_out:]
        t = [mpmath.mpf(float(v)) for v in y]
        loss, act = case[2], case[1][-1]
        if loss == "cross_entropy" and act == "softmax":
            top = max(z)
            lse = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in z))
            return mpmath.fsum(tj * (lse - zj) for zj, tj in zip(z, t) if tj)
        if loss == "cross_entropy":
            sp_ = lambda v: (  # noqa: E731
                mpmath.log1p(mpmath.exp(v)) if v < 0 else v + mpmath.log1p(mpmath.exp(-v))
            )
            return mpmath.fsum(tj * sp_(-zj) + (1 - tj) * sp_(zj) for zj, tj in zip(z, t))
        return mpmath.mpf(ref.error_value(x, y, theta))


def close(code: float, true: mpmath.mpf, what: str) -> None:
    expected = float(true)
    if not np.isfinite(expected):
        assert code == np.inf, f"{what}: the true loss is infinite, the code gives {code}"
        return
    assert np.isfinite(code), f"{what}: the true loss is {expected}, the code gives {code}"
    # 1e-9 relative, or the float rounding of log(1 + s) for a loss s below 1e-16 (the softmax's
    # log(sum) = log(1 + s) rounds s away: a loss of 1e-46 may print as 0)
    assert abs(code - expected) <= 1e-9 * abs(expected) + 1e-15, f"{what}: {code} vs {expected}"


@pytest.mark.parametrize("index", range(len(EDGE_SPECS)))
@pytest.mark.parametrize("style", ["unrolled", "loops"])
def test_confident_predictions_give_the_true_loss(
    edge_modules: dict, index: int, style: str
) -> None:
    """theta x 200 and inputs of 1e6: outputs round to exactly 0 or 1, the loss stays the true
    one."""
    case = EDGE_SPECS[index]
    mod = edge_modules[(index, style)]
    ref = Reference(_spec(case))
    rng = np.random.default_rng(index)
    n_out = mod.N_OUTPUTS
    checked = 0
    for trial in range(12):
        theta = 200.0 * rng.normal(size=mod.N_PARAMS)
        x = 1e6 * rng.choice([-1.0, 1.0], size=mod.N_INPUTS) * rng.uniform(0.5, 1.0, mod.N_INPUTS)
        if case[1][-1] == "softmax":
            y = np.eye(n_out)[trial % n_out]
        elif case[2] == "cross_entropy":
            y = rng.choice([0.0, 1.0], size=n_out)
        else:
            y = rng.uniform(0, 1, n_out)
        grad = np.empty(mod.N_PARAMS)
        true = mp_loss(case, ref, x, y, theta)
        what = f"{case} {style} trial {trial}"
        close(mod.loss(x, y, theta), true, what + " loss")
        close(mod.value_and_grad(x, y, theta, grad), true, what + " value_and_grad")
        out = np.empty(n_out)
        mod.forward(x, theta, out)
        assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1)), what
        checked += 1
    assert checked == 12


@pytest.mark.parametrize("style", ["unrolled", "loops"])
def test_zero_log_zero_in_a_confident_softmax(edge_modules: dict, style: str) -> None:
    """The case of issue 11: a non-target softmax output underflows to 0 while its y is 0."""
    mod = edge_modules[(0, style)]
    x = np.array([1.0, 1.0])
    theta = np.zeros(mod.N_PARAMS)
    out = np.empty(2)
    # the output biases: z2 = (800, 0), so a2_2 = exp(-800) = 0 in float64
    b2 = mod.PARAM_IDS.index("b2_1")
    theta[b2] = 800.0
    mod.forward(x, theta, out)
    assert out[1] == 0.0 and out[0] == 1.0
    assert mod.loss(x, np.array([1.0, 0.0]), theta) == 0.0  # true: exp(-800) ~ 4e-348
    assert mod.loss(x, np.array([0.0, 1.0]), theta) == 800.0
    history = mod.train(np.array([[1.0, 1.0]]), np.array([[1.0, 0.0]]), theta, 0.1, 5, 1)
    assert np.all(history == 0.0)


@pytest.mark.parametrize("style", ["unrolled", "loops"])
def test_activations_finite_up_to_1e308(edge_modules: dict, style: str) -> None:
    for index, sign in ((0, 1.0), (2, -1.0)):
        mod = edge_modules[(index, style)]
        theta = np.zeros(mod.N_PARAMS)
        for k, pid in enumerate(mod.PARAM_IDS):
            if pid.startswith("b2_"):
                theta[k] = sign * (1e308 if pid == "b2_1" else -1e308)
        out = mod.predict(np.zeros((1, 2)), theta)
        assert np.all(np.isfinite(out)), (index, style, out)
        assert mod.loss(np.zeros(2), np.eye(2)[0 if sign > 0 else 1], theta) == 0.0


def test_sigmoid_helpers_at_the_extremes(edge_modules: dict) -> None:
    mod = edge_modules[(2, "unrolled")]
    for f in (mod._sigmoid, mod._sigmoid.py_func):
        assert (f(1e308) == 1.0 and f(-1e308) == 0.0) or 0.0 <= f(-1e308) < 1e-300
    for f in (mod._bce, mod._bce.py_func):
        assert f(1e308, 1.0) == 0.0 and f(-1e308, 0.0) == 0.0
        assert f(-1e308, 1.0) == 1e308 and f(800.0, 0.0) == 800.0


# ---------------------------------------------------------------- caches

LOADER = r"""
import importlib, importlib.util, sys, hashlib
import numpy as np
sys.path.insert(0, {root!r})
how, folder, name = {how!r}, {folder!r}, {name!r}
if how == "package":
    sys.path.insert(0, folder)
    m = importlib.import_module(name)
else:
    spec = importlib.util.spec_from_file_location(name + "_dyn", folder + "/" + name + ".py")
    m = importlib.util.module_from_spec(spec)
    if how == "registered":
        sys.modules[spec.name] = m
    spec.loader.exec_module(m)
m.PARALLEL = {parallel!r}
rng = np.random.default_rng(8)
X = rng.uniform(0, 1, size=(64, m.N_INPUTS))
Y = np.eye(m.N_OUTPUTS)[rng.integers(m.N_OUTPUTS, size=64)]
theta = m.init(3)
h = m.train(X, Y, theta, 0.5, 2, 32)
g = np.empty(m.N_PARAMS)
e = m.value_and_grad(X[0], Y[0], theta, g)
state = theta.tobytes() + h.tobytes() + g.tobytes() + m.predict(X, theta).tobytes()
print(m.CACHE, m.uses_parallel(32, 64), hashlib.sha256(state).hexdigest())
"""


def _run(script: str, env: dict | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip()


def test_loop_module_however_loaded(tmp_path: Path) -> None:
    """Package import, by path with and without sys.modules; cold then warm; 1 and 2 threads."""
    spec = inline("3-4-2", activation=["sigmoid", "softmax"], loss="cross_entropy")
    digests = set()
    for how in ("package", "registered", "unregistered"):
        folder = tmp_path / how
        folder.mkdir()
        (path,) = generate(spec, folder, style="loops")
        for run in ("cold", "warm", "warm threads off", "one thread"):
            env = dict(os.environ, NUMBA_NUM_THREADS="1" if run == "one thread" else "2")
            script = LOADER.format(
                root=str(REPO),
                how=how,
                folder=str(folder),
                name=path.stem,
                parallel=run != "warm threads off",
            )
            cache, parallel, digest = _run(script, env).split()
            assert cache == "True", (how, run)
            assert parallel == str(run in ("cold", "warm")), (how, run)
            digests.add(digest)
        assert list((folder / "__pycache__").glob("*.nbi")), how
    assert len(digests) == 1  # the same numbers every way, threads or not


def test_read_only_folder_caches_in_numba_cache_dir(tmp_path: Path) -> None:
    folder, cache = tmp_path / "ro", tmp_path / "cache"
    folder.mkdir()
    cache.mkdir()
    (path,) = generate(inline("3-4-2", activation=["sigmoid", "softmax"]), folder, style="loops")
    folder.chmod(0o555)
    try:
        env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
        script = LOADER.format(
            root=str(REPO), how="unregistered", folder=str(folder), name=path.stem, parallel=True
        )
        first, second = _run(script, env), _run(script, env)
        assert first == second
        assert not (folder / "__pycache__").exists()
        assert list(cache.rglob("*.nbi")) and list(cache.rglob("*.nbc"))
    finally:
        folder.chmod(0o755)


GAIN_RUN = r"""
import sys, numpy as np
sys.path.insert(0, {root!r})
from symbackprop.train.runs import import_path
from pathlib import Path
m = import_path(Path({path!r}))
out = np.empty(m.N_OUTPUTS)
x, theta = np.array([0.3, -0.2, 0.5, 0.1]), np.linspace(-1, 1, m.N_PARAMS)
m.forward(x, theta, out)
plain = np.empty(m.N_OUTPUTS)
m._forward.py_func(x, theta, plain)
stats = m._forward.stats
hits = stats.cache_hits.get(m._forward.signatures[0], 0) if m._forward.signatures else 0
print(m.GAIN, m.CACHE, hits, repr(float(out[0])), repr(float(plain[0])))
"""


def test_regenerated_same_size_same_mtime_uses_the_new_gain(tmp_path: Path) -> None:
    """maren regenerated with another gain, the same size and mtime: the new gain is used."""
    spec = preset("maren")
    (path,) = generate(spec, tmp_path, gain_value=2.0)
    script = GAIN_RUN.format(root=str(REPO), path=str(path))
    first = _run(script).split()
    warm = _run(script).split()
    assert first[:2] == ["2.0", "True"] and warm[:2] == ["2.0", "True"]
    assert int(warm[2]) >= 1, "the warm run loaded the cached machine code"
    assert first[3] == first[4] == warm[3]
    stat = path.stat()
    generate(spec, tmp_path, gain_value=3.0)
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and "GAIN = 3.0" in path.read_text()
    after = _run(script).split()
    assert after[:2] == ["3.0", "True"]
    assert after[3] == after[4] != first[3], "the cached code of gain 2.0 ran"
    ref = Reference(spec, gain=3.0)
    x, theta = np.array([0.3, -0.2, 0.5, 0.1]), np.linspace(-1, 1, 3 * 4 + 2 * 3)
    expected = ref.output_values(x, np.zeros(2), theta)[0]
    assert abs(float(after[3]) - expected) <= 1e-12 * abs(expected)
