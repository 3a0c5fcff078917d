"""Every derivation in the four source documents, checked against what the tool derives.

Each equation is written here as a SymPy expression, as its source writes it, and
compared with the tool's own derivation: symbolically (the difference expands to
zero) and at random rational points. Where a source is wrong, the test asserts
that it does not hold, and the comment gives the correct form the tool derived.
The verdicts live here, in the tests, decided by derivation; the library knows none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
import sympy as sp

from symbackprop import build, gradients, preset
from symbackprop.model.activations import Sigmoid, to_elementary
from symbackprop.model.network import Network
from tests.helpers import close, random_point, value

S = sp.Symbol


@dataclass(frozen=True)
class Eq:
    where: str  # location in the source
    claim: Callable[[Network], sp.Expr]
    truth: Callable[[Network], sp.Expr]
    holds: bool
    why: str = ""


def sym(net: Network, name: str) -> sp.Expr:
    """A network quantity by canonical name (per case)."""
    for s in (
        list(net.definitions)
        + list(net.inputs)
        + list(net.targets)
        + [p.symbol for p in net.params]
    ):
        if str(s) == name:
            return s
    raise KeyError(name)


def grad(net: Network, pid: str) -> sp.Expr:
    (g,) = gradients(net, [pid])
    return g.exact


def d_closed(net: Network, quantity: str, pid: str) -> sp.Expr:
    """d(quantity)/d(parameter), from the closed forms: the independent truth."""
    return sp.diff(net.to_closed(sym(net, quantity)), sym(net, pid))


def verdict(net: Network, eq: Eq) -> bool:
    """Symbolic: the difference of the closed forms is zero; numbers at random points back it up."""
    claim, truth = net.to_closed(eq.claim(net)), net.to_closed(eq.truth(net))
    difference = claim - truth
    symbolic = sp.expand(difference) == 0 or sp.cancel(to_elementary(difference)) == 0
    numeric = True
    for seed in (1, 2, 3):
        point: dict[sp.Expr, sp.Expr] = random_point(net, seed)
        extra = sorted((claim.free_symbols | truth.free_symbols) - set(point), key=str)
        point |= {s: sp.Rational(7 + 3 * i + seed, 11) for i, s in enumerate(extra)}
        numeric &= close(value(claim, point), value(truth, point))
    assert symbolic == numeric, f"{eq.where}: symbolic and numeric verdicts disagree"
    return symbolic


# --- 000 Sears (2017): 2-2-1 XOR, sigmoid phi, E = 1/2 (y - y-hat)^2, learning rate alpha ---------
ALPHA = S(
    "alpha_lr", positive=True
)  # Sears' alpha is a learning rate (a plain symbol, not the gain)


def _phi(net: Network, unit: str) -> sp.Expr:
    return sym(net, unit)


def _sears_hidden_update(j: int, k: int) -> Eq:
    """Delta w_{kj} = -Delta w_yhat phi_j (1 - phi_j) i_k with Delta w_yhat = alpha (y - yhat)
    phi_yhat (1 - phi_yhat) phi_j."""

    def claim(net: Network) -> sp.Expr:
        y, yhat, phi_out, phi_j = (
            sym(net, "y1"),
            sym(net, "o1"),
            sym(net, "a2_1"),
            sym(net, f"a1_{j}"),
        )
        delta_w_out = ALPHA * (y - yhat) * phi_out * (1 - phi_out) * phi_j
        return -delta_w_out * phi_j * (1 - phi_j) * sym(net, f"x{k}")

    return Eq(
        f"000 sec. 2.2, Delta w_{{{k}{j}}}",
        claim,
        lambda net: -ALPHA * grad(net, f"w1_{j}_{k}"),
        holds=False,
        # derived: Delta w_{kj} = alpha (y - yhat) phi_yhat (1 - phi_yhat) w_j phi_j (1 - phi_j)
        # i_k.
        # The claim has the opposite sign and phi_j where the output weight w_j belongs: its chain
        # keeps dnet_yhat/dw_yhat = phi_j and invents dw_yhat/dnet_i instead of dnet_yhat/dphi_j =
        # w_j.
        why="ratio claim/true = -phi_j / w_j",
    )


SEARS = [
    Eq(
        "000 sec. 2.1, phi'(x) = phi_x (1 - phi_x)",
        lambda net: Sigmoid(S("x")) * (1 - Sigmoid(S("x"))),
        lambda net: sp.diff(Sigmoid(S("x")), S("x")),
        True,
    ),
    Eq(
        "000 eq. (1), E = 1/2 (y - yhat)^2",
        lambda net: sp.Rational(1, 2) * (sym(net, "y1") - sym(net, "o1")) ** 2,
        lambda net: net.case_error,
        True,
    ),
    Eq(
        "000 sec. 2.2, net_yhat = phi(net_1) w_1 + phi(net_2) w_2",
        lambda net: (
            Sigmoid(sym(net, "z1_1")) * sym(net, "w2_1_1")
            + Sigmoid(sym(net, "z1_2")) * sym(net, "w2_1_2")
        ),
        lambda net: sym(net, "z2_1"),
        True,
    ),
    Eq(
        "000 sec. 2.2, net_1 = i_1 w_11 + i_2 w_21",
        lambda net: sym(net, "x1") * sym(net, "w1_1_1") + sym(net, "x2") * sym(net, "w1_1_2"),
        lambda net: sym(net, "z1_1"),
        True,
    ),
    Eq(
        "000 sec. 2.2, net_2 = i_1 w_12 + i_2 w_22",
        lambda net: sym(net, "x1") * sym(net, "w1_2_1") + sym(net, "x2") * sym(net, "w1_2_2"),
        lambda net: sym(net, "z1_2"),
        True,
    ),
    Eq(
        "000 sec. 2.2, dE/dyhat = -(y - yhat)",
        lambda net: -(sym(net, "y1") - sym(net, "o1")),
        lambda net: sp.diff(net.case_error, sym(net, "o1")),
        True,
    ),
    Eq(
        "000 sec. 2.2, dyhat/dnet_yhat = phi_yhat (1 - phi_yhat)",
        lambda net: sym(net, "a2_1") * (1 - sym(net, "a2_1")),
        lambda net: sp.diff(net.definitions[sym(net, "a2_1")], sym(net, "z2_1")).subs(
            net.definitions[sym(net, "a2_1")], sym(net, "a2_1")
        ),
        True,
    ),
    Eq(
        "000 sec. 2.2, dnet_yhat/dw_1 = phi_1",
        lambda net: sym(net, "a1_1"),
        lambda net: sp.diff(net.definitions[sym(net, "z2_1")], sym(net, "w2_1_1")),
        True,
    ),
    Eq(
        "000 sec. 2.2, dnet_yhat/dw_2 = phi_2",
        lambda net: sym(net, "a1_2"),
        lambda net: sp.diff(net.definitions[sym(net, "z2_1")], sym(net, "w2_1_2")),
        True,
    ),
    Eq(
        "000 sec. 2.2, Delta w_1 = alpha (y - yhat) phi_yhat (1 - phi_yhat) phi_1",
        lambda net: (
            ALPHA
            * (sym(net, "y1") - sym(net, "o1"))
            * sym(net, "a2_1")
            * (1 - sym(net, "a2_1"))
            * sym(net, "a1_1")
        ),
        lambda net: -ALPHA * grad(net, "w2_1_1"),
        True,
    ),
    Eq(
        "000 sec. 2.2, Delta w_2 = alpha (y - yhat) phi_yhat (1 - phi_yhat) phi_2",
        lambda net: (
            ALPHA
            * (sym(net, "y1") - sym(net, "o1"))
            * sym(net, "a2_1")
            * (1 - sym(net, "a2_1"))
            * sym(net, "a1_2")
        ),
        lambda net: -ALPHA * grad(net, "w2_1_2"),
        True,
    ),
    # "dw_yhat/dnet_i = phi_i (1 - phi_i)": a weight does not depend on a net input (its derivative
    # is 0);
    # phi_i (1 - phi_i) is dphi_i/dnet_i.
    Eq(
        "000 sec. 2.2, dw_yhat/dnet_1 = phi_1 (1 - phi_1)",
        lambda net: sym(net, "a1_1") * (1 - sym(net, "a1_1")),
        lambda net: sp.Integer(0),
        False,
    ),
    _sears_hidden_update(1, 1),
    _sears_hidden_update(2, 1),
    _sears_hidden_update(1, 2),
    _sears_hidden_update(2, 2),
]


# --- 001 Maren (2020): 4-3-2, sigmoid with gain alpha, SSE = 1/2 sum_o (Desired_o - Actual_o)^2 ---
def _maren_output_gradient(h: int, o: int) -> Eq:
    return Eq(
        f"001 eq. 6.30, dSSE/dv_{{{h},{o}}} = -alpha E_o F_o [1 - F_o] H_h",
        lambda net: (
            -net.gain
            * sym(net, f"e{o}")
            * sym(net, f"a2_{o}")
            * (1 - sym(net, f"a2_{o}"))
            * sym(net, f"a1_{h}")
        ),
        lambda net: grad(net, f"w2_{o}_{h}"),
        True,
    )


def _ndinpt(net: Network, o: int, upper: int, h_inside: int | None = None) -> sp.Expr:
    """sum_{h=1}^{upper} v_{h,o} H_h (or H_{h_inside} for every term, as eq. 6.26 writes it)."""
    return sp.Add(
        *[sym(net, f"w2_{o}_{h}") * sym(net, f"a1_{h_inside or h}") for h in range(1, upper + 1)]
    )


MAREN = [
    Eq(
        "001 eq. 6.1-6.2, dy/dx = alpha y [1 - y]",
        lambda net: S("g") * Sigmoid(S("x"), S("g")) * (1 - Sigmoid(S("x"), S("g"))),
        lambda net: sp.diff(Sigmoid(S("x"), S("g")), S("x")),
        True,
    ),
    Eq(
        "001 eq. 6.5, SSE = 1/2 sum_o (Desired_o - Actual_o)^2",
        lambda net: (
            sp.Rational(1, 2) * sum((sym(net, f"y{o}") - sym(net, f"o{o}")) ** 2 for o in (1, 2))
        ),
        lambda net: net.case_error,
        True,
    ),
    Eq(
        "001 eq. 6.13, SSE = 1/2 sum_q E_q^2",
        lambda net: sp.Rational(1, 2) * sum(sym(net, f"e{q}") ** 2 for q in (1, 2)),
        lambda net: net.case_error,
        True,
    ),
    Eq(
        "001 eq. 6.17, dSSE/dE_o = E_o",
        lambda net: sym(net, "e2"),
        lambda net: sp.diff(
            sp.Rational(1, 2) * sum(sym(net, f"e{q}") ** 2 for q in (1, 2)), sym(net, "e2")
        ),
        True,
    ),
    Eq(
        "001 eq. 6.21, dE_o/dF_o = -1",
        lambda net: sp.Integer(-1),
        lambda net: sp.diff(net.definitions[sym(net, "e2")], sym(net, "o2")),
        True,
    ),
    Eq(
        "001 eq. 6.23, dF(NdInpt_o)/dNdInpt_o = alpha F_o [1 - F_o]",
        lambda net: net.gain * sym(net, "a2_2") * (1 - sym(net, "a2_2")),
        lambda net: sp.diff(net.definitions[sym(net, "a2_2")], sym(net, "z2_2")).subs(
            net.definitions[sym(net, "a2_2")], sym(net, "a2_2")
        ),
        True,
    ),
    Eq(
        "001 eq. 6.27, dNdInpt_o/dv_{h,o} = H_h",
        lambda net: sym(net, "a1_3"),
        lambda net: sp.diff(net.definitions[sym(net, "z2_1")], sym(net, "w2_1_3")),
        True,
    ),
    Eq(
        "001 eq. 6.8/6.25, NdInpt_o = sum_{h=1}^{H} v_{h,o} H_h",
        lambda net: _ndinpt(net, 1, 3),
        lambda net: sym(net, "z2_1"),
        True,
    ),
    # The sum's upper limit is O (outputs), not H (hidden units): with H = 3 and O = 2 it drops
    # v_{3,o} H_3.
    Eq(
        "001 eq. 6.3/6.9, NdInpt_o = sum_{h=1}^{O} v_{h,o} H_h",
        lambda net: _ndinpt(net, 1, 2),
        lambda net: sym(net, "z2_1"),
        False,
    ),
    # Inside the sum over q it writes H_h instead of H_q; the sum is not NdInpt_o (its derivative,
    # 6.27, still is H_h).
    Eq(
        "001 eq. 6.26, NdInpt_o = sum_q v_{q,o} H_h (h = 1)",
        lambda net: _ndinpt(net, 1, 3, h_inside=1),
        lambda net: sym(net, "z2_1"),
        False,
    ),
] + [_maren_output_gradient(h, o) for h in (1, 2, 3) for o in (1, 2)]


# --- 002 IB essay: 3-2-2-4 with biases, sigmoid, E_i = sum (o - d)^2, E = mean over cases ---------
def _dsigma(u: sp.Expr) -> sp.Expr:
    return sp.exp(-u) / (1 + sp.exp(-u)) ** 2


def _essay_case(
    label: str, output: int, pid: str, rhs: Callable[[Network, sp.Expr], sp.Expr]
) -> Eq:
    """A claim about d o_output / d p; u is the output node's net input."""
    return Eq(
        f"002 sec. 5, {label}",
        lambda net: rhs(net, sym(net, f"z3_{output}")),
        lambda net: sp.diff(net.to_closed(sym(net, f"o{output}")), sym(net, pid)),
        True,
    )


