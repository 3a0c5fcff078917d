"""Loop modules (generate --loops): the same gradients as the unrolled modules and sympy.diff, the
size rule."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import mpmath
import numpy as np
import pytest

from symbackprop.cli.main import main
from symbackprop.codegen.output import generate
from symbackprop.codegen.render import (
    UNROLLED_HARD_LIMIT,
    UNROLLED_MAX_PARAMS,
    choose_style,
    n_params,
    render,
)
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.spec import LossTerms, NetworkSpec, inline, preset, preset_names
from symbackprop.train.runs import import_path
from tests.codegen_support import ROOT, Reference, assert_close
from tests.helpers import REPO

# (sizes, activations, loss, bias, gain value or None)
CASES = [
    ("3-4-2", ("sigmoid", "softmax"), "cross_entropy", True, None),
    ("3-4-2", ("tanh", "sigmoid"), "half_sse", True, 1.7),
    ("2-3-3-1", ("relu", "softplus", "linear"), "sse", False, None),
    ("2-3-3-1", ("sigmoid", "tanh", "sigmoid"), "cross_entropy", True, None),
    ("3-4-2", ("tanh", "softmax"), "half_sse", True, None),
]
IDS = [
    f"{c[0]}-{'-'.join(c[1])}-{c[2]}{'' if c[3] else '-nobias'}{'-gain' if c[4] else ''}"
    for c in CASES
]


def spec_of(case: tuple) -> NetworkSpec:
    sizes, acts, loss, bias, gain = case
    return inline(sizes, activation=list(acts), loss=loss, bias=bias, gain=gain is not None)


def load(spec: NetworkSpec, folder: Path, style: str, gain: float) -> ModuleType:
    where = folder / style
    where.mkdir(parents=True, exist_ok=True)
    (path,) = generate(spec, where, gain, style)
    return import_path(path)


@pytest.fixture(scope="module", params=range(len(CASES)), ids=IDS)
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    case = CASES[request.param]
    spec = spec_of(case)
    gain = case[4] or 1.0
    folder = tmp_path_factory.mktemp(f"loops{request.param}")
    return spec, gain, load(spec, folder, "loops", gain), load(spec, folder, "unrolled", gain)


def sample(
    spec: NetworkSpec, n_params: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=spec.sizes[0])
    n = spec.sizes[-1]
    if spec.loss == "cross_entropy":
        y = (
            np.eye(n)[rng.integers(n)]
            if spec.activations[-1] == "softmax"
            else rng.uniform(0, 1, size=n)
        )
    else:
        y = rng.uniform(-1, 1, size=n)
    return x, y, rng.normal(0, 0.8, size=n_params)


def test_loop_module_is_loop_code(pair: tuple) -> None:
    _, _, loops, unrolled = pair
    assert (
        "def _affine" in Path(loops.__file__).read_text()
        and "def _affine" not in Path(unrolled.__file__).read_text()
    )
    for name in ("PARAM_IDS", "PARAM_NAMES", "N_PARAMS", "N_INPUTS", "N_OUTPUTS", "SPEC"):
        assert getattr(loops, name) == getattr(unrolled, name)
    assert getattr(loops, "GAIN", None) == getattr(unrolled, "GAIN", None)


def test_value_and_grad_matches_unrolled_and_sympy(pair: tuple) -> None:
    spec, gain, loops, unrolled = pair
    ref = Reference(spec, gain)
    x, y, theta = sample(spec, loops.N_PARAMS, 0)
    exact = ref.exact_gradient(x, y, theta)
    differences = ref.central_differences(x, y, theta)
    expected_e = ref.error_value(x, y, theta)
    want = np.empty(unrolled.N_PARAMS)
    e_unrolled = unrolled.value_and_grad(x, y, theta, want)
    for f in (loops.value_and_grad, loops._value_and_grad.py_func):
        grad = np.full(loops.N_PARAMS, np.nan)
        e = f(x, y, theta, grad)
        assert_close([e], [expected_e], "E")
        assert_close([e], [e_unrolled], "E against unrolled")
        assert_close(grad, exact, "against sympy.diff")
        assert_close(grad, differences, "against mpmath central differences")
        assert_close(grad, want.tolist(), "against the unrolled module")


def test_forward_loss_predict_match_unrolled(pair: tuple) -> None:
    spec, _, loops, unrolled = pair
    x, y, theta = sample(spec, loops.N_PARAMS, 5)
    X = np.random.default_rng(3).uniform(-1, 1, size=(4, spec.sizes[0]))
    out_l, out_u = np.empty(loops.N_OUTPUTS), np.empty(loops.N_OUTPUTS)
    loops.forward(x, theta, out_l)
    unrolled.forward(x, theta, out_u)
    assert_close(out_l, out_u.tolist(), "forward")
    assert_close([loops.loss(x, y, theta)], [unrolled.loss(x, y, theta)], "loss")
    assert_close(
        loops.predict(X, theta).ravel(), unrolled.predict(X, theta).ravel().tolist(), "predict"
    )
    assert np.array_equal(loops.init(7), unrolled.init(7))


@pytest.mark.parametrize("batch_size", [1, 3, 8, 10, 21, 140])
def test_train_matches_value_and_grad_steps(pair: tuple, batch_size: int) -> None:
    """Row by row (batch < BATCH_MIN) and a layer at a time over the batch (>= BATCH_MIN; 21
    rows in batches of 8 end on a batch of 5, in the batch pass too; 150 rows in batches of 140:
    two chunks of 70 rows, each in blocks of BATCH_BLOCK = 64 and 6, then a batch of 10): the
    steps of value_and_grad, i.e. of the row pass."""
    spec, _, loops, _ = pair
    assert loops.BATCH_BLOCK == 64
    n = 150 if batch_size > 21 else 21
    rng = np.random.default_rng(11)
    X = rng.uniform(-1, 1, size=(n, spec.sizes[0]))
    Y = np.stack([sample(spec, 0, s)[1] for s in range(n)])
    theta = loops.init(2)
    mine, grad, lr = theta.copy(), np.empty(loops.N_PARAMS), 0.1
    totals = []
    for _ in range(3):
        total = 0.0
        for start in range(0, n, batch_size):
            stop = min(start + batch_size, n)
            batch = np.zeros(loops.N_PARAMS)
            for i in range(start, stop):
                total += loops.value_and_grad(X[i], Y[i], mine, grad)
                batch += grad
            mine -= (lr / (stop - start)) * batch
        totals.append(total / n)
    history = loops.train(X, Y, theta, lr, 3, batch_size)
    np.testing.assert_allclose(theta, mine, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(history, totals, rtol=1e-12)


def test_train_picks_the_pass_by_batch_size(pair: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    """BATCH_MIN is read when train is called: the batch pass from it up, the row pass below,
    per-sample SGD at batch size 1."""
    spec, _, loops, _ = pair
    X, Y = digits_like(spec, 12)
    used = []
    for name in ("_epochs_serial", "_epochs_batch_serial", "_epochs_sgd"):
        run = getattr(loops, name)
        monkeypatch.setattr(
            loops, name, lambda *a, run=run, name=name: used.append(name) or run(*a)
        )
    for batch_size, batch_min in ((8, 8), (7, 8), (12, 13), (3, 1), (1, 8)):
        monkeypatch.setattr(loops, "BATCH_MIN", batch_min)
        loops.train(X, Y, loops.init(1), 0.1, 1, batch_size)
    assert used == [
        "_epochs_batch_serial",
        "_epochs_serial",
        "_epochs_serial",
        "_epochs_batch_serial",
        "_epochs_sgd",
    ]


def test_per_sample_sgd_is_the_row_pass_bit_for_bit(pair: tuple) -> None:
    """At batch size 1, _epochs_sgd (each row's step taken as its deltas are known) gives the
    theta and errors of the row pass's gradient sums and step, bit for bit; its _sgd as Python
    gives the same to 1e-13."""
    spec, _, loops, _ = pair
    X, Y = digits_like(spec, 9)
    theta0 = loops.init(2)
    out = {}
    for name in ("_epochs_serial", "_epochs_sgd"):
        theta, history = theta0.copy(), np.full(3, np.nan)
        getattr(loops, name)(X, Y, theta, 0.3, 3, 1, history)
        out[name] = theta, history
    assert np.array_equal(out["_epochs_serial"][0], out["_epochs_sgd"][0])
    assert np.array_equal(out["_epochs_serial"][1], out["_epochs_sgd"][1])
    t = np.empty(loops.N_PARAMS)
    loops._relayout(theta0, t, False)
    t_py, work = t.copy(), np.empty((4, loops.N_UNITS))
    e = loops._sgd(X, Y, t, 0.3, work)
    e_py = loops._sgd.py_func(X, Y, t_py, 0.3, work)
    np.testing.assert_allclose(t_py, t, rtol=1e-13, atol=1e-15)
    assert e_py == pytest.approx(e, rel=1e-13)


def test_penalised_specs_keep_the_row_pass_at_batch_one() -> None:
    """With an L2 penalty each step also shrinks the weights: no _epochs_sgd."""
    penalised = render(inline("3-4-2", loss_terms=LossTerms(l2="0.1")), style="loops")
    assert "_epochs_sgd" not in penalised and "def _epochs_serial" in penalised
    assert "def _epochs_sgd" in render(inline("3-4-2"), style="loops")


def batch_gradient(
    loops: ModuleType, X: np.ndarray, Y: np.ndarray, theta: np.ndarray, fast: bool
) -> tuple[float, np.ndarray]:
    """E and dE/dtheta summed over the rows of X by the batch pass (_batch_block), jitted or as
    Python (.py_func), in two blocks of rows whose gradients are added, as train adds its
    chunks'."""
    m = X.shape[0]
    block = loops._batch_block if fast else loops._batch_block.py_func
    t, out = np.empty(loops.N_PARAMS), np.empty(loops.N_PARAMS)
    g = np.zeros((2, loops.N_PARAMS))
    loops._relayout(theta, t, False)
    work = np.full((4, loops.BATCH_BLOCK * (loops.N_UNITS - loops.N_INPUTS)), np.nan)
    scal = np.empty(2)  # dgemm's alpha and beta
    e = block(X, Y, t, g[0], 0, m // 2, work, scal) + block(X, Y, t, g[1], m // 2, m, work, scal)
    loops._relayout(g[0] + g[1], out, True)
    return e, out


def test_batch_pass_against_sympy_and_rows(pair: tuple) -> None:
    """The batch pass, jitted and as Python, against sympy.diff (mpmath) summed over the rows,
    and against the row pass (value_and_grad) to 1e-12."""
    spec, gain, loops, _ = pair
    assert loops.BATCH_MIN == 8
    ref = Reference(spec, gain)
    m = loops.BATCH_MIN
    rows = [sample(spec, loops.N_PARAMS, s) for s in range(20, 20 + m)]
    X, Y = np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])
    theta = rows[0][2]
    exact = np.sum([ref.exact_gradient(x, y, theta) for x, y in zip(X, Y)], axis=0)
    want_e = sum(ref.error_value(x, y, theta) for x, y in zip(X, Y))
    grad, row_sum, row_e = np.empty(loops.N_PARAMS), np.zeros(loops.N_PARAMS), 0.0
    for x, y in zip(X, Y):
        row_e += loops.value_and_grad(x, y, theta, grad)
        row_sum += grad
    for fast in (True, False):
        e, got = batch_gradient(loops, X, Y, theta, fast)
        assert_close([e], [want_e], "E of the batch")
        assert_close(got, exact.tolist(), "batch gradient against sympy.diff")
        np.testing.assert_allclose(got, row_sum, rtol=1e-12, atol=1e-14 * np.abs(row_sum).max())
        assert e == pytest.approx(row_e, rel=1e-12)


