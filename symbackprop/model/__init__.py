"""The network as data: specs, activations, losses, the symbolic network and its notation.

Owns: ``NetworkSpec`` and the presets (``data/presets``), the activation and loss registries,
``build`` (the symbols and definitions of one network) and notation files (``data/notations``).
May import: ``symbackprop.errors`` and ``symbackprop.util`` only.
"""
