"""Vector and matrix forms: Nielsen's BP1-BP4 and Ng's vectorised dZ, dW, db, read under the
orientation the notation declares and judged entry by entry.

Every expected verdict comes from the independent mpmath oracle of ``tests/corpus`` (central
differences of the loss, no SymPy, no symbackprop): the corpus's own cases, and the extra wrong
variants below, written there the same way. The layers the tool judges a free l for are the
oracle's range of l. The shape-mismatch diagnoses are pinned word for word.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from symbackprop.audit.auditor import audit
from symbackprop.errors import NotationError, SymbackpropError
from symbackprop.model.notation import notation_from_toml
from symbackprop.model.spec import NetworkSpec
from symbackprop.verify.claim import Claim, Outcome, context
from symbackprop.verify.steps import verify
from tests.corpus.cases import case
from tests.corpus.oracle import FAILS, HOLDS, Point, bindings, judge, matmul, matvec, points
from tests.corpus.oracle import transpose as mtranspose
from tests.corpus.texts import ng_vectorised as ng
from tests.corpus.texts import nielsen

NOTATIONS = Path(__file__).parents[2] / "examples" / "notations"
LOSSES = {"half_sse": "half_sse", "ce": "cross_entropy"}


def tool_spec(text: ModuleType, network: dict[str, Any], notation: str) -> NetworkSpec:
    """The corpus text's network as a spec: Nielsen's BP1-BP4 are about one example's cost C_x
    (no mean), Ng's about J, the mean over the batch."""
    n = len(network["sizes"]) - 1
    return NetworkSpec(
        sizes=tuple(network["sizes"]),
        activations=tuple(network["activations"]),
        biases=(bool(network["biases"]),) * n,
        gains=(False,) * n,
        loss=LOSSES[network["loss"]],
        mean=text is ng,
        notation=str(NOTATIONS / notation),
    )


# -- extra wrong variants (oracle sides by hand, as in the corpus texts) --------------------


