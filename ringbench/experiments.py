"""The papers' experiments as ready-made configurations, and the comparison table.

The Ringmaster paper's quadratic (``algorithms.md`` E.1): Nesterov's worst-case
chain with d = 1729 and scalar noise s = 0.01 (sigma^2 = 0.1729), n = 6174 workers
whose j-th job takes 1 + sqrt(i) + |N(0, i + 1)| seconds, 2000 simulated seconds.
"""

import math

from . import _validate
from . import methods as m
from . import timing as timing_models
from .problems import Quadratic
from .simulation import simulate

PAPER_N = 6174
PAPER_D = 1729
PAPER_T_MAX = 2000.0
PAPER_NOISE_STD = 0.01

#: Stepsizes (and R, S) of the paper's code, or tuned here on its grid where the paper has none.
PAPER_TUNED = {
    "ringmaster": dict(gamma=0.25, threshold=6),  # paper's code (legend says 0.2)
    "rennala": dict(gamma=1.0, batch=6),  # paper's code
    "delay-adaptive-asgd": dict(gamma=5.0**-5),  # paper's code: 0.00032, the lowest grid value
    "asgd": dict(gamma=5.0**-5),  # tuned by ringbench, see README
    "minibatch": dict(gamma=1.0),  # tuned by ringbench, see README
    "hero": dict(gamma=1.0),  # tuned by ringbench, see README
}
COMPARED = tuple(PAPER_TUNED)


def paper_problem(d=PAPER_D):
    """The Ringmaster paper's stochastic quadratic."""
    return Quadratic.worst_case(d, noise_std=PAPER_NOISE_STD)


def paper_timing(n=PAPER_N):
    """The Ringmaster paper's timing model: 1 + sqrt(i) + |N(0, i + 1)| per job."""
    return timing_models.profile("paper", n)


def paper_methods(names=COMPARED, *, eps=None):
    """The compared methods with the paper's tuned parameters, or in theory mode for ``eps``."""
    chosen = []
    for name in names:
        _validate.choice("method", name, tuple(m.METHODS))
        parameters = dict(eps=eps) if eps is not None else PAPER_TUNED.get(name)
        if parameters is None:
            raise ValueError(f"method {name!r} has no tuned parameters; use theory mode (eps) or one of "
                             + ", ".join(PAPER_TUNED))
        chosen.append(m.get(name, **parameters))
    return chosen


def compare(methods, problem, timing, *, t_max, seed=0, progress=False):
    """Run each method on the same problem, hardware and seed; stop early if one is interrupted.

    Returns
    -------
    list of ringbench.Result
    """
    results = []
    for method in methods:
        results.append(simulate(problem, method, timing, t_max=t_max, seed=seed, progress=progress))
        if results[-1].status == "interrupted":
            break
    return results


def summary(results, target):
    """One row per result: parameters, final ||grad f||^2, time to ``target``, the theory's predicted time
    (None without one; see :func:`ringbench.theory.prediction`), gradient counts, status."""
    rows = []
    for result in results:
        resolved = result.config["resolved"]
        prediction = result.config.get("prediction")  # absent from results saved before predictions existed
        parameters = ", ".join(f"{key}={_short(value)}" for key, value in resolved.items() if key != "workers")
        rows.append({
            "method": result.method, "parameters": parameters,
            "final_grad_norm2": float(result.grad_norm2[-1]) if result.grad_norm2.size else math.nan,
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
    header = ("method", "parameters", "final ||grad f||^2", f"time to {target:g} (s)", "predicted (s)", "computed",
              "applied", "wasted", "status")
    lines = [header]
    for row in rows:
        reached = row["time_to_target"]
        predicted = "-" if row["predicted"] is None else f"{row['predicted']:.4g}"
        lines.append((row["method"], row["parameters"], f"{row['final_grad_norm2']:.3e}",
                      "not reached" if reached is None else f"{reached:.1f}", predicted, str(row["computed"]),
                      str(row["applied"]), str(row["wasted"]), row["status"]))
    text = text_table(lines)
    targets = sorted({row["predicted_eps"] for row in rows if row["predicted"] is not None})
    if targets:
        text.append("predicted: the theory's time to E||grad f||^2 <= " + ", ".join(f"{eps:g}" for eps in targets)
                    + " (the papers' complexities with constant 1; see ringbench theory)")
    return "\n".join(text)


def text_table(lines):
    """Left-aligned columns with a rule under the first line (the header); returns the list of lines."""
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]
    text.insert(1, "  ".join("-" * width for width in widths))
    return text


def _short(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
