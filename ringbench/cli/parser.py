"""The command line's parser class and the exit status of an interrupted command.

Kept apart from :mod:`ringbench.cli.common`, whose option helpers need the problem and
timing modules: ``ringbench --help`` builds its parser from this module alone, without
importing numba, scipy or matplotlib.
"""

import argparse
import functools
from pathlib import Path

INTERRUPTED = 130  # the shell's status for a run stopped by Ctrl-C
#: argparse's actions that set one value: given twice, the last would silently win.
_SINGLE_VALUED = (None, "store", "store_const", "store_true", "store_false")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2, refusing an option given twice (``--n 4 --n 8``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in _SINGLE_VALUED:  # the registry is shared with this parser's argument groups
            self.register("action", name, _given_once(self._registry_get("action", name)))

    def parse_known_args(self, args=None, namespace=None):
        self.given = set()  # destinations set on this command line (a subcommand's parser parses its own)
        return super().parse_known_args(args, namespace)

    def error(self, message):
        """Print ``message`` in one line and exit with status 2."""
        self.exit(2, f"ringbench: error: {message}\n")


@functools.cache
def _given_once(action):
    """A subclass of the argparse action class ``action`` whose option may be given once per command line."""

    class GivenOnce(action):
        def __call__(self, parser, namespace, values, option_string=None):
            if self.option_strings:
                if self.dest in parser.given:
                    flags = "/".join(self.option_strings)
                    parser.error(f"{flags} is given more than once; give it once (the last would silently win)")
                parser.given.add(self.dest)
            super().__call__(parser, namespace, values, option_string)

    GivenOnce.__name__ = GivenOnce.__qualname__ = action.__name__
    return GivenOnce


def path(text):
    """An option's path; an empty one is an error (``Path("")`` would silently mean the current directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a file or directory, got an empty string")
    return Path(text)
