"""Random and shuffled ASGD (AsGrad: Islamov, Safaryan, Alistarh, AISTATS 2024): the server picks who computes next.

Every arrival is applied at once, x^{k+1} = x^k - gamma g, as in ASGD; but the new job,
on x^{k+1}, goes to a worker j_k the server chooses, not to the worker that delivered:

* ``random-asgd``: j_k uniform over the m active workers (Mishchenko et al. 2022's
  random worker selection, AsGrad's random ASGD);
* ``shuffled-asgd``: j_k the next worker of a random order of the m workers, redrawn
  every m assignments (an epoch), so each epoch sends exactly one job to each worker.

A worker given a job while busy queues it, first in, first out (the queued model of
Mishchenko et al.; AsGrad's workers likewise serve every point they are sent): it
computes its jobs one after the other, each on the iterate sent with it. A queued job's
delay counts from the iterate it was sent (its s), its duration from when the worker
takes it up, as that worker's next job (common random numbers). A worker with nothing
queued waits idle. Exactly m jobs are outstanding at all times (each arrival ends one
and sends one), so the rule keeps at most m iterates; it stores them itself, as a queued
job's iterate is no longer the current one when its computation starts. The result's
``in_flight`` counts the jobs being computed at the end, not those still queued. Worker
availability (:func:`ringbench.timing.availability`) is refused: a lost job would leave
its queue and its stored iterate outstanding for good.

The choice is a pure function of (seed, k): random ASGD takes
u = ``job_uniform(key, STREAM_ASSIGNMENT, 0, k)`` and j_k = active[min(floor(u m), m - 1)].
Shuffled ASGD orders epoch e = floor(k / m) by Fisher-Yates on the successive uniforms
u_0, u_1, ... of ``job_state(key, STREAM_ASSIGNMENT, 1, e)``: starting from the active
workers in increasing order, for i = m - 1 down to 1 swap positions i and
min(floor(u_{m-1-i} (i + 1)), i); then j_k is position k mod m.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .. import _validate, theory
from .._jit import kernel
from ..engine.actions import make_idle, restart, step, use
from ..engine.availability import AvailableData
from ..engine.protocol import implements, stochastic_gradient
from ..engine.rng import STREAM_ASSIGNMENT, job_state, job_uniform, next_uniform
from ..engine.state import COMPUTED
from .base import Configuration, Method, all_workers


class AssignedRule(NamedTuple):
    """Random or shuffled ASGD's parameters, job store and queues as its rule sees them."""

    gamma: float  # stepsize
    shuffled: bool  # a shuffled order per epoch, else uniform draws
    points: np.ndarray  # float64 (m, d): the iterate sent with each outstanding job
    sent_at: np.ndarray  # int64 (m,): its iteration s
    free: np.ndarray  # int64 (m,): stack of unused slots of the store
    free_top: np.ndarray  # int64 (1,): how many
    running: np.ndarray  # int64 (n,): slot of each worker's job in progress, -1 while idle
    queue_head: np.ndarray  # int64 (n,): each worker's first queued slot, -1 if none
    queue_tail: np.ndarray  # int64 (n,): and its last
    queue_next: np.ndarray  # int64 (m,): the slot queued after each slot, -1 at the end
    order: np.ndarray  # int64 (m,): shuffled ASGD's order of the current epoch
    epoch: np.ndarray  # int64 (1,): the epoch ``order`` belongs to, -1 before the first


@kernel
def shuffle_epoch(order, active, key, epoch):
    """Write epoch ``epoch``'s order of the ``active`` workers into ``order`` (Fisher-Yates, module docstring)."""
    for i in range(order.size):
        order[i] = active[i]
    state = job_state(key, STREAM_ASSIGNMENT, 1, epoch)
    for i in range(order.size - 1, 0, -1):
        u, state = next_uniform(state)
        j = min(int(u * (i + 1)), i)
        order[i], order[j] = order[j], order[i]


@kernel
def chosen_worker(rule, sim, assignment):
    """j_k for the ``assignment``-th job the server sends (k = the iteration it follows)."""
    m = sim.active.size
    if not rule.shuffled:
        u = job_uniform(sim.key, STREAM_ASSIGNMENT, 0, assignment)
        return sim.active[min(int(u * m), m - 1)]
    epoch = assignment // m
    if rule.epoch[0] != epoch:
        shuffle_epoch(rule.order, sim.active, sim.key, epoch)
        rule.epoch[0] = epoch
    return rule.order[assignment % m]


