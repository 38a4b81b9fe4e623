"""Whole sweeps: results equal single runs, executors agree bit for bit, interrupted sweeps resume."""

import csv
import json
import logging
import os
import signal
import subprocess
import sys
import time
import types

import distributed
import numpy as np
import pyarrow.parquet
import pytest

import ringbench
from ringbench import Recording, methods, problems, sweep, timing
from ringbench.cli import main
from ringbench.sweep.store import Store

ARRAYS = ("time", "iteration", "f_gap", "grad_norm2", "x")

SMALL = """
name = "small"
n = [6, 10]
t_max = 30.0
checkpoints = 15
target = 0.05

[seeds]
root = 5
replicates = 2

[[problems]]
name = "worst-case"
d = 8
noise_std = 0.05

[[timings]]
name = "paper"

[[methods]]
name = "ringmaster"
gamma = 0.2
threshold = [1, 3]

[[methods]]
name = "asgd"
gamma = [0.05, 5.0]
"""
SMALL_RUNS = 2 * 2 * (2 + 2)


def write(tmp_path, text, name="config.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def assert_same_result(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name
    assert (a.status, a.counters, a.diverged_at, a.config) == (b.status, b.counters, b.diverged_at, b.config)
    assert a.provenance["seed_entropy"] == b.provenance["seed_entropy"]
    assert a.provenance["seed_spawn_key"] == b.provenance["seed_spawn_key"]


def run_files(out):
    return sorted(path.name for path in (out / "runs").iterdir())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The small sweep, run once with the in-process thread executor."""
    tmp_path = tmp_path_factory.mktemp("reference")
    config = write(tmp_path, SMALL)
    outcome = sweep.run(config, tmp_path / "out", executor="threads", workers=2)
    return config, outcome


def test_each_run_equals_simulate_with_its_spawned_seed(reference):
    _, outcome = reference
    assert outcome.ran == SMALL_RUNS and outcome.skipped == 0 and len(outcome.rows) == SMALL_RUNS
    statuses = {row["status"] for row in outcome.rows}
    assert statuses == {"time_budget", "diverged"}  # gamma = 5 diverges: a status, not an error
    children = np.random.SeedSequence(5).spawn(2)
    problem = problems.Quadratic.worst_case(8, noise_std=0.05)
    for spec, row in zip(outcome.specs, outcome.rows):
        n = spec.timing["n"]
        method = methods.Ringmaster(gamma=0.2, threshold=spec.method["threshold"]) if spec.label == "ringmaster" \
            else methods.ASGD(gamma=spec.method["gamma"])
        alone = ringbench.simulate(problem, method, timing.profile("paper", n), t_max=30.0,
                                   seed=children[spec.seed_index], record=Recording(times=15))
        stored = ringbench.load(outcome.out / row["file"])
        assert_same_result(stored, alone)
        assert row["final_grad_norm2"] == float(alone.grad_norm2[-1])
        assert row["seed_spawn_key"] == json.dumps([spec.seed_index])


def test_summary_table_is_tidy_with_provenance(reference):
    _, outcome = reference
    with open(outcome.files["summary_csv"], newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == SMALL_RUNS and len({row["run_id"] for row in rows}) == SMALL_RUNS
    for column in ("label", "method.gamma", "method.threshold", "resolved.gamma", "problem.d", "n", "status",
                   "final_f_gap", "time_to_target", "counter.wasted", "seed_entropy", "seed_spawn_key",
                   "version.ringbench", "version.numba", "executor", "wall_seconds", "file"):
        assert column in rows[0], column
    assert {row["executor"] for row in rows} == {"threads"}
    assert {row["seed_entropy"] for row in rows} == {"5"}
    asgd = [row for row in rows if row["label"] == "asgd"]
    assert {row["method.threshold"] for row in asgd} == {""}
    table = pyarrow.parquet.read_table(outcome.files["summary_parquet"]).to_pylist()
    assert [row["run_id"] for row in table] == [row["run_id"] for row in rows]
    assert [row["final_grad_norm2"] for row in table] == [row["final_grad_norm2"] for row in outcome.rows]


def test_rerun_skips_every_finished_run(reference, tmp_path):
    config, outcome = reference
    before = {name: (outcome.out / "runs" / name).stat().st_mtime_ns for name in run_files(outcome.out)}
    again = sweep.run(config, outcome.out, executor="threads", workers=2)
    assert (again.ran, again.skipped) == (0, SMALL_RUNS)
    assert {name: (outcome.out / "runs" / name).stat().st_mtime_ns for name in run_files(outcome.out)} == before
    assert again.rows == outcome.rows


def test_resume_removes_incomplete_files_and_reruns_their_runs(reference, tmp_path):
    config, outcome = reference
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    kept, lost = outcome.specs[0].run_id, outcome.specs[1].run_id
    for suffix in (".npz", ".json"):
        (out / "runs" / f"{kept}{suffix}").write_bytes((outcome.out / "runs" / f"{kept}{suffix}").read_bytes())
    # What a crash can leave: a temporary file mid-write, and an .npz renamed before its .json.
    (out / "runs" / f"tmp-{lost}-0000.npz").write_bytes(b"half a file")
    (out / "runs" / f"{lost}.npz").write_bytes((outcome.out / "runs" / f"{lost}.npz").read_bytes()[:100])
    resumed = sweep.run(config, out, executor="threads", workers=2)
    assert (resumed.ran, resumed.skipped) == (SMALL_RUNS - 1, 1)
    assert run_files(out) == run_files(outcome.out)
    for spec in outcome.specs:
        assert_same_result(ringbench.load(out / "runs" / spec.run_id),
                           ringbench.load(outcome.out / "runs" / spec.run_id))


def test_one_sweep_at_a_time_per_directory(tmp_path):
    with Store(tmp_path), pytest.raises(ValueError, match="another sweep is writing to"):
        Store(tmp_path).__enter__()


def test_executors_and_worker_counts_give_identical_results(reference, tmp_path):
    """Local processes, a real dask LocalCluster with 2 workers, an existing cluster by address: 2 threads' bits."""
    config, outcome = reference
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=logging.CRITICAL) as cluster:
        # local with 2 workers: see the interruption test
        for executor, workers, address in (("local", 1, None), ("dask", 2, None),
                                           ("dask", None, cluster.scheduler_address)):
            out = tmp_path / f"{executor}-{workers}-{address is not None}"
            other = sweep.run(config, out, executor=executor, workers=workers, address=address)
            assert other.ran == SMALL_RUNS
            assert run_files(out) == run_files(outcome.out)
            for spec in outcome.specs:
                result = ringbench.load(out / "runs" / spec.run_id)
                assert_same_result(result, ringbench.load(outcome.out / "runs" / spec.run_id))
                assert result.provenance["sweep"]["executor"] == executor
                if address is None:  # processes started by ringbench: one Numba thread each
                    assert result.provenance["numba_num_threads"] == "1"


