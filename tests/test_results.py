"""Result: save/load round trip, ``time_to`` semantics, and counter identities."""

import json
import math

import numpy as np
import pytest

import ringbench
from ringbench import Recording, methods, problems, timing
from ringbench.results import Result

ARRAYS = ("time", "iteration", "f_gap", "grad_norm2", "x")
META = ("status", "counters", "diverged_at", "config", "provenance")


def run(method, *, n=6, d=20, t_max=40.0, trace=False, seed=3, **options):
    return ringbench.simulate(problems.Quadratic.worst_case(d), method, timing.profile("paper", n),
                              t_max=t_max, seed=seed, trace=trace, **options)


@pytest.fixture(scope="module")
def asgd_result():
    return run(methods.ASGD(gamma=0.1), trace="events")


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_round_trip(result, loaded):
    for name in ARRAYS:
        assert same_bits(getattr(result, name), getattr(loaded, name)), name
    for name in META:
        assert getattr(loaded, name) == getattr(result, name), name
    if result.trace is None:
        assert loaded.trace is None
    else:
        assert set(loaded.trace) == set(result.trace)
        for name, values in result.trace.items():
            assert same_bits(values, loaded.trace[name]), f"trace {name}"
    assert loaded.method == result.method


@pytest.mark.parametrize("suffix", ["", ".npz", ".json"])
def test_save_load_round_trip(tmp_path, asgd_result, suffix):
    npz, meta = asgd_result.save(tmp_path / "sub" / "run")
    assert npz.exists() and meta.exists()
    assert_round_trip(asgd_result, ringbench.load(str(tmp_path / "sub" / "run") + suffix))


def test_npz_loads_without_pickle_and_json_is_plain(tmp_path, asgd_result):
    npz, meta = asgd_result.save(tmp_path / "run.npz")
    assert npz == tmp_path / "run.npz" and meta == tmp_path / "run.json"
    with np.load(npz, allow_pickle=False) as arrays:
        for name in ARRAYS:
            assert same_bits(arrays[name], getattr(asgd_result, name))
        assert all(arrays[name].dtype != object for name in arrays.files)
    text = meta.read_text()
    assert json.loads(text)["status"] == asgd_result.status


@pytest.mark.parametrize("mode", ["iterates", False])
def test_round_trip_with_and_without_trace_and_other_methods(tmp_path, mode):
    for number, method in enumerate([methods.Ringmaster(gamma=0.1, threshold=3),
                                     methods.Rennala(gamma=0.1, S=4, stops=False),
                                     methods.NaiveOptimalASGD(eps=1e-3)]):
        result = run(method, trace=mode, t_max=15.0, record=Recording(times=7, every=5))
        result.save(tmp_path / f"r{number}")
        assert_round_trip(result, ringbench.load(tmp_path / f"r{number}"))


def test_round_trip_of_a_diverged_run(tmp_path):
    result = run(methods.ASGD(gamma=10.0), d=50, t_max=1000.0)
    assert result.status == "diverged"
    result.save(tmp_path / "diverged")
    loaded = ringbench.load(tmp_path / "diverged")
    assert_round_trip(result, loaded)
    assert loaded.diverged_at == result.diverged_at


