"""User plug-ins: the two examples against plain implementations, through the API, the CLI, sweeps and dask,
and the compiled loop of a plug-in cached across processes (and recompiled after an edit)."""

import hashlib
import heapq
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ringbench
import ringbench._compiling
import ringbench.cli
from ringbench import Recording, methods, sweep, timing
from ringbench.engine.errors import RuleError
from ringbench.engine.rng import STREAM_NOISE, fill_uniforms, key_from_seed
from ringbench.problems import Quadratic

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))

import custom_method  # noqa: E402  (the examples folder is not a package)
import custom_problem  # noqa: E402


def plain_polynomial_asgd(A, b, x0, tau, gamma, power, updates):
    """ASGD with stepsize gamma / (1 + delay)^power, noise-free, fixed times: a heap of (finish, worker)."""
    x, k = x0.copy(), 0
    started = {worker: (0, x0.copy()) for worker in range(len(tau))}
    events = [(tau[worker], worker) for worker in range(len(tau))]
    heapq.heapify(events)
    trajectory = []
    while k < updates:
        time, worker = heapq.heappop(events)
        start, point = started[worker]
        x = x - gamma / (1.0 + (k - start)) ** power * (A @ point - b)
        k += 1
        trajectory.append((time, k, float(np.sum((A @ x - b) ** 2))))
        started[worker] = (k, x.copy())
        heapq.heappush(events, (time + tau[worker], worker))
    return x, trajectory


def test_custom_method_equals_a_plain_implementation():
    A = np.array([[2.0, 0.5, 0.0], [0.5, 1.5, 0.2], [0.0, 0.2, 1.0]])
    b = np.array([1.0, -1.0, 0.5])
    x0 = np.array([3.0, -2.0, 1.0])
    tau = [1.0, 1.7, 2.3, 4.1]
    problem = Quadratic(A, b, x0=x0)
    method = custom_method.PolynomialASGD(gamma=0.3, power=0.7)
    result = ringbench.simulate(problem, method, timing.fixed(tau), max_updates=60, record=Recording(every=1))
    x, trajectory = plain_polynomial_asgd(A, b, x0, tau, 0.3, 0.7, 60)
    np.testing.assert_allclose(result.x, x, rtol=1e-12, atol=1e-14)
    time, iteration, norm2 = map(np.array, zip(*trajectory))
    np.testing.assert_array_equal(result.iteration[1:], iteration)
    np.testing.assert_allclose(result.time[1:], time, rtol=1e-15)
    np.testing.assert_allclose(result.grad_norm2[1:], norm2, rtol=1e-9)
    # power = 0 is vanilla ASGD, bit for bit: the plug-in shares the engine with the built-ins.
    vanilla = ringbench.simulate(problem, custom_method.PolynomialASGD(gamma=0.3, power=0.0), timing.fixed(tau),
                                 max_updates=60)
    builtin = ringbench.simulate(problem, methods.ASGD(gamma=0.3), timing.fixed(tau), max_updates=60)
    np.testing.assert_array_equal(vanilla.x, builtin.x)


@pytest.mark.parametrize("power", [-1.0, True, "0.5", float("nan")])
def test_custom_method_validates_its_parameters(power):
    with pytest.raises(ValueError, match="power must be a number >= 0"):
        custom_method.PolynomialASGD(gamma=0.1, power=power)
    with pytest.raises(ValueError, match="gamma"):
        custom_method.PolynomialASGD(eps=0.1)


def numpy_huber(problem, x, rows):
    residual = problem.features[rows] @ x - problem.targets[rows]
    slope = np.clip(residual, -problem.delta, problem.delta)
    absolute = np.abs(residual)
    loss = np.where(absolute <= problem.delta, 0.5 * residual**2, problem.delta * (absolute - 0.5 * problem.delta))
    return loss.mean(), problem.features[rows].T @ slope / len(rows)


