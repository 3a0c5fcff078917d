"""A notation's ``[aliases]``: extra LaTeX names for the network's quantities.

An alias is a LaTeX template (``$l``, ``$j``, ``$k``, with the notation's layer and unit
numbers) and a target, the canonical id it names, written with the same letters in the
network's own numbering (layer l from 1, unit j of layer l and k of layer l-1 from 1). A target
may use layer arithmetic, ``${l-1}`` or ``$l-1``: Mitchell's ``x_{ji}``, the input from unit i
into unit j, is ``'x_{$j$k}' = 'a${l-1}_$k'``, the activation of unit k of the layer below j.
The input layer's activations ``a0_k`` are the inputs ``x{k}``; with ``bias_unit`` the
activation of unit 0 of any layer that feeds another is the always-on unit (the constant 1).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from string import Template

from symbackprop.model.network import Network
from symbackprop.model.notation import Notation, layer_arithmetic

ACTIVATION = re.compile(r"a([0-9]+)_([0-9]+)")


def target_id(target: str, l: int, j: int, k: int) -> str:
    """The canonical id an alias target names for layer l, unit j and unit k of the layer below."""
    return Template(layer_arithmetic(target, l)).safe_substitute(l=l, j=j, k=k)


def unit_value(cid: str, notation: Notation, depth: int) -> str:
    """An activation id as the network names it: ``a0_k`` is the input ``x{k}``; with
    ``bias_unit``, ``a{m}_0`` (m below the output layer) is the always-on unit, ``one``."""
    match = ACTIVATION.fullmatch(cid)
    if match is None:
        return cid
    layer, unit = int(match.group(1)), int(match.group(2))
    if unit == 0:
        return "one" if notation.option("bias_unit") is not None and layer < depth else cid
    return f"x{unit}" if layer == 0 else cid


def alias_names(
    notation: Notation, net: Network, known: Callable[[str], bool]
) -> Iterator[tuple[str, str]]:
    """(an alias as LaTeX, the canonical id it names) for every layer and unit where the
    target is a quantity of the network (``known``)."""
    sizes, depth = net.spec.sizes, net.depth
    span = range(1, max(sizes) + 1)
    below = range(0 if notation.option("bias_unit") is not None else 1, max(sizes) + 1)
    for alias, target in notation.aliases.items():
        for l, j, k in itertools.product(range(1, depth + 1), span, below):
            if notation.layered and j > sizes[l]:  # no unit j in layer l
                continue
            cid = unit_value(target_id(target, l, j, k), notation, depth)
            if not (known(cid) or cid == "one"):
                continue
            if notation.layered:
                yield notation.fill(alias, net, l, j, k), cid
            else:
                yield Template(alias).safe_substitute(l=l, j=j, k=k), cid
