"""Same configuration and seed: bit-identical results, across calls, processes and chunkings."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ringbench
from ringbench import Recording, methods, problems, timing

ARRAYS = ("time", "iteration", "f_gap", "grad_norm2", "x")

METHODS = {
    "asgd": lambda: methods.ASGD(gamma=0.05),
    "delay-adaptive": lambda: methods.DelayAdaptiveASGD(gamma=0.1),
    "ringmaster": lambda: methods.Ringmaster(gamma=0.1, threshold=4),
    "ringmaster-no-stops": lambda: methods.Ringmaster(gamma=0.1, threshold=4, stops=False),
    "rennala": lambda: methods.Rennala(gamma=0.1, S=5),
    "rennala-no-stops": lambda: methods.Rennala(gamma=0.1, S=5, stops=False),
    "minibatch": lambda: methods.Minibatch(gamma=0.1),
}


def simulation_module():
    """The module that defines ``simulate`` (it holds ``_CHUNK_SECONDS`` and the chunked driver)."""
    return sys.modules[ringbench.simulate.__module__]


def run(method_name, seed=7, *, t_max=60.0, record=None, trace="events"):
    problem = problems.Quadratic.worst_case(30, noise_std=0.05, noise="isotropic")
    return ringbench.simulate(problem, METHODS[method_name](), timing.profile("paper", 12), t_max=t_max,
                              seed=seed, record=record or Recording(times=50, every=3), trace=trace)


def assert_identical(a, b):
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name
    assert a.counters == b.counters
    assert a.status == b.status
    assert a.diverged_at == b.diverged_at
    assert a.config == b.config
    assert (a.trace is None) == (b.trace is None)
    if a.trace is not None:
        assert a.trace.keys() == b.trace.keys()
        for name in a.trace:
            assert a.trace[name].tobytes() == b.trace[name].tobytes(), f"trace {name}"


@pytest.mark.parametrize("method_name", list(METHODS))
def test_same_seed_twice_in_one_process(method_name):
    first = run(method_name)
    second = run(method_name)
    assert first.counters["arrivals"] > 20
    assert_identical(first, second)


def test_seed_sequence_equals_integer_seed():
    assert_identical(run("asgd", seed=11), run("asgd", seed=np.random.SeedSequence(11)))


@pytest.mark.parametrize("method_name", ["asgd", "ringmaster", "rennala-no-stops"])
def test_different_seeds_differ(method_name):
    a, b = run(method_name, seed=1), run(method_name, seed=2)
    assert not np.array_equal(a.grad_norm2, b.grad_norm2)
    assert not np.array_equal(a.trace["time"], b.trace["time"])


def test_result_does_not_depend_on_chunking(monkeypatch):
    module = simulation_module()
    t_max = 2000.0  # over two thousand arrivals for every method: more than the driver's first chunk of 1024 events
    reference = {name: run(name, t_max=t_max) for name in METHODS}
    calls = []
    advance = ringbench.engine.loop.advance

    def counting_advance(sim, rule, problem, max_events):
        calls.append(max_events)
        return advance(sim, rule, problem, max_events)

    monkeypatch.setattr(ringbench.engine.loop, "advance", counting_advance)
    # Tiny chunks: the driver shrinks the chunk to a single event.
    monkeypatch.setattr(module, "_CHUNK_SECONDS", 1e-12)
    for name in METHODS:
        calls.clear()
        result = run(name, t_max=t_max)
        assert len(calls) > 100 and min(calls) == 1, "chunking was not forced"
        assert_identical(reference[name], result)
    # Huge chunks: the whole run in a few calls.
    monkeypatch.setattr(module, "_CHUNK_SECONDS", 1e9)
    for name in METHODS:
        calls.clear()
        assert_identical(reference[name], run(name, t_max=t_max))
        assert len(calls) <= 5  # chunks grow fourfold from 1024 events


def test_result_does_not_depend_on_buffer_drains(monkeypatch):
    """Many more checkpoint rows than the recorder's buffer holds: drains must not change anything."""
    record = Recording(every=1)
    reference = run("ringmaster", t_max=5000.0, record=record, trace=False)
    assert reference.time.size > 1.2 * 4096  # more than one buffer (4096 rows)
    monkeypatch.setattr(simulation_module(), "_CHUNK_SECONDS", 1e-12)
    chunked = run("ringmaster", t_max=5000.0, record=record, trace=False)
    assert_identical(reference, chunked)
    # Rows are in order and every update is recorded (grid rows come in between).
    assert np.all(np.diff(reference.time) >= 0) and np.all(np.diff(reference.iteration) >= 0)
    np.testing.assert_array_equal(np.unique(reference.iteration), np.arange(reference.counters["updates"] + 1))


_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_reproducibility import run
    for name in {names!r}:
        run(name).save({directory!r} + "/" + name)
""")


def test_same_result_in_a_fresh_process(tmp_path):
    names = ["asgd", "ringmaster", "rennala", "minibatch"]
    from pathlib import Path

    script = _CHILD.format(tests=str(Path(__file__).parent), names=names, directory=str(tmp_path))
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    for name in names:
        here = run(name)
        there = ringbench.load(tmp_path / name)
        assert_identical(here, there)
        assert json.loads((tmp_path / f"{name}.json").read_text())["counters"] == here.counters
