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
``ringmaster-mnist`` (the Ringmaster paper's network, E.1(b))
    a 784-32-10 ReLU network whose stochastic gradient is the full-batch gradient on
    100 training images plus one N(0, 1) scalar on every coordinate; n = 6174 workers
    with the paper's timing, base times shuffled; 1000 simulated seconds (paper scale).
``ringleader-mnist``, ``ringleader-fashion-mnist`` (the Ringleader paper's experiment, E.2)
    a 784-128-10 ReLU network on the training set, trimmed and split over n = 100
    workers by the equal-size Dirichlet(0.1) partition with the code's seeds,
    minibatch 4 without replacement, the ``heterogeneous`` timing. By default
    reduced to fit 10 minutes on 2 cores: the 5000-image MNIST subset ``mnist5k``
    (the full sets need a download) and 10^5 instead of 4 * 10^5 simulated seconds;
    :data:`PAPER_SCALE` gives the paper's data set and horizon.
"""

import math
from dataclasses import dataclass, field

from . import _validate, datasets, extensions, formatting, theory
from . import methods as m
from . import timing as timing_models
from .formatting import short, text_table
from .problems import MLP, Logistic, Quadratic, splits
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
#: The methods issue 17 added, tuned by ringbench on the paper's grid {5^i : i = -5..4} by the final f - f* at 2000 s
#: on one tuning seed (``examples/tune-paper-new-methods.toml``; FedAsync and FedBuff with their default alpha, s
#: and K): ``compare --methods`` takes them, the default comparison does not include them.
PAPER_TUNED_ADDED = {
    "random-asgd": dict(gamma=5.0**-5),  # the lowest grid value, as for ASGD; 5^-4 already blows up
    "shuffled-asgd": dict(gamma=5.0**-5),  # the lowest grid value; 5^-4 already blows up
    "fedasync": dict(gamma=5.0),  # gamma is the local step; the server mixes with alpha (1 + delay)^-1/2
    "fedbuff": dict(gamma=5.0**-4),
}

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

MNIST_HIDDEN = 32  # E.1(b): 784-32-10
MNIST_SAMPLES = 100  # E.1(b): the full-batch gradient over the first 100 training images
MNIST_NOISE_STD = 1.0  # E.1(b): one N(0, 1) scalar added to every coordinate
MNIST_T_MAX = 1000.0
MNIST_TIMING_SEED = 5  # the paper's time seed (E.1(a)); its base times are shuffled in E.1(b)
#: The paper's code (E.1(b)).
MNIST_TUNED = {
    "ringmaster": dict(gamma=1.0, threshold=6),
    "rennala": dict(gamma=5.0, S=6),
    "delay-adaptive-asgd": dict(gamma=0.0016),
}

RINGLEADER_HIDDEN = 128  # E.2: 784-128-10
RINGLEADER_T_MAX = 1e5  # reduced from the paper's 4e5 so that the default compare fits 10 minutes
#: The Ringleader code's stepsizes (Fashion-MNIST, seed 26; algorithms.md E.2); ASGD: ringbench's tuned value on
#: Ringleader's grid (see README and benchmarks/report_mnist.py).
RINGLEADER_TUNED = {
    "ringleader": dict(gamma=0.05),
    "malenia": dict(gamma=2.0),
    "ia2sgd": dict(gamma=0.05),
    "asgd": dict(gamma=0.01),
}
#: What ``--paper-scale`` changes: the full training sets and the papers' horizons.
PAPER_SCALE = {
    "ringmaster-mnist": dict(dataset="mnist", samples=MNIST_SAMPLES, t_max=MNIST_T_MAX),
    "ringleader-mnist": dict(dataset="mnist", samples=None, t_max=4e5),
    "ringleader-fashion-mnist": dict(dataset="fashion-mnist", samples=None, t_max=4e5),
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
    default_methods: tuple = None  # the methods compared by default; None: every tuned one

    @property
    def compared(self):
        """The methods compared by default."""
        return tuple(self.tuned) if self.default_methods is None else self.default_methods


SETTINGS = {
    "quadratic": Setting("quadratic", PAPER_N, PAPER_T_MAX, {**PAPER_TUNED, **PAPER_TUNED_ADDED},
                         default_methods=COMPARED),
    "logistic": Setting("logistic", LOGISTIC_N, PAPER_T_MAX, LOGISTIC_TUNED, target=1e-4, checkpoints=200),
    "heterogeneous": Setting("heterogeneous", HETEROGENEOUS_N, HETEROGENEOUS_T_MAX, HETEROGENEOUS_TUNED,
                             target=1e-4, checkpoints=200),
    # A checkpoint of these is a forward and backward pass over the training set (0.1 s on mnist5k, 784-128-10).
    "ringmaster-mnist": Setting("ringmaster-mnist", PAPER_N, MNIST_T_MAX, MNIST_TUNED, target=1e-2, checkpoints=200),
    "ringleader-mnist": Setting("ringleader-mnist", HETEROGENEOUS_N, RINGLEADER_T_MAX, RINGLEADER_TUNED,
                                target=1e-2, checkpoints=100),
    "ringleader-fashion-mnist": Setting("ringleader-fashion-mnist", HETEROGENEOUS_N, RINGLEADER_T_MAX,
                                        RINGLEADER_TUNED, target=1e-2, checkpoints=100),
}
#: The default data of each MNIST setting: the MNIST subset needs no download; Fashion-MNIST has no subset, so its
#: first 5000 training images (the official file is not sorted by label) keep a checkpoint at 0.1 s.
DEFAULT_DATA = {"ringmaster-mnist": dict(dataset="mnist5k"), "ringleader-mnist": dict(dataset="mnist5k"),
                "ringleader-fashion-mnist": dict(dataset="fashion-mnist", samples=5000)}


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


def mnist_problem(dataset="mnist5k", *, path=None, hidden=MNIST_HIDDEN, samples=MNIST_SAMPLES,
                  noise_std=MNIST_NOISE_STD):
    """E.1(b)'s problem: full-batch gradient over ``samples`` images plus a scalar N(0, noise_std^2).

    The subset ``mnist5k`` is stored sorted by label, so its 100 images are the first
    10 of each digit (the official set's first 100 images are mixed).
    """
    return MLP.from_dataset(dataset, path=path, samples=samples, balanced=dataset == "mnist5k", hidden=hidden,
                            batch=None, noise_std=noise_std, name=f"MLP 784-{hidden}-10 on {samples} {dataset} images "
                                                              f"+ N(0, {noise_std:g}) scalar noise")


def mnist_timing(n=PAPER_N, seed=MNIST_TIMING_SEED):
    """E.1(b)'s timing: 1 + sqrt(i) + |N(0, i + 1)| per job, base times shuffled."""
    return timing_models.profile("paper", n, permutation_seed=seed)


def ringleader_problem(dataset="mnist5k", *, path=None, samples=None, n=HETEROGENEOUS_N, alpha=HETEROGENEOUS_ALPHA,
                       hidden=RINGLEADER_HIDDEN, batch=HETEROGENEOUS_BATCH):
    """E.2's problem: an MLP on ``dataset`` (its first ``samples`` images) trimmed and split over ``n`` workers."""
    return MLP.from_dataset(dataset, path=path, samples=samples, n=n, alpha=alpha, hidden=hidden, batch=batch,
                            replacement=False,
                            name=f"MLP 784-{hidden}-10 on {dataset}, Dirichlet({alpha:g}) over {n} workers")


def paper_methods(names=COMPARED, *, eps=None, tuned=None, plugin_parameters=None):
    """The compared methods with their tuned parameters (``tuned``, default the paper's), or theory mode for ``eps``.

    A plug-in method (``path/to/file.py:Class`` or ``package.module:Class``) has no tuned
    parameters: it is built with ``plugin_parameters`` (a dict; ``eps`` too in theory
    mode), which go to every plug-in named and to no built-in.
    """
    tuned = PAPER_TUNED if tuned is None else tuned
    plugin_parameters = {} if plugin_parameters is None else dict(plugin_parameters)
    plugins = [name for name in names if extensions.is_plugin_name(name)]
    if plugin_parameters and not plugins:
        raise ValueError("plug-in parameters were given, but no plug-in method is named (built-ins take their "
                         "tuned parameters or theory mode)")
    if eps is not None and "eps" in plugin_parameters:
        raise ValueError("eps is set twice: by theory mode and by a plug-in parameter; give it once")
    chosen = []
    for name in names:
        if extensions.is_plugin_name(name):
            chosen.append(m.get(name, **plugin_parameters, **({} if eps is None else {"eps": eps})))
            continue
        _validate.choice("method", name, tuple(m.METHODS))
        parameters = dict(eps=eps) if eps is not None else tuned.get(name)
        if parameters is None:
            raise ValueError(f"method {name!r} has no tuned parameters here; use theory mode (eps, on the command "
                             "line --theory EPS) or one of "
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
        One per method, in order, up to the one Ctrl-C interrupted (status
        ``interrupted``); a Ctrl-C between two runs (setting up the next, or a
        prediction) keeps the finished ones and returns fewer results than methods.
    """
    results = []
    try:
        for method in methods:
            results.append(simulate(problem, method, timing, t_max=t_max, seed=seed, progress=progress,
                                    record=Recording(times=checkpoints)))
            if results[-1].config["prediction"] is None and target is not None:
                results[-1].config["prediction"] = theory.prediction(problem, method, timing, target=target)
            if results[-1].status == "interrupted":
                break
    except KeyboardInterrupt:
        if not results:  # nothing finished to keep
            raise
    return results


def summary(results, target):
    """One row per result: parameters, final ||grad f||^2 and f - f* (None where f* is unknown), time to ``target``,
    the theory's predicted time (None without one; see :func:`ringbench.theory.prediction`), gradient counts, status.
    """
    rows = []
    for result in results:
        resolved = result.config["resolved"]
        prediction = result.config.get("prediction")  # absent from results saved before predictions existed
        parameters = ", ".join(f"{key}={short(value)}" for key, value in resolved.items() if key != "workers")
        rows.append({
            "method": result.method, "parameters": parameters,
            "final_grad_norm2": float(result.grad_norm2[-1]) if result.grad_norm2.size else math.nan,
            "final_f_gap": None if result.f_gap is None else float(result.f_gap[-1]) if result.f_gap.size else math.nan,
            "final_f": float(result.f[-1]) if result.f is not None and result.f.size else math.nan,
            "final_accuracy": float(result.extra[-1]) if result.extra is not None and result.extra.size else None,
            "time_to_target": result.time_to(target),
            "predicted": None if prediction is None else prediction["time"],
            "predicted_eps": None if prediction is None else prediction["eps"],
            "computed": result.counters["computed"],
            "applied": result.counters["applied"], "wasted": result.counters["wasted"],
            "updates": result.counters["updates"], "status": result.status,
            "diverged_at": result.diverged_at,
        })
    return rows


def _status(row):
    """A row's status; after a divergence, where it was detected."""
    diverged = row["diverged_at"]
    return formatting.diverged(diverged) if diverged else row["status"]


def format_table(rows, target):
    """A plain-text table of :func:`summary` rows."""
    header = ("method", "parameters", "final ||grad f||^2", "final f - f*", f"time to {target:g} (s)", "predicted (s)",
              "computed", "applied", "wasted", "status")
    lines = [header]
    for row in rows:
        reached = row["time_to_target"]
        predicted = "-" if row["predicted"] is None else f"{row['predicted']:.4g}"
        f_gap = "-" if row["final_f_gap"] is None else f"{row['final_f_gap']:.3e}"  # f* unknown
        lines.append((row["method"], row["parameters"], f"{row['final_grad_norm2']:.3e}", f_gap,
                      "not reached" if reached is None else f"{reached:.1f}", predicted, str(row["computed"]),
                      str(row["applied"]), str(row["wasted"]), _status(row)))
    accuracies = [row.get("final_accuracy") for row in rows]
    if any(accuracy is not None for accuracy in accuracies):  # a classifier: its loss f and training accuracy
        lines[0] = (*header[:4], "final f", "final accuracy", *header[4:])
        for line, row, accuracy in zip(lines[1:], rows, accuracies):
            extra = (f"{row['final_f']:.4g}", "-" if accuracy is None else f"{accuracy:.4f}")
            lines[lines.index(line)] = (*line[:4], *extra, *line[4:])
    text = text_table(lines)
    targets = sorted({row["predicted_eps"] for row in rows if row["predicted"] is not None})
    if targets:
        text.append("predicted: the theory's time to E||grad f||^2 <= " + ", ".join(f"{eps:g}" for eps in targets)
                    + " (the papers' complexities with constant 1; see ringbench theory)")
    return "\n".join(text)
