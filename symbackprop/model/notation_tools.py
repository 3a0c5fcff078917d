"""Tools for writing a notation file: a table of every quantity, a lint with fixes, a starter.

``symbackprop notation show|check|new`` (:mod:`symbackprop.cli.notation`) prints what these
return.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbackprop.errors import NotationError
from symbackprop.model.network import Network, build
from symbackprop.model.notation import OPTION_KEYS, Notation, normalise
from symbackprop.model.spec import NetworkSpec, spec_from_dict

# the network `notation check` lints against without --spec: every layer a different size,
# two hidden layers, so that a swapped $j/$k or a missing $l shows as a collision
CHECK_SIZES = [2, 3, 4, 2]

KINDS = {
    "w": "weight",
    "b": "bias",
    "z": "net input",
    "a": "activation",
    "d": "delta (error signal)",
    "x": "input",
    "y": "target",
    "o": "output",
    "e": "error term",
}
SINGLE = {
    "alpha": "sigmoid gain",
    "eta": "learning rate",
    "i": "case index",
    "n": "number of cases",
    "E": "error (objective)",
    "E_case": "error of one case",
    "lambda": "L2 penalty",
}


@dataclass(frozen=True)
class Finding:
    """One problem of a notation file and how to fix it."""

    problem: str
    fix: str
    warning: bool = False  # the reader takes both names; only a printed formula may mix them

    def __str__(self) -> str:
        label = "warning: " if self.warning else ""
        return f"{label}{self.problem}\n    fix: {self.fix}"


def check_network(spec: NetworkSpec | None) -> Network:
    if spec is not None:
        return build(spec)
    return build(spec_from_dict({"layers": CHECK_SIZES}, where="notation check"))


def describe(cid: str) -> str:
    """What a canonical id is, in words: w2_1_3 -> 'weight, layer 2, unit 1 from unit 3'."""
    if cid in SINGLE:
        return SINGLE[cid]
    kind = KINDS.get(cid[0], cid)
    parts = cid[1:].split("_")
    if cid[0] in "wbzad" and parts[0].isdigit():
        where = f"layer {parts[0]}, unit {parts[1]}"
        return f"{kind}, {where}" + (f" from unit {parts[2]}" if len(parts) > 2 else "")
    return f"{kind} {cid[1:]}"


def quantities(notation: Notation, net: Network) -> list[tuple[str, str, str]]:
    """(canonical id, what it is, LaTeX) for every quantity of the network."""
    names = {
        **notation.symbol_names(net),
        **notation.delta_names(net),
    }
    skip = set() if net.gain is not None else {"alpha"}
    if net.case is None:
        skip |= {"i", "n", "E_case"}
    if net.penalty is None:
        skip.add("lambda")
    rows = [(cid, describe(cid), latex) for cid, latex in names.items() if cid not in skip]
    for cid, latex in notation.input_names(net).items():
        rows.append((cid, describe(cid) + " (as a layer activation)", latex))
    for l in range(1, net.depth + 1):
        symbol = notation.function_symbol(l, net) or notation.get("function") or ""
        rows.append((f"f{l}", f"activation function, layer {l}", symbol))
    return rows


def show(notation: Notation, net: Network) -> str:
    rows = quantities(notation, net)
    width = max(len(r[0]) for r in rows)
    what = max(len(r[1]) for r in rows)
    lines = [f"notation {notation.name} on a {'-'.join(map(str, net.spec.sizes))} network"]
    lines.append(f"{'id':<{width}}  {'quantity':<{what}}  LaTeX")
    lines += [f"{cid:<{width}}  {desc:<{what}}  {latex}" for cid, desc, latex in rows]
    return "\n".join(lines)


def check(notation: Notation, net: Network) -> list[Finding]:
    """Collisions, two names for one quantity, and letters that clash."""
    try:
        notation.symbol_names(net)
    except NotationError as exc:
        return [Finding(str(exc), "give each quantity its own template (use $j, $k, $l)")]
    return [
        *_collisions(notation, net),
        *_two_names(notation, net),
        *_letters(notation),
        *_case_letters(notation),
    ]


def _collisions(notation: Notation, net: Network) -> list[Finding]:
    seen: dict[str, str] = {}
    out = []
    rows = quantities(notation, net)
    same = {(f"o{j}", f"a{net.depth}_{j}") for j in range(1, net.spec.sizes[-1] + 1)}
    same |= {(f"x{k}", f"x{k}") for k in range(1, net.spec.sizes[0] + 1)}
    for cid, _, latex in rows:
        if cid.startswith("f") or not latex:
            continue
        other = seen.setdefault(normalise(latex), cid)
        if other != cid and (other, cid) not in same and (cid, other) not in same:
            out.append(
                Finding(
                    f"{describe(other)} ({other}) and {describe(cid)} ({cid}) both print {latex}",
                    f"make the template of {cid} differ (add $l, $j or $k), or rename one under "
                    f"[names] ({cid} = '...')",
                )
            )
    return out


def _two_names(notation: Notation, net: Network) -> list[Finding]:
    out = []
    names = notation.symbol_names(net)
    L = net.depth
    if "output" in notation.top and names["o1"] != names[f"a{L}_1"]:
        out.append(
            Finding(
                f"the output has two names: {names['o1']} (output) and {names[f'a{L}_1']} "
                f"(the last layer's activation)",
                f"set [layers.{L}] activation = '{notation.top['output']}', or drop 'output'",
                warning=True,
            )
        )
    inputs = notation.input_names(net)
    if inputs and normalise(inputs["x1"]) != normalise(names["x1"]):
        out.append(
            Finding(
                f"the input has two names: {names['x1']} (input) and {inputs['x1']} (the "
                "activation of the input layer); the reader takes both, the printer the first",
                "the input layer takes [layer]'s activation template (there is no [layers.0]): "
                f"set [layer] activation = '{input_template(notation)}' and give the other layers "
                "theirs in [layers.N], or accept both spellings",
                warning=True,
            )
        )
    return out


def _letters(notation: Notation) -> list[Finding]:
    out = []
    layer = notation.option("layer_index") or "l"
    last = notation.option("last_layer")
    if notation.layered and last == layer:
        out.append(
            Finding(
                f"layer_index and last_layer are both {layer!r}",
                "use l for a free layer and L for the last one",
            )
        )
    if notation.layered and layer in notation.letters("indices"):
        out.append(
            Finding(
                f"the layer letter {layer!r} is also a unit letter in 'indices'",
                "choose another layer_index, or drop it from 'indices'",
            )
        )
    for key in ("case", "learning_rate"):
        if notation.layered and notation.get(key) in (layer, last):
            out.append(
                Finding(
                    f"'{key}' is {notation.get(key)!r}, a layer letter",
                    f"give '{key}' another letter",
                )
            )
    return out


def _case_letters(notation: Notation) -> list[Finding]:
    """The case letters (given or the defaults i, n) against a layered notation's free letters
    and the heads of its names."""
    out = []
    heads = notation.name_heads()
    for key in ("case", "cases"):
        letter = notation.get(key)
        given = key in notation.top
        if letter in heads:
            out.append(
                Finding(
                    f"'{key}' is {letter!r}{'' if given else ' (the default)'}, also the head "
                    "of a quantity's name",
                    f"set '{key}' to the letter the text uses for the training examples",
                    warning=True,
                )
            )
        elif key == "case" and notation.layered and not given:
            out.append(
                Finding(
                    f"'case' is {letter!r} by default: in a claim {letter} is then the case, "
                    "never a free unit letter",
                    "set 'case' to the letter the text uses for the training examples",
                    warning=True,
                )
            )
    return out


STARTER = """\
# Notation file for {name}: how the text writes each quantity.
# Check it with:  symbackprop notation check {name}.toml --spec 2-3-2
# See it with:    symbackprop notation show {name}.toml --spec 2-3-2
# Templates: $l layer, $j unit of that layer, $k unit of the layer before ($l-1, $l+1 allowed).
name = "{name}"
description = "{name}: what the text calls each quantity"
function = '\\sigma'         # the activation function's symbol
learning_rate = '\\eta'
error = 'E'                  # the objective; with --mean, the mean over cases
case_error = 'E_{{$i}}'        # the error of one case
input = 'x_{{$k}}'
target = 'y_{{$j}}'
# output = 'y_{{$j}}'        # the output's own name, if it differs from the last activation
# residual = 'target-output' # how dE/do is written: -(y - o), or 'output-target': (o - y)
# penalty = '\\lambda'        # lambda of an L2 penalty (a spec with l2 = ...)
# penalty_function = '\\Omega' # the penalty written lambda Omega(theta), Omega = 1/2 sum w^2
# data_error = 'J'           # J(w; X, y), with its data after ';': the error without penalty
# upstream = 'g'             # the running gradient of a backward pass written as an algorithm

