"""Sweep keys of issue 17's models: shared slowdowns, communication, availability, and a method's concurrency cap."""

import re

import numpy as np
import pytest

import ringbench
from ringbench import methods, sweep, timing
from ringbench.sweep import registry

BASE = """
n = 4
t_max = 20.0
checkpoints = 10

[seeds]
root = 3
replicates = 1

[[problems]]
name = "worst-case"
d = 5

[[timings]]
{timing}

[[methods]]
{method}
"""


def config(timing='name = "paper"', method='name = "asgd"\ngamma = 0.05'):
    return sweep.parse(BASE.format(timing=timing, method=method))


@pytest.mark.parametrize(("table", "expected"), [
    ('name = "paper"\nshared = "job"', lambda: timing.correlated(*_paper(), "half-normal")),
    ('name = "paper"\nshared = 2.5', lambda: timing.correlated(*_paper(), "half-normal", window=2.5)),
    ('name = "fixed"\ndownload = 0.5\nupload = 0.25', lambda: timing.communicating(timing.fixed(np.arange(1.0, 5.0)),
                                                                                    0.5, 0.25)),
    ('name = "paper"\noffline = {mean_online = 5.0, mean_offline = 2.0, horizon = 20.0, seed = 4}',
     lambda: timing.random_availability(timing.profile("paper", 4), 5.0, 2.0, horizon=20.0, seed=4)),
    ('name = "paper"\nshared = "job"\nupload = 1.0\navailability = "away.csv"',
     lambda: timing.availability(timing.communicating(timing.correlated(*_paper(), "half-normal"), 0.0, 1.0),
                                 "away.csv")),
])
def test_wrapping_keys_build_the_api_models(tmp_path, monkeypatch, table, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "away.csv").write_text("worker,start,end\n1,2,6\n")
    spec = config(table).specs()[0]
    built = registry.build_timing(spec.timing)
    assert built.describe() == expected().describe()
    problem = ringbench.problems.Quadratic.worst_case(5)
    method = methods.ASGD(gamma=0.05)
    mine = ringbench.simulate(problem, method, built, seed=1, t_max=20.0)
    theirs = ringbench.simulate(problem, method, expected(), seed=1, t_max=20.0)
    assert mine.x.tobytes() == theirs.x.tobytes() and mine.counters == theirs.counters


def _paper():
    data = timing.profile("paper", 4).data()
    return data.base, data.scale


def test_a_method_table_takes_a_cap_which_may_be_an_axis():
    specs = config(method='name = "asgd"\ngamma = 0.05\ncap = [2, 4]').specs()
    assert [spec.method for spec in specs] == [{"name": "asgd", "gamma": 0.05, "cap": 2},
                                               {"name": "asgd", "gamma": 0.05, "cap": 4}]
    built = registry.build_method(specs[0].method)
    assert isinstance(built, methods.Capped) and built.cap == 2 and built.method == methods.ASGD(gamma=0.05)
    assert registry.build_method({"name": "asgd", "gamma": 0.05}) == methods.ASGD(gamma=0.05)
    # Without the new keys the runs and their ids are those of before.
    assert "cap" not in config().specs()[0].method and set(config().specs()[0].timing) == {"name", "n"}


@pytest.mark.parametrize(("timing_table", "method_table", "message"), [
    ('name = "paper"\nshared = "window"', None, "shared must be \"job\" or a window in seconds"),
    ('name = "paper"\nshared = 0', None, "shared must be > 0"),
    ('name = "fixed"\nshared = "job"', None, "shared needs a random model"),
    ('name = "paper"\ndownload = -1.0', None, "download must be >= 0"),
    ('name = "paper"\nupload = "slow"', None, "upload must be a number"),
    ('name = "paper"\noffline = 3.0', None, "offline must be a table"),
    ('name = "paper"\noffline = {mean_online = 5.0, horizon = 9.0}', None, "needs mean_offline; allowed: mean_online"),
    ('name = "paper"\noffline = {mean_online = 5.0, mean_offline = 1.0, horizon = 9.0, rate = 2}', None,
     "has no key 'rate'; allowed: mean_online, mean_offline, horizon, seed"),
    ('name = "paper"\noffline = {mean_online = 5.0, mean_offline = 0.0, horizon = 9.0}', None,
     "mean_offline must be > 0"),
    ('name = "paper"\navailability = "nope.csv"', None, "nope.csv"),
    ('name = "paper"\navailability = "away.csv"\noffline = {mean_online = 5.0, mean_offline = 1.0, horizon = 9.0}',
     None, "give availability .* or offline .*, not both"),
    ('name = "paper"\nlinks = 1.0', None, "has no key 'links'; allowed: .*shared, download, upload, availability, "
                                          "offline"),
    (None, 'name = "ringmaster"\ngamma = 0.1\nthreshold = 2\ncap = 2', "a concurrency cap applies to"),
    (None, 'name = "asgd"\ngamma = 0.1\ncap = 0', "cap must be an integer >= 1"),
    (None, 'name = "asgd"\ngamma = 0.1\ncap = 5', "cap must be <= the 4 workers"),
    (None, 'name = "asgd"\ngamma = 0.1\ncaps = 2', "has no key 'caps'; allowed: gamma, eps, cap"),
    (None, 'name = "random-asgd"\ngamma = 0.1', "random-asgd queues the jobs it sends"),
])
def test_bad_keys_fail_the_dry_run_naming_them(tmp_path, monkeypatch, capsys, timing_table, method_table, message):
    from ringbench.cli import main
    monkeypatch.chdir(tmp_path)
    (tmp_path / "away.csv").write_text("worker,start,end\n1,2,6\n")
    if method_table is not None and "random-asgd" in method_table:
        timing_table = 'name = "paper"\navailability = "away.csv"'
    text = BASE.format(timing=timing_table or 'name = "paper"', method=method_table or 'name = "asgd"\ngamma = 0.05')
    (tmp_path / "sweep.toml").write_text(text)
    assert main(["sweep", "sweep.toml", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(message, err), err


def test_a_sweep_with_every_new_key_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sweep.toml").write_text(BASE.format(
        timing='name = "paper"\nshared = "job"\ndownload = 0.5\noffline = {mean_online = 5.0, mean_offline = 2.0, '
               'horizon = 20.0}',
        method='name = "asgd"\ngamma = 0.05\ncap = 2'))
    sweep.run("sweep.toml", tmp_path / "out", executor="threads", workers=1, progress=False)
    (result_file,) = (tmp_path / "out" / "runs").glob("*.json")
    result = ringbench.load(result_file.with_suffix(""))
    assert result.config["timing"]["name"] == "availability" and result.method == "asgd-cap2"
    assert result.config["timing"]["compute"]["name"] == "communicating"