def numpy_backprop(
    spec: NetworkSpec, x: np.ndarray, y: np.ndarray, theta: np.ndarray
) -> tuple[float, np.ndarray]:
    """Hand-written textbook backprop for sigmoid hidden layers and a softmax / cross-entropy
    output."""
    ws, bs, index = [], [], 0
    for l in range(1, len(spec.sizes)):
        n_in, n_out = spec.sizes[l - 1], spec.sizes[l]
        ws.append(theta[index : index + n_in * n_out].reshape(n_out, n_in))
        bs.append(theta[index + n_in * n_out : index + n_in * n_out + n_out])
        index += n_in * n_out + n_out
    acts = [x]
    for l, (w, b) in enumerate(zip(ws, bs)):
        z = w @ acts[-1] + b
        if l == len(ws) - 1:
            e = np.exp(z - z.max())
            acts.append(e / e.sum())
        else:
            acts.append(1 / (1 + np.exp(-z)))
    error = float(-(y * np.log(acts[-1])).sum())
    d = acts[-1] - y
    grads = []
    for l in range(len(ws) - 1, -1, -1):
        grads = [np.outer(d, acts[l]).ravel(), d, *grads]
        if l:
            d = (ws[l].T @ d) * acts[l] * (1 - acts[l])
    return error, np.concatenate(grads)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> tuple[NetworkSpec, ModuleType]:
    """A network above the size rule, compiled once for the tests below."""
    spec = inline("20-16-10", activation=["sigmoid", "softmax"], loss="cross_entropy")
    assert choose_style(spec) == "loops"
    (path,) = generate(spec, tmp_path_factory.mktemp("wide"))
    return spec, import_path(path)


