"""Everything a plug-in method or problem is written with, in one import.

A **method** is a frozen dataclass deriving from :class:`Method` whose
:meth:`~Method.configure` returns a :class:`Configuration` with a rule tuple (a
:class:`typing.NamedTuple` of its own class), and a server rule registered for that
class::

    class MyRule(NamedTuple):
        gamma: float

    @implements("on_arrival", MyRule)
    @kernel
    def my_on_arrival(rule, sim, problem, worker):
        evaluate(sim, problem, worker)      # the gradient, at the iterate the job started from
        use(sim, worker)
        step(sim, sim.gradient, rule.gamma)
        restart(sim, worker)

A rule that applies every gradient once, on arrival, as this one does, may write
``apply_arriving(sim, problem, worker, rule.gamma)`` for the three middle lines'
evaluate and step, restart only after it, and set ``Configuration(...,
gradients_at_start=True)``: on a problem with factored gradients (a network's
minibatch) its jobs are then evaluated when they start, and no stale iterate is kept.

A **problem** derives from :class:`Problem`; its :meth:`~Problem.data` returns a
namedtuple of its own class, for which ``stochastic_gradient`` and ``metrics`` kernels
are registered (see :mod:`ringbench.problems.base`), and optionally the factored
gradient's two kernels (:mod:`ringbench.engine.protocol`).

Kernels cannot allocate (every array comes from Python) and draw their randomness
from the job's own stream (``job_state(key, STREAM_NOISE, worker, job)`` then
``next_uniform`` / ``next_normal``, or ``fill_normals`` / ``fill_uniforms`` /
``job_normal``), so that a job's gradient is the same whenever it is evaluated. Plug-ins run
at compiled speed; the event loop specialised for them is cached on disk under a
digest of their module's source (:mod:`ringbench.engine.plugins`). Name them as
``package.module:Class`` or ``path/to/file.py:Class`` in the CLI and in sweeps.
``examples/custom_method.py`` and ``examples/custom_problem.py`` are complete examples.
"""

from ._jit import REORDER_MATH
from ._jit import plugin_kernel as kernel
from .engine.actions import (
                             apply_arriving,
                             cancel,
                             delay_of,
                             discard,
                             drop_started_before,
                             evaluate,
                             make_idle,
                             restart,
                             restart_all,
                             step,
                             use,
)
from .engine.batch import Batch, collect, new_batch, step_with_batch
from .engine.protocol import implements, register
from .engine.rng import (
                             STREAM_NOISE,
                             fill_normals,
                             fill_uniforms,
                             job_normal,
                             job_state,
                             job_uniform,
                             next_normal,
                             next_uniform,
)
from .engine.tables import (
                             Tables,
                             add_to_buffer,
                             add_to_table,
                             clear_table,
                             harmonic_mean_reaches,
                             new_tables,
                             replace_in_table,
                             step_with_table,
                             swap_in_buffer,
)
from .methods.base import Configuration, Method, all_workers, fastest_workers
from .problems.base import Problem

__all__ = ["REORDER_MATH", "STREAM_NOISE", "Batch", "Configuration", "Method", "Problem", "Tables", "add_to_buffer",
           "add_to_table", "all_workers", "apply_arriving", "cancel", "clear_table", "collect", "delay_of", "discard",
           "drop_started_before", "evaluate", "fastest_workers", "harmonic_mean_reaches", "implements", "kernel",
           "fill_normals", "fill_uniforms", "job_normal", "job_state", "job_uniform", "make_idle", "new_batch",
           "new_tables", "next_normal", "next_uniform", "register", "replace_in_table", "restart", "restart_all",
           "step", "step_with_batch", "step_with_table", "swap_in_buffer", "use"]
