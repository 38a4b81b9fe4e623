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
