"""Communication time (timing.communicating): hand-computed runs, the documented draws, the naive reference."""

import warnings

import numpy as np
import pytest
from naive import naive_simulate
from test_naive_agreement import PROBLEMS, assert_engine_matches_reference

import ringbench
from ringbench import theory
from ringbench.engine.rng import STREAM_DOWNLOAD, STREAM_DURATION, STREAM_UPLOAD, job_normal, job_uniform, key_from_seed
from ringbench.methods import ASGD, RandomASGD, Rennala, Ringmaster
from ringbench.problems import Quadratic
from ringbench.timing import communicating, fixed, outages, piecewise, profile, random
from ringbench.timing.communication import communicating_finish_time

KEY = key_from_seed(np.random.SeedSequence(0))


def line():
    return Quadratic(np.array([[1.0]]), [0.0], x0=[1.0], name="line")


def test_asgd_with_links_by_hand():
    # f = x^2/2, x0 = 1, gamma = 1/4. Round trips: w0 0.5 + 1 + 0.25 = 1.75, w1 0 + 3 + 1 = 4.
    # t=1.75 w0 (s=0): x1 = 0.75, resent.          t=3.5  w0 (s=1, delay 0): x2 = 0.75 - 0.75/4 = 0.5625.
    # t=4    w1 (s=0, delay 2, g = x0): x3 = 0.3125. t=5.25 w0 (s=2, delay 1, g = x2): x4 = 0.3125 - 0.5625/4.
    # t=7    w0 (s=4, delay 0): x5 = 0.171875 * 3/4.
    model = communicating(fixed([1.0, 3.0]), download=[0.5, 0.0], upload=[0.25, 1.0])
    result = ringbench.simulate(line(), ASGD(gamma=0.25), model, seed=0, max_updates=5, trace="iterates")
    trace = result.trace
    np.testing.assert_array_equal(trace["time"], [1.75, 3.5, 4.0, 5.25, 7.0])
    np.testing.assert_array_equal(trace["worker"], [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(trace["delay"], [0, 0, 2, 1, 0])
    np.testing.assert_array_equal(trace["x"][:, 0], [0.75, 0.5625, 0.3125, 0.171875, 0.12890625])
    np.testing.assert_array_equal(model.expected_durations(), [1.75, 4.0])


def test_computing_starts_when_the_iterate_is_received():
    # One worker, tau = 1, offline on [0.5, 2). Without links: 0.5 of work by 0.5, the rest on [2, 2.5).
    # With a 0.5 s download the work starts at 0.5, in the outage: done at 3, upload 0.5: arrives at 3.5.
    compute = outages([1.0], [(0, 0.5, 2.0)])
    assert communicating_finish_time(communicating(compute).data(), KEY, 0, 0, 0.0) == 2.5
    assert communicating_finish_time(communicating(compute, 0.5, 0.5).data(), KEY, 0, 0, 0.0) == 3.5
    # Sent at 2.5: received 3, computed 4, arrives 4.5.
    assert communicating_finish_time(communicating(compute, 0.5, 0.5).data(), KEY, 0, 7, 2.5) == 4.5


@pytest.mark.parametrize("compute", [fixed([1.0, 2.0, 2.0]), profile("paper", 3),
                                     random([1.0, 0.5, 2.0], [0.3, 1.0, 0.1], "exponential"),
                                     outages([1.0, 2.0, 1.5], [(1, 1.0, 4.0)])], ids=lambda m: m.name)
def test_free_links_change_nothing(compute):
    """The spec's model is D = U = 0: the same run, bit for bit."""
    problem = Quadratic.worst_case(5, noise_std=0.2)
    bare = ringbench.simulate(problem, Ringmaster(gamma=0.2, threshold=2), compute, seed=4, t_max=30.0)
    linked = ringbench.simulate(problem, Ringmaster(gamma=0.2, threshold=2), communicating(compute), seed=4, t_max=30.0)
    assert bare.x.tobytes() == linked.x.tobytes() and bare.counters == linked.counters
    assert bare.time.tobytes() == linked.time.tobytes()


def test_random_links_are_the_documented_draws_of_their_own_streams():
    base, scale = np.array([0.2, 0.4]), np.array([0.1, 0.5])
    model = communicating(random([1.0, 2.0], [0.5, 0.5], "half-normal"), download=random(base, scale, "exponential"),
                          upload=random(base, scale, "log-normal"))
    for worker in range(2):
        for job in range(20):
            compute = 1.0 + worker + 0.5 * abs(job_normal(KEY, STREAM_DURATION, worker, job))
            download = base[worker] - scale[worker] * np.log1p(-job_uniform(KEY, STREAM_DOWNLOAD, worker, job))
            upload = base[worker] * np.exp(scale[worker] * job_normal(KEY, STREAM_UPLOAD, worker, job))
            got = communicating_finish_time(model.data(), KEY, worker, job, 10.0)
            assert got == pytest.approx(10.0 + download + compute + upload, rel=1e-14)
    # Means: E Exp part = scale, E log-normal = base exp(scale^2 / 2), E half-normal = scale sqrt(2 / pi).
    expected = (base + scale) + (np.array([1.0, 2.0]) + 0.5 * np.sqrt(2 / np.pi)) + base * np.exp(scale**2 / 2)
    np.testing.assert_allclose(model.expected_durations(), expected, rtol=1e-15)


def test_theory_predicts_with_the_round_trip_times():
    """[R] The fixed-model complexities with tau_i replaced by D_i + tau_i + U_i."""
    problem = Quadratic.worst_case(6, noise_std=0.1)
    model = communicating(fixed([1.0, 2.0, 4.0]), download=0.5, upload=[0.0, 1.0, 2.0])
    for method in (ASGD(eps=0.01), Rennala(eps=0.01), Ringmaster(eps=0.01)):
        assert theory.prediction(problem, method, model) == theory.prediction(problem, method,
                                                                              fixed([1.5, 3.5, 6.5]))


TIMINGS = {
    "fixed-links-ties": lambda: communicating(fixed([1.0, 2.0, 1.5, 0.5]), download=[0.5, 0.0, 0.25, 1.0],
                                              upload=[0.5, 0.0, 0.25, 0.0]),
    "random-links": lambda: communicating(profile("paper", 4), download=random(np.full(4, 0.1), np.full(4, 0.5),
                                                                               "exponential"),
                                          upload=random(np.full(4, 0.2), np.linspace(0.1, 1, 4))),
    "links-over-outages": lambda: communicating(outages([1.0, 2.0, 1.0], [(0, 2.0, 5.0), (2, 0.5, 1.5)]),
                                                download=0.25, upload=random(np.full(3, 0.1), np.full(3, 0.2),
                                                                             "log-normal")),
    "piecewise-links": lambda: communicating(piecewise([0.0, 3.0], [[1.0, 0.5], [0.5, 2.0]]), download=0.5),
}
METHODS = {"asgd": ASGD(gamma=0.1), "ringmaster-R2": Ringmaster(gamma=0.2, threshold=2),
           "rennala-S2-nostops": Rennala(gamma=0.3, S=2, stops=False), "random-asgd": RandomASGD(gamma=0.1)}


@pytest.mark.parametrize("method_name", list(METHODS))
@pytest.mark.parametrize("timing_name", list(TIMINGS))
def test_engine_matches_reference(method_name, timing_name):
    assert_engine_matches_reference(METHODS[method_name], TIMINGS[timing_name]())


def test_links_delay_the_run():
    """Guard against a vacuous agreement: links change the events of the reference."""
    problem, A = PROBLEMS["worst4-scalar"]()
    bare = naive_simulate(problem, ASGD(gamma=0.1), fixed([1.0, 2.0, 1.5, 0.5]), seed=1, A=A, t_max=10.0)
    linked = naive_simulate(problem, ASGD(gamma=0.1), TIMINGS["fixed-links-ties"](), seed=1, A=A, t_max=10.0)
    assert len(linked.events) < len(bare.events)
    assert linked.column("time")[0] == 1.5  # worker 3: 1.0 + 0.5 + 0.0


@pytest.mark.parametrize(("options", "pattern"), [
    (dict(download=-1.0), "download must be >= 0"),
    (dict(upload=[0.1, 0.2]), "upload must have length 3"),
    (dict(download=[0.1, -0.2, 0.0]), "download"),
    (dict(upload=piecewise([0.0, 1.0], np.ones((3, 2)))), "upload must be seconds .* got a 'piecewise' model"),
    (dict(download=fixed([1.0, 2.0])), "download has n = 2 workers, the compute model n = 3"),
    (dict(download=float("nan")), "download"),
    # each finite, the sum inf: jobs that never end made a run of no arrivals that looked finished
    (dict(download=1e308, upload=1e308), r"download \+ compute \+ upload of worker 0 overflow float64 seconds"),
])
def test_bad_links_are_rejected(options, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no numpy overflow warning on the way
        with pytest.raises(ValueError, match=pattern):
            communicating(fixed([1.0, 2.0, 3.0]), **options)


def test_bad_compute_model_is_rejected():
    with pytest.raises(ValueError, match="compute must be a timing model"):
        communicating([1.0, 2.0])
    with pytest.raises(ValueError, match="no speed functions"):
        communicating(fixed([1.0])).work(1.0)


def test_run_command_takes_link_times(tmp_path, capsys):
    from ringbench.cli import main
    small = ["--n", "4", "--d", "10", "--t-max", "20", "--quiet"]
    assert main(["run", "--method", "asgd", "--gamma", "0.05", *small, "--download", "0.5", "--upload", "1",
                 "--out", str(tmp_path)]) == 0
    saved = ringbench.load(tmp_path / "asgd")
    assert saved.config["timing"]["name"] == "communicating"
    assert saved.config["timing"]["download"] == 0.5 and saved.config["timing"]["upload"] == 1.0
    assert main(["run", "--method", "asgd", "--gamma", "0.05", *small, "--upload", "-1"]) == 2
    assert "--upload must be >= 0" in capsys.readouterr().err


def test_compare_command_takes_link_times(tmp_path, capsys):
    import json

    from ringbench.cli import main
    assert main(["compare", "--methods", "asgd,ringmaster", "--n", "4", "--d", "10", "--t-max", "20", "--quiet",
                 "--download", "0.5", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["timing"]["name"] == "communicating" and summary["timing"]["download"] == 0.5
    assert "with communication timing" in capsys.readouterr().out
