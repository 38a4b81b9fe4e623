"""Normal draws of the counter-based generator, per draw: stream version 1 against version 2.

Every timed call makes (about) :data:`DRAWS` = 10^6 standard normal draws, so its CPU time in
milliseconds is the time per draw in nanoseconds. Two uses of the gradient noise, as the problem kernels
draw it:

* ``vector``: a job's d-vector of isotropic noise added into a gradient, ``out += s z``,
  for ``DRAWS / d`` jobs (worker k mod 64, job k). Version 1 is the loop of
  ``ringbench.problems.kernels.quadratic_stochastic_gradient``: a Philox block and a Box-Muller
  transform per four coordinates (``ringbench.engine.rng.normals``). Version 2 is one
  ``fill_normals`` call per job (one Philox block per job, then xoshiro256++ and a ziggurat).
* ``scalar``: one draw per job (the papers' scalar noise, half-normal durations), for
  ``DRAWS`` jobs: ``normals(...)[0]`` against ``job_normal``. Both cost a Philox block per job.

The batch loops are jitted here and not cached on disk (numba's cache would only watch this
file and could serve a loop linked to older kernels); ``setup`` compiles them once per process.
A commit without version 2 skips its benchmarks (``NotImplementedError``).
"""

import functools

import numba
import numpy as np

from ringbench.engine import rng

from . import common

#: Normal draws per timed call: about 2 ms with version 2's fill, 15 ms with version 1.
DRAWS = 10**6
WORKERS = 64
SCALE = common.PAPER_NOISE_STD


@numba.njit(nogil=True)
def vector_v1(key, jobs, out, scale):
    d = out.size
    for job in range(jobs):
        for block in range((d + 3) // 4):
            draws = rng.normals(key, rng.STREAM_NOISE, job % WORKERS, job, block)
            for lane in range(min(4, d - 4 * block)):
                out[4 * block + lane] += scale * draws[lane]


@numba.njit(nogil=True)
def scalar_v1(key, jobs):
    total = 0.0
    for job in range(jobs):
        total += rng.normals(key, rng.STREAM_NOISE, job % WORKERS, job, 0)[0]
    return total


@numba.njit(nogil=True)
def vector_v2(key, jobs, out, scale):
    for job in range(jobs):
        rng.fill_normals(key, rng.STREAM_NOISE, job % WORKERS, job, out, scale)


@numba.njit(nogil=True)
def scalar_v2(key, jobs):
    total = 0.0
    for job in range(jobs):
        total += rng.job_normal(key, rng.STREAM_NOISE, job % WORKERS, job)
    return total


@functools.cache
def _compile(version):
    key = rng.key_from_seed(np.random.SeedSequence(0))
    vector, scalar = (vector_v1, scalar_v1) if version == 1 else (vector_v2, scalar_v2)
    vector(key, 1, np.zeros(4), 1.0)
    scalar(key, 1)
    return vector, scalar


def _setup(version):
    if version == 2 and not hasattr(rng, "fill_normals"):
        raise NotImplementedError("stream version 2 does not exist at this commit")
    return _compile(version), rng.key_from_seed(np.random.SeedSequence(0))


class VectorNoise:
    """CPU time (common.TIMER) of about DRAWS isotropic noise draws added into d-vectors: ms per call = ns per draw.

    ``DRAWS // d`` jobs of d draws each: within 0.1 % of DRAWS for both d.
    """

    timer = common.TIMER

    params = ([1, 2], [common.PAPER_D, 10**4])
    param_names = ["stream_version", "d"]

    def setup(self, version, d):
        (self.vector, _), self.key = _setup(version)
        self.out = np.zeros(d)
        self.jobs = DRAWS // d

    def time_draws(self, version, d):
        self.vector(self.key, self.jobs, self.out, SCALE)


class ScalarNoise:
    """CPU time (common.TIMER) of DRAWS jobs' single normal draw: ms per call = ns per draw."""

    timer = common.TIMER

    params = [1, 2]
    param_names = ["stream_version"]

    def setup(self, version):
        (_, self.scalar), self.key = _setup(version)

    def time_draws(self, version):
        self.scalar(self.key, DRAWS)
