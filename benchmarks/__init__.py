"""ringbench's asv suite: speed, memory and correctness of the simulator, tracked per commit.

Sizes follow ``RINGBENCH_BENCH_PROFILE`` (``fast``, ``regular`` or ``large``; see
:mod:`benchmarks.common`); ``asv.conf.json`` runs every benchmark with one thread.

The ``report_*.py`` files beside the suite are standalone scripts (``python
benchmarks/report_core.py``) that import one another by bare module name. asv
imports every module of this directory as part of this package, so the directory
is also put on ``sys.path`` for those imports to resolve.
"""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))
