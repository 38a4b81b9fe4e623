"""The MLP problem through the engine's protocol: NumPy agreement, finite differences, per-worker sampling, runs."""

import json

import numpy as np
import pytest
from test_mlp_kernels import reference

import ringbench as rb
from ringbench import experiments, plotting
from ringbench.cli import main as cli_main
from ringbench.engine import protocol
from ringbench.engine.rng import key_from_seed
from ringbench.problems import MLP

# Philox's uint64 arithmetic wraps around by design; only NumPy scalars (NUMBA_DISABLE_JIT=1) warn about it.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

INPUTS, HIDDEN, CLASSES = 6, 5, 3


def tiny(n_samples=24, **options):
    rng = np.random.default_rng(3)
    features = rng.standard_normal((n_samples, INPUTS))
    labels = np.arange(n_samples) % CLASSES
    options.setdefault("hidden", HIDDEN)
    return MLP(features, labels, **options)


def key(seed=0):
    return key_from_seed(np.random.SeedSequence(seed))


def gradient(problem, worker, job, seed=0, point=None):
    out = np.zeros(problem.d)
    protocol.stochastic_gradient(problem.data(), key(seed), problem.x0 if point is None else point, worker, job, out)
    return out


def full_loss(problem, x):
    """F(x) and its gradient from the independent NumPy reference, worker by worker."""
    offsets, samples = problem._offsets, problem._samples
    workers = offsets.size - 1
    loss, grad = 0.0, np.zeros(problem.d)
    for w in range(workers):
        part_loss, part_grad = reference(x, INPUTS, HIDDEN, CLASSES, problem.features, problem.labels,
                                         samples[offsets[w]:offsets[w + 1]])[:2]
        loss += part_loss / workers
        grad += part_grad / workers
    return loss, grad


def test_metrics_and_accuracy_match_numpy():
    parts = [np.arange(0, 4), np.arange(4, 24)]  # unequal sizes: f = 1/n sum_i f_i, not the plain mean
    problem = tiny(partition=parts)
    x = problem.x0 * 3.0
    loss, grad = full_loss(problem, x)
    objective, norm2 = problem.metrics(x)
    assert objective == pytest.approx(loss, rel=1e-12)
    assert norm2 == pytest.approx(grad @ grad, rel=1e-10)
    accuracy = reference(x, INPUTS, HIDDEN, CLASSES, problem.features, problem.labels, np.arange(24))[2]
    assert problem.accuracy(x) == pytest.approx(accuracy)


def test_full_batch_gradient_is_finite_difference_of_f_and_noise_is_one_scalar():
    problem = tiny(batch=None)
    x = problem.x0
    exact = gradient(problem, 0, 0)
    direction = np.random.default_rng(1).standard_normal(problem.d)
    h = 1e-6
    numeric = (problem.metrics(x + h * direction)[0] - problem.metrics(x - h * direction)[0]) / (2 * h)
    assert exact @ direction == pytest.approx(numeric, rel=1e-6)
    noisy = tiny(batch=None, noise_std=1.0)
    shifts = np.array([gradient(noisy, 0, job) - exact for job in range(400)])
    assert np.allclose(shifts, shifts[:, :1])  # the same scalar on every coordinate
    assert abs(shifts[:, 0].mean()) < 0.2 and shifts[:, 0].std() == pytest.approx(1.0, rel=0.15)
    assert noisy.sigma2 == noisy.d and tiny().sigma2 is None


def test_minibatch_gradients_come_from_the_workers_own_samples_without_replacement():
    parts = [np.arange(0, 12, 2), np.arange(1, 12, 2), np.arange(12, 24)]
    problem = tiny(batch=4, replacement=False, partition=parts)
    x = problem.x0
    for worker, part in enumerate(parts):
        singles = {int(j): reference(x, INPUTS, HIDDEN, CLASSES, problem.features, problem.labels, np.array([j]))[1]
                   for j in part}
        for job in range(5):
            g = gradient(problem, worker, job)
            # g is the mean of 4 distinct own samples' gradients: find them by least squares over the pool
            matrix = np.array(list(singles.values())).T
            weights = np.linalg.lstsq(matrix, g, rcond=None)[0]
            assert np.allclose(np.sort(weights)[-4:], 0.25, atol=1e-8) and np.allclose(np.sort(weights)[:-4], 0.0,
                                                                                        atol=1e-8)
    assert np.array_equal(gradient(problem, 1, 3, seed=7), gradient(problem, 1, 3, seed=7))
    assert not np.array_equal(gradient(problem, 1, 3, seed=7), gradient(problem, 1, 4, seed=7))


@pytest.mark.parametrize("name, parameters", [
    ("asgd", dict(gamma=0.05)), ("ringmaster", dict(gamma=0.05, threshold=2)), ("rennala", dict(gamma=0.05, S=2)),
    ("delay-adaptive-asgd", dict(gamma=0.05)), ("ringleader", dict(gamma=0.05)), ("malenia", dict(gamma=0.05)),
    ("ia2sgd", dict(gamma=0.05))])