def _dask_setting(key):
    import dask

    return key, dask.config.get(key)


def test_local_cluster_workers_run_their_monitors_rarely():
    """The LocalCluster's workers get QUIET_CLUSTER (profiler off, slow ticks), a value their default lacks."""
    import dask

    from ringbench.sweep.executors import QUIET_CLUSTER, open_executor

    for key, value in QUIET_CLUSTER.items():
        assert dask.config.get(key) != value  # the test below would pass without the executor's settings
    with open_executor("dask", workers=1) as executor:
        seen = dict(executor.map_unordered(_dask_setting, QUIET_CLUSTER))
    assert seen == QUIET_CLUSTER
    assert dask.config.get("distributed.worker.profile.enabled") is True  # the driver's own config is untouched


def test_warm_up_prepares_one_run_of_each_kind(reference):
    """One spec per (problem, timing, method): sizes and parameter values share the kernels."""
    config, outcome = reference
    kinds = sweep.task.kinds(outcome.specs)
    assert [spec.method["name"] for spec in kinds] == ["ringmaster", "asgd"]
    assert [spec.run_id for spec in kinds] == [outcome.specs[0].run_id, next(
        spec.run_id for spec in outcome.specs if spec.method["name"] == "asgd")]
    assert sweep.task.warm_up(outcome.specs) is False  # the reference run loaded or compiled them all
    assert isinstance(sweep.task.warm_up(), bool)  # without specs: a tiny Ringmaster run
    for spec in outcome.specs:
        assert isinstance(ringbench.load(outcome.out / "runs" / spec.run_id).provenance["sweep"]["compiled"], bool)


def test_ctrl_c_during_a_warm_up_stops_it(reference, monkeypatch):
    """simulate turns Ctrl-C into an interrupted result; a warm-up must not go on to the sweep after it."""
    config, outcome = reference
    monkeypatch.setattr(sweep.task, "simulate", lambda *args, **kwargs: types.SimpleNamespace(status="interrupted"))
    for specs in (outcome.specs, None):
        with pytest.raises(KeyboardInterrupt):
            sweep.task.warm_up(specs)


def test_a_worker_starts_without_plotting_libraries():
    """A worker process imports what runs need, not matplotlib (half a second of every worker's start)."""
    probe = "import sys, ringbench.sweep.task; print(sorted({'matplotlib', 'pandas'} & set(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


