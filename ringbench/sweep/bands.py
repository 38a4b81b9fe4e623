"""Medians and interquartile bands over seeds, and their plot (as in the papers' figures).

Runs of one setting share a checkpoint grid in simulated time; a run that diverged
stops early, and from then on counts as +inf: it pulls the median and the upper
quartile up rather than vanishing from them.
"""

import numpy as np

QUANTILES = (0.25, 0.5, 0.75)
_LABELS = {"f_gap": r"$f(x) - f^*$", "f": r"$f(x)$", "grad_norm2": r"$\|\nabla f(x)\|^2$"}


def quartiles(results, metric):
    """Lower quartile, median and upper quartile of ``metric`` over ``results`` at each checkpoint.

    Parameters
    ----------
    results : sequence of ringbench.Result
        Runs on one checkpoint grid (each time array a prefix of the longest).
    metric : {'f_gap', 'grad_norm2'}

    Returns
    -------
    time : ndarray, shape (T,)
    bands : ndarray, shape (3, T)
        Rows for :data:`QUANTILES`, linear interpolation between order statistics; inf
        where a quartile falls on a diverged run.
    """
    time = max((result.time for result in results), key=len)
    values = np.full((len(results), time.size), np.inf)
    for row, result in enumerate(results):
        if not np.array_equal(result.time, time[:result.time.size]):
            raise ValueError("the runs do not share a checkpoint grid; give them the same t_max and checkpoints")
        values[row, :result.time.size] = getattr(result, metric)
    return time, quantiles(values)


def quantiles(values):
    """:data:`QUANTILES` of ``values`` over its first axis (seeds), +inf (diverged) counting as largest.

    Linear interpolation between order statistics, except that a quantile between a
    finite value and +inf is +inf rather than nan.

    Parameters
    ----------
    values : array_like, shape (S, ...)

    Returns
    -------
    ndarray, shape (3, ...)
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64), axis=0)
    seeds = ordered.shape[0]
    bands = np.empty((len(QUANTILES), *ordered.shape[1:]))
    for row, quantile in enumerate(QUANTILES):
        position = (seeds - 1) * quantile
        below = int(np.floor(position))
        fraction = position - below
        low, high = ordered[below], ordered[min(below + 1, seeds - 1)]
        with np.errstate(invalid="ignore"):  # inf - inf where both neighbours diverged; masked below
            between = low + (high - low) * fraction
        bands[row] = low if fraction == 0 else np.where(np.isinf(high), np.inf, between)
    return bands


def figure(groups, *, title=None, metrics=("grad_norm2", "f_gap")):
    """Median lines with interquartile bands, one panel per metric, one colour per method.

    Parameters
    ----------
    groups : dict
        ``{label: list of ringbench.Result}``: the reporting runs of each method.
    title : str, optional
    metrics : tuple of str
        Panels left to right (``grad_norm2``, ``f_gap``, ``f``); ||grad f||^2 first, as in ``ringbench compare``'s plot.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure  # here: sweep workers import this module and never plot

    plot = Figure(figsize=(6.0 * len(metrics), 4.5), layout="constrained")
    panels = plot.subplots(1, len(metrics), squeeze=False)[0]
    for axes, metric in zip(panels, metrics):
        for label, results in groups.items():
            time, (lower, median, upper) = quartiles(results, metric)
            line, = axes.plot(time, _visible(median), label=f"{label}: median and IQR of {len(results)} seeds")
            axes.fill_between(time, _visible(lower), _visible(upper), color=line.get_color(), alpha=0.25,
                              linewidth=0)
        axes.set_yscale("log")
        axes.set_xlabel("simulated time (s)")
        axes.set_ylabel(_LABELS[metric])
        axes.grid(True, which="major", alpha=0.3)
    panels[0].legend()
    if title:
        plot.suptitle(title)
    return plot


def _visible(values):
    """Values a log axis can draw; the rest (diverged, zero) become gaps."""
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)
