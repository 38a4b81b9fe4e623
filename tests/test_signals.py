"""Signals and pipes, end to end: the ``ringbench`` command in a subprocess, stopped or cut off.

SIGTERM and SIGINT during ``ringbench run --out DIR`` save the partial result (status
``interrupted``) and exit 143 and 130; a closed stdout ends the command with 141, quietly,
after the result is saved.
"""

import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

import ringbench

ROOT = pathlib.Path(ringbench.__file__).resolve().parents[1]
#: A run far too long to finish (about 10^9 arrivals): only a signal ends it.
LONG_RUN = ["run", "--method", "asgd", "--gamma", "0.01", "--n", "4", "--d", "5", "--t-max", "5e8"]
SHORT_RUN = ["run", "--method", "asgd", "--gamma", "0.01", "--n", "4", "--d", "5", "--t-max", "20", "--quiet"]
#: The progress bar once simulated time has advanced: "| 1.234e+04/5e+08 simulated s".
RUNNING = re.compile(rb"\| *[1-9][0-9.e+]*/[0-9.e+]+ simulated s")


def command(arguments):
    return [sys.executable, "-m", "ringbench", *map(str, arguments)]


def environment():
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def start_and_wait_until_running(arguments, timeout=300):
    """Start the command; return (process, stderr collected so far) once its progress bar shows progress."""
    process = subprocess.Popen(command(arguments), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment())
    collected = bytearray()

    def collect():
        for chunk in iter(lambda: process.stderr.read1(4096), b""):
            collected.extend(chunk)

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not RUNNING.search(collected):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run did not get going: {bytes(collected)[-500:]!r}")
        time.sleep(0.05)
    return process, reader, collected


@pytest.mark.compiled
@pytest.mark.parametrize("number, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_run_saves_the_partial_result(tmp_path, number, status):
    process, reader, stderr = start_and_wait_until_running([*LONG_RUN, "--out", tmp_path])
    process.send_signal(number)
    stdout, _ = process.communicate(timeout=60)
    reader.join(timeout=10)
    assert process.returncode == status, bytes(stderr)[-2000:]
    assert b"Traceback" not in stderr
    result = ringbench.load(tmp_path / "asgd")
    assert result.status == "interrupted"
    assert 0 < result.counters["end_time"] < 5e8 and result.counters["updates"] > 0
    assert result.time.size >= 1 and result.time[-1] <= result.counters["end_time"]
    assert b"asgd: interrupted" in stdout and b"wrote" in stdout  # the summary says so and where it went


def test_a_closed_stdout_exits_141_quietly_after_saving(tmp_path):
    # The reader is gone before the command prints anything: its first line meets a broken pipe.
    read, write = os.pipe()
    os.close(read)
    try:
        completed = subprocess.run(command([*SHORT_RUN, "--out", tmp_path]), stdout=write, stderr=subprocess.PIPE,
                                   env=environment(), timeout=300)
    finally:
        os.close(write)
    assert completed.returncode == 141, completed.stderr.decode()[-2000:]
    # Quiet: no traceback, no "Exception ignored" at exit (numpy's overflow warnings of Python-mode kernels
    # under NUMBA_DISABLE_JIT=1 may be there).
    assert not re.search(rb"Traceback|Exception ignored|BrokenPipe|error", completed.stderr), completed.stderr
    assert ringbench.load(tmp_path / "asgd").status == "time_budget"


def test_piped_into_head_keeps_the_result(tmp_path):
    # As typed in a shell; whether the command meets the broken pipe depends on timing: either way
    # it exits 0 or 141 without a traceback and the result is saved.
    script = f"{' '.join(command([*SHORT_RUN, '--out', tmp_path]))} | head -1; echo \"status ${{PIPESTATUS[0]}}\" >&2"
    completed = subprocess.run(["bash", "-c", script], capture_output=True, env=environment(), timeout=300)
    assert completed.stdout.decode().startswith("asgd: time_budget")
    assert completed.stdout.count(b"\n") == 1
    assert re.search(rb"status (0|141)\n$", completed.stderr), completed.stderr
    assert b"Traceback" not in completed.stderr
    assert ringbench.load(tmp_path / "asgd").status == "time_budget"
