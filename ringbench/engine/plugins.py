"""Compiled entry points of the event loop for runs that involve a user's plug-in.

A run of built-ins uses :func:`ringbench.engine.loop.initialize` and
:func:`~ringbench.engine.loop.advance` directly, from the package's on-disk cache.
When the method, the problem or the timing model is a plug-in (its namedtuple class is
defined outside ringbench), the loop must be compiled for the plug-in's types, and
that compiled loop must be cached without ever going stale when the plug-in's file
changes. numba stamps a cached function with its own source file only, and a jitted
function passed as an argument misses the cache in every new process, so ringbench
writes a small module of two entry points that call the loop, named by a digest of
the plug-in modules' sources (and of the user's own modules they import, transitively)
and of ringbench's jitted core, and compiles those with
numba's ``cache=True``: the next process with the same plug-in sources loads them
from the cache, and an edit to a plug-in gives a new module, compiled once.

The generated modules live in ``$RINGBENCH_CACHE/plugins`` (default
``~/.cache/ringbench/plugins``), their compiled code in its ``__pycache__``.
"""

import hashlib
import importlib.util
import inspect
import sys
import types
from pathlib import Path

from .. import _cache
from .._jit import OPTIONS
from ..files import cache_directory, write_text_atomically

_TEMPLATE = '''"""ringbench's event loop specialised for plug-ins: {modules}. Generated; do not edit."""

from numba import njit

from ringbench.engine import loop


@njit(cache={cache}, **{options!r})
def initialize(sim, problem):
    return loop.initialize(sim, problem)


@njit(cache={cache}, **{options!r})
def advance(sim, rule, problem, max_events):
    return loop.advance(sim, rule, problem, max_events)
'''


def plugin_modules(*data):
    """Names of the modules defining the namedtuple classes among ``data`` that are not ringbench's own."""
    return sorted({type(item).__module__ for item in data if not type(item).__module__.startswith("ringbench.")})


def sources(modules):
    """``{module: {"file": path, "sha256": digest}}`` of the plug-in ``modules`` and of the user's modules they
    import, transitively: the code a run of them depends on (recorded in its provenance).
    """
    for name in modules:
        if not (getattr(sys.modules[name], "__file__", None) or "").endswith(".py"):
            raise ValueError(f"the plug-in module {name!r} has no source file; define plug-ins in a .py file")
    # an edit to a file the plug-in imports from must recompile it too
    return {name: _described(sys.modules[name]) for name in [*modules, *_helpers(modules)]}


#: ``{module: (its __spec__, description)}``: a module's source as it was when it was executed.
_READ = {}


def _described(module):
    """The file and SHA-256 of ``module``'s source as it was executed: read once per import.

    Python runs the code it imported until a reload, which gives the module a new
    ``__spec__``; an edit to the file alone changes nothing in this process.
    """
    read = _READ.get(module.__name__)
    if read is not None and read[0] is module.__spec__ is not None:
        return read[1]
    path = Path(module.__file__).resolve()
    try:
        source = path.read_bytes()
    except OSError as error:
        raise ValueError(f"the plug-in module {module.__name__!r}: cannot read its source {path}: {error}") from None
    described = {"file": str(path), "sha256": hashlib.sha256(source).hexdigest()}
    _READ[module.__name__] = (module.__spec__, described)
    return described


def source_digest(modules):
    """A 20-hex-digit digest of :func:`sources`: changes with any edit to the code a plug-in runs."""
    described = sources(modules)
    digest = hashlib.sha256()
    for name in sorted(described):
        digest.update(f"{name}:{described[name]['sha256']};".encode())
    return digest.hexdigest()[:20]


def _helpers(modules):
    """The user's own modules that ``modules`` use, transitively.

    Those with a source file outside Python's installation and ringbench, reached through
    a module, function, kernel or class in a module's namespace.
    """
    installed = [Path(place).resolve() for place in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    installed.append(Path(__file__).resolve().parents[1])  # ringbench itself: in the core's digest

    def users(module):
        file = getattr(module, "__file__", None)
        if module is None or not file or not file.endswith(".py"):
            return False
        path = Path(file).resolve()
        return not any(path.is_relative_to(place) for place in installed)

    seen, pending = set(modules), list(modules)
    while pending:
        for value in list(vars(sys.modules[pending.pop()]).values()):
            module = value if inspect.ismodule(value) else sys.modules.get(getattr(value, "__module__", None) or "")
            if users(module) and module.__name__ not in seen:
                seen.add(module.__name__)
                pending.append(module.__name__)
    return sorted(seen - set(modules))


_LOADED = {}
#: The source digest of each plug-in module whose kernels this process has linked.
_LINKED = {}


def entry_points(modules):
    """``(initialize, advance)`` compiled for plug-ins from ``modules`` (names, see :func:`plugin_modules`)."""
    described = sources(modules)
    digest = hashlib.sha256(_cache.SOURCE_DIGEST.encode())
    digest.update(source_digest(modules).encode())
    name = f"ringbench_plugin_{digest.hexdigest()[:20]}"
    if name in _LOADED:
        return _LOADED[name]
    # A module edited and reloaded in this process (importlib.reload, IPython's autoreload) keeps its
    # kernels' symbol names, and the JIT links a cached library's calls to the symbols it already
    # holds: the old version's code. Only a fresh compile in this process gets new symbols.
    reloaded = any(_LINKED.setdefault(module, entry["sha256"]) != entry["sha256"]
                   for module, entry in described.items())
    for module, entry in described.items():
        _LINKED[module] = entry["sha256"]
    source = _TEMPLATE.format(modules=", ".join(modules), options=OPTIONS, cache=not reloaded)
    if reloaded:
        module = types.ModuleType(name)
        exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    else:
        directory = cache_directory() / "plugins"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.py"
        if not path.exists():  # written once: numba stamps the cache with the file's mtime and size
            write_text_atomically(path, source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # numba's cache finds the functions' module by name
        spec.loader.exec_module(module)
    _LOADED[name] = (module.initialize, module.advance)
    return _LOADED[name]
