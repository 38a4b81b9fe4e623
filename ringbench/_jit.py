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
* Inner kernels (``inner=True``: the engine's primitives, which take the whole
  simulation state and run only inside the event loop) are compiled without the
  wrappers numba builds so that Python can call a function. For a namedtuple of some
  forty arrays those wrappers are large: leaving them out cut the cold compile of
  Ringmaster and ASGD from 26.8 s to 21.6 s CPU. Called from Python, an inner kernel
  raises TypeError (numba itself would crash).
* A constant argument (an action code, a stream number) is typed as a plain integer,
  not as a literal of its value: numba would compile one specialisation per value
  (three of the event logger, two of each random stream's key).
* With ``NUMBA_DISABLE_JIT=1`` (set before Python starts) kernels stay plain Python
  functions, for stepping through a rule in a debugger or measuring line coverage.
"""

from numba import config, njit, types
from numba.core.registry import CPUDispatcher

from . import _cache

#: Flags for arithmetic kernels: reorder and fuse, but keep NaN/inf semantics.
REORDER_MATH = {"reassoc", "contract"}

#: The numba options of every kernel (plug-in kernels included, see :func:`plugin_kernel`).
OPTIONS = {"nogil": True, "error_model": "numpy", "_nrt": False}


class _Kernel(CPUDispatcher):
    """A kernel that compiles one specialisation for all values of a constant argument."""

    def get_call_template(self, args, kws):
        # numba types a constant argument (an action code, a stream number) as a literal
        # of its value and compiles one specialisation per value; no kernel branches on
        # an argument's value at compile time.
        return super().get_call_template(tuple(types.unliteral(arg) for arg in args),
                                         {name: types.unliteral(arg) for name, arg in kws.items()})


class _InnerKernel(_Kernel):
    """A kernel compiled without its Python entry point: called from Python it raises instead of crashing."""

    def __call__(self, *args, **kwargs):
        raise TypeError(f"{self.py_func.__qualname__} is an inner kernel of ringbench's engine: it can only be "
                        "called from other kernels (a method's rule, the event loop), not from Python")


def kernel(function=None, *, fastmath=False, inner=False):
    """Compile ``function`` in nopython mode with ringbench's numba options.

    Parameters
    ----------
    function : callable, optional
        The function to compile. When omitted, return a decorator.
    fastmath : bool or set of str, default False
        Passed to :func:`numba.njit`. Use :data:`REORDER_MATH` for kernels whose
        results may differ in the last bits from a sequential sum.
    inner : bool, default False
        Compile without the wrappers that let Python call the kernel (faster to
        compile); only other kernels can call it.
    """
    def decorate(function):
        if config.DISABLE_JIT:
            return function
        options = {"nopython": True, "fastmath": fastmath, **OPTIONS}
        if not inner:
            return _cache.enable(_Kernel(py_func=function, locals={}, targetoptions=options))
        options.update(no_cpython_wrapper=True, no_cfunc_wrapper=True)
        return _cache.enable(_InnerKernel(py_func=function, locals={}, targetoptions=options))

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
