"""Runs that blow up stop cleanly with status 'diverged'; Ctrl-C keeps what was computed."""

import dataclasses
import json
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import ringbench
from ringbench import Recording, experiments, methods, problems, timing


def assert_finite_rows(result):
    for name in ("time", "f_gap", "grad_norm2", "x"):
        assert np.all(np.isfinite(getattr(result, name))) or name == "x", name
    assert np.all(np.isfinite(result.time))
    assert np.all(np.isfinite(result.f_gap)) and np.all(np.isfinite(result.grad_norm2))


@pytest.mark.parametrize("method", [
    methods.ASGD(gamma=10.0),
    methods.Ringmaster(gamma=10.0, threshold=4),
    methods.Rennala(gamma=10.0, S=3),
], ids=["asgd", "ringmaster", "rennala"])
def test_huge_stepsize_diverges(method):
    problem = problems.Quadratic.worst_case(50)
    t_max = 10_000.0
    result = ringbench.simulate(problem, method, timing.profile("paper", 10), t_max=t_max, seed=0)
    assert result.status == "diverged"
    assert set(result.diverged_at) == {"time", "iteration"}
    at_time, at_iteration = result.diverged_at["time"], result.diverged_at["iteration"]
    assert isinstance(at_iteration, int) and isinstance(at_time, float)
    assert 0.0 < at_time < t_max  # stopped long before the budget
    assert at_iteration >= result.iteration[-1] >= 0
    assert at_time >= result.time[-1]
    assert result.counters["updates"] == at_iteration
    assert_finite_rows(result)
    # What was recorded stays below the blow-up threshold, 1e12 (||grad f(x0)||^2 + sigma^2).
    limit = 1e12 * (float(np.sum(problem.gradient(problem.x0) ** 2)) + problem.sigma2)
    assert np.all(result.grad_norm2 <= limit)
    # It really was blowing up: the last recorded norm is far above the start.
    assert result.grad_norm2[-1] > 1e3 * result.grad_norm2[0]


def test_overflowing_stepsize_diverges_without_nan_in_results():
    # gamma = 1e200 overflows to inf (and then NaN) within a few updates.
    problem = problems.Quadratic.worst_case(50)
    result = ringbench.simulate(problem, methods.ASGD(gamma=1e200), timing.fixed(np.ones(4)), t_max=100.0,
                                record=Recording(every=1))
    assert result.status == "diverged"
    assert result.diverged_at["iteration"] <= 10
    assert_finite_rows(result)


def test_the_comparison_table_says_where_a_run_diverged():
    problem, model = problems.Quadratic.worst_case(50), timing.fixed(np.ones(4))
    runs = experiments.compare([methods.ASGD(gamma=1e200), methods.ASGD(gamma=0.01)], problem, model, t_max=20.0)
    rows = experiments.summary(runs, target=1e-3)
    diverged = runs[0].diverged_at
    assert rows[0]["diverged_at"] == diverged and rows[1]["diverged_at"] is None
    table = experiments.format_table(rows, 1e-3).splitlines()
    assert f"diverged at t={diverged['time']:.6g}, k={diverged['iteration']}" in table[2]
    assert f"diverged at t={diverged['time']:.6g}, k={diverged['iteration']}" in runs[0].summary()
    assert table[3].rstrip().endswith("time_budget")


def test_a_start_where_f_overflows_diverges_at_time_zero():
    # x0 is finite, f(x0) is not: the blow-up threshold became infinite and every checkpoint recorded inf.
    problem = problems.Quadratic(np.eye(3), np.ones(3), x0=np.full(3, 1e200))
    result = ringbench.simulate(problem, methods.ASGD(gamma=0.1), timing.fixed(np.ones(2)), t_max=10.0)
    assert result.status == "diverged"
    assert result.diverged_at == {"time": 0.0, "iteration": 0}
    assert result.time.size == 0 and result.counters["updates"] == 0
    assert "no finite checkpoint" in result.summary() and "nan" not in result.summary()


def test_a_run_interrupted_before_its_first_checkpoint_says_so():
    """Ctrl-C while the kernels load: an empty interrupted result, summed up without a NaN."""
    problem, model = problems.Quadratic.worst_case(4), timing.fixed(np.ones(2))
    empty = ringbench.simulate(problem, methods.ASGD(gamma=0.1), model, t_max=10.0)
    empty = dataclasses.replace(empty, time=empty.time[:0], iteration=empty.iteration[:0], f=empty.f[:0],
                                f_gap=empty.f_gap[:0], grad_norm2=empty.grad_norm2[:0], status="interrupted")
    assert "no checkpoint recorded" in empty.summary() and "nan" not in empty.summary()


