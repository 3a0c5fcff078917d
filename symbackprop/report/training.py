"""The training part of a report: runs or restarts of the generated module, and their figures.

Figures are drawn once with matplotlib (Agg) and saved twice: SVG for the HTML page, PDF for
the LaTeX document. Loaded only for ``report --train`` (Numba and matplotlib are heavy).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

import symbackprop.train as training
from symbackprop.errors import SymbackpropError
from symbackprop.model.spec import NetworkSpec
from symbackprop.report.model import Figure, Stat, TrainingSection


@dataclass(frozen=True)
class Settings:
    data: str = "xor"
    epochs: int = 10_000
    lr: float = 0.5
    batch_size: int = 1
    seed: int = 0
    restarts: int = 1
    jobs: int = 1
    gain_value: float = 1.0


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SymbackpropError(
            "report --train needs matplotlib: pip install 'symbackprop[report]'"
        ) from None
    return plt


def figure(plt: Any, fig: Any, anchor: str, title: str, caption: str) -> Figure:
    svg, pdf = io.StringIO(), io.BytesIO()
    fig.tight_layout()
    fig.savefig(svg, format="svg")
    fig.savefig(pdf, format="pdf")
    plt.close(fig)
    text = re.sub(r"^.*?(<svg)", r"\1", svg.getvalue(), flags=re.S)  # no XML prolog inline
    return Figure(anchor, title, caption, text, f"{anchor}.pdf", pdf.getvalue())


def loss_figure(plt: Any, histories: list[np.ndarray], title: str) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 4))
    alpha = 1.0 if len(histories) == 1 else max(0.05, 1.0 / math.sqrt(len(histories)))
    for h in histories:
        ax.plot(np.arange(1, len(h) + 1), h, color="C0", alpha=alpha, linewidth=1.0)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean error per case")
    ax.grid(True, which="both", alpha=0.3)
    return figure(plt, fig, "fig-loss", "Loss", title)


def histogram(
    plt: Any, values: list[float], anchor: str, title: str, xlabel: str, log: bool
) -> Figure:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    kept = [v for v in values if math.isfinite(v) and (v > 0 or not log)]
    data = np.asarray(kept, dtype=np.float64)
    if kept:
        bins: Any = 30
        if log:
            low, high = min(kept), max(kept)
            bins = np.logspace(math.log10(low), math.log10(max(high, low * 1.01)), 30)
            ax.set_xscale("log")
        ax.hist(data, bins=bins, color="C1")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("restarts")
    ax.grid(True, alpha=0.3)
    return figure(plt, fig, anchor, title, f"{title}: {len(data)} of {len(values)} restarts")


def confusion_figure(plt: Any, predictions: np.ndarray, Y: np.ndarray, title: str) -> Figure:
    k = Y.shape[1]
    truth, guess = Y.argmax(axis=1), predictions.argmax(axis=1)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (truth, guess), 1)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.imshow(counts, cmap="Blues")
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                colour = "white" if counts[i, j] > counts.max() / 2 else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    return figure(plt, fig, "fig-confusion", "Confusion matrix", title)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def training_section(spec: NetworkSpec, s: Settings) -> TrainingSection:
    if s.epochs < 1 or s.batch_size < 1 or s.restarts < 1 or s.jobs < 1 or not s.lr > 0:
        raise SymbackpropError(
            "--epochs, --batch-size, --restarts, --jobs and --lr must be positive"
        )
    plt = _pyplot()
    data = training.load_data(s.data, spec.sizes[0], spec.sizes[-1], None, None)
    training.check_targets(spec, data)
    path = training.module_file(spec, s.gain_value)
    settings = f"{s.epochs} epochs, lr {s.lr}, batch size {s.batch_size}, seed {s.seed}"
    figures: list[Figure] = []
    stats: list[Stat] = []
    if s.restarts == 1:
        module = training.import_path(path)
        result = training.run(
            module, data, module.init(s.seed), s.lr, s.epochs, s.batch_size, s.seed
        )
        if result.diverged_at is not None:
            raise SymbackpropError(
                f"training diverged at epoch {result.diverged_at}; try a smaller --lr"
            )
        assert result.history is not None
        figures.append(
            loss_figure(plt, [result.history], f"{spec.label} on {data.source}: {settings}")
        )
        stats += [
            Stat("final loss (mean per case)", f"{result.final_loss:.4e}"),
            Stat("time", f"{result.seconds:.2f} s"),
        ]
        if result.success is not None:
            when = f" (epoch {result.epochs_to_success})" if result.epochs_to_success else ""
            stats.append(
                Stat("every case right at 0.5", ("yes" if result.success else "no") + when)
            )
        if result.train_accuracy is not None:
            stats.append(Stat("train accuracy", _pct(result.train_accuracy)))
        if result.test_accuracy is not None:
            stats.append(Stat("test accuracy", _pct(result.test_accuracy)))
        if data.labelled and spec.sizes[-1] > 2:
            held = data.test if data.test is not None else data
            preds = module.predict(held.X, result.theta)
            which = "held-out rows" if data.test is not None else "training rows"
            figures.append(confusion_figure(plt, preds, held.Y, f"{spec.label} on the {which}"))
        return TrainingSection(data.source, settings, tuple(stats), tuple(figures))
    seeds = range(s.seed, s.seed + s.restarts)
    results = training.restarts(
        path, data, s.lr, s.epochs, s.batch_size, seeds, s.jobs, keep_history=True
    )
    summ = training.summarise(results)
    curves = [r.history for r in results if r.history is not None]
    settings = f"{s.restarts} restarts (seeds {s.seed}..{s.seed + s.restarts - 1}), " + settings
    figures.append(
        loss_figure(plt, curves, f"{spec.label} on {data.source}: {s.restarts} restarts")
    )
    figures.append(
        histogram(
            plt,
            [r.final_loss for r in results],
            "fig-final",
            "Final loss",
            "final loss (mean per case)",
            True,
        )
    )
    wins = [float(r.epochs_to_success) for r in results if r.success and r.epochs_to_success]
    if wins:
        figures.append(
            histogram(
                plt,
                wins,
                "fig-epochs",
                "Epochs to success",
                "epochs until every case is right",
                False,
            )
        )
    med = summ.median_epochs_to_success
    stats += [
        Stat("restarts", str(summ.restarts)),
        Stat("success rate", _pct(summ.success_rate)),
        Stat("median epochs to success", "n/a" if med is None else f"{med:.0f}"),
        Stat(
            "median final loss",
            "n/a" if summ.median_final_loss is None else f"{summ.median_final_loss:.4e}",
        ),
        Stat("diverged", str(summ.diverged)),
    ]
    if summ.median_test_accuracy is not None:
        stats.append(Stat("median test accuracy", _pct(summ.median_test_accuracy)))
    return TrainingSection(data.source, settings, tuple(stats), tuple(figures))
