"""leaklint: find memory and resource leak patterns in Node.js code."""

# A constant, not importlib.metadata: reading the installed distribution's metadata cost
# ~25 ms of every start-up (a pre-commit hook pays it on every commit). It must equal
# `version` in pyproject.toml; tests/test_release.py checks that.
__version__ = "0.1.0"
