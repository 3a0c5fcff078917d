"""Free layer indices: a claim about layer l (and l-1, l+1, L) judged for every layer.

A notation that declares ``first_layer``, ``layer_index`` or ``last_layer`` is *layered*: the
layer letter (default l) of a claim is free over every layer, and the unit letters written
beside it (j, k) over every unit; a binding is judged only where every network name it
writes exists (δ^{l+1} is not defined at the last layer, w^l_{jk} not for j beyond layer l).
A ``\\sum_k`` without limits runs over the units for which the names it sums exist.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

import sympy as sp

from symbackprop.backprop.forms import ERROR
from symbackprop.verify.cases import case_split
from symbackprop.verify.keys import latex_key, name_key
from symbackprop.verify.nodes import BigSum, Frac, Partial, Prod, Script, Sym, walk
from symbackprop.verify.scope import MAX_BINDINGS, ResolveError, Scope
from symbackprop.verify.unitnames import fed_set, kronecker_letters

Binding = dict[str, int | str]


def layer_letter(scope: Scope) -> str:
    return scope.notation.option("layer_index") or "l"


def layer_range(scope: Scope) -> tuple[int, ...]:
    first = scope.notation.first_layer
    return tuple(range(first, first + scope.spec.depth + 1))


def unit_range(scope: Scope) -> tuple[int, ...]:
    sizes = scope.spec.sizes
    first = 0 if scope.notation.option("bias_unit") is not None else 1
    if scope.notation.option("numbering") == "network":
        return tuple(range(first, sum(sizes) + 1))
    return tuple(range(first, max(sizes) + 1))


def layer_units(scope: Scope, layer: int) -> tuple[int, ...]:
    """The numbers of a layer's units as the notation writes them (and 0, the always-on unit,
    with ``bias_unit``)."""
    first = sum(scope.spec.sizes[:layer]) if scope.notation.option("numbering") == "network" else 0
    zero = (0,) if scope.notation.option("bias_unit") is not None else ()
    return zero + tuple(range(first + 1, first + scope.spec.sizes[layer] + 1))


def set_units(scope: Scope, letter: str, unit: int, step: int = 1) -> list[int]:
    """The units a set of :data:`UNIT_SETS` names for j = ``unit``: those of the layer ``step``
    after j's (none past the output or before the input layer)."""
    depth = scope.spec.depth
    if letter in scope.indices:
        layers = [scope.indices[letter]]
    else:
        layers = [l for l in range(depth + 1) if unit in layer_units(scope, l)]
    if len(layers) != 1:
        raise ResolveError(
            f"the set of units of {letter}: the layer of unit {letter} = {unit} is not known in "
            "this notation; write the sum over the next layer's units"
        )
    layer = layers[0] + step
    if not 0 <= layer <= depth:
        return []
    biased = step < 0 and scope.spec.biases[layers[0] - 1]  # the always-on unit 0 feeds j
    return [v for v in layer_units(scope, layer) if v > 0 or biased]


def _feeds(scope: Scope, nodes: object, binding: Mapping[str, int | str]) -> bool:
    """Whether every ``\\sum_{k \\in Downstream(j)}`` (any set of :data:`UNIT_SETS`) of the
    claim names some unit for its j (Downstream(j) of an output unit names none)."""
    for node in walk(nodes):
        named = fed_set(node.over) if isinstance(node, BigSum) else None
        unit = binding.get(named[0]) if named is not None else None
        if named is None or not isinstance(unit, int):
            continue
        try:
            if not set_units(scope, named[0], unit, named[1]):
                return False
        except ResolveError:
            return False  # a unit of no one layer (the always-on unit 0): not this sum's j
    return True


def letter_range(scope: Scope, letter: str) -> tuple[int, ...]:
    """What a letter may stand for: a layer, the units of the layer the notation gives it
    (``indices``), or any unit."""
    if letter == layer_letter(scope):
        return layer_range(scope)
    if letter in scope.indices:
        return layer_units(scope, scope.indices[letter])
    return unit_range(scope)


def _excluded(scope: Scope) -> set[str]:
    notation = scope.notation
    out = {notation.option("last_layer") or "", notation.get("case") or ""}
    return out | set(scope.counts)


def names_letter(body: object, letter: str) -> bool:
    """Whether a script of some name below ``body`` writes ``letter``."""
    return any(isinstance(n, Sym) and letter in letters_of(n) for n in walk(body))


def letters_of(sym: Sym) -> list[str]:
    return [
        text
        for script in (sym.sub, sym.sup)
        if script is not None
        for typ, text in script.tokens
        if typ == "LETTER"
    ]


