"""Run ``symbackprop verify`` over the corpus and compare its verdicts with the oracle's.

``python -m tests.corpus.tool`` prints one line per case and a table per text: how many cases
the tool could read (expressible), how many verdicts are right, wrong and undecided, and the
seconds per claim; ``--slowest N`` lists the N cases that took the most CPU time (the forked
worker's included). The expected verdicts are the corpus's own (decided by ``oracle.py``,
which never imports the tool); this module only asks the tool and counts.

Each text is read with the notation file of the same name that the package ships
(``symbackprop/model/data/notations/<name>.toml``); the network comes from the text's
``NETWORK`` (or a case's override) turned into a spec.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import SPEC_KEYS, NetworkSpec, spec_from_dict
from symbackprop.verify.claim import Claim, Context, Verdict, context
from symbackprop.verify.reader import ReadError
from symbackprop.verify.steps import verify

from .cases import texts
from .oracle import HOLDS, Ranges, judge

# corpus module -> the notation file the package ships for that text
NOTATION_OF = {
    "nielsen": "nielsen",
    "rumelhart1986": "rumelhart",
    "bishop_prml": "bishop",
    "goodfellow": "goodfellow",
    "ng_vectorised": "ng",
    "haykin": "haykin",
    "handout": "handout",
    "mitchell": "mitchell",
    "hagan": "hagan",
    "duda": "duda",
}
LOSS_OF = {"half_sse": "half_sse", "sse": "sse", "ce": "cross_entropy"}

# What became of one case
RIGHT, WRONG, UNDECIDED, REFUSED = "right", "wrong", "undecided", "refused"


@dataclass(frozen=True)
class Result:
    text: str
    id: str
    expect: str
    got: str  # the tool's verdict words, or "refused: <message>"
    outcome: str  # RIGHT / WRONG / UNDECIDED / REFUSED
    seconds: float
    cpu: float = 0.0  # CPU seconds of this process and of the claim's forked worker


class InexpressibleError(Exception):
    """The case's network or notation cannot be stated to the tool."""


def shipped_notation(name: str) -> bool:
    folder = resources.files("symbackprop") / "model" / "data" / "notations"
    return (folder / f"{name}.toml").is_file()


def spec_of(network: dict[str, Any], notation: str) -> NetworkSpec:
    """The corpus's network description as a symbackprop spec."""
    data: dict[str, Any] = {
        "layers": list(network["sizes"]),
        "activation": list(network["activations"]),
        "bias": bool(network["biases"]),
        "loss": LOSS_OF[network["loss"]],
        "notation": notation,
    }
    if int(network.get("cases", 1)) > 1:  # E over the cases; over one case, that case's loss
        data["reduce"] = network["reduce"]
    if str(network.get("l2", "0")) not in ("0", "0.0"):
        extra = {
            "l2": str(network["l2"]),
            "l2_biases": bool(network.get("l2_biases", False)),
            "l2_mean": bool(network.get("l2_mean", False)),
        }
        if not set(extra) <= SPEC_KEYS:
            raise InexpressibleError("specs take no L2 penalty")
        data.update(extra)
    try:
        return spec_from_dict(data, where="corpus network")
    except SymbackpropError as exc:
        raise InexpressibleError(str(exc)) from exc


@lru_cache(maxsize=32)
def context_of(spec: NetworkSpec) -> Context:
    """One context per spec, as when a document's claims are judged against one network: its
    derivation is built once, and each claim's forked worker inherits it."""
    return context(spec)


def assert_read_right(text: Any, c: dict[str, Any], ranges: Ranges | None = None) -> None:
    """The case is stated right (the oracle's verdict on the text's network, with the case's
    own network keys, is the expected one), and the tool reads it to that verdict."""
    network = {**text.NETWORK, **c.get("network", {})}
    oracle = judge(c, network, text.RANGES if ranges is None else ranges)
    assert oracle == c["expect"], f"{c['id']}: the oracle says {oracle}, the case {c['expect']}"
    got, outcome = judge_case(text, c)
    assert outcome == RIGHT, got


def judge_case(text: Any, c: dict[str, Any]) -> tuple[str, str]:
    """(the tool's verdict words or a refusal, the outcome class)."""
    name = text.__name__.rsplit(".", 1)[-1]
    notation = NOTATION_OF[name]
    if not shipped_notation(notation):
        return f"refused: no notation file {notation!r}", REFUSED
    try:
        spec = spec_of({**text.NETWORK, **c.get("network", {})}, notation)
        outcomes = verify(context_of(spec), Claim(c["latex"], source=c["id"]))
    except (InexpressibleError, SymbackpropError, ReadError) as exc:
        return f"refused: {str(exc).splitlines()[0][:100]}", REFUSED
    if not outcomes:
        return "refused: no outcome", REFUSED
    verdict = min(o.verdict for o in outcomes)
    if verdict is Verdict.UNREADABLE:
        remark = next(o.remark for o in outcomes if o.verdict is Verdict.UNREADABLE)
        return f"refused: {remark[:100]}", REFUSED
    if verdict is Verdict.UNDECIDED:
        return str(verdict), UNDECIDED
    right = (verdict is Verdict.HOLDS) == (c["expect"] == HOLDS)
    return str(verdict), RIGHT if right else WRONG


def run(only: str | None = None) -> list[Result]:
    out: list[Result] = []
    for text in texts():
        name = text.__name__.rsplit(".", 1)[-1]
        if only and name != only:
            continue
        for c in text.CASES:
            start, cpu = time.perf_counter(), cpu_seconds()
            got, outcome = judge_case(text, c)
            seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            out.append(Result(name, c["id"], c["expect"], got, outcome, seconds, cpu))
    return out


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (each claim's forked worker)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def slowest(results: list[Result], n: int) -> str:
    """The n read cases that took the most CPU time, slowest first."""
    read = sorted((r for r in results if r.outcome != REFUSED), key=lambda r: -r.cpu)
    return "\n".join(f"{r.cpu:6.2f} s CPU  {r.text:15s} {r.id}  ({r.got})" for r in read[:n])


def table(results: list[Result]) -> str:
    rows = ["text            cases  expressible  right  wrong  undecided  s/claim  slowest"]
    for name in dict.fromkeys(r.text for r in results):
        mine = [r for r in results if r.text == name]
        n = Counter(r.outcome for r in mine)
        read = [r for r in mine if r.outcome != REFUSED]
        per = sum(r.seconds for r in read) / len(read) if read else 0.0
        slow = max((r.seconds for r in read), default=0.0)
        rows.append(
            f"{name:15s} {len(mine):5d}  {len(read):11d}  {n[RIGHT]:5d}  {n[WRONG]:5d}"
            f"  {n[UNDECIDED]:9d}  {per:7.2f}  {slow:7.2f}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", help="one corpus text (module name), e.g. nielsen")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per case")
    parser.add_argument(
        "--slowest", type=int, default=0, metavar="N", help="the N slowest cases in CPU seconds"
    )
    args = parser.parse_args(argv)
    results = run(args.text)
    if args.verbose:
        for r in results:
            print(f"{r.outcome:9s} {r.id:48s} expect={r.expect:14s} got={r.got}")
    print(table(results))
    if args.slowest:
        print(slowest(results, args.slowest))
    return 1 if any(r.outcome == WRONG for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
