"""One decorator for every jitted kernel, so all share the same numba options.

Event-loop code must compare floating-point times exactly, so ``fastmath`` is off
by default; the gradient kernels opt into the two flags that only reorder
arithmetic (``reassoc``, ``contract``), which keeps NaN and inf semantics intact
for divergence detection. ``cache=True`` writes compiled code next to the source
(or to ``NUMBA_CACHE_DIR``), so only the first process on a machine compiles.
"""

from numba import njit

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
    decorate = njit(cache=True, nogil=True, fastmath=fastmath, error_model="numpy")
    return decorate if function is None else decorate(function)
