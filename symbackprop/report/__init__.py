"""Reports: one data model (frozen dataclasses), two renderers (HTML with KaTeX, LaTeX/PDF).

May import: ``audit`` and everything ``audit`` may import.
"""
