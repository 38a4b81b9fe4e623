"""Many seeds in one process: a thread batch gives each seed's result bit for bit."""

import numpy as np
import pytest

import ringbench
from ringbench import Recording, methods, problems, sweep, timing

ARRAYS = ("time", "iteration", "f_gap", "grad_norm2", "x")


def setting():
    return (problems.Quadratic.worst_case(40, noise_std=0.05), timing.profile("paper", 30))


@pytest.mark.parametrize("method", [methods.Ringmaster(gamma=0.2, threshold=3), methods.ASGD(gamma=0.02),
                                    methods.Rennala(gamma=0.5, S=4, stops=False)], ids=lambda m: m.name)
def test_each_seed_of_a_batch_equals_its_run_alone(method):
    problem, model = setting()
    seeds = np.random.SeedSequence(4).spawn(5) + [3]
    options = dict(t_max=200.0, record=Recording(times=40, every=7))
    batch = sweep.simulate_seeds(problem, method, model, seeds, threads=3, **options)
    assert len(batch) == len(seeds)
    for seed, result in zip(seeds, batch):
        alone = ringbench.simulate(problem, method, model, seed=seed, **options)
        for name in ARRAYS:
            assert getattr(result, name).tobytes() == getattr(alone, name).tobytes(), name
        assert (result.status, result.counters, result.config) == (alone.status, alone.counters, alone.config)
    finals = {float(result.grad_norm2[-1]) for result in batch}
    assert len(finals) == len(seeds)  # different seeds, different runs


def test_batch_rejects_bad_input_before_running():
    problem, model = setting()
    method = methods.ASGD(gamma=0.02)
    with pytest.raises(ValueError, match="seeds must list at least one seed"):
        sweep.simulate_seeds(problem, method, model, [], t_max=10.0)
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        sweep.simulate_seeds(problem, method, model, [1, 2], threads=0, t_max=10.0)
    with pytest.raises(ValueError, match="simulate_seeds sets 'seed' itself"):
        sweep.simulate_seeds(problem, method, model, [1, 2], seed=3, t_max=10.0)
    with pytest.raises(ValueError, match="t_max must be > 0"):
        sweep.simulate_seeds(problem, method, model, [1, 2], t_max=-1.0)
