"""Tuning as in the papers: the best final metric on the tuning seeds picks each method's parameters.

For every setting (problem, timing model, n) and every ``[[methods]]`` table, each
candidate (a point of the table's grid, e.g. a stepsize gamma and a threshold R) runs on
the tuning seeds. Its score is the mean over those seeds of the final metric (f(x) - f*
by default, as in the Ringmaster paper's code, or ||grad f(x)||^2) at the time limit; a
run that diverged, or ended on a non-finite value, scores +inf, so a candidate that
diverges on any tuning seed ranks last. The lowest score wins; ties go to the candidate
first in grid order. A winner on the edge of its grid is flagged: the grid may be too
narrow (the paper's delay-adaptive ASGD picked the lowest stepsize of its grid).
"""

import dataclasses
import json
import math

from ..formatting import short, text_table
from .config import describe_setting, setting_key


@dataclasses.dataclass(frozen=True)
class Choice:
    """The tuned parameters of one method table on one setting.

    Attributes
    ----------
    setting : str
        Human label of the setting (problem | timing n).
    key : str
        Setting key, as in :func:`ringbench.sweep.config.setting_key`.
    label : str
        The method table's label.
    method : dict
        The chosen method name and parameters.
    score : float
        Its mean final metric over the tuning seeds (inf if it diverged).
    edges : tuple of str
        Parameters whose chosen value is the lowest or highest of a grid of several values.
    """

    setting: str
    key: str
    label: str
    method: dict
    score: float
    edges: tuple


def score(columns, metric):
    """The final ``metric`` of a run from its summary columns; +inf if it diverged or ended non-finite.

    Parameters
    ----------
    columns : dict
        The run's :func:`.table.outcome`, as the sweep's index holds it: scoring a tuning
        stage reads one index file, not every result.
    metric : {'f_gap', 'grad_norm2'}
    """
    final = columns[f"final_{metric}"]
    if columns["status"] == "diverged" or final is None or not math.isfinite(final):
        return math.inf
    return float(final)


def select(config, scores):
    """Pick each method's parameters on each setting.

    Parameters
    ----------
    config : SweepConfig
        A configuration with a ``[tuning]`` table.
    scores : dict
        ``{run_id: score}`` of every tuning run (see :func:`score`).

    Returns
    -------
    choices : list of Choice
        One per setting and method table, in grid order.
    candidates : list of dict
        One row per candidate: setting, label, parameters, per-seed scores, mean score, chosen.
    """
    choices, candidates = [], []
    for problem, timing in config.settings():
        for block in config.methods:
            options = block.candidates(timing["n"])
            rows = []
            for method in options:
                seeds = [scores[config.spec(problem, timing, block.label, method, "tuning", index).run_id]
                         for index in range(config.tuning.tuning_seeds)]
                mean = math.inf if math.inf in seeds else sum(seeds) / len(seeds)
                rows.append({"setting": describe_setting(problem, timing), "label": block.label,
                             "method": method["name"],
                             **{f"method.{key}": value for key, value in method.items() if key != "name"},
                             "score": mean, "seed_scores": json.dumps(seeds), "diverged_seeds": seeds.count(math.inf),
                             "chosen": False})
            best = min(range(len(options)), key=lambda index: rows[index]["score"])
            rows[best]["chosen"] = True
            candidates.extend(rows)
            choices.append(Choice(setting=describe_setting(problem, timing), key=setting_key(problem, timing),
                                  label=block.label, method=options[best], score=rows[best]["score"],
                                  edges=_edges(options, options[best])))
    return choices, candidates


def _edges(options, chosen):
    edges = []
    for parameter, value in chosen.items():
        values = {option[parameter] for option in options}
        if parameter == "name" or len(values) < 2 or isinstance(value, (bool, str)):
            continue
        if value == min(values):
            edges.append(f"{parameter} at the lowest grid value")
        elif value == max(values):
            edges.append(f"{parameter} at the highest grid value")
    return tuple(edges)


def chosen_methods(choices):
    """``{(setting key, label): method dict}`` for :meth:`SweepConfig.specs` with role ``reporting``."""
    return {(choice.key, choice.label): choice.method for choice in choices}


def to_json(choices, metric):
    """JSON text of the choices (for ``tuned.json``)."""
    return json.dumps({"metric": metric, "choices": [
        {"setting": choice.setting, "label": choice.label, "method": choice.method,
         "score": choice.score if math.isfinite(choice.score) else None, "edges": list(choice.edges)}
        for choice in choices]}, indent=2)


def format_choices(choices, metric):
    """A plain-text table of the choices."""
    lines = [("setting", "method", "chosen parameters", f"mean final {metric}", "note")]
    for choice in choices:
        parameters = ", ".join(f"{key}={short(value)}" for key, value in choice.method.items() if key != "name")
        lines.append((choice.setting, choice.label, parameters,
                      f"{choice.score:.3e}" if math.isfinite(choice.score) else "diverged",
                      "; ".join(choice.edges)))
    return "\n".join(text_table(lines))


__all__ = ["Choice", "chosen_methods", "format_choices", "score", "select", "to_json"]
