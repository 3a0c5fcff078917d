"""Auditing a whole document: its scope (local names, numbers, where clauses) and the auditor.

May import: ``verify`` and everything ``verify`` may import.
"""
