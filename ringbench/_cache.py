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

This uses numba's cache locator classes (public names since numba 0.61).
"""

import hashlib
from pathlib import Path

from numba.core import caching

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


class _FunctionCache(caching.FunctionCache):
    _impl_class = _CacheImpl


def enable(dispatcher):
    """Give a numba dispatcher ringbench's core-stamped on-disk cache; return it."""
    source = Path(dispatcher.py_func.__code__.co_filename).resolve()
    if source not in _CORE_FILES:
        raise RuntimeError(f"kernel {dispatcher.py_func.__qualname__} is defined in {source}, outside the "
                           f"jitted core {CORE} whose digest stamps the cache; move it or extend CORE")
    dispatcher._cache = _FunctionCache(dispatcher.py_func)
    return dispatcher
