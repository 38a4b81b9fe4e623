"""A line on stderr when a run's kernels must be compiled, not loaded from numba's cache.

A newcomer's first ``ringbench compare`` compiles for tens of seconds; without a word
it looks hung. numba announces each compile it starts (its ``numba:compile`` event)
only after its on-disk cache missed, so listening for that event tells a cold start
from a warm one without a guess or a timer: a run whose kernels all load prints
nothing.
"""

import sys

from numba.core import event


class _Notice(event.Listener):
    """Prints its message at the first compile that starts while it listens, and never again."""

    def __init__(self, message):
        self.message = message
        self.shown = False

    def on_start(self, event):
        if not self.shown:
            self.shown = True
            print(self.message, file=sys.stderr, flush=True)

    def on_end(self, event):
        pass


def announced(what, dispatcher):
    """Context manager: say on stderr that ``what`` is being compiled, if numba compiles anything inside it.

    ``dispatcher`` is the kernel whose on-disk cache the message names.
    """
    cache = getattr(getattr(dispatcher, "_cache", None), "cache_path", None)
    where = f"; cached in {cache}" if cache else ""
    return event.install_listener("numba:compile", _Notice(
        f"ringbench: compiling the simulator for {what} (first run only, can take a minute{where})"))
