"""Plots of results; every function returns a matplotlib Figure and never touches global state."""

from matplotlib.figure import Figure

_LABELS = {"grad_norm2": r"$\|\nabla f(x)\|^2$", "f_gap": r"$f(x) - f^*$"}


def convergence(results, *, metric="grad_norm2", title=None):
    """Plot ``metric`` of each result against simulated time on a log y-axis.

    Parameters
    ----------
    results : sequence of ringbench.Result
    metric : {'grad_norm2', 'f_gap'} or sequence of them
        One panel per metric, side by side.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    metrics = (metric,) if isinstance(metric, str) else tuple(metric)
    for name in metrics:
        if name not in _LABELS:
            raise ValueError(f"unknown metric {name!r}; choose from {', '.join(map(repr, _LABELS))}")
    figure = Figure(figsize=(7.0 * len(metrics), 4.5), layout="constrained")
    for panel, name in enumerate(metrics):
        axes = figure.add_subplot(1, len(metrics), panel + 1)
        for result in results:
            values = getattr(result, name)
            positive = values > 0  # a log axis cannot show exact zeros
            label = result.method if result.status == "completed" else f"{result.method} ({result.status})"
            axes.plot(result.time[positive], values[positive], label=label)
        axes.set_yscale("log")
        axes.set_xlabel("simulated time (s)")
        axes.set_ylabel(_LABELS[name])
        axes.grid(True, which="major", alpha=0.3)
        axes.legend()
    if title:
        figure.suptitle(title)
    return figure


def save(figure, path):
    """Write ``figure`` to ``path`` (format from the suffix) with the Agg canvas, headless-safe."""
    figure.savefig(path, dpi=120)
    return path


__all__ = ["convergence", "save"]