@pytest.mark.parametrize("budget", [{"t_max": 10.0}, {"max_updates": 7}, {"t_max": 1e6, "target": 0.5}])
def test_a_summary_names_the_last_checkpoint_only_when_it_is_not_the_end(budget):
    problem, model = problems.Quadratic.worst_case(4), timing.fixed(np.ones(2))
    finished = ringbench.simulate(problem, methods.ASGD(gamma=0.1), model, **budget)
    assert "last checkpoint" not in finished.summary()
    cut = dataclasses.replace(finished, time=finished.time[:1], iteration=finished.iteration[:1], f=finished.f[:1],
                              f_gap=finished.f_gap[:1], grad_norm2=finished.grad_norm2[:1], status="interrupted")
    assert f"last checkpoint t=0: ||grad f||^2={finished.grad_norm2[0]:.4g}" in cut.summary()


def test_traced_stepsizes_beyond_the_int64_range_stay_exact():
    # The trace's integer columns are cast to int64; the stepsize column must not be (it once warned and was cast).
    problem = problems.Quadratic(np.eye(2) * 1e-40, np.zeros(2), x0=np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = ringbench.simulate(problem, methods.ASGD(gamma=1e20), timing.fixed(np.ones(2)), t_max=3.0,
                                    trace=True)
    assert result.updates["stepsize"].tolist() == [1e20] * result.counters["updates"]


def test_update_checkpoints_also_catch_divergence():
    problem = problems.Quadratic.worst_case(50)
    result = ringbench.simulate(problem, methods.ASGD(gamma=10.0), timing.profile("paper", 10),
                                max_updates=100_000, record=Recording(every=1))
    assert result.status == "diverged"
    assert result.counters["updates"] < 100_000
    assert_finite_rows(result)
    np.testing.assert_array_equal(result.iteration, np.arange(result.iteration.size))


def test_small_blowup_factor_is_honoured():
    # A stable run flagged as diverged as soon as ||grad f||^2 exceeds blowup * (||grad f(x0)||^2 + sigma^2).
    problem = problems.Quadratic.worst_case(20)
    result = ringbench.simulate(problem, methods.ASGD(gamma=0.1), timing.fixed(np.ones(3)), t_max=100.0,
                                blowup=1e-300)
    assert result.status == "diverged"


_CHILD = textwrap.dedent("""
    import json, os, signal, sys, threading, time
    import numpy as np
    import ringbench
    from ringbench import Recording, experiments, methods, problems, timing

    problem = problems.Quadratic.worst_case(50)
    method = methods.ASGD(gamma=0.001)
    model = timing.profile("paper", 2000)
    ringbench.simulate(problem, method, model, t_max=1.0)  # warm up: load or compile the kernels

    threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    started = time.perf_counter()
    result = ringbench.simulate(problem, method, model, t_max=1e9, record=Recording(times=10, every=500))
    elapsed = time.perf_counter() - started
    c = result.counters
    print(json.dumps({
        "status": result.status, "rows": int(result.time.size), "elapsed": elapsed,
        "updates": c["updates"], "arrivals": c["arrivals"], "applied": c["applied"],
        "last_iteration": int(result.iteration[-1]) if result.time.size else -1,
        "sorted": bool(np.all(np.diff(result.iteration) > 0)),
        "finite": bool(np.all(np.isfinite(result.grad_norm2)) and np.all(np.isfinite(result.x))),
        "end_time": c["end_time"],
    }))
""")


# Compiled chunks cannot be interrupted halfway; Python-mode kernels can, mid-event.
@pytest.mark.compiled
def test_sigint_interrupts_and_keeps_results():
    completed = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["status"] == "interrupted"
    assert report["rows"] > 1  # the starting point and checkpoints every 500 updates
    assert report["updates"] > 0
    assert report["arrivals"] == report["applied"] == report["updates"]
    assert report["sorted"] and report["finite"]
    assert report["last_iteration"] <= report["updates"]
    assert report["last_iteration"] >= report["updates"] - 500
    assert 0.0 < report["end_time"] < 1e12
    # Ctrl-C is honoured promptly (chunks last about 0.1 s of wall time).
    assert 1.0 < report["elapsed"] < 10.0
