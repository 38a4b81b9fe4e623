"""The event and update tables of ``trace=True``, the counters' invariants, and the public oracles.

The hand-computed cases write out, in comments, who arrives when and what the server
does; the expected rows are that arithmetic, not engine output.
"""

import importlib.util
import re
import warnings

import numpy as np
import pytest

import ringbench
from ringbench import oracles
from ringbench.engine.record import ACTIONS, EVENT_FIELDS, UPDATE_FIELDS
from ringbench.methods import ASGD, METHODS, Ringleader, Ringmaster
from ringbench.problems import Quadratic
from ringbench.timing import fixed, profile

A = {name: code for code, name in enumerate(ACTIONS)}


def rows(columns, fields):
    return [tuple(columns[name][row] for name in fields) for row in range(columns[fields[0]].size)]


def test_ringmaster_with_stops_on_three_workers():
    # tau = (1, 2, 3.5), R = 2, stops: a job is cancelled once its delay reaches 2.
    # t=1 w0 (job 0, s=0): applied, k=1.  t=2 w0 (job 1, s=1): applied, k=2; w1's and w2's jobs 0 (s=0) now
    # have delay 2: cancelled, restarted on x^2.  t=3, 4 w0: k=3, 4; w1, w2 (s=2) cancelled at delay 2.
    # The same every 2 s: w0 alone makes progress, w1 and w2 never finish.
    problem = Quadratic.worst_case(4)
    result = ringbench.simulate(problem, Ringmaster(gamma=0.1, threshold=2), fixed([1.0, 2.0, 3.5]), t_max=4.5,
                                trace=True)
    events = sorted(rows(result.events, ("time", "action", "worker", "job", "start_time", "start_iteration",
                                         "delay", "iteration")))
    applied, cancelled = A["applied"], A["cancelled"]
    assert events == [(1.0, applied, 0, 0, 0.0, 0, 0, 1), (2.0, applied, 0, 1, 1.0, 1, 0, 2),
                      (2.0, cancelled, 1, 0, 0.0, 0, 2, 2), (2.0, cancelled, 2, 0, 0.0, 0, 2, 2),
                      (3.0, applied, 0, 2, 2.0, 2, 0, 3), (4.0, applied, 0, 3, 3.0, 3, 0, 4),
                      (4.0, cancelled, 1, 1, 2.0, 2, 2, 4), (4.0, cancelled, 2, 1, 2.0, 2, 2, 4)]
    # An arrival's row comes before the cancellations it causes.
    assert list(result.events["action"][:4]) == [applied, applied, cancelled, cancelled]
    assert rows(result.updates, UPDATE_FIELDS) == [(k, float(k), 0, 1, 0, 0.1, -1) for k in range(1, 5)]
    assert result.counters["jobs_started"] == 3 + 4 + 4 and result.counters["in_flight"] == 3


def split_line(worker_b, x0):
    return Quadratic(np.array([[1.0]]), [0.0], x0=[x0]).per_worker(np.array(worker_b, dtype=float)[:, None])


