"""The vocabulary of a notation's vector and matrix forms (``symbackprop verify``): the kinds of
quantity a ``[matrices]`` or ``[example_matrices]`` name may stand for, and the orientation keys
with their values. See docs/verify.md, "Vector and matrix forms"."""

from __future__ import annotations

# The values the shape keys take (the first is the default): W^l is n_l x n_{l-1} ("out-in")
# or its transpose; a layer's vector is a column or a row; a batch has its examples as
# columns or rows (the input layer's number is the notation's first_layer).
SHAPE_KEYS: dict[str, tuple[str, ...]] = {
    "weight_orientation": ("out-in", "in-out"),
    "vectors": ("column", "row"),
    "batch": ("columns", "rows"),
}
# The quantities a matrix name may stand for: a layer's activations, net inputs, biases,
# weights, error signals dE/dz (delta) and the gradients dE/da, dE/dW, dE/db; the input, the
# target and the net's output (no $l).
MATRIX_KINDS = (
    "activation",
    "net",
    "bias",
    "weight",
    "delta",
    "dactivation",
    "dweight",
    "dbias",
    "input",
    "target",
    "output",  # the output layer's activations (Ng's a in da = -y/a + ...)
    "weight_vector",  # every weight of the net in one vector (Goodfellow's w)
    "parameter_vector",  # every parameter in one vector (theta)
)
# The tables of matrix names: a batch's matrices (with a mean over cases, a layer's
# quantities of all examples), and one training example's vectors (Nielsen's a^l, delta^l).
MATRIX_TABLES = ("matrices", "example_matrices")
