"""Benchmark: derivation and generation time against the number of parameters.

    python bench/scale.py [--quick] [--repeats 3] [--timeout 120]

For each size from 2-2-1 to 784-128-10 (sigmoid, biases, half SSE), each timed in a
fresh process (so no SymPy cache carries over from a smaller network):

* layer-wise: build the network and the compact gradient of every parameter as SymPy
  expressions (``[g.compact.value for g in gradients(build(spec))]``), median of repeats;
* generate: the module text ``symbackprop generate`` writes (``codegen.render``, the
  size rule picks unrolled or loop code), median of repeats;
* direct diff: ``sympy.diff`` of the closed-form E for every parameter (the ``exact``
  form), once, killed after --timeout seconds; larger sizes are then skipped.

Then the growth exponent of each method (log-log least squares of time against the
number of parameters) and the cold Numba compile of the loop module of 784-128-10 in a
fresh cache folder (a subprocess, counted from interpreter start: imports, init,
value_and_grad, train). ``--quick`` (under a minute): six sizes, one repeat, direct diff
stopped at 10 s, no compile. The machine may be shared: CPU times are printed next to
wall times.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

SIZES = (
    "2-2-1",
    "4-4-1",
    "8-8-1",
    "8-8-8-1",
    "16-16-1",
    "16-16-16-1",
    "32-32-10",
    "64-32-10",
    "128-64-10",
    "256-128-10",
    "784-128-10",
)
METHODS = ("layer-wise", "generate", "direct diff")
QUICK = ("2-2-1", "8-8-1", "8-8-8-1", "32-32-10", "128-64-10", "784-128-10")
LARGEST = "784-128-10"
TARGET_SECONDS = 10.0


def work(method: str, text: str) -> dict[str, object]:
    """One measurement, in this process (run as ``scale.py --worker METHOD SPEC``)."""
    from symbackprop.backprop.forms import gradients
    from symbackprop.codegen.render import choose_style, render
    from symbackprop.model.network import build
    from symbackprop.model.spec import inline

    spec = inline(text)
    start, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, object] = {}
    if method == "layer-wise":
        exprs = [g.compact.value for g in gradients(build(spec))]
        assert len(exprs) == spec.n_params
    elif method == "generate":
        source = render(spec)
        extra = {"style": choose_style(spec), "lines": source.count("\n")}
    else:
        exprs = [g.exact for g in gradients(build(spec))]
        assert len(exprs) == spec.n_params
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, **extra}


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float
    style: str = ""
    lines: int = 0

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s ({self.cpu:5.2f})"


def measure(method: str, text: str, timeout: float = 3600.0) -> Timing | None:
    """``work`` in a fresh interpreter; None if it did not finish within ``timeout`` seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", method, text]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    data = json.loads(out.stdout)
    return Timing(data["seconds"], data["cpu"], data.get("style", ""), data.get("lines", 0))


def median_of(method: str, text: str, repeats: int) -> Timing:
    runs = [measure(method, text) for _ in range(repeats)]
    done = [r for r in runs if r is not None]
    first = done[0]
    return Timing(
        statistics.median(r.wall for r in done),
        statistics.median(r.cpu for r in done),
        first.style,
        first.lines,
    )


def exponent(points: list[tuple[int, float]]) -> float | None:
    """The slope of log(time) against log(parameters), by least squares."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def table(
    sizes: tuple[str, ...], repeats: int, timeout: float
) -> dict[str, list[tuple[int, float]]]:
    """Print one row per size; the wall times of each method, by number of parameters."""
    from symbackprop.model.spec import inline

    print(
        f"{'spec':<12}{'params':>8}  {'layer-wise':<18}{'generate':<18}{'style':<9}{'lines':>7}  "
        "direct diff"
    )
    points: dict[str, list[tuple[int, float]]] = {m: [] for m in METHODS}
    stopped: str | None = None
    for text in sizes:
        n = inline(text).n_params
        layer, gen = median_of("layer-wise", text, repeats), median_of("generate", text, repeats)
        points["layer-wise"].append((n, layer.wall))
        points["generate"].append((n, gen.wall))
        if stopped is not None:
            shown = "skipped"
        else:
            result = measure("direct diff", text, timeout)
            if result is None:
                stopped, shown = text, f"did not finish within {timeout:g} s"
            else:
                points["direct diff"].append((n, result.wall))
                shown = str(result)
        print(
            f"{text:<12}{n:>8}  {layer!s:<18}{gen!s:<18}{gen.style:<9}{gen.lines:>7}  {shown}",
            flush=True,
        )
    if stopped is not None:
        print(f"direct diff: {stopped} did not finish within {timeout:g} s; larger sizes skipped")
    return points


def report(points: dict[str, list[tuple[int, float]]]) -> None:
    print("growth exponent (time ~ params^k, log-log least squares):")
    for method, pts in points.items():
        k = exponent(pts)
        big = exponent([(n, t) for n, t in pts if n >= 1000])
        fits = f"k = {k:.2f} over {len(pts)} sizes" if k is not None else "fewer than 2 sizes"
        if big is not None:
            fits += (
                f", k = {big:.2f} over the {sum(n >= 1000 for n, _ in pts)} sizes with >= 1000 "
                "parameters"
            )
        print(f"  {method:<12} {fits}")
    n_max = max(n for n, _ in points["layer-wise"])
    layer, gen = dict(points["layer-wise"])[n_max], dict(points["generate"])[n_max]
    verdict = "met" if layer + gen < TARGET_SECONDS else "NOT met"
    print(
        f"largest size ({n_max} parameters): layer-wise {layer:.2f} s + generate {gen:.2f} s = "
        f"{layer + gen:.2f} s"
        f"  (target for {LARGEST}: < {TARGET_SECONDS:g} s, {verdict})"
    )


def compile_time(text: str) -> None:
    from run import start_time

    from symbackprop.codegen.output import generate
    from symbackprop.model.spec import inline

    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        (path,) = generate(inline(text), Path(tmp), style="loops")
        cold = start_time(Path(tmp), path.stem, cache)
        warm = start_time(Path(tmp), path.stem, cache)
    print(
        f"loop module of {text}: cold compile {cold:.2f} s (fresh cache folder), warm start "
        f"{warm:.2f} s"
        f"  (from interpreter start: imports, init, value_and_grad, train)"
    )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        print(json.dumps(work(sys.argv[2], sys.argv[3])))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="six sizes, one repeat, direct diff stopped at 10 s, no compile",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="seconds before direct diff is stopped"
    )
    args = ap.parse_args()
    repeats, timeout = (1, 10.0) if args.quick else (args.repeats, args.timeout)
    print(
        "sigmoid, biases, half SSE; wall time (CPU time) in a fresh process, median of "
        f"{repeats}; direct diff once"
    )
    report(table(QUICK if args.quick else SIZES, repeats, timeout))
    if not args.quick:
        compile_time(LARGEST)


if __name__ == "__main__":
    main()