def _essay_error_sum(pid: str) -> Eq:
    def claim(net: Network) -> sp.Expr:
        return sum(
            2
            * (sym(net, f"o{j}") - sym(net, f"y{j}"))
            * sp.diff(net.to_closed(sym(net, f"o{j}")), sym(net, pid))
            for j in range(1, 5)
        )

    return Eq(
        f"002 sec. 5, dE_1/d{pid} = sum_j 2 (o_j - d_j) do_j/dp",
        claim,
        lambda net: sp.diff(net.to_closed(net.case_error), sym(net, pid)),
        True,
    )


ESSAY = [
    Eq(
        "002 sec. 2, v_a = sigma(w . u + b_a)",
        lambda net: Sigmoid(
            sum(sym(net, f"w1_1_{k}") * sym(net, f"x{k}") for k in (1, 2, 3)) + S("b1_1", real=True)
        ),
        lambda net: sym(net, "a1_1"),
        True,
    ),
    Eq(
        "002 sec. 3/5, E_1 = sum_j (o_j - d_j)^2",
        lambda net: sum((sym(net, f"o{j}") - sym(net, f"y{j}")) ** 2 for j in range(1, 5)),
        lambda net: net.case_error,
        True,
    ),
    Eq(
        "002 sec. 5, d sigma/du = e^{-u} / (1 + e^{-u})^2",
        lambda net: _dsigma(S("u")),
        lambda net: sp.diff(1 / (1 + sp.exp(-S("u"))), S("u")),
        True,
    ),
    _essay_error_sum("w3_2_1"),
    _essay_error_sum("w1_1_3"),
    _essay_error_sum("b2_2"),
    _essay_case(
        "case 1, do_1/dw_z = 0 (w_z into another output)", 1, "w3_2_1", lambda net, u: sp.Integer(0)
    ),
    _essay_case(
        "case 2, do_1/dw_z = sigma'(u) v_z",
        1,
        "w3_1_2",
        lambda net, u: _dsigma(u) * sym(net, "a2_2"),
    ),
    _essay_case(
        "case 3, do_1/dw_z = sigma'(u) sum_i w_i dv_i/dw_z",
        1,
        "w2_1_1",
        lambda net, u: (
            _dsigma(u)
            * sum(
                sym(net, f"w3_1_{i}")
                * sp.diff(net.to_closed(sym(net, f"a2_{i}")), sym(net, "w2_1_1"))
                for i in (1, 2)
            )
        ),
    ),
    _essay_case(
        "case 3 (deeper), do_1/dw_z = sigma'(u) sum_i w_i dv_i/dw_z",
        1,
        "w1_2_3",
        lambda net, u: (
            _dsigma(u)
            * sum(
                sym(net, f"w3_1_{i}")
                * sp.diff(net.to_closed(sym(net, f"a2_{i}")), sym(net, "w1_2_3"))
                for i in (1, 2)
            )
        ),
    ),
    _essay_case("bias case 1, do_1/db_z = 0", 1, "b3_3", lambda net, u: sp.Integer(0)),
    _essay_case("bias case 2, do_1/db_z = sigma'(u)", 1, "b3_1", lambda net, u: _dsigma(u)),
    _essay_case(
        "bias case 3, do_1/db_z = sigma'(u) sum_i w_i dv_i/db_z",
        1,
        "b1_2",
        lambda net, u: (
            _dsigma(u)
            * sum(
                sym(net, f"w3_1_{i}")
                * sp.diff(net.to_closed(sym(net, f"a2_{i}")), sym(net, "b1_2"))
                for i in (1, 2)
            )
        ),
    ),
]


