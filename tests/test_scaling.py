"""The scaling study: once n passes m*, Ringmaster and Rennala stay flat while vanilla ASGD slows down."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from ringbench import scaling, theory

NS = (10, 30, 1000)  # m* = 10, 22, 22 under the sqrt profile with sigma^2/eps = 16


@pytest.fixture(scope="module")
def rows():
    return scaling.study(scaling.problem(), "sqrt", NS, eps=scaling.DEFAULT_EPS,
                         names=("ringmaster", "rennala", "asgd"), seeds=1)


def measured(rows, name, n):
    (row,) = [row for row in rows if row["method"] == name and row["n"] == n]
    return row["measured"]


def test_every_run_reaches_eps_and_matches_the_theory_bookkeeping(rows):
    problem = scaling.problem()
    Delta = problem.initial_gap()
    assert [row["m_star"] for row in rows if row["method"] == "asgd"] == [10, 22, 22]
    for row in rows:
        assert row["measured"] is not None and row["measured"] > 0
        assert row["ratio"] == row["measured"] / row["predicted"]
        tau = np.sqrt(np.arange(1.0, row["n"] + 1))
        expected = theory.homogeneous_times(tau, problem.L, Delta, problem.sigma2, scaling.DEFAULT_EPS)
        assert row["predicted"] == pytest.approx(expected[row["method"]], rel=1e-12)


def test_optimal_methods_stay_flat_past_m_star_while_asgd_grows(rows):
    for name in ("ringmaster", "rennala"):
        assert 0.8 <= measured(rows, name, 1000) / measured(rows, name, 30) <= 1.25, name
    # The theory predicts a factor (1000 + 16) / sum_{i<=1000} i^-1/2 over (30 + 16) / sum_{i<=30} i^-1/2, about 3.4.
    assert measured(rows, "asgd", 1000) >= 2.0 * measured(rows, "asgd", 30)


def test_measured_to_predicted_ratio_of_optimal_methods_stays_in_a_band(rows):
    bands = scaling.bands(rows)
    for name in ("ringmaster", "rennala"):
        low, high = bands[name]
        assert high / low <= 1.5, name


def test_table_and_plot(rows):
    text = scaling.format_table(rows + [{**rows[0], "measured": None, "ratio": None}])
    assert "not reached" in text and "measured/predicted over the grid" in text
    for name in ("ringmaster", "rennala", "asgd"):
        assert name in text
    figure = scaling.plot(rows, title="test")
    assert isinstance(figure, Figure)
    times, ratios = figure.axes
    for axes in (times, ratios):
        assert axes.get_xscale() == axes.get_yscale() == "log"
    labels = [line.get_label() for line in times.get_lines()]
    assert "lower bound" in labels and "ringmaster" in labels


@pytest.mark.parametrize("arguments, parameter", [
    ({"profile": "nope"}, "timing profile"),
    ({"ns": ()}, "ns"),
    ({"ns": (0,)}, "n must"),
    ({"names": ("fedbuff",)}, "method"),
    ({"seeds": 0}, "seeds"),
    ({"budget": 0.5}, "budget"),
    ({"eps": 0.0}, "eps"),
])
def test_bad_input_names_the_parameter(arguments, parameter):
    with pytest.raises(ValueError, match=parameter):
        scaling.study(scaling.problem(), **{"ns": (4,), **arguments})
