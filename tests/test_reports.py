"""Smoke tests of the report scripts beside the asv suite: each runs its ``--quick`` mode to the end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ringbench

ROOT = Path(ringbench.__file__).resolve().parents[1]


def run_report(name, *arguments):
    """Run ``benchmarks/<name>`` with ``arguments`` in a fresh interpreter that imports this ringbench."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the script's own workers import the same copy
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *arguments], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.mark.slow
@pytest.mark.compiled
def test_sweep_scaling_report_runs_every_executor_and_no_worker_compiles():
    out = run_report("report_sweep_scaling.py", "--quick")
    for line in ("local  1 worker(s):", "local  2 worker(s):", "dask   2 worker(s):", "local(1) / local(2):",
                 "dask(2) / local(2):", "results identical on every executor: True"):
        assert line in out, out
    assert "workers that compiled: 0 of" in out, out


@pytest.mark.slow
@pytest.mark.compiled
def test_core_report_runs_compare_twice_in_fresh_processes():
    out = run_report("report_core.py", "--quick")
    assert "first (existing cache)" in out and "second (cache hit)" in out, out
    assert "peak RSS" in out, out


def test_sweep_scaling_report_rejects_bad_options(tmp_path):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import report_sweep_scaling
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    with pytest.raises(SystemExit):
        report_sweep_scaling.main(["--rounds", "0"])
    config = tmp_path / "no-t-max.toml"
    config.write_text("n = 4\n")
    with pytest.raises(ValueError, match="must set t_max once"):
        report_sweep_scaling.configuration_text(config, 10.0)
    assert "t_max = 10.0" in report_sweep_scaling.configuration_text(ROOT / "examples" / "tune-paper.toml", 10)


@pytest.mark.slow
@pytest.mark.compiled
def test_compile_report_compiles_compare_cold_and_reports_cpu_seconds():
    out = run_report("report_compile.py", "--rounds", "1", str(ROOT))
    row = next(line for line in out.splitlines() if line.startswith(str(ROOT)))
    median, best, ratio = (float(value.rstrip("x")) for value in row.split()[1:])
    assert median == best > 5.0, out  # a compile from an empty cache takes 15 s or more; a cache load 2-3 s
    assert ratio == 1.0, out


def test_compile_report_rejects_a_tree_without_ringbench_and_no_rounds(tmp_path):
    for arguments, message in (([str(tmp_path)], "holds no ringbench/ package"),
                               (["--rounds", "0"], "--rounds must be at least 1")):
        completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report_compile.py"), *arguments],
                                   cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2 and message in completed.stderr, completed.stdout + completed.stderr
