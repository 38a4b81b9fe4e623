"""Sweep configurations: grid expansion, seeds, run ids, and validation before any run."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ringbench import sweep
from ringbench.sweep.config import ROLES

BASE = """
n = [8, 16]
t_max = 40.0
checkpoints = 20

[seeds]
root = 11
replicates = 3

[[problems]]
name = "worst-case"
d = [6, 12]

[[timings]]
name = "paper"

[[methods]]
name = "ringmaster"
gamma = {powers = 5, from = -2, to = 0}
threshold = {n_over_powers = 4}

[[methods]]
name = "asgd"
gamma = [0.01, 0.1]
"""


def test_grid_is_the_product_of_its_axes_in_grid_order():
    config = sweep.parse(BASE)
    specs = config.specs()
    # n = 8: R in {8, 2}; n = 16: R in {16, 4, 1}; gamma has 3 values; ASGD 2 stepsizes; 2 dimensions, 3 seeds.
    expected = 2 * 3 * ((3 * 2 + 2) + (3 * 3 + 2))
    assert len(specs) == expected
    assert len({spec.run_id for spec in specs}) == expected
    first = specs[0]
    assert first.problem == {"name": "worst-case", "d": 6}
    assert first.timing == {"name": "paper", "n": 8}
    assert first.method == {"name": "ringmaster", "gamma": 5.0**-2, "threshold": 8}
    assert [spec.spawn_key for spec in specs[:3]] == [(0,), (1,), (2,)]
    gammas = sorted({spec.method["gamma"] for spec in specs if spec.label == "ringmaster"})
    assert gammas == [0.04, 0.2, 1.0]


def test_threshold_grid_relative_to_n_is_the_papers():
    config = sweep.parse(BASE.replace("n = [8, 16]", "n = 6174"))
    thresholds = [method["threshold"] for method in config.methods[0].candidates(6174)]
    assert sorted(set(thresholds), reverse=True) == [6174, 1543, 385, 96, 24, 6, 1]


def test_seeds_are_common_across_methods_and_children_of_one_root():
    specs = sweep.parse(BASE).specs()
    children = np.random.SeedSequence(11).spawn(3)
    for spec in specs:
        expected = children[spec.seed_index]
        assert spec.seed_sequence().generate_state(4).tobytes() == expected.generate_state(4).tobytes()
    by_seed = {}
    for spec in specs:
        by_seed.setdefault(spec.seed_index, set()).add(spec.seed_sequence().generate_state(2).tobytes())
    assert all(len(states) == 1 for states in by_seed.values())  # the same seed for every combination
    assert len({next(iter(states)) for states in by_seed.values()}) == 3


def test_tuning_and_reporting_seeds_never_overlap():
    text = BASE.replace("replicates = 3", "") + "\n[tuning]\ntuning_seeds = 2\nreporting_seeds = 3\n"
    config = sweep.parse(text)
    tuning = config.specs("tuning")
    assert {spec.spawn_key for spec in tuning} == {(0, 0), (0, 1)}
    chosen = {}
    for problem, timing in config.settings():
        for block in config.methods:
            chosen[(sweep.config.setting_key(problem, timing), block.label)] = block.candidates(timing["n"])[0]
    reporting = config.specs("reporting", chosen)
    assert {spec.spawn_key for spec in reporting} == {(1, 0), (1, 1), (1, 2)}
    states = {spec.role: set() for spec in tuning + reporting}
    for spec in tuning + reporting:
        states[spec.role].add(spec.seed_sequence().generate_state(2).tobytes())
    assert not states["tuning"] & states["reporting"]
    assert set(ROLES) >= set(states)


def test_run_id_depends_on_the_run_only_and_is_stable_across_processes():
    config = sweep.parse(BASE)
    spec = config.specs()[0]
    # gamma written as an integer or a float is the same run
    same = sweep.parse(BASE.replace("gamma = [0.01, 0.1]", "gamma = [0.01, 0.1]").replace(
        "gamma = {powers = 5, from = -2, to = 0}", "gamma = [0.04, 0.2, 1]")).specs()
    assert spec.run_id in {other.run_id for other in same}
    assert sweep.parse(BASE.replace("root = 11", "root = 12")).specs()[0].run_id != spec.run_id
    assert sweep.parse(BASE.replace("t_max = 40.0", "t_max = 41.0")).specs()[0].run_id != spec.run_id
    code = textwrap.dedent(f"""
        from ringbench import sweep
        print(sweep.parse({BASE!r}).specs()[0].run_id)
    """)
    other_process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other_process.stdout.strip() == spec.run_id


def test_count_equals_the_number_of_specs():
    config = sweep.parse(BASE)
    assert config.count() == len(config.specs())


@pytest.mark.parametrize("change, message", [
    (("n = [8, 16]", "n = [8, 8]"), "n lists 8 twice"),
    (("n = [8, 16]", "n = 0"), "n[0] must be an integer >= 1"),
    (("t_max = 40.0", ""), "needs t_max or max_updates"),
    (("t_max = 40.0", "t_max = -1.0"), "t_max must be > 0"),
    (("[seeds]", "colour = 3\n[seeds]"), "has no key 'colour'"),
    (("replicates = 3", "replicates = 0"), "seeds.replicates must be an integer >= 1"),
    (('name = "worst-case"', 'name = "cubic"'), "unknown problems[0].name 'cubic'; choose one of 'worst-case'"),
    (("d = [6, 12]", "d = [6, 12]\nwidth = 3"), "problems[0] has no key 'width'; allowed: d, noise_std, noise"),
    (("d = [6, 12]", "d = 6.5"), "problems[0].d must be an integer, got 6.5"),
    (('name = "paper"', 'name = "paper"\nn = 4'), "timings[0].n is set at the top level"),
    (('name = "asgd"', 'name = "sgd"'), "unknown methods[1].name 'sgd'"),
    (("gamma = [0.01, 0.1]", "gamma = [0.01, 0.1]\nthreshold = 3"), "methods[1] has no key 'threshold'"),
    (("gamma = [0.01, 0.1]", 'gamma = "big"'), "methods[1].gamma must be a number"),
    (("gamma = [0.01, 0.1]", "gamma = {powers = 5, from = 2}"), "needs powers, from and to"),
    (("gamma = [0.01, 0.1]", "gamma = {powers = 1, from = -2, to = 0}"), "powers = 1 gives 1 at every exponent"),
    (("gamma = [0.01, 0.1]", "gamma = {powers = 5, from = 2, to = 1}"), "methods[1].gamma.to must be >="),
    (("gamma = [0.01, 0.1]", "gamma = {powers = 5, from = -500, to = 500}"), "5**-500 is outside float64"),
    (("gamma = [0.01, 0.1]", "gamma = {powers = 1.0001, from = 0, to = 20000}"), "at most 10000 are allowed"),
    (("replicates = 3", "replicates = 1000000000"), "seeds.replicates must be an integer in 1..100000"),
    (("replicates = 3", "replicates = 100000"), "the grid has 3800000 runs"),
    (("d = [6, 12]", "d = {n_over_powers = 4}"), "n_over_powers applies to method parameters only"),
    (("threshold = {n_over_powers = 4}", "threshold = {n_over_powers = 1}"),
     "methods[0].threshold.n_over_powers must be an integer >= 2"),
    (('name = "asgd"', 'name = "ringmaster"'), "methods labels (set label = ... to tell apart"),
    (("[[timings]]", "[tuning]\n[[timings]]"), "seeds.replicates does not apply to a tuning sweep"),
    (("t_max = 40.0", "t_max = 40.0\ntarget = 0"), "target must be > 0"),
    (("gamma = [0.01, 0.1]", "gamma = inf"), "methods[1].gamma must be a finite number, got inf"),
    (("[seeds]", 'name = " "\n[seeds]'), "name must be a non-empty string"),
    (("gamma = [0.01, 0.1]", "gamma = [0.1, nan]"), "methods[1].gamma must be a finite number, got nan"),
    # one setting twice would run once and count twice in the tables: the same table, an overlap of grids, a default
    (('[[timings]]\nname = "paper"', '[[timings]]\nname = "paper"\n[[timings]]\nname = "paper"'),
     "timings[1] repeats the setting paper of timings[0]"),
    (("d = [6, 12]", 'd = [6, 12]\n[[problems]]\nname = "worst-case"\nd = [3, 12]'),
     "problems[1] repeats the setting worst-case d=12 of problems[0]"),
    (("d = [6, 12]", 'd = [6, 1729]\n[[problems]]\nname = "worst-case"'),
     "problems[1] repeats the setting worst-case of problems[0]"),
])
def test_invalid_configuration_names_the_key(change, message):
    with pytest.raises(ValueError) as error:
        sweep.parse(BASE.replace(*change))
    assert message in str(error.value)


def test_not_toml_and_missing_file_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="is not valid TOML"):
        sweep.parse("n = [")
    with pytest.raises(ValueError, match="cannot read sweep configuration"):
        sweep.load(tmp_path / "missing.toml")


def test_check_builds_everything_before_any_run():
    # Valid syntax, but a method parameter the method itself rejects, and a problem value its builder rejects.
    with pytest.raises(ValueError, match=r"methods\[1\] \(asgd\): asgd gamma=-0.1 .*gamma must be > 0"):
        sweep.parse(BASE.replace("gamma = [0.01, 0.1]", "gamma = -0.1")).check()
    with pytest.raises(ValueError, match=r"problems: worst-case d=6 noise=\"cubic\"|unknown noise 'cubic'"):
        sweep.parse(BASE.replace("d = [6, 12]", 'd = 6\nnoise = "cubic"')).check()
    sweep.parse(BASE).check()
