"""The ``ringbench`` command: one module per subcommand, each registering its parser and handler.

Bad input is reported in one line on stderr with exit status 2, before any
compilation or long work. SIGTERM is handled like Ctrl-C: the run stops, what it
computed is saved, and the exit status is 143 (130 for Ctrl-C). Results are
written before anything is printed, and a closed stdout (``| head -1``) ends the
command quietly with status 141.
"""

import argparse
import contextlib
import os
import signal
import sys

from .. import _validate, datasets, files
from . import compare, plot, run, scaling, sweep, theory
from .common import INTERRUPTED, Parser

#: Subcommand modules, in the order ``ringbench --help`` lists them. Each has ``register(commands)``.
COMMANDS = (run, compare, sweep, theory, scaling, plot)
TERMINATED = 128 + signal.SIGTERM  # the shell's status for a process ended by SIGTERM
BROKEN_PIPE = 128 + signal.SIGPIPE  # the shell's status for a writer whose reader went away


def _parser():
    parser = Parser(prog="ringbench", description="Simulate asynchronous SGD with heterogeneous workers.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(commands)
    return parser


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Raise KeyboardInterrupt on SIGTERM in this process; yield a list that receives the signal number.

    Every command already saves its partial work on KeyboardInterrupt, so SIGTERM (a
    scheduler's or ``kill``'s stop) keeps that work too. Processes forked from this one
    (a sweep's pool) keep SIGTERM's default: their parent decides what to save.
    """
    received, owner = [], os.getpid()

    def handler(number, frame):
        if os.getpid() != owner:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        received.append(number)
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (main() called from a thread): leave signals alone
        yield received
        return
    try:
        yield received
    finally:
        signal.signal(signal.SIGTERM, previous)


def _error(message):
    # One line: a multi-line explanation (e.g. where a dataset was looked for) is joined.
    print("ringbench: error: " + " ".join(str(message).split()), file=sys.stderr)
    return 2


def _given(argv):
    """The destinations of the options written on the command line, even those written with their default value.

    Parsed again with every default suppressed, so that ``--dataset a9a`` on a quadratic
    is seen as given (and rejected as inapplicable), not taken for the default.
    """
    parser = _parser()
    for command in parser._subparsers._group_actions[0].choices.values():
        command._defaults.clear()
        for action in command._actions:
            action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv))) - {"command"}


def main(argv=None):
    """Entry point of the ``ringbench`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    args.given = _given(argv)
    with _sigterm_as_interrupt() as received:
        try:
            if getattr(args, "uses_cache", True):
                _validate.writable_directory("$RINGBENCH_CACHE", files.cache_directory())
            with datasets.offline(getattr(args, "no_download", False)), datasets.path_option("--data-path"):
                status = args.handler(args)
        except KeyboardInterrupt:  # before a run started, or between runs: nothing partial to save
            print("ringbench: interrupted", file=sys.stderr)
            status = INTERRUPTED
        except ValueError as error:
            return _error(error)
        except BrokenPipeError:
            # Python would report the pipe again when it flushes stdout at exit; point stdout at nothing.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return BROKEN_PIPE
    return TERMINATED if status == INTERRUPTED and received else status
