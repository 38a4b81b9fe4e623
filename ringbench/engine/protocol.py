"""The plug-in points: the only calls from the jitted engine into methods, problems and timing models.

The engine sees a method, a problem and a timing model only as namedtuples of arrays
and scalars (their *data*), and calls four functions on them:

=====================================================  ==================================
call                                                   provided by
=====================================================  ==================================
``on_arrival(rule, sim, problem, worker)``             a method: its server rule
``stochastic_gradient(problem, key, point, worker,     a problem: worker's stochastic
job, out)``                                            gradient of its ``job``-th job
``metrics(problem, x) -> (objective, grad_norm2)``     a problem: exact metrics
``finish_time(timing, key, worker, job, start)``       a timing model
``extra_metric(problem, x) -> float`` (optional)       a problem: a third checkpoint
                                                       metric (NaN if none registered)
``factor_gradient(problem, key, point, worker, job,    a problem (optional, with
factors, scratch)`` and ``descend_factored(problem,    ``Problem.factor_size``): a job's
factors, scale, x, scratch) -> ||g||^2``               gradient in a compact form, and
                                                       x -= scale * g from that form
=====================================================  ==================================

Each call is resolved when numba compiles it, from the class of its first argument:
a module registers its kernels for its own namedtuple class (:func:`register`), and
numba compiles one specialisation of the event loop per combination of classes. No
function travels at run time, so the compiled loop stays in numba's on-disk cache,
and an unregistered class is a compile-time error naming the class, never another
method's rule. With ``NUMBA_DISABLE_JIT=1`` the same calls dispatch in Python.

``extra_metric`` is called right after ``metrics`` at the same ``x`` (so it may
return something ``metrics`` computed, e.g. a network's accuracy); the Python
problem names it (``Problem.extra_metric``).

``metrics`` returns f(x) - f* where the problem knows f*, else f(x); the Python
problem says which (``Problem.f_star``).

``factor_gradient`` writes the same gradient ``stochastic_gradient`` would, at the same
``point``, as ``Problem.factor_size`` numbers in ``factors`` (a network's minibatch
gradient: the minibatch and the first layer's deltas instead of W1's dense block);
``descend_factored`` applies it to ``x`` and returns its squared norm. ``scratch`` has
d entries for either to use. A method that applies each gradient once, on arrival
(``Configuration.gradients_at_start``), then has its jobs' gradients evaluated when they
start, on the iterate in cache, and keeps no stale iterates (:mod:`.actions`).
"""

import functools

import numpy as np
from numba import config as numba_config
from numba import njit, types
from numba.core.dispatcher import Dispatcher
from numba.core.typing.templates import infer, infer_global, make_overload_template
from numba.extending import overload

from .._jit import OPTIONS

#: Registered kernels: ``_IMPLEMENTATIONS[call][data class] = kernel``.
_IMPLEMENTATIONS = {"on_arrival": {}, "stochastic_gradient": {}, "metrics": {}, "finish_time": {}, "extra_metric": {},
                    "factor_gradient": {}, "descend_factored": {}}


def register(call, data_class, implementation):
    """Make ``implementation`` the kernel of ``call`` for data of class ``data_class``.

    Parameters
    ----------
    call : {'on_arrival', 'stochastic_gradient', 'metrics', 'finish_time', 'extra_metric', 'factor_gradient', \
'descend_factored'}
        The plug-in point.
    data_class : type
        A :class:`typing.NamedTuple` class: the method's rule parameters, the
        problem's data or the timing model's data.
    implementation : numba dispatcher
        A jitted function with the call's signature (see the module docstring).
    """
    if call not in _IMPLEMENTATIONS:
        raise ValueError(f"call must be one of {', '.join(_IMPLEMENTATIONS)}, got {call!r}")
    if not (isinstance(data_class, type) and issubclass(data_class, tuple) and hasattr(data_class, "_fields")):
        raise TypeError(f"{call}: data_class must be a typing.NamedTuple class, got {data_class!r}")
    if not (isinstance(implementation, Dispatcher) or numba_config.DISABLE_JIT and callable(implementation)):
        name = getattr(implementation, "__qualname__", repr(implementation))
        where = getattr(getattr(implementation, "__code__", None), "co_filename", None)
        raise TypeError(f"the {call} kernel {name}{f' ({where})' if where else ''} is not compiled: decorate it "
                        f"with @plugin.kernel, below @implements({call!r}, ...)")
    _IMPLEMENTATIONS[call][data_class] = implementation


def implements(call, data_class):
    """Decorator form of :func:`register`: ``@implements("metrics", MyData)`` above a kernel."""
    def decorate(kernel):
        register(call, data_class, kernel)
        return kernel

    return decorate


def implementation(call, data_class):
    """The kernel registered for ``call`` on ``data_class``; a TypeError names what is missing."""
    try:
        return _IMPLEMENTATIONS[call][data_class]
    except KeyError:
        raise TypeError(f"no {call} kernel is registered for {data_class.__module__}.{data_class.__qualname__}; "
                        f"register one with ringbench.engine.protocol.register({call!r}, ...)") from None


