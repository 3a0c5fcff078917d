"""Audit a whole Markdown or LaTeX document: find its equations, read them, judge the claims.

Every maths segment ($..$, $$..$$, \\[..\\], \\(..\\), equation/align environments) and
every table row ``$name$ <tab> number`` is listed: judged (a gradient ∂E/∂p, an update
Δp, a new value p_{new}, a local chain-rule factor ∂N/∂D, any other equation between
quantities of the network, or a number), a definition or a number the document sets up
(:mod:`symbackprop.document`), or unreadable with the reason. Nothing is skipped silently.

Continuation rows (``= ...``, ``\\approx ...``) keep the left side of the equation they
continue: a displayed row the last displayed equation (unless the prose between names
bare quantities, as in ``$w_5$``: the text has moved on), an inline one the last equation.
A ``where`` clause defines or checks a name; it never becomes the left side of a chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

import sympy as sp

from symbackprop.audit.scope import DocumentScope, decimal, strip_lead, sym_key
from symbackprop.audit.text import Piece, asides, lone_cases, pieces, split_rows
from symbackprop.errors import SymbackpropError
from symbackprop.verify.claim import CLAIM_RELS, Claim, Context, Outcome, Step, Verdict
from symbackprop.verify.limits import DEFAULT_LIMITS, Exceeded, Limits, check_size, run_limited
from symbackprop.verify.numeric import written_decimals
from symbackprop.verify.reader import Clause, Node, ReadError, parse
from symbackprop.verify.steps import exceeded, verify_steps, warm, written_as_number

JUDGED = ("holds", "does not hold", "undecided")
SET_UP = ("defines", "fixes")


@dataclass(frozen=True)
class AuditRow:
    line: int
    equation: str
    status: str  # holds, does not hold, undecided, unreadable, defines, fixes, no claim
    detail: str
    kind: str = ""
    lhs: Node | None = None
    rhs: Node | None = None


@dataclass(frozen=True)
class Part:
    """One clause of a piece, with the text it shows and how it stands in its piece."""

    clause: Clause
    text: str
    display: bool
    fresh: bool  # may define a local name again (first clause of a piece, or after `where`)
    lead: str  # the prose before a where clause
    lhs: Node | None


class Auditor:
    def __init__(self, ctx: Context, limits: Limits | None = DEFAULT_LIMITS) -> None:
        self.doc = DocumentScope(ctx)
        self.limits = limits  # per equation (None: unbounded, in this process)
        self.rows: list[AuditRow] = []
        self.last: Node | None = None  # the left side an inline continuation keeps
        self.last_display: Node | None = None  # the one a displayed continuation keeps
        self.interrupted = False  # bare quantities in the prose since the last displayed equation

    def run(self, text: str) -> list[AuditRow]:
        for line, group in groupby(pieces(text), key=lambda p: p.line):
            parts: list[tuple[Piece, Part]] = []
            for piece in group:
                if piece.kind == "heading":
                    self.doc.new_section()
                    self.last = self.last_display = None
                    continue
                parts += [(piece, part) for part in self._parts(piece)]
            rest = self._set_up(line, parts)
            for piece, part in rest:
                self._judge(piece, part)
        return self.rows

    # -- reading a piece into clauses ----------------------------------------------------
    def _parts(self, piece: Piece) -> list[Part]:
        main, remarks = asides(piece.text)
        out: list[Part] = []
        for text, display in [(main, piece.display)] + [(r, False) for r in remarks]:
            first = True
            for row in self._rows(piece, text) if display else [text]:
                try:
                    doc = parse(row)
                except ReadError as exc:
                    if lone_cases(row):
                        detail = "a \\begin{cases} list with no equation around it"
                        self.rows.append(AuditRow(piece.line, row.strip(), "no claim", detail))
                    else:
                        self.rows.append(AuditRow(piece.line, row.strip(), "unreadable", str(exc)))
                    continue
                for clause in (c for r in doc.rows for c in r.clauses):
                    lhs, lead = strip_lead(clause.sides[0])
                    shown = row[clause.start : clause.end] if clause.end > clause.start else row
                    out.append(Part(clause, shown.strip(), display, first or bool(lead), lead, lhs))
                    first = False
        if piece.note:
            out = [
                Part(p.clause, f"{p.text}   [{piece.note}]", p.display, p.fresh, p.lead, p.lhs)
                for p in out
            ]
        return out

    def _rows(self, piece: Piece, text: str) -> list[str]:
        """A display as a whole, or row by row when one of its rows cannot be read."""
        try:
            parse(text)
        except ReadError:
            rows = split_rows(text)
            return rows if len(rows) > 1 else [text]
        return [text]

    # -- definitions and numbers, first (a where clause follows the equation that uses it) --
    def _set_up(self, line: int, parts: list[tuple[Piece, Part]]) -> list[tuple[Piece, Part]]:
        pending = list(parts)
        progress = True
        while progress:
            progress = False
            for item in list(pending):
                piece, part = item
                c = part.clause
                if (
                    c.rels
                    and c.rels[0] in ("\\neq", "\\notin")
                    and self.doc.forget(line, part.lhs, c.rels[0])
                ):
                    continue  # b \neq b_z: the name no longer stands for b_z
                if not c.rels or c.rels[0] not in CLAIM_RELS or c.sides[0] is None:
                    continue
                rhs = c.sides[1]
                did = (
                    self.doc.fix(line, part.lhs, rhs)
                    or self.doc.define(line, part.lhs, rhs, part.fresh)
                    or self.doc.match(line, part.lhs, rhs)
                )
                if did:
                    status = "fixes" if did.startswith("fixes") else "defines"
                    self.rows.append(
                        AuditRow(piece.line, part.text, status, did, lhs=part.lhs, rhs=rhs)
                    )
                    pending.remove(item)
                    progress = True
                    if (
                        len(c.rels) > 1
                    ):  # v_a = ... = ...: the later steps are claims about the name
                        pending.append(
                            (
                                piece,
                                Part(
                                    Clause((None, *c.sides[2:]), c.rels[1:], c.start, c.end),
                                    part.text,
                                    part.display,
                                    False,
                                    "",
                                    part.lhs,
                                ),
                            )
                        )
        return sorted(pending, key=lambda item: parts.index(item) if item in parts else len(parts))

    # -- claims ----------------------------------------------------------------------
    def _judge(self, piece: Piece, part: Part) -> None:
        c = part.clause
        if not c.rels:
            if not part.display:
                self.interrupted = True
            return
        lhs = part.lhs
        if c.sides[0] is None and lhs is None:
            lhs = self._continued(part)
            if lhs is None:
                self.rows.append(
                    AuditRow(
                        piece.line,
                        part.text,
                        "unreadable",
                        "a continuation row with no equation to continue (the prose between names "
                        "other quantities)",
                    )
                )
                return
        elif not part.lead:
            self.last = lhs
            if part.display:
                self.last_display = lhs
                self.interrupted = False
        steps = [
            Step(lhs, rel, rhs)
            for rel, rhs in zip(c.rels, c.sides[1:])
            if rel in CLAIM_RELS and rhs is not None
        ]
        if not steps:
            self.rows.append(
                AuditRow(piece.line, part.text, "no claim", "a relation other than =, \\approx, :=")
            )
            return
        for n, step in enumerate(steps):
            shown = part.text + (f"   [step {n + 1} of {len(steps)}]" if len(steps) > 1 else "")
            self.rows.append(self._verdict(piece.line, shown, step))

    def _continued(self, part: Part) -> Node | None:
        if part.display:
            return None if self.interrupted else self.last_display
        return self.last

    def _verdict(self, line: int, shown: str, step: Step) -> AuditRow:
        doc = self.doc
        scope = doc.scope
        numeric = written_as_number(scope, step.rhs)
        decimals = written_decimals(step.rhs) if numeric else None
        claim = Claim(latex=shown, source=f"line {line}", decimals=decimals or None)
        rewritten = Step(doc.rewrite(step.lhs), step.rel, doc.rewrite(step.rhs))
        try:
            check_size(shown, self.limits or DEFAULT_LIMITS)
            outcomes = self.judged(
                lambda: verify_steps(
                    doc.context(), claim, [rewritten], strict=False, local=doc.names
                ),
                claim,
            )
        except SymbackpropError as exc:
            return AuditRow(
                line,
                shown,
                "unreadable",
                doc.why_unknown([step.lhs, step.rhs]) or str(exc),
                lhs=step.lhs,
                rhs=step.rhs,
            )
        worst = min(outcomes, key=lambda o: Verdict(o.verdict).rank)
        cases = _cases(outcomes)
        if cases:  # a generic name whose case the prose states: neither verdict is the document's
            return AuditRow(
                line,
                shown,
                "undecided",
                f"{cases}; {_detail(worst, outcomes)}",
                worst.kind,
                step.lhs,
                step.rhs,
            )
        if worst.verdict == Verdict.UNREADABLE:
            why = doc.why_unknown([step.lhs, step.rhs])
            return AuditRow(
                line,
                shown,
                "unreadable",
                why or _detail(worst, outcomes),
                worst.kind,
                step.lhs,
                step.rhs,
            )
        if numeric and worst.kind == "equation":
            taken = self._numbers(line, shown, rewritten, worst)
            if taken is not None:
                return taken
        detail = _detail(worst, outcomes)
        if numeric and worst.verdict == Verdict.FAILS and doc.written:
            detail += self.rounded(claim, rewritten)
        return AuditRow(line, shown, worst.verdict, detail, worst.kind, step.lhs, step.rhs)

    def judged(self, work: Callable[[], list[Outcome]], claim: Claim) -> list[Outcome]:
        """One equation's outcomes under the limits; a worker stopped at one is undecided."""
        if self.limits is None:
            return work()
        warm(self.doc.scope)
        result = run_limited(work, self.limits)
        if isinstance(result, Exceeded):
            return [exceeded(claim, result.why)]
        return result.value

    def _numbers(self, line: int, shown: str, step: Step, outcome: Outcome) -> AuditRow | None:
        """A numeric equation on a name: record the number the document wrote for it, or take
        it as the document's value when the document fixes none of what it depends on."""
        doc = self.doc
        if step.lhs is None or sym_key(step.lhs) is None:
            return None
        try:
            res = doc.resolver()
            quantity, value = res.expr(step.lhs), res.expr(step.rhs)
        except SymbackpropError:
            return None
        if not value.is_number:
            return None
        if outcome.verdict != Verdict.UNDECIDED or "no value is given" not in outcome.remark:
            if quantity in scope_intermediates(doc):
                doc.written[quantity] = value
            return None
        doc.fixed[quantity] = value
        missing = outcome.remark.partition("no value is given for ")[2]
        return AuditRow(
            line,
            shown,
            "fixes",
            f"takes {doc.ctx.show(quantity)} = {decimal(value)} as the document's value for what "
            "follows: "
            f"it fixes no value for {missing}",
            "equation",
            step.lhs,
            step.rhs,
        )

    def rounded(self, claim: Claim, step: Step) -> str:
        doc = self.doc
        try:
            again = self.judged(
                lambda: verify_steps(
                    doc.context(rounded=True), claim, [step], strict=False, local=doc.names
                ),
                claim,
            )
        except SymbackpropError:
            return ""
        if all(o.verdict == Verdict.HOLDS for o in again):
            used = ", ".join(
                f"{doc.ctx.show(k)} = {decimal(v)}"
                for k, v in sorted(doc.written.items(), key=lambda kv: sp.default_sort_key(kv[0]))
            )
            return (
                f"; holds only with the document's rounded values ({used}), not with the exact ones"
            )
        return ""