# --- 003 handwritten note: 2-2-1 linear, Error = 1/2 (yhat - ybar)^2, rate 0.05 -------------------
ETA = S("alpha_lr", positive=True)


def _note_update(pid: str, written: str, x: str) -> Eq:
    """w_{new} = w_{old} - alpha Delta {written} {x}, with Delta = prediction - actual, as the note
    writes it."""
    return Eq(
        f"003 step 4, {pid} new = old - alpha Delta {written} {x}",
        lambda net: (
            sym(net, pid)
            - ETA * (sym(net, "o1") - sym(net, "y1")) * sym(net, written) * sym(net, x)
        ),
        lambda net: sym(net, pid) - ETA * grad(net, pid),
        holds=False,
    )


def _note_output_update(pid: str, h: str) -> Eq:
    """w_{new} = w_{old} - alpha Delta h."""
    return Eq(
        f"003 step 4, {pid} new = old - alpha Delta {h}",
        lambda net: sym(net, pid) - ETA * (sym(net, "o1") - sym(net, "y1")) * sym(net, h),
        lambda net: sym(net, pid) - ETA * grad(net, pid),
        True,
    )


NOTE = [
    Eq(
        "003 step 2, h_1 = x_1 w_1 + x_2 w_3",
        lambda net: sym(net, "x1") * sym(net, "w1_1_1") + sym(net, "x2") * sym(net, "w1_1_2"),
        lambda net: sym(net, "a1_1"),
        True,
    ),
    Eq(
        "003 step 2, h_2 = x_1 w_2 + x_2 w_4",
        lambda net: sym(net, "x1") * sym(net, "w1_2_1") + sym(net, "x2") * sym(net, "w1_2_2"),
        lambda net: sym(net, "a1_2"),
        True,
    ),
    Eq(
        "003 step 2, yhat = h_1 w_5 + h_2 w_6",
        lambda net: sym(net, "a1_1") * sym(net, "w2_1_1") + sym(net, "a1_2") * sym(net, "w2_1_2"),
        lambda net: sym(net, "o1"),
        True,
    ),
    Eq(
        "003 step 3, Error = 1/2 (yhat - ybar)^2",
        lambda net: sp.Rational(1, 2) * (sym(net, "o1") - sym(net, "y1")) ** 2,
        lambda net: net.case_error,
        True,
    ),
    Eq(
        "003 step 4, dError/dw_6 = (prediction - actual) h_2",
        lambda net: (sym(net, "o1") - sym(net, "y1")) * sym(net, "a1_2"),
        lambda net: grad(net, "w2_1_2"),
        True,
    ),
    Eq(
        "003 step 4, dError/dw_1 = (prediction - actual) w_5 x_1",
        lambda net: (sym(net, "o1") - sym(net, "y1")) * sym(net, "w2_1_1") * sym(net, "x1"),
        lambda net: grad(net, "w1_1_1"),
        True,
    ),
    _note_output_update("w2_1_2", "a1_2"),
    _note_output_update("w2_1_1", "a1_1"),
    # derived: w_{1,new} = w_1 - alpha Delta w_5 x_1 (and w_6, w_5, w_6 for w_2, w_3, w_4); the note
    # writes w_{k,old} where the output weight belongs, so these four update rules are wrong
    # (ratio w_k / w_5 or w_6).
    _note_update("w1_1_1", "w1_1_1", "x1"),  # w_1 = w1_1_1 (ids: w1_{to}_{from})
    _note_update("w1_2_1", "w1_2_1", "x1"),
    _note_update("w1_1_2", "w1_1_2", "x2"),
    _note_update("w1_2_2", "w1_2_2", "x2"),
]


