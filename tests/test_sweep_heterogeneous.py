"""Heterogeneous data and every timing model in sweeps: splits, per-worker quadratics, files, permutations."""

import numpy as np
import pytest
import scipy

from ringbench import datasets, simulate, sweep, timing
from ringbench.cli import main
from ringbench.problems import Quadratic, splits
from ringbench.problems import registry as problems
from ringbench.sweep import registry
from ringbench.sweep.timings import permutation_seed

HEAD = """
n = 6
t_max = 20.0
checkpoints = 10

[seeds]
root = 3
replicates = 3
"""
SYNTHETIC = """
[[problems]]
name = "logistic-synthetic"
n_samples = 60
n_features = 5
seed = 1
{extra}
"""
TIMING = """
[[timings]]
name = "paper"
"""
RINGLEADER = """
[[methods]]
name = "ringleader"
gamma = 0.1
"""
ASGD = """
[[methods]]
name = "asgd"
gamma = 0.05
"""


def config(problem, timing_table=TIMING, methods=ASGD):
    return sweep.parse(HEAD + problem + timing_table + methods)


def built(config, index=0):
    problem, timing_spec = config.settings()[index]
    return registry.build_problem(problem, timing_spec["n"])


@pytest.mark.parametrize("value, kind, alpha, seed", [
    ('{kind = "dirichlet", alpha = 0.3, seed = 7}', "dirichlet", 0.3, 7),
    ('"dirichlet"', "dirichlet", 0.1, splits.DIRICHLET_SEED),
    ('{kind = "iid", seed = 4}', "iid", None, 4),
    ('"label-sorted"', "label-sorted", None, None),
])
def test_split_key_gives_each_worker_the_split_of_the_samples(value, kind, alpha, seed):
    parsed = config(SYNTHETIC.format(extra=f"split = {value}"))
    problem = built(parsed)
    assert problem.n_workers == 6
    labels = datasets.synthetic(60, 5, seed=1)[1]
    expected = splits.split(kind, labels, 6, alpha=alpha, seed=seed)
    offsets = problem.data().worker_offsets
    for worker, part in enumerate(expected):
        got = problem.data().worker_samples[offsets[worker]:offsets[worker + 1]]
        assert sorted(got.tolist()) == sorted(part.tolist())


def test_an_array_of_split_tables_is_a_grid_axis():
    parsed = config(SYNTHETIC.format(extra='split = [{kind = "dirichlet", alpha = 0.1}, "iid"]'))
    assert [problem["split"] for problem in parsed.problems] == [
        {"kind": "dirichlet", "alpha": 0.1, "seed": splits.DIRICHLET_SEED}, {"kind": "iid", "seed": 0}]


@pytest.mark.parametrize("extra, message", [
    ('split = {kind = "iid", alpha = 0.1}', r"split: a iid split has no key 'alpha'; allowed: kind, seed"),
    ('split = {kind = "label-sorted", seed = 1}', r"no key 'seed'; allowed: kind$"),
    ('split = {kind = "dirichlet", alpha = -1.0}', r"split.alpha"),
    ('split = "shuffled"', r"split.kind"),
    ('split = 3', r"split must be one of 'iid', 'label-sorted', 'dirichlet'"),
    ('splitting = "iid"', r"has no key 'splitting'; allowed: .*split"),
])
def test_invalid_split_names_the_key_and_what_is_allowed(extra, message):
    with pytest.raises(ValueError, match=message):
        config(SYNTHETIC.format(extra=extra))


def test_heterogeneity_and_scale_spread_split_a_quadratic_over_n_workers():
    parsed = config('[[problems]]\nname = "worst-case"\nd = 8\nheterogeneity = 0.5\nscale_spread = 0.2\n'
                    'heterogeneity_seed = 9\n')
    problem = built(parsed)
    expected = Quadratic.worst_case(8).split_randomly(6, heterogeneity=0.5, scale_spread=0.2, seed=9)
    assert problem.n_workers == 6
    assert np.array_equal(problem.data().worker_b, expected.data().worker_b)
    assert np.array_equal(problem.data().worker_scale, expected.data().worker_scale)
    with pytest.raises(ValueError, match="heterogeneity_seed seeds heterogeneity or scale_spread"):
        config('[[problems]]\nname = "worst-case"\nd = 8\nheterogeneity_seed = 9\n').check()