def test_ringleader_across_a_round_boundary():
    # n = 3, tau = (1, 2, 4); ties in worker order. Round 0, phase 1 (collect): w0 at 1, 2, 3, 4 and w1 at 2, 4
    # are stored; w2 at 4 fills the table: update 1 (round 0), owed {w0, w1}. Every worker restarted at 4 on
    # x^0 except w2 (on x^1).  t=5 w0 (job 4, s=0, delay 1): its update, k=2.  t=6 w0 (s=2): already updated:
    # buffered.  t=6 w1 (job 2, s=0, delay 2): the last update of round 0, k=3; the buffer becomes the table.
    # Round 1, phase 1: w0 at 7 (s=2, delay 1) and 8, w1 at 8 stored; w2 at 8 (job 1, s=1, delay 2) fills the
    # table: update 4, which brings in the 3 stored, the one buffered at t=6 and its own.
    result = ringbench.simulate(split_line([1.0, 0.0, -1.0], 2.0), Ringleader(gamma=0.5),
                                fixed([1.0, 2.0, 4.0]), t_max=8.5, trace=True)
    s, b, a = A["stored"], A["buffered"], A["applied"]
    # (time, worker, job, start_time, start_iteration, delay, action, iteration)
    assert rows(result.events, EVENT_FIELDS) == [
        (1.0, 0, 0, 0.0, 0, 0, s, 0), (2.0, 0, 1, 1.0, 0, 0, s, 0), (2.0, 1, 0, 0.0, 0, 0, s, 0),
        (3.0, 0, 2, 2.0, 0, 0, s, 0), (4.0, 0, 3, 3.0, 0, 0, s, 0), (4.0, 1, 1, 2.0, 0, 0, s, 0),
        (4.0, 2, 0, 0.0, 0, 0, a, 1), (5.0, 0, 4, 4.0, 0, 1, a, 2), (6.0, 0, 5, 5.0, 2, 0, b, 2),
        (6.0, 1, 2, 4.0, 0, 2, a, 3), (7.0, 0, 6, 6.0, 2, 1, s, 3), (8.0, 0, 7, 7.0, 3, 0, s, 3),
        (8.0, 1, 3, 6.0, 3, 0, s, 3), (8.0, 2, 1, 4.0, 1, 2, a, 4)]
    # (k, time, worker, gradients, max_delay, stepsize, round)
    assert rows(result.updates, UPDATE_FIELDS) == [(1, 4.0, 2, 7, 0, 0.5, 0), (2, 5.0, 0, 1, 1, 0.5, 0),
                                                   (3, 6.0, 1, 1, 2, 0.5, 0), (4, 8.0, 2, 5, 2, 0.5, 1)]


#: Every method, and the variants that discard instead of stopping (so that every action occurs).
VARIANTS = {name: {} for name in METHODS} | {
    "ringmaster": dict(threshold=2), "ringmaster-nostops": dict(threshold=2, stops=False),
    "rennala": dict(S=3), "rennala-nostops": dict(S=3, stops=False), "malenia-nostops": dict(stops=False),
    "naive-optimal": dict(eps=0.01), "ia2sgd-on-fill": dict(update_on_fill=True)}


def small(name):
    return METHODS[name.split("-no")[0].split("-on")[0]](gamma=0.05, **VARIANTS[name])


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_counters_and_tables_agree_on_every_method(name):
    base = Quadratic.worst_case(6, noise_std=0.1)
    problem = base.per_worker(base.b + np.linspace(-1, 1, 5)[:, None] * np.ones(6))
    timing = profile("paper", n=5)
    traced = ringbench.simulate(problem, small(name), timing, t_max=30.0, seed=2, trace=True)
    plain = ringbench.simulate(problem, small(name), timing, t_max=30.0, seed=2)
    c = traced.counters
    assert c == plain.counters and traced.x.tobytes() == plain.x.tobytes()  # tracing changes nothing
    assert c["jobs_started"] == c["arrivals"] + c["cancelled"] + c["in_flight"]
    action = traced.events["action"]
    accepted = np.isin(action, [A["applied"], A["stored"], A["buffered"]]).sum()
    assert accepted == c["applied"] + c["overwritten"] + c["pending"]
    assert (action != A["cancelled"]).sum() == c["arrivals"] and (action == A["cancelled"]).sum() == c["cancelled"]
    assert (action == A["discarded"]).sum() == c["discarded"] and (action == A["none"]).sum() == 0
    assert traced.updates["k"].tolist() == list(range(1, c["updates"] + 1))
    assert traced.updates["gradients"].sum() <= accepted
    assert np.all(np.diff(traced.events["time"]) >= 0)


def reproduce_asgd(problem, result, gamma, seed, timing):
    """Rebuild an ASGD run from the oracles alone: every arrival's time and every iterate."""
    events = result.events
    last_event = {}  # worker -> time its previous job ended (a new job starts then)
    iterates = [problem.x0.copy()]
    for row in range(events["time"].size):
        worker, job = int(events["worker"][row]), int(events["job"][row])
        start = last_event.get(worker, 0.0)
        assert events["start_time"][row] == start
        assert events["time"][row] == oracles.finish_time(timing, seed, worker, job, start)
        last_event[worker] = events["time"][row]
        point = iterates[int(events["start_iteration"][row])]
        iterates.append(iterates[-1] - gamma * oracles.stochastic_gradient(problem, seed, worker, job, point))
    return np.array(iterates[1:])