def _runs(items: tuple[tuple[str, object], ...]) -> Iterator[object]:
    """A product's factors, with a run of adjacent letters ending in a scripted one (net_{pj})
    joined into one name, as the resolver reads it."""
    run: list[Sym] = []
    for op, node in items:
        if not (isinstance(node, Sym) and node.kind == "letter"):
            yield from run
            run = []
            yield node
            continue
        if run and (op != "" or run[-1].end != node.start or run[-1].scripted):
            yield from run
            run = []
        run.append(node)
        if node.scripted:
            yield _joined(run)
            run = []
    yield from run


def _joined(run: list[Sym]) -> Sym:
    last = run[-1]
    if len(run) == 1:
        return last
    head = "".join(s.head for s in run)
    return Sym("letter", head, last.sub, last.sup, last.primes, run[0].start, last.end, last.text)


def named_syms(
    node: object, bound: frozenset[str] = frozenset()
) -> Iterator[tuple[Sym, frozenset[str]]]:
    """Every scripted name below ``node``, with the letters sums bind around it."""
    if isinstance(node, Prod):
        for item in _runs(node.items):
            yield from named_syms(item, bound)
        return
    if isinstance(node, BigSum):
        yield from named_syms(node.body, bound | {node.var})
        return
    if isinstance(node, Sym):
        if node.sub is not None or node.sup is not None:
            yield node, bound
        for script in (node.sub, node.sup):
            if script is not None and script.expr is not None:
                yield from named_syms(script.expr, bound)
        return
    if isinstance(node, tuple):
        for item in node:
            yield from named_syms(item, bound)
        return
    if hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            yield from named_syms(getattr(node, name), bound)


def layered_free(
    scope: Scope, nodes: list[object], fixed: Mapping[str, object]
) -> dict[str, tuple[int | str, ...]]:
    """The free layer letter and unit letters of a claim in a layered notation, with ranges."""
    found: dict[str, tuple[int | str, ...]] = {}
    if not scope.notation.layered:
        return {}
    skip = _excluded(scope) | set(fixed)
    for sym, bound in named_syms(tuple(nodes)):
        if not _is_network_name(scope, sym, bound):
            continue
        for letter in letters_of(sym):
            if letter in skip or letter in bound or letter in found:
                continue
            found[letter] = letter_range(scope, letter)
    _kronecker_layers(scope, nodes, found)
    for node in walk(tuple(nodes)):  # \sum_{k \in Downstream(j)} names the unit j
        named = fed_set(node.over) if isinstance(node, BigSum) else None
        if named is not None and named[0] not in skip and named[0] not in found:
            found[named[0]] = letter_range(scope, named[0])
    return found


def _kronecker_layers(
    scope: Scope, nodes: list[object], found: dict[str, tuple[int | str, ...]]
) -> None:
    """A free letter with no layer of its own (neither an index letter of the notation nor its
    declared layer letter) that a Kronecker delta pairs with an index letter compares units of
    that letter's layer (Bishop's ∂y_k/∂a_l = δ_{kl}: l is an output unit, as k is)."""
    declared = scope.notation.option("layer_index")
    for node in walk(tuple(nodes)):
        pair = kronecker_letters(node)
        for x, y in (pair, pair[::-1]) if pair is not None else ():
            if y in found and x in scope.indices and y not in scope.indices and y != declared:
                found[y] = letter_range(scope, x)


def _assignments(
    scope: Scope, letters: list[str], env: Mapping[str, int | str], wide: bool = False
) -> Iterator[dict[str, int]]:
    """Every way to give the letters of a name that ``env`` leaves open a number (``wide``:
    a unit letter over the units of every layer)."""
    open_letters = [x for x in dict.fromkeys(letters) if not isinstance(env.get(x), int)]
    ranges = [
        unit_range(scope) if wide and _widens(scope, x) else letter_range(scope, x)
        for x in open_letters
    ]
    for values in itertools.product(*ranges):
        yield dict(zip(open_letters, values))


def _widens(scope: Scope, letter: str) -> bool:
    """Whether a letter may stand for a unit of any layer when its own reading names nothing:
    a unit letter of the ``indices`` list, or l when the notation declares no layer letter."""
    if letter in scope.indices:
        return True
    return letter == layer_letter(scope) and "layer_index" not in scope.notation.options


