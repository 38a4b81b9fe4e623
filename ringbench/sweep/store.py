"""The result files of a sweep: written atomically, found again on resume, never half-written.

Layout of an output directory::

    runs/<run_id>.npz, runs/<run_id>.json   one finished run (ringbench.Result.save format)
    index.jsonl                             one line per finished run: its summary columns
    summary.csv, summary.parquet            the tidy table (see :mod:`.table`)
    .lock                                   held while a sweep writes here

A run is saved under a temporary name in ``runs/`` (same file system), flushed to
disk, and renamed: first the ``.npz``, then the ``.json``. So a run is finished exactly
when its ``.json`` exists, and whatever a killed sweep left behind (temporary files, an
``.npz`` without its ``.json``) is incomplete and removed when the next sweep opens
the directory. Run ids are digests of the run's configuration, so a resumed sweep
skips exactly the runs that finished.

The index is what makes summaries of 10^5 runs cheap: after a run's files are
written, its summary columns (:func:`.table.outcome`) are appended to
``index.jsonl``, so a summary reads one file instead of every result. A line a
crash cut short, or a run the index lacks (a sweep killed between the two writes,
results copied in by hand), is computed again from the run's files, as is every run
when a rebuild is asked for.
"""

import json
import os
from pathlib import Path

from ..files import TEMPORARY, flush, write_text_atomically
from ..results import load

INDEX = "index.jsonl"


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
        names = set(os.listdir(self.runs))  # one listing, not a stat per file: 10^5 runs stay cheap
        for name in names:
            incomplete = name.startswith((TEMPORARY, f".{TEMPORARY}")) or (
                name.endswith(".npz") and f"{name[:-4]}.json" not in names)
            if incomplete:
                (self.runs / name).unlink()

    def finished(self):
        """The run ids whose results are complete."""
        if not self.runs.is_dir():
            return set()
        return {name[:-5] for name in os.listdir(self.runs) if name.endswith(".json") and not name.startswith(".")}

    def path(self, run_id):
        """Stem of a run's files (``runs/<run_id>``)."""
        return self.runs / run_id

    def save(self, run_id, result, columns, *, key):
        """Write ``result`` as run ``run_id``, then append its summary ``columns`` (made with ``key``, see
        :meth:`columns`) to the index.

        :meth:`ringbench.Result.save` writes each file atomically, the ``.npz`` first:
        the ``.json`` marks the run finished; after a crash the run is complete or absent.
        """
        result.save(self.path(run_id))
        flush(self.runs)
        with open(self.root / INDEX, "a") as stream:
            stream.write(_entry_line(run_id, {"key": key, "columns": columns}))

    def columns(self, run_ids, compute, *, key, rebuild=False):
        """The summary columns of the finished runs ``run_ids``, from the index where it has them.

        Parameters
        ----------
        run_ids : iterable of str
        compute : callable
            ``compute(result) -> dict``: the columns of a run, for those the index lacks.
        key : dict
            What the columns depend on besides the run (e.g. the target); an index line
            made with another key is computed again.
        rebuild : bool
            Compute every run's columns from its files and rewrite the index.

        Returns
        -------
        dict
            ``{run_id: columns}``.
        """
        indexed = {} if rebuild else self._read_index(key)
        found, missing = {}, []
        for run_id in run_ids:
            if run_id in indexed:
                found[run_id] = indexed[run_id]
            else:
                missing.append(run_id)
        computed = {run_id: {"key": key, "columns": compute(self.load(run_id))} for run_id in missing}
        if rebuild:
            write_text_atomically(self.root / INDEX, "".join(
                _entry_line(run_id, entry) for run_id, entry in computed.items()))
        elif computed:
            with open(self.root / INDEX, "a") as stream:
                stream.writelines(_entry_line(run_id, entry) for run_id, entry in computed.items())
        found.update({run_id: entry["columns"] for run_id, entry in computed.items()})
        return found

    def _read_index(self, key):
        """``{run_id: columns}`` of the index lines made with ``key``; the last line of a run wins."""
        indexed = {}
        try:
            stream = open(self.root / INDEX)
        except FileNotFoundError:
            return indexed
        with stream:
            for text in stream:
                try:
                    entry = json.loads(text)
                except json.JSONDecodeError:  # a line a crash cut short: that run is computed again
                    continue
                if entry.get("key") == key:
                    indexed[entry["run_id"]] = entry["columns"]
        return indexed

    def load(self, run_id):
        """The :class:`ringbench.Result` of a finished run."""
        return load(self.path(run_id))


def _entry_line(run_id, entry):
    return json.dumps({"run_id": run_id, **entry}, default=_plain) + "\n"


def _plain(value):
    """NumPy scalars as Python numbers (JSON has no other)."""
    return value.item()
