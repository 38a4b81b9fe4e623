"""Scaling study: the simulated time to eps of each method as workers are added, next to the theory.

For each n on a grid, every method runs in theory mode (``eps`` sets gamma, R, S)
on the first n workers of one timing profile until ||grad f(x^k)||^2 <= eps at a
checkpoint; the measured time is set beside :func:`ringbench.theory.homogeneous_times`
(constant 1) and :func:`ringbench.theory.lower_bound`. Theory predicts that once
n passes m*, adding slower workers leaves the optimal methods (Ringmaster, Rennala,
Naive Optimal ASGD) flat while vanilla ASGD slows down; and the measured-to-predicted
ratio of a method is its empirical constant, which should not drift with n.
"""

import math
import textwrap

import numpy as np
from tqdm.auto import tqdm

from . import _validate, methods, theory
from . import timing as timing_models
from .formatting import text_table
from .problems import Quadratic
from .simulation import Recording, simulate

#: Half-decade grid of worker counts.
DEFAULT_NS = (10, 30, 100, 300, 1000, 3000, 10000, 30000, 100000)
DEFAULT_EPS = 0.01
DEFAULT_SIGMA2 = 0.16  # with DEFAULT_EPS, R = S = 16 and m* = 22 under the sqrt profile
DEFAULT_D = 8
_CHECKPOINTS = 3000  # log-spaced: the time to eps is resolved to 0.6 %
_EARLIEST = 1e-6  # first checkpoint, as a fraction of the predicted time


def problem(d=DEFAULT_D, sigma2=DEFAULT_SIGMA2):
    """The study's problem: the worst-case quadratic chain with isotropic noise of variance sigma^2.

    Isotropic rather than the papers' scalar noise: the scalar noise lies along
    (1, ..., 1), which the chain's gradient barely feels, so sigma^2 would not show
    in the time to eps.
    """
    d = _validate.integer("d", d, minimum=1)
    sigma2 = _validate.real("sigma2", sigma2, positive=True)
    return Quadratic.worst_case(d, noise_std=math.sqrt(sigma2 / d), noise="isotropic")


def study(problem, profile="sqrt", ns=DEFAULT_NS, *, eps=DEFAULT_EPS, names=theory.HOMOGENEOUS, seeds=1,
          budget=10.0, progress=False):
    """Run every method in theory mode to ``eps`` for each n and set the times beside the theory.

    Parameters
    ----------
    problem : ringbench.problems.Quadratic or Logistic
    profile : str
        A timing profile (:data:`ringbench.timing.PROFILES`); a random one enters the
        theory through its expected durations.
    ns : sequence of int
        Worker counts, each >= 1.
    eps : float
        Target for ||grad f||^2, and the theory-mode eps of every method.
    names : sequence of str
        Methods, from :data:`ringbench.theory.HOMOGENEOUS`.
    seeds : int
        Seeds 0..seeds-1 per point; the measured time is their median.
    budget : float
        Each run stops at ``budget`` times its predicted time if eps is not reached.
    progress : bool

    Returns
    -------
    list of dict
        One row per (n, method): ``n``, ``method``, ``m_star``, ``predicted``,
        ``lower_bound``, ``measured`` (None unless every seed reached eps) and
        ``ratio`` = measured / predicted.
    """
    _validate.choice("timing profile", profile, timing_models.PROFILES)
    ns = [_validate.integer("n", n, minimum=1) for n in ns]
    if not ns:
        raise ValueError("ns must list at least one worker count")
    eps = _validate.real("eps", eps, positive=True)
    for name in names:
        _validate.choice("method", name, theory.HOMOGENEOUS)
    seeds = _validate.integer("seeds", seeds, minimum=1)
    budget = _validate.real("budget", budget, minimum=1.0)
    Delta = problem.initial_gap()
    rows = []
    bar = tqdm(total=len(ns) * len(names) * seeds, unit="run", desc="scaling", disable=not progress, leave=False)
    models = [timing_models.profile(profile, n) for n in ns]
    predictions = [theory.homogeneous_times(model.expected_durations(), problem.L, Delta, problem.sigma2, eps)
                   for model in models]
    for n, model, predicted in zip(ns, models, predictions):  # every horizon checked before the first run
        for name in names:
            arrivals = _validate.expected_arrivals(budget * predicted[name], model.expected_durations())
            if arrivals > _validate.MAX_ARRIVALS:
                raise ValueError(f"budget = {budget:g} lets {name} at n = {n} run {budget * predicted[name]:.3g} "
                                 f"simulated seconds, about {arrivals:.3g} job arrivals, more than the "
                                 f"{_validate.MAX_ARRIVALS:.0e} a run can finish; allowed is budget <= "
                                 f"{budget * (_validate.MAX_ARRIVALS / arrivals):.3g}")
    with bar:
        for n, model, predicted in zip(ns, models, predictions):
            tau = model.expected_durations()
            bound = theory.lower_bound(tau, problem.L, Delta, problem.sigma2, eps)
            m_star = theory.optimal_workers(tau, problem.sigma2, eps)
            for name in names:
                horizon = budget * predicted[name]
                record = Recording(times=np.geomspace(_EARLIEST * predicted[name], horizon, _CHECKPOINTS))
                times = []
                for seed in range(seeds):
                    result = simulate(problem, methods.get(name, eps=eps), model, t_max=horizon, target=eps,
                                      seed=seed, record=record)
                    if result.status == "interrupted":
                        raise KeyboardInterrupt
                    times.append(result.time_to(eps))
                    bar.update()
                measured = None if None in times else float(np.median(times))
                rows.append({"n": n, "method": name, "m_star": m_star, "predicted": predicted[name],
                             "lower_bound": bound, "measured": measured,
                             "ratio": None if measured is None else measured / predicted[name]})
    return rows


