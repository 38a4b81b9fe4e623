"""``ringbench plot RESULT...``: the analysis plots of saved results, as PNG files."""

from pathlib import Path

from .. import _validate, plotting
from ..results import load, paths
from .common import comma_list
from .parser import path

#: The plots, by name: what each shows and whether it needs a traced run.
PLOTS = {
    "convergence": "||grad f||^2 against simulated time",
    "gradients": "||grad f||^2 against stochastic gradients computed (traced runs)",
    "delays": "delay histogram per method, used against discarded or cancelled (traced runs)",
    "workers": "jobs per worker, used against discarded or cancelled (one file per traced run)",
    "timeline": f"Gantt chart of every job (one file per traced run with at most {plotting.TIMELINE_WORKERS} workers)",
}

_UNTRACED = "not traced (ringbench run --trace, or simulate(..., trace=True))"


def register(commands):
    plot = commands.add_parser("plot")  # its one-line help: cli.COMMANDS
    plot.add_argument("results", nargs="+", type=path, metavar="RESULT",
                      help="results written by run/compare/sweep (NAME, NAME.json or NAME.npz), or a "
                           "directory of them (compare --out DIR, a sweep's DIR/runs)")
    plot.add_argument("--out", type=path, default=Path("."), help="directory for the PNG files (default: .)")
    plot.add_argument("--plots", default=",".join(PLOTS),
                      help="comma-separated, from: " + "; ".join(f"{name} ({what})" for name, what in PLOTS.items()))
    plot.set_defaults(handler=handle)


def _chosen(text):
    chosen = comma_list("--plots", text)
    unknown = [name for name in chosen if name not in PLOTS]
    if unknown:
        raise ValueError(f"--plots {text!r}: choose from {', '.join(PLOTS)}")
    return chosen


def _results_in(path):
    """``[path]``, or, for a directory, every result saved in it (NAME.npz beside NAME.json) by name."""
    if not path.is_dir():
        return [path]
    stems = sorted(arrays.with_suffix("") for arrays in path.glob("*.npz") if arrays.with_suffix(".json").is_file())
    if not stems and (path / "runs").is_dir() and (path / "config.toml").is_file():
        raise ValueError(f"RESULT {path}: a sweep's output directory; its runs are in {path / 'runs'} (the sweep's "
                         f"figures of medians and bands over seeds are {path}/bands-*.png)")
    if not stems:
        raise ValueError(f"RESULT {path}: a directory without saved results (NAME.npz beside NAME.json)")
    return stems


def _load(path):
    stem, arrays_path, meta_path = paths(path)
    if not meta_path.is_file() or not arrays_path.is_file():
        raise ValueError(f"RESULT {path}: no saved result there (need {meta_path} and {arrays_path})")
    return stem, load(stem)


def _distinct(loaded, chosen):
    """Raise if a result is given twice, or two traced results would write their per-run plots to one file."""
    seen = set()
    for stem, _ in loaded:
        if stem.resolve() in seen:
            raise ValueError(f"RESULT {stem} is given more than once; each is plotted once")
        seen.add(stem.resolve())
    per_run = {"workers", "timeline"} & set(chosen)
    names = [stem.name for stem, result in loaded if result.events is not None and per_run]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"traced RESULTs named {', '.join(repeated)} in different directories would overwrite each "
                         "other's per-run plots (NAME.workers.png, NAME.timeline.png); plot them separately")


def handle(args):
    out = _validate.writable_directory("--out", args.out)
    chosen = _chosen(args.plots)
    loaded = [_load(result) for path in args.results for result in _results_in(path)]
    _distinct(loaded, chosen)
    traced = [(stem, result) for stem, result in loaded if result.events is not None]
    results = [result for _, result in loaded]
    figures = {}
    if "convergence" in chosen:
        figures["convergence.png"] = plotting.convergence(results)
    if traced and "gradients" in chosen:
        figures["gradients.png"] = plotting.convergence_by_gradients([result for _, result in traced])
    if traced and "delays" in chosen:
        figures["delays.png"] = plotting.delay_histogram([result for _, result in traced])
    for stem, result in traced:
        if "workers" in chosen:
            figures[f"{stem.name}.workers.png"] = plotting.gradients_per_worker(result)
        if "timeline" in chosen and result.config["timing"]["n"] <= plotting.TIMELINE_WORKERS:
            figures[f"{stem.name}.timeline.png"] = plotting.worker_timeline(result)
    untraced = [stem.name for stem, result in loaded if result.events is None]
    if not figures:  # a command that writes nothing has failed, whatever it was asked
        why = [f"{_UNTRACED}: {', '.join(untraced)}"] if untraced else []
        if traced and "timeline" in chosen:
            why.append(f"timeline draws runs of at most {plotting.TIMELINE_WORKERS} workers")
        raise ValueError(f"--plots {args.plots}: nothing to plot; {'; '.join(why)}")
    if untraced and set(chosen) - {"convergence"}:
        print(f"{_UNTRACED} for the other plots: {', '.join(untraced)}")
    written = [plotting.save(figure, out / name) for name, figure in figures.items()]
    print("wrote " + ", ".join(str(path) for path in written))
    return 0