def nan_aware_equal(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(nan_aware_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(nan_aware_equal(x, y) for x, y in zip(a, b))
    return a == b


def test_round_trip_with_a_sparse_problem(tmp_path):
    import scipy.sparse

    d = 10
    A = scipy.sparse.diags([np.full(d - 1, -0.25), np.full(d, 0.6), np.full(d - 1, -0.25)], [-1, 0, 1]).tocsr()
    problem = problems.Quadratic(A, np.ones(d), noise_std=0.01)
    result = ringbench.simulate(problem, methods.ASGD(gamma=0.1), timing.fixed(np.arange(1.0, 5.0)), t_max=10.0)
    result.save(tmp_path / "sparse")
    loaded = ringbench.load(tmp_path / "sparse")
    for name in ARRAYS:
        assert same_bits(getattr(result, name), getattr(loaded, name))
    for name in META:
        assert nan_aware_equal(getattr(loaded, name), getattr(result, name)), name


def test_metadata_file_is_standard_json(tmp_path):
    """The .json side file must parse with a strict JSON parser (no NaN/Infinity tokens)."""
    import scipy.sparse

    A = scipy.sparse.eye(3, format="csr")  # sparse: mu is not computed
    problem = problems.Quadratic(A, np.ones(3))
    result = ringbench.simulate(problem, methods.ASGD(gamma=0.1), timing.fixed([1.0]), max_updates=3)
    _, meta = result.save(tmp_path / "strict")

    def reject(token):
        raise ValueError(f"non-standard JSON token {token}")

    json.loads(meta.read_text(), parse_constant=reject)


# --------------------------------------------------------------------------- time_to


def handmade(grad_norm2, time=None):
    grad_norm2 = np.asarray(grad_norm2, dtype=float)
    time = np.arange(grad_norm2.size, dtype=float) * 0.5 if time is None else np.asarray(time, dtype=float)
    return Result(time=time, iteration=np.arange(grad_norm2.size), f_gap=grad_norm2.copy(), grad_norm2=grad_norm2,
                  x=np.zeros(1), status="completed", counters={}, diverged_at=None,
                  config={"method": {"method": "asgd"}}, provenance={})


def test_time_to_semantics_on_handmade_result():
    result = handmade([5.0, 3.0, 4.0, 1.0, 2.0, 0.5])  # times 0, 0.5, ..., 2.5
    assert result.time_to(10.0) == 0.0  # reached at the starting point
    assert result.time_to(3.0) == 0.5  # inclusive: <= target
    assert result.time_to(2.999) == 1.5  # first time, not a later one
    assert result.time_to(1.5) == 1.5  # the rebound to 2.0 at t = 2 does not matter
    assert result.time_to(0.5) == 2.5
    assert result.time_to(0.49) is None
    assert isinstance(result.time_to(3.0), float)
    assert handmade([]).time_to(1.0) is None


def test_time_to_on_a_run(asgd_result):
    norms = asgd_result.grad_norm2
    assert asgd_result.time_to(norms[0]) == asgd_result.time[0] == 0.0
    target = float(np.median(norms))
    first = next(i for i, value in enumerate(norms) if value <= target)
    assert asgd_result.time_to(target) == asgd_result.time[first]
    assert asgd_result.time_to(norms.min() / 2) is None


def test_target_stops_the_run_at_the_first_checkpoint_below_it():
    full = run(methods.ASGD(gamma=0.1), t_max=40.0)
    target = float(np.quantile(full.grad_norm2, 0.3))
    stopped = run(methods.ASGD(gamma=0.1), t_max=40.0, target=target)
    assert stopped.status == "target_reached"
    assert stopped.time[-1] == full.time_to(target)
    assert stopped.grad_norm2[-1] <= target
    assert np.all(stopped.grad_norm2[:-1] > target)
    # The trajectory up to the stop is the same as in the full run.
    k = stopped.time.size
    assert same_bits(stopped.grad_norm2, full.grad_norm2[:k])


# --------------------------------------------------------------------------- counters


def check_general_identities(result):
    c = result.counters
    assert c["arrivals"] == c["computed"] + c["discarded"]  # each finished job is evaluated or discarded
    assert c["wasted"] == c["discarded"] + c["cancelled"]
    assert c["applied"] + c.get("pending", 0) == c["computed"]  # every method uses what it evaluates
    assert c["updates"] == result.iteration[-1]
    assert c["end_time"] == result.time[-1]
    if result.trace is not None:
        trace = result.trace
        assert trace["time"].size == c["arrivals"]
        assert np.all(np.diff(trace["time"]) >= 0)
        used = trace["used"]
        assert used.sum() == c["applied"] + c.get("pending", 0)
        assert trace["iteration"][-1] == c["updates"]
        delays = trace["delay"][used]
        assert c["max_delay"] == (delays.max() if delays.size else 0)
        assert c["mean_delay"] == pytest.approx(delays.mean() if delays.size else 0.0, rel=1e-12)


def test_asgd_counters(asgd_result):
    c = asgd_result.counters
    check_general_identities(asgd_result)
    assert c["arrivals"] == c["computed"] == c["applied"] == c["updates"] > 0
    assert c["discarded"] == c["cancelled"] == c["wasted"] == c.get("pending", 0) == 0
    assert asgd_result.status == "completed" and c["end_time"] == 40.0
    assert asgd_result.trace["used"].all()
    # Each arrival is one update: iteration after the i-th arrival is i.
    np.testing.assert_array_equal(asgd_result.trace["iteration"], np.arange(1, c["arrivals"] + 1))


@pytest.mark.parametrize("stops", [True, False])
def test_ringmaster_counters(stops):
    R = 3
    result = run(methods.Ringmaster(gamma=0.1, threshold=R, stops=stops), trace="events")
    c = result.counters
    check_general_identities(result)
    assert c["applied"] == c["updates"]
    assert c["max_delay"] <= R - 1
    if stops:
        assert c["discarded"] == 0 and c["arrivals"] == c["updates"] and c["cancelled"] > 0
    else:
        assert c["cancelled"] == 0 and c["discarded"] > 0
        # Discarded arrivals had delay >= R; applied ones had delay < R.
        assert np.all(result.trace["delay"][~result.trace["used"]] >= R)


@pytest.mark.parametrize("stops", [True, False])
def test_rennala_counters(stops):
    S = 4
    result = run(methods.Rennala(gamma=0.1, S=S, stops=stops), trace="events")
    c = result.counters
    check_general_identities(result)
    assert c["applied"] == S * c["updates"]
    assert c["max_delay"] == 0 and c["mean_delay"] == 0.0
    assert 0 <= c.get("pending", 0) < S
    if stops:
        assert c["discarded"] == 0
    else:
        assert c["cancelled"] == 0


def test_minibatch_counters():
    n = 5
    result = run(methods.Minibatch(gamma=0.1), n=n, trace="events")
    c = result.counters
    check_general_identities(result)
    assert c["applied"] == n * c["updates"]
    assert c["discarded"] == c["cancelled"] == 0
    assert c["max_delay"] == 0


def test_pending_gradients_are_not_counted_as_applied():
    # Minibatch over 2 workers with tau = (1, 10) and t_max = 15: rounds end at 10 (update 1);
    # in the second round worker 0 arrives at 11 and worker 1 would arrive at 20 > t_max.
    result = ringbench.simulate(problems.Quadratic.worst_case(4), methods.Minibatch(gamma=0.1),
                                timing.fixed([1.0, 10.0]), t_max=15.0, trace="events")
    c = result.counters
    assert c["updates"] == 1
    assert c["arrivals"] == c["computed"] == 3
    assert c["applied"] == 2  # the two gradients of the only update
    assert c.get("pending", 0) == 1  # worker 0's second gradient, waiting for worker 1
    check_general_identities(result)
