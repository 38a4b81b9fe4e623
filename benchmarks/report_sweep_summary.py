"""Summary report: how long the summary of a sweep of 10^5 finished runs takes to build.

Run ``python benchmarks/report_sweep_summary.py [--runs N] [--rebuild] [--keep DIR]``. It
builds a synthetic output folder of N finished runs (default 10^5: 10 stepsizes of ASGD x
N/10 replicates on a tiny quadratic) without simulating them all: one real run is
simulated, and every run of the configuration gets a copy of its ``.npz`` (a hard link),
its own ``.json`` naming its run id, and its line in ``index.jsonl``, as ``ringbench
sweep`` would have left them. Then it times:

1. **From the index** (``summarize(...)``, what every sweep does at its end): the run list
   expanded from the configuration, the index read, summary.csv/.parquet and bands.csv
   written. The issue's target is at most 30 s for 10^5 runs.
2. With ``--rebuild``, **from result files** (``summarize(..., rebuild=True)``, what
   ``--rebuild-summary`` does): every result loaded (a few ms each: about 10 minutes for
   10^5), the index written afresh, the same tables written; they must be identical.

The band figures are not part of the summary: they load every reported run's curves
(see ``ringbench.sweep.report.write_figures``).
"""

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from time import perf_counter

from ringbench import sweep
from ringbench.sweep import table
from ringbench.sweep.store import INDEX
from ringbench.sweep.task import execute

LINKS = 10_000
CONFIG = """
name = "summary-benchmark"
n = 4
t_max = 10.0
checkpoints = 10
target = 0.01

[seeds]
root = 1
replicates = {replicates}

[[problems]]
name = "worst-case"
d = 4

[[timings]]
name = "paper"

[[methods]]
name = "asgd"
gamma = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]
"""


def build_folder(config, out):
    """A folder in which every run of ``config`` is finished: one real result, linked and relabelled."""
    specs = config.specs()
    runs = out / "runs"
    runs.mkdir(parents=True)
    template = execute(specs[0])
    template.save(runs / "template")
    meta = json.loads((runs / "template.json").read_text())
    columns = table.outcome(template, target=config.target)
    with open(out / INDEX, "w") as index:
        for number, spec in enumerate(specs):
            source = runs / f"template-{number // LINKS}.npz"  # file systems cap the links per file
            if number % LINKS == 0:
                shutil.copyfile(runs / "template.npz", source)
            os.link(source, runs / f"{spec.run_id}.npz")
            meta["provenance"]["sweep"]["run_id"] = spec.run_id
            (runs / f"{spec.run_id}.json").write_text(json.dumps(meta))
            index.write(json.dumps({"run_id": spec.run_id, "key": {"target": config.target}, "columns": columns})
                        + "\n")
    for template_file in runs.glob("template*"):
        template_file.unlink()
    return len(specs)


def timed(function):
    started = perf_counter()
    value = function()
    return value, perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="finished runs (a multiple of 10)")
    parser.add_argument("--rebuild", action="store_true", help="also time the rebuild from every result file")
    parser.add_argument("--keep", type=Path, help="build the folder here and keep it")
    args = parser.parse_args()
    if args.runs < 10 or args.runs % 10:
        parser.error("--runs must be a positive multiple of 10")
    config = sweep.parse(CONFIG.format(replicates=args.runs // 10))
    out = args.keep or Path(tempfile.mkdtemp(prefix="ringbench-summary-"))
    try:
        count, seconds = timed(lambda: build_folder(config, out))
        print(f"built {count} finished runs in {out} in {seconds:.1f} s (load average "
              f"{os.getloadavg()[0]:.2f})")
        (indexed, statistics), from_index = timed(lambda: sweep.summarize(config, out))
        print(f"summary of {count} runs from the index (every sweep's end): {from_index:.1f} s "
              f"({'within' if from_index <= 30 else 'OVER'} the 30 s target); {len(statistics)} parameter points "
              "in bands.csv")
        if args.rebuild:
            csv_indexed = (out / "summary.csv").read_bytes()
            (rebuilt, _), from_files = timed(lambda: sweep.summarize(config, out, rebuild=True))
            same = indexed == rebuilt and (out / "summary.csv").read_bytes() == csv_indexed
            print(f"summary of {count} runs from result files (--rebuild-summary): {from_files:.1f} s; tables "
                  f"identical both ways: {same}")
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
