"""The on-disk cache: hits in a fresh process, never serves code older than a source of the jitted core."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ringbench

PROBE = """
import json, numpy as np
from ringbench.engine.rng import key_from_seed
from ringbench.problems import Quadratic
from ringbench.problems.quadratic_kernels import stochastic_gradient
problem = Quadratic.worst_case(4, noise_std=1.0)
out = np.empty(4)
stochastic_gradient(problem.data(), key_from_seed(np.random.SeedSequence(0)), problem.x0, 0, 0, out)
stats = stochastic_gradient.stats
import ringbench
print(json.dumps({"file": ringbench.__file__, "value": out.tolist(), "hits": sum(stats.cache_hits.values()),
                  "misses": sum(stats.cache_misses.values())}))
"""


def _probe(package_root, cache_dir):
    env = {**os.environ, "PYTHONPATH": str(package_root), "NUMBA_CACHE_DIR": str(cache_dir)}
    # Run outside the repository, so that the copy and not the working tree is imported.
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True,
                          cwd=package_root)
    return json.loads(done.stdout)


@pytest.mark.compiled
def test_cache_hits_in_a_fresh_process_and_tracks_edits_in_other_files(tmp_path):
    root = tmp_path / "src"
    shutil.copytree(Path(ringbench.__file__).parent, root / "ringbench", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"

    first = _probe(root, cache)
    assert first["file"] == str(root / "ringbench" / "__init__.py")
    second = _probe(root, cache)
    assert first["misses"] == 1 and second == {**first, "hits": 1, "misses": 0}

    # stochastic_gradient lives in problems/quadratic_kernels.py and calls job_normal() from engine/rng.py.
    # numba's own stamp only watches problems/quadratic_kernels.py and would serve the stale code here.
    rng = root / "ringbench" / "engine" / "rng.py"
    source = rng.read_text()
    assert "_STATE_BLOCK = np.uint64(0xFFFFFFFFFFFFFFFF)" in source
    rng.write_text(source.replace("_STATE_BLOCK = np.uint64(0xFFFFFFFFFFFFFFFF)", "_STATE_BLOCK = np.uint64(0xFFFF)"))
    edited = _probe(root, cache)
    assert edited["misses"] == 1 and edited["hits"] == 0
    assert edited["value"] != first["value"]


@pytest.mark.compiled
def test_kernel_outside_the_digested_core_is_refused():
    from ringbench._jit import kernel

    def outside(x):
        return x + 1

    with pytest.raises(RuntimeError, match="outside the jitted core"):
        kernel(outside)
