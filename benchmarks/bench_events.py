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


class DiscardedJobs:
    """Cost of one discarded job: Ringmaster without stops (R = 6), paper timing, n workers, d = 1729.

    With many workers nearly every arrival is a job whose delay reached R: it is
    discarded unevaluated and its worker restarted. ``track_ns_per_arrival`` is the
    marginal CPU time of an arrival, measured side by side in one process: the
    difference between runs sized to finish :data:`SHORT_JOBS` and :data:`LONG_JOBS`
    jobs (best of three each), over the difference in arrivals, so the start of the n
    jobs drops out. ``track_discarded_share`` says how many of those arrivals were
    discarded jobs. The issue's goal at n = 10^6 (profile ``large``): at most 300 ns.
    """

    params = ([n for n in common.PROFILE.scaling_workers if n >= 10**4],)
    param_names = ["n"]
    timeout = 600

    SHORT_JOBS = 200_000
    LONG_JOBS = 1_000_000

    def setup(self, n):
        common.warm_up()
        self.method = common.method("ringmaster", dict(gamma=0.25, threshold=6, stops=False))
        self.problem = common.worst_case_quadratic(common.PAPER_D)
        self.timing = common.timing_model("random", n)
        ringbench.simulate(self.problem, self.method, self.timing, t_max=1.0, seed=0)  # compile or load, untimed

    def _best(self, jobs):
        t_max = common.simulated_time_for(self.method, self.problem, self.timing, jobs)
        best = float("inf")
        for _ in range(3):
            started = common.TIMER()
            result = ringbench.simulate(self.problem, self.method, self.timing, t_max=t_max, seed=0)
            best = min(best, common.TIMER() - started)
        return best, result.counters

    def track_ns_per_arrival(self, n):
        short, short_counters = self._best(self.SHORT_JOBS)
        long, long_counters = self._best(self.LONG_JOBS)
        return 1e9 * (long - short) / (long_counters["arrivals"] - short_counters["arrivals"])

    track_ns_per_arrival.unit = "ns"

    def track_discarded_share(self, n):
        _, counters = self._best(self.SHORT_JOBS)
        return counters["discarded"] / counters["arrivals"]

    track_discarded_share.unit = "fraction"
