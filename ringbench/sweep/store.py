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

from pathlib import Path

from ..files import TEMPORARY, flush
from ..results import load


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
            incomplete = path.name.startswith((TEMPORARY, f".{TEMPORARY}")) or (
                path.suffix == ".npz" and not path.with_suffix(".json").exists())
            if incomplete:
                path.unlink()

    def finished(self):
        """The run ids whose results are complete."""
        return {path.stem for path in self.runs.glob("*.json")}

    def path(self, run_id):
        """Stem of a run's files (``runs/<run_id>``)."""
        return self.runs / run_id

    def save(self, run_id, result):
        """Write ``result`` as run ``run_id``: after a crash it is either complete or absent.

        :meth:`ringbench.Result.save` writes each file atomically, the ``.npz`` first:
        the ``.json`` marks the run finished.
        """
        result.save(self.path(run_id))
        flush(self.runs)

    def load(self, run_id):
        """The :class:`ringbench.Result` of a finished run."""
        return load(self.path(run_id))