@pytest.mark.compiled
def test_no_worker_compiles_once_the_driver_has(reference, tmp_path):
    """Local workers load every kernel the driver compiled or loaded (the same numba cache): no run compiles."""
    config, _ = reference
    outcome = sweep.run(config, tmp_path / "out", executor="local", workers=2)
    assert outcome.compiled["driver"] is False  # this process already has them
    assert outcome.compiled["workers"] and not any(outcome.compiled["workers"].values()), outcome.compiled
    pids = {ringbench.load(tmp_path / "out" / "runs" / spec.run_id).provenance["sweep"]["pid"]
            for spec in outcome.specs}
    assert os.getpid() not in pids and len(outcome.compiled["workers"]) == len(pids)


KILLABLE = """
n = 200
t_max = 8000.0
checkpoints = 20

[seeds]
root = 9
replicates = 8

[[problems]]
name = "worst-case"
d = 400

[[timings]]
name = "paper"

[[methods]]
name = "asgd"
gamma = [0.0003, 0.0005, 0.001]
"""


def finished_runs(out):
    return len(list((out / "runs").glob("[!t]*.json")))


def start_sweep_and_signal(config, out, signal_number, after):
    """Run ``ringbench sweep`` in a session of its own; send the signal to the whole session once ``after``
    runs are finished (as Ctrl-C in a terminal, or a job scheduler's kill, reaches every process); return
    (exit status, runs finished when signalled)."""
    driver = subprocess.Popen([sys.executable, "-m", "ringbench", "sweep", str(config), "--out", str(out),
                               "--workers", "2", "--quiet"], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while finished_runs(out) < after:
            assert driver.poll() is None, driver.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep finished too few runs in time"
            time.sleep(0.01)
        done = finished_runs(out)
        os.killpg(driver.pid, signal_number)
        status = driver.wait(timeout=60)
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
        driver.stderr.close()
    return status, done


@pytest.mark.compiled
def test_interrupted_then_killed_sweep_restarts_to_every_run_exactly_once(tmp_path):
    config = write(tmp_path, KILLABLE)
    out = tmp_path / "out"
    total = len(sweep.load(config).specs())

    status, done = start_sweep_and_signal(config, out, signal.SIGINT, after=2)
    assert status == 130 and done < total, "Ctrl-C must stop the sweep midway, with exit status 130"
    kept = finished_runs(out)
    assert all(ringbench.load(path).status == "time_budget" for path in (out / "runs").glob("[!t]*.json"))

    status, done = start_sweep_and_signal(config, out, signal.SIGKILL, after=kept + 2)
    assert status == -signal.SIGKILL and done < total, "the kill must land midway"

    resumed = sweep.run(config, out, executor="threads", workers=2)
    assert resumed.skipped >= done and resumed.ran + resumed.skipped == total
    uninterrupted = sweep.run(config, tmp_path / "uninterrupted", executor="threads", workers=2)
    assert run_files(out) == run_files(uninterrupted.out) == sorted(
        f"{spec.run_id}{suffix}" for spec in uninterrupted.specs for suffix in (".json", ".npz"))
    for spec in uninterrupted.specs:
        assert_same_result(ringbench.load(out / "runs" / spec.run_id),
                           ringbench.load(uninterrupted.out / "runs" / spec.run_id))
    with open(out / "summary.csv", newline="") as stream:
        assert sorted(row["run_id"] for row in csv.DictReader(stream)) == sorted(s.run_id for s in uninterrupted.specs)


def test_cli_sweep_runs_resumes_and_reports_errors(reference, tmp_path, capsys):
    config, _ = reference
    out = tmp_path / "cli"
    assert main(["sweep", str(config), "--out", str(out), "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith(f"small: {SMALL_RUNS} runs, 0 finished")
    assert main(["sweep", str(config), "--out", str(out), "--executor", "threads", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"small: {SMALL_RUNS} runs ({SMALL_RUNS} run now, 0 finished before)" in printed
    assert "summary.csv" in printed
    assert main(["sweep", str(config), "--out", str(out), "--executor", "threads", "--quiet"]) == 0
    assert f"(0 run now, {SMALL_RUNS} finished before)" in capsys.readouterr().out

    bad = write(tmp_path, SMALL.replace("d = 8", "d = 0"), "bad.toml")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "bad")]) == 2
    assert "ringbench: error: problems: worst-case d=0" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()  # validation comes before any output
    assert main(["sweep", str(config), "--workers", "0"]) == 2
    assert "workers must be an integer >= 1" in capsys.readouterr().err
    assert main(["sweep", str(config), "--executor", "threads", "--address", "tcp://127.0.0.1:1"]) == 2
    assert "address is for the dask executor" in capsys.readouterr().err


def test_executor_stops_in_background_and_its_error_reaches_the_caller():
    from ringbench.sweep.runner import _in_background

    done = []
    with _in_background(lambda: done.append(True)):
        pass
    assert done == [True]
    with pytest.raises(ZeroDivisionError), _in_background(lambda: 1 / 0):
        pass
