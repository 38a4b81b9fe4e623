"""The tidy summary table of a sweep: one row per run, one column per variable, with provenance.

Columns, in this order: the run (``run_id``, ``role``, ``seed_index``, ``label``,
``method``), its parameters (``method.*`` as configured, ``resolved.*`` after theory
mode, ``problem`` and ``problem.*``, ``timing``, ``n`` and ``timing.*``, budget), the
outcome (status, final metrics, time to target, counters) and provenance (seed entropy
and spawn key, package versions, platform, host, executor, wall seconds, result file).
Written as CSV, and as Parquet when pyarrow is installed.
"""

import csv
import json

from ..files import write_atomically

_COUNTERS = ("updates", "arrivals", "computed", "applied", "discarded", "cancelled", "wasted", "mean_delay",
             "max_delay", "end_time")
# Column groups in table order (the summary's, and the tuning table's setting and scores): a column belongs
# to the first group that it equals or, for a group ending in "_" or ".", starts with.
_GROUPS = ("setting", "run_id", "role", "seed_index", "label", "point", "method", "method.", "resolved.", "problem",
           "problem.", "timing", "n", "timing.", "t_max", "max_updates", "status", "score", "seed_scores", "seeds",
           "diverged", "diverged_seeds", "reached", "chosen", "final_", "target", "time_to_target", "diverged_",
           "counter.", "seed_", "version.", "python", "platform", "host", "executor", "wall_seconds", "file")


def outcome(result, *, target=None):
    """The columns of a finished run that come from its result: what :class:`.store.Store` indexes.

    Parameters
    ----------
    result : ringbench.Result
    target : float, optional
        ||grad f||^2 level for the ``time_to_target`` column.
    """
    # Sorted, as a result file stores them: the columns of a fresh result and of its reloaded file agree in order.
    out = {f"resolved.{key}": value for key, value in sorted(result.config["resolved"].items())}
    out["status"] = result.status
    has_rows = result.time.size > 0
    out.update(final_time=float(result.time[-1]) if has_rows else None,
               final_f=float(result.f[-1]) if has_rows and result.f is not None else None,
               final_f_gap=float(result.f_gap[-1]) if has_rows and result.f_gap is not None else None,
               final_grad_norm2=float(result.grad_norm2[-1]) if has_rows else None)
    if target is not None:
        out.update(target=target, time_to_target=result.time_to(target))
    diverged = result.diverged_at or {}
    out.update(diverged_time=diverged.get("time"), diverged_iteration=diverged.get("iteration"))
    out.update({f"counter.{name}": result.counters[name] for name in _COUNTERS})
    provenance = result.provenance
    out.update(seed_entropy=provenance["seed_entropy"], seed_spawn_key=json.dumps(provenance["seed_spawn_key"]))
    out.update({f"version.{package}": version for package, version in sorted(provenance["versions"].items())})
    run = provenance.get("sweep", {})
    out.update(python=provenance["python"], platform=provenance["platform"], host=run.get("host"),
               executor=run.get("executor"), wall_seconds=run.get("wall_seconds"))
    return out


def row(spec, result_columns, *, file=None):
    """The summary row of one finished run: its spec's columns, then ``result_columns`` (see :func:`outcome`).

    Parameters
    ----------
    spec : RunSpec
    result_columns : dict
        :func:`outcome` of the run's result.
    file : str, optional
        Where the run's files are, for the ``file`` column.
    """
    out = {"run_id": spec.run_id, "role": spec.role, "seed_index": spec.seed_index, "label": spec.label,
           "method": spec.method["name"]}
    out.update({f"method.{key}": value for key, value in spec.method.items() if key != "name"})
    out["problem"] = spec.problem["name"]
    out.update({f"problem.{key}": _cell(value) for key, value in spec.problem.items() if key != "name"})
    out["timing"] = spec.timing["name"]
    out["n"] = spec.timing["n"]
    out.update({f"timing.{key}": value for key, value in spec.timing.items() if key not in ("name", "n")})
    out.update(t_max=spec.t_max, max_updates=spec.max_updates, **result_columns, file=file)
    return out


def _cell(value):
    """A table cell: structured values (a split table) as their JSON text."""
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def columns(rows):
    """All columns of ``rows`` in table order (groups as documented, then first appearance)."""
    seen, shapes = {}, set()
    for item in rows:
        shape = tuple(item)  # rows share a few key sets: look at each set once
        if shape not in shapes:
            shapes.add(shape)
            for key in shape:
                seen.setdefault(key, len(seen))

    def rank(key):
        group = next((index for index, prefix in enumerate(_GROUPS)
                      if key == prefix or (prefix.endswith(("_", ".")) and key.startswith(prefix))), len(_GROUPS))
        return group, seen[key]

    return sorted(seen, key=rank)


def write_csv(rows, path):
    """Write ``rows`` as CSV (missing values empty), atomically; return the path."""
    header = columns(rows)

    def write(temporary):
        with open(temporary, "w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            writer.writerows([item.get(key) for key in header] for item in rows)  # None: an empty cell

    return write_atomically(path, write)


def write_parquet(rows, path):
    """Write ``rows`` as Parquet, atomically; return the path, or None when pyarrow is not installed."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ModuleNotFoundError:
        return None
    header = columns(rows)
    table = pyarrow.Table.from_pydict({key: [item.get(key) for item in rows] for key in header})
    return write_atomically(path, lambda temporary: pyarrow.parquet.write_table(table, temporary))
