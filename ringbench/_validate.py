"""Input checks shared by the Python API: each raises ``ValueError`` naming the parameter.

Every public entry point validates with these before it builds arrays or calls a
jitted kernel, so bad input fails in milliseconds with a message that says what
is allowed, never after a compile or a long run.
"""

import math
import numbers
import os
import tempfile
from pathlib import Path

import numpy as np

#: The largest integer the jitted kernels hold (their counters and parameters are int64).
INT64_MAX = int(np.iinfo(np.int64).max)
#: Environment variable overriding the memory a run may plan to use, in bytes (suffixes K, M, G, T allowed).
MEMORY_ENV_VAR = "RINGBENCH_MEMORY_LIMIT"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def integer(name, value, *, minimum=None, maximum=INT64_MAX, floats=True):
    """Return ``value`` as an int in [``minimum``, ``maximum``]; reject floats with a fraction, bools, NaN.

    ``maximum`` defaults to the int64 range every jitted kernel holds, so an integer that
    passes never overflows inside compiled code. ``floats=False`` also rejects an integral
    float, for a value that is used as it is, not as the int returned.
    """
    allowed = (numbers.Integral, float, np.floating) if floats else numbers.Integral
    if isinstance(value, bool) or not isinstance(value, allowed):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, (float, np.floating)) and not (np.isfinite(value) and value == int(value)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def memory_limit():
    """Bytes a run may plan to allocate: ``$RINGBENCH_MEMORY_LIMIT``, else the machine's physical memory."""
    text = os.environ.get(MEMORY_ENV_VAR, "").strip().upper().removesuffix("B")
    if text:
        number, unit = (text[:-1], text[-1]) if text[-1] in _UNITS else (text, "")
        try:
            limit = float(number) * _UNITS[unit]
        except ValueError:
            limit = float("nan")
        if not limit > 0 or not np.isfinite(limit):
            raise ValueError(f"${MEMORY_ENV_VAR} must be a positive number of bytes (suffix K, M, G or T "
                             f"allowed), got {os.environ[MEMORY_ENV_VAR]!r}")
        return limit
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def memory(name, value, nbytes):
    """Check that ``nbytes``, what ``name`` = ``value`` needs, fits in :func:`memory_limit`.

    Called before allocating, so that a size too large for the machine is a one-line
    error in milliseconds instead of a ``MemoryError`` (or swapping) later.
    """
    limit = memory_limit()
    if nbytes > limit:
        raise ValueError(f"{name} = {value} needs about {_size(nbytes)} of memory, more than the "
                         f"{_size(limit)} available; make it smaller (or set ${MEMORY_ENV_VAR}, in bytes, "
                         "to allow more)")


def _size(nbytes):
    for unit in ("T", "G", "M", "K"):
        if nbytes >= _UNITS[unit]:
            return f"{nbytes / _UNITS[unit]:.3g} {unit}B"
    return f"{nbytes:.0f} B"


def count(name, value, *, minimum=1, bytes_each):
    """:func:`integer` >= ``minimum`` whose ``value * bytes_each`` bytes fit in :func:`memory_limit`."""
    value = integer(name, value, minimum=minimum)
    memory(name, value, value * bytes_each)
    return value


#: Bytes per checkpoint: its grid time, its row in the recorder, its entries in the Result arrays.
CHECKPOINT_BYTES = 8 + 4 * 8 + 5 * 8
#: Bytes per worker of the timing model, heap, and per-worker state (a few int64/float64 arrays each).
WORKER_BYTES = 8 * 8
#: Bytes per stale iterate besides its d float64 values: pool bookkeeping and heap entries.
SNAPSHOT_OVERHEAD = 6 * 8
#: Copies of a trace row held at once at the end of a run: the drained blocks, their concatenation, the columns.
TRACE_COPIES = 3


def run_memory(n, d, snapshots, checkpoints, *, factor_size=0, trace_rows=0, trace_buffer=0, trace_row_bytes=0):
    """Check the arrays of one simulation fit in memory before any is allocated.

    Parameters
    ----------
    n, d, snapshots : int
        Workers, dimension, and stale iterates (of d values each) the method keeps.
    checkpoints : int or float
        The most checkpoint rows the run can record (time grid plus update interval).
    factor_size : int
        Entries of each worker's factored gradient, for a run whose jobs are evaluated when they start.
    trace_rows, trace_buffer, trace_row_bytes : int or float
        The most rows of each trace table, the rows of the recorder's trace buffer, and the
        bytes of one event and one update row together (with the iterate, for ``trace="iterates"``).
    """
    nbytes = (n * (WORKER_BYTES + 8 * factor_size) + snapshots * (8 * d + SNAPSHOT_OVERHEAD)
              + checkpoints * CHECKPOINT_BYTES + 8 * 8 * d
              + (TRACE_COPIES * trace_rows + trace_buffer) * trace_row_bytes)
    memory("the run (n workers, dimension d, stale iterates, checkpoints, trace rows)",
           f"({n}, {d}, {snapshots}, {checkpoints:.0f}, {trace_rows:.0f})", nbytes)


#: Job arrivals beyond which a run could not finish (days at ~10^7 events per second).
MAX_ARRIVALS = 1e12


def expected_arrivals(t_max, tau):
    """About how many jobs arrive in ``t_max`` simulated seconds on workers of mean durations ``tau`` (inf for None)."""
    if t_max is None:
        return np.inf
    with np.errstate(divide="ignore", over="ignore"):  # a subnormal duration: inf arrivals, refused by the caller
        return t_max * float(np.sum(1.0 / tau))


def run_length(t_max, max_updates, tau, *, names=("t_max", "max_updates")):
    """Check a run can finish: at most MAX_ARRIVALS job arrivals before its first budget ends it.

    It needs about min(t_max * sum_i 1/tau_i, max_updates) arrivals: an update takes at
    least one arrival, and ``names`` are the budgets' names for the message.
    """
    arrivals = expected_arrivals(t_max, tau)
    if min(arrivals, np.inf if max_updates is None else max_updates) <= MAX_ARRIVALS:
        return
    with np.errstate(divide="ignore", over="ignore"):
        rate = float(np.sum(1.0 / tau))  # arrivals per simulated second: t_max * rate may overflow, this may too
    if not np.isfinite(rate):
        raise ValueError(f"the timing model's mean job times (the smallest is {np.min(tau):.3g} s) mean more job "
                         "arrivals per simulated second than a float64 counts; make them larger")
    limits = [f"{names[0]} <= {MAX_ARRIVALS / rate:.3g} for this timing model"] if t_max else []
    limits += [f"{names[1]} <= {MAX_ARRIVALS:.0e}"]
    given = " and ".join(f"{name} = {value:g}" for name, value in zip(names, (t_max, max_updates), strict=True)
                         if value is not None)
    raise ValueError(f"{given} means at least about {min(arrivals, max_updates or np.inf):.3g} job arrivals, more "
                     f"than the {MAX_ARRIVALS:.0e} a run can finish; allowed is {' or '.join(limits)}")


def boolean(name, value):
    """Return ``value`` if it is True or False (not a truthy string such as ``"no"``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def sequence(name, value, items):
    """Return ``value`` as a list, if it is a sequence (not a string); ``items`` says what it should hold."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} must be a sequence of {items}, got {value!r}")
    return list(value)