# Free layer index (verify judges a claim with l for every layer where it is defined):
# first_layer = 0            # the input layer's number (Nielsen: 1)
# layer_index = 'l'          # the letter of a free layer
# last_layer = 'L'           # the letter of the output layer
# delta_sign = '+'           # '+': delta = dE/dz; '-': delta = -dE/dz (Rumelhart et al.)
# numbering = 'layer'        # 'network': units numbered through the whole net (w_{{ji}})
# bias_unit = 0              # a bias is the weight w_{{j0}} from an always-on unit 0; set
#                            # bias = 'w_{{${{j}}0}}' in [layer] too, so that it prints so
# indices = ['i', 'j', 'k']  # letters tied to the units of each layer, input first
# sizes = ['d', 'n_{{H}}', 'c'] # each layer's number of units, as a sum's upper limit
# size = 'N_{{$l}}'          # a layer's size: \\sum_{{j=1}}^{{N_{{l-1}}}} under a free layer l

[layer]                      # every layer (the input layer too); [layers.2] overrides one
weight = 'w^{{($l)}}_{{$j$k}}'   # to unit j of layer l from unit k of layer l-1
bias = 'b^{{($l)}}_{{$j}}'
net = 'z^{{($l)}}_{{$j}}'
activation = 'a^{{($l)}}_{{$j}}'
delta = '\\delta^{{($l)}}_{{$j}}'
# function = 'g^{{[$l]}}'     # a function symbol per layer
"""


def starter(name: str) -> str:
    if not (name.isascii() and name.replace("-", "").replace("_", "").isalnum()):
        raise NotationError(
            f"notation name {name!r:.40} must be letters, digits, - or _ (it names the file)"
        )
    return STARTER.format(name=name)


__all__ = ["OPTION_KEYS", "Finding", "check", "check_network", "quantities", "show", "starter"]


def input_template(notation: Notation) -> str:
    """The notation's input template written in a layer's unit letter ($k -> $j)."""
    return (notation.get("input") or "x_{$k}").replace("$k", "$j")