def test_custom_problem_kernels_equal_numpy():
    problem = custom_problem.HuberRegression(n_samples=40, d=4, batch=5, delta=0.5, outliers=0.2, seed=3)
    x = np.array([0.4, -1.0, 2.0, 0.1])
    value, gradient = numpy_huber(problem, x, np.arange(40))
    objective, norm2 = problem.metrics(x)
    assert objective == pytest.approx(value, rel=1e-12)
    assert norm2 == pytest.approx(gradient @ gradient, rel=1e-12)
    # Finite differences of the loss confirm the gradient itself.
    step = 1e-6
    numeric = [(numpy_huber(problem, x + step * e, np.arange(40))[0] - numpy_huber(problem, x - step * e,
                                                                                    np.arange(40))[0]) / (2 * step)
               for e in np.eye(4)]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)
    key = key_from_seed(np.random.SeedSequence(11))
    for worker, job in ((0, 0), (3, 7)):
        draws = np.empty(5)
        fill_uniforms(key, STREAM_NOISE, worker, job, draws)
        rows = np.minimum((draws * 40).astype(int), 39)
        out = np.empty(4)
        custom_problem.huber_stochastic_gradient(problem.data(), key, x, worker, job, out)
        np.testing.assert_allclose(out, numpy_huber(problem, x, rows)[1], rtol=1e-12, atol=1e-15)


def test_a_problem_without_f_star_records_f_and_theory_mode_names_the_missing_constant():
    problem = custom_problem.HuberRegression(n_samples=200, d=5)
    model = timing.profile("paper", 6)
    result = ringbench.simulate(problem, methods.ASGD(gamma=0.05), model, t_max=100.0, seed=2)
    assert result.f_gap is None and result.status == "time_budget"
    assert np.all(np.isfinite(result.f)) and result.f[-1] < result.f[0]
    assert result.grad_norm2[-1] < result.grad_norm2[0]
    with pytest.raises(ValueError, match="sigma2"):
        ringbench.simulate(problem, methods.Ringmaster(eps=0.1), model, t_max=10.0)
    assert result.config["prediction"] is None


def test_a_plug_in_run_diverges_cleanly():
    problem = Quadratic.worst_case(8, noise_std=0.01)
    result = ringbench.simulate(problem, custom_method.PolynomialASGD(gamma=50.0, power=0.0),
                                timing.profile("paper", 4), t_max=1000.0, blowup=1e6)
    assert result.status == "diverged" and result.diverged_at["iteration"] >= 1
    assert np.all(np.isfinite(result.grad_norm2))


def _cli(*arguments, env=None):
    return subprocess.run([sys.executable, "-m", "ringbench", *arguments], cwd=EXAMPLES, capture_output=True,
                          text=True, env=env, timeout=600)


