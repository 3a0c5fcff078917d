"""The ``generate`` and ``train`` subcommands (registered by :mod:`symbackprop.cli`)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import symbackprop.codegen as codegen
import symbackprop.files as files
from symbackprop.codegen.output import MAX_NAME_BYTES
from symbackprop.errors import SymbackpropError
from symbackprop.files import check_range
from symbackprop.model.spec import NetworkSpec

SpecOf = Callable[[argparse.Namespace], NetworkSpec]
LONG_RUN = 20_000  # epochs x cases above which a progress bar is shown (on a terminal)
SHOWN_ROWS = 10  # text output lists the predictions of at most this many rows (JSON has all)
WIDE_INPUTS = 8  # a classification row with more inputs is shown as its classes, without x
MAX_EPOCHS = 10_000_000  # the loss history is kept: 80 MB of float64 per run
MAX_RESTARTS = 100_000
MAX_JOBS = 1024
MAX_SEED = 2**32 - 1  # the generated init seeds Numba's random state with 32 bits
MAX_INT = 2**63 - 1


def add_parsers(sub: Any, spec_args: Callable[..., None]) -> None:
    g = sub.add_parser("generate", help="write the Numba gradient module of a spec")
    spec_args(g, required=False)
    g.add_argument(
        "-o", "--output", help="the .py file (or a folder) to write; without it the code is printed"
    )
    g.add_argument(
        "--all-presets",
        action="store_true",
        help="every preset, plus __init__.py, into the -o folder",
    )
    g.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file on disk differs"
    )
    g.add_argument(
        "--gain-value",
        type=float,
        default=1.0,
        help="the sigmoid gain alpha of the code (default 1)",
    )
    style = g.add_mutually_exclusive_group()
    style.add_argument(
        "--unrolled",
        dest="style",
        action="store_const",
        const="unrolled",
        help=f"straight-line code (the default up to {codegen.UNROLLED_MAX_PARAMS} parameters)",
    )
    style.add_argument(
        "--loops",
        dest="style",
        action="store_const",
        const="loops",
        help="loop code (the default above)",
    )
    g.set_defaults(style="auto")

    t = sub.add_parser("train", help="train a spec's generated module by gradient descent")
    spec_args(t)
    t.add_argument(
        "--data",
        required=True,
        help="xor or digits (built in; digits needs scikit-learn), a .csv file or an .npz archive",
    )
    t.add_argument(
        "--inputs", help="input columns (CSV header names or 1-based numbers; .npz array names)"
    )
    t.add_argument("--targets", help="target columns, as --inputs")
    t.add_argument("--epochs", type=int, default=10_000)
    t.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    t.add_argument(
        "--batch-size",
        "--batch",
        type=int,
        default=1,
        help=(
            "1: per-sample SGD (default); n: minibatches, each step lr times the batch's mean "
            "gradient"
        ),
    )
    t.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the random start (restarts use seed, seed+1, ...)",
    )
    t.add_argument(
        "--restarts", type=int, default=1, help="independent random starts, run in parallel"
    )
    t.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes for --restarts"
    )
    t.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for a loop module's minibatches (default 1: serial, which measured as fast"
        " or faster on a shared 2-core machine; results are bit-identical either way)",
    )
    t.add_argument(
        "--gain-value", type=float, default=1.0, help="the sigmoid gain alpha (default 1)"
    )
    t.add_argument("--plot", help="write the loss curve(s) to this PNG file (or .pdf, .svg)")
    t.add_argument(
        "--save",
        help="write theta, the loss history and the spec to this .npz file (also when interrupted)",
    )
    t.add_argument(
        "--resume", help="start from the theta of a file written by --save (the same spec)"
    )
    t.add_argument("--format", choices=("text", "json"), default="text")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_generate(args: argparse.Namespace, spec_of: SpecOf) -> str | tuple[str, int]:
    if args.all_presets:
        if args.spec:
            raise SymbackpropError("give either a spec or --all-presets, not both")
        if not args.output:
            raise SymbackpropError("--all-presets needs -o FOLDER")
        if args.style != "auto":
            raise SymbackpropError(
                "--all-presets writes the presets as committed (unrolled); drop --loops/--unrolled"
            )
        outputs = codegen.preset_outputs(args.output)
    else:
        if not args.spec:
            raise SymbackpropError(
                "name a spec (a preset, a .toml file or sizes such as 2-3-2), or use --all-presets"
            )
        spec = spec_of(args)
        if not args.output:
            if args.check:
                raise SymbackpropError("--check needs -o: the file to compare with")
            return codegen.render(spec, args.gain_value, args.style).rstrip("\n")
        outputs = [codegen.module_output(spec, args.output, args.gain_value, args.style)]
    if args.check:
        stale = codegen.stale(outputs)
        if stale:
            lines = [f"out of date: {p}" for p in stale]
            lines.append(f"update with: {_update_hint(args)}")
            return "\n".join(lines), 1
        return f"up to date: {len(outputs)} file(s)"
    changed = set(codegen.stale(outputs))
    return "\n".join(
        f"{'wrote' if p in changed else 'up to date:'} {p}" for p in codegen.write(outputs)
    )


def _update_hint(args: argparse.Namespace) -> str:
    if args.all_presets:
        return f"python -m symbackprop generate --all-presets -o {args.output}"
    return (
        " ".join(a for a in sys.argv[1:] if a != "--check") or "symbackprop generate SPEC -o FILE"
    )


def _bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="epoch" if desc == "train" else "run",
        file=sys.stderr,
        disable=None,
    )


def run_train(args: argparse.Namespace, spec_of: SpecOf) -> str:
    import symbackprop.train as training

    check_range(args.epochs, 1, MAX_EPOCHS, "--epochs")
    check_range(args.batch_size, 1, MAX_INT, "--batch-size")
    check_range(args.restarts, 1, MAX_RESTARTS, "--restarts")
    check_range(args.jobs, 1, MAX_JOBS, "--jobs")
    check_range(args.threads, 1, MAX_JOBS, "--threads")
    check_range(args.seed, 0, MAX_SEED, "--seed")
    check_range(
        args.seed + args.restarts - 1, 0, MAX_SEED, "the last seed (--seed + --restarts - 1)"
    )
    if not np.isfinite(args.lr) or args.lr <= 0:
        raise SymbackpropError("--lr must be a positive number")
    if not np.isfinite(args.gain_value):
        raise SymbackpropError("--gain-value must be a finite number")
    if (args.save or args.resume) and args.restarts > 1:
        raise SymbackpropError("--save and --resume are for a single run, not --restarts")
    if args.plot:
        _check_plot(args.plot)
    if args.save:
        _check_output(args.save, "--save")
    spec = spec_of(args)
    data = training.load_data(args.data, spec.sizes[0], spec.sizes[-1], args.inputs, args.targets)
    training.check_targets(spec, data)
    path = training.module_file(spec, args.gain_value)
    module = training.import_path(path)
    training.use_threads(module, args.threads if args.restarts == 1 else 1)
    show = not args.no_progress
    started = time.perf_counter()
    if args.restarts == 1:
        before = np.empty(0)
        if args.resume:
            theta, before = training.load_run(args.resume, spec.to_toml(), module.PARAM_IDS)
        else:
            theta = module.init(args.seed)
        bar = _bar(args.epochs, "train", show and args.epochs * data.X.shape[0] >= LONG_RUN)

        def progress(done: int, loss: float) -> None:
            bar.update(done - bar.n)
            bar.set_postfix(loss=f"{loss:.3e}", refresh=False)

        result = training.run(
            module,
            data,
            theta,
            args.lr,
            args.epochs,
            args.batch_size,
            args.seed,
            on_progress=progress if bar is not None else None,
        )
        if bar is not None:
            bar.close()
        result = _continued(result, before)
        if args.save:
            assert result.history is not None
            training.save_run(
                args.save,
                spec.to_toml(),
                module.PARAM_IDS,
                result.theta,
                result.history[: result.epochs_run],
            )
        if result.interrupted:
            saved = f"; saved to {args.save} (--resume {args.save} continues)" if args.save else ""
            raise KeyboardInterrupt(
                f"at epoch {result.epochs_run} of {len(before) + args.epochs}{saved}"
            )
        if result.diverged_at is not None:
            raise SymbackpropError(
                f"training diverged at epoch {result.diverged_at}: the loss became "
                f"{result.history[result.diverged_at - 1] if result.history is not None else 'nan'}"
                "; try a smaller --lr"
            )
        if args.plot:
            assert result.history is not None
            scored = (
                ""
                if result.test_accuracy is None
                else f", test accuracy {_percent(result.test_accuracy)}"
            )
            title = (
                f"{spec.label}: lr {args.lr}, batch size {args.batch_size}, seed {args.seed}"
                f"{scored}"
            )
            training.plot(args.plot, [result.history], title)
        return _single_report(args, spec, module, data, result, time.perf_counter() - started)
    bar = _bar(args.restarts, "restarts", show)

    def done(result: Any) -> None:
        if bar is not None:
            bar.update(1)

    results = training.restarts(
        path,
        data,
        args.lr,
        args.epochs,
        args.batch_size,
        range(args.seed, args.seed + args.restarts),
        args.jobs,
        keep_history=bool(args.plot),
        on_done=done,
    )
    if bar is not None:
        bar.close()
    if args.plot:
        curves = [r.history for r in results if r.history is not None]
        training.plot(args.plot, curves, f"{spec.label}: {args.restarts} restarts, lr {args.lr}")
    return _restarts_report(
        args, spec, training.summarise(results), results, time.perf_counter() - started
    )


def _continued(result: Any, before: np.ndarray) -> Any:
    """A resumed run counted from the first epoch of the saved one."""
    if not len(before):
        return result
    shift = len(before)
    return replace(
        result,
        history=None if result.history is None else np.concatenate([before, result.history]),
        epochs_run=result.epochs_run + shift,
        epochs_to_success=None
        if result.epochs_to_success is None
        else result.epochs_to_success + shift,
        diverged_at=None if result.diverged_at is None else result.diverged_at + shift,
    )


PLOT_TYPES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")


def _check_plot(path: str) -> None:
    if Path(path).suffix.lower() not in PLOT_TYPES:
        raise SymbackpropError(
            f"--plot {path}: the file must end in one of {', '.join(PLOT_TYPES)}"
        )
    _check_output(path, "--plot")


def _check_output(path: str, flag: str) -> None:
    """Before any training: a file that can be written (not a folder, in a folder that exists)."""
    found = files.kind(path)
    if found == "folder":
        raise SymbackpropError(f"{flag} {path}: it is a folder; name a file")
    if found == "other":
        raise SymbackpropError(f"{flag} {path}: not a regular file (a FIFO, socket or device)")
    folder = Path(path).parent
    if files.kind(folder) != "folder":
        raise SymbackpropError(f"{flag} {path}: the folder {folder} does not exist")
    if len(Path(path).name.encode()) > MAX_NAME_BYTES:
        raise SymbackpropError(f"{flag}: the file name is longer than {MAX_NAME_BYTES} bytes")


def _single_report(
    args: argparse.Namespace, spec: NetworkSpec, module: Any, data: Any, result: Any, seconds: float
) -> str:
    if args.format == "json":
        return _json(
            _settings(args, spec)
            | {
                "data": data.source,
                "seed": args.seed,
                "final_loss": result.final_loss,
                "train_accuracy": result.train_accuracy,
                "test_accuracy": result.test_accuracy,
                "test_rows": None if data.test is None else len(data.test.Y),
                "predictions": result.predictions,
                "targets": data.Y,
                "success": result.success,
                "epochs_to_success": result.epochs_to_success,
                "theta": dict(zip(module.PARAM_IDS, result.theta.tolist())),
                "seconds": seconds,
            }
        )
    lines = [
        f"{spec.label} on {data.source}: {args.epochs} epochs, lr {args.lr}, batch size "
        f"{args.batch_size}, seed {args.seed}",
        f"final loss (mean per case, last epoch): {result.final_loss:.6e}",
    ]
    if result.success is not None:
        when = f" (first at epoch {result.epochs_to_success})" if result.epochs_to_success else ""
        lines.append(
            f"every case right at threshold 0.5: {'yes' if result.success else 'no'}{when}"
        )
    for label, share, part in (
        ("train", result.train_accuracy, data),
        ("test", result.test_accuracy, data.test),
    ):
        if share is not None:
            rows = len(part.Y)
            lines.append(
                f"{label} accuracy: {_percent(share)} ({round(share * rows)} of {rows} rows)"
            )
    lines.append(
        "predictions:"
        if len(data.Y) <= SHOWN_ROWS
        else f"predictions (the first {SHOWN_ROWS} rows):"
    )
    for row, (x, p, y) in enumerate(zip(data.X[:SHOWN_ROWS], result.predictions, data.Y), start=1):
        lines.append(_prediction(row, x, p, y, data.labelled))
    if len(data.Y) > SHOWN_ROWS:
        lines.append(
            f"  ... and {len(data.Y) - SHOWN_ROWS} more rows (--format json lists them all)"
        )
    lines.append(f"seconds: {seconds:.3f}")
    return "\n".join(lines)


def _settings(args: argparse.Namespace, spec: NetworkSpec) -> dict[str, Any]:
    return {"spec": spec.label, "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size}


def _json(data: dict[str, Any]) -> str:
    return files.strict_json(data, indent=2)


def _prediction(row: int, x: np.ndarray, p: np.ndarray, y: np.ndarray, labelled: bool) -> str:
    """One row of predictions; a wide classification row (the digits) as its classes."""
    if labelled and len(y) > 1 and len(x) > WIDE_INPUTS:
        k = int(np.argmax(p))
        return (
            f"  row {row}: class {k} (output {float(p[k]):.4f}), target class {int(np.argmax(y))}"
        )
    return f"  x = {_vec(x)} -> {_vec(p, 4)}   target {_vec(y)}"


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{100 * share:.1f}%"


def _vec(v: np.ndarray, digits: int = 3) -> str:
    return "(" + ", ".join(f"{float(a):.{digits}g}" for a in v) + ")"


def _restarts_report(
    args: argparse.Namespace, spec: NetworkSpec, summary: Any, results: list[Any], seconds: float
) -> str:
    if args.format == "json":
        return _json(
            _settings(args, spec)
            | {
                "restarts": summary.restarts,
                "seeds": [args.seed, args.seed + args.restarts - 1],
                "success_rate": summary.success_rate,
                "median_final_loss": summary.median_final_loss,
                "median_epochs_to_success": summary.median_epochs_to_success,
                "diverged": summary.diverged,
                "median_train_accuracy": summary.median_train_accuracy,
                "median_test_accuracy": summary.median_test_accuracy,
                "seconds": seconds,
                "runs": [
                    {
                        "seed": r.seed,
                        "final_loss": r.final_loss,
                        "success": r.success,
                        "epochs_to_success": r.epochs_to_success,
                        "diverged_at": r.diverged_at,
                        "train_accuracy": r.train_accuracy,
                        "test_accuracy": r.test_accuracy,
                    }
                    for r in results
                ],
            }
        )
    rate = (
        "n/a (targets are not 0/1)"
        if summary.success_rate is None
        else _percent(summary.success_rate)
    )
    med_loss = "n/a" if summary.median_final_loss is None else f"{summary.median_final_loss:.6e}"
    med_epochs = (
        "n/a"
        if summary.median_epochs_to_success is None
        else f"{summary.median_epochs_to_success:g}"
    )
    accuracies = [
        f"median {label} accuracy: {_percent(share)}"
        for label, share in (
            ("train", summary.median_train_accuracy),
            ("test", summary.median_test_accuracy),
        )
        if share is not None
    ]
    return "\n".join(
        [
            f"{spec.label}: {summary.restarts} restarts (seeds "
            f"{args.seed}..{args.seed + args.restarts - 1}), "
            f"{args.epochs} epochs, lr {args.lr}, batch size {args.batch_size}",
            f"success rate (every case right at threshold 0.5): {rate}",
            f"median final loss: {med_loss}",
            f"median epochs to success: {med_epochs}",
            *accuracies,
            f"diverged: {summary.diverged}",
            f"seconds: {seconds:.2f}",
        ]
    )
