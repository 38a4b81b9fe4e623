"""Golden results: every built-in method, problem kind and storage, and several timing models, frozen to the bit.

The cases are run through the public API only, so that the same file checks the engine before and after a
restructuring: every case must give bit-identical results (trace, checkpoints, final iterate, counters,
status). ``tests/test_golden.py`` compares against ``data/golden/<case>.npz``; ``python tests/golden.py``
(re)writes them, which is right only when the random streams change on purpose (bump
:data:`STREAM_VERSION` then). If the trace API changes, adapt :func:`extract` and nothing else.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import scipy.sparse

import ringbench
import ringbench.problems.splits as splits
from ringbench import Recording, datasets, methods, problems, timing

#: Version of the random streams (job durations, gradient noise, sampling) the golden files were made with.
STREAM_VERSION = 2

ROOT = pathlib.Path(__file__).resolve().parents[1]
GOLDEN_DIR = ROOT / "data" / "golden"

N = 8  # workers of the main grid
T_MAX = 120.0  # simulated seconds: a few hundred arrivals with the paper's timing on 8 workers
RECORD = Recording(times=30, every=20)  # both a time grid and every K updates

TRACE_FIELDS = ("time", "worker", "delay", "used", "iteration")
CHECKPOINT_FIELDS = ("time", "iteration", "f_gap", "grad_norm2")
COUNTERS = ("updates", "arrivals", "computed", "applied", "pending", "overwritten", "discarded", "cancelled",
            "max_delay")
FLOAT_COUNTERS = ("mean_delay", "end_time")


def extract(result):
    """The arrays a case is checked on: the only place that knows the shape of a ``Result``."""
    out = {f"trace_{name}": np.asarray(result.trace[name]) for name in TRACE_FIELDS}
    out.update({f"checkpoint_{name}": np.asarray(getattr(result, name)) for name in CHECKPOINT_FIELDS})
    out["x"] = np.asarray(result.x)
    out.update({f"counter_{name}": np.int64(result.counters[name]) for name in COUNTERS})
    out.update({f"counter_{name}": np.float64(result.counters[name]) for name in FLOAT_COUNTERS})
    out["status"] = np.str_(result.status)
    if result.counters.get("lost"):  # availability's lost jobs (only cases with availability have any)
        out["counter_lost"] = np.int64(result.counters["lost"])
    if result.diverged_at is not None:
        out["diverged_time"] = np.float64(result.diverged_at["time"])
        out["diverged_iteration"] = np.int64(result.diverged_at["iteration"])
    return out


# --------------------------------------------------------------------------------------------- problems
# Each builder returns (problem, stepsize scale): the methods' gammas below are multiplied by the scale.

def _sparse_spd(d, seed):
    """A symmetric, strictly diagonally dominant (hence positive definite) sparse matrix, as CSR."""
    rng = np.random.default_rng(seed)
    upper = scipy.sparse.random(d, d, density=0.2, random_state=rng, format="coo")
    upper = scipy.sparse.triu(upper, k=1)
    offdiag = (upper + upper.T).tocsr() * 0.5
    diagonal = np.abs(offdiag).sum(axis=1).A1 + rng.uniform(0.2, 1.0, d)
    return (offdiag + scipy.sparse.diags(diagonal)).tocsr() / diagonal.max()


def _logistic_data(sparse, seed, n_samples=64, n_features=10):
    density = 0.35 if sparse else 1.0
    return datasets.synthetic(n_samples, n_features, density=density, separability=0.8, sparse=sparse, seed=seed)


def _problem_worst_scalar():
    return problems.Quadratic.worst_case(12, noise_std=0.05, noise="scalar"), 1.0


def _problem_worst_isotropic():
    return problems.Quadratic.worst_case(12, noise_std=0.05, noise="isotropic"), 1.0


def _problem_dense():
    return problems.Quadratic.random_dense(10, condition_number=20.0, seed=3, noise_std=0.05, noise="isotropic"), 1.0


def _problem_csr():
    A = _sparse_spd(15, seed=4)
    b = np.random.default_rng(5).standard_normal(15) / np.sqrt(15)
    return problems.Quadratic(A, b, x0=np.ones(15), noise_std=0.05, noise="scalar", name="sparse quadratic"), 1.0


def _problem_logistic_dense():
    X, y = _logistic_data(False, seed=1)
    return problems.Logistic(X, y, lam=1e-3, regularizer="l2", batch=2, replacement=True), 2.0


def _problem_logistic_csr():
    X, y = _logistic_data(True, seed=2, n_features=16)
    return problems.Logistic(X, y, lam=1e-2, regularizer="nonconvex", batch=3, replacement=False), 2.0


def _problem_quadratic_split():
    base = problems.Quadratic.random_dense(8, condition_number=10.0, seed=6, noise_std=0.02, noise="isotropic")
    return base.split_randomly(N, heterogeneity=0.5, scale_spread=0.3, seed=7), 1.0


def _problem_logistic_split():
    X, y = _logistic_data(False, seed=8, n_samples=80)
    parts = splits.dirichlet(y, N, 0.3, seed=9)
    return problems.Logistic(X, y, lam=1e-3, regularizer="l2", batch=2, replacement=False, partition=parts), 2.0


def _problem_logistic_split_csr():
    X, y = _logistic_data(True, seed=10, n_samples=72, n_features=12)
    parts = splits.label_sorted(y, N)
    return problems.Logistic(X, y, lam=1e-2, regularizer="nonconvex", batch=3, replacement=True,
                             partition=parts), 2.0


PROBLEMS = {
    "worst-scalar": _problem_worst_scalar,
    "worst-isotropic": _problem_worst_isotropic,
    "dense": _problem_dense,
    "csr": _problem_csr,
    "logistic-dense": _problem_logistic_dense,
    "logistic-csr": _problem_logistic_csr,
    "quadratic-split": _problem_quadratic_split,
    "logistic-split": _problem_logistic_split,
    "logistic-split-csr": _problem_logistic_split_csr,
}

# ---------------------------------------------------------------------------------------------- methods
# Each takes the problem's stepsize scale.

METHODS = {
    "ringmaster": lambda s: methods.Ringmaster(gamma=0.1 * s, threshold=4),
    "ringmaster-nostops": lambda s: methods.Ringmaster(gamma=0.1 * s, threshold=4, stops=False),
    "asgd": lambda s: methods.ASGD(gamma=0.05 * s),
    "delay-adaptive-asgd": lambda s: methods.DelayAdaptiveASGD(gamma=0.05 * s),
    "rennala": lambda s: methods.Rennala(gamma=0.3 * s, S=4),
    "rennala-nostops": lambda s: methods.Rennala(gamma=0.3 * s, S=4, stops=False),
    "minibatch": lambda s: methods.Minibatch(gamma=0.5 * s),
    "hero": lambda s: methods.Hero(gamma=0.3 * s),
    "naive-optimal": lambda s: methods.NaiveOptimalASGD(gamma=0.1 * s, eps=0.01),
    "ringleader": lambda s: methods.Ringleader(gamma=0.05 * s),
    "ringleader-hm2": lambda s: methods.Ringleader(gamma=0.05 * s, phase1_hm_target=2),
    "malenia": lambda s: methods.Malenia(gamma=0.3 * s),
    "malenia-nostops": lambda s: methods.Malenia(gamma=0.3 * s, S=12, stops=False),
    "ia2sgd": lambda s: methods.IA2SGD(gamma=0.05 * s),
    "fedbuff": lambda s: methods.FedBuff(gamma=0.1 * s, buffer=3),
    "fedasync": lambda s: methods.FedAsync(gamma=0.1 * s, alpha=0.8),  # added after the refactor
    "random-asgd": lambda s: methods.RandomASGD(gamma=0.05 * s),  # added with issue 17
    "shuffled-asgd": lambda s: methods.ShuffledASGD(gamma=0.05 * s),
}

# ---------------------------------------------------------------------------------------------- timings

_TAU = 1.0 + np.sqrt(np.arange(N, dtype=np.float64))

TIMINGS = {
    "paper": lambda: timing.profile("paper", N),
    "ringleader-permuted": lambda: timing.profile("ringleader", N, permutation_seed=3),
    "fixed": lambda: timing.fixed(_TAU),
    "exponential": lambda: timing.random(_TAU, 0.5 * _TAU, "exponential"),
    "log-normal": lambda: timing.random(_TAU, np.full(N, 0.3), "log-normal"),
    "piecewise": lambda: timing.piecewise([0.0, 20.0, 50.0], np.column_stack(
        [1.0 / _TAU, 0.5 / _TAU, np.where(np.arange(N) % 2 == 0, 2.0, 1.0) / _TAU])),
    "outages": lambda: timing.outages(_TAU, [(0, 10.0, 30.0), (3, 5.0, 60.0)]),
    "power-law": lambda: timing.power_law(1.0 / _TAU, np.linspace(-0.5, 0.2, N)),
    "trace": lambda: timing.trace([np.random.default_rng(worker).uniform(0.5, 2.0, 5) * _TAU[worker]
                                   for worker in range(N)]),
    # added with issue 17
    "communicating": lambda: timing.communicating(timing.profile("paper", N),
                                                  download=timing.random(0.2 * _TAU, 0.1 * _TAU, "exponential"),
                                                  upload=0.5),
    "correlated-job": lambda: timing.correlated(_TAU, 0.5 * _TAU, "exponential"),
    "correlated-window": lambda: timing.correlated(_TAU, np.full(N, 0.3), "log-normal", window=7.0),
    "availability": lambda: timing.availability(timing.profile("paper", N), [
        (0, 0.0, 8.0), (1, 12.0, 30.0), (1, 30.0, 31.0), (3, 20.0, 45.0), (5, 3.0, 9.0), (5, 60.0, 70.0),
        *[(worker, 80.0, 95.0) for worker in range(N)]]),  # a while with everyone offline
    "random-availability": lambda: timing.random_availability(timing.fixed(_TAU), 25.0, 8.0, horizon=T_MAX, seed=4),
    "availability-communicating": lambda: timing.random_availability(
        timing.communicating(timing.random(_TAU, 0.5 * _TAU, "exponential"), download=0.5, upload=0.25),
        30.0, 10.0, horizon=T_MAX, seed=9),
}

# ------------------------------------------------------------------------------------------------ cases


def _case(problem, method, timing_name="paper", **options):
    return {"problem": problem, "method": method, "timing": timing_name, **options}


def _cases():
    cases = {}
    for problem in PROBLEMS:  # every method on every problem, with the paper's timing
        for method in METHODS:
            cases[f"{method}__{problem}"] = _case(problem, method)
    extra_timings = [  # a handful of (method, timing) pairs
        ("ringmaster", "fixed"), ("ringmaster-nostops", "exponential"), ("asgd", "piecewise"),
        ("delay-adaptive-asgd", "trace"), ("rennala", "trace"), ("rennala-nostops", "piecewise"),
        ("minibatch", "exponential"), ("hero", "log-normal"), ("naive-optimal", "fixed"),
        ("ringleader", "ringleader-permuted"), ("ringleader-hm2", "piecewise"), ("malenia", "fixed"),
        ("malenia-nostops", "trace"), ("ia2sgd", "exponential"), ("fedbuff", "outages"),
        ("asgd", "power-law"), ("ringmaster", "outages"),
        ("ringmaster", "communicating"), ("random-asgd", "communicating"), ("shuffled-asgd", "correlated-job"),
        ("rennala", "correlated-window"), ("asgd", "correlated-job"),
        # worker availability (issue 17)
        ("ringmaster", "availability"), ("ringmaster-nostops", "random-availability"), ("asgd", "availability"),
        ("rennala", "availability"), ("minibatch", "random-availability"), ("fedbuff", "availability-communicating"),
        ("delay-adaptive-asgd", "random-availability"),
    ]
    for method, timing_name in extra_timings:
        cases[f"{method}__worst-isotropic__{timing_name}"] = _case("worst-isotropic", method, timing_name)
    for method, timing_name in [("ringleader", "exponential"), ("malenia", "piecewise"), ("fedbuff", "fixed")]:
        cases[f"{method}__logistic-split__{timing_name}"] = _case("logistic-split", method, timing_name)
    # theory mode: gamma (and R, S) derived from eps
    theory = {
        "ringmaster": methods.Ringmaster(eps=0.05), "rennala": methods.Rennala(eps=0.05),
        "asgd": methods.ASGD(eps=0.05), "malenia": methods.Malenia(eps=0.05),
        "ringleader": methods.Ringleader(eps=0.05), "naive-optimal": methods.NaiveOptimalASGD(eps=0.05),
    }
    for method, instance in theory.items():
        cases[f"theory-{method}__worst-scalar"] = _case("worst-scalar", instance)
    cases["theory-fedbuff__logistic-dense"] = _case("logistic-dense", methods.FedBuff(eps=0.05, buffer=4))
    # stopping rules
    cases["target__asgd__dense"] = _case("dense", methods.ASGD(gamma=0.1), target=0.05, t_max=2000.0)
    cases["max-updates__ringmaster__worst-scalar"] = _case(
        "worst-scalar", "ringmaster", t_max=None, max_updates=150, record=Recording(every=10))
    cases["max-updates__malenia__logistic-split"] = _case(
        "logistic-split", "malenia", t_max=None, max_updates=25, record=Recording(every=3))
    cases["diverged__asgd__worst-scalar"] = _case("worst-scalar", methods.ASGD(gamma=20.0), t_max=400.0)
    cases["diverged__malenia-nostops__csr"] = _case(
        "csr", methods.Malenia(gamma=30.0, S=4, stops=False), t_max=400.0, blowup=1e6)
    # more arrivals than the engine's trace buffer (4096) holds: the trace is drained several times
    cases["long-trace__asgd__worst-isotropic__fixed"] = _case(
        "worst-isotropic", "asgd", "fixed", t_max=1500.0, record=Recording(times=20))
    cases["seed__rennala__csr"] = _case("csr", "rennala", seed=123456789)
    cases["record-default__fedbuff__dense"] = _case("dense", "fedbuff", record=None)
    # a concurrency cap around a method (issue 17)
    cases["capped__asgd__worst-isotropic"] = _case("worst-isotropic", methods.Capped(method=methods.ASGD(gamma=0.05),
                                                                                   cap=3))
    cases["capped__fedasync__logistic-split__exponential"] = _case(
        "logistic-split", methods.Capped(method=methods.FedAsync(gamma=0.1, alpha=0.8), cap=2), "exponential")
    return cases


CASES = _cases()


def run(name):
    """Run the case ``name`` of :data:`CASES` through the public API; return :func:`extract` of the result."""
    case = CASES[name]
    problem, scale = PROBLEMS[case["problem"]]()
    method = case["method"]
    method = METHODS[method](scale) if isinstance(method, str) else method
    result = ringbench.simulate(
        problem, method, TIMINGS[case["timing"]](), t_max=case.get("t_max", T_MAX),
        max_updates=case.get("max_updates"), target=case.get("target"), seed=case.get("seed", 2025),
        record=case.get("record", RECORD), blowup=case.get("blowup", 1e12), trace="events")
    return extract(result)


def path(name):
    return GOLDEN_DIR / f"{name}.npz"


MACHINE_FILE = GOLDEN_DIR / "machine.json"


def machine():
    """What the last bits of a compiled run depend on besides ringbench: the code numba generates and the libraries.

    The gradient kernels reorder arithmetic (fastmath ``reassoc``, ``contract``), so
    LLVM's choice of vector width and fused multiply-adds for the host CPU moves the
    last bits of reductions; NumPy and SciPy (LAPACK) build the problems.
    """
    import llvmlite
    import llvmlite.binding as llvm
    import numba
    import scipy
    return {"cpu": llvm.get_host_cpu_name(), "cpu_features": llvm.get_host_cpu_features().flatten(),
            "numba": numba.__version__, "llvmlite": llvmlite.__version__, "numpy": np.__version__,
            "scipy": scipy.__version__}


def recorded_machine():
    """The :func:`machine` the golden files were made on, or None if it was not recorded."""
    return json.loads(MACHINE_FILE.read_text()) if MACHINE_FILE.exists() else None


def load(name):
    """The stored golden arrays of ``name`` (without the stream version)."""
    with np.load(path(name), allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    version = int(arrays.pop("stream_version"))
    if version != STREAM_VERSION:
        raise ValueError(f"{path(name)} has stream version {version}, this file expects {STREAM_VERSION}")
    return arrays


_README = """\
# Golden results

