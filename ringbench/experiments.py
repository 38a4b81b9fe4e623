"""The papers' experiments as ready-made configurations, and the comparison table.

Three settings, each a problem, a timing model, a budget and tuned methods:

``quadratic`` (the Ringmaster paper, ``algorithms.md`` E.1)
    Nesterov's worst-case chain with d = 1729 and scalar noise s = 0.01
    (sigma^2 = 0.1729), n = 6174 workers whose j-th job takes 1 + sqrt(i) + |N(0, i + 1)|
    seconds, 2000 simulated seconds.
``logistic`` (ringbench's own)
    l2-regularised logistic regression (lambda = 1e-4, minibatch 1) on a LIBSVM
    dataset (a9a by default) shared by all workers; n = 1000 workers with the paper's
    timing, 2000 simulated seconds.
``heterogeneous`` (the structure of the Ringleader experiments, E.2, on a9a)
    the dataset split over n = 100 workers by an equal-size Dirichlet(0.1) partition,
    minibatch 4 drawn without replacement, jobs of (i + 1) + |N(0, i + 1)| seconds with
    the base times randomly permuted over workers; 20000 simulated seconds.
"""

import math
from dataclasses import dataclass, field

from . import _validate, datasets, theory
from . import methods as m
from . import timing as timing_models
from .formatting import short, text_table
from .problems import Logistic, Quadratic, splits
from .simulation import Recording, simulate

PAPER_N = 6174
PAPER_D = 1729
PAPER_T_MAX = 2000.0
PAPER_NOISE_STD = 0.01

#: Stepsizes (and R, S) of the paper's code, or tuned here on its grid where the paper has none.
PAPER_TUNED = {
    "ringmaster": dict(gamma=0.25, threshold=6),  # paper's code (legend says 0.2)
    "rennala": dict(gamma=1.0, S=6),  # paper's code
    "delay-adaptive-asgd": dict(gamma=5.0**-5),  # paper's code: 0.00032, the lowest grid value
    "asgd": dict(gamma=5.0**-5),  # tuned by ringbench, see README
    "minibatch": dict(gamma=1.0),  # tuned by ringbench, see README
    "hero": dict(gamma=1.0),  # tuned by ringbench, see README
}
COMPARED = tuple(PAPER_TUNED)

LOGISTIC_N = 1000
LOGISTIC_LAM = 1e-4
#: Tuned by ringbench on a9a: gamma on {5^i : i = -5..2} (minibatch: -3..2), R and S in {1, 4, 16, 64};
#: best final ||grad f||^2 at 2000 s on seed 1 (see README).
LOGISTIC_TUNED = {
    "ringmaster": dict(gamma=5.0**-3, threshold=16),
    "rennala": dict(gamma=0.2, S=64),
    "delay-adaptive-asgd": dict(gamma=5.0**-4),
    "asgd": dict(gamma=5.0**-4),
    "minibatch": dict(gamma=1.0),
    "hero": dict(gamma=5.0**-3),
}

HETEROGENEOUS_N = 100
HETEROGENEOUS_ALPHA = 0.1
HETEROGENEOUS_BATCH = 4
HETEROGENEOUS_T_MAX = 20000.0
HETEROGENEOUS_SPLIT_SEED = 654321  # the Ringleader code's partition seed
#: Tuned by ringbench on a9a on the Ringleader paper's grids (E.2; ASGD on Ringleader's): best final
#: ||grad f||^2 at 20000 s on seed 1 (see README).
HETEROGENEOUS_TUNED = {
    "ringleader": dict(gamma=0.02),
    "malenia": dict(gamma=1.0),
    "ia2sgd": dict(gamma=0.005),
    "asgd": dict(gamma=0.01),
}


@dataclass(frozen=True)
class Setting:
    """A ready-made experiment's defaults: workers, budget, tuned methods, target and checkpoints.

    ``checkpoints`` is the number of exact-metric checkpoints per run: a logistic
    checkpoint is a pass over the whole dataset, so those settings record fewer.
    """

    name: str
    n: int
    t_max: float
    tuned: dict = field(repr=False)
    target: float = 1e-3
    checkpoints: int = 1000

    @property
    def compared(self):
        """The methods compared by default."""
        return tuple(self.tuned)


SETTINGS = {
    "quadratic": Setting("quadratic", PAPER_N, PAPER_T_MAX, PAPER_TUNED),
    "logistic": Setting("logistic", LOGISTIC_N, PAPER_T_MAX, LOGISTIC_TUNED, target=1e-4, checkpoints=200),
    "heterogeneous": Setting("heterogeneous", HETEROGENEOUS_N, HETEROGENEOUS_T_MAX, HETEROGENEOUS_TUNED,
                             target=1e-4, checkpoints=200),
}


def paper_problem(d=PAPER_D):
    """The Ringmaster paper's stochastic quadratic."""
    return Quadratic.worst_case(d, noise_std=PAPER_NOISE_STD)


def paper_timing(n=PAPER_N):
    """The Ringmaster paper's timing model: 1 + sqrt(i) + |N(0, i + 1)| per job."""
    return timing_models.profile("paper", n)