@kernel
def take_up(rule, sim, worker, slot):
    """``worker`` starts computing the job in ``slot`` now, as its next job, on the iterate sent with it."""
    restart(sim, worker)
    sim.start_iteration[worker] = rule.sent_at[slot]
    rule.running[worker] = slot


@kernel
def send_current(rule, sim, worker):
    """Send a job on the current iterate to ``worker``: it starts at once if idle, else joins its queue."""
    top = rule.free_top[0] - 1
    slot = rule.free[top]
    rule.free_top[0] = top
    point = rule.points[slot]
    for i in range(point.size):
        point[i] = sim.x[i]
    rule.sent_at[slot] = sim.iteration[0]
    if rule.running[worker] < 0:
        take_up(rule, sim, worker, slot)
        return
    rule.queue_next[slot] = -1
    if rule.queue_head[worker] < 0:
        rule.queue_head[worker] = slot
    else:
        rule.queue_next[rule.queue_tail[worker]] = slot
    rule.queue_tail[worker] = slot


@implements("on_arrival", AssignedRule)
@kernel
def assigned_on_arrival(rule, sim, problem, worker):
    """Apply the gradient; the worker takes up its next queued job; send x^{k+1} to j_k."""
    slot = rule.running[worker]
    # The gradient at the iterate sent with the job (the engine's snapshots hold only current iterates).
    stochastic_gradient(problem, sim.key, rule.points[slot], worker, sim.jobs_started[worker] - 1, sim.gradient)
    sim.counters[COMPUTED] += 1
    use(sim, worker)
    assignment = sim.iteration[0]
    step(sim, sim.gradient, rule.gamma)
    rule.free[rule.free_top[0]] = slot
    rule.free_top[0] += 1
    rule.running[worker] = -1
    queued = rule.queue_head[worker]
    if queued >= 0:
        rule.queue_head[worker] = rule.queue_next[queued]
        take_up(rule, sim, worker, queued)
    send_current(rule, sim, chosen_worker(rule, sim, assignment))
    if rule.running[worker] < 0:
        make_idle(sim, worker)


@dataclass(frozen=True, kw_only=True)
class RandomASGD(Method):
    """ASGD whose next job goes to a uniformly random worker, queued if that worker is busy.

    Theory mode: ASGD's gamma = min{1/(2mL), eps/(4L sigma^2)} [R]. As in ASGD, m jobs are
    always outstanding, so the mean delay tends to m - 1 (each arrival delays the other
    m - 1 jobs by one update); the spec gives no constant of its own for these methods.

    Parameters
    ----------
    gamma : float, optional
        Stepsize gamma > 0.
    eps : float, optional
        Theory-mode target.
    """

    name = "random-asgd"
    shuffled = False

    def configure(self, problem, timing):
        if isinstance(timing.data(), AvailableData):
            # A lost job would leave its slot of the store and its worker's queue behind, outstanding for good.
            raise ValueError(f"{self.name} queues the jobs it sends, which worker availability would lose; "
                             "use it without availability intervals")
        active = all_workers(timing)
        m, n = active.size, timing.n
        if self.gamma is None:
            self._theory(problem, "L", "sigma2")
        gamma = self.gamma or theory.stepsize_asgd(problem.L, problem.sigma2, self.eps, m)
        # The store is the rule's, not the engine's snapshot pool: check it fits before allocating it.
        _validate.run_memory(n, problem.d, m, 0)
        running = np.full(n, -1, dtype=np.int64)
        running[active] = np.arange(m)  # every worker starts on x^0, each job in its own slot
        rule = AssignedRule(
            gamma=float(gamma), shuffled=self.shuffled,
            points=np.tile(np.asarray(problem.x0, dtype=np.float64), (m, 1)), sent_at=np.zeros(m, dtype=np.int64),
            free=np.zeros(m, dtype=np.int64), free_top=np.zeros(1, dtype=np.int64), running=running,
            queue_head=np.full(n, -1, dtype=np.int64), queue_tail=np.full(n, -1, dtype=np.int64),
            queue_next=np.full(m, -1, dtype=np.int64), order=active.copy(), epoch=np.full(1, -1, dtype=np.int64))
        return Configuration(rule, active, 0, {"gamma": gamma, "workers": int(m)})


@dataclass(frozen=True, kw_only=True)
class ShuffledASGD(RandomASGD):
    """ASGD whose next jobs go to the workers in a random order reshuffled every epoch of m jobs (AsGrad)."""

    name = "shuffled-asgd"
    shuffled = True
