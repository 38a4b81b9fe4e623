"""The ``ringbench`` command: one module per subcommand, each registering its parser and handler.

Bad input is reported in one line on stderr with exit status 2, before any
compilation or long work; so is a plug-in that does not compile or whose rule
breaks the engine's contract (``ringbench.engine.errors.RuleError``). SIGTERM is
handled like Ctrl-C: the run stops, what it computed is saved, and the exit status
is 143 (130 for Ctrl-C). Results are written before anything is printed, and a
closed stdout (``| head -1``) ends the command quietly with status 141.
"""

import argparse
import contextlib
import importlib
import os
import signal
import sys

from .parser import INTERRUPTED, Parser

#: The subcommands, in the order ``ringbench --help`` lists them, with their one-line help. Each is the
#: module of that name in this package, with ``register(commands)`` and a handler. Only the module of the
#: command being run is imported (see :func:`_parser`): ``ringbench --help`` loads no numba, scipy or
#: matplotlib, and ``ringbench run`` no plotting.
COMMANDS = {
    "run": "simulate one method and print a summary",
    "compare": "a ready-made comparison of methods: table and plot",
    "sweep": "run a TOML grid of methods, parameters, settings and seeds; with [tuning], tune and report",
    "theory": "the theory's m*, R*, predicted times and lower bounds",
    "scaling": "time to eps as workers are added: measured against predicted",
    "plot": "plot saved results (convergence, delays, per-worker use, timelines)",
}
TERMINATED = 128 + signal.SIGTERM  # the shell's status for a process ended by SIGTERM
BROKEN_PIPE = 128 + signal.SIGPIPE  # the shell's status for a writer whose reader went away


def _parser(argv):
    """The parser of ``argv``: its command's options in full, every other command by name and help only.

    The top-level parser takes no option but ``--help``, so the command is ``argv``'s
    first word that is not an option; without one, every command is listed only.
    """
    parser = Parser(prog="ringbench", description="Simulate asynchronous SGD with heterogeneous workers.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, summary in COMMANDS.items():
        if name == chosen:
            importlib.import_module(f".{name}", __name__).register(commands)
        else:
            commands.add_parser(name, help=summary)
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
    parser = _parser(argv)
    for command in parser._subparsers._group_actions[0].choices.values():
        command._defaults.clear()
        for action in command._actions:
            action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv))) - {"command"}


def main(argv=None):
    """Entry point of the ``ringbench`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv).parse_args(argv)
    args.given = _given(argv)
    from .. import _validate, datasets, files  # after parsing: --help and usage errors need neither
    from ..engine.errors import RuleError

    with _sigterm_as_interrupt() as received:
        try:
            if getattr(args, "uses_cache", True):
                _validate.writable_directory("$RINGBENCH_CACHE", files.cache_directory())
            path_option = getattr(args, "path_option", "--data-path")  # what messages call a data path
            with datasets.offline(getattr(args, "no_download", False)), datasets.path_option(path_option):
                status = args.handler(args)
        except KeyboardInterrupt:  # before a run started, or between runs: nothing partial to save
            print("ringbench: interrupted", file=sys.stderr)
            status = INTERRUPTED
        except ValueError as error:
            return _error(error)
        except RuleError as error:  # a rule's bug; ringbench's own failures keep their traceback
            return _error(error)
        except BrokenPipeError:
            # Python would report the pipe again when it flushes stdout at exit; point stdout at nothing.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return BROKEN_PIPE
    return TERMINATED if status == INTERRUPTED and received else status
