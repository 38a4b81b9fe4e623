"""Plots of results; every function returns a matplotlib Figure and never touches global state."""

from matplotlib.figure import Figure


def convergence(results, *, metric="grad_norm2", title=None):
    """Plot ``metric`` of each result against simulated time on a log y-axis.

    Parameters
    ----------
    results : sequence of ringbench.Result
    metric : {'grad_norm2', 'f_gap'}
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    labels = {"grad_norm2": r"$\|\nabla f(x)\|^2$", "f_gap": r"$f(x) - f^*$"}
    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    axes = figure.add_subplot()
    for result in results:
        values = getattr(result, metric)
        positive = values > 0  # a log axis cannot show exact zeros
        label = result.method if result.status == "completed" else f"{result.method} ({result.status})"
        axes.plot(result.time[positive], values[positive], label=label)
    axes.set_yscale("log")
    axes.set_xlabel("simulated time (s)")
    axes.set_ylabel(labels[metric])
    axes.grid(True, which="major", alpha=0.3)
    axes.legend()
    if title:
        axes.set_title(title)
    return figure


def save(figure, path):
    """Write ``figure`` to ``path`` (format from the suffix) with the Agg canvas, headless-safe."""
    figure.savefig(path, dpi=120)
    return path


__all__ = ["convergence", "save"]
