"""The command line's parser class and the exit status of an interrupted command.

Kept apart from :mod:`ringbench.cli.common`, whose option helpers need the problem and
timing modules: ``ringbench --help`` builds its parser from this module alone, without
importing numba, scipy or matplotlib.
"""

import argparse
from pathlib import Path

INTERRUPTED = 130  # the shell's status for a run stopped by Ctrl-C


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message):
        """Print ``message`` in one line and exit with status 2."""
        self.exit(2, f"ringbench: error: {message}\n")


def path(text):
    """An option's path; an empty one is an error (``Path("")`` would silently mean the current directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a file or directory, got an empty string")
    return Path(text)
