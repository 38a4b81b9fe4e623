"""CPU time and peak memory against the number of workers n, up to 10^6 (``large`` profile).

Ringmaster (gamma = 0.25, R = 6, with stops) on the paper's quadratic (d = 1729) and
timing model, for :data:`UPDATES` updates. With stops, every update cancels the jobs
whose delay reached R, about n / R of them, so the work per call grows linearly in
n, while memory should stay O(R d + n): the stale iterates live in a pool of
min(R + 1, n) rows, not one per worker (n d 8 bytes would be 14 GB at n = 10^6).
``peakmem_`` is the benchmark process's peak RSS, which includes the interpreter,
numba and the compiled kernels (setup included, as asv measures it).
"""

import ringbench

from . import common

#: Model updates per run.
UPDATES = 50


class Workers:
    """One Ringmaster run of :data:`UPDATES` updates, per number of workers."""

    timer = common.TIMER

    params = list(common.PROFILE.scaling_workers)
    param_names = ["n"]

    def setup(self, n):
        common.warm_up()
        self.problem = common.worst_case_quadratic(common.PAPER_D)
        self.timing = common.timing_model("random", n)
        self.method = common.method("ringmaster")

    def _run(self):
        ringbench.simulate(self.problem, self.method, self.timing, max_updates=UPDATES, seed=0)

    def time_simulate(self, n):
        self._run()

    def peakmem_simulate(self, n):
        self._run()