One `<case>.npz` per case of `tests/golden.py` (method x problem x timing, plus theory mode, a target, a
budget of updates and divergence), each holding the arrays of `extract(result)`: the arrival trace
(`trace_time`, `trace_worker`, `trace_delay`, `trace_used`, `trace_iteration`), the checkpoints
(`checkpoint_time`, `checkpoint_iteration`, `checkpoint_f_gap`, `checkpoint_grad_norm2`), the final iterate
`x`, the counters (`counter_*`), `status`, `diverged_time` / `diverged_iteration` when the run diverged, and
`stream_version`.

- Produced by: commit `{commit}` ({subject}){dirty}, numpy {numpy}, numba {numba}, scipy {scipy},
  Python {python}, on {platform}.
- Stream version: **{stream_version}** (the version of the random streams: job durations, gradient noise,
  minibatch sampling).
- Checked by `tests/test_golden.py`, which requires **bit-identical** results on the machine recorded in
  `machine.json` (CPU as LLVM sees it, numba, llvmlite, NumPy, SciPy): the acceptance test of refactorings
  of the engine, methods and problems. Elsewhere it requires identical integers (events, workers, delays,
  iterations, counters, status) and floats within a relative 1e-9 of each array's scale.
- Regenerate with `python tests/golden.py` (from the repository root, with the package importable), but
  **only** when the random streams change on purpose, and then bump `STREAM_VERSION` in `tests/golden.py`.
  Never regenerate to make a refactoring pass. Moving the reference to a new machine is the one other
  reason: at a commit whose golden tests pass there within the tolerance, before any change.
