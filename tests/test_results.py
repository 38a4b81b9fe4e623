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


@pytest.mark.parametrize("path", ["", "/", ".."])
def test_a_path_without_a_file_name_is_refused(asgd_result, path):
    with pytest.raises(ValueError, match=rf"path must name a file \(NAME, NAME.npz or NAME.json\), got '{path}'"):
        asgd_result.save(path)
    with pytest.raises(ValueError, match="path must name a file"):
        ringbench.load(path)


def test_a_dotted_name_keeps_every_part(tmp_path, asgd_result):
    """``gamma0.05`` and ``gamma0.01`` are two results, not both ``gamma0.npz``."""
    other = run(methods.ASGD(gamma=0.01))
    assert asgd_result.save(tmp_path / "asgd-gamma0.05") == (tmp_path / "asgd-gamma0.05.npz",
                                                               tmp_path / "asgd-gamma0.05.json")
    other.save(tmp_path / "asgd-gamma0.01.npz")
    assert sorted(path.name for path in tmp_path.iterdir() if path.suffix in (".npz", ".json")) == [
        "asgd-gamma0.01.json", "asgd-gamma0.01.npz", "asgd-gamma0.05.json", "asgd-gamma0.05.npz"]
    assert_round_trip(asgd_result, ringbench.load(tmp_path / "asgd-gamma0.05"))
    assert_round_trip(other, ringbench.load(tmp_path / "asgd-gamma0.01.json"))


