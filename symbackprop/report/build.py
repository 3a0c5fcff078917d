"""Building the report's sections from a spec: the network, its derivations, claims with verdicts.

The document audit is built by :mod:`symbackprop.report.document`, training figures by
:mod:`symbackprop.report.training`; :func:`assemble` puts the parts together with the summary,
the table of contents and the time each part took.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from symbackprop._version import __version__
from symbackprop.backprop.forms import gradients
from symbackprop.errors import SymbackpropError
from symbackprop.model.network import Network, Param, build
from symbackprop.model.notation import Notation, load_notation
from symbackprop.model.spec import NetworkSpec, resolve
from symbackprop.printing.latex import NotationPrinter, objective_latex, render
from symbackprop.report.layout import layout, shown_units
from symbackprop.report.model import (
    VERDICT_CLASSES,
    AuditSection,
    ClaimsSection,
    Count,
    DerivationSection,
    Equation,
    EquationGroup,
    Failing,
    Math,
    NetworkSection,
    Report,
    Segment,
    Summary,
    Symbol,
    Timing,
    TocEntry,
    TrainingSection,
    Verdicted,
)
from symbackprop.report.tex import factor_value, highlight, math, segments, split_parts
from symbackprop.verify.claim import Claim, Context, Outcome, Verdict, context
from symbackprop.verify.claims import file_values, load_claims
from symbackprop.verify.steps import verify

# Above this many parameters the derivations typeset a sample: in each layer the parameters
# of the first and last units (the others follow the same pattern); ``all_gradients`` overrides.
TYPESET_LIMIT = 120
VERDICT_ORDER = ("holds", "does not hold", "undecided", "unreadable")

T = TypeVar("T")


@dataclass(frozen=True)
class Model:
    """A spec built in its notation, with the names of every symbol."""

    spec: NetworkSpec
    notation: Notation
    net: Network
    names: dict[str, str]


def model(spec: NetworkSpec, notation: Notation | str | None = None) -> Model:
    if notation is None or isinstance(notation, str):
        notation = load_notation(notation or spec.notation, spec.base_dir)
    net = build(spec, notation.residual)
    return Model(spec, notation, net, notation.symbol_names(net))


def timed(label: str, timings: list[Timing], work: Callable[[], T]) -> T:
    start = time.perf_counter()
    out = work()
    timings.append(Timing(label, time.perf_counter() - start))
    return out


# -- the network --------------------------------------------------------------------------
def network_section(m: Model) -> NetworkSection:
    spec, net, names = m.spec, m.net, m.names
    printer = NotationPrinter(names, m.notation, case_error=net.case is not None)
    error_name = names["E_case"] if net.case is not None else names["E"]
    text = f"{error_name} = {printer.doprint(net.case_error)}"
    objective = objective_latex(net, m.notation, names)  # a sum over the cases, a penalty
    if objective is not None:
        text = objective if net.case is None else rf"{text}, \qquad {objective}"
    error = math(text, display=True)
    symbols = []
    for key, role in net.roles.items():
        if key in names and _shown_symbol(key, spec.sizes):
            symbols.append(Symbol(role, math(names[key])))
    return NetworkSection(
        label=spec.label,
        description=getattr(spec, "description", "") or "",
        notation=m.notation.name,
        sizes="-".join(str(n) for n in spec.sizes),
        loss=spec.loss,
        error=error,
        diagram=layout(net, names),
        symbols=tuple(symbols[:60]),
        parameters=len(net.params),
    )


def _shown_symbol(key: str, sizes: tuple[int, ...]) -> bool:
    """Symbols of the units a collapsed diagram draws (the table stays short on wide networks)."""
    numbers = [int(n) for n in re.findall(r"\d+", key)]
    if not numbers or max(sizes) <= 6:
        return True
    return all(n <= 2 or n >= max(sizes) - 1 for n in numbers[1:]) and numbers[-1] <= 2


# -- derivations --------------------------------------------------------------------------
def sampled(net: Network) -> list[Param]:
    """The parameters typeset for a large network: those between drawn units of the diagram."""
    sizes = net.spec.sizes
    keep = [{j for j in shown_units(n) if j is not None} for n in sizes]
    return [
        p
        for p in net.params
        if p.to_unit in keep[p.layer] and (p.from_unit is None or p.from_unit in keep[p.layer - 1])
    ]


def derivation_section(m: Model, chain: bool = True, every: bool = False) -> DerivationSection:
    net = m.net
    chosen = net.params if every or len(net.params) <= TYPESET_LIMIT else tuple(sampled(net))
    grads = gradients(net, [p.id for p in chosen], error_terms=m.notation.has_error_terms)
    printer = NotationPrinter(m.names, m.notation)
    groups: dict[tuple[int, str], list[Equation]] = {}
    for n, g in enumerate(grads, start=1):
        r = render(g, m.notation, m.names, printer)
        rows = r.chain_lines()
        body = [f"{r.lhs} &= {rows[0]}"] + [f"&= {row}" for row in rows[1:]]
        chain_tex = "\\begin{aligned}" + " \\\\ ".join(body) + "\\end{aligned}"
        p = g.param
        groups.setdefault((p.layer, p.kind), []).append(
            Equation(
                number=n,
                anchor=f"eq-{p.id}",
                name=math(m.names[p.id]),
                chain=math(chain_tex, display=True) if chain else None,
                compact=math(f"{r.lhs} = {r.compact()}", display=True),
            )
        )
    out = []
    for (layer, kind), eqs in sorted(groups.items()):
        total = sum(1 for p in net.params if p.layer == layer and p.kind == kind)
        title = f"layer {layer} " + ("biases" if kind == "bias" else "weights")
        out.append(EquationGroup(f"grad-{layer}-{kind}", title, tuple(eqs), total - len(eqs)))
    shown = len(grads)
    note = (
        f"every gradient ({shown})"
        if shown == len(net.params)
        else f"{shown} of {len(net.params)} gradients: those of the first and last units of each "
        "layer (the others follow the same pattern; --all-gradients typesets every one)"
    )
    return DerivationSection(tuple(out), len(net.params), shown, note)


# -- claims and verdicts ------------------------------------------------------------------
def verdict_css(verdict: str) -> str:
    return VERDICT_CLASSES.get(verdict, "setup")


def outcome_item(anchor: str, number: int, where: str, group: list[Outcome]) -> Verdicted:
    """One claim step under all its bindings: the worst verdict, its diagnosis."""
    worst = min(group, key=lambda o: Verdict(o.verdict).rank)
    verdict = str(Verdict(worst.verdict).value)
    what: list[Segment] = []
    if worst.kind:
        what.append(Segment(worst.kind + " "))
    if worst.param:
        what.append(Segment("", math(worst.param)))
    if worst.binding:
        what.append(Segment(f" [{worst.binding}]"))
    if len(group) > 1:
        what.append(Segment(f" ({len(group)} bindings)"))
    correct = None
    if worst.correct and verdict != "holds":
        correct = math(highlight(worst.correct, factor_value(worst.factor)), display=True)
        if not correct.typeset:
            correct = math(worst.correct, display=True)
    details: list[tuple[Segment, ...]] = []
    if worst.ratio:
        details.append((Segment("claim / truth = "), Segment("", math(worst.ratio))))
    for text in (
        worst.factor,
        worst.counterexample and "at " + worst.counterexample.removeprefix("at "),
        worst.remark,
    ):
        for part in split_parts(text or ""):
            details.append(segments(part))
    return Verdicted(
        anchor=anchor,
        number=number,
        where=where,
        written=math(worst.claim, display=True),
        verdict=verdict,
        css=verdict_css(verdict),
        what=tuple(what),
        correct=correct,
        details=tuple(details),
    )


def judge(ctx: Context, claims: Iterable[Claim]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for claim in claims:
        try:
            outcomes += verify(ctx, claim, False)
        except SymbackpropError as exc:
            outcomes.append(
                Outcome(
                    claim.source,
                    claim.latex,
                    claim.kind or "",
                    claim.param or "",
                    "",
                    Verdict.UNREADABLE,
                    remark=str(exc),
                )
            )
    return outcomes


def claims_section(spec: NetworkSpec, path: str, notation: str | None = None) -> ClaimsSection:
    cf = load_claims(path)
    if cf.spec is not None and resolve(cf.spec) != spec:
        raise SymbackpropError(f"{path} is about spec {cf.spec!r}, not {spec.label!r}")
    ctx = context(spec, notation)
    values = file_values(cf, ctx.scope.net, lambda t: ctx.scope.notation.param_id(t, ctx.scope.net))
    if values is not None or cf.learning_rate is not None:
        ctx = Context(ctx.scope, values or ctx.values, ctx.learning_rate or cf.learning_rate)
    outcomes = judge(ctx, cf.claims)
    groups: dict[tuple[str, str, int], list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault((o.source, o.claim, o.step), []).append(o)
    items = []
    for n, ((source, claim, step), group) in enumerate(groups.items(), start=1):
        steps = max(o.step for o in outcomes if o.source == source and o.claim == claim)
        where = source + (f" (step {step} of {steps})" if steps > 1 else "")
        items.append(outcome_item(f"claim-{n}", n, where, group))
    return ClaimsSection(cf.source, path, tuple(items))


# -- the whole report ---------------------------------------------------------------------
def summary(items: Iterable[Verdicted]) -> Summary:
    items = list(items)
    counts = [Count(v, verdict_css(v), sum(i.verdict == v for i in items)) for v in VERDICT_ORDER]
    setup = sum(i.verdict not in VERDICT_ORDER for i in items)
    if setup:
        counts.append(Count("set up (definitions, numbers)", "setup", setup))
    failing = [
        Failing(
            i.anchor,
            f"line {i.line}" if i.line else i.where,
            i.verdict,
            i.css,
            Math(i.written.tex, False, i.written.typeset),
        )
        for i in items
        if i.verdict in VERDICT_ORDER and i.verdict != "holds"
    ]
    return Summary(tuple(counts), tuple(failing))


def assemble(
    title: str,
    subtitle: str,
    timings: list[Timing],
    network: NetworkSection | None = None,
    derivations: DerivationSection | None = None,
    claims: ClaimsSection | None = None,
    audit: AuditSection | None = None,
    training: TrainingSection | None = None,
) -> Report:
    judged: list[Verdicted] = list(claims.items) if claims else []
    if audit:
        judged += [b.item for b in audit.blocks if b.item is not None]
    toc: list[TocEntry] = []
    if judged:
        toc.append(TocEntry("summary", "Summary", 1))
    if network:
        toc.append(TocEntry("network", "The network", 1))
    if claims:
        toc.append(TocEntry("claims", "Claims and verdicts", 1))
    if audit:
        toc.append(TocEntry("audit", "The document, audited", 1))
    if training:
        toc.append(TocEntry("training", "Training", 1))
    if derivations:
        toc.append(TocEntry("derivations", "Derivations", 1))
        toc += [TocEntry(g.anchor, g.title, 2) for g in derivations.groups]
    toc.append(TocEntry("timings", "Timings", 1))
    return Report(
        title=title,
        subtitle=subtitle,
        version=__version__,
        network=network,
        summary=summary(judged) if judged else None,
        claims=claims,
        audit=audit,
        derivations=derivations,
        training=training,
        toc=tuple(toc),
        timings=tuple(timings),
    )
