"""Finding a user's plug-in class from its name: ``package.module:Class`` or ``path/to/file.py:Class``.

The CLI (``--method``, ``--problem``), sweep configurations (``name = ...``) and
:func:`ringbench.methods.get` accept such a name wherever they accept a built-in's. A
file is imported as a module named after it, with its folder put first on
``sys.path``, so that results and sweep tasks that refer to its classes unpickle in
other processes (dask workers resolve the same name themselves).
"""

import importlib
import importlib.util
import sys
from pathlib import Path

from .engine import plugins


def is_plugin_name(name):
    """Whether ``name`` names a plug-in (it has a ``:``, or is a ``.py`` file missing its class) rather than a
    built-in.
    """
    return isinstance(name, str) and (":" in name or name.endswith(".py"))


def load(name, *, base, what):
    """The class ``name`` designates, checked to derive from ``base``.

    Parameters
    ----------
    name : str
        ``package.module:Class`` or ``path/to/file.py:Class``.
    base : type
        The class it must derive from (:class:`ringbench.methods.Method`,
        :class:`ringbench.problems.Problem`).
    what : str
        ``method`` or ``problem``, for error messages.
    """
    location, _, attribute = name.rpartition(":")
    if not location or not attribute:
        raise ValueError(f"{what} {name!r}: a plug-in is named 'package.module:Class' or 'path/to/file.py:Class' "
                         "(the file and the class in it)")
    module = _import(location, name, what)
    try:
        found = getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"{what} {name!r}: {location} has no {attribute!r}") from None
    if not (isinstance(found, type) and issubclass(found, base)):
        raise ValueError(f"{what} {name!r}: {attribute} must be a subclass of {base.__module__}.{base.__qualname__}")
    return found


def source_digest(name):
    """A digest of the code the plug-in ``name`` runs: its module's source and the user's modules it imports.

    Part of a sweep run's identity, so that a run of an edited plug-in is not served the
    result of its old version.
    """
    location, _, attribute = name.rpartition(":")
    module = _import(location, name, "plug-in")
    defining = getattr(getattr(module, attribute, None), "__module__", None)
    return plugins.source_digest(sorted({module.__name__, defining or module.__name__}))


def _import(location, name, what):
    if location.endswith(".py"):
        path = Path(location).expanduser().resolve()
        if not path.is_file():
            raise ValueError(f"{what} {name!r}: no file {path}")
        module_name = path.stem
        loaded = sys.modules.get(module_name)
        if loaded is not None:
            if Path(getattr(loaded, "__file__", "") or "").resolve() != path:
                raise ValueError(f"{what} {name!r}: a different module named {module_name!r} is already imported "
                                 f"({getattr(loaded, '__file__', None)}); rename the file")
            return loaded
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        location = module_name
    try:
        return importlib.import_module(location)
    except ImportError as error:
        raise ValueError(f"{what} {name!r}: cannot import {location}: {error}") from None
    except SyntaxError as error:
        raise ValueError(f"{what} {name!r}: {error.filename}, line {error.lineno}: {error.msg}") from None
    except Exception as error:  # the plug-in's own code failed; Python callers keep its traceback as the cause
        raise ValueError(f"{what} {name!r}: importing {location} raised {type(error).__name__}: {error}") from error
