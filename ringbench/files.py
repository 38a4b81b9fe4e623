"""ringbench's files: its cache directory, and writing so that a reader never sees half a file."""

import os
import secrets
from pathlib import Path

#: Prefix of the temporary files (after a dot); a directory scan can recognise and remove leftovers.
TEMPORARY = "tmp-"


def cache_directory():
    """Ringbench's cache: ``$RINGBENCH_CACHE``, else ``$XDG_CACHE_HOME/ringbench`` or ``~/.cache/ringbench``."""
    if os.environ.get("RINGBENCH_CACHE"):
        return Path(os.environ["RINGBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ringbench"


def write_atomically(path, write):
    """Call ``write(temporary_path)``, flush the file to disk and rename it to ``path``; return ``path``.

    The temporary file sits beside ``path`` (same file system, so the rename is
    atomic) and is removed if ``write`` fails.
    """
    path = Path(path)
    temporary = path.with_name(f".{TEMPORARY}{path.name}-{secrets.token_hex(4)}")
    try:
        write(temporary)
        flush(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_text_atomically(path, text):
    """:func:`write_atomically` of a text file."""
    return write_atomically(path, lambda temporary: temporary.write_text(text))


def flush(path):
    """Fsync a file or directory, so that a rename never exposes data still only in memory."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