def test_wide_network_against_numpy(wide: tuple[NetworkSpec, ModuleType]) -> None:
    spec, module = wide
    x, y, theta = sample(spec, module.N_PARAMS, 4)
    grad = np.empty(module.N_PARAMS)
    e = module.value_and_grad(x, y, theta, grad)
    e_np, g_np = numpy_backprop(spec, x, y, theta)
    assert_close([e], [e_np], "E")
    assert_close(grad, g_np.tolist(), "gradient against numpy backprop")


def digits_like(spec: NetworkSpec, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    return rng.uniform(0, 1, size=(n, spec.sizes[0])), np.eye(spec.sizes[-1])[
        rng.integers(spec.sizes[-1], size=n)
    ]


def train_runs(
    module: ModuleType, X: np.ndarray, Y: np.ndarray, batch_size: int, parallel: bool
) -> tuple[np.ndarray, np.ndarray]:
    saved = module.PARALLEL, module.PARALLEL_MIN_BATCH
    module.PARALLEL, module.PARALLEL_MIN_BATCH = (
        parallel,
        2,
    )  # threads for every batch that has 2 rows to share
    try:
        theta = module.init(3)
        history = module.train(X, Y, theta, 0.5, 3, batch_size)
    finally:
        module.PARALLEL, module.PARALLEL_MIN_BATCH = saved
    return theta, history


@pytest.mark.parametrize("batch_size", [1, 7, 32, 1000])
def test_parallel_train_is_bitwise_serial_train(
    wide: tuple[NetworkSpec, ModuleType], batch_size: int
) -> None:
    """Chunks of fixed bounds summed in chunk order: threads change nothing, not even the last
    bit."""
    spec, module = wide
    X, Y = digits_like(
        spec, 101
    )  # batches of 7 and the last partial ones split unevenly into chunks
    serial = train_runs(module, X, Y, batch_size, False)
    parallel = train_runs(module, X, Y, batch_size, True)
    again = train_runs(module, X, Y, batch_size, True)
    for got in (parallel, again):
        assert np.array_equal(got[0], serial[0]) and np.array_equal(got[1], serial[1])
    assert np.all(np.isfinite(serial[1])) and serial[1][-1] < serial[1][0]


THREADS = """
import sys, hashlib
import numpy as np, numba
sys.path.insert(0, {root!r})
from symbackprop.train.runs import import_path
from pathlib import Path
m = import_path(Path({path!r}))
m.PARALLEL = True
rng = np.random.default_rng(8)
X = rng.uniform(0, 1, size=(101, m.N_INPUTS))
Y = np.eye(m.N_OUTPUTS)[rng.integers(m.N_OUTPUTS, size=101)]
theta = m.init(3)
m.train(X, Y, theta, 0.5, 3, 32)
digest = hashlib.sha256(theta.tobytes()).hexdigest()
print(numba.get_num_threads(), m.uses_parallel(32, 101), digest)
"""


def test_thread_count_does_not_change_the_result(wide: tuple[NetworkSpec, ModuleType]) -> None:
    spec, module = wide
    X, Y = digits_like(spec, 101)
    here = hashlib.sha256(train_runs(module, X, Y, 32, False)[0].tobytes()).hexdigest()
    script = THREADS.format(root=str(REPO), path=module.__file__)
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        count, used, digest = out.stdout.split()
        assert count == threads and used == str(threads == "2") and digest == here


def test_code_size_does_not_depend_on_widths() -> None:
    small = render(
        inline("3-4-2", activation=["sigmoid", "softmax"], loss="cross_entropy"), style="loops"
    )
    wide = render(
        inline("64-32-10", activation=["sigmoid", "softmax"], loss="cross_entropy"), style="loops"
    )
    huge = render(
        inline("784-128-10", activation=["sigmoid", "softmax"], loss="cross_entropy"), style="loops"
    )
    assert len(small.splitlines()) == len(wide.splitlines()) == len(huge.splitlines())

    # only the numbers differ (and the small spec's forced --loops in the regenerate line)
    def digits(text: str) -> str:
        return re.sub(r"\d+", "0", text)

    assert digits(huge) == digits(small).replace(" --loops", "")

    # Each layer's unit code is printed three times, in the row pass (_pass), per-sample SGD
    # (_sgd) and the batch pass (_batch_block): one exp per unit in each, the first two by _exp or
    # _sigmoid (which call _exp_near), the batch pass's by the vectorisable _vexp.
    def calls(name: str, text: str) -> int:
        return len(re.findall(rf"(?<!def )(?<![\w.]){re.escape(name)}\(", text))

    passes = 3
    assert calls("_exp", wide) == 2  # the softmax loops of the row pass and of _sgd
    assert calls("_exp_near", wide) == 2 and calls("math.exp", wide) == 2  # _exp, _sigmoid
    assert calls("_vexp", wide) == 2  # _vsigmoid, the batch pass's softmax loop
    assert wide.count("a = _vsigmoid(z)") == 1 and wide.count("a = _sigmoid(z)") == 2
    sig = render(inline("64-32-10"), style="loops")
    # the sigmoid's slope from its value: no exp beyond the sigmoid's own
    assert calls("_exp", sig) == 0 and "a*(1 - a)" in sig
    soft = render(inline("64-32-10", activation="softplus"), style="loops")
    # softplus: value and slope from one exp per unit (in each layer's unit loop), none recomputed
    # for the delta
    assert calls("math.exp", soft) == 2 * passes
    assert "_sigmoid" not in soft and "_softplus" not in soft


@pytest.mark.parametrize("name", ["sears-xor", "maren", "essay"])
def test_parameter_tables_built_at_import(name: str, tmp_path: Path) -> None:
    """PARAM_IDS and PARAM_NAMES of a loop module (built from the layer templates and [names]) are
    the unrolled ones."""
    spec = preset(name)
    (path,) = generate(spec, tmp_path, style="loops")
    text = path.read_text()
    assert "PARAM_IDS = (" not in text and "'w1_1_1'" not in text
    loops = import_path(path)  # importing compiles nothing: the tables are plain Python
    unrolled = import_path(ROOT / "generated" / f"{path.stem}.py")
    assert loops.PARAM_IDS == unrolled.PARAM_IDS and loops.PARAM_NAMES == unrolled.PARAM_NAMES
    assert len(loops.PARAM_IDS) == loops.N_PARAMS


def test_softplus_lines_share_one_exp(tmp_path: Path) -> None:
    """The printed softplus lines (value and slope from one exp) against mpmath, far into both
    tails."""
    body = "".join(f"    {line}\n" for line in ACTIVATIONS["softplus"].numba_lines)
    path = tmp_path / "softplus_unit.py"
    path.write_text(f"import math\n\n\ndef unit(z):\n{body}    return a, s\n")
    unit = import_path(path).unit
    for z in (-800.0, -40.0, -1.5, -1e-9, 0.0, 1e-9, 0.7, 40.0, 800.0):
        a, s = unit(z)
        with mpmath.workdps(50):
            want_a = mpmath.log1p(mpmath.exp(z))
            want_s = 1 / (1 + mpmath.exp(-z))
        assert a == pytest.approx(float(want_a), rel=1e-15, abs=1e-300)
        assert s == pytest.approx(float(want_s), rel=1e-15, abs=1e-300)


def test_size_rule() -> None:
    for name in preset_names():
        assert choose_style(preset(name)) == "unrolled"
    edge = inline("15-15-1")  # 15*16 + 16 = 256 parameters
    assert n_params(edge) == UNROLLED_MAX_PARAMS and choose_style(edge) == "unrolled"
    assert choose_style(inline("16-15-1")) == "loops"
    assert choose_style(inline("64-32-10")) == "loops"
    assert (
        choose_style(inline("16-16-16-1"), "unrolled") == "unrolled"
    )  # forced, below the hard limit
    assert choose_style(inline("2-3-1"), "loops") == "loops"


def test_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "2-3-1", "--loops"]) == 0
    out = capsys.readouterr().out
    assert "def _affine" in out and "generate spec.toml --loops -o net_2_3_1.py" in out
    assert main(["generate", "2-3-1"]) == 0
    assert "def _affine" not in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["generate", "2-3-1", "--loops", "--unrolled"])
    capsys.readouterr()
    assert main(["generate", "--all-presets", "-o", "generated/", "--loops", "--check"]) == 2
    assert "--all-presets" in capsys.readouterr().err