def test_cli_runs_both_plug_ins_and_names_a_bad_one():
    done = _cli("run", "--method", "custom_method.py:PolynomialASGD", "--gamma", "0.2", "--param", "power=0.5",
                "--problem", "custom_problem.py:HuberRegression", "--problem-param", "n_samples=300",
                "--problem-param", "d=6", "--n", "8", "--t-max", "50", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("polynomial-asgd: time_budget")
    missing = _cli("run", "--method", "custom_method.py:NoSuchClass", "--gamma", "0.1", "--quiet")
    assert missing.returncode == 2 and "has no 'NoSuchClass'" in missing.stderr
    wrong = _cli("run", "--method", "custom_problem.py:HuberRegression", "--gamma", "0.1", "--quiet")
    assert wrong.returncode == 2 and "subclass of ringbench.methods.base.Method" in wrong.stderr


def test_compare_runs_a_plug_in_method_beside_the_built_ins(tmp_path):
    # power = 0 with ASGD's tuned stepsize is ASGD: on the same problem, timing and seed, the same bits.
    spec = f"{EXAMPLES}/custom_method.py:PolynomialASGD"
    status = ringbench.cli.main(["compare", "--methods", f"asgd,{spec}", "--param", f"gamma={5.0**-5!r}",
                                 "--param", "power=0", "--n", "6", "--d", "20", "--t-max", "40", "--quiet",
                                 "--out", str(tmp_path)])
    assert status == 0
    rows = json.loads((tmp_path / "summary.json").read_text())["rows"]
    assert [row["method"] for row in rows] == ["asgd", "polynomial-asgd"]
    assert rows[1]["parameters"] == "gamma=0.00032, power=0"
    builtin, plugin = ringbench.load(tmp_path / "asgd"), ringbench.load(tmp_path / "polynomial-asgd")
    assert builtin.counters["updates"] > 0 and plugin.counters == builtin.counters
    assert plugin.x.tobytes() == builtin.x.tobytes()
    assert plugin.grad_norm2.tobytes() == builtin.grad_norm2.tobytes()


@pytest.mark.parametrize(("arguments", "message"), [
    (["--methods", "asgd", "--param", "gamma=0.1"], "--param sets the parameters of plug-in methods"),
    (["--methods", "asgd,{spec}", "--param", "gamma=0.1", "--param", "nope=1"], "has no parameter 'nope'"),
    (["--methods", "{spec}", "--theory", "0.01"], "polynomial-asgd has no theory mode"),
    (["--methods", "{spec}", "--theory", "0.01", "--param", "eps=0.1"], "eps is set twice"),
    (["--methods", "{spec},custom_method.py:PolynomialASGD", "--param", "gamma=0.1"],
     "more than one method is called 'polynomial-asgd'"),
    (["--param", "gamma=0.1"], "the quadratic setting's methods are built-ins"),
    (["--methods", "{spec}", "--param", "gamma=0.1", "--param", 'name="x"'], "has no parameter 'name'"),
])
def test_compare_refuses_plug_in_parameters_it_cannot_use(arguments, message, capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLES)
    spec = f"{EXAMPLES}/custom_method.py:PolynomialASGD"
    status = ringbench.cli.main(["compare", *(item.format(spec=spec) for item in arguments), "--n", "4", "--quiet"])
    assert status == 2 and message in capsys.readouterr().err


NAMED_METHOD = """
from dataclasses import dataclass

import numpy as np
from custom_method import PolynomialASGD


@dataclass(frozen=True, kw_only=True)
class Named(PolynomialASGD):
    name = {name!r}

    def configure(self, problem, timing):
        configuration = super().configure(problem, timing)
        return configuration._replace(active=np.zeros(2, dtype=np.int64)) if {broken} else configuration
"""


def _named_plugin(folder, name, broken=False):
    path = folder / f"named_{abs(hash((name, broken)))}.py"
    path.write_text(NAMED_METHOD.format(name=name, broken=broken))
    return f"{path}:Named"


@pytest.mark.parametrize(("name", "broken", "message"), [
    ("summary", False, "would be saved over the comparison's own summary.json"),
    ("../escaped", False, "must be usable as a file name"),
    ("sub/dir", False, "must be usable as a file name"),
    (None, False, "its class needs a name"),
    ("repeats-a-worker", True, "Configuration.active must hold distinct workers"),
])
def test_compare_checks_every_method_before_the_first_run(name, broken, message, tmp_path, capsys, monkeypatch):
    """A plug-in listed last fails before the built-ins listed first have run (and written anything)."""
    def no_run(*arguments, **options):
        raise AssertionError("a run started before every method was checked")

    monkeypatch.setattr(ringbench.experiments, "simulate", no_run)
    spec = _named_plugin(tmp_path, name, broken)
    status = ringbench.cli.main(["compare", "--methods", f"asgd,{spec}", "--param", "gamma=0.1", "--n", "4",
                                 "--d", "10", "--quiet", "--out", str(tmp_path / "out")])
    assert status == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_plug_in_with_a_built_in_name_gets_no_built_in_prediction(tmp_path):
    """The theory's complexity of ASGD is for ASGD's rule, not for whatever rule a plug-in called "asgd" runs."""
    problem, model = Quadratic.worst_case(10, noise_std=0.1), timing.profile("paper", 4)
    impostor = ringbench.methods.get(_named_plugin(tmp_path, "asgd"), gamma=0.1)
    assert ringbench.theory.prediction(problem, impostor, model, target=1e-3) is None
    assert ringbench.theory.prediction(problem, methods.ASGD(gamma=0.1), model, target=1e-3) is not None


PLUGIN_SWEEP = """
name = "plug-ins"
n = [5]
t_max = 40.0
checkpoints = 10
[seeds]
root = 3
replicates = 2
[[problems]]
name = "{examples}/custom_problem.py:HuberRegression"
n_samples = 150
d = [4, 6]
[[timings]]
name = "paper"
[[methods]]
name = "{examples}/custom_method.py:PolynomialASGD"
gamma = 0.1
power = [0.0, 1.0]
[[methods]]
name = "asgd"
gamma = 0.1
"""


def test_sweep_with_plug_ins_gives_the_same_bits_on_threads_and_dask(tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text(PLUGIN_SWEEP.format(examples=EXAMPLES))
    config = sweep.load(path)
    threads = sweep.run(config, tmp_path / "threads", executor="threads", workers=2)
    dask = sweep.run(config, tmp_path / "dask", executor="dask", workers=2)
    files = sorted(path.name for path in (threads.out / "runs").glob("*.npz"))
    assert len(files) == 2 * 3 * 2
    assert files == sorted(path.name for path in (dask.out / "runs").glob("*.npz"))
    for name in files:
        a = ringbench.load(threads.out / "runs" / name)
        b = ringbench.load(dask.out / "runs" / name)
        assert a.x.tobytes() == b.x.tobytes() and a.grad_norm2.tobytes() == b.grad_norm2.tobytes()
        assert a.status == "time_budget"


PROBE = """
import json, sys
sys.path.insert(0, {folder!r})
import numpy as np, ringbench
from ringbench.engine import plugins
import custom_method
problem = ringbench.problems.Quadratic.worst_case(6, noise_std=0.1)
result = ringbench.simulate(problem, custom_method.PolynomialASGD(gamma=0.1), ringbench.timing.profile("paper", 4),
                            t_max=30.0, seed=1)
initialize, advance = plugins.entry_points(["custom_method"])
print(json.dumps({{"x": result.x.tolist(), "hits": sum(advance.stats.cache_hits.values()),
                  "misses": sum(advance.stats.cache_misses.values())}}))
"""


@pytest.mark.compiled
def test_the_plug_in_loop_is_cached_across_processes_and_recompiled_after_an_edit(tmp_path):
    folder = tmp_path / "plugin"
    folder.mkdir()
    shutil.copy(EXAMPLES / "custom_method.py", folder)
    env = {**os.environ, "RINGBENCH_CACHE": str(tmp_path / "cache")}

    def probe():
        done = subprocess.run([sys.executable, "-c", PROBE.format(folder=str(folder))], env=env, capture_output=True,
                              text=True, check=True, timeout=600)
        return json.loads(done.stdout)

    first, second = probe(), probe()
    assert (first["misses"], second["misses"], second["hits"]) == (1, 0, 1)
    assert first["x"] == second["x"]
    source = folder / "custom_method.py"
    source.write_text(source.read_text().replace("rule.gamma / (1.0 + delay) ** rule.power",
                                                 "0.5 * rule.gamma / (1.0 + delay) ** rule.power"))
    edited = probe()
    assert edited["misses"] == 1 and edited["hits"] == 0 and edited["x"] != first["x"]


FORGETFUL = '''
from dataclasses import dataclass
from typing import NamedTuple

from ringbench import plugin


class ForgetfulRule(NamedTuple):
    gamma: float


@plugin.implements("on_arrival", ForgetfulRule)
@plugin.kernel
def forgetful_on_arrival(rule, sim, problem, worker):
    plugin.evaluate(sim, problem, worker)
    plugin.use(sim, worker)
    plugin.step(sim, sim.gradient, rule.gamma)  # and no restart: the worker's job stays in the queue


@dataclass(frozen=True, kw_only=True)
class Forgetful(plugin.Method):
    name = "forgetful"

    def configure(self, problem, timing):
        workers = plugin.all_workers(timing)
        return plugin.Configuration(ForgetfulRule(self.gamma), workers, workers.size, {"gamma": self.gamma})
'''


def test_a_rule_that_neither_restarts_nor_idles_its_worker_is_a_clear_error(tmp_path):
    """Its job would arrive again at the same time forever; the loop stops at the first such arrival."""
    (tmp_path / "forgetful_rule.py").write_text(FORGETFUL)
    forgetful = ringbench.extensions.load(f"{tmp_path / 'forgetful_rule.py'}:Forgetful", base=methods.Method,
                                          what="method")
    with pytest.raises(RuleError, match="worker 0 that finished at t=1 but neither restarted the worker"):
        ringbench.simulate(Quadratic.worst_case(4), forgetful(gamma=0.1), timing.fixed([1.0, 2.0]), t_max=10.0)


def test_the_command_reports_a_rules_bug_in_one_line(tmp_path, capsys):
    """A plug-in's broken rule is the user's input, not a crash of ringbench: no traceback."""
    (tmp_path / "forgetful_command.py").write_text(FORGETFUL)
    status = ringbench.cli.main(["run", "--method", f"{tmp_path / 'forgetful_command.py'}:Forgetful", "--gamma",
                                 "0.1", "--n", "2", "--d", "4", "--t-max", "10", "--timing", "constant", "--quiet"])
    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("ringbench: compiling")]
    assert status == 2 and len(lines) == 1
    assert lines[0].startswith("ringbench: error: forgetful: the server rule handled the job of worker 0")


_USE, _RESTART = "    plugin.use(sim, worker)\n", "    plugin.restart(sim, worker)\n"  # lines of custom_method.py
_RULE = '@plugin.implements("on_arrival", PolynomialRule)\n@plugin.kernel\ndef polynomial_on_arrival('
_PLAIN_HELPER = "def weight(delay):\n    return 1.0 / (1.0 + delay)\n\n\n" + _RULE  # no @plugin.kernel


@pytest.mark.compiled
@pytest.mark.parametrize(("example", "edit", "expected"), [
    ("custom_method.py", ("rule.gamma / (1.0", "rule.gamma_typo / (1.0"),
     r"Unknown attribute 'gamma_typo' of type PolynomialRule\(float64 x 2\) \(in .*_custom_method.py, line "
     r"\d+: plugin.step\(sim, sim.gradient, rule.gamma_typo / \(1.0 \+ delay\) \*\* rule.power\)\)$"),
    ("custom_method.py", ("plugin.step(sim, sim.gradient, ", "plugin.step(sim, "),
     r"Cannot bind 'args=\(Simulation\(...\), float64\) kws=\{\}' to signature '\(sim, direction, stepsize\)'.*"
     r"missing a required argument: 'stepsize'"),
    ("custom_method.py", (_USE, "    label = f'delay {delay}'\n" + _USE),
     r".* \(in .*_custom_method.py, line \d+: label = f'delay \{delay\}'\)$"),  # the user's line, not numba's
    ("custom_method.py", ("plugin.step(sim, sim.gradient, ", "plugin.step(sim, sim.gradient * 2.0, "),
     r"NRT required but not enabled; kernels cannot allocate arrays"),
    ("custom_method.py", (_RESTART, "    try:\n    " + _RESTART + "    except ValueError as error:\n        pass\n"),
     r"Exception object cannot be stored into variable \(error\)"),  # not a TypingError: numba's bytecode check
    ("custom_method.py", (_RULE + "rule, sim, problem, worker):\n",
                          _PLAIN_HELPER + "rule, sim, problem, worker):\n    weight(0.0)\n"),
     r"weight\(\) is a plain Python function; compiled code calls only kernels: decorate it with @plugin.kernel "
     r"\(where ringbench calls the plug-in: ringbench/engine/loop.py, line \d+: on_arrival\(rule, sim, problem, "
     r"worker\)\)$"),  # numba names no line of the rule's: the call of the rule is the nearest
    ("custom_problem.py", ("return value / n_samples, norm2", "return value / n_samples, norm2, 0.0"),
     r"a tuple of 3 values where 2 are expected \(where ringbench calls the plug-in: ringbench/engine/loop.py, "
     r"line \d+: _, initial_norm2 = metrics\(problem, sim.x\)\)$"),  # no line of the plug-in's is named
    ("custom_problem.py", ("out[:] = 0.0", "out[:] = data.no_such_field"),
     r"Unknown attribute 'no_such_field' of type HuberData\(...\) \(in .*_custom_problem.py, line \d+: "
     r"out\[:\] = data.no_such_field\)$"),
])
def test_a_plug_in_that_does_not_compile_is_one_clear_line(example, edit, expected, tmp_path):
    """numba's 70 lines of nested signatures come down to the cause and the plug-in's source line."""
    broken = tmp_path / f"broken_{tmp_path.name}_{example}"  # a module name of its own in this process
    source = (EXAMPLES / example).read_text()
    assert edit[0] in source
    broken.write_text(source.replace(edit[0], edit[1], 1))
    if example == "custom_method.py":
        method = methods.get(f"{broken}:PolynomialASGD", gamma=0.1)
        problem = Quadratic.worst_case(6)
    else:
        method = methods.ASGD(gamma=0.01)
        problem = ringbench.problems.registry.build(f"{broken}:HuberRegression", {"n_samples": 50}, n=2)
    with pytest.raises(ValueError, match="the plug-in code of .* does not compile: " + expected) as error:
        ringbench.simulate(problem, method, timing.fixed([1.0, 2.0]), t_max=5.0)
    assert "\n" not in str(error.value) and type(error.value.__cause__).__module__.startswith("numba.")


def test_a_compile_error_message_without_nesting_keeps_its_cause_and_place():
    """numba's shape for an error in the plug-in itself: no rejected candidates, one location."""
    message = ("Failed in nopython mode pipeline (step: nopython frontend)\nUntyped global name 'helper': Cannot "
               "determine Numba type of <class 'function'>\n\nFile \"mine.py\", line 3:\ndef rule(x):\n    "
               "<source elided>\n    helper(x)\n    ^\n")
    error = ringbench._compiling.plugin_error(Exception(message), "m on p")
    assert str(error) == ("the plug-in code of m on p does not compile: Untyped global name 'helper': Cannot "
                          "determine Numba type of <class 'function'>; compiled code calls only kernels and the "
                          "functions numba supports (in mine.py, line 3: helper(x))")  # not one of the plug-in's


def test_an_undefined_name_is_not_called_a_plain_function(tmp_path):
    """numba says "not defined" of a plain function a rule calls, and of a name defined nowhere: only the first is
    a plain function (of a plug-in module), with the fix."""
    (tmp_path / "plain_helper_module.py").write_text("def weight(delay):\n    return delay\n")
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.import_module("plain_helper_module")
        for name, expected in [("weight", "weight() is a plain Python function; compiled code calls only kernels"),
                               ("wieght", "NameError: name 'wieght' is not defined")]:
            error = ringbench._compiling.plugin_error(Exception(f"NameError: name '{name}' is not defined"),
                                                      "m on p", ["plain_helper_module"])
            assert str(error).startswith(f"the plug-in code of m on p does not compile: {expected}")
            assert ("@plugin.kernel" in str(error)) is (name == "weight")
        untyped = ("Untyped global name 'weight': Cannot determine Numba type of <class 'function'>\n\n"
                   'File "mine.py", line 3:\ndef rule(x):\n    weight(x)\n    ^\n')  # a problem kernel's helper
        error = ringbench._compiling.plugin_error(Exception(untyped), "m on p", ["plain_helper_module"])
        assert str(error) == ("the plug-in code of m on p does not compile: weight() is a plain Python function; "
                              "compiled code calls only kernels: decorate it with @plugin.kernel (in mine.py, line 3: "
                              "weight(x))")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("plain_helper_module", None)


def test_the_plug_in_digest_covers_the_users_modules_it_imports(tmp_path, monkeypatch):
    """An edit to a helper file a plug-in imports from recompiles it: the digest covers the code that runs."""
    from ringbench.engine import plugins

    (tmp_path / "digest_helper.py").write_text("def scale(v):\n    return v\n")
    (tmp_path / "digest_plugin.py").write_text("import numpy\n\nfrom digest_helper import scale\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module("digest_plugin")
        assert plugins._helpers(["digest_plugin"]) == ["digest_helper"]  # not numpy: it is installed
        before = plugins.source_digest(["digest_plugin"])
        (tmp_path / "digest_helper.py").write_text("def scale(v):\n    return 2 * v\n")
        # This process still runs the code it imported; a reload (or the next process) runs the edit.
        assert plugins.source_digest(["digest_plugin"]) == before
        importlib.reload(sys.modules["digest_helper"])
        assert plugins.source_digest(["digest_plugin"]) != before
    finally:
        for name in ("digest_plugin", "digest_helper"):
            sys.modules.pop(name, None)



_CLIPPED = '''
import math
from dataclasses import dataclass
from typing import NamedTuple

from ringbench import plugin


class ClipRule(NamedTuple):
    gamma: float
    clip: float


@plugin.implements("on_arrival", ClipRule)
@plugin.kernel
def clip_on_arrival(rule, sim, problem, worker):
    plugin.evaluate(sim, problem, worker)
    plugin.use(sim, worker)
    norm2 = 0.0
    for k in range(sim.gradient.size):
        norm2 += sim.gradient[k] * sim.gradient[k]
    plugin.step(sim, sim.gradient, FACTOR * rule.gamma * min(1.0, rule.clip / math.sqrt(norm2)))
    plugin.restart(sim, worker)


@dataclass(frozen=True, kw_only=True)
class ClippedASGD(plugin.Method):
    name = "clipped-asgd"
    clip: float = 1.0

    def configure(self, problem, timing):
        workers = plugin.all_workers(timing)
        return plugin.Configuration(ClipRule(self.gamma, self.clip), workers, workers.size, {"gamma": self.gamma})
'''

_RELOADED_RUN = '''
import importlib, shutil, sys
import ringbench
sys.path.insert(0, sys.argv[1])
import reloaded_rule

def run():
    method = reloaded_rule.ClippedASGD(gamma=0.5, clip=0.5)
    return ringbench.simulate(ringbench.problems.Quadratic.worst_case(2), method, ringbench.timing.fixed([1.0, 2.5]),
                              max_updates=3).x.tolist()

print(run())
for version in sys.argv[2:]:
    shutil.copy(f"{sys.argv[1]}/{version}.py", f"{sys.argv[1]}/reloaded_rule.py")
    importlib.reload(reloaded_rule)
    print(run())
'''


def test_a_plug_in_edited_and_reloaded_in_one_process_runs_its_new_code(tmp_path):
    """The JIT links a cached library's calls to the symbols it already holds: a rule reloaded in a process
    (importlib.reload, IPython's autoreload) whose new version another process had compiled ran the old code."""
    (tmp_path / "old.py").write_text(_CLIPPED.replace("FACTOR * ", ""))
    (tmp_path / "new.py").write_text(_CLIPPED.replace("FACTOR", "3.0"))
    script = tmp_path / "run.py"
    script.write_text(_RELOADED_RUN)

    def final_iterates(first, *reloads):
        shutil.copy(tmp_path / f"{first}.py", tmp_path / "reloaded_rule.py")
        output = subprocess.run([sys.executable, str(script), str(tmp_path), *reloads], capture_output=True,
                                text=True, check=True, env=os.environ).stdout
        return [json.loads(line) for line in output.splitlines()]

    [new] = final_iterates("new")  # compiles the new version into the on-disk cache
    old, reloaded, back = final_iterates("old", "new", "old")
    assert old != new
    assert reloaded == new and back == old


EDITED_SWEEP = """
name = "edited"
n = [3]
t_max = 20.0
checkpoints = 4
[seeds]
root = 1
replicates = 1
[[problems]]
name = "worst-case"
d = 4
[[timings]]
name = "paper"
[[methods]]
name = "{folder}/edited_method.py:PolynomialASGD"
gamma = 0.1
"""


def test_a_sweep_reruns_an_edited_plug_in_and_its_results_name_the_code_they_ran(tmp_path):
    """A run id covers the plug-in's code, not just its name: an edit was served the old version's results."""
    source = (EXAMPLES / "custom_method.py").read_text()
    plugin_file = tmp_path / "edited_method.py"
    plugin_file.write_text(source)
    config = tmp_path / "edited.toml"
    config.write_text(EDITED_SWEEP.format(folder=tmp_path))

    def sweep_once():
        subprocess.run([sys.executable, "-m", "ringbench", "sweep", str(config), "--out", str(tmp_path / "out"),
                        "--quiet"], check=True, capture_output=True, env=os.environ)
        return {path.stem: ringbench.load(path) for path in (tmp_path / "out" / "runs").glob("*.npz")}

    [(first_id, first)] = sweep_once().items()
    assert first.provenance["plugins"]["edited_method"] == {
        "file": str(plugin_file.resolve()), "sha256": hashlib.sha256(plugin_file.read_bytes()).hexdigest()}
    plugin_file.write_text(source.replace("rule.gamma / (1.0 + delay) ** rule.power",
                                          "0.5 * rule.gamma / (1.0 + delay) ** rule.power"))
    runs = sweep_once()
    [second_id] = set(runs) - {first_id}
    assert runs[second_id].x.tolist() != first.x.tolist()
    assert runs[second_id].provenance["plugins"]["edited_method"]["sha256"] == hashlib.sha256(
        plugin_file.read_bytes()).hexdigest()


BATCHING = '''
from dataclasses import dataclass
from typing import NamedTuple

from ringbench import plugin


class BatchingRule(NamedTuple):
    gamma: float
    S: int
    batch: plugin.Batch


@plugin.implements("on_arrival", BatchingRule)
@plugin.kernel
def batching_on_arrival(rule, sim, problem, worker):
    if plugin.delay_of(sim, worker) > 0:
        plugin.discard(sim, worker)
        plugin.restart(sim, worker)
        return
    plugin.evaluate(sim, problem, worker)
    plugin.collect(rule.batch, sim.gradient)
    plugin.use(sim, worker)
    if rule.batch.size[0] < rule.S:
        plugin.restart(sim, worker)
    else:
        plugin.step_with_batch(sim, rule.batch, rule.gamma)
        plugin.restart_all(sim)


@dataclass(frozen=True, kw_only=True)
class Batching(plugin.Method):
    name = "batching"
    S: int = 2

    def configure(self, problem, timing):
        workers = plugin.all_workers(timing)
        return plugin.Configuration(BatchingRule(self.gamma, self.S, plugin.new_batch(problem.d)), workers, 0,
                                    {"gamma": self.gamma, "S": self.S})
'''


def test_a_plug_in_s_unfinished_batch_counts_as_pending_not_applied(tmp_path):
    """A plug-in written only with ringbench.plugin gets Rennala's counters: the cut-off batch is pending."""
    (tmp_path / "batching_rule.py").write_text(BATCHING)
    batching = ringbench.extensions.load(f"{tmp_path / 'batching_rule.py'}:Batching", base=methods.Method,
                                         what="method")
    problem, model = Quadratic.worst_case(4, noise_std=0.01), timing.fixed([1.0, 1.5, 2.2])
    plugged, builtin = (ringbench.simulate(problem, method, model, t_max=11.6, seed=0)
                        for method in (batching(gamma=0.1, S=3), methods.Rennala(gamma=0.1, S=3)))
    assert builtin.counters["pending"] == 2 and builtin.counters["applied"] == 3 * builtin.counters["updates"]
    assert plugged.counters == builtin.counters and np.array_equal(plugged.x, builtin.x)


@pytest.mark.skipif(ringbench._jit.config.DISABLE_JIT, reason="with the JIT off every kernel is a plain function")
def test_registering_a_kernel_without_its_decorator_names_it_and_the_fix():
    """Left undecorated, a rule failed deep in the compiler (171 lines ending in 'no attribute py_func')."""
    def plain_gradient(data, key, point, worker, job, out):
        out[:] = point

    with pytest.raises(TypeError, match=r"the stochastic_gradient kernel .*plain_gradient \(.*test_plugins.py\) is "
                                        r"not compiled: decorate it with @plugin.kernel"):
        ringbench.plugin.register("stochastic_gradient", timing.fixed([1.0]).data().__class__, plain_gradient)
