"""Independent numeric oracle for the backprop claim corpus.

Uses mpmath only (never symbackprop, never SymPy), so a verdict decided here cannot share a
bug with the tool.

Conventions (internal, whatever the text's own numbering):

* layers are numbered 0 (input) .. L (output); ``sizes[l]`` units in layer ``l``;
* ``W[l][j][k]`` is the weight into unit ``j`` of layer ``l`` from unit ``k`` of layer ``l-1``
  (row = receiving unit, column = sending unit), for ``l = 1..L``; ``W[0]`` is empty;
* ``b[l][j]`` is the bias of unit ``j`` in layer ``l`` (all zero and never perturbed when the
  network has no biases);
* per case ``n``: ``z(l, j, n)`` is the net input and ``a(l, j, n)`` the activation;
  ``a(0, k, n)`` is input ``k`` and ``Y[n][j]`` the target of output unit ``j``.

The loss is ``reduce_n data_n + penalty`` where ``data_n`` is the per-case term (half_sse, sse
or cross-entropy), ``reduce`` is a sum or a mean over the ``N`` cases, and the penalty is
``(l2 / 2) * sum w**2`` (also over biases when ``l2_biases``; divided by ``N`` when
``l2_mean``).

Every derivative is a central difference with step 1e-20, evaluated with 30 guard digits over
``mp.dps = 50`` and checked against a second step (1e-22): the two must agree to 15 digits.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import product
from typing import Any

from mpmath import mp, mpf

mp.dps = 50
GUARD = 30
STEPS = (mpf("1e-20"), mpf("1e-22"))
STEP_AGREEMENT = mpf("1e-15")
REL_TOL = mpf("1e-30")
ABS_TOL = mpf("1e-35")
HOLDS = "holds"
FAILS = "does not hold"

Key = tuple[Any, ...]
Vec = list[Any]


class Undefined(Exception):  # noqa: N818 - public: the texts raise it, the oracle catches it
    """The claim's expression has no value at this binding (e.g. shapes do not conform)."""


class StepDisagreement(Exception):  # noqa: N818 - public: the corpus tests catch it
    """The two central-difference steps disagree: the point is too close to a kink."""


def sigmoid(z: Any) -> Any:
    return 1 / (1 + mp.exp(-z))


def relu(z: Any) -> Any:
    return z if z > 0 else mpf(0)


ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": sigmoid,
    "tanh": mp.tanh,
    "relu": relu,
    "linear": lambda z: z,
}

DEFAULTS: dict[str, Any] = {
    "biases": True,
    "loss": "half_sse",
    "reduce": "sum",
    "l2": "0",
    "l2_biases": False,
    "l2_mean": False,
    "cases": 3,
    "targets": "auto",
    "seed": 1,
    "points": 3,
}


def scalar_derivative(f: Callable[[Any], Any], x: Any) -> Any:
    """Central difference of a scalar function, with the same two-step check as the loss."""
    results = []
    for h in STEPS:
        with mp.workdps(mp.dps + GUARD):
            results.append((f(x + h) - f(x - h)) / (2 * h))
    return _agree(results[0], results[1])


def _agree(d1: Any, d2: Any) -> Any:
    scale = max(abs(d1), abs(d2))
    if abs(d1 - d2) > STEP_AGREEMENT * scale + mpf("1e-40"):
        raise StepDisagreement(f"{d1} vs {d2}")
    return +d1  # rounds to the current (50-digit) precision


