"""Verifying hand derivations: the LaTeX reader, meaning, numeric checks, verdicts, diagnoses.

Owns: the lark grammar and reader, the resolver of names through a notation, claim types,
the one random-point sampler, verification steps and diagnoses, statements of calculus,
claims files, ``assert_derivation`` and the pytest plugin.
May import: ``model``, ``backprop``, ``printing`` and the base modules.
"""
