"""leaklint: find memory and resource leak patterns in Node.js code."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("leaklint")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
