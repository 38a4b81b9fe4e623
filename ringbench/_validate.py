"""Input checks shared by the Python API: each raises ``ValueError`` naming the parameter.

Every public entry point validates with these before it builds arrays or calls a
jitted kernel, so bad input fails in milliseconds with a message that says what
is allowed, never after a compile or a long run.
"""

import numbers

import numpy as np


def integer(name, value, *, minimum=None):
    """Return ``value`` as an int; reject floats with a fraction, bools, NaN."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float, np.floating)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, (float, np.floating)) and not (np.isfinite(value) and value == int(value)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def real(name, value, *, positive=False, minimum=None):
    """Return ``value`` as a finite float, optionally > 0 or >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def array(name, values, *, ndim=1, positive=False, nonnegative=False, length=None):
    """Return ``values`` as a C-contiguous finite float64 array of ``ndim`` dimensions."""
    try:
        result = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers ({error})") from None
    if result.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {result.shape}")
    if result.size == 0:
        raise ValueError(f"{name} must not be empty")
    if length is not None and result.shape[0] != length:
        raise ValueError(f"{name} must have length {length}, got {result.shape[0]}")
    _first_bad(name, result, ~np.isfinite(result), "finite (no NaN or inf)")
    if positive:
        _first_bad(name, result, result <= 0, "> 0")
    if nonnegative:
        _first_bad(name, result, result < 0, ">= 0")
    return result


def _first_bad(name, values, bad, requirement):
    if bad.any():
        index = np.unravel_index(int(np.argmax(bad)), values.shape)
        where = index[0] if len(index) == 1 else index
        raise ValueError(f"{name} must be {requirement}; {name}[{where}] = {values[index]}")


def choice(name, value, options):
    """Return ``value`` if it is one of ``options``."""
    if value not in options:
        allowed = ", ".join(repr(option) for option in options)
        raise ValueError(f"unknown {name} {value!r}; choose one of {allowed}")
    return value