def test_oracles_reproduce_a_run_trace():
    problem = Quadratic.worst_case(8, noise_std=0.3)
    timing = profile("paper", n=4)
    result = ringbench.simulate(problem, ASGD(gamma=0.2), timing, t_max=25.0, seed=11, trace="iterates")
    assert result.events["time"].size > 20
    np.testing.assert_allclose(reproduce_asgd(problem, result, 0.2, 11, timing), result.events_x, rtol=1e-13,
                               atol=1e-15)
    assert oracles.duration(timing, 11, 2, 5, 3.0) == oracles.finish_time(timing, 11, 2, 5, 3.0) - 3.0
    other_seed = ringbench.simulate(problem, ASGD(gamma=0.2), timing, t_max=25.0, seed=12, trace=True)
    with pytest.raises(AssertionError):  # the check can fail: another seed's run does not pass it
        reproduce_asgd(problem, other_seed, 0.2, 11, timing)


@pytest.mark.parametrize("call, message", [
    (lambda t, p: oracles.finish_time(t, 0, 4, 0, 0.0), r"worker must be < n = 4"),
    (lambda t, p: oracles.finish_time(t, 0, 0, -1, 0.0), r"\bjob\b"),
    (lambda t, p: oracles.finish_time(p, 0, 0, 0, 0.0), r"\btiming\b"),
    (lambda t, p: oracles.stochastic_gradient(p, 0, 0, 0, np.zeros(3)), r"\bpoint\b"),
    (lambda t, p: oracles.stochastic_gradient(t, 0, 0, 0, np.zeros(3)), r"\bproblem\b"),
])
def test_oracles_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call(profile("paper", n=4), Quadratic.worst_case(2))


@pytest.mark.parametrize("parquet", [True, False])
def test_trace_tables_round_trip(tmp_path, monkeypatch, parquet):
    if parquet and importlib.util.find_spec("pyarrow") is None:
        pytest.skip("pyarrow is not installed")
    monkeypatch.setattr(ringbench.results, "_PARQUET", parquet)
    result = ringbench.simulate(Quadratic.worst_case(3), Ringmaster(gamma=0.1, threshold=2),
                                profile("paper", n=3), t_max=20.0, trace=True)
    result.save(tmp_path / "run")
    suffix = "parquet" if parquet else "csv"
    assert (tmp_path / f"run.events.{suffix}").exists() and (tmp_path / f"run.updates.{suffix}").exists()
    loaded = ringbench.load(tmp_path / "run")
    for name in ("events", "updates"):
        for column, values in getattr(result, name).items():
            got = getattr(loaded, name)[column]
            assert got.dtype == values.dtype and got.tobytes() == values.tobytes(), (name, column)
    untraced = ringbench.simulate(Quadratic.worst_case(3), ASGD(gamma=0.1), profile("paper", n=3), t_max=5.0)
    untraced.save(tmp_path / "run")  # an earlier result's tables must not come back with this one
    assert ringbench.load(tmp_path / "run").events is None
    with pytest.raises(ValueError, match=r"trace=True"):
        untraced.event_table()


def test_trace_limit_stops_the_trace_not_the_run():
    args = (Quadratic.worst_case(3), ASGD(gamma=0.1), profile("paper", n=3))
    with pytest.warns(RuntimeWarning, match=r"trace_limit=10 rows: it holds the events before t=\S+ s"):
        capped = ringbench.simulate(*args, t_max=50.0, trace=True, trace_limit=10)
    assert capped.events["time"].size == 10 and capped.updates["k"].size == 10
    assert capped.config["trace"]["truncated"] is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Kernels run as Python (NUMBA_DISABLE_JIT=1) warn on the generator's intended uint64 wrap-around.
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)
        full = ringbench.simulate(*args, t_max=50.0, trace=True)
    assert full.counters == capped.counters and full.config["trace"]["truncated"] is False
    assert full.events["time"][:10].tobytes() == capped.events["time"].tobytes()


