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
"""

from numba import njit

from . import _cache

#: Flags for arithmetic kernels: reorder and fuse, but keep NaN/inf semantics.
REORDER_MATH = {"reassoc", "contract"}


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
        return _cache.enable(njit(nogil=True, fastmath=fastmath, error_model="numpy", _nrt=False)(function))

    return decorate if function is None else decorate(function)
