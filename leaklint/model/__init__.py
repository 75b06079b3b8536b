"""The model layer: plain data every other layer shares — findings, settings, per-file results.

Imports nothing of leaklint's above it (enforced by the import-linter contract in pyproject.toml).
"""
