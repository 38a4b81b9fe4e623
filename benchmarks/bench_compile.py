"""What a fresh process pays before its first simulated event: import, compile, or cache load.

Each ``timeraw_`` sample runs in a new interpreter. The timed statement is the
first :func:`ringbench.simulate` call of the process (a tiny run); the untimed
setup imports ringbench and builds its inputs after pointing ``NUMBA_CACHE_DIR``
at

* ``compile``: a new, empty directory, so the call compiles every kernel (the event
  loop inlines all methods, problems and timing rules) and writes the cache;
* ``cache_load``: a directory that ``setup_cache`` filled with the same run, so the
  call only loads the compiled kernels from disk.

``timeraw_import`` times ``import ringbench`` alone, ``timeraw_import_cli`` the command
line's module and ``timeraw_help`` ``ringbench --help`` (what every command pays before
its own work). All directories live in asv's temporary working directory, which asv
deletes afterwards.
"""

import os
import subprocess
import sys

_INPUTS = """
import numpy as np
import ringbench
problem = ringbench.problems.Quadratic.worst_case(4, noise_std=0.01)
method = ringbench.methods.ASGD(gamma=0.1)
model = ringbench.timing.fixed(np.ones(2))
"""
_FIRST_RUN = "ringbench.simulate(problem, method, model, t_max=3.0)"


def _cache_at(directory_expression):
    """Setup code that points numba's cache at ``directory_expression`` before numba is imported."""
    return f"import os, tempfile\nos.environ['NUMBA_CACHE_DIR'] = {directory_expression}\n" + _INPUTS


class FirstRun:
    """Seconds of the first simulate call in a fresh process: compile, or load from the cache."""

    rounds = 1
    number = 1
    warmup_time = 0.0  # a warm-up call would be a whole extra compile
    timeout = 900

    def setup_cache(self):
        warm = os.path.abspath("numba-cache")
        subprocess.run([sys.executable, "-c", _cache_at(repr(warm)) + _FIRST_RUN], check=True)
        return warm

    def timeraw_compile(self, warm):
        return _FIRST_RUN, _cache_at("tempfile.mkdtemp(dir=os.getcwd())")

    timeraw_compile.repeat = (1, 3, 120.0)

    def timeraw_cache_load(self, warm):
        return _FIRST_RUN, _cache_at(repr(warm))


def timeraw_import():
    """Seconds of ``import ringbench`` in a fresh interpreter (numba and scipy load only with what needs them)."""
    return "import ringbench"


def timeraw_import_cli():
    """Seconds of ``import ringbench.cli`` in a fresh interpreter."""
    return "import ringbench.cli"


def timeraw_help():
    """Seconds of ``ringbench --help`` in a fresh interpreter: import, parser, help text (printed to a buffer)."""
    return ("import ringbench.cli\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            "    ringbench.cli.main(['--help'])"), "import contextlib, io"
