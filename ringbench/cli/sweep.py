"""``ringbench sweep``: run a TOML grid of runs (or tune and report), resumably, on any executor."""

from pathlib import Path

from .. import _validate, sweep
from ..sweep import report, tuning
from .common import INTERRUPTED
from .parser import path


def register(commands):
    parser = commands.add_parser(
        "sweep", help="run a TOML grid of methods, parameters, settings and seeds; with [tuning], tune and report",
        description="Run every run of CONFIG that is not finished in --out yet: one result file pair per run, "
                    "a summary table (CSV, and Parquet with pyarrow). Interrupt and rerun to resume.")
    parser.add_argument("config", type=path, help="the sweep's TOML file (see examples/sweep-quadratic.toml)")
    parser.add_argument("--out", type=path, help="output directory (default: results/<config file name>)")
    parser.add_argument("--executor", choices=sweep.EXECUTORS,
                        help="local processes (the default), threads of one process, or dask.distributed")
    parser.add_argument("--workers", type=int, help="processes or threads (default: the available cores)")
    parser.add_argument("--address", metavar="tcp://HOST:PORT",
                        help="attach to a running dask scheduler (implies --executor dask)")
    parser.add_argument("--dry-run", action="store_true", help="validate and count the runs, run nothing")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--rebuild-summary", action="store_true",
                        help="build the summary from every result file, not from the index of finished runs")
    parser.set_defaults(handler=handle, path_option="path")  # a problem's data path is its table's key


def handle(args):
    config = sweep.load(args.config)
    out = args.out or Path("results") / args.config.stem
    executor = args.executor or ("local" if args.address is None else "dask")  # --address "" is a bad address
    if args.workers is not None:
        _validate.integer("--workers", args.workers, minimum=1)
    # Nothing is created before the configuration is checked (sweep.run then checks --out is writable).
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} must be a directory, but a file of that name is in the way")
    if args.dry_run:
        config.check()
        specs, finished = sweep.plan(config, out)
        stage = "tuning runs (reporting runs follow from them)" if config.tuning else "runs"
        print(f"{config.name}: {len(specs)} {stage}, {finished} finished in {out}, {len(specs) - finished} to run")
        return 0
    try:
        outcome = sweep.run(config, out, executor=executor, workers=args.workers, address=args.address,
                            progress=not args.quiet, rebuild_summary=args.rebuild_summary)
    except KeyboardInterrupt:
        print(f"interrupted; finished runs are saved in {out / 'runs'}: rerun the same command to resume")
        return INTERRUPTED
    statuses = {}
    for row in outcome.rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    print(f"{config.name}: {len(outcome.rows)} runs ({outcome.ran} run now, {outcome.skipped} finished before); "
          + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())))
    for line in report.divergences(outcome.statistics):
        print("  " + line)
    if outcome.choices is not None:
        print(tuning.format_choices(outcome.choices, config.tuning.metric))
    print(("reporting seeds" if outcome.choices is not None else "seeds") + ": median [interquartile range]")
    print(report.format_table(outcome.statistics))
    written = [outcome.files["summary_csv"], outcome.files["summary_parquet"], outcome.files["bands_csv"],
               outcome.files.get("tuning_csv"), outcome.files.get("tuned_json"), *outcome.files["figures"]]
    print("wrote " + ", ".join(str(path) for path in written if path is not None))
    return 0