def test_every_method_family_runs_and_records_accuracy(name, parameters):
    parts = [np.arange(w, 24, 4) for w in range(4)]
    problem = tiny(batch=2, partition=parts)
    timing = rb.timing.profile("ringleader", 4, permutation_seed=0)
    first = rb.simulate(problem, rb.methods.get(name, **parameters), timing, t_max=40.0, seed=2,
                        record=rb.Recording(times=4))
    again = rb.simulate(problem, rb.methods.get(name, **parameters), timing, t_max=40.0, seed=2,
                        record=rb.Recording(times=4))
    assert first.status == "time_budget" and first.counters["updates"] > 0
    assert first.f_gap is None and np.all((first.extra >= 0) & (first.extra <= 1))
    assert first.extra[-1] == problem.accuracy(first.x) and first.f[-1] == pytest.approx(problem.metrics(first.x)[0])
    assert np.array_equal(first.grad_norm2, again.grad_norm2) and np.array_equal(first.x, again.x)


def test_problems_without_an_extra_metric_record_none():
    result = rb.simulate(rb.problems.Quadratic.worst_case(8, noise_std=0.01), rb.methods.get("asgd", gamma=0.1),
                         rb.timing.profile("paper", 3), t_max=5.0)
    assert result.extra is None


def test_bad_input_is_rejected_with_the_parameter_named():
    with pytest.raises(ValueError, match="hidden"):
        tiny(hidden=0)
    with pytest.raises(ValueError, match="batch must be <="):
        tiny(batch=7, replacement=False, partition=[np.arange(6), np.arange(6, 24)])
    with pytest.raises(ValueError, match="labels"):
        MLP(np.zeros((3, 2)), [0, -1, 1])
    with pytest.raises(ValueError, match="n and alpha"):
        MLP.from_dataset("mnist5k", n=10)


@pytest.mark.datasets("mnist5k")
def test_settings_build_on_the_subset():
    e1 = experiments.mnist_problem()
    assert (e1.inputs, e1.hidden, e1.classes, e1.n_samples, e1.batch) == (784, 32, 10, 100, None)
    assert np.array_equal(np.bincount(e1.labels), np.full(10, 10))  # the sorted subset: 10 per digit
    e2 = experiments.ringleader_problem()
    assert (e2.hidden, e2.n_workers, e2.batch, e2.replacement) == (128, 100, 4, False)
    assert np.all(np.diff(e2._offsets) == 50)
    for name in experiments.DEFAULT_DATA:
        setting = experiments.SETTINGS[name]
        experiments.paper_methods(setting.compared, tuned=setting.tuned)


def test_compare_rejects_paper_scale_for_other_settings(capsys):
    assert cli_main(["compare", "--setting", "heterogeneous", "--paper-scale"]) != 0
    assert "--paper-scale applies to the settings" in capsys.readouterr().err


def test_a_network_result_is_plotted_by_its_loss_where_f_star_is_unknown():
    network = rb.simulate(tiny(), rb.methods.ASGD(gamma=0.05), rb.timing.fixed([1.0, 2.0]), t_max=20.0)
    quadratic = rb.simulate(rb.problems.Quadratic.worst_case(4), rb.methods.ASGD(gamma=0.1), rb.timing.fixed([1.0]),
                            t_max=5.0)
    assert network.f_gap is None and quadratic.f_gap is not None
    assert plotting.objective_metric([quadratic]) == "f_gap"
    assert plotting.objective_metric([quadratic, network]) == "f"
    figure = plotting.convergence([network], metric=("grad_norm2", "f"))
    panel = figure.axes[1]
    assert panel.get_ylabel() == "$f(x)$"
    assert np.array_equal(panel.lines[0].get_ydata(), network.f)  # a loss is positive: every checkpoint drawn
    with pytest.raises(ValueError, match="has no f_gap"):
        plotting.convergence([network], metric="f_gap")


@pytest.mark.datasets("mnist5k")
@pytest.mark.compiled
def test_compare_on_a_network_setting_writes_its_table_results_and_plot(tmp_path, capsys):
    setting = experiments.SETTINGS["ringmaster-mnist"]
    status = cli_main(["compare", "--setting", "ringmaster-mnist", "--n", "20", "--t-max", "20", "--quiet",
                       "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0, out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[3:3 + len(setting.compared)]}
    assert list(rows) == list(setting.compared), out
    for name in setting.compared:
        result = rb.load(tmp_path / name)
        assert result.f_gap is None and np.all(np.isfinite(result.f))
        assert "-" in rows[name] and "nan" not in rows[name]  # f - f* unknown: a dash, never nan
    summary = json.loads((tmp_path / "summary.json").read_text())  # strict JSON: no NaN for the unknown f - f*
    assert all(row["final_f_gap"] is None for row in summary["rows"])
    png = (tmp_path / "compare.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
