"""The result files of a sweep: written atomically, found again on resume, never half-written.

Layout of an output directory::

    runs/<run_id>.npz, runs/<run_id>.json   one finished run (ringbench.Result.save format)
    summary.csv, summary.parquet            the tidy table (see :mod:`.table`)
    .lock                                   held while a sweep writes here

A run is saved under a temporary name in ``runs/`` (same file system), flushed to
disk, and renamed: first the ``.npz``, then the ``.json``. So a run is finished exactly
when its ``.json`` exists, and whatever a killed sweep left behind (temporary files, an
``.npz`` without its ``.json``) is incomplete and removed when the next sweep opens
the directory. Run ids are digests of the run's configuration, so a resumed sweep
skips exactly the runs that finished.
"""

import os
import secrets
from pathlib import Path

from ..results import load

_TEMPORARY = "tmp-"


class Store:
    """The runs directory of one sweep output directory; use as a context manager (it holds a lock).

    Parameters
    ----------
    root : path
        The sweep's output directory (created if missing).
    """

    def __init__(self, root):
        self.root = Path(root)
        self.runs = self.root / "runs"
        self._lock = None

    def __enter__(self):
        import fcntl  # POSIX only: imported here so that ringbench (and its CLI) still imports elsewhere

        self.runs.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.root / ".lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ValueError(f"another sweep is writing to {str(self.root)!r}; wait for it or choose another "
                             "--out") from None
        self._remove_incomplete()
        return self

    def __exit__(self, *exc_info):
        self._lock.close()  # closing releases the lock

    def _remove_incomplete(self):
        for path in self.runs.iterdir():
            incomplete = path.name.startswith(_TEMPORARY) or (
                path.suffix == ".npz" and not path.with_suffix(".json").exists())
            if incomplete:
                path.unlink()

    def finished(self):
        """The run ids whose results are complete."""
        return {path.stem for path in self.runs.glob("*.json") if not path.name.startswith(_TEMPORARY)}

    def path(self, run_id):
        """Stem of a run's files (``runs/<run_id>``)."""
        return self.runs / run_id

    def save(self, run_id, result):
        """Write ``result`` as run ``run_id``, atomically: after a crash it is either complete or absent."""
        temporary = self.runs / f"{_TEMPORARY}{run_id}-{secrets.token_hex(4)}"
        written = result.save(temporary)
        for path in written:
            _flush(path)
        for path in written:  # .npz first, then .json: the .json marks the run finished
            os.replace(path, self.path(run_id).with_suffix(path.suffix))
        _flush(self.runs)

    def load(self, run_id):
        """The :class:`ringbench.Result` of a finished run."""
        return load(self.path(run_id))


def write_atomically(path, write):
    """Call ``write(temporary_path)``, flush the file and rename it to ``path``."""
    path = Path(path)
    temporary = path.with_name(f".{_TEMPORARY}{path.name}-{secrets.token_hex(4)}")
    try:
        write(temporary)
        _flush(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _flush(path):
    """fsync a file or directory, so that a rename never exposes data still only in memory."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