class Point:
    """One random point: parameters, inputs and targets, with cached forward pass and gradients."""

    def __init__(self, spec: Mapping[str, Any], rng: random.Random) -> None:
        self.spec = {**DEFAULTS, **spec}
        self.sizes: list[int] = list(self.spec["sizes"])
        self.L = len(self.sizes) - 1
        self.acts: list[str] = ["input", *self.spec["activations"]]
        if len(self.acts) != len(self.sizes):
            raise ValueError("one activation per non-input layer")
        if "softmax" in self.acts[:-1]:
            raise ValueError("softmax only on the output layer")
        self.N = int(self.spec["cases"])
        self.lam = mpf(self.spec["l2"])

        def u(lo: float, hi: float) -> Any:
            return mpf(rng.uniform(lo, hi))

        s = self.sizes
        self.W: list[list[list[Any]]] = [[]] + [
            [[u(-1, 1) for _ in range(s[l - 1])] for _ in range(s[l])] for l in range(1, self.L + 1)
        ]
        has_b = bool(self.spec["biases"])
        self.b: list[list[Any]] = [[]] + [
            [u(-1, 1) if has_b else mpf(0) for _ in range(s[l])] for l in range(1, self.L + 1)
        ]
        self.X: list[list[Any]] = [[u(-1, 1) for _ in range(s[0])] for _ in range(self.N)]
        self.target_kind = self._target_kind()
        self.Y: list[list[Any]] = [self._target(rng) for _ in range(self.N)]
        self._base = [self._forward_case(n, None) for n in range(self.N)]
        self._cache: dict[tuple[Key, Key], Any] = {}

    # ----- data ---------------------------------------------------------------------------
    def _target_kind(self) -> str:
        kind = str(self.spec["targets"])
        if kind == "auto":
            softmax_ce = self.acts[-1] == "softmax" and self.spec["loss"] == "ce"
            return "probability" if softmax_ce else "unit_interval"
        return kind

    def _target(self, rng: random.Random) -> list[Any]:
        m = self.sizes[-1]
        if self.target_kind == "probability":
            raw = [mpf(rng.uniform(0.05, 1)) for _ in range(m)]
            total = sum(raw)
            return [r / total for r in raw]
        if self.target_kind == "onehot":
            hot = rng.randrange(m)
            return [mpf(1 if j == hot else 0) for j in range(m)]
        return [mpf(rng.uniform(0.05, 0.95)) for _ in range(m)]

    # ----- forward pass -------------------------------------------------------------------
    def _forward_case(self, n: int, p: Key | None) -> tuple[list[Vec], list[Vec]]:
        """z and a per layer for case ``n`` under perturbation ``p`` (kind, indices..., eps)."""
        kind = p[0] if p else None
        a0 = list(self.X[n])
        if kind == "a" and p is not None and p[1] == 0 and p[3] == n:
            a0[p[2]] += p[4]
        zs: list[Vec] = [[]]
        as_: list[Vec] = [a0]
        for l in range(1, self.L + 1):
            z = []
            for j in range(self.sizes[l]):
                row = self.W[l][j]
                acc = self.b[l][j]
                if kind == "b" and p is not None and p[1] == l and p[2] == j:
                    acc += p[3]
                for k, w in enumerate(row):
                    if kind == "W" and p is not None and p[1:4] == (l, j, k):
                        w = w + p[4]
                    acc += w * as_[l - 1][k]
                z.append(acc)
            if kind == "z" and p is not None and p[1] == l and p[3] == n:
                z[p[2]] += p[4]
            a = self._activate(l, z)
            if kind == "a" and p is not None and p[1] == l and p[3] == n:
                a[p[2]] += p[4]
            zs.append(z)
            as_.append(a)
        return zs, as_

    def _activate(self, l: int, z: Vec) -> Vec:
        if self.acts[l] == "softmax":
            top = max(z)
            e = [mp.exp(v - top) for v in z]
            total = sum(e)
            return [v / total for v in e]
        f = ACTIVATIONS[self.acts[l]]
        return [f(v) for v in z]

    def _case_term(self, n: int, out: Vec, p: Key | None) -> Any:
        y = list(self.Y[n])
        if p is not None and p[0] == "t" and p[2] == n:
            y[p[1]] += p[3]
        loss = self.spec["loss"]
        if loss == "half_sse":
            return sum((o - t) ** 2 for o, t in zip(out, y)) / 2
        if loss == "sse":
            return sum((o - t) ** 2 for o, t in zip(out, y))
        if loss == "ce" and self.acts[-1] == "softmax":
            return -sum(t * mp.log(o) for o, t in zip(out, y))
        if loss == "ce" and self.acts[-1] == "sigmoid":
            return -sum(t * mp.log(o) + (1 - t) * mp.log(1 - o) for o, t in zip(out, y))
        raise ValueError(f"unsupported loss {loss} with {self.acts[-1]} output")

    def _penalty(self, p: Key | None) -> Any:
        if not self.lam:
            return mpf(0)
        total = mpf(0)
        for l in range(1, self.L + 1):
            for j in range(self.sizes[l]):
                for k, w in enumerate(self.W[l][j]):
                    if p is not None and p[0] == "W" and p[1:4] == (l, j, k):
                        w = w + p[4]
                    total += w**2
                if self.spec["l2_biases"]:
                    bj = self.b[l][j]
                    if p is not None and p[0] == "b" and p[1:3] == (l, j):
                        bj = bj + p[3]
                    total += bj**2
        pen = self.lam / 2 * total
        return pen / self.N if self.spec["l2_mean"] else pen

    def _value(self, of: Key, p: Key | None) -> Any:
        """Scalar ``of`` under perturbation ``p``.

        of: ("loss",) full objective; ("data",) objective without penalty; ("case", n) the
        per-case term of case n alone (no 1/N, no penalty); ("z"|"a", l, j, n) forward values.
        """
        if of[0] in ("z", "a"):
            zs, as_ = self._forward_case(of[3], p)
            return (zs if of[0] == "z" else as_)[of[1]][of[2]]
        if of[0] == "case":
            return self._case_term(of[1], self._forward_case(of[1], p)[1][self.L], p)
        case_of_p = _case_of(p)
        cases = range(self.N) if case_of_p is None else [case_of_p]
        total = sum(self._case_term(n, self._forward_case(n, p)[1][self.L], p) for n in cases)
        if self.spec["reduce"] == "mean":
            total = total / self.N
        if of[0] == "loss" and case_of_p is None:
            total += self._penalty(p)
        return total

    # ----- public accessors ---------------------------------------------------------------
    def z(self, l: int, j: int, n: int) -> Any:
        return self._base[n][0][l][j]

    def a(self, l: int, j: int, n: int) -> Any:
        return self._base[n][1][l][j]

    def zv(self, l: int, n: int) -> Vec:
        return list(self._base[n][0][l])

    def av(self, l: int, n: int) -> Vec:
        return list(self._base[n][1][l])

    def act(self, l: int, z: Any) -> Any:
        return ACTIVATIONS[self.acts[l]](z)

    def dact(self, l: int, z: Any) -> Any:
        """Derivative of layer l's (elementwise) activation at z, by central difference."""
        return scalar_derivative(ACTIVATIONS[self.acts[l]], z)

    def loss(self) -> Any:
        return self._value(("loss",), None)

    def data_loss(self) -> Any:
        return self._value(("data",), None)

    def case_loss(self, n: int) -> Any:
        return self._value(("case", n), None)

    def d(self, of: Key, wrt: Key) -> Any:
        """d(of)/d(wrt) by central differences; wrt is ("W", l, j, k), ("b", l, j),
        ("z"|"a", l, j, n) or ("t", j, n) (target j of case n). Cached per point."""
        key = (of, wrt)
        if key not in self._cache:
            results = []
            for h in STEPS:
                with mp.workdps(mp.dps + GUARD):
                    up = self._value(of, (*wrt, h))
                    down = self._value(of, (*wrt, -h))
                    results.append((up - down) / (2 * h))
            self._cache[key] = _agree(results[0], results[1])
        return self._cache[key]

    def _of(self, case: int | None) -> Key:
        return ("loss",) if case is None else ("case", case)

    def dW(self, l: int, j: int, k: int, case: int | None = None) -> Any:
        """dLoss/dW[l][j][k]; with ``case`` the derivative of that case's term alone."""
        return self.d(self._of(case), ("W", l, j, k))

    def db(self, l: int, j: int, case: int | None = None) -> Any:
        return self.d(self._of(case), ("b", l, j))

    def dz(self, l: int, j: int, n: int, per_case: bool = True) -> Any:
        """dE/dz of unit j, layer l, case n (E = case n's term, or the whole loss)."""
        return self.d(("case", n) if per_case else ("loss",), ("z", l, j, n))

    def da(self, l: int, j: int, n: int, per_case: bool = True) -> Any:
        return self.d(("case", n) if per_case else ("loss",), ("a", l, j, n))

    def dt(self, j: int, n: int) -> Any:
        """d(case n's term)/d(target j of case n)."""
        return self.d(("case", n), ("t", j, n))


