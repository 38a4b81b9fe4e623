"""ringbench: a Numba-compiled simulator and benchmark suite for asynchronous SGD with heterogeneous workers.

The names below load on first use (PEP 562), so ``import ringbench`` and the command
line's ``--help`` start without numba, scipy or matplotlib; ``ringbench.simulate``
imports the simulator when it is first looked up.
"""

import importlib

#: Submodules reachable as attributes of the package.
_SUBMODULES = ("datasets", "methods", "oracles", "plugin", "problems", "theory", "timing")
#: Other public names, by the submodule that defines them.
_DEFINED_IN = {"Result": "results", "load": "results", "Recording": "simulation", "simulate": "simulation"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _DEFINED_IN:
        value = getattr(importlib.import_module(f".{_DEFINED_IN[name]}", __name__), name)
        globals()[name] = value  # looked up once
        return value
    # importlib.metadata costs 50 ms to import: look the version up only when asked.
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("ringbench")
        except metadata.PackageNotFoundError:  # running from a source tree without installing
            return "0+unknown"
    raise AttributeError(f"module 'ringbench' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = ["Recording", "Result", "__version__", "datasets", "load", "methods", "oracles", "plugin", "problems",
           "simulate", "theory", "timing"]
