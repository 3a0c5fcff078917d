"""Seconds per verify claim, warm (issue 10, part 10).

    python bench/verify_speed.py [--sizes 4-8-8-4] [--activations sigmoid,tanh] [--repeat 2]
    python bench/verify_speed.py --forked [--sizes 4-8-8-4]
    python bench/verify_speed.py --corpus [--text nielsen] [--slowest 10]

Each claim (correct and wrong ones, about output, hidden and first-layer quantities: weight
gradients, updates, ∂E/∂a and ∂E/∂z equations) is judged in this process without limits
(``verify(..., limits=None)``), once to warm the caches of the spec, then ``--repeat`` times;
the warm time is the fastest repeat, in process CPU time (other processes on a shared
machine do not count). Prints one line per claim and the slowest. ``--forked`` judges each
claim as ``verify`` does instead: the spec's derivation built by a first claim, then each
claim in its own forked worker under the default limits, timed in CPU seconds of both
processes (``os.times``).

``--corpus`` times every case of the textbook corpus (``tests/corpus``) as ``verify`` judges a
claim: the process warm (imports done, the grammar built, one case judged first), each
network built once in this process (the corpus tool keeps one context per spec, as when a
document's claims are judged against one network) and each claim judged in its forked worker
under the default limits. The time is CPU seconds of both processes (``os.times``, the
worker's as a finished child), so other jobs on a shared machine count only through the
caches they disturb.
Prints the median and the slowest claim per text, over the whole corpus, and the slowest
claims.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from symbackprop.model.spec import inline
from symbackprop.verify.claim import Claim, context
from symbackprop.verify.steps import verify
from tests.corpus.tool import cpu_seconds


def _d(q: str) -> str:
    return rf"\frac{{\partial E}}{{\partial {q}}}"


def _q(letter: str, l: int, j: str) -> str:
    return f"{letter}^{{({l})}}_{{{j}}}"


def claims(sizes: list[int], act: str) -> list[tuple[str, Claim]]:
    """Claims about a network of the given sizes, in the canonical notation."""
    L = len(sizes) - 1
    d = {"sigmoid": r"\sigma'", "tanh": r"\tanh'"}[act]
    n_out, n_top = sizes[L], sizes[L - 1]

    def dz(l: int, j: str) -> str:
        return f"{d}({_q('z', l, j)})"

    out_delta = f"({_q('a', L, 'j')} - y_{{j}}) {dz(L, 'j')}"
    da_top = rf"\sum_{{j=1}}^{{{n_out}}} {_q('w', L, 'j,1')} {out_delta}"
    no_slope = rf"\sum_{{j=1}}^{{{n_out}}} {_q('w', L, 'j,1')} ({_q('a', L, 'j')} - y_{{j}})"
    top, low = _q("a", L - 1, "1"), _q("a", L - 2, "2")
    ow, hw = f"w{L}_1_2", f"w{L - 1}_1_2"
    out_w = f"({_q('a', L, '1')} - y_{{1}}) {dz(L, '1')} {_q('a', L - 1, '2')}"
    rows = [
        ("output w, correct", Claim(out_w, param=ow)),
        (
            "output w, missing slope",
            Claim(f"({_q('a', L, '1')} - y_{{1}}) {_q('a', L - 1, '2')}", param=ow),
        ),
        ("output w, update sign", Claim(rf"\eta {out_w}", param=ow, kind="update")),
        ("dE/da top hidden, correct", Claim(f"{_d(top)} = {da_top}")),
        ("dE/da top hidden, missing slope", Claim(f"{_d(top)} = {no_slope}")),
        ("hidden w, correct", Claim(f"{dz(L - 1, '1')} {low} {da_top}", param=hw)),
        ("hidden w, missing slope", Claim(f"{low} {da_top}", param=hw)),
        ("hidden w, wrong unit", Claim(f"{dz(L - 1, '2')} {low} {da_top}", param=hw)),
        (
            "hidden b, update",
            Claim(rf"-\eta {dz(L - 1, '1')} {da_top}", param=f"b{L - 1}_1", kind="update"),
        ),
    ]
    if L >= 3:
        first, fw = _q("a", L - 2, "1"), _d(_q("w", L - 2, "1,1"))
        grad = _d(_q("a", L - 1, "k"))
        rec = rf"\sum_{{k=1}}^{{{n_top}}} {_q('w', L - 1, 'k,1')} {dz(L - 1, 'k')} {grad}"
        no_w = rf"\sum_{{k=1}}^{{{n_top}}} {dz(L - 1, 'k')} {grad}"
        rows += [
            ("dE/da first hidden, correct", Claim(f"{_d(first)} = {rec}")),
            (
                "dE/dz first hidden, correct",
                Claim(f"{_d(_q('z', L - 2, '1'))} = {dz(L - 2, '1')} {rec}"),
            ),
            ("first w, correct", Claim(f"{fw} = {dz(L - 2, '1')} x_{{1}} {rec}")),
            ("first w, missing slope", Claim(f"{fw} = x_{{1}} {rec}")),
            ("first w, missing weight", Claim(f"{fw} = {dz(L - 2, '1')} x_{{1}} {no_w}")),
        ]
    return rows


def corpus(text: str | None, n: int) -> None:
    """Per-claim CPU seconds over the corpus (see the module's docstring)."""
    from tests.corpus.cases import texts
    from tests.corpus.tool import REFUSED, judge_case, run, slowest

    first = texts()[0]
    judge_case(first, first.CASES[0])  # warm: imports, the grammar, the notation reader
    load = os.getloadavg()[0]
    results = [r for r in run(text) if r.outcome != REFUSED]
    print("text            claims  median  slowest (CPU seconds per claim, warm)")
    for name in dict.fromkeys(r.text for r in results):
        mine = [r.cpu for r in results if r.text == name]
        print(f"{name:15s} {len(mine):6d}  {statistics.median(mine):6.2f}  {max(mine):7.2f}")
    every = [r.cpu for r in results]
    print(f"{'all':15s} {len(every):6d}  {statistics.median(every):6.2f}  {max(every):7.2f}")
    print(f"over 0.3 s: {sum(c > 0.3 for c in every)}")
    print(slowest(results, n))
    print(f"load average (1 min) {load:.1f} before, {os.getloadavg()[0]:.1f} after")


def forked(shape: str, activations: list[str]) -> None:
    """Each claim judged as ``verify`` judges it: the spec's derivation built by a first claim,
    then every claim in its own forked worker; CPU seconds of this process and the worker."""
    sizes = [int(s) for s in shape.split("-")]
    times: list[tuple[float, str]] = []
    for act in activations:
        ctx = context(inline(shape, activation=act))
        rows = claims(sizes, act)
        verify(ctx, rows[0][1])  # builds the spec's derivation in this process
        for name, claim in rows:
            start = cpu_seconds()
            outcomes = verify(ctx, claim)
            seconds = cpu_seconds() - start
            label = f"{shape} {act}: {name}"
            verdict = min(o.verdict for o in outcomes)
            print(f"{seconds:7.2f} s CPU  {verdict!s:14}  {label}", flush=True)
            times.append((seconds, label))
    median = statistics.median(t for t, _ in times)
    top = max(times)
    print(f"claims: {len(times)}; median {median:.2f} s; slowest {top[0]:.2f} s ({top[1]})")
    print(f"load average (1 min) {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="4-8-8-4")
    ap.add_argument("--activations", default="sigmoid,tanh")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--corpus", action="store_true", help="time the textbook corpus's claims")
    ap.add_argument("--text", help="with --corpus: one text (module name), e.g. nielsen")
    ap.add_argument("--slowest", type=int, default=10, help="with --corpus: claims listed")
    ap.add_argument(
        "--forked",
        action="store_true",
        help="each claim in a forked worker under the default limits (as verify judges it)",
    )
    args = ap.parse_args()
    if args.corpus:
        corpus(args.text, args.slowest)
        return
    if args.forked:
        forked(args.sizes, args.activations.split(","))
        return
    sizes = [int(s) for s in args.sizes.split("-")]
    worst: tuple[float, str] = (0.0, "")
    times = []
    for act in args.activations.split(","):
        ctx = context(inline(args.sizes, activation=act))
        for name, claim in claims(sizes, act):
            cold = time.process_time()
            outcomes = verify(ctx, claim, limits=None)
            cold = time.process_time() - cold
            warm = float("inf")
            for _ in range(args.repeat):
                t = time.process_time()
                verify(ctx, claim, limits=None)
                warm = min(warm, time.process_time() - t)
            verdict = min(o.verdict for o in outcomes)
            label = f"{args.sizes} {act}: {name}"
            print(f"{warm:7.3f} s warm  {cold:7.3f} s first  {verdict!s:14}  {label}", flush=True)
            times.append(warm)
            worst = max(worst, (warm, label))
    mean = sum(times) / len(times)
    print(f"claims: {len(times)}; mean {mean:.3f} s warm; slowest {worst[0]:.3f} s ({worst[1]})")


if __name__ == "__main__":
    main()