def _exists(
    scope: Scope,
    sym: Sym,
    env: Mapping[str, int | str],
    letters: list[str],
    unconnected: bool = False,
) -> str:
    """ "name" when some value of the open letters names a quantity that exists (of the layers
    the notation gives the unit letters, else of any layer); "zero" when, with
    ``unconnected``, it names only weights that connect no units; else ""."""
    widen = any(_widens(scope, x) and not isinstance(env.get(x), int) for x in letters)
    zero = ""
    for wide in (False, True)[: 1 + widen]:
        for extra in _assignments(scope, letters, env, wide):
            full = {**scope.layer_env, **env, **extra}
            keys = [name_key(sym.head, sym.sub, sym.sup, full)]
            if sym.sup is not None:  # e_j^2: a power of e_j
                keys.append(name_key(sym.head, sym.sub, None, full))
            keys += [name_key(sym.head, sub, sym.sup, full) for sub in _without_case(scope, sym)]
            found = [scope.table[key] for key in keys if key in scope.table]
            if any(cid != "zero" for cid in found):
                return "name"  # a name that exists (a weight that connects no units does not)
            if unconnected and found:
                zero = "zero"
    return zero


def _without_case(scope: Scope, sym: Sym) -> list[Script | None]:
    """The subscript of a name that writes the case letter at one end (Bishop's y_{nk}),
    without it, when the spec has cases."""
    letter = scope.notation.get("case") or "i"
    if sym.sub is None or scope.net.case is None or letter in scope.indices:
        return []
    return [
        Script(rest, None, "") if rest else None for rest, _ in case_split(sym.sub.tokens, {letter})
    ]


def _is_network_name(scope: Scope, sym: Sym, bound: frozenset[str]) -> bool:
    skip = _excluded(scope) - {layer_letter(scope)}
    letters = [x for x in letters_of(sym) if x not in skip]
    return bool(letters) and bool(_exists(scope, sym, {}, letters))


def _denominators(node: object) -> Iterator[Sym]:
    """The names a claim differentiates by (the D of every ∂N/∂D)."""
    if isinstance(node, Frac) and isinstance(node.den, Partial):
        yield from (sym for sym, _ in named_syms(node.den.body))
    if isinstance(node, tuple):
        for item in node:
            yield from _denominators(item)
    elif hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            yield from _denominators(getattr(node, name))


def defined(scope: Scope, nodes: list[object], binding: Mapping[str, int | str]) -> bool:
    """Whether every network name the claim writes exists under ``binding`` (letters a sum
    binds may take any value). A unit differentiated by (∂net_k/∂o_j) is a unit with a net
    input: the input layer, named as activations (o_1, a^1_k), is not one."""
    skip = _excluded(scope) - {layer_letter(scope)}
    for sym in _denominators(tuple(nodes)):
        letters = [x for x in letters_of(sym) if x not in skip and x in binding]
        full = {**scope.layer_env, **binding}
        key = name_key(sym.head, sym.sub, sym.sup, full)
        if letters and (key in scope.input_aliases or scope.table.get(key) == "one"):
            return False  # nor is the always-on input x_0 = 1 a quantity to differentiate by
    for sym, bound in named_syms(tuple(nodes)):
        letters = [x for x in letters_of(sym) if x not in skip]
        if not letters or not any(x in binding for x in letters):
            continue
        if not _is_network_name(scope, sym, bound):
            continue
        open_letters = [x for x in letters if x not in binding]
        if not _exists(scope, sym, binding, open_letters):
            return False
    return _feeds(scope, tuple(nodes), binding)


def layered_bindings(
    scope: Scope, nodes: list[object], free: Mapping[str, tuple[int | str, ...]]
) -> tuple[list[Binding], int]:
    """The bindings of the free letters where the claim is defined, and how many were
    skipped. A unit letter takes the units of its layer; when that reading names nothing
    (but the always-on unit 0), the units of every layer (Mitchell's i of ``w_{ji}`` for an
    output unit j)."""
    keys = list(free)
    kept, skipped = _defined_bindings(scope, nodes, free)
    units = [k for k in keys if k in scope.indices]
    if units and not any(all(b[k] != 0 for k in units) for b in kept):
        wide = {k: unit_range(scope) if k in units else v for k, v in free.items()}
        kept, skipped = _defined_bindings(scope, nodes, wide)
    if keys and not kept:
        raise ResolveError(
            f"no binding of the free indices {', '.join(keys)} names quantities that exist in "
            "this network"
        )
    return kept, skipped


def _defined_bindings(
    scope: Scope, nodes: list[object], free: Mapping[str, tuple[int | str, ...]]
) -> tuple[list[Binding], int]:
    keys = list(free)
    kept: list[Binding] = []
    skipped = 0
    for combo in itertools.product(*(free[k] for k in keys)):
        binding: Binding = dict(zip(keys, combo))
        if not defined(scope, nodes, binding):
            skipped += 1
            continue
        kept.append(binding)
        if len(kept) > MAX_BINDINGS:
            raise ResolveError(
                f"the free indices {', '.join(keys)} have more than {MAX_BINDINGS} bindings; "
                "give --bind"
            )
    return kept, skipped


