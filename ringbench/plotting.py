"""Plots of results; every function returns a matplotlib Figure and never touches global state.

matplotlib is imported on first use, so ``import ringbench`` does not pay for it.
The analysis plots (:func:`delay_histogram`, :func:`worker_timeline`,
:func:`gradients_per_worker`, :func:`convergence_by_gradients`) read the event table of
a traced run (``simulate(..., trace=True)``).
"""

import numpy as np

from .engine.record import APPLIED, BUFFERED, CANCELLED, DISCARDED, LOST, STORED
from .formatting import short

_LABELS = {"grad_norm2": r"$\|\nabla f(x)\|^2$", "f_gap": r"$f(x) - f^*$", "f": r"$f(x)$"}
_USED = (APPLIED, STORED, BUFFERED)
_WASTED = (DISCARDED, CANCELLED, LOST)  # lost: the worker went offline first (availability)
_COLOURS = {"used": "C0", "wasted": "C3"}
#: Most workers a timeline draws one row each for.
TIMELINE_WORKERS = 64


def _figure(**options):
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **options)


def label(result):
    """A result's legend entry: method, its resolved parameters, and its status unless a budget ended it."""
    parameters = ", ".join(f"{key}={short(value)}" for key, value in result.config.get("resolved", {}).items()
                           if key != "workers")
    text = f"{result.method} ({parameters})" if parameters else result.method
    return text if result.status in ("time_budget", "update_budget") else f"{text} [{result.status}]"


def _legend(figure, axes):
    """One legend below the panels, where it covers no curve."""
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncols=min(3, len(handles)), fontsize="small")


def _check_metrics(metric):
    metrics = (metric,) if isinstance(metric, str) else tuple(metric)
    for name in metrics:
        if name not in _LABELS:
            raise ValueError(f"unknown metric {name!r}; choose from {', '.join(map(repr, _LABELS))}")
    return metrics


def _workers(result):
    """n, the run's number of workers."""
    return int(result.config["timing"]["n"])


def _traced(results, what):
    for result in results:
        if result.events is None:
            raise ValueError(f"{what} needs traced results (simulate(..., trace=True)); {result.method}'s has none")


def _curves(results, metric, against, xlabel, title):
    metrics = _check_metrics(metric)
    figure = _figure(figsize=(7.0 * len(metrics), 5.0))
    for panel, name in enumerate(metrics):
        axes = figure.add_subplot(1, len(metrics), panel + 1)
        for result in results:
            values = getattr(result, name)
            if values is None:
                raise ValueError(f"{result.method}'s result has no {name} (its problem does not know f*)")
            positive = values > 0  # a log axis cannot show exact zeros
            axes.plot(against(result)[positive], values[positive], label=label(result))
        axes.set_yscale("log")
        axes.set_xlabel(xlabel)
        axes.set_ylabel(_LABELS[name])
        axes.grid(True, which="major", alpha=0.3)
    _legend(figure, axes)
    if title:
        figure.suptitle(title)
    return figure


def objective_metric(results):
    """``'f_gap'`` when every result's problem knows f*, else ``'f'`` (the objective itself, e.g. a network's loss)."""
    return "f_gap" if all(result.f_gap is not None for result in results) else "f"


def convergence(results, *, metric="grad_norm2", title=None):
    """Plot ``metric`` of each result against simulated time on a log y-axis.

    Parameters
    ----------
    results : sequence of ringbench.Result
    metric : {'grad_norm2', 'f_gap', 'f'} or sequence of them
        One panel per metric, side by side. ``'f_gap'`` needs problems that know f*
        (:func:`objective_metric` picks ``'f_gap'`` or ``'f'`` for a set of results).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    return _curves(results, metric, lambda result: result.time, "simulated time (s)", title)


def computed_at_checkpoints(result):
    """Gradients computed (evaluated) by each checkpoint's time, from a traced result's event table."""
    used = np.isin(result.events["action"], _USED)
    return np.searchsorted(result.events["time"][used], result.time, side="right")


def convergence_by_gradients(results, *, metric="grad_norm2", title=None):
    """Plot ``metric`` against the number of stochastic gradients computed so far (traced results).

    Parameters and return as for :func:`convergence`.
    """
    _traced(results, "convergence_by_gradients")
    return _curves(results, metric, computed_at_checkpoints, "stochastic gradients computed", title)


def delay_histogram(results, *, title=None):
    """Histogram of the delays k - s, per method: used gradients against discarded or cancelled jobs.

    A cancelled job's delay is the one it had when cancelled (R for Ringmaster with stops).

    Parameters
    ----------
    results : sequence of ringbench.Result
        Traced results, one panel each.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    _traced(results, "delay_histogram")
    figure = _figure(figsize=(4.5 * len(results), 4.0))
    for panel, result in enumerate(results):
        axes = figure.add_subplot(1, len(results), panel + 1)
        delay, action = result.events["delay"], result.events["action"]
        edges = np.arange(delay.max(initial=0) + 2) - 0.5
        for kind, codes in (("used", _USED), ("wasted", _WASTED)):
            chosen = delay[np.isin(action, codes)]
            axes.hist(chosen, bins=edges, alpha=0.6, color=_COLOURS[kind],
                      label=f"{'used' if kind == 'used' else 'discarded, cancelled or lost'} ({chosen.size})")
        axes.set_title(label(result), fontsize="small")
        axes.set_xlabel("delay k - s")
        axes.set_ylabel("jobs")
        axes.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    return figure