def loss(point: Point) -> Any:
    """The objective at a point (the point holds both the parameters and the data)."""
    return point.loss()


def grad(point: Point, name: Key) -> Any:
    """50-digit central difference of the objective in one parameter or hooked quantity:
    ("W", l, j, k), ("b", l, j), ("z", l, j, n), ("a", l, j, n) or ("t", j, n)."""
    return point.d(("loss",), name)


def _case_of(p: Key | None) -> int | None:
    if p is None:
        return None
    if p[0] in ("z", "a"):
        return int(p[3])
    if p[0] == "t":
        return int(p[2])
    return None


# ----- small linear algebra that refuses non-conforming shapes ---------------------------
def matvec(m: Sequence[Sequence[Any]], v: Sequence[Any]) -> Vec:
    if any(len(row) != len(v) for row in m):
        raise Undefined("matrix-vector shapes do not conform")
    return [sum((w * x for w, x in zip(row, v)), mpf(0)) for row in m]


def transpose(m: Sequence[Sequence[Any]]) -> list[Vec]:
    return [list(col) for col in zip(*m)]


def hadamard(u: Sequence[Any], v: Sequence[Any]) -> Vec:
    if len(u) != len(v):
        raise Undefined("elementwise product of vectors of different lengths")
    return [x * y for x, y in zip(u, v)]


def outer(u: Sequence[Any], v: Sequence[Any]) -> list[Vec]:
    return [[x * y for y in v] for x in u]


def matmul(p: Sequence[Sequence[Any]], q: Sequence[Sequence[Any]]) -> list[Vec]:
    if any(len(row) != len(q) for row in p):
        raise Undefined("matrix shapes do not conform")
    qt = transpose(q)
    return [[sum((x * y for x, y in zip(row, col)), mpf(0)) for col in qt] for row in p]