def sum_units(scope: Scope, body: object, var: str, env: Mapping[str, int | str]) -> list[int]:
    """The values of a sum's index for which every name of the body that it indexes exists:
    the units of the layer the notation gives the letter, or, when none of those (but the
    always-on unit 0) has them, of any layer (Mitchell's ``\\sum_i w_{ji} x_{ji}`` for an
    output unit j runs over the hidden units)."""
    syms = [
        (sym, bound)
        for sym, bound in named_syms(body)
        if var in letters_of(sym) and _is_network_name(scope, sym, bound)
    ]
    if not syms:
        return []
    values = _units_naming(scope, syms, var, env, letter_range(scope, var))
    if not values and _widens(scope, var) and var not in scope.indices:  # Bishop's \sum_l w_{lj}
        values = _units_naming(scope, syms, var, env, unit_range(scope))
    if var in scope.indices and not any(values):
        values = _units_naming(scope, syms, var, env, unit_range(scope))
    if not values and var not in scope.indices:  # w_{jk} transposed: the units of δ_k, each 0
        values = _units_naming(scope, syms, var, env, unit_range(scope), unconnected=True)
    return values


def _units_naming(
    scope: Scope,
    syms: list[tuple[Sym, frozenset[str]]],
    var: str,
    env: Mapping[str, int | str],
    candidates: tuple[int, ...],
    unconnected: bool = False,
) -> list[int]:
    """The candidates for which every name exists (``unconnected``: or is a weight that
    connects no units, 0, as long as one name exists)."""
    skip = _excluded(scope) - {layer_letter(scope)}
    values = []
    for v in candidates:
        here = {**env, var: v}
        found = [
            _exists(
                scope,
                sym,
                here,
                [x for x in letters_of(sym) if x not in skip and x not in here],
                unconnected,
            )
            for sym, _ in syms
        ]
        if all(found) and (not unconnected or any(f == "name" for f in found)):
            values.append(v)
    return values


def index_layer(scope: Scope, body: object, var: str, env: Mapping[str, int | str]) -> int | None:
    """The layer a sum's letter belongs to when the notation does not name it: the largest
    layer whose units 1..n, given to the letter, name quantities in every name of the body
    that the letter indexes (Maren's ``\\sum_q v_{h,q}``: the output layer)."""
    syms = [sym for sym, _ in named_syms(body) if var in letters_of(sym)]
    sizes = scope.spec.sizes

    def names(v: int) -> bool:
        full = {**scope.layer_env, **env, var: v}
        return all(
            name_key(sym.head, sym.sub, sym.sup, full) in scope.table
            or (sym.sup is not None and name_key(sym.head, sym.sub, None, full) in scope.table)
            for sym in syms
        )

    fits = [l for l, n in enumerate(sizes) if syms and all(names(v) for v in range(1, n + 1))]
    return max(fits, key=lambda l: sizes[l]) if fits else None


def layer_named(scope: Scope, head: str) -> int | None:
    """In a layered notation, the layer a function symbol names when it is applied to a plain
    variable (Bishop's h(a): the hidden layers' activation), if that is one activation."""
    if not scope.notation.layered:
        return None
    net, default = scope.net, scope.notation.get("function") or ""
    layers = [
        l
        for l in range(1, net.depth + 1)
        if latex_key(scope.notation.function_symbol(l, net) or default) == head
    ]
    kinds = {(scope.spec.activations[l - 1], scope.spec.gains[l - 1]) for l in layers}
    return layers[0] if len(kinds) == 1 else None


def error_by_unit(scope: Scope, num: sp.Expr, den: sp.Expr) -> sp.Expr | None:
    """∂E/∂z and ∂E/∂a of a hidden unit (of one case), by the delta recursion, when ``num`` is
    that error: the same value as expanding E, far smaller."""
    net = scope.net
    if num != (scope.e_case if net.case is not None else ERROR):
        return None
    for cid, (l, j) in scope.deltas.items():
        if den == net.z[l][j - 1]:
            return scope.delta_values[cid]
        if den == net.a[l][j - 1] and l < net.depth:
            return sp.Add(
                *[
                    net.param(f"w{l + 1}_{m}_{j}").symbol * scope.delta_values[f"d{l + 1}_{m}"]
                    for m in range(1, len(net.z[l + 1]) + 1)
                ]
            )
    return None
