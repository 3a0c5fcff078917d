"""Property tests at scale: every derived gradient equals an independent 50-digit reference.

hypothesis draws architectures (depth 1-4, widths 1-6), activations, losses, biases and a
random point; the reference is the corpus oracle (:mod:`tests.corpus.oracle`: mpmath only,
central differences with a two-step check), which shares no code with symbackprop. Each case
checks the exact form (``sympy.diff`` of E), the compact form (the delta recursion) and the
chain of local factors for a sample of parameters, and the generated module's gradient (its
plain Python, ``NUMBA_DISABLE_JIT=1``, in one subprocess for all cases).

``SYMBACKPROP_PROPERTY_EXAMPLES`` sets the count (default 500); the slow run
(``pytest -m slow``) takes 10,000.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbackprop.backprop.forms import gradients
from symbackprop.codegen.render import render
from symbackprop.errors import SpecError
from symbackprop.model.activations import to_elementary
from symbackprop.model.network import Network, build
from symbackprop.model.spec import NetworkSpec
from tests.corpus.oracle import Point
from tests.helpers import REPO

EXAMPLES = int(os.environ.get("SYMBACKPROP_PROPERTY_EXAMPLES", "500"))
SLOW_EXAMPLES = 10_000
SAMPLED = 4  # parameters checked per case in every symbolic form
DIGITS = 40
HIDDEN = ("sigmoid", "tanh", "relu", "linear")
# The exact form (sympy.diff of E in closed form) is checked up to this many layers (input
# included); deeper, its expression tree has too many terms to evaluate in a test.
EXACT_UP_TO_LAYERS = 3


@dataclass(frozen=True)
class Case:
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    biases: bool
    loss: str  # symbackprop's name
    seed: int

    def spec(self) -> NetworkSpec:
        depth = len(self.sizes) - 1
        return NetworkSpec(
            sizes=self.sizes,
            activations=self.activations,
            biases=(self.biases,) * depth,
            gains=(False,) * depth,
            loss=self.loss,
            mean=False,
            name="prop",
        )

    def point(self) -> Point:
        oracle_loss = "ce" if self.loss == "cross_entropy" else self.loss
        spec = {
            "sizes": list(self.sizes),
            "activations": list(self.activations),
            "biases": self.biases,
            "loss": oracle_loss,
            "cases": 1,
        }
        return Point(spec, random.Random(self.seed))


@st.composite
def cases(draw: st.DrawFn, widest: int = 6) -> Case:
    depth = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, widest)) for _ in range(depth + 1)]
    hidden = [draw(st.sampled_from(HIDDEN)) for _ in range(depth - 1)]
    loss = draw(st.sampled_from(("half_sse", "sse", "cross_entropy")))
    if loss == "cross_entropy":
        out = draw(st.sampled_from(("sigmoid", "softmax")))
        if out == "softmax":
            sizes[-1] = max(2, sizes[-1])
    else:
        out = draw(st.sampled_from(HIDDEN))
    return Case(
        tuple(sizes), (*hidden, out), draw(st.booleans()), loss, draw(st.integers(0, 10**6))
    )


def at_point(net: Network, point: Point) -> dict[sp.Expr, sp.Expr]:
    """The oracle's numbers for the network's symbols (case 0)."""
    values: dict[sp.Expr, sp.Expr] = {}
    for p in net.params:
        if p.from_unit is None:
            values[p.symbol] = sp.Float(point.b[p.layer][p.to_unit - 1], DIGITS + 10)
        else:
            values[p.symbol] = sp.Float(
                point.W[p.layer][p.to_unit - 1][p.from_unit - 1], DIGITS + 10
            )
    values |= {s: sp.Float(v, DIGITS + 10) for s, v in zip(net.inputs, point.X[0])}
    values |= {s: sp.Float(v, DIGITS + 10) for s, v in zip(net.targets, point.Y[0])}
    return values


def oracle_gradient(point: Point, pid: str) -> mpmath.mpf:
    kind, *index = pid[0], *map(int, pid[1:].split("_"))
    if kind == "b":
        return point.db(index[0], index[1] - 1)
    return point.dW(index[0], index[1] - 1, index[2] - 1)


def number(expr: sp.Expr, values: dict[sp.Expr, sp.Expr]) -> mpmath.mpf:
    closed = to_elementary(expr).xreplace(values)
    return mpmath.mpf(sp.N(closed.doit(), DIGITS))


def with_intermediates(net: Network, values: dict[sp.Expr, sp.Expr]) -> dict[sp.Expr, sp.Expr]:
    """The point plus every intermediate (net inputs, activations, outputs, residuals) as a
    number, each from its definition in terms of the ones before it: a forward pass in SymPy
    numbers, so the compact and chain forms are evaluated without expanding to closed forms."""
    known = dict(values)
    order = [z for l in range(1, net.depth + 1) for z in (*net.z[l], *net.a[l])]
    order += [s for s in (*net.outputs, *net.errors) if s not in known]
    for symbol in order:
        if symbol in known:
            continue
        definition = net.definitions.get(symbol)
        if definition is None:
            continue
        known[symbol] = sp.N(to_elementary(definition).xreplace(known), DIGITS + 10)
    return known


def agrees(mine: mpmath.mpf, truth: mpmath.mpf, rel: float = 1e-25) -> bool:
    return bool(abs(mine - truth) <= rel * max(abs(truth), mpmath.mpf(1)))


def check_symbolic(case: Case) -> None:
    net = build(case.spec())
    point = case.point()
    values = at_point(net, point)
    forward = with_intermediates(net, values)
    grads = gradients(net)
    rng = random.Random(case.seed)
    for g in rng.sample(grads, min(SAMPLED, len(grads))):
        truth = oracle_gradient(point, g.param.id)
        forms = {"compact": (g.per_case.value, forward)}
        try:
            paths = g.chain
        except SpecError:  # over 512 paths the tool refuses the chain form (and says so)
            paths = ()
        if paths:
            chain = sp.Add(*[sp.Mul(*[f.value for f in path]) for path in paths])
            forms["chain"] = (chain, forward)
        if len(case.sizes) <= EXACT_UP_TO_LAYERS:  # the closed form grows fast with depth
            forms["exact"] = (g.exact, values)
        for form, (expr, at) in forms.items():
            mine = number(expr, at)
            assert agrees(mine, truth), (case, g.param.id, form, mine, truth)


def examples(count: int) -> settings:
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


@examples(EXAMPLES)
@given(cases(widest=4))
def test_every_form_of_every_gradient_equals_the_oracle(case: Case) -> None:
    check_symbolic(case)


@pytest.mark.slow
@examples(SLOW_EXAMPLES)
@given(cases())
def test_every_form_of_every_gradient_equals_the_oracle_at_scale(case: Case) -> None:
    check_symbolic(case)


GENERATED = 24  # modules per run: each is rendered here and run as plain Python in one process

RUNNER = """
import json, sys
sys.path.insert(0, {root!r})
import numpy as np
from symbackprop.train.runs import import_path
from pathlib import Path
out = []
for job in json.loads(Path({jobs!r}).read_text()):
    m = import_path(Path(job["path"]))
    grad = np.empty(m.N_PARAMS)
    e = m.value_and_grad(np.array(job["x"]), np.array(job["y"]), np.array(job["theta"]), grad)
    out.append({{"E": e, "grad": grad.tolist()}})
