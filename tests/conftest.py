"""Session setup: point $RINGBENCH_DATA at the development copies of the real datasets when they exist.

The copies live in ``../shared/data`` next to the repository on the development machine; a clean
clone elsewhere may not have them, and tests that need them skip. An explicit
$RINGBENCH_DATA always wins.

A suite started in the background by a non-interactive shell (``cmd &``) inherits SIGINT ignored,
and so would every process it starts, which then never sees the Ctrl-C the interrupt tests send.
Those tests model a run started from a terminal, so the session takes SIGINT back: its children
then start with the default disposition, as from a terminal.
"""

import os
import pathlib
import signal

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_SHARED_DATA = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data"

if "RINGBENCH_DATA" not in os.environ and _SHARED_DATA.is_dir():
    os.environ["RINGBENCH_DATA"] = str(_SHARED_DATA)


import numba  # noqa: E402
import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """With ``NUMBA_DISABLE_JIT=1`` (kernels run as Python, for coverage and debugging):

    * tests marked ``compiled`` skip: they check numba's cache or dispatchers, rely on a compiled
      chunk being uninterruptible, or drive long runs against timeouts sized for compiled code;
    * RuntimeWarnings are not errors: numpy warns on the overflow and NaN that compiled kernels
      (``error_model="numpy"``) produce silently, and the divergence tests provoke them on purpose.
    """
    if not numba.config.DISABLE_JIT:
        return
    skip = pytest.mark.skip(reason="needs compiled kernels (NUMBA_DISABLE_JIT=1)")
    for item in items:
        if "compiled" in item.keywords:
            item.add_marker(skip)
        item.add_marker(pytest.mark.filterwarnings("ignore::RuntimeWarning"))


def pytest_runtest_setup(item):
    """A test marked ``datasets("mnist5k", ...)`` skips, saying why, unless $RINGBENCH_DATA holds those sets."""
    from ringbench.datasets import DATASETS, ENV_VAR

    directory = os.environ.get(ENV_VAR)
    for marker in item.iter_markers("datasets"):
        missing = [name for name in marker.args if not directory or not all(
            (pathlib.Path(directory) / DATASETS[name].subdir / file.filename).is_file()
            for file in DATASETS[name].files)]
        if missing:
            pytest.skip(f"needs the {', '.join(missing)} files: set ${ENV_VAR} to a directory holding them "
                        "(this file uses ../shared/data beside the repository when it exists)")


@pytest.fixture(autouse=True, scope="session")
def _private_optimum_cache(tmp_path_factory):
    """Solved logistic optima (ringbench.problems.optimum) go to a per-session temporary directory, not ~/.cache.

    Likewise the data cache, and no test downloads: $RINGBENCH_OFFLINE is on (the download tests
    turn it off and serve the files from 127.0.0.1).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RINGBENCH_CACHE", str(tmp_path_factory.mktemp("ringbench-cache")))
        patch.setenv("RINGBENCH_DATA_CACHE", str(tmp_path_factory.mktemp("ringbench-data-cache")))
        patch.setenv("RINGBENCH_OFFLINE", "1")
        patch.delenv("RINGBENCH_DATA_MIRROR", raising=False)
        yield