def _dispatched(stub):
    """Resolve ``stub(data, ...)`` to the kernel registered for ``type(data)``, in numba and in Python."""
    call = stub.__name__

    @overload(stub, jit_options=OPTIONS)
    def _typed(data, *arguments):
        kernel = implementation(call, data.instance_class)

        def dispatch(data, *arguments):
            return kernel(data, *arguments)

        return dispatch

    return stub


def on_arrival(rule, sim, problem, worker):
    """Hand worker's arrival to the method whose rule tuple is ``rule``: ``(rule, sim, problem, worker)``."""
    return implementation("on_arrival", type(rule))(rule, sim, problem, worker)


@functools.cache
def _inlined(kernel):
    """A copy of the jitted ``kernel`` that numba compiles into each caller instead of calling it."""
    return njit(inline="always", **OPTIONS)(kernel.py_func)


def _overload_inlined(stub):
    """``numba.extending.overload(stub, inline="always")``, without compiling the overload on its own.

    numba compiles an inlined overload to machine code as a function of its own, to
    check that it compiles and to learn its return type, and then throws that code
    away: for the rule, with everything it calls inlined into it, that was 6.4-7.8 s of
    a 27-29 s cold compile of ``ringbench compare`` (four methods' rules). Type
    inference alone gives the return type, so the dispatcher numba builds for the
    overload is told not to compile; the rule is still typed and inlined into the loop.
    """
    def decorate(overload_func):
        options = {"nopython": True, "no_cpython_wrapper": True, **OPTIONS}
        template = make_overload_template(stub, overload_func, options, strict=True, inline="always")

        class TypedOnly(template):
            def _get_jit_decorator(self):
                jit = super()._get_jit_decorator()

                def typed_only_jit(**options):
                    def build(function):
                        dispatcher = jit(**options)(function)
                        # disable_compile() insists on an existing compiled signature
                        dispatcher._can_compile = False
                        return dispatcher

                    return build

                return typed_only_jit

        infer(TypedOnly)
        infer_global(stub, types.Function(TypedOnly))
        return overload_func

    return decorate


# The rule is compiled into the event loop (numba inlines its IR) rather than called:
# a call passes the simulation tuple flattened into some 500 words on the stack
# (3.9 kB a call), which made a discarded job (Ringmaster without stops) cost about
# 500 ns instead of 200 at n = 10^4 and 1.3 us instead of 0.6 at n = 10^6. Results
# are bit-identical: the same code, compiled in another place.
@_overload_inlined(on_arrival)
def _typed_on_arrival(rule, sim, problem, worker):
    rule_kernel = _inlined(implementation("on_arrival", rule.instance_class))
    return lambda rule, sim, problem, worker: rule_kernel(rule, sim, problem, worker)


@_dispatched
def stochastic_gradient(problem, *arguments):
    """Write a job's stochastic gradient into ``out``: ``(problem, key, point, worker, job, out)``."""
    return implementation("stochastic_gradient", type(problem))(problem, *arguments)


@_dispatched
def metrics(problem, *arguments):
    """Exact ``(objective, ||grad f(x)||^2)`` of the global objective at ``x``: ``(problem, x)``."""
    return implementation("metrics", type(problem))(problem, *arguments)


@_dispatched
def finish_time(timing, *arguments):
    """Simulated time at which a job ends: ``(timing, key, worker, job, start)``."""
    return implementation("finish_time", type(timing))(timing, *arguments)


def extra_metric(problem, x):
    """The problem's third checkpoint metric at ``x`` (just after ``metrics`` at ``x``), NaN if it registers none."""
    kernel = _IMPLEMENTATIONS["extra_metric"].get(type(problem))
    return np.nan if kernel is None else kernel(problem, x)


@overload(extra_metric, jit_options=OPTIONS)
def _typed_extra_metric(problem, x):
    kernel = _IMPLEMENTATIONS["extra_metric"].get(problem.instance_class)
    if kernel is None:
        return lambda problem, x: np.nan
    return lambda problem, x: kernel(problem, x)


def factor_gradient(problem, *arguments):
    """Write a job's gradient in factored form: ``(problem, key, point, worker, job, factors, scratch)``."""
    return implementation("factor_gradient", type(problem))(problem, *arguments)


def descend_factored(problem, *arguments):
    """``x -= scale * g`` from a factored gradient; return ||g||^2: ``(problem, factors, scale, x, scratch)``."""
    return implementation("descend_factored", type(problem))(problem, *arguments)


# Problems without factored gradients compile these as stubs: the engine calls them only
# when Problem.factor_size > 0, and simulate() checks such a problem registered both.
@overload(factor_gradient, jit_options=OPTIONS)
def _typed_factor_gradient(problem, *arguments):
    kernel = _IMPLEMENTATIONS["factor_gradient"].get(problem.instance_class)
    if kernel is None:
        return lambda problem, *arguments: None
    return lambda problem, *arguments: kernel(problem, *arguments)


@overload(descend_factored, jit_options=OPTIONS)
def _typed_descend_factored(problem, *arguments):
    kernel = _IMPLEMENTATIONS["descend_factored"].get(problem.instance_class)
    if kernel is None:
        return lambda problem, *arguments: 0.0
    return lambda problem, *arguments: kernel(problem, *arguments)
