"""ringbench: a Numba-compiled simulator and benchmark suite for asynchronous SGD with heterogeneous workers."""

from importlib import metadata

from . import datasets, methods, oracles, plugin, problems, theory, timing
from .results import Result, load
from .simulation import Recording, simulate

try:
    __version__ = metadata.version("ringbench")
except metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = ["Recording", "Result", "__version__", "datasets", "load", "methods", "oracles", "plugin", "problems",
           "simulate", "theory", "timing"]
