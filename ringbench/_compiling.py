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

import inspect
import re
import sys
import sysconfig
from pathlib import Path

import numba
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
#: Where code that is not the user's lives: ringbench, numba, and Python's own and installed libraries.
_NOT_USER_CODE = tuple({_PACKAGE, Path(numba.__file__).resolve().parent,
                        *(Path(sysconfig.get_path(kind)).resolve() for kind in ("stdlib", "purelib", "platlib"))})
#: What numba says of an array allocated in a kernel (compiled without its runtime, which allocations need).
_ALLOCATING = ("NRT required but not enabled", "Only accept returning of array passed into the function")
#: numba's words for a plain Python function called from compiled code.
_UNTYPED_FUNCTION = re.compile(r"Untyped global name '(?P<name>\w+)': Cannot determine Numba type of <class "
                               r"'function'>")
_UNDEFINED = re.compile(r"NameError: name '(?P<name>\w+)' is not defined")
#: numba's words for unpacking a tuple of the wrong length, e.g. a metrics kernel's (f, ||grad f||^2).
_WRONG_LENGTH = re.compile(r"\('wrong tuple length for [^']*', 'expected (?P<expected>\d+), got (?P<got>\d+)'\)")
#: A type spelled out longer than this is shortened to its name: numba prints the whole Simulation tuple.
_LONGEST_TYPE = 60


def plugin_error(error, what, modules=()):
    """A ``ValueError`` for numba's compile ``error`` of the plug-in code in ``what``: its cause, and where.

    numba nests one rejected candidate per call through the event loop. The cause is
    the error of the innermost candidate whose message names a line of user code (not
    ringbench's, numba's or Python's), else of the innermost one, with the signature it
    names if any; the place is that line, or else the line of ringbench's engine that
    calls the plug-in (a kernel whose result does not fit its contract fails there). A
    plain Python function called from compiled code is named as such, with the fix,
    when it is defined in (or imported into) one of the plug-in ``modules``. The full
    message stays on the exception's ``__cause__``.
    """
    message = str(error)
    levels = message.split(_INNERMOST)
    levels = levels[1:][::-1] if len(levels) > 1 else levels  # innermost first
    chosen, where = levels[0], None
    for level in levels:
        where = next((location for location in _LOCATION.finditer(level) if _is_user_file(location["file"])), None)
        if where is not None:
            chosen = level
            break
    lines = [line.strip() for line in chosen.splitlines()
             if line.strip() and "Failed in nopython mode pipeline" not in line]
    if not lines:
        return ValueError(f"the plug-in code of {what} does not compile: {' '.join(message.split())}")
    cause = re.sub(r"^TypingError: ", "", lines[0])
    if cause.endswith(":") and len(lines) > 1 and lines[1].startswith(">>>"):  # "... found for signature:"
        cause += " " + lines[1].removeprefix(">>>").strip()
    cause = _plain_function_named(_shortened(_WRONG_LENGTH.sub(_wrong_length, cause)), modules)
    if any(sign in cause for sign in _ALLOCATING):
        cause += "; kernels cannot allocate arrays (README: what a rule and a kernel may do)"
    if where is not None:
        cause += f" (in {where['file']}, line {where['line']}: {_failing_line(where)})"
    else:
        engine = next((location for location in _LOCATION.finditer(chosen) if _is_engine_file(location["file"])),
                      None)
        if engine is not None:
            file = Path(engine["file"]).resolve().relative_to(_PACKAGE.parent)
            cause += f" (where ringbench calls the plug-in: {file}, line {engine['line']}: {_failing_line(engine)})"
    return ValueError(f"the plug-in code of {what} does not compile: {cause}")


def _failing_line(location):
    """The source line of a numba error ``location``: the one above the caret."""
    source = [line.strip() for line in location["source"].splitlines() if line.strip()]
    return source[-1] if source else "?"


def _wrong_length(match):
    return f"a tuple of {match['got']} values where {match['expected']} are expected"


def _plain_function_named(cause, modules):
    """``cause``, saying how to fix it when it is a plain Python function called from compiled code.

    numba calls such a function an "untyped global"; in a rule, which numba inlines into
    the loop, it says the name "is not defined" although the plug-in defines it. One of
    the plug-in ``modules`` (defined there or imported into it) can be decorated; another
    library's cannot.
    """
    named = _UNDEFINED.search(cause) or _UNTYPED_FUNCTION.search(cause)
    if named is None:
        return cause
    if any(inspect.isfunction(getattr(sys.modules.get(module), named["name"], None)) for module in modules):
        return f"{named['name']}() is a plain Python function; compiled code calls only kernels: decorate it with " \
               "@plugin.kernel"
    if named.re is _UNTYPED_FUNCTION:  # another library's function: numba cannot compile it
        return cause + "; compiled code calls only kernels and the functions numba supports"
    return cause


def _is_engine_file(name):
    """Whether numba's source location ``name`` is in ringbench's own sources."""
    return Path(name).resolve().is_relative_to(_PACKAGE)


def _is_user_file(name):
    """Whether numba's source location ``name`` is the user's code: not ringbench's (nor its generated plug-in
    loop), numba's or an installed library's.
    """
    path = Path(name).resolve()
    return not (path.name.startswith("ringbench_plugin_")
                or any(path.is_relative_to(directory) for directory in _NOT_USER_CODE))


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
