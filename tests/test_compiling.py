"""The compile notice (a line on stderr only when numba compiles) and inner kernels' guard against Python calls."""

import os
import subprocess
import sys

import pytest

from ringbench.engine import actions

MODULE = '''
from numba import njit


@njit(cache=True)
def twice(x):
    return 2 * x
'''

PROBE = '''
import sys
sys.path.insert(0, {folder!r})
from ringbench import _compiling
import probe_module
with _compiling.announced("the probe", probe_module.twice):
    assert probe_module.twice(21) == 42
    assert probe_module.twice(4) == 8  # same signature: compiled once, announced at most once
'''


@pytest.mark.compiled
def test_a_compile_is_announced_once_and_a_cache_load_not_at_all(tmp_path):
    (tmp_path / "probe_module.py").write_text(MODULE)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def stderr_lines():
        done = subprocess.run([sys.executable, "-c", PROBE.format(folder=str(tmp_path))], capture_output=True,
                              text=True, check=True, timeout=300, env=env)
        return [line for line in done.stderr.splitlines() if line.startswith("ringbench:")]

    cold = stderr_lines()
    assert len(cold) == 1
    assert cold[0].startswith("ringbench: compiling the simulator for the probe (first run only")
    assert str(tmp_path / "numba") in cold[0]  # names where the compiled code goes
    assert stderr_lines() == []  # loaded from numba's cache: nothing to say


@pytest.mark.compiled
def test_an_inner_kernel_called_from_python_raises_instead_of_crashing():
    with pytest.raises(TypeError, match="delay_of is an inner kernel"):
        actions.delay_of(None, 0)
