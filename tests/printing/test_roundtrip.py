"""The printed LaTeX is right: the verify reader takes every compact gradient the tool prints, and
it holds.

Two independent paths meet here: the printer (derive -> NotationPrinter) and the reader
(lark grammar -> names through the notation -> SymPy), judged against sympy.diff of E.
"""

from __future__ import annotations

import pytest

from symbackprop import derive, preset
from symbackprop.verify.testing import check_derivation

RESULTS = {name: derive(preset(name)) for name in ("sears-xor", "maren", "note", "xor-bias")}
CASES = [
    (name, g.param.id, line.split(" = ", 1)[1])
    for name, result in RESULTS.items()
    for g, line in zip(result.gradients, result.latex("compact"))
]


@pytest.mark.parametrize(("spec", "param", "latex"), CASES, ids=[f"{s}-{p}" for s, p, _ in CASES])
def test_printed_compact_form_reads_back_and_holds(spec: str, param: str, latex: str) -> None:
    outcomes = check_derivation(spec, param, latex, kind="gradient")
    assert outcomes and all(o.verdict == "holds" for o in outcomes), [
        (o.verdict, o.diagnosis) for o in outcomes
    ]


def test_a_wrong_printed_form_would_be_caught() -> None:
    (line,) = derive(preset("sears-xor"), params=["w_{11}"]).latex("compact")
    wrong = line.split(" = ", 1)[1].replace("w_{1}", "w_{2}")
    outcomes = check_derivation("sears-xor", "w_{11}", wrong, kind="gradient")
    assert outcomes and all(o.verdict == "does not hold" for o in outcomes)