def test_unrolled_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    assert n_params(inline("64-128-32-10")) > UNROLLED_HARD_LIMIT
    assert main(["generate", "64-128-32-10", "--unrolled"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "12778 parameters" in err and "lines" in err and "--loops" in err


def assert_train_is_row_steps(loops: ModuleType, X: np.ndarray, Y: np.ndarray) -> None:
    """train over 21 rows in batches of 10 (the batch pass) = the steps of value_and_grad."""
    theta = loops.init(3)
    mine, grad = theta.copy(), np.empty(loops.N_PARAMS)
    for _ in range(3):
        for start in range(0, 21, 10):
            stop = min(start + 10, 21)
            batch = np.zeros(loops.N_PARAMS)
            for i in range(start, stop):
                loops.value_and_grad(X[i], Y[i], mine, grad)
                batch += grad
            mine -= 0.3 / (stop - start) * batch
    loops.train(X, Y, theta, 0.3, 3, 10)
    np.testing.assert_allclose(theta, mine, rtol=1e-12, atol=1e-14)


def test_batch_pass_through_a_hidden_softmax(tmp_path: Path) -> None:
    """A softmax hidden layer: the batch pass applies its Jacobian row by row, as the row pass."""
    spec = inline("3-4-3-2", activation=["tanh", "softmax", "sigmoid"], loss="half_sse")
    loops = load(spec, tmp_path, "loops", 1.0)
    rng = np.random.default_rng(1)
    assert_train_is_row_steps(loops, rng.uniform(-1, 1, (21, 3)), rng.uniform(0, 1, (21, 2)))


def test_batch_pass_softmax_output_without_biases(tmp_path: Path) -> None:
    """An output softmax without biases: the batch pass's (units, rows) product starts from 0."""
    spec = inline("3-4-3", activation=["tanh", "softmax"], loss="cross_entropy", bias=False)
    loops = load(spec, tmp_path, "loops", 1.0)
    assert loops.N_PARAMS == 3 * 4 + 4 * 3  # weights only
    rng = np.random.default_rng(2)
    Y = np.eye(3)[rng.integers(3, size=21)]
    assert_train_is_row_steps(loops, rng.uniform(-1, 1, (21, 3)), Y)
