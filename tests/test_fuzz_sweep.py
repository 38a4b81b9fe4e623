"""Fuzzing sweep configurations: a random TOML grid, checked with ``ringbench sweep --dry-run``, ends with
status 0 or 2 and one error line, never a traceback, and in well under a second (nothing is run).
"""

import json
import math

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_fuzz_cli import call

#: TOML values, good and bad, for any key: numbers at the edges, text, arrays, grid tables.
SCALARS = st.sampled_from([0, 1, 2, 3, -1, 2.5, 1e308, 10**12, 2**63, math.nan, math.inf, "x", "", True,
                           "paper", "worst-case", "asgd", "ringmaster", 0.1, 1e-300])
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.fixed_dictionaries({"powers": SCALARS, "from": SCALARS, "to": SCALARS}),
                   st.fixed_dictionaries({"n_over_powers": SCALARS}))


def toml(value):
    """``value`` as a TOML value (json writes strings, lists and numbers the way TOML reads them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else "inf"
    if isinstance(value, list):
        return "[" + ", ".join(map(toml, value)) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


def mostly(good):
    """``good`` 8 times in 10, else any value: so that many configurations are valid."""
    return st.tuples(st.integers(0, 9), VALUES).map(lambda drawn: good if drawn[0] < 8 else drawn[1])


def table(name, required, optional):
    """A TOML array-of-tables entry: its required keys, mostly good, and a few optional ones, any value."""
    good = st.fixed_dictionaries({key: mostly(value) for key, value in required.items()})
    extra = st.dictionaries(st.sampled_from(optional), VALUES, max_size=1)
    return st.tuples(good, extra).map(lambda parts: (name, {**parts[0], **parts[1]}))


@st.composite
def configurations(draw):
    top = draw(st.fixed_dictionaries({"n": mostly([2]), "t_max": mostly(1.0)},
                                     optional={"max_updates": mostly(5), "checkpoints": mostly(10),
                                               "target": mostly(0.1)}))
    if draw(st.integers(0, 9)) == 0:  # now and then a key the format does not have, or no budget
        top[draw(st.sampled_from(["colour", "seed", "t_max"]))] = draw(VALUES)
        top.pop("t_max", None) if draw(st.booleans()) else None
    seeds = draw(st.fixed_dictionaries({"root": mostly(1), "replicates": mostly(1)}))
    tables = [draw(table("problems", {"name": "worst-case", "d": 3}, ["noise_std", "d", "noise", "dataset"])),
              draw(table("timings", {"name": "paper"}, ["permutation_seed", "scale"])),
              draw(table("methods", {"name": "ringmaster", "gamma": 0.1, "threshold": 2},
                         ["eps", "stops", "label", "S"]))]
    lines = [f"{key} = {toml(value)}" for key, value in top.items()]
    lines += ["[seeds]", *(f"{key} = {toml(value)}" for key, value in seeds.items())]
    for name, entries in tables:
        lines += [f"[[{name}]]", *(f"{key} = {toml(value)}" for key, value in entries.items())]
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(configurations())
def test_random_sweep_configurations_exit_0_or_2(tmp_path, text):
    config = tmp_path / "sweep.toml"
    config.write_text(text)
    status, stdout, stderr = call(["sweep", str(config), "--dry-run", "--out", str(tmp_path / "out")])
    event(f"exit {status}")
    assert status in (0, 2), (text, stderr)
    assert "Traceback" not in stderr
    if status == 2:
        assert stderr.startswith("ringbench: error: ") and stderr.count("\n") == 1, (text, stderr)
    else:
        assert "to run" in stdout