def input_file(name, path, suffixes):
    """Return ``path`` as a Path if it names an existing file ending in one of ``suffixes``."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"{name} must be a file path (a string), got {path!r}")
    location = Path(path)
    if location.suffix not in suffixes:
        raise ValueError(f"{name} must be a {', '.join(suffixes)} file, got {str(path)!r}")
    if not location.is_file():
        raise ValueError(f"{name}: no file {str(path)!r}")
    return location


def writable_directory(name, path):
    """Create directory ``path`` if needed and check a file can be written in it; return it as a Path.

    Done before a run starts, so that its results are never lost to a destination that
    cannot take them (a file, a read-only place, a path under /proc).
    """
    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except FileExistsError:
        raise ValueError(f"{name} {str(path)!r} must be a directory, but a file of that name is in the way") from None
    except OSError as error:
        raise ValueError(f"{name} {str(path)!r} is not a writable directory ({error.strerror or error})") from None
    return path


def real(name, value, *, positive=False, minimum=None, maximum=None):
    """Return ``value`` as a finite float, optionally > 0, >= ``minimum`` or <= ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    try:
        value = float(value)
    except OverflowError:  # a Python int (or Fraction) beyond float64
        size = f" (about 10^{int(math.log10(abs(value)))})" if isinstance(value, int) else ""
        raise ValueError(f"{name} must be finite, got a number beyond float64{size}") from None
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}, got {value:g}")
    return value