def test_an_interrupted_overwrite_leaves_no_mix_of_two_results(tmp_path, asgd_result, monkeypatch):
    """Ctrl-C after the new arrays and before the new metadata: the name holds no result, not a mismatched pair."""
    asgd_result.save(tmp_path / "run")

    def interrupted(path, text):
        raise KeyboardInterrupt

    monkeypatch.setattr(ringbench.results, "write_text_atomically", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(methods.ASGD(gamma=0.01)).save(tmp_path / "run")
    with pytest.raises(ringbench.results.ResultFileError, match="run.json"):
        ringbench.load(tmp_path / "run")


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
                  x=np.zeros(1), status="time_budget", counters={}, diverged_at=None,
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
    assert asgd_result.status == "time_budget" and c["end_time"] == 40.0
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


# --------------------------------------------------------------------------- load checks the files


@pytest.fixture(scope="module")
def saved(tmp_path_factory, asgd_result):
    """A traced result saved once; each test edits a copy."""
    directory = tmp_path_factory.mktemp("saved")
    asgd_result.save(directory / "run")
    return directory


def copy_of(saved, tmp_path):
    import shutil

    for path in saved.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / "run"


def edit_meta(stem, edit):
    path = stem.with_suffix(".json")
    meta = json.loads(path.read_text())
    edit(meta)
    path.write_text(json.dumps(meta))


def edit_arrays(stem, edit):
    path = stem.with_suffix(".npz")
    with np.load(path) as archive:
        arrays = dict(archive)
    edit(arrays)
    np.savez(path, **arrays)


def test_saved_results_carry_the_format_version(saved):
    assert json.loads((saved / "run.json").read_text())["format_version"] == ringbench.results.FORMAT_VERSION


def test_a_result_without_format_version_loads_as_version_1(saved, tmp_path, asgd_result):
    # As written before format_version existed.
    stem = copy_of(saved, tmp_path)
    edit_meta(stem, lambda meta: meta.pop("format_version"))
    assert_round_trip(asgd_result, ringbench.load(stem))


def put(mapping, key, value):
    mapping[key] = value


BAD_META = {
    "newer format": (lambda m: put(m, "format_version", 99), r"format_version 99 is newer"),
    "format not an integer": (lambda m: put(m, "format_version", "1"), r"format_version must be an integer"),
    "unknown status": (lambda m: put(m, "status", "bogus"), r"unknown status 'bogus'"),
    "status a list": (lambda m: put(m, "status", ["time_budget"]), r"unknown status"),
    "missing key": (lambda m: m.pop("counters"), r"lacks counters"),
    "extra key": (lambda m: put(m, "colour", "red"), r"has unknown colour"),
    "not an object": (lambda m: m.clear() or m.update(config=[1]), r"lacks status"),
    "counter a string": (lambda m: put(m["counters"], "updates", "5"), r"counters.updates must be an integer"),
    "counter negative": (lambda m: put(m["counters"], "arrivals", -1), r"counters.arrivals must be an integer"),
    "counter a bool": (lambda m: put(m["counters"], "applied", True), r"counters.applied must be an integer"),
    "counter a float": (lambda m: put(m["counters"], "computed", 1.5), r"counters.computed must be an integer"),
    "counter too large": (lambda m: put(m["counters"], "computed", 2**63), r"counters.computed must be an integer"),
    "real counter negative": (lambda m: put(m["counters"], "end_time", -1.0), r"counters.end_time must be a finite"),
    "counter missing": (lambda m: m["counters"].pop("wasted"), r"counters lacks wasted"),
    "diverged without where": (lambda m: put(m, "status", "diverged"), r"diverged_at must be given exactly"),
    "config not an object": (lambda m: put(m, "config", "x"), r"config must be a JSON object"),
    "no method name": (lambda m: put(m["config"], "method", {}), r"config.method.method"),
    "no timing": (lambda m: m["config"].pop("timing"), r"config.timing must be a JSON object with n"),
    "workers a string": (lambda m: put(m["config"]["timing"], "n", "abc"), r"config.timing.n must be an integer"),
}


@pytest.mark.parametrize("edit, message", BAD_META.values(), ids=BAD_META.keys())
def test_load_rejects_a_bad_json_side_naming_the_file(saved, tmp_path, edit, message):
    stem = copy_of(saved, tmp_path)
    edit_meta(stem, edit)
    with pytest.raises(ringbench.results.ResultFileError, match=message) as raised:
        ringbench.load(stem)
    assert str(stem.with_suffix(".json")) in str(raised.value)


BAD_ARRAYS = {
    "short time": (lambda a: put(a, "time", a["time"][:5]), r"has \d+ checkpoints, but time has 5"),
    "nan metric": (lambda a: a["grad_norm2"].__setitem__(3, np.nan), r"grad_norm2\[3\] = nan"),
    "negative norm": (lambda a: a["grad_norm2"].__setitem__(2, -1.0), r"grad_norm2 must be finite and >= 0"),
    "infinite time": (lambda a: a["time"].__setitem__(1, np.inf), r"time must be finite"),
    "time backwards": (lambda a: a["time"].__setitem__(1, 30.0), r"time must be nondecreasing"),
    "float iteration": (lambda a: put(a, "iteration", a["iteration"].astype(float)), r"iteration must be .*int64"),
    "2-d x": (lambda a: put(a, "x", a["x"][None, :]), r"x must be 1-dimensional float64"),
    "missing array": (lambda a: a.pop("x"), r"archive lacks x"),
    "extra array": (lambda a: put(a, "colour", np.zeros(2)), r"archive has unknown colour"),
    "object array": (lambda a: put(a, "x", np.array([None], dtype=object)), r"object array"),
}


@pytest.mark.parametrize("edit, message", BAD_ARRAYS.values(), ids=BAD_ARRAYS.keys())
def test_load_rejects_bad_arrays_naming_the_file(saved, tmp_path, edit, message):
    stem = copy_of(saved, tmp_path)
    if message == r"object array":
        with np.load(stem.with_suffix(".npz")) as archive:
            arrays = dict(archive)
        edit(arrays)
        np.savez(stem.with_suffix(".npz"), **arrays)  # allow_pickle is on for saving
    else:
        edit_arrays(stem, edit)
    with pytest.raises(ringbench.results.ResultFileError, match=message) as raised:
        ringbench.load(stem)
    assert str(stem.with_suffix(".npz")) in str(raised.value)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", bytes(range(256)) * 4], ids=["empty", "zip-head",
                                                                                                "random"])