def bands(rows):
    """Per method, the smallest and largest measured-to-predicted ratio over the grid.

    Returns
    -------
    dict
        Method name to ``(low, high)``; methods that never reached eps are left out.
    """
    ratios = {}
    for row in rows:
        if row["ratio"] is not None:
            ratios.setdefault(row["method"], []).append(row["ratio"])
    return {name: (min(values), max(values)) for name, values in ratios.items()}


def format_table(rows):
    """A plain-text table of :func:`study` rows and, under it, the band of each method."""
    header = ("n", "m*", "method", "predicted (s)", "measured (s)", "measured/predicted", "lower bound (s)")
    lines = [header]
    for row in rows:
        measured = "not reached" if row["measured"] is None else f"{row['measured']:.4g}"
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.4f}"
        lines.append((str(row["n"]), str(row["m_star"]), row["method"], f"{row['predicted']:.4g}", measured, ratio,
                      f"{row['lower_bound']:.4g}"))
    text = text_table(lines)
    text.append("")
    text.append("measured/predicted over the grid (low .. high, high/low):")
    for name, (low, high) in bands(rows).items():
        text.append(f"  {name:20s} {low:.4f} .. {high:.4f}  ({high / low:.2f}x)")
    return "\n".join(text)


def plot(rows, *, title=None):
    """Log-log plot of measured (markers) and predicted (dashed) time against n, per method.

    The lower bound is the thick black line; a second panel shows measured/predicted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure  # on first use: the study itself never plots

    figure = Figure(figsize=(11.0, 5.0), layout="constrained")
    times, ratios = figure.subplots(1, 2)
    # The lower bound first, thin and behind: predictions that coincide with it stay visible on top.
    bound = {row["n"]: row["lower_bound"] for row in rows}
    times.plot(list(bound), list(bound.values()), "-", color="0.6", linewidth=6, alpha=0.5, zorder=1,
               label="lower bound")
    names = list(dict.fromkeys(row["method"] for row in rows))
    for index, name in enumerate(names):
        color = f"C{index % 10}"
        mine = [row for row in rows if row["method"] == name]
        reached = [row for row in mine if row["measured"] is not None]
        # Distinct dash patterns: several methods' predictions can be the same line.
        times.plot([row["n"] for row in mine], [row["predicted"] for row in mine], linestyle=(index, (4, 3)),
                   color=color, linewidth=1.5, zorder=3)
        times.plot([row["n"] for row in reached], [row["measured"] for row in reached], "o-", color=color,
                   label=name, zorder=4)
        ratios.plot([row["n"] for row in reached], [row["ratio"] for row in reached], "o-", color=color, label=name)
    for axes in (times, ratios):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("workers n")
        axes.grid(True, which="major", alpha=0.3)
    times.set_ylabel(r"time to $\|\nabla f\|^2 \leq \varepsilon$ (s): measured (o), predicted (--)")
    ratios.set_ylabel("measured / predicted")
    figure.legend(*times.get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize="small")
    if title:
        figure.suptitle(textwrap.fill(title, 110), fontsize="medium")
    return figure


__all__ = ["DEFAULT_NS", "bands", "format_table", "plot", "problem", "study"]
