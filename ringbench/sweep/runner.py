"""Run a sweep end to end: validate, skip what is finished, execute the rest, write the tables.

Output directory::

    config.toml                 the configuration of the last sweep run here
    runs/<run_id>.npz|.json     one file pair per run (see :mod:`.store`)
    index.jsonl                 each finished run's summary columns, appended as it finishes
    summary.csv, .parquet       tidy table of every run of the configuration (see :mod:`.table`)
    bands.csv                   per setting and parameter point: median and IQR over seeds, divergences
    bands-<k>.png               medians and interquartile bands over seeds of each point of setting k
    tuning.csv                  tuning sweeps: every candidate's scores, the chosen ones marked
    tuned.json                  tuning sweeps: the chosen parameters of each method and setting

The bands are over the replicates of a plain sweep, over the reporting seeds of a
tuning sweep (see :mod:`.report`).
"""

import contextlib
import dataclasses
import functools
import threading
from pathlib import Path

from tqdm.auto import tqdm

from .. import _validate
from ..files import write_atomically
from . import report, table, tuning
from .config import SweepConfig, load
from .executors import open_executor
from .store import Store
from .task import execute


@dataclasses.dataclass
class Outcome:
    """What :func:`run` did and wrote.

    Attributes
    ----------
    out : Path
        The output directory.
    specs : list of RunSpec
        Every run of the sweep, in grid order (tuning sweeps: tuning runs, then reporting runs).
    rows : list of dict
        The summary table.
    ran, skipped : int
        Runs executed now, and runs found finished from before.
    files : dict
        Paths written: ``summary_csv``, ``summary_parquet`` (None without pyarrow),
        ``bands_csv``, ``figures`` (a list), and for tuning ``tuning_csv`` and ``tuned_json``.
    statistics : list of dict
        Per setting and parameter point: quartiles over seeds and divergences (:func:`.report.statistics`).
    choices : list of Choice or None
        Tuning sweeps: the chosen parameters.
    compiled : dict
        Whether numba compiled: ``"driver"`` while this process warmed up (None when
        nothing ran), ``"workers"`` ``{"host:pid": bool}`` per process that ran a run
        now, in its warm-up or its runs (see :func:`.task.execute`).
    """

    out: Path
    specs: list
    rows: list
    ran: int
    skipped: int
    files: dict
    statistics: list
    choices: list = None
    compiled: dict = None


def plan(config, out):
    """``(specs, finished)``: the runs of a plain sweep and how many already finished in ``out``.

    For a tuning sweep only the tuning stage is known before it runs.
    """
    config = _configuration(config)
    specs = config.specs("tuning" if config.tuning else "replicate")
    finished = Store(out).finished()
    return specs, len({spec.run_id for spec in specs} & finished)


def run(config, out, *, executor="local", workers=None, address=None, progress=False, rebuild_summary=False):
    """Run every unfinished run of ``config``, write results and tables into ``out``.

    Parameters
    ----------
    config : SweepConfig or path
        A configuration, or the path of its TOML file.
    out : path
        Output directory; runs finished there before are skipped.
    executor : {'local', 'threads', 'dask'}
    workers : int, optional
        Processes or threads (default: the available cores).
    address : str, optional
        ``tcp://HOST:PORT`` of a running dask scheduler.
    progress : bool
        Show a progress bar over runs.
    rebuild_summary : bool
        Build the summary from every result file instead of the index of finished runs.

    Returns
    -------
    Outcome
    """
    config = _configuration(config)
    open_executor(executor, workers=workers, address=address)  # validates the options, before the configuration
    config.check()
    out = _validate.writable_directory("out", out)
    summary = _Summary(config.target)
    with Store(out) as store:
        write_atomically(out / "config.toml", lambda path: path.write_text(config.source))
        files = {}
        with contextlib.ExitStack() as stack:  # on an error, the executor stops before it propagates
            pool = _Lazy(lambda prepare: stack.enter_context(
                open_executor(executor, workers=workers, address=address, prepare=prepare)))
            if config.tuning is None:
                specs = reported = config.specs()
                ran, skipped = _execute(specs, store, pool, progress, "runs", summary)
                choices = None
            else:
                specs, reported, ran, skipped, choices = _tune(config, store, pool, progress, files, summary)
            stopping = stack.pop_all()
        # Every run is done: the executor stops (its processes exit: about a second, several with
        # dask) while this thread writes the tables and figures.
        with _in_background(stopping.close):
            rows, statistics = _write_tables(specs, reported, store, summary, files, rebuild_summary)
            files["figures"] = report.write_figures(reported, store.load, out)
    return Outcome(out=out, specs=specs, rows=rows, ran=ran, skipped=skipped, files=files, statistics=statistics,
                   choices=choices, compiled=summary.compiled(pool))


@contextlib.contextmanager
def _in_background(function):
    """Run ``function`` in a thread for the duration of the block; then wait for it and raise what it raised."""
    raised = []

    def target():
        try:
            function()
        except BaseException as error:  # handed to the caller's thread below
            raised.append(error)

    thread = threading.Thread(target=target, name="ringbench-executor-stop")
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if raised:
        raise raised[0]