- The gradient kernels use reordering fastmath flags, so the last bits depend on the CPU's vector width
  and on the numba/LLVM version (measured: 118 of 204 cases moved by at most 1.2e-15 of their scale between two
  x86-64 machines, no integer moves): compare before and after a change on the same machine to check bits.
{count} cases, {size} bytes in total.
"""


def _git(*args):
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def write_all(*, missing_only=False):
    """(Re)write every golden file and the README; with ``missing_only``, only cases without a file
    (new cases: existing files must never be rewritten unless the streams change on purpose)."""
    import platform
    from importlib import metadata

    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    if not missing_only:
        for old in GOLDEN_DIR.glob("*.npz"):
            old.unlink()
    for number, name in enumerate(CASES, 1):
        if missing_only and path(name).exists():
            continue
        arrays = run(name)
        np.savez_compressed(path(name), stream_version=np.int64(STREAM_VERSION), **arrays)
        print(f"[{number}/{len(CASES)}] {name}: {arrays['status']}, {arrays['trace_time'].size} arrivals, "
              f"{int(arrays['counter_updates'])} updates", flush=True)
    size = sum(file.stat().st_size for file in GOLDEN_DIR.glob("*.npz"))
    if missing_only:  # the README keeps naming the commit that produced the original files
        if recorded_machine() != machine():
            print(f"warning: the other golden files were made on another machine ({MACHINE_FILE}); the new "
                  "ones are exact only here", file=sys.stderr)
        print(f"{len(CASES)} cases, {size} bytes in {GOLDEN_DIR}; say in data/golden/README.md which were added")
        return
    MACHINE_FILE.write_text(json.dumps(machine(), indent=1) + "\n")
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "ringbench")
    (GOLDEN_DIR / "README.md").write_text(_README.format(
        commit=_git("rev-parse", "HEAD"), subject=_git("log", "-1", "--format=%s"),
        dirty=" with uncommitted changes to ringbench/" if dirty else "",
        numpy=np.__version__, numba=metadata.version("numba"), scipy=metadata.version("scipy"),
        python=sys.version.split()[0], platform=platform.platform(), stream_version=STREAM_VERSION,
        count=len(CASES), size=size))
    print(f"{len(CASES)} cases, {size} bytes in {GOLDEN_DIR}")


if __name__ == "__main__":
    # Solved logistic optima go to a fresh cache, as in the tests, not to ~/.cache.
    with tempfile.TemporaryDirectory() as cache:
        os.environ["RINGBENCH_CACHE"] = cache
        write_all(missing_only="--missing" in sys.argv)
