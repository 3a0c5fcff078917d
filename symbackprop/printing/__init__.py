"""LaTeX and repr printers in a paper's notation.

Owns: ``NotationPrinter`` (SymPy's ``LatexPrinter`` with the notation as a setting), the
rendered forms of a gradient, the index-form printer and ``srepr``.
May import: ``symbackprop.model``, ``symbackprop.backprop`` and the base modules.
"""
