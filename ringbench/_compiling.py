"""What a user sees of compiling: a line on stderr when a run's kernels must be compiled, and a short error
when a plug-in's code does not compile.

A newcomer's first ``ringbench compare`` compiles for tens of seconds; without a word
it looks hung. numba announces each compile it starts (its ``numba:compile`` event)
only after its on-disk cache missed, so listening for that event tells a cold start
from a warm one without a guess or a timer: a run whose kernels all load prints
nothing.

A typing error in a plug-in's rule or kernel reaches numba through ringbench's event
loop, and numba reports it as some 70 lines of nested candidate signatures with the
cause near the end; :func:`plugin_error` keeps the cause and the line of the
plug-in's source it points at.
"""

import re
import sys
from pathlib import Path

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


#: Where numba's message names the source line of an error: the file, the line number, then the source lines
#: down to a caret under the failing expression.
_LOCATION = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+):\n(?P<source>(?:[^\n]*\n)*?)\s*\^')
_INNERMOST = "raised a specific error:"
_PACKAGE = Path(__file__).resolve().parent
#: A type spelled out longer than this is shortened to its name: numba prints the whole Simulation tuple.
_LONGEST_TYPE = 60


def plugin_error(error, what):
    """A ``ValueError`` for numba's compile ``error`` of the plug-in code in ``what``: its innermost cause, where.

    The cause is the error the innermost rejected candidate raised (numba nests one per
    call through the event loop), with the signature it names if any; the place is the
    first source location after it outside ringbench (the plug-in's file, where numba
    gives one). The full message stays on the exception's ``__cause__``.
    """
    message = str(error)
    tail = message[message.rfind(_INNERMOST) + len(_INNERMOST):] if _INNERMOST in message else message
    lines = [line.strip() for line in tail.splitlines()
             if line.strip() and "Failed in nopython mode pipeline" not in line]
    if not lines:
        return ValueError(f"the plug-in code of {what} does not compile: {message}")
    cause = re.sub(r"^TypingError: ", "", lines[0])
    if cause.endswith(":") and len(lines) > 1 and lines[1].startswith(">>>"):  # "... found for signature:"
        cause += " " + lines[1].removeprefix(">>>").strip()
    cause = _shortened(cause)
    where = next((location for location in _LOCATION.finditer(tail) if _is_plugin_file(location["file"])), None)
    if where is not None:
        source = [line.strip() for line in where["source"].splitlines() if line.strip()]
        cause += f" (in {where['file']}, line {where['line']}: {source[-1] if source else '?'})"
    return ValueError(f"the plug-in code of {what} does not compile: {cause}")


def _is_plugin_file(name):
    """Whether numba's source location ``name`` is user code: not ringbench's, nor its generated plug-in loop."""
    path = Path(name).resolve()
    return not (path.is_relative_to(_PACKAGE) or path.name.startswith("ringbench_plugin_"))


def _shortened(text):
    """``text`` with every spelled-out type longer than :data:`_LONGEST_TYPE`, ``Name(...)``, cut to ``Name(...)``."""
    out, index = [], 0
    for match in re.finditer(r"\w+\(", text):
        if match.start() < index:
            continue
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        if end - match.end() > _LONGEST_TYPE:
            out.append(text[index:match.end()] + "...)")
            index = end + 1
    return "".join(out) + text[index:]
