"""Session setup: point $RINGBENCH_DATA at the development copies of the real datasets when they exist.

The copies live in ``../shared/data`` next to the repository on the development machine; a clean
clone elsewhere may not have them, and tests that need them skip. An explicit
$RINGBENCH_DATA always wins.
"""

import os
import pathlib

_SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"

if "RINGBENCH_DATA" not in os.environ and _SHARED_DATA.is_dir():
    os.environ["RINGBENCH_DATA"] = str(_SHARED_DATA)


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _private_optimum_cache(tmp_path_factory):
    """Solved logistic optima (ringbench.problems.optimum) go to a per-session temporary directory, not ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RINGBENCH_CACHE", str(tmp_path_factory.mktemp("ringbench-cache")))
        yield
