"""Numba's on-disk cache, invalidated whenever any source file of the jitted core changes.

numba stamps a cached function with its own source file only, so a kernel that
calls code from another module keeps running the old callee after that module is
edited (its compiled callees are linked into it). ringbench's kernels call across
modules everywhere: the event loop inlines the method rules, which inline the
engine primitives, which inline the problem and timing kernels. So every ringbench
kernel is stamped with a digest of the jitted core instead (:data:`CORE`: every
module that defines a kernel or a constant a kernel reads): an edit there
recompiles everything once, and nothing stale is ever loaded. Edits to the
pure-Python layers (CLI, theory, sweeps, ...) keep the cache. :func:`enable`
refuses a kernel defined outside the core, so the digest cannot miss one.

User plug-ins (a method's rule or a problem's kernels in the user's own file) are
outside the digest, so a core kernel compiled for a plug-in's types is never written
to or read from this cache: it could go stale when the plug-in's file changes. Such
signatures are compiled in memory, and :mod:`ringbench.engine.plugins` caches the
whole specialised event loop instead, in a generated module named by a digest of the
plug-in's sources.

This uses numba's cache locator classes (public names since numba 0.61).
"""

import hashlib
import pickle
from pathlib import Path

from numba.core import caching, types

PACKAGE = Path(__file__).resolve().parent

#: The jitted core, relative to the package: kernels live only here.
CORE = ("_cache.py", "_jit.py", "engine", "methods", "problems", "timing")


def _core_files(package):
    for entry in CORE:
        path = package / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def source_digest(package=PACKAGE):
    """SHA-256 of every ``.py`` file of the jitted core below ``package`` (paths and contents)."""
    digest = hashlib.sha256()
    for path in _core_files(package):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


SOURCE_DIGEST = source_digest()
_CORE_FILES = frozenset(_core_files(PACKAGE))


class _PackageStamp:
    """Locator mixin: the source stamp is the digest of the whole package."""

    def get_source_stamp(self):
        return SOURCE_DIGEST


def _stamped(locator):
    return type(f"Package{locator.__name__}", (_PackageStamp, locator), {})


class _CacheImpl(caching.CompileResultCacheImpl):
    # The user's NUMBA_CACHE_DIR first, then __pycache__ beside the source, then the user-wide cache.
    _locator_classes = [_stamped(caching.UserProvidedCacheLocator), _stamped(caching.InTreeCacheLocator),
                        _stamped(caching.UserWideCacheLocator)]


def is_core_type(numba_type):
    """Whether ``numba_type`` holds only ringbench's own types (no plug-in namedtuple anywhere inside)."""
    if isinstance(numba_type, types.BaseNamedTuple):
        if not numba_type.instance_class.__module__.startswith("ringbench."):
            return False
    if isinstance(numba_type, types.BaseTuple):
        return all(is_core_type(member) for member in numba_type.types)
    return True


def _is_core_signature(signature):
    arguments = signature.args if hasattr(signature, "args") else signature
    return all(is_core_type(argument) for argument in arguments)


class _IndexFile(caching.IndexDataCacheFile):
    """numba's index file, read as empty when it cannot be unpickled.

    An index written by an older ringbench can name classes that no longer exist;
    numba would raise while reading it, before it checks the source stamp.
    """

    def _load_index(self):
        try:
            return super()._load_index()
        except (AttributeError, ImportError, EOFError, pickle.UnpicklingError):
            return {}


class _FunctionCache(caching.FunctionCache):
    _impl_class = _CacheImpl

    def __init__(self, py_func):
        super().__init__(py_func)
        self._cache_file = _IndexFile(cache_path=self._cache_path, filename_base=self._impl.filename_base,
                                      source_stamp=self._impl.locator.get_source_stamp())

    def load_overload(self, sig, target_context):
        if not _is_core_signature(sig):
            return None
        return super().load_overload(sig, target_context)

    def save_overload(self, sig, data):
        if _is_core_signature(sig):
            super().save_overload(sig, data)


def enable(dispatcher):
    """Give a numba dispatcher ringbench's core-stamped on-disk cache; return it."""
    source = Path(dispatcher.py_func.__code__.co_filename).resolve()
    if source not in _CORE_FILES:
        raise RuntimeError(f"kernel {dispatcher.py_func.__qualname__} is defined in {source}, outside the "
                           f"jitted core {CORE} whose digest stamps the cache; move it or extend CORE")
    dispatcher._cache = _FunctionCache(dispatcher.py_func)
    return dispatcher
