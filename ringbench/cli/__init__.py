"""The ``ringbench`` command: one module per subcommand, each registering its parser and handler.

Bad input is reported in one line on stderr with exit status 2, before any
compilation or long work.
"""

import sys

from .. import datasets
from . import compare, run, scaling, sweep, theory
from .common import Parser

#: Subcommand modules, in the order ``ringbench --help`` lists them. Each has ``register(commands)``.
COMMANDS = (run, compare, sweep, theory, scaling)


def _parser():
    parser = Parser(prog="ringbench", description="Simulate asynchronous SGD with heterogeneous workers.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv=None):
    """Entry point of the ``ringbench`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        with datasets.offline(getattr(args, "no_download", False)):
            return args.handler(args)
    except ValueError as error:
        print(f"ringbench: error: {error}", file=sys.stderr)
        return 2