def test_a_method_that_needs_per_worker_data_without_a_split_is_an_error_before_any_run(tmp_path):
    for problem in (SYNTHETIC.format(extra=""), '[[problems]]\nname = "worst-case"\nd = 8\n'):
        with pytest.raises(ValueError, match=r"methods\[0\] \(ringleader\).*needs per-worker data.*set "
                                             r"(split|heterogeneity or scale_spread)"):
            config(problem, methods=RINGLEADER)
    # Every heterogeneous-data method says so by its class attribute, not by a list of names.
    for name in ("malenia", "ia2sgd"):
        with pytest.raises(ValueError, match="needs per-worker data"):
            config(SYNTHETIC.format(extra=""), methods=f'[[methods]]\nname = "{name}"\ngamma = 0.1\n')
    config(SYNTHETIC.format(extra='split = "iid"'), methods=RINGLEADER).check()
    # ringbench run: the same error, exit status 2, before anything runs.
    assert main(["run", "--method", "ringleader", "--gamma", "0.1", "--n", "4", "--d", "6", "--t-max", "5",
                 "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert not any((tmp_path / "out").iterdir())


def test_sparse_random_and_user_matrix_quadratics(tmp_path):
    parsed = config('[[problems]]\nname = "sparse-random"\nd = 30\ndensity = 0.1\nseed = 2\n')
    sparse = built(parsed)
    assert sparse.storage() == "csr" and sparse.mu > 0
    A = np.diag(np.arange(1.0, 6.0)) + 0.1
    np.save(tmp_path / "A.npy", A)
    scipy.sparse.save_npz(tmp_path / "S.npz", scipy.sparse.csr_array(A))
    np.savez(tmp_path / "Ab.npz", A=A, b=np.ones(5))
    scipy.io.mmwrite(tmp_path / "A.mtx", scipy.sparse.coo_array(A))
    for name, storage in (("A.npy", "dense"), ("S.npz", "csr"), ("A.mtx", "csr")):
        problem = problems.build("matrix", {"file": str(tmp_path / name)})
        assert problem.storage() == storage
        assert np.allclose(problem.x_star, np.ones(5))  # the default b = A 1
    assert np.allclose(problems.build("matrix", {"file": str(tmp_path / "Ab.npz")}).b, np.ones(5))
    np.save(tmp_path / "b.npy", np.arange(5.0))
    assert np.array_equal(problems.build("matrix", {"file": str(tmp_path / "A.npy"), "b": str(tmp_path / "b.npy")}).b,
                          np.arange(5.0))
    with pytest.raises(ValueError, match="b: .* holds a vector b already"):
        problems.build("matrix", {"file": str(tmp_path / "Ab.npz"), "b": str(tmp_path / "b.npy")})
    with pytest.raises(ValueError, match=r"file must be a \.npy, \.npz, \.mtx file"):
        problems.build("matrix", {"file": str(tmp_path / "A.txt")})
    with pytest.raises(ValueError, match="file: no file"):
        problems.build("matrix", {"file": str(tmp_path / "missing.npy")})


@pytest.mark.skipif(not datasets.DATASETS["mnist5k"], reason="no MNIST data")
def test_mlp_on_an_idx_dataset_takes_a_split():
    try:
        problem = problems.build("mlp", {"dataset": "mnist5k", "samples": 200, "balanced": True,
                                         "split": {"kind": "dirichlet", "alpha": 0.1}}, n=5)
    except datasets.DatasetNotFoundError:
        pytest.skip("mnist5k is not available")
    assert problem.n_workers == 5
    with pytest.raises(ValueError, match="dataset 'a9a' is a LIBSVM .*: choose one of .*mnist5k"):
        problems.build("mlp", {"dataset": "a9a"})


def write_timing_files(path, n):
    np.save(path / "tau.npy", np.arange(1.0, n + 1.0))
    np.savetxt(path / "tau.csv", np.arange(1.0, n + 1.0), delimiter=",")
    np.savez(path / "piecewise.npz", breakpoints=np.array([0.0, 5.0]), rates=np.tile([1.0, 0.5], (n, 1)))
    np.savetxt(path / "windows.csv", np.array([[0, 1.0, 3.0], [2, 0.0, 4.0]]), delimiter=",")
    np.save(path / "trace.npy", np.tile([1.0, 2.0, 3.0], (n, 1)))
    np.savetxt(path / "trace.csv", np.array([[worker, 1.0 + worker] for worker in range(n)]), delimiter=",")
    np.savez(path / "power.npz", coefficient=np.ones(n), exponent=np.full(n, -0.5))


@pytest.mark.parametrize("table, expected", [
    ('name = "fixed"\noffset = 1.0\nscale = 2.0\npower = 0.5',
     lambda n: timing.fixed(1 + 2 * np.sqrt(np.arange(1, n + 1)))),
    ('name = "fixed"\nfile = "{dir}/tau.npy"', lambda n: timing.fixed(np.arange(1.0, n + 1))),
    ('name = "fixed"\nfile = "{dir}/tau.csv"', lambda n: timing.fixed(np.arange(1.0, n + 1))),
    ('name = "random"\ndistribution = "exponential"\nnoise = 2.0\nnoise_power = 0.0',
     lambda n: timing.random(np.arange(1.0, n + 1), np.full(n, 2.0), "exponential")),
    ('name = "random"\ndistribution = "log-normal"\noffset = 1.0\nscale = 0.0\nnoise = 0.1\nnoise_power = 0.0',
     lambda n: timing.random(np.ones(n), np.full(n, 0.1), "log-normal")),
    ('name = "random"', lambda n: timing.random(np.arange(1.0, n + 1), np.sqrt(np.arange(1.0, n + 1)))),
    ('name = "piecewise"\nfile = "{dir}/piecewise.npz"',
     lambda n: timing.piecewise([0.0, 5.0], np.tile([1.0, 0.5], (n, 1)))),
    ('name = "outages"\nwindows = "{dir}/windows.csv"',
     lambda n: timing.outages(np.arange(1.0, n + 1), [(0, 1.0, 3.0), (2, 0.0, 4.0)])),
    ('name = "power-law"\nexponent = -0.5\noffset = 1.0\nscale = 0.0',
     lambda n: timing.power_law(np.ones(n), np.full(n, -0.5))),
    ('name = "power-law"\nfile = "{dir}/power.npz"', lambda n: timing.power_law(np.ones(n), np.full(n, -0.5))),
    ('name = "trace"\nfile = "{dir}/trace.npy"', lambda n: timing.trace(np.tile([1.0, 2.0, 3.0], (n, 1)))),
    ('name = "trace"\nfile = "{dir}/trace.csv"', lambda n: timing.trace([[1.0 + worker] for worker in range(n)])),
])
def test_every_timing_model_of_the_api_is_a_sweep_timing(tmp_path, table, expected):
    write_timing_files(tmp_path, 6)
    parsed = config('[[problems]]\nname = "worst-case"\nd = 6\n', "[[timings]]\n" + table.format(dir=tmp_path))
    parsed.check()
    spec = parsed.specs()[0]
    model = registry.build_timing(spec.timing, spec.seed_sequence())
    reference = expected(6)
    assert model.describe() == {**reference.describe(), "n": 6}
    one = simulate(registry.build_problem(spec.problem, 6), registry.build_method(spec.method), model, t_max=20.0,
                   seed=spec.seed_sequence())
    two = simulate(registry.build_problem(spec.problem, 6), registry.build_method(spec.method), reference,
                   t_max=20.0, seed=spec.seed_sequence())
    assert one.x.tobytes() == two.x.tobytes()


@pytest.mark.parametrize("table, message", [
    ('name = "fixed"\noffset = -1.0', r"offset must be"),
    ('name = "fixed"\noffset = 0.0\nscale = 0.0', r"offset \+ scale must be > 0"),
    ('name = "fixed"\nfile = "{dir}/tau.npy"\npower = 2.0', r"give file or offset/scale/power"),
    ('name = "fixed"\nfile = "{dir}/short.npy"', r"file: .* describes 3 workers, but n = 6"),
    ('name = "random"\ndistribution = "gamma"', r"distribution"),
    ('name = "random"\nnoise = -1.0', r"noise must be"),
    ('name = "piecewise"', r"needs file"),
    ('name = "piecewise"\nfile = "{dir}/tau.npy"', r"file must be a \.npz file"),
    ('name = "outages"\nwindows = "{dir}/missing.csv"', r"windows: no file"),
    ('name = "power-law"', r"power-law needs exponent"),
    ('name = "trace"\nfile = "{dir}/tau.csv"', r"file: .* must hold a 2-d array|2 columns"),
    ('name = "paper"\npermute = "each"', r'timings\[0\].permute must be "per-seed"'),
    ('name = "paper"\npermute = -2', r"permute must be"),
    ('name = "paper"\nscale = 1.0', r"has no key 'scale'; allowed: permute"),
])
def test_invalid_timing_parameters_name_the_key(tmp_path, table, message):
    write_timing_files(tmp_path, 6)
    np.save(tmp_path / "short.npy", np.ones(3))
    with pytest.raises(ValueError, match=message):
        config('[[problems]]\nname = "worst-case"\nd = 6\n', "[[timings]]\n" + table.format(dir=tmp_path)).check()


PERMUTED = """
[[timings]]
name = "ringleader"
permute = "per-seed"
"""


def test_per_seed_permutation_is_paired_across_methods_and_differs_across_seeds():
    parsed = config(SYNTHETIC.format(extra='split = "iid"'), PERMUTED, methods=RINGLEADER + ASGD)
    bases = {}
    for spec in parsed.specs():
        model = registry.build_timing(spec.timing, spec.seed_sequence())
        bases.setdefault(spec.spawn_key, {})[spec.label] = model.data().base
    assert len(bases) == 3
    for by_method in bases.values():  # the same seed: the same permutation for every method
        assert np.array_equal(by_method["ringleader"], by_method["asgd"])
    permutations = [tuple(by_method["asgd"]) for by_method in bases.values()]
    assert len(set(permutations)) == 3  # a fresh one per seed
    for permutation in permutations:  # a permutation of the base times; the noise stays with the index
        assert sorted(permutation) == list(np.arange(1.0, 7.0))
    spec = parsed.specs()[0]
    expected = timing.profile("ringleader", 6, permutation_seed=permutation_seed(spec.seed_sequence()))
    assert np.array_equal(registry.build_timing(spec.timing, spec.seed_sequence()).data().base, expected.data().base)


def test_a_fixed_permutation_seed_is_the_same_for_every_run(tmp_path):
    parsed = config(SYNTHETIC.format(extra=""), PERMUTED.replace('"per-seed"', "12"))
    bases = {registry.build_timing(spec.timing, spec.seed_sequence()).data().base.tobytes()
             for spec in parsed.specs()}
    assert bases == {timing.profile("ringleader", 6, permutation_seed=12).data().base.tobytes()}


def test_per_seed_sweep_runs_equal_simulate_with_the_runs_permutation(tmp_path):
    parsed = config(SYNTHETIC.format(extra='split = "iid"'), PERMUTED, methods=RINGLEADER + ASGD)
    outcome = sweep.run(parsed, tmp_path / "out", executor="threads", workers=1)
    for spec in outcome.specs[:2]:
        model = timing.profile("ringleader", 6, permutation_seed=permutation_seed(spec.seed_sequence()))
        expected = simulate(registry.build_problem(spec.problem, 6), registry.build_method(spec.method), model,
                            t_max=20.0, seed=spec.seed_sequence(), record=spec.recording())
        got = sweep.store.Store(tmp_path / "out").load(spec.run_id)
        assert got.x.tobytes() == expected.x.tobytes()
