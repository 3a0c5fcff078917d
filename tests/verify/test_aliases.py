"""Alias targets with layer arithmetic and the always-on unit (symbackprop/verify/aliases.py)."""

from __future__ import annotations

from symbackprop.model.notation import load_notation
from symbackprop.verify.aliases import target_id, unit_value


def test_target_takes_layer_arithmetic_in_both_spellings() -> None:
    assert target_id("a${l-1}_$k", 2, 1, 3) == "a1_3"
    assert target_id("a$l-1_$k", 2, 1, 3) == "a1_3"
    assert target_id("w${l}_${j}_${k}", 2, 1, 3) == "w2_1_3"


def test_input_layer_activation_is_the_input_and_unit_zero_the_constant() -> None:
    mitchell, nielsen = load_notation("mitchell"), load_notation("nielsen")
    assert unit_value("a0_2", mitchell, 2) == "x2"
    assert unit_value("a1_0", mitchell, 2) == "one"  # the threshold's input x_{j0} = 1
    assert unit_value("a2_0", mitchell, 2) == "a2_0"  # the output layer feeds no unit
    assert unit_value("a1_0", nielsen, 2) == "a1_0"  # no bias_unit: no unit 0
    assert unit_value("w1_1_0", mitchell, 2) == "w1_1_0"
