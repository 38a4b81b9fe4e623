"""Numba's on-disk cache, invalidated whenever any ringbench source file changes.

numba stamps a cached function with its own source file only, so a kernel that
calls code from another module keeps running the old callee after that module is
edited (its compiled callees are linked into it). ringbench's kernels call across
modules everywhere: the event loop inlines the method rules, which inline the
engine primitives, which inline the problem and timing kernels. So every ringbench
kernel is stamped with a digest of all ringbench sources instead: any edit
recompiles everything once, and nothing stale is ever loaded.

This uses numba's cache locator classes (public names since numba 0.61).
"""

import hashlib
from pathlib import Path

from numba.core import caching

PACKAGE = Path(__file__).resolve().parent


def source_digest(package=PACKAGE):
    """SHA-256 of every ``.py`` file below ``package`` (paths and contents)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


SOURCE_DIGEST = source_digest()


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
    """Give a numba dispatcher ringbench's package-stamped on-disk cache; return it."""
    dispatcher._cache = _FunctionCache(dispatcher.py_func)
    return dispatcher