print(json.dumps(out))
"""


def test_generated_modules_equal_the_oracle(tmp_path: Path) -> None:
    """Generated modules (unrolled and loops) of random specs, run as plain Python."""
    jobs, truths = [], []
    for k in range(GENERATED):
        case = _nth_case(k)
        spec = case.spec()
        point = case.point()
        net = build(spec)
        values = at_point(net, point)
        theta = [float(values[p.symbol]) for p in net.params]
        path = tmp_path / f"prop_{k}.py"
        path.write_text(render(spec, style="loops" if k % 2 else "auto"), "utf-8")
        jobs.append(
            {
                "path": str(path),
                "x": [float(v) for v in point.X[0]],
                "y": [float(v) for v in point.Y[0]],
                "theta": theta,
            }
        )
        truths.append([oracle_gradient(point, p.id) for p in net.params])
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    script = RUNNER.format(root=str(REPO), jobs=str(tmp_path / "jobs.json"))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for k, (got, truth) in enumerate(zip(json.loads(done.stdout), truths)):
        for mine, want in zip(got["grad"], truth):
            # float64 code: agreement to rounding, relative to the gradient's scale
            scale = max(1.0, max(abs(float(t)) for t in truth))
            assert abs(mine - float(want)) <= 1e-10 * scale, (_nth_case(k), mine, float(want))


def _nth_case(k: int) -> Case:
    """A fixed, varied case per index (the same in every run)."""
    rng = random.Random(1000 + k)
    depth = rng.randint(1, 3)
    sizes = [rng.randint(1, 4) for _ in range(depth + 1)]
    loss = rng.choice(("half_sse", "sse", "cross_entropy"))
    hidden = tuple(rng.choice(HIDDEN) for _ in range(depth - 1))
    if loss == "cross_entropy":
        out = rng.choice(("sigmoid", "softmax"))
        if out == "softmax":
            sizes[-1] = max(2, sizes[-1])
    else:
        out = rng.choice(HIDDEN)
    return Case(tuple(sizes), (*hidden, out), rng.random() < 0.5, loss, rng.randint(0, 10**6))