def noise_variance(name, noise_std, dimension):
    """sigma^2 = ``dimension`` * ``noise_std``^2, or a ValueError naming ``name`` if that overflows a float."""
    largest = float(np.sqrt(np.finfo(np.float64).max / dimension))
    if noise_std > largest:
        raise ValueError(f"{name} = {noise_std:g} makes sigma^2 = d {name}^2 overflow at d = {dimension}; "
                         f"allowed is {name} <= {largest:.3g}")
    return dimension * noise_std**2


def array(name, values, *, ndim=1, positive=False, nonnegative=False, length=None):
    """Return ``values`` as a C-contiguous finite float64 array of ``ndim`` dimensions (None: any).

    Only integer and floating-point input is converted: booleans, strings and complex
    numbers are rejected rather than read as numbers (or cut to their real part).
    """
    try:
        given = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers ({error})") from None
    if given.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be an array of real numbers (integer or float), got dtype {given.dtype}"
                         + (" (mixed or nested sequences)" if given.dtype.kind == "O" else ""))
    result = np.asarray(given, dtype=np.float64, order="C")
    if ndim is not None and result.ndim != ndim:
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


def sparse(name, matrix):
    """Return the scipy.sparse ``matrix`` as a float64 CSR array with duplicate entries summed.

    As for :func:`array`, only integer and floating-point values are converted.
    """
    import scipy.sparse  # only callers holding a sparse matrix get here, and they have imported it

    if matrix.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real numbers (integer or float), got a sparse matrix of dtype "
                         f"{matrix.dtype}")
    result = scipy.sparse.csr_array(matrix, dtype=np.float64)
    result.sum_duplicates()
    bad = ~np.isfinite(result.data)
    if bad.any():  # named by (row, column), not by its place among the stored entries
        entry = int(np.argmax(bad))
        row = int(np.searchsorted(result.indptr, entry, side="right")) - 1
        raise ValueError(f"{name} must be finite (no NaN or inf); "
                         + _found(name, f"{row}, {result.indices[entry]}", result.data[entry]))
    return result


def _first_bad(name, values, bad, requirement):
    if bad.any():
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), values.shape))
        where = ", ".join(map(str, index))  # A[0, 1], not A[(np.int64(0), np.int64(1))]
        raise ValueError(f"{name} must be {requirement}; {_found(name, where, values[index])}")


def _found(name, where, value):
    """``tau[1] = 0``; for a descriptive name, ``entry [0, 1] is nan`` (not "the matrix A in file ...[0, 1]")."""
    return f"{name}[{where}] = {value}" if name.isidentifier() else f"entry [{where}] is {value}"


def choice(name, value, options):
    """Return ``value`` if it is one of ``options``."""
    if value not in options:
        allowed = ", ".join(repr(option) for option in options)
        raise ValueError(f"unknown {name} {value!r}; choose one of {allowed}")
    return value
