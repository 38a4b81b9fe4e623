"""ringbench: a Numba-compiled simulator and benchmark suite for asynchronous SGD with heterogeneous workers."""

from . import datasets, methods, plugin, problems, theory, timing
from .results import Result, load
from .simulation import Recording, simulate


def __getattr__(name):
    # importlib.metadata costs 50 ms to import: look the version up only when asked.
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("ringbench")
        except metadata.PackageNotFoundError:  # running from a source tree without installing
            return "0+unknown"
    raise AttributeError(f"module 'ringbench' has no attribute {name!r}")

__all__ = ["Recording", "Result", "__version__", "datasets", "load", "methods", "plugin", "problems", "simulate",
           "theory", "timing"]
