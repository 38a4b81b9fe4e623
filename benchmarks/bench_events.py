"""Events per second of the engine: every method x n workers x compute-time model.

One timed call is one fresh :func:`ringbench.simulate` run on the paper's quadratic
(d = 1729), sized to finish about :data:`JOBS` jobs on the workers the method uses
(:func:`common.simulated_time_for`), so a call lasts milliseconds to a second whatever
the method, n and model. ``track_events`` counts the events of that same run
(finished plus cancelled jobs: a cancellation also costs a duration draw and a heap
update), so events per second = ``track_events`` / ``time_simulate``. The count is
deterministic: when it moves, the method's behaviour changed and the time is no
longer the same work.
"""

import ringbench

from . import common

#: Jobs each run is sized to finish.
JOBS = 20_000


class Events:
    """CPU time (common.TIMER) and event count of one simulated run."""

    timer = common.TIMER

    params = (list(common.METHODS), list(common.PROFILE.event_workers), list(common.TIMINGS))
    param_names = ["method", "n", "timing"]

    def setup(self, method, n, timing):
        common.warm_up()
        self.method = common.method(method)
        self.problem = common.worst_case_quadratic(common.PAPER_D)
        self.timing = common.timing_model(timing, n)
        self.t_max = common.simulated_time_for(self.method, self.problem, self.timing, JOBS)

    def _run(self):
        return ringbench.simulate(self.problem, self.method, self.timing, t_max=self.t_max, seed=0)

    def time_simulate(self, method, n, timing):
        self._run()

    def track_events(self, method, n, timing):
        result = self._run()
        if result.status != "time_budget":
            raise RuntimeError(f"{method} ended its run with status {result.status!r}, not 'time_budget'")
        return result.counters["arrivals"] + result.counters["cancelled"]

    track_events.unit = "events"