def test_a_cut_trace_is_the_full_one_before_the_cut_in_both_tables():
    """Ties (equal finish times) put an arrival's event and update rows, and a discard's, at one time: a cut keeps
    or drops them together, at the time the warning names (not the end of the compiled chunk the cap fell in).
    """
    # Ringmaster R = 2 on equal speeds: at t = 1, 2, ... workers 0 and 1 are applied and worker 2's job, whose
    # delay reached R, is cancelled, so the event table grows by 3 rows a second and the update table by 2.
    args = (Quadratic.worst_case(3), Ringmaster(gamma=0.1, threshold=2), ringbench.timing.fixed([1.0, 1.0, 1.0]))
    full = ringbench.simulate(*args, t_max=6.5, trace=True)
    assert full.events["time"].size == 18 and full.updates["time"].size == 12
    for limit in range(1, 18):
        with pytest.warns(RuntimeWarning, match="holds the events before") as warned:
            capped = ringbench.simulate(*args, t_max=6.5, trace=True, trace_limit=limit)
        # the first matching warning: as Python (NUMBA_DISABLE_JIT=1) numpy warns of the generator's wrap-around too
        cut = float(next(match[1] for match in (re.search(r"before t=(\S+) s", str(item.message)) for item in warned)
                         if match))
        assert cut == min(full.events["time"][limit], full.updates["time"][limit] if limit < 12 else np.inf)
        for table, whole in ((capped.events, full.events), (capped.updates, full.updates)):
            before = whole["time"] < cut
            assert all(np.array_equal(table[column], whole[column][before]) for column in whole), (limit, table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exactly full is not cut
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)  # NUMBA_DISABLE_JIT=1
        exact = ringbench.simulate(*args, t_max=6.5, trace=True, trace_limit=18)
    assert exact.config["trace"]["truncated"] is False and exact.events["time"].size == 18


@pytest.mark.parametrize("options, message", [(dict(trace=1), r"\btrace\b"), (dict(trace="all"), r"\btrace\b"),
                                              (dict(trace=True, trace_limit=0), r"\btrace_limit\b"),
                                              (dict(trace_limit=5), r"trace_limit caps the rows of a trace: it "
                                                                    r"needs trace=True")])
def test_bad_trace_options(options, message):
    with pytest.raises(ValueError, match=message):
        ringbench.simulate(Quadratic.worst_case(3), ASGD(gamma=0.1), profile("paper", n=3), t_max=5.0, **options)


@pytest.mark.skipif(importlib.util.find_spec("pandas") is None, reason="pandas is not installed")
def test_tables_as_dataframes():
    result = ringbench.simulate(Quadratic.worst_case(3), Ringmaster(gamma=0.1, threshold=2),
                                fixed([1.0, 2.0, 3.5]), t_max=4.5, trace=True)
    events, updates = result.event_table(), result.update_table()
    assert list(events.columns) == list(EVENT_FIELDS) and list(updates.columns) == list(UPDATE_FIELDS)
    assert events["action"].value_counts()[["applied", "cancelled"]].tolist() == [4, 4]
    assert updates["k"].tolist() == [1, 2, 3, 4]


def test_statuses_are_distinct_and_documented():
    problem, timing = Quadratic.worst_case(3), profile("paper", n=3)
    statuses = {ringbench.simulate(problem, ASGD(gamma=0.1), timing, t_max=5.0).status,
                ringbench.simulate(problem, ASGD(gamma=0.1), timing, max_updates=5).status,
                ringbench.simulate(problem, ASGD(gamma=0.5), timing, t_max=500.0, target=1e-3).status,
                ringbench.simulate(problem, ASGD(gamma=50.0), timing, t_max=500.0).status}
    assert statuses == {"time_budget", "update_budget", "target_reached", "diverged"}
    assert statuses | {"interrupted"} == set(ringbench.results.STATUSES)


def test_summary_after_divergence_shows_the_last_finite_checkpoint():
    result = ringbench.simulate(Quadratic.worst_case(3), ASGD(gamma=50.0), profile("paper", n=3), t_max=500.0)
    assert result.status == "diverged"
    assert f"last finite checkpoint t={result.time[-1]:.6g}" in result.summary()
    assert f"||grad f||^2={result.grad_norm2[-1]:.4g}" in result.summary()


def test_d1_tridiagonal_quadratic():
    problem = Quadratic.worst_case(1, noise_std=0.0)
    assert problem.x_star.tolist() == [-0.5]  # A = 1/2, b = -1/4
    result = ringbench.simulate(problem, ASGD(gamma=0.5), fixed([1.0, 2.0]), t_max=60.0)
    assert result.grad_norm2[-1] < 1e-6 * result.grad_norm2[0]
    assert Quadratic.tridiagonal([], [2.0], [1.0]).x_star.tolist() == [0.5]
