"""CPU seconds per vector-form claim, warm: every claim of tests/verify/test_verify_matrix.py,
and Nielsen's BP1-BP4 on a 4-8-8-4 network: for its one case, and read for one example of a
mean over cases (the shipped nielsen notation's [example_matrices]).

    PYTHONPATH=. python bench/vector_forms.py

Each claim is judged once to warm its context, then timed on a second run (``time.process_time``:
this process's CPU time, fair on a shared machine). A claim with a free layer index is judged
for every layer, so its figure covers all of them.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from typing import Any

from symbackprop.model.spec import NetworkSpec
from symbackprop.verify.claim import Claim, Context, context
from symbackprop.verify.steps import verify
from tests.verify.test_verify_matrix import CASES, NOTATIONS, tool_spec

BIG = NetworkSpec(
    sizes=(4, 8, 8, 4),
    activations=("sigmoid",) * 3,
    biases=(True,) * 3,
    gains=(False,) * 3,
    notation=str(NOTATIONS / "nielsen-vectors.toml"),
)
BIG_CLAIMS = (
    r"\delta^L = \nabla_a C \odot \sigma'(z^L)",
    r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)",
    r"\frac{\partial C}{\partial b^l} = \delta^l",
    r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T",
    r"z^l = w^l a^{l-1}+b^l",
    r"\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l)",
)


def warm_seconds(ctx: Context, latex: str) -> tuple[float, int]:
    verify(ctx, Claim(latex), limits=None)
    start = time.process_time()
    outcomes = verify(ctx, Claim(latex), limits=None)
    return time.process_time() - start, len(outcomes)


def main() -> None:
    contexts: dict[str, Context] = {}
    rows: list[tuple[float, str, int]] = []
    for text, c, notation in CASES:
        network: dict[str, Any] = c.get("network", text.NETWORK)
        key = f"{text.__name__} {notation} {network!r}"
        if key not in contexts:
            contexts[key] = context(tool_spec(text, network, notation))
        seconds, n = warm_seconds(contexts[key], c["latex"])
        rows.append((seconds, c["id"], n))
    rows.sort()
    times = [r[0] for r in rows]
    bindings = sum(r[2] for r in rows)
    print(
        f"{len(rows)} claims ({bindings} layer bindings): mean {statistics.mean(times):.3f} s,"
        f" median {statistics.median(times):.3f} s, slowest {rows[-1][0]:.3f} s ({rows[-1][1]})"
    )
    big = context(BIG)
    for latex in BIG_CLAIMS:
        seconds, n = warm_seconds(big, latex)
        print(f"4-8-8-4  {seconds:6.3f} s  {n} layer(s)  {latex}")
    example = context(replace(BIG, notation="nielsen", mean=True))
    for latex in BIG_CLAIMS:
        seconds, n = warm_seconds(example, latex)
        print(f"4-8-8-4, one example of the mean  {seconds:6.3f} s  {n} layer(s)  {latex}")


if __name__ == "__main__":
    main()