def gradients_per_worker(result, *, title=None):
    """Bar chart of each worker's finished jobs: gradients used against discarded or cancelled (traced result)."""
    _traced([result], "gradients_per_worker")
    n = _workers(result)
    figure = _figure(figsize=(8.0, 4.0))
    axes = figure.add_subplot()
    workers, action = result.events["worker"], result.events["action"]
    used = np.bincount(workers[np.isin(action, _USED)], minlength=n)
    wasted = np.bincount(workers[np.isin(action, _WASTED)], minlength=n)
    axes.bar(np.arange(n), used, color=_COLOURS["used"], label="used")
    axes.bar(np.arange(n), wasted, bottom=used, color=_COLOURS["wasted"], label="discarded, cancelled or lost")
    axes.set_xlabel("worker")
    axes.set_ylabel("jobs")
    axes.set_title(title or label(result), fontsize="small")
    axes.legend(fontsize="small")
    return figure


def worker_timeline(result, *, workers=None, t_max=None, title=None):
    """Gantt chart of every job of a few workers, coloured by what became of it (traced result).

    Parameters
    ----------
    result : ringbench.Result
    workers : sequence of int, optional
        Which workers to draw; default all of them, if there are at most
        :data:`TIMELINE_WORKERS`.
    t_max : float, optional
        Draw jobs that end by this time only (default all).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    _traced([result], "worker_timeline")
    events = result.events
    if workers is None:
        count = _workers(result)
        if count > TIMELINE_WORKERS:
            raise ValueError(f"workers: a timeline of all {count} workers is unreadable; pick at most "
                             f"{TIMELINE_WORKERS}, e.g. workers=range({TIMELINE_WORKERS})")
        workers = range(count)
    workers = [int(worker) for worker in workers]
    figure = _figure(figsize=(10.0, 1.0 + 0.3 * len(workers)))
    axes = figure.add_subplot()
    shown = np.isin(events["worker"], workers)
    if t_max is not None:
        shown &= events["time"] <= t_max
    row_of = {worker: row for row, worker in enumerate(workers)}
    for kind, codes in (("used", _USED), ("wasted", _WASTED)):
        chosen = shown & np.isin(events["action"], codes)
        rows = np.array([row_of[worker] for worker in events["worker"][chosen]], dtype=float)
        start = events["start_time"][chosen]
        axes.barh(rows, events["time"][chosen] - start, left=start, height=0.8, color=_COLOURS[kind],
                  edgecolor="white", linewidth=0.5, label="used" if kind == "used" else "discarded, cancelled or lost")
    axes.set_yticks(range(len(workers)), [str(worker) for worker in workers])
    axes.invert_yaxis()
    axes.set_xlabel("simulated time (s)")
    axes.set_ylabel("worker")
    axes.set_title(title or label(result), fontsize="small")
    axes.legend(fontsize="small", loc="upper right")
    return figure


def save(figure, path):
    """Write ``figure`` to ``path`` (format from the suffix) with the Agg canvas, headless-safe."""
    figure.savefig(path, dpi=120)
    return path


__all__ = ["TIMELINE_WORKERS", "computed_at_checkpoints", "convergence", "convergence_by_gradients",
           "delay_histogram", "gradients_per_worker", "label", "save", "worker_timeline"]
