"""Benchmark: how much of the four sources the verify reader takes, and the time per claim.

    python bench/reader.py [--before /path/to/other/checkout] [--repeats 5] [--rounds 3]
                           [--skip-audit]

For each source: its equations (maths segments with a relation, or that do not parse),
how many parse verbatim, and how many audit steps are understood (holds, does not hold
or undecided; "no claim" rows are not steps). Then the median time to verify one claim
on each preset, warm: the first compact gradient the tool prints for it (for the essay,
whose printed per-case notation is not read, one of its equations about a case), and (for
the presets whose sources state them) one statement of calculus. With ``--before`` the same
runs for another checkout (e.g. main) in a subprocess, the two alternating over several
rounds (the median of the rounds' medians), side by side, with the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"  # beside the repository
SOURCES = [
    ("Sears", "000_f8a59a32590a939b.txt", "sears-xor", None),
    ("Maren", "001_c019515880ad17b0.txt", "maren", None),
    ("Essay", "002_33b08071c14ecca5.txt", "essay", 1),
    ("Note", "003_423731ea8521968c.txt", "note", None),
]
# the essay's printed gradients use its per-case notation, which the reader does not take:
# one of its own equations about one case instead
NETWORK = {"essay": r"\frac{\partial E_1}{\partial b^{(3)}_{1}} = 2 (o_1 - d_1) o_1 (1 - o_1)"}
CALCULUS = {
    "maren": r"\frac{d(a - x)}{dx} = -1",
    "essay": r"\frac{\partial}{\partial u} (\sigma(u)) = \frac{e^{-u}}{(1 + e^{-u})^2}",
    "note": r"[f(g(x))]' = f'(g(x)) \cdot g'(x)",
    "sears-xor": r"\varphi_x = \frac{1}{1 + e^{-x}}",
}


def measure(repeats: int, audit_too: bool) -> dict[str, object]:
    """Run inside one checkout (its symbackprop on sys.path)."""
    import sympy as sp

    from symbackprop import derive
    from symbackprop.audit.auditor import audit, segments
    from symbackprop.errors import SymbackpropError
    from symbackprop.model.spec import preset
    from symbackprop.verify.claim import Claim, context
    from symbackprop.verify.reader import parse
    from symbackprop.verify.steps import verify

    out: dict[str, object] = {"sources": {}, "times": {}}
    for name, file, spec, rate in SOURCES:
        text = (SEEDS / file).read_text("utf-8")
        equations = parsed = 0
        for seg in segments(text):
            try:
                doc = parse(seg.text)
            except SymbackpropError:
                equations += 1
                continue
            if any(c.rels for r in doc.rows for c in r.clauses):
                equations += 1
                parsed += 1
        row: dict[str, object] = {"equations": equations, "parsed": parsed}
        if audit_too:
            ctx = context(preset(spec), learning_rate=sp.Integer(rate) if rate else None)
            start = time.perf_counter()
            rows = audit(ctx, text)
            row["audit_seconds"] = time.perf_counter() - start
            steps = [r for r in rows if r.status != "no claim"]
            row["steps"] = len(steps)
            row["understood"] = sum(
                r.status in ("holds", "does not hold", "undecided") for r in steps
            )
        out["sources"][name] = row  # type: ignore[index]
    for spec in ("sears-xor", "maren", "essay", "note", "xor-bias"):
        ctx = context(preset(spec))
        g = derive(preset(spec)).gradients[0]
        latex = derive(preset(spec), params=[g.param.id]).latex("compact")[0].split(" = ", 1)[1]
        claims = {"gradient": Claim(latex, param=g.param.id, kind="gradient")}
        if spec in NETWORK:
            claims["network"] = Claim(NETWORK[spec])
        if spec in CALCULUS:
            claims["calculus"] = Claim(CALCULUS[spec])
        for what, claim in claims.items():
            try:
                verify(ctx, claim)  # warm: the network, notation and caches
            except SymbackpropError:
                out["times"][f"{spec} {what}"] = None  # type: ignore[index]
                continue
            samples = []
            for _ in range(repeats):
                start = time.perf_counter()
                verify(ctx, claim)
                samples.append(time.perf_counter() - start)
            out["times"][f"{spec} {what}"] = statistics.median(samples)  # type: ignore[index]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--before", help="another checkout to measure side by side (e.g. ../other-checkout)"
    )
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating runs of each checkout (times: median of rounds)",
    )
    ap.add_argument("--skip-audit", action="store_true")
    ap.add_argument(
        "--json", action="store_true", help=argparse.SUPPRESS
    )  # one checkout's raw figures
    args = ap.parse_args()
    if args.json:
        print(json.dumps(measure(args.repeats, not args.skip_audit)))
        return
    runs: dict[str, dict] = {}
    checkouts = [
        (label, root)
        for label, root in (("before", args.before), ("after", str(ROOT)))
        if root is not None
    ]
    for round_ in range(args.rounds):  # alternate the checkouts: the machine's load hits both alike
        for label, root in checkouts:
            cmd = [
                sys.executable,
                str(ROOT / "bench" / "reader.py"),
                "--json",
                "--repeats",
                str(args.repeats),
            ]
            cmd += ["--skip-audit"] if args.skip_audit or round_ else []
            done = subprocess.run(
                cmd,
                env={**os.environ, "PYTHONPATH": root},
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(done.stdout)
            if label not in runs:
                runs[label] = run | {"rounds": {k: [v] for k, v in run["times"].items()}}
            else:
                for k, v in run["times"].items():
                    runs[label]["rounds"][k].append(v)
    for run in runs.values():  # the median over the rounds of each round's median
        run["times"] = {
            k: None if None in v else statistics.median(v) for k, v in run["rounds"].items()
        }
    for label, run in runs.items():
        print(f"== {label}")
        for name, row in run["sources"].items():
            share = f"{row['parsed']}/{row['equations']} parsed"
            if "steps" in row:
                share += (
                    f", {row['understood']}/{row['steps']} audit steps understood "
                    f"({100 * row['understood'] / row['steps']:.0f} %)"
                )
                share += f", audit {row['audit_seconds']:.1f} s"
            print(f"  {name:6} {share}")
        for what, t in run["times"].items():
            print(
                f"  {what:20} " + ("unreadable" if t is None else f"{1000 * t:8.1f} ms per claim")
            )
    if "before" in runs:
        print("== after / before (time per claim)")
        for what, t in runs["after"]["times"].items():
            old = runs["before"]["times"].get(what)
            if t is not None and old:
                print(f"  {what:20} {t / old:5.2f}")


if __name__ == "__main__":
    main()
