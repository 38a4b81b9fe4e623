"""What every sweep reports over seeds, per setting and parameter point: quartiles, divergences, band figures.

A parameter point is one method table's candidate (its label and parameters) on one
setting (problem, timing, n); its seeds are the replicates of a plain sweep, or the
reporting seeds of a tuning sweep. For each point the table gives the median and the
interquartile range of the final metrics and of the time to target, a diverged run
counting as +inf (as in the band figures) and a target never reached as +inf time,
and names the seeds that diverged.
"""

import functools
import json
import math

import numpy as np

from ..files import write_atomically
from ..formatting import short, text_table
from ..plotting import objective_metric
from . import bands
from .config import describe_setting, setting_key

#: Summary columns whose quartiles the table gives.
FINALS = ("final_grad_norm2", "final_f_gap", "final_f", "time_to_target")


def points(specs):
    """``{setting key: {point key: [specs]}}`` in grid order: the seeds of each parameter point."""
    grouped = {}
    for spec in specs:
        point = (spec.label, json.dumps(spec.method, sort_keys=True))
        grouped.setdefault(setting_key(spec.problem, spec.timing), {}).setdefault(point, []).append(spec)
    return grouped


def point_name(label, method, varied):
    """``label`` plus the parameters in ``varied`` (those that differ between the label's points)."""
    parameters = " ".join(f"{key}={short(method[key])}" for key in sorted(varied))
    return f"{label} {parameters}".strip()


def _varied(setting_points):
    """``{label: parameter names whose values differ between that label's points}``."""
    values = {}
    for label, text in setting_points:
        for key, value in json.loads(text).items():
            values.setdefault(label, {}).setdefault(key, set()).add(json.dumps(value))
    return {label: {key for key, seen in keys.items() if len(seen) > 1} for label, keys in values.items()}


def statistics(specs, rows):
    """One row per parameter point: seeds, divergences, and quartiles of :data:`FINALS`.

    Parameters
    ----------
    specs : list of RunSpec
        The runs to report on (a plain sweep's, or a tuning sweep's reporting runs).
    rows : dict
        ``{run_id: summary row}`` (see :mod:`.table`).

    Returns
    -------
    list of dict
        Columns ``setting``, ``label``, ``point``, ``method`` and ``method.*``, ``seeds``,
        ``diverged``, ``diverged_seeds`` (JSON list of seed indices), ``reached`` (with a
        target), and ``<final>_median``, ``<final>_q25``, ``<final>_q75``.
    """
    table = []
    for setting_points in points(specs).values():
        varied = _varied(setting_points)
        for (label, text), seeds in setting_points.items():
            method = json.loads(text)
            seed_rows = [rows[spec.run_id] for spec in seeds]
            diverged = [spec.seed_index for spec, row in zip(seeds, seed_rows) if row["status"] == "diverged"]
            entry = {"setting": describe_setting(seeds[0].problem, seeds[0].timing), "label": label,
                     "point": point_name(label, method, varied[label]), "method": method["name"],
                     **{f"method.{key}": value for key, value in method.items() if key != "name"},
                     "seeds": len(seeds), "diverged": len(diverged), "diverged_seeds": json.dumps(diverged)}
            if "time_to_target" in seed_rows[0]:
                entry["reached"] = sum(row["time_to_target"] is not None for row in seed_rows)
            for column in FINALS:
                values = _values(seed_rows, column)
                if values is not None:
                    quartiles = bands.quantiles(values)
                    entry.update({f"{column}_q25": float(quartiles[0]), f"{column}_median": float(quartiles[1]),
                                  f"{column}_q75": float(quartiles[2])})
            table.append(entry)
    return table


def _values(seed_rows, column):
    """The seeds' values of ``column`` (+inf when diverged or never reached), or None if the column is absent."""
    if column not in seed_rows[0]:
        return None
    if column != "time_to_target" and all(row[column] is None for row in seed_rows):
        return None  # e.g. f - f* of a problem whose f* is unknown
    if column == "final_f" and seed_rows[0].get("final_f_gap") is not None:
        return None  # f - f* says it already
    return np.array([math.inf if row["status"] == "diverged" or row[column] is None else row[column]
                     for row in seed_rows])


def divergences(table):
    """Text lines naming each parameter point that diverged on some seed, and on which."""
    return [f"{entry['point']} on {entry['setting']}: diverged on {entry['diverged']} of {entry['seeds']} seeds "
            f"(seed indices {', '.join(map(str, json.loads(entry['diverged_seeds'])))})"
            for entry in table if entry["diverged"]]


def format_table(table):
    """Plain-text table: per point, median [q25, q75] of ||grad f||^2, f - f* (or f), and time to target."""
    columns = [column for column in FINALS if any(f"{column}_median" in entry for entry in table)]
    lines = [("setting / point", "seeds", "diverged", *(f"{column} median [IQR]" for column in columns))]
    setting = None
    for entry in table:
        if entry["setting"] != setting:
            setting = entry["setting"]
            lines.append((setting, "", "", *("" for _ in columns)))
        lines.append(("  " + entry["point"], str(entry["seeds"]), str(entry["diverged"]),
                      *(_quartile_text(entry, column) for column in columns)))
    return "\n".join(text_table(lines))


def _quartile_text(entry, column):
    if f"{column}_median" not in entry:
        return ""
    q25, median, q75 = (entry[f"{column}_{name}"] for name in ("q25", "median", "q75"))
    return f"{median:.3g} [{q25:.3g}, {q75:.3g}]"


def write_figures(specs, load, root):
    """``bands-<k>.png`` for each setting k (1-based, grid order): medians and IQR bands of each point.

    Parameters
    ----------
    specs : list of RunSpec
    load : callable
        ``load(run_id) -> ringbench.Result``.
    root : Path
        Directory to write into.

    Returns
    -------
    list of Path
    """
    paths = []
    for number, setting_points in enumerate(points(specs).values(), start=1):
        varied = _varied(setting_points)
        groups = {point_name(label, json.loads(text), varied[label]): [load(spec.run_id) for spec in seeds]
                  for (label, text), seeds in setting_points.items()}
        first = next(iter(setting_points.values()))[0]
        metrics = ("grad_norm2", objective_metric([result for results in groups.values() for result in results]))
        figure = bands.figure(groups, title=describe_setting(first.problem, first.timing), metrics=metrics)
        paths.append(write_atomically(root / f"bands-{number}.png",
                                      functools.partial(figure.savefig, format="png", dpi=120)))
    return paths