SOURCES: dict[str, tuple[Network, list[Eq]]] = {
    "sears": (build(preset("sears-xor")), SEARS),
    "maren": (build(preset("maren")), MAREN),
    "essay": (build(replace(preset("essay"), mean=False)), ESSAY),
    "note": (build(preset("note")), NOTE),
}
CASES = [(name, eq) for name, (_, eqs) in SOURCES.items() for eq in eqs]


@pytest.mark.parametrize(("source", "eq"), CASES, ids=[eq.where for _, eq in CASES])
def test_source_equation(source: str, eq: Eq) -> None:
    net = SOURCES[source][0]
    assert verdict(net, eq) is eq.holds, (
        f"{eq.where}: expected {'holds' if eq.holds else 'does not hold'} {eq.why}"
    )


def test_sears_wrong_hidden_updates_differ_by_minus_phi_over_w() -> None:
    net = SOURCES["sears"][0]
    for j in (1, 2):
        for k in (1, 2):
            eq = _sears_hidden_update(j, k)
            ratio = sp.simplify(net.to_closed(eq.claim(net)) / net.to_closed(eq.truth(net)))
            assert (
                sp.simplify(ratio + net.to_closed(sym(net, f"a1_{j}")) / sym(net, f"w2_1_{j}")) == 0
            )


def test_essay_mean_over_cases() -> None:
    """002 sec. 5: dE/dp = (1/n) (dE_1/dp + ... + dE_n/dp), with E the mean of the case errors."""
    net = build(preset("essay"))
    (g,) = gradients(net, ["w2_1_2"])
    per_case = sp.diff(net.to_closed(net.case_error), sym(net, "w2_1_2"))
    assert g.exact == sp.Sum(per_case, (net.case, 1, net.n_cases)) / net.n_cases