def scope_intermediates(doc: DocumentScope) -> set[object]:
    return set(doc.scope.definitions)


def audit(ctx: Context, text: str, limits: Limits | None = DEFAULT_LIMITS) -> list[AuditRow]:
    """Every equation of a document, judged in order, each under ``limits``."""
    return Auditor(ctx, limits).run(text)


def _cases(outcomes: list[Outcome]) -> str:
    """When a generic name (w_z, b_z, p) holds for some of the parameters it may stand for and
    not for others, which: the document says in prose which case it means, and the audit cannot
    read prose, so the row is undecided with both lists (empty when the verdicts agree)."""
    if not all(o.generic for o in outcomes):
        return ""
    failed = [o.binding for o in outcomes if o.verdict == Verdict.FAILS]
    others = {v: [o.binding for o in outcomes if o.verdict == v] for v in ("holds", "undecided")}
    if not failed or not any(others.values()):
        return ""
    told = [f"{v} for {'; '.join(b)}" for v, b in others.items() if b]
    return f"{', '.join(told)}, does not hold for {'; '.join(failed)} (the case is stated in prose)"


def _detail(worst: Outcome, outcomes: list[Outcome]) -> str:
    bound = f" [{worst.binding}]" if worst.binding else ""
    count = f" ({len(outcomes)} bindings)" if len(outcomes) > 1 else ""
    what = f"{worst.kind} {worst.param}".strip()
    diagnosis = worst.diagnosis if worst.verdict != Verdict.HOLDS else worst.remark
    return f"{what}{bound}{count}" + (f": {diagnosis}" if diagnosis else "")


def summary(rows: list[AuditRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.status] = out.get(r.status, 0) + 1
    return dict(sorted(out.items()))


def shares(rows: list[AuditRow]) -> dict[str, int]:
    """Equations found, read (parsed), understood (judged, or a definition or number set up)."""
    found = [r for r in rows if r.status != "no claim"]
    read = [
        r
        for r in found
        if not (r.status == Verdict.UNREADABLE and r.detail.startswith("cannot read the LaTeX"))
    ]
    understood = [r for r in found if r.status in JUDGED + SET_UP]
    return {"found": len(found), "read": len(read), "understood": len(understood)}