def diag(v: Sequence[Any]) -> list[Vec]:
    return [[v[i] if i == k else mpf(0) for k in range(len(v))] for i in range(len(v))]


def flatten(x: Any) -> list[Any]:
    if isinstance(x, (list, tuple)):
        return [y for item in x for y in flatten(item)]
    return [x]


def shape(x: Any) -> tuple[int, ...]:
    if isinstance(x, (list, tuple)):
        inner = {shape(item) for item in x}
        if len(inner) > 1:
            raise Undefined("ragged value")
        return (len(x), *(inner.pop() if inner else ()))
    return ()


# ----- points and judging ----------------------------------------------------------------
_POINTS: dict[str, list[Point]] = {}


def points(network: Mapping[str, Any]) -> list[Point]:
    """The network's random points (seeded, cached for the whole run)."""
    spec = {**DEFAULTS, **network}
    key = repr(sorted((k, repr(v)) for k, v in spec.items()))
    if key not in _POINTS:
        rng = random.Random(int(spec["seed"]))
        _POINTS[key] = [Point(spec, rng) for _ in range(int(spec["points"]))]
    return _POINTS[key]


Ranges = Mapping[str, Callable[[Point, dict[str, Any]], Iterable[Any]]]
Sides = Callable[[Point, dict[str, Any]], tuple[Any, Any]]


def bindings(net: Point, free: Mapping[str, str], ranges: Ranges) -> list[dict[str, Any]]:
    """Every binding of the free indices; each description names a range in ``ranges``,
    which may depend on the indices bound before it (dict order)."""
    out: list[dict[str, Any]] = [{}]
    for name, desc in free.items():
        out = [{**b, name: v} for b in out for v in ranges[desc](net, b)]
    return out


def agree(lhs: Any, rhs: Any) -> bool:
    if shape(lhs) != shape(rhs):
        return False
    for x, y in zip(flatten(lhs), flatten(rhs)):
        diff = abs(x - y)
        if diff > ABS_TOL and diff > REL_TOL * max(abs(x), abs(y)):
            return False
    return True


def examine(case: Mapping[str, Any], network: Mapping[str, Any], ranges: Ranges) -> dict[str, Any]:
    """Evaluate a claim everywhere; count bindings, mismatches and undefined bindings, and
    record the largest |side| seen (a claim whose sides are always 0 tests nothing)."""
    net_spec = case.get("network", network)
    sides: Sides = case["sides"]
    stats: dict[str, Any] = {"bindings": 0, "mismatches": 0, "undefined": 0, "largest": mpf(0)}
    for net in points(net_spec):
        for binding in bindings(net, case["free"], ranges):
            stats["bindings"] += 1
            try:
                lhs, rhs = sides(net, binding)
            except Undefined:
                stats["undefined"] += 1
                continue
            if not agree(lhs, rhs):
                stats["mismatches"] += 1
            values = flatten(lhs) + flatten(rhs)
            stats["largest"] = max([stats["largest"], *(abs(v) for v in values)])
    return stats


def judge(case: Mapping[str, Any], network: Mapping[str, Any], ranges: Ranges) -> str:
    """ "holds" when both sides agree at every point and every binding, else "does not hold"
    (an undefined side, e.g. non-conforming shapes, also means "does not hold")."""
    net_spec = case.get("network", network)
    sides: Sides = case["sides"]
    for net in points(net_spec):
        for binding in bindings(net, case["free"], ranges):
            try:
                lhs, rhs = sides(net, binding)
            except Undefined:
                return FAILS
            if not agree(lhs, rhs):
                return FAILS
    return HOLDS


# Units numbered through the whole net, input first (Rumelhart et al., Mitchell): 1, 2, ...


def unit(net: Point, u: int) -> tuple[int, int]:
    """Global unit number (1-based) -> (layer, index)."""
    u -= 1
    for l, size in enumerate(net.sizes):
        if u < size:
            return l, u
        u -= size
    raise IndexError(u)


def first(net: Point, l: int) -> int:
    return sum(net.sizes[:l]) + 1


def layer_units(net: Point, l: int) -> range:
    return range(first(net, l), first(net, l) + net.sizes[l])


def units(l: int) -> Callable[[Point, dict[str, Any]], range]:
    """Range: the units of internal layer ``l`` (negative counts from the output layer)."""
    return lambda net, b: range(net.sizes[l % (net.L + 1)])


def cases_range(net: Point, b: dict[str, Any]) -> range:
    return range(net.N)


def grid(*dims: Iterable[Any]) -> list[tuple[Any, ...]]:
    return list(product(*dims))