def logistic_problem(dataset="a9a", *, path=None, storage="csr", lam=LOGISTIC_LAM, batch=1):
    """The ``logistic`` setting's problem: every worker samples the whole dataset."""
    return Logistic.from_dataset(dataset, path=path, storage=storage, lam=lam, batch=batch)


def heterogeneous_problem(dataset="a9a", *, path=None, n=HETEROGENEOUS_N, alpha=HETEROGENEOUS_ALPHA,
                          lam=LOGISTIC_LAM, batch=HETEROGENEOUS_BATCH, storage="csr"):
    """The ``heterogeneous`` setting's problem: the dataset split over ``n`` workers by Dirichlet(alpha)."""
    labels = datasets.load(dataset, path=path).y
    parts = splits.dirichlet(labels, n, alpha, seed=HETEROGENEOUS_SPLIT_SEED)
    return Logistic.from_dataset(dataset, path=path, storage=storage, lam=lam, batch=batch, replacement=False,
                                 partition=parts, name=f"logistic regression on {dataset}, Dirichlet({alpha:g}) "
                                                       f"split over {n} workers")


def heterogeneous_timing(n=HETEROGENEOUS_N, seed=0):
    """The Ringleader experiments' timing: (i + 1) + |N(0, i + 1)|, base times permuted by ``seed``."""
    return timing_models.profile("ringleader", n, permutation_seed=seed)


def paper_methods(names=COMPARED, *, eps=None, tuned=None):
    """The compared methods with their tuned parameters (``tuned``, default the paper's), or theory mode for ``eps``."""
    tuned = PAPER_TUNED if tuned is None else tuned
    chosen = []
    for name in names:
        _validate.choice("method", name, tuple(m.METHODS))
        parameters = dict(eps=eps) if eps is not None else tuned.get(name)
        if parameters is None:
            raise ValueError(f"method {name!r} has no tuned parameters here; use theory mode (eps) or one of "
                             + ", ".join(tuned))
        chosen.append(m.get(name, **parameters))
    return chosen


def compare(methods, problem, timing, *, t_max, seed=0, progress=False, checkpoints=1000, target=None):
    """Run each method on the same problem, hardware and seed; stop early if one is interrupted.

    ``target`` (the table's ||grad f||^2 level) is the eps of the theory's prediction
    stored in each result whose method has no theory-mode eps of its own; the runs
    themselves go on to ``t_max``.

    Returns
    -------
    list of ringbench.Result
    """
    results = []
    for method in methods:
        result = simulate(problem, method, timing, t_max=t_max, seed=seed, progress=progress,
                          record=Recording(times=checkpoints))
        if result.config["prediction"] is None and target is not None:
            result.config["prediction"] = theory.prediction(problem, method, timing, target=target)
        results.append(result)
        if results[-1].status == "interrupted":
            break
    return results


def summary(results, target):
    """One row per result: parameters, final ||grad f||^2 and f - f*, time to ``target``, the theory's predicted time
    (None without one; see :func:`ringbench.theory.prediction`), gradient counts, status.
    """
    rows = []
    for result in results:
        resolved = result.config["resolved"]
        prediction = result.config.get("prediction")  # absent from results saved before predictions existed
        parameters = ", ".join(f"{key}={short(value)}" for key, value in resolved.items() if key != "workers")
        rows.append({
            "method": result.method, "parameters": parameters,
            "final_grad_norm2": float(result.grad_norm2[-1]) if result.grad_norm2.size else math.nan,
            "final_f_gap": float(result.f_gap[-1]) if result.f_gap is not None and result.f_gap.size else math.nan,
            "time_to_target": result.time_to(target),
            "predicted": None if prediction is None else prediction["time"],
            "predicted_eps": None if prediction is None else prediction["eps"],
            "computed": result.counters["computed"],
            "applied": result.counters["applied"], "wasted": result.counters["wasted"],
            "updates": result.counters["updates"], "status": result.status,
        })
    return rows


def format_table(rows, target):
    """A plain-text table of :func:`summary` rows."""
    header = ("method", "parameters", "final ||grad f||^2", "final f - f*", f"time to {target:g} (s)", "predicted (s)",
              "computed", "applied", "wasted", "status")
    lines = [header]
    for row in rows:
        reached = row["time_to_target"]
        predicted = "-" if row["predicted"] is None else f"{row['predicted']:.4g}"
        lines.append((row["method"], row["parameters"], f"{row['final_grad_norm2']:.3e}", f"{row['final_f_gap']:.3e}",
                      "not reached" if reached is None else f"{reached:.1f}", predicted, str(row["computed"]),
                      str(row["applied"]), str(row["wasted"]), row["status"]))
    text = text_table(lines)
    targets = sorted({row["predicted_eps"] for row in rows if row["predicted"] is not None})
    if targets:
        text.append("predicted: the theory's time to E||grad f||^2 <= " + ", ".join(f"{eps:g}" for eps in targets)
                    + " (the papers' complexities with constant 1; see ringbench theory)")
    return "\n".join(text)