class _Summary:
    """The summary columns of runs: computed once as each run finishes, read back from the store's index."""

    def __init__(self, target):
        self.key = {"target": target}  # what the columns depend on besides the run
        self.compute = functools.partial(table.outcome, target=target)
        self.workers_compiled = {}

    def save(self, store, run_id, result):
        where = result.provenance["sweep"]
        worker = f"{where['host']}:{where['pid']}"
        self.workers_compiled[worker] = self.workers_compiled.get(worker, False) or where["compiled"]
        store.save(run_id, result, self.compute(result), key=self.key)

    def compiled(self, pool):
        """:attr:`Outcome.compiled` of the runs saved here by ``pool``'s executor."""
        driver = None if pool.started is None else pool.started.driver_compiled
        return {"driver": driver, "workers": self.workers_compiled}

    def columns(self, specs, store, *, rebuild=False):
        """``{run_id: columns}`` of the finished runs ``specs``, from the store's index where it has them."""
        return store.columns(dict.fromkeys(spec.run_id for spec in specs), self.compute, key=self.key,
                             rebuild=rebuild)

    def rows(self, specs, store, *, rebuild=False):
        columns = self.columns(specs, store, rebuild=rebuild)
        runs = store.runs.name
        return [table.row(spec, columns[spec.run_id], file=f"{runs}/{spec.run_id}") for spec in specs]


def summarize(config, out, *, rebuild=False):
    """Write the summary and ``bands.csv`` of a finished plain sweep in ``out``, without running or plotting.

    Reads the index of finished runs (a result file only for a run the index lacks), or
    with ``rebuild`` every result file.

    Returns
    -------
    rows, statistics : list of dict
        The summary table and the per-point quartiles (see :func:`.report.statistics`).
    """
    config = _configuration(config)
    if config.tuning is not None:
        raise ValueError("summarize takes a plain sweep; a tuning sweep's reporting runs follow from its tuning: run "
                         "it (finished runs are skipped)")
    specs = config.specs()
    missing = {spec.run_id for spec in specs} - Store(out).finished()
    if missing:
        raise ValueError(f"{len(missing)} runs of the configuration are not finished in {str(out)!r}; run the sweep")
    with Store(out) as store:
        return _write_tables(specs, specs, store, _Summary(config.target), {}, rebuild)


def _write_tables(specs, reported, store, summary, files, rebuild):
    """Write summary.csv/.parquet of ``specs`` and bands.csv of ``reported``; return the rows and statistics."""
    rows = summary.rows(specs, store, rebuild=rebuild)
    files["summary_csv"] = table.write_csv(rows, store.root / "summary.csv")
    files["summary_parquet"] = table.write_parquet(rows, store.root / "summary.parquet")
    statistics = report.statistics(reported, {row["run_id"]: row for row in rows})
    files["bands_csv"] = table.write_csv(statistics, store.root / "bands.csv")
    return rows, statistics


def _configuration(config):
    if isinstance(config, SweepConfig):
        return config
    return load(config)


class _Lazy:
    """Start the executor on first use: a sweep with nothing left to run starts no processes.

    ``start(prepare)`` opens it, its workers warmed up on ``prepare``, the runs of the
    first stage that runs anything (a tuning sweep's reporting runs are of the same
    kinds as its tuning runs).
    """

    def __init__(self, start):
        self._start = start
        self._executor = None

    def __call__(self, prepare):
        if self._executor is None:
            self._executor = self._start(prepare)
        return self._executor

    @property
    def started(self):
        """The executor, or None before its first use."""
        return self._executor


def _execute(specs, store, pool, progress, stage, summary):
    """Run the unfinished ones of ``specs``; return (ran, skipped)."""
    unique = {spec.run_id: spec for spec in specs}  # two method tables can name the same run
    finished = store.finished()
    pending = [spec for run_id, spec in unique.items() if run_id not in finished]
    with tqdm(total=len(unique), initial=len(unique) - len(pending), desc=stage, unit="run", disable=not progress,
              dynamic_ncols=True) as bar:
        if pending:
            executor = pool(pending)
            for result in executor.map_unordered(execute, pending):
                if result.status == "interrupted":  # Ctrl-C reached the worker: incomplete, never saved
                    raise KeyboardInterrupt
                result.provenance["sweep"]["executor"] = executor.name
                summary.save(store, result.provenance["sweep"]["run_id"], result)
                bar.update()
    return len(pending), len(unique) - len(pending)


def _tune(config, store, pool, progress, files, summary):
    metric = config.tuning.metric
    candidates_specs = config.specs("tuning")
    ran, skipped = _execute(candidates_specs, store, pool, progress, "tuning", summary)
    columns = summary.columns(candidates_specs, store)
    scores = {run_id: tuning.score(columns[run_id], metric) for run_id in columns}
    choices, candidates = tuning.select(config, scores)
    reporting = config.specs("reporting", tuning.chosen_methods(choices))
    reported, reused = _execute(reporting, store, pool, progress, "reporting", summary)
    files["tuning_csv"] = table.write_csv(candidates, store.root / "tuning.csv")
    files["tuned_json"] = write_atomically(store.root / "tuned.json",
                                           lambda path: path.write_text(tuning.to_json(choices, metric)))
    return candidates_specs + reporting, reporting, ran + reported, skipped + reused, choices