def _bp1_no_slope(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    return nielsen.delta(net, net.L + 1, b["x"]), nielsen.grad_a(net, b["x"])


def _bp1_product(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    column = [[v] for v in nielsen.grad_a(net, b["x"])]
    slopes = [[v] for v in nielsen.sp(net, net.L + 1, b["x"])]
    return nielsen.delta(net, net.L + 1, b["x"]), matmul(column, slopes)


def _bp2_no_slope(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    back = matvec(mtranspose(nielsen.w(net, l + 1)), nielsen.delta(net, l + 1, x))
    return nielsen.delta(net, l, x), back


def _bp4_untransposed(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    grads = [
        [net.dW(l - 1, j, k, case=x) for k in range(net.sizes[l - 2])]
        for j in range(net.sizes[l - 1])
    ]
    column = [[v] for v in nielsen.delta(net, l, x)]
    prev = [[v] for v in nielsen.a(net, l - 1, x)]
    return grads, matmul(column, prev)


def _bp2_product(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    l, x = b["l"], b["x"]
    back = [[v] for v in matvec(mtranspose(nielsen.w(net, l + 1)), nielsen.delta(net, l + 1, x))]
    slopes = [[v] for v in nielsen.sp(net, l, x)]
    return nielsen.delta(net, l, x), matmul(back, slopes)


def _ng_db_sum(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    return ng.db(net, 2), ng.row_sums(ng.dZ(net, 2))


def _ng_dw_untransposed(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    return ng.dW(net, 2), ng.scale(matmul(ng.dZ(net, 2), ng.A(net, 1)), 1 / net.N)


def _ng_dz1_product(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    back = matmul(mtranspose(net.W[2]), ng.dZ(net, 2))
    return ng.dZ(net, 1), matmul(back, ng.gprime(net, 1))


def _ng_db_ones(average: bool) -> Any:
    def sides(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
        summed = matmul(ng.dZ(net, 1), [[1]] * net.N)
        return ng.db(net, 1), ng.scale(summed, 1 / net.N) if average else summed

    return sides


# Examples as rows (rows-batch.toml): every matrix is the transpose of Ng's, W is in-out.
def _rows_z1(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    z = ng.add_b(matmul(net.W[1], ng.A(net, 0)), net.b[1])
    return mtranspose(ng.Z(net, 1)), mtranspose(z)


def _rows_dz1(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    back = matmul(mtranspose(net.W[2]), ng.dZ(net, 2))
    return mtranspose(ng.dZ(net, 1)), mtranspose(
        ng.ew(back, ng.A(net, 1), lambda p, a: p * (1 - a**2))
    )


def _rows_dw2(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    return mtranspose(ng.dW(net, 2)), mtranspose(ng._dW_formula(net, 2))


def _rows_db1(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    summed = matmul([[1] * net.N], mtranspose(ng.dZ(net, 1)))
    return mtranspose(ng.db(net, 1)), ng.scale(summed, 1 / net.N)


def _rows_dw2_columns(net: Point, b: dict[str, Any]) -> tuple[Any, Any]:
    # dZ^{[2]} A^{[1]T} with the row matrices: (m x 1)(4 x m) does not conform
    return mtranspose(ng.dW(net, 2)), matmul(mtranspose(ng.dZ(net, 2)), ng.A(net, 1))


BP2 = {"l": "layers 2..L-1", "x": "training examples"}
EXTRA_NIELSEN = [
    case(
        "nielsen-bp1-vector-missing-slope",
        r"\delta^L = \nabla_a C",
        FAILS,
        _bp1_no_slope,
        nielsen.X,
        "missing activation derivative",
    ),
    case(
        "nielsen-bp1-vector-product",
        r"\delta^L = \nabla_a C \sigma'(z^L)",
        FAILS,
        _bp1_product,
        nielsen.X,
    ),
    case(
        "nielsen-bp2-vector-missing-slope",
        r"\delta^l = (w^{l+1})^T \delta^{l+1}",
        FAILS,
        _bp2_no_slope,
        BP2,
        "missing activation derivative",
    ),
    case(
        "nielsen-bp2-vector-product",
        r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \sigma'(z^l)",
        FAILS,
        _bp2_product,
        BP2,
    ),
    case(
        "nielsen-bp4-untransposed",
        r"\frac{\partial C}{\partial w^l} = \delta^l a^{l-1}",
        FAILS,
        _bp4_untransposed,
        {"l": "layers 2..L", "x": "training examples"},
        "transposed indices",
    ),
]
EXTRA_NIELSEN.append(
    case(
        "nielsen-dz-next-delta",
        r"\frac{\partial C}{\partial z^l} = \delta^{l+1}",
        FAILS,
        lambda net, b: (
            [net.dz(b["l"] - 1, j, b["x"]) for j in range(net.sizes[b["l"] - 1])],
            nielsen.delta(net, b["l"] + 1, b["x"]),
        ),
        BP2,
    )
)
EXTRA_NG = [
    case(
        "ng-db2-no-average",
        r"db^{[2]} = \sum_{i=1}^{m} dZ^{[2](i)}",
        FAILS,
        _ng_db_sum,
        None,
        "forgotten 1/m",
    ),
    case(
        "ng-dw2-untransposed",
        r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]}",
        FAILS,
        _ng_dw_untransposed,
        None,
        "transposed indices",
    ),
    case(
        "ng-dz1-product",
        r"dZ^{[1]} = W^{[2]T} dZ^{[2]} g^{[1]\prime}(Z^{[1]})",
        FAILS,
        _ng_dz1_product,
    ),
    case("ng-db1-ones", r"db^{[1]} = \frac{1}{m} dZ^{[1]} \mathbf{1}", HOLDS, _ng_db_ones(True)),
    case(
        "ng-db1-ones-no-average",
        r"db^{[1]} = dZ^{[1]} \mathbf{1}",
        FAILS,
        _ng_db_ones(False),
        None,
        "forgotten 1/m",
    ),
]
EXTRA_ROWS = [
    case("rows-z1", r"Z^{[1]} = X W^{[1]} + b^{[1]}", HOLDS, _rows_z1),
    case(
        "rows-dz1",
        r"dZ^{[1]} = dZ^{[2]} (W^{[2]})^T \odot (1 - (A^{[1]})^2)",
        HOLDS,
        _rows_dz1,
    ),
    case("rows-dw2", r"dW^{[2]} = \frac{1}{m} (A^{[1]})^T dZ^{[2]}", HOLDS, _rows_dw2),
    case("rows-db1", r"db^{[1]} = \frac{1}{m} \mathbf{1}^T dZ^{[1]}", HOLDS, _rows_db1),
    case(
        "rows-dw2-column-form",
        r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}",
        FAILS,
        _rows_dw2_columns,
        None,
        "transposed indices",
    ),
]

NIELSEN_IDS = (
    "nielsen-forward-vector",
    "nielsen-weighted-input-vector",
    "nielsen-bp1-vector",
    "nielsen-bp1-quadratic",
    "nielsen-grad-a-quadratic",
    "nielsen-bp1-sigma-prime-matrix",
    "nielsen-bp2-vector",
    "nielsen-bp2-sigma-prime-matrix",
    "nielsen-bp4-matrix",
    "nielsen-bp2-transposed",
    "nielsen-bp1-sign-flip",
)
NG_IDS = (
    "ng-z1",
    "ng-a1-tanh",
    "ng-z2",
    "ng-a2-sigmoid",
    "ng-dz2",
    "ng-dw2",
    "ng-db2",
    "ng-dz1",
    "ng-dz1-tanh",
    "ng-dw1",
    "ng-db1",
    "ng-update-w2",
    "ng-update-b1",
    "ng-deep-forward",
    "ng-deep-dZ",
    "ng-deep-dW",
    "ng-deep-db",
    "ng-deep-dA-prev",
    "ng-deep-dAL",
    "ng-deep-dZL",
    "ng-dz1-missing-gprime",
    "ng-dw2-no-average",
    "ng-deep-dA-prev-transposed",
    "ng-dz2-sign",
    "ng-update-w2-ascent",
    "ng-deep-dW-preactivation",
    "ng-deep-dZ1-wrong-layer",
)


def _pick(text: ModuleType, ids: tuple[str, ...]) -> list[dict[str, Any]]:
    by_id = {c["id"]: c for c in text.CASES}
    return [by_id[i] for i in ids]


CASES = [
    *[(nielsen, c, "nielsen-vectors.toml") for c in [*_pick(nielsen, NIELSEN_IDS), *EXTRA_NIELSEN]],
    *[(ng, c, "ng-vectorised.toml") for c in [*_pick(ng, NG_IDS), *EXTRA_NG]],
    *[(ng, c, "rows-batch.toml") for c in EXTRA_ROWS],
]


def judged(text: ModuleType, c: dict[str, Any], notation: str) -> list[Outcome]:
    network = c.get("network", text.NETWORK)
    ctx = context(tool_spec(text, network, notation))
    return verify(ctx, Claim(c["latex"]), limits=None)


@pytest.mark.parametrize(("text", "c", "notation"), CASES, ids=[c["id"] for _, c, _ in CASES])
def test_verdict_is_the_oracles(text: ModuleType, c: dict[str, Any], notation: str) -> None:
    expected = judge(c, c.get("network", text.NETWORK), text.RANGES)
    assert expected == c["expect"]  # the recorded verdict is the oracle's
    outcomes = judged(text, c, notation)
    worst = min(o.verdict for o in outcomes)
    assert str(worst) == expected, [o.diagnosis for o in outcomes]
    if expected == HOLDS:
        assert all(str(o.verdict) == HOLDS for o in outcomes)


@pytest.mark.parametrize(
    ("text", "c", "notation"),
    [x for x in CASES if "l" in x[1]["free"]],
    ids=[c["id"] for _, c, _ in CASES if "l" in c["free"]],
)
def test_free_layer_is_judged_where_the_oracle_ranges(
    text: ModuleType, c: dict[str, Any], notation: str
) -> None:
    """A free l is judged for exactly the layers the oracle's range gives it."""
    net = points(c.get("network", text.NETWORK))[0]
    layers = {b["l"] for b in bindings(net, {"l": c["free"]["l"]}, text.RANGES)}
    judged_layers = {o.binding for o in judged(text, c, notation)}
    assert judged_layers == {f"l={v}" for v in sorted(layers)}


# -- diagnoses: shapes that do not conform ---------------------------------------------------

NIELSEN_NET = tool_spec(nielsen, nielsen.NETWORK, "nielsen-vectors.toml")
NG_NET = tool_spec(ng, ng.NETWORK, "ng-vectorised.toml")


@pytest.mark.parametrize(
    ("spec", "latex", "binding", "factor"),
    [
        (
            NIELSEN_NET,
            r"\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l)",
            "l=3",
            r"shape mismatch: w^{4} is 2×3, \delta^{4} is 2×1",
        ),
        (
            NIELSEN_NET,
            r"\delta^L = \nabla_a C \sigma'(z^L)",
            "",
            r"shape mismatch: \nabla_{a} C is 2×1, \sigma'(z^{4}) is 2×1",
        ),
        (
            NIELSEN_NET,
            r"a^{l} = \sigma(w^l a^{l})",
            "l=2",
            r"shape mismatch: w^{2} is 3×2, a^{2} is 3×1",
        ),
        (
            NG_NET,
            r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]}",
            "",
            r"shape mismatch: dZ^{[2]} is 1×2, A^{[1]} is 4×2",
        ),
        (
            NG_NET,
            r"db^{[2]} = \frac{1}{m} dZ^{[2]}",
            "",
            r"shape mismatch: the left side db^{[2]} is 1×1, the right side dZ^{[2]} is 1×2",
        ),
    ],
)
def test_shape_mismatch_names_both_shapes(
    spec: NetworkSpec, latex: str, binding: str, factor: str
) -> None:
    outcomes = verify(context(spec), Claim(latex), limits=None)
    found = [o for o in outcomes if o.binding == binding]
    assert found and str(found[0].verdict) == FAILS
    assert found[0].factor == factor


def test_orientation_in_out_and_rows(tmp_path: Path) -> None:
    """Under the transposed declarations (W^l is n_{l-1} × n_l, vectors are rows) the row forms
    hold and the column forms are shape mismatches. The row forms are the column forms
    transposed, which the oracle's cases above check."""
    text = (NOTATIONS / "nielsen-vectors.toml").read_text("utf-8")
    rows = text.replace('weight_orientation = "out-in"', 'weight_orientation = "in-out"')
    path = tmp_path / "rows.toml"
    path.write_text(rows.replace('vectors = "column"', 'vectors = "row"'), "utf-8")
    ctx = context(replace(NIELSEN_NET, notation=str(path)))
    bp2 = r"\delta^l = (\delta^{l+1} (w^{l+1})^T) \odot \sigma'(z^l)"
    for latex in (
        bp2,
        r"z^l = a^{l-1} w^l + b^l",
        r"\frac{\partial C}{\partial w^l} = (a^{l-1})^T \delta^l",
    ):
        assert {str(o.verdict) for o in verify(ctx, Claim(latex), limits=None)} == {HOLDS}
    column = verify(ctx, Claim(r"z^l = w^l a^{l-1} + b^l"), limits=None)
    assert {str(o.verdict) for o in column} == {FAILS}
    assert all(o.factor.startswith("shape mismatch: w^{") for o in column)


def test_a_vector_claim_without_a_left_side_is_a_clear_error() -> None:
    with pytest.raises(SymbackpropError, match="needs its left-hand side"):
        verify(context(NIELSEN_NET), Claim(r"\nabla_a C \odot \sigma'(z^L)"), limits=None)
    with pytest.raises(SymbackpropError, match="but --kind is gradient"):
        verify(context(NIELSEN_NET), Claim(r"\delta^L = \nabla_a C", kind="gradient"), limits=None)
    with pytest.raises(SymbackpropError, match="exist at no layer"):
        verify(context(NIELSEN_NET), Claim(r"a^{9} = z^{9}"), limits=None)
    with pytest.raises(SymbackpropError, match="too many bindings"):
        verify(context(NIELSEN_NET), Claim(r"a^{p} = a^{q} + a^{r} + a^{s}"), limits=None)


def test_audit_reads_vector_forms() -> None:
    """A document's vector forms are judged as verify judges them (the verdicts: the oracle's
    for ng-dz2, ng-dw2, ng-dz1-tanh above; the last is a shape mismatch)."""
    document = "\n\n".join(
        f"$${latex}$$"
        for latex in (
            r"dZ^{[2]} = A^{[2]} - Y",
            r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}",
            r"dZ^{[1]} = W^{[2]T} dZ^{[2]} * (1 - (A^{[1]})^2)",
            r"db^{[1]} = \frac{1}{m} dZ^{[1]}",
        )
    )
    rows = audit(context(NG_NET), document, limits=None)
    assert [r.status for r in rows] == [HOLDS, HOLDS, HOLDS, FAILS]
    assert "shape mismatch: the left side db^{[1]} is 4×1, the right side dZ^{[1]} is 4×2" in (
        rows[-1].detail
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('vectors = "columns"', "'vectors' must be one of column, row"),
        ('weight_orientation = "rows"', "'weight_orientation' must be one of in-out, out-in"),
        ('batch = "column"', "'batch' must be one of columns, rows"),
        ('first_layer = "2"', "'first_layer' must be one of 0, 1"),
        ("[matrices]\n'W^{$l}' = \"weights\"", "[matrices] 'W^{$l}' = 'weights'; a kind is one of"),
        ("[matrices]\n'W^{$j}' = \"weight\"", "uses $j; it may use $l"),
    ],
)
def test_bad_shape_keys_are_one_clear_line(extra: str, message: str) -> None:
    with pytest.raises(NotationError) as err:
        notation_from_toml(f'name = "x"\n{extra}\n', "x.toml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_bias_the_spec_lacks_is_named() -> None:
    spec = replace(NIELSEN_NET, biases=(False,) * 3)
    with pytest.raises(SymbackpropError, match=r"b\^\{2\}: this spec has no biases in that layer"):
        verify(context(spec), Claim(r"z^l = w^l a^{l-1} + b^l"), limits=None)
    assert {
        str(o.verdict) for o in verify(context(spec), Claim(r"z^l = w^l a^{l-1}"), limits=None)
    } == {HOLDS}


def test_a_gradient_side_is_named_in_the_notation() -> None:
    """∂C/∂z^l against δ^{l+1} (nielsen-dz-next-delta above: the oracle's verdict): the shapes
    agree only where n_l = n_{l+1} (l = 2), a shape mismatch at l = 3."""
    outcomes = verify(
        context(NIELSEN_NET), Claim(r"\frac{\partial C}{\partial z^l} = \delta^{l+1}"), limits=None
    )
    assert [(o.binding, str(o.verdict)) for o in outcomes] == [("l=2", FAILS), ("l=3", FAILS)]
    assert outcomes[1].factor == (
        r"shape mismatch: the left side \partial C/\partial z^{3} is 3×1, the right side"
        r" \delta^{4} is 2×1"
    )


@pytest.mark.parametrize(
    ("latex", "ratio"),
    [
        (r"dZ^{[2]} = Y - A^{[2]}", "-1"),  # ng-dz2-sign
        (r"dW^{[2]} = dZ^{[2]} A^{[1]T}", "2 (the batch size m = 2)"),  # ng-dw2-no-average
        (r"db^{[1]} = dZ^{[1]} \mathbf{1}", "2 (the batch size m = 2)"),  # ng-db1-ones-no-average
    ],
)
def test_a_differing_entry_gets_its_ratio(latex: str, ratio: str) -> None:
    """The verdicts are the oracle's (the cases named above); the ratio claim/true of the first
    differing entry is pinned."""
    (outcome,) = verify(context(NG_NET), Claim(latex), limits=None)
    assert str(outcome.verdict) == FAILS
    assert outcome.ratio == ratio
    assert outcome.factor.startswith("entry (1, 1) differs")