def test_load_rejects_a_damaged_archive(saved, tmp_path, content):
    stem = copy_of(saved, tmp_path)
    stem.with_suffix(".npz").write_bytes(content)
    with pytest.raises(ringbench.results.ResultFileError, match=r"run\.npz.*not an \.npz archive"):
        ringbench.load(stem)


def test_load_rejects_a_truncated_archive(saved, tmp_path):
    stem = copy_of(saved, tmp_path)
    data = stem.with_suffix(".npz").read_bytes()
    for cut in (len(data) // 3, len(data) - 30):
        stem.with_suffix(".npz").write_bytes(data[:cut])
        with pytest.raises(ringbench.results.ResultFileError, match=r"run\.npz"):
            ringbench.load(stem)


@pytest.mark.parametrize("text, message", [("{", "not a readable JSON result"), ("[1, 2]", "must hold a JSON object"),
                                           ('{"status": NaN}', "NaN is not standard JSON"), ("\udcff", "readable")],
                         ids=["invalid", "list", "nan", "undecodable"])
def test_load_rejects_invalid_json_naming_the_file(saved, tmp_path, text, message):
    stem = copy_of(saved, tmp_path)
    stem.with_suffix(".json").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ringbench.results.ResultFileError, match=message) as raised:
        ringbench.load(stem)
    assert str(stem.with_suffix(".json")) in str(raised.value)


def test_load_rejects_an_infinite_counter(saved, tmp_path):
    # 1e999 is valid JSON for a number, read as inf.
    stem = copy_of(saved, tmp_path)
    edit_meta(stem, lambda meta: put(meta["counters"], "end_time", 123.25))
    path = stem.with_suffix(".json")
    path.write_text(path.read_text().replace("123.25", "1e999"))
    with pytest.raises(ringbench.results.ResultFileError, match=r"counters.end_time must be a finite number"):
        ringbench.load(stem)


def test_load_names_a_missing_file(tmp_path):
    with pytest.raises(ringbench.results.ResultFileError, match=r"nothing\.json': no such file"):
        ringbench.load(tmp_path / "nothing")


def test_diverged_results_may_hold_non_finite_metrics(saved, tmp_path):
    stem = copy_of(saved, tmp_path)
    edit_meta(stem, lambda meta: meta.update(status="diverged", diverged_at={"time": 1.0, "iteration": 3}))
    edit_arrays(stem, lambda arrays: arrays["grad_norm2"].__setitem__(-1, np.inf))
    assert ringbench.load(stem).status == "diverged"


@pytest.mark.parametrize("parquet", [True, False], ids=["parquet", "csv"])
def test_load_rejects_a_damaged_trace_table(tmp_path, asgd_result, parquet, monkeypatch):
    monkeypatch.setattr(ringbench.results, "_PARQUET", parquet)
    asgd_result.save(tmp_path / "run")
    table = tmp_path / f"run.events.{'parquet' if parquet else 'csv'}"
    assert table.exists()
    assert_round_trip(asgd_result, ringbench.load(tmp_path / "run"))
    if parquet:
        table.write_bytes(table.read_bytes()[:50])
    else:
        lines = table.read_text().splitlines()
        table.write_text("\n".join([lines[0], lines[1].replace(lines[1].split(",")[6], "2.5", 1), *lines[2:]]))
    with pytest.raises(ringbench.results.ResultFileError, match=r"run\.events\.(parquet|csv)"):
        ringbench.load(tmp_path / "run")


def test_time_to_rejects_a_target_that_is_not_a_number(asgd_result):
    with pytest.raises(ValueError, match="target must be finite"):
        asgd_result.time_to(float("nan"))


def test_summary_of_a_diverged_run_shows_the_last_finite_checkpoint():
    result = run(methods.ASGD(gamma=10.0), d=50, t_max=1000.0)
    assert result.status == "diverged" and result.time.size > 1
    summary = result.summary()
    assert (f"last finite checkpoint t={result.time[-1]:.6g}, k={result.iteration[-1]}: "
            f"||grad f||^2={result.grad_norm2[-1]:.4g}") in summary
    assert f"{result.grad_norm2[0]:.4g}" not in summary  # not the starting point's norm
