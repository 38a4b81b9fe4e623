"""Sweeps at scale: parameter grids over methods, settings and seeds; tuning; executors; seed batches.

=====================  ==========================================================
module                 idea
=====================  ==========================================================
:mod:`.config`         a TOML grid, validated, expanded into run specs and seeds
:mod:`.registry`       what a configuration can name: problems, timings, methods
:mod:`.timings`        every timing model by scalars or files, and per-seed permutations
:mod:`.task`           one run, as every executor runs it
:mod:`.executors`      local processes, threads, or a dask.distributed cluster
:mod:`.store`          atomic result files, resume, the output directory's lock
:mod:`.table`          the tidy summary table (CSV, Parquet) with provenance
:mod:`.tuning`         the papers' tuning protocol: best final metric on tuning seeds
:mod:`.bands`          medians and interquartile bands over seeds, and their plot
:mod:`.report`         per parameter point: quartiles table, divergences, band figures
:mod:`.runner`         a whole sweep: validate, resume, execute, write the tables
:mod:`.batch`          many seeds of one configuration in threads of one process
=====================  ==========================================================
"""

from .batch import simulate_seeds
from .config import RunSpec, SweepConfig, load, parse
from .executors import EXECUTORS, open_executor
from .runner import Outcome, plan, run, summarize

__all__ = ["EXECUTORS", "Outcome", "RunSpec", "SweepConfig", "load", "open_executor", "parse", "plan", "run",
           "simulate_seeds", "summarize"]
