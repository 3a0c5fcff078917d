"""Backpropagation, derived exactly: the three forms of every gradient, index form, evaluation.

Owns: the chain, delta and compact forms of each dE/dparameter (``forms``), the generic
index-form derivation (``indexform``) and exact numeric evaluation (``evaluate``).
May import: ``symbackprop.model`` and the base modules.
"""
