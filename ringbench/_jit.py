"""One decorator for every jitted kernel, so all share the same numba options.

* On-disk cache: compiled code is written next to the source (or to
  ``NUMBA_CACHE_DIR``), so only the first process on a machine compiles. It is
  numba's cache stamped with a digest of the jitted core's sources (:mod:`._cache`),
  because numba's own stamp misses edits to callees in other files.
* ``_nrt=False``: kernels never allocate; every array comes from Python. Without
  numba's reference-counting runtime, handing a namedtuple of arrays (the
  simulation state) to a function costs nothing; with it, every call increfs and
  decrefs each array inside, measured at about 4 ns per array per call, which made
  a cancelled job cost 0.7 us instead of 0.1 us.
* ``fastmath`` is off by default: the event loop compares floating-point times
  exactly. Gradient kernels opt into :data:`REORDER_MATH`, which only reorders and
  fuses arithmetic and keeps NaN/inf semantics for divergence detection.
* With ``NUMBA_DISABLE_JIT=1`` (set before Python starts) kernels stay plain Python
  functions, for stepping through a rule in a debugger or measuring line coverage.
"""

from numba import config, njit

from . import _cache

#: Flags for arithmetic kernels: reorder and fuse, but keep NaN/inf semantics.
REORDER_MATH = {"reassoc", "contract"}

#: The numba options of every kernel (plug-in kernels included, see :func:`plugin_kernel`).
OPTIONS = {"nogil": True, "error_model": "numpy", "_nrt": False}


def kernel(function=None, *, fastmath=False):
    """Compile ``function`` in nopython mode with ringbench's numba options.

    Parameters
    ----------
    function : callable, optional
        The function to compile. When omitted, return a decorator.
    fastmath : bool or set of str, default False
        Passed to :func:`numba.njit`. Use :data:`REORDER_MATH` for kernels whose
        results may differ in the last bits from a sequential sum.
    """
    def decorate(function):
        if config.DISABLE_JIT:
            return function
        return _cache.enable(njit(fastmath=fastmath, **OPTIONS)(function))

    return decorate if function is None else decorate(function)


def plugin_kernel(function=None, *, fastmath=False):
    """Compile a user's plug-in kernel with ringbench's numba options (no on-disk cache of its own).

    A plug-in's kernels are compiled into the event loop that uses them, and that loop
    is cached as a whole (:mod:`ringbench.engine.plugins`), so they need no cache.
    """
    def decorate(function):
        if config.DISABLE_JIT:
            return function
        return njit(fastmath=fastmath, **OPTIONS)(function)

    return decorate if function is None else decorate(function)
