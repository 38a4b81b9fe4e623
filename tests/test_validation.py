"""Every bad input raises ValueError naming the parameter, before anything is compiled or run."""

import json
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

import ringbench
import ringbench.cli
from ringbench import Recording, methods, problems, timing
from ringbench.engine.errors import RuleError
from ringbench.problems import registry as problem_registry
from ringbench.problems import splits
from ringbench.sweep import simulate_seeds

Quadratic = problems.Quadratic
nan, inf = float("nan"), float("inf")

# (label, callable, regex the message must match: the parameter's name)
TIMING_CASES = [
    ("tau zero", lambda: timing.fixed([1.0, 0.0]), r"\btau\b"),
    ("tau negative", lambda: timing.fixed([-1.0]), r"\btau\b"),
    ("tau nan", lambda: timing.fixed([1.0, nan]), r"\btau\b"),
    ("tau inf", lambda: timing.fixed([inf]), r"\btau\b"),
    ("tau empty", lambda: timing.fixed([]), r"\btau\b"),
    ("tau 2-d", lambda: timing.fixed([[1.0, 2.0]]), r"\btau\b"),
    ("tau text", lambda: timing.fixed(["fast"]), r"\btau\b"),
    ("base zero", lambda: timing.random([0.0], [1.0]), r"\bbase\b"),
    ("base nan", lambda: timing.random([nan], [1.0]), r"\bbase\b"),
    ("scale negative", lambda: timing.random([1.0], [-0.5]), r"\bscale\b"),
    ("scale nan", lambda: timing.random([1.0], [nan]), r"\bscale\b"),
    ("scale inf", lambda: timing.random([1.0], [inf]), r"\bscale\b"),
    ("scale length", lambda: timing.random([1.0, 2.0], [1.0]), r"\bscale\b"),
    ("unknown distribution", lambda: timing.random([1.0], [1.0], "gamma"), r"\bdistribution\b"),
    ("unknown distribution normal", lambda: timing.random([1.0], [1.0], "normal"), r"\bdistribution\b"),
    ("unknown profile", lambda: timing.profile("nope", 4), r"\bprofile\b"),
    ("profile n zero", lambda: timing.profile("paper", 0), r"\bn\b"),
    ("profile n negative", lambda: timing.profile("linear", -2), r"\bn\b"),
    ("profile n fractional", lambda: timing.profile("paper", 2.5), r"\bn\b"),
    ("profile n bool", lambda: timing.profile("paper", True), r"\bn\b"),
    ("profile n nan", lambda: timing.profile("paper", nan), r"\bn\b"),
    ("permutation seed", lambda: timing.profile("ringleader", 4, permutation_seed=-1), r"permutation_seed"),
    ("piecewise final rate zero", lambda: timing.piecewise([0.0, 1.0], [[1.0, 0.0]]), r"\brates\b"),
    ("piecewise final rate zero, 2nd worker",
     lambda: timing.piecewise([0.0, 1.0], [[1.0, 1.0], [2.0, 0.0]]), r"\brates\b"),
    ("piecewise negative rate", lambda: timing.piecewise([0.0, 1.0], [[-1.0, 1.0]]), r"\brates\b"),
    ("piecewise nan rate", lambda: timing.piecewise([0.0, 1.0], [[nan, 1.0]]), r"\brates\b"),
    ("piecewise rates 1-d", lambda: timing.piecewise([0.0, 1.0], [1.0, 1.0]), r"\brates\b"),
    ("piecewise rates shape", lambda: timing.piecewise([0.0, 1.0], [[1.0, 1.0, 1.0]]), r"\brates\b"),
    ("breakpoints not from 0", lambda: timing.piecewise([1.0, 2.0], [[1.0, 1.0]]), r"\bbreakpoints\b"),
    ("breakpoints decreasing", lambda: timing.piecewise([0.0, 2.0, 1.0], [[1.0, 1.0, 1.0]]), r"\bbreakpoints\b"),
    ("breakpoints repeated", lambda: timing.piecewise([0.0, 1.0, 1.0], [[1.0, 1.0, 1.0]]), r"\bbreakpoints\b"),
    ("breakpoints nan", lambda: timing.piecewise([0.0, nan], [[1.0, 1.0]]), r"\bbreakpoints\b"),
    ("power law exponent < -1", lambda: timing.power_law([1.0], [-1.5]), r"\bexponent\b"),
    ("power law exponent nan", lambda: timing.power_law([1.0], [nan]), r"\bexponent\b"),
    ("power law exponent length", lambda: timing.power_law([1.0, 1.0], [0.0]), r"\bexponent\b"),
    ("power law coefficient zero", lambda: timing.power_law([0.0], [0.0]), r"\bcoefficient\b"),
    ("power law coefficient inf", lambda: timing.power_law([inf], [0.0]), r"\bcoefficient\b"),
    ("outage window too short", lambda: timing.outages([1.0], [(0, 1.0)]), r"\bwindows\b"),
    ("outage window too long", lambda: timing.outages([1.0], [(0, 1.0, 2.0, 3.0)]), r"\bwindows\b"),
    ("outage worker too large", lambda: timing.outages([1.0], [(1, 1.0, 2.0)]), r"\bwindows\[0\] worker"),
    ("outage worker negative", lambda: timing.outages([1.0, 1.0], [(0, 1.0, 2.0), (-1, 1.0, 2.0)]),
     r"\bwindows\[1\] worker"),
    ("outage worker fractional", lambda: timing.outages([1.0], [(0.5, 1.0, 2.0)]), r"\bwindows\[0\] worker"),
    ("outage end before start", lambda: timing.outages([1.0], [(0, 2.0, 1.0)]), r"\bwindows\[0\] end"),
    ("outage empty window", lambda: timing.outages([1.0], [(0, 1.0, 1.0)]), r"\bwindows\[0\] end"),
    ("outage negative start", lambda: timing.outages([1.0], [(0, -1.0, 1.0)]), r"\bwindows\[0\] start"),
    ("outage nan start", lambda: timing.outages([1.0], [(0, nan, 1.0)]), r"\bwindows\[0\] start"),
    ("outage forever", lambda: timing.outages([1.0], [(0, 1.0, inf)]), r"\bwindows\[0\] end"),
    ("outage bad tau", lambda: timing.outages([0.0], []), r"\btau\b"),
    ("trace no workers", lambda: timing.trace([]), r"\bdurations\b"),
    ("trace empty worker", lambda: timing.trace([[1.0], []]), r"\bdurations\[1\]"),
    ("trace negative", lambda: timing.trace([[1.0, -1.0]]), r"\bdurations\[0\]"),
    ("trace nan", lambda: timing.trace([[nan]]), r"\bdurations\[0\]"),
    ("trace text", lambda: timing.trace("12"), r"\bdurations\b"),
    ("trace scalar", lambda: timing.trace(5), r"\bdurations\b"),
    ("trace flat list", lambda: timing.trace([1.0, 2.0]), r"\bdurations\[0\]"),
    ("tau scalar", lambda: timing.fixed(5.0), r"\btau\b"),
    ("tau bool", lambda: timing.fixed([True, True]), r"\btau\b"),
    ("tau complex", lambda: timing.fixed([1.0 + 1.0j]), r"\btau\b"),
    ("fixed profile permutation seed", lambda: timing.profile("linear", 4, permutation_seed=-1), r"permutation_seed"),
    ("fixed profile permutation seed text", lambda: timing.profile("constant", 4, permutation_seed="x"),
     r"permutation_seed"),
    ("outage windows missing", lambda: timing.outages([1.0], None), r"\bwindows\b"),
    ("availability intervals missing", lambda: timing.availability(timing.fixed([1.0]), None), r"\bintervals\b"),
    ("availability worker bool", lambda: timing.availability(timing.fixed([1.0, 1.0]), [(True, 0.0, 1.0)]),
     r"intervals\[0\].*worker"),
]

METHOD_CASES = [
    ("threshold zero", lambda: methods.Ringmaster(gamma=0.1, threshold=0), r"\bthreshold\b"),
    ("threshold negative", lambda: methods.Ringmaster(gamma=0.1, threshold=-3), r"\bthreshold\b"),
    ("threshold fractional", lambda: methods.Ringmaster(gamma=0.1, threshold=2.5), r"\bthreshold\b"),
    ("threshold nan", lambda: methods.Ringmaster(gamma=0.1, threshold=nan), r"\bthreshold\b"),
    ("threshold text", lambda: methods.Ringmaster(gamma=0.1, threshold="3"), r"\bthreshold\b"),
    ("threshold bool", lambda: methods.Ringmaster(gamma=0.1, threshold=True), r"\bthreshold\b"),
    ("threshold missing", lambda: methods.Ringmaster(gamma=0.1), r"\bthreshold\b"),
    ("ringmaster stops", lambda: methods.Ringmaster(gamma=0.1, threshold=2, stops="yes"), r"\bstops\b"),
    ("batch zero", lambda: methods.Rennala(gamma=0.1, S=0), r"\bbatch\b"),
    ("batch fractional", lambda: methods.Rennala(gamma=0.1, S=2.5), r"\bbatch\b"),
    ("batch missing", lambda: methods.Rennala(gamma=0.1), r"\bbatch\b"),
    ("rennala stops", lambda: methods.Rennala(gamma=0.1, S=2, stops=1), r"\bstops\b"),
    ("gamma zero", lambda: methods.ASGD(gamma=0.0), r"\bgamma\b"),
    ("gamma negative", lambda: methods.ASGD(gamma=-0.1), r"\bgamma\b"),
    ("gamma nan", lambda: methods.ASGD(gamma=nan), r"\bgamma\b"),
    ("gamma inf", lambda: methods.Ringmaster(gamma=inf, threshold=2), r"\bgamma\b"),
    ("gamma text", lambda: methods.ASGD(gamma="0.1"), r"\bgamma\b"),
    ("gamma bool", lambda: methods.Minibatch(gamma=True), r"\bgamma\b"),
    ("gamma beyond float64", lambda: methods.ASGD(gamma=10**400), r"gamma must be finite, got a number beyond "
                                                                  r"float64 \(about 10\^400\)"),
    ("gamma of 5000 digits", lambda: methods.ASGD(gamma=10**5000), r"gamma must be finite"),  # str() refuses it
    ("gamma and eps missing", lambda: methods.ASGD(), r"\bgamma\b.*\beps\b"),
    ("gamma and eps missing, hero", lambda: methods.Hero(), r"\bgamma\b.*\beps\b"),
    ("eps zero", lambda: methods.ASGD(eps=0.0), r"\beps\b"),
    ("eps nan", lambda: methods.Rennala(eps=nan), r"\beps\b"),
    ("naive optimal needs eps", lambda: methods.NaiveOptimalASGD(gamma=0.1), r"\beps\b"),
    ("unknown method", lambda: methods.get("nope"), r"\bmethod\b.*nope"),
    ("get without gamma", lambda: methods.get("asgd"), r"\bgamma\b"),
    ("get with bad gamma", lambda: methods.get("delay-adaptive-asgd", gamma=-1.0), r"\bgamma\b"),
    ("get with a misspelled parameter", lambda: methods.get("asgd", gama=0.1), r"\bgama\b"),
    ("fedasync a without effect", lambda: methods.FedAsync(gamma=0.1, staleness="constant", a=1.0),
     r"\ba\b.*'constant'"),
    ("fedasync b without effect", lambda: methods.FedAsync(gamma=0.1, b=2.0), r"\bb\b.*'polynomial'"),
]

A2 = np.eye(2)
PROBLEM_CASES = [
    ("b length", lambda: Quadratic(np.eye(3), np.ones(2)), r"\bb\b"),
    ("x0 length", lambda: Quadratic(np.eye(3), np.ones(3), x0=np.ones(2)), r"\bx0\b"),
    ("x0 nan", lambda: Quadratic(A2, np.ones(2), x0=[0.0, nan]), r"\bx0\b"),
    ("A nan", lambda: Quadratic(np.array([[1.0, nan], [nan, 1.0]]), np.ones(2)), r"\bA\b"),
    ("A inf", lambda: Quadratic(np.array([[inf, 0.0], [0.0, 1.0]]), np.ones(2)), r"\bA\b"),
    ("b nan", lambda: Quadratic(A2, [nan, 0.0]), r"\bb\b"),
    ("A not symmetric", lambda: Quadratic(np.array([[1.0, 0.5], [0.0, 1.0]]), np.ones(2)), r"\bA\b.*symmetric"),
    ("A indefinite", lambda: Quadratic(np.diag([1.0, -1.0]), np.ones(2)), r"\bA\b.*positive definite"),
    ("A singular", lambda: Quadratic(np.diag([1.0, 0.0]), np.ones(2)), r"\bA\b.*positive definite"),
    ("A negative definite", lambda: Quadratic(-np.eye(2), np.ones(2)), r"\bA\b.*positive definite"),
    ("A not square", lambda: Quadratic(np.ones((2, 3)), np.ones(2)), r"\bA\b"),
    ("A 1-d", lambda: Quadratic(np.ones(3), np.ones(3)), r"\bA\b"),
    ("sparse A nan", lambda: Quadratic(scipy.sparse.diags([1.0, nan]), np.ones(2)), r"\bA\b"),
    # by row and column, not by the entry's place in the stored values (A[1])
    ("sparse A nan off the diagonal", lambda: Quadratic(scipy.sparse.csr_array(
        np.array([[1.0, 0.0, 0.0], [0.0, 2.0, nan], [0.0, nan, 1.0]])), np.ones(3)), r"A\[1, 2\] = nan"),
    ("sparse A not symmetric", lambda: Quadratic(scipy.sparse.csr_array([[1.0, 0.5], [0.0, 1.0]]), np.ones(2)),
     r"\bA\b.*symmetric"),
    ("sparse A negative definite", lambda: Quadratic(scipy.sparse.diags([-1.0, -2.0]), np.ones(2)), r"\bA\b"),
    ("sparse b length", lambda: Quadratic(scipy.sparse.eye(3), np.ones(2)), r"\bb\b"),
    ("noise_std negative", lambda: Quadratic(A2, np.ones(2), noise_std=-0.1), r"\bnoise_std\b"),
    ("noise_std nan", lambda: Quadratic(A2, np.ones(2), noise_std=nan), r"\bnoise_std\b"),
    ("noise kind", lambda: Quadratic(A2, np.ones(2), noise="gaussian"), r"\bnoise\b"),
    ("tridiagonal off_diagonal length", lambda: Quadratic.tridiagonal([1.0, 1.0], [2.0, 2.0], [1.0, 1.0]),
     r"\boff_diagonal\b"),
    ("tridiagonal diagonal nan", lambda: Quadratic.tridiagonal([0.0], [nan, 2.0], [1.0, 1.0]), r"\bdiagonal\b"),
    ("tridiagonal not positive definite", lambda: Quadratic.tridiagonal([2.0], [1.0, 1.0], [1.0, 1.0]),
     r"\bA\b.*positive definite"),
    ("tridiagonal b length", lambda: Quadratic.tridiagonal([0.0], [1.0, 1.0], [1.0]), r"\bb\b"),
    ("worst case d zero", lambda: Quadratic.worst_case(0), r"\bd\b"),
    ("random dense condition number", lambda: Quadratic.random_dense(3, condition_number=0.5),
     r"\bcondition_number\b"),
    ("random dense condition number beyond float64", lambda: Quadratic.random_dense(3, condition_number=1e300),
     r"\bcondition_number\b"),
    ("x0 complex", lambda: Quadratic(A2, np.ones(2), x0=[1.0 + 5.0j, 0.0]), r"\bx0\b"),
    ("x0 text", lambda: Quadratic(A2, np.ones(2), x0=["1", "2"]), r"\bx0\b"),
    ("A complex", lambda: Quadratic(A2 * (1.0 + 1.0j), np.ones(2)), r"\bA\b"),
    ("A bool", lambda: Quadratic(np.eye(2, dtype=bool), np.ones(2)), r"\bA\b"),
    ("sparse A complex", lambda: Quadratic(scipy.sparse.csr_array(A2 * (1.0 + 1.0j)), np.ones(2)), r"\bA\b"),
    ("sparse A bool", lambda: Quadratic(scipy.sparse.csr_array(np.eye(2, dtype=bool)), np.ones(2)), r"\bA\b"),
    ("noise_std overflowing sigma^2", lambda: Quadratic.worst_case(10, noise_std=1e200), r"\bnoise_std\b"),
    ("metrics at x of the wrong length", lambda: Quadratic(A2, np.ones(2)).metrics(np.ones(3)), r"\bx\b"),
    ("metrics at a 2-d x", lambda: Quadratic(A2, np.ones(2)).metrics(np.ones((2, 1))), r"\bx\b"),
    ("logistic sparse features complex",
     lambda: problems.Logistic(scipy.sparse.csr_array(np.ones((2, 2)) * 1.0j), [1.0, -1.0]), r"\bfeatures\b"),
    ("mlp single class", lambda: problems.MLP(np.ones((4, 2)), np.zeros(4, dtype=int), hidden=2), r"\bclasses\b"),
    ("mlp sparse features", lambda: problems.MLP(scipy.sparse.csr_array(np.ones((4, 2))), np.array([0, 1, 0, 1]),
                                                 hidden=2), r"\bfeatures\b"),
    ("mlp noise_std overflowing sigma^2", lambda: problems.MLP(np.ones((4, 2)), np.array([0, 1, 0, 1]), hidden=2,
                                                               batch=None, noise_std=1e200), r"\bnoise_std\b"),
    ("mlp on a libsvm set", lambda: problems.MLP.from_dataset("a9a", hidden=2), r"\bdataset\b.*'a9a'"),
    ("mlp balanced text", lambda: problems.MLP.from_dataset("mnist5k", samples=100, balanced="no"), r"\bbalanced\b"),
    ("mlp split over no workers", lambda: problems.MLP.from_dataset("mnist5k", n=0, alpha=0.1), r"\bn\b"),
    ("split labels 2-d", lambda: splits.iid(np.zeros((2, 3)), 2), r"\blabels\b"),
    ("label-sorted labels 2-d", lambda: splits.label_sorted(np.zeros((2, 3)), 2), r"\blabels\b"),
    ("split option the kind does not take", lambda: splits.split("iid", np.arange(4), 2, alpha=0.5),
     r"\balpha\b"),
    ("split classes the kind does not take",
     lambda: splits.split("label-sorted", np.arange(4), 2, classes=[0, 1, 2, 3]), r"\bclasses\b"),
]


def _all_cases():
    for group in (TIMING_CASES, METHOD_CASES, PROBLEM_CASES):
        for label, build, pattern in group:
            yield pytest.param(build, pattern, id=label)


@pytest.mark.parametrize("build, pattern", list(_all_cases()))
def test_bad_construction_raises_value_error_naming_the_parameter(build, pattern):
    with pytest.raises(ValueError, match=pattern):
        build()


def test_sparse_singular_matrix_is_rejected():
    # scipy may warn that the matrix is singular; the error must still be a ValueError about A.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.sparse.linalg.MatrixRankWarning)
        with pytest.raises(ValueError, match=r"\bA\b"):
            Quadratic(scipy.sparse.diags([1.0, 0.0]).tocsr(), np.ones(2))


def test_sparse_zero_matrix_is_rejected():
    with pytest.raises(ValueError, match=r"\bA\b"):
        Quadratic(scipy.sparse.csr_array((2, 2)), np.ones(2))


def test_sparse_indefinite_matrix_is_rejected():
    # diag(1, -0.1) is symmetric but indefinite; with b = (1, 0) the minimiser x* = (1, 0) has
    # x*' A x* = 1 > 0, so a check on x* alone does not catch it.
    with pytest.raises(ValueError, match=r"\bA\b.*positive definite"):
        Quadratic(scipy.sparse.diags([1.0, -0.1]).tocsr(), np.array([1.0, 0.0]))


# Large sparse matrices (beyond a few thousand rows eigenvalues may come from ARPACK rather than
# a dense solver): the same rules must hold.
LARGE = 2500


def _large_b():
    b = np.zeros(LARGE)
    b[1] = 1.0
    return b


@pytest.mark.parametrize("diagonal", [
    pytest.param(np.r_[-0.1, np.ones(LARGE - 1)], id="indefinite"),
    pytest.param(np.r_[0.0, np.ones(LARGE - 1)], id="singular"),
    pytest.param(np.zeros(LARGE), id="zero"),
])
def test_large_sparse_bad_matrix_is_rejected(diagonal):
    A = scipy.sparse.diags(diagonal).tocsr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.sparse.linalg.MatrixRankWarning)
        with pytest.raises(ValueError, match=r"\bA\b"):
            problem = Quadratic(A, _large_b())
            # Reaching this line is the bug; show what was accepted.
            print("accepted: mu", problem.mu, "L", problem.L, "f*", problem.f_star)


# --------------------------------------------------------------------------- simulate

PROBLEM = Quadratic.worst_case(5)
METHOD = methods.ASGD(gamma=0.1)
TIMING = timing.fixed([1.0, 2.0])

SIMULATE_CASES = [
    ("t_max zero", dict(t_max=0.0), r"\bt_max\b"),
    ("t_max negative", dict(t_max=-1.0), r"\bt_max\b"),
    ("t_max nan", dict(t_max=nan), r"\bt_max\b"),
    ("t_max inf", dict(t_max=inf), r"\bt_max\b"),
    ("t_max text", dict(t_max="10"), r"\bt_max\b"),
    ("max_updates zero", dict(max_updates=0), r"\bmax_updates\b"),
    ("max_updates fractional", dict(max_updates=2.5), r"\bmax_updates\b"),
    ("max_updates nan", dict(max_updates=nan), r"\bmax_updates\b"),
    ("no budget", dict(), r"\bt_max\b.*\bmax_updates\b"),
    ("target zero", dict(t_max=1.0, target=0.0), r"\btarget\b"),
    ("target nan", dict(t_max=1.0, target=nan), r"\btarget\b"),
    ("blowup zero", dict(t_max=1.0, blowup=0.0), r"\bblowup\b"),
    ("seed negative", dict(t_max=1.0, seed=-1), r"\bseed\b"),
    ("seed fractional", dict(t_max=1.0, seed=1.5), r"\bseed\b"),
    ("seed text", dict(t_max=1.0, seed="42"), r"\bseed\b"),
    ("seed None", dict(t_max=1.0, seed=None), r"\bseed\b"),
    ("seed generator", dict(t_max=1.0, seed=np.random.default_rng(0)), r"\bseed\b"),
    ("record times decreasing", dict(t_max=10.0, record=Recording(times=[2.0, 1.0])), r"record times"),
    ("record times repeated", dict(t_max=10.0, record=Recording(times=[1.0, 1.0])), r"record times"),
    ("record times zero", dict(t_max=10.0, record=Recording(times=[0.0, 1.0])), r"record times"),
    ("record times nan", dict(t_max=10.0, record=Recording(times=[1.0, nan])), r"record times"),
    ("record times empty", dict(t_max=10.0, record=Recording(times=[])), r"record times"),
    ("record times past t_max", dict(t_max=10.0, record=Recording(times=[5.0, 20.0])), r"record times"),
    ("record count zero", dict(t_max=10.0, record=Recording(times=0)), r"record times"),
    ("record count fractional", dict(t_max=10.0, record=Recording(times=2.5)), r"record times"),
    ("record count without t_max", dict(max_updates=10, record=Recording(times=5)), r"record times"),
    ("record every zero", dict(t_max=10.0, record=Recording(every=0)), r"record every"),
    ("record every fractional", dict(t_max=10.0, record=Recording(every=1.5)), r"record every"),
    ("record not a Recording", dict(t_max=10.0, record=[1.0, 2.0]), r"\brecord\b"),
    ("trace mode", dict(t_max=10.0, trace="all"), r"\btrace\b"),
    ("progress text", dict(t_max=10.0, progress="no"), r"\bprogress must be True or False"),
    ("t_max too long", dict(t_max=1e308), r"\bt_max = 1e\+308 .* allowed is t_max <="),
    ("max_updates too long", dict(max_updates=10**13), r"\bmax_updates = 1e\+13 .* allowed is max_updates <="),
    ("both budgets too long", dict(t_max=1e300, max_updates=10**15), r"t_max = 1e\+300 and max_updates"),
    ("max_updates beyond int64", dict(max_updates=10**20), r"\bmax_updates must be an integer <="),
    ("record count beyond memory", dict(t_max=10.0, record=Recording(times=10**10)), r"record times .* memory"),
    ("record every beyond memory", dict(max_updates=10**12, record=Recording(every=1)), r"record \(every=1 .*memory"),
    ("trace beyond memory", dict(max_updates=10**11, trace="iterates", trace_limit=10**11), r"trace_limit=.*memory"),
]


def _simulate_cases():
    for label, options, pattern in SIMULATE_CASES:
        yield pytest.param((PROBLEM, METHOD, TIMING), options, pattern, id=label)
    yield pytest.param(("not a problem", METHOD, TIMING), dict(t_max=1.0), r"\bproblem\b", id="problem type")
    yield pytest.param((PROBLEM, "asgd", TIMING), dict(t_max=1.0), r"\bmethod\b", id="method type")
    yield pytest.param((PROBLEM, METHOD, [1.0, 2.0]), dict(t_max=1.0), r"\btiming\b", id="timing type")
    # 1 / 1e-320 overflows: the message said "allowed is t_max <= 0"
    yield pytest.param((PROBLEM, METHOD, timing.fixed([1e-320, 1.0])), dict(t_max=5.0),
                       r"mean job times \(the smallest is 1e-320 s\) mean more job arrivals", id="subnormal duration")


@pytest.fixture
def no_jit(monkeypatch):
    """Fail the test if simulate gets as far as a jitted kernel."""
    def forbidden(*args, **kwargs):
        pytest.fail("a jitted kernel was called before the input was validated")

    monkeypatch.setattr(ringbench.engine.loop, "initialize", forbidden)
    monkeypatch.setattr(ringbench.engine.loop, "advance", forbidden)
    monkeypatch.setattr(ringbench.problems.quadratic_kernels, "affine", forbidden)
    monkeypatch.setattr(ringbench.engine.protocol, "metrics", forbidden)


@pytest.mark.parametrize("arguments, options, pattern", list(_simulate_cases()))
def test_simulate_rejects_bad_input_before_running(no_jit, arguments, options, pattern):
    with pytest.raises(ValueError, match=pattern):
        ringbench.simulate(*arguments, **options)


def test_no_jit_fixture_would_catch_a_run(no_jit):
    with pytest.raises(pytest.fail.Exception):
        ringbench.simulate(PROBLEM, METHOD, TIMING, t_max=1.0)


_CHILD = textwrap.dedent("""
    import json, sys, warnings
    import numpy as np
    import numba.core.registry
    import scipy.sparse
    import ringbench
    from ringbench import Recording, methods, problems, timing

    def compiled():
        # Every numba dispatcher reachable from ringbench modules, and whether it has any
        # compiled (or cache-loaded) signature.
        found = {}
        for name, module in list(sys.modules.items()):
            if not name.startswith("ringbench"):
                continue
            for attribute, value in vars(module).items():
                if isinstance(value, numba.core.registry.CPUDispatcher):
                    found[f"{name}.{attribute}"] = len(value.signatures)
        return found

    problem = problems.Quadratic.worst_case(5)
    method = methods.ASGD(gamma=0.1)
    model = timing.fixed([1.0, 2.0])
    bad_calls = [
        lambda: timing.fixed([0.0]), lambda: timing.profile("nope", 3), lambda: timing.profile("paper", 0),
        lambda: timing.piecewise([0.0, 1.0], [[1.0, 0.0]]), lambda: timing.power_law([1.0], [-2.0]),
        lambda: timing.outages([1.0], [(0, 2.0, 1.0)]), lambda: timing.random([1.0], [1.0], "x"),
        lambda: methods.Ringmaster(gamma=0.1, threshold=2.5), lambda: methods.get("nope"),
        lambda: methods.Rennala(gamma=0.1, S=0), lambda: methods.ASGD(gamma=float("nan")),
        lambda: problems.Quadratic(np.eye(2), np.ones(3)),
        lambda: problems.Quadratic(np.array([[1.0, 1.0], [0.0, 1.0]]), np.ones(2)),
        lambda: problems.Quadratic.tridiagonal([2.0], [1.0, 1.0], [1.0, 1.0]),
        lambda: ringbench.simulate(problem, method, model, t_max=0.0),
        lambda: ringbench.simulate(problem, method, model, max_updates=0),
        lambda: ringbench.simulate(problem, method, model),
        lambda: ringbench.simulate(problem, method, model, t_max=1.0, seed=-1),
        lambda: ringbench.simulate(problem, method, model, t_max=1.0, record=Recording(times=[2.0, 1.0])),
        lambda: ringbench.simulate(problem, method, model, t_max=1.0, target=float("nan")),
    ]
    outcomes = []
    for call in bad_calls:
        try:
            call()
            outcomes.append("accepted")
        except ValueError:
            outcomes.append("ValueError")
        except Exception as error:
            outcomes.append(type(error).__name__)
    before = compiled()
    ringbench.simulate(problem, method, model, t_max=1.0)
    after = compiled()
    print(json.dumps({"outcomes": outcomes, "before": before, "after": after}))
""")


@pytest.mark.compiled
def test_no_kernel_is_compiled_or_loaded_for_bad_input():
    """In a fresh process, bad inputs touch no numba dispatcher; a good run then does."""
    completed = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["outcomes"] == ["ValueError"] * len(report["outcomes"])
    assert report["before"], "found no dispatchers: the check would be vacuous"
    touched = {name: count for name, count in report["before"].items() if count}
    assert not touched, f"kernels compiled or loaded while rejecting bad input: {touched}"
    # Sanity: the detection works, a real run registers signatures.
    assert any(report["after"].values())


# --------------------------------------------------------------------------- dataset formats


@pytest.mark.parametrize("name, format, message", [
    ("mnist5k", "libsvm", r"--dataset 'mnist5k' is an IDX image set .* choose one of a9a, w8a"),
    ("a9a", "idx", r"--dataset 'a9a' is a LIBSVM .* choose one of mnist, fashion-mnist, mnist5k"),
    ("bogus", "idx", r"unknown --dataset 'bogus'"),
])
def test_a_dataset_of_the_wrong_format_is_rejected_before_loading(name, format, message):
    with pytest.raises(ValueError, match=message):
        ringbench.datasets.require_format("--dataset", name, format)
    assert ringbench.datasets.require_format("--dataset", "w8a", "libsvm") == "w8a"


@pytest.mark.parametrize("shape, sparse, message", [
    ((10**7, 10**7), False, r"synthetic data n_samples x n_features .* needs about .* memory"),
    ((10**10, 10**10), True, r"n_samples \* n_features = 10+ must be <="),
])
def test_synthetic_data_too_large_is_rejected_before_allocating(shape, sparse, message):
    with pytest.raises(ValueError, match=message):
        ringbench.datasets.synthetic(*shape, density=1e-12, sparse=sparse)


# --------------------------------------------------------------------------- the command's options


@pytest.mark.parametrize("argv, message", [
    (["run", "--method", "asgd", "--gamma", "0.1", "--dataset", "a9a"], r"--dataset does not apply to --problem worst"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "logistic", "--alpha", "0.1"], r"--alpha is the conc"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--trace"], r"--trace records tables that only --out saves"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "logistic", "--dataset", "mnist5k"],
     r"--dataset 'mnist5k' is an IDX image set"),
    (["compare", "--setting", "ringmaster-mnist", "--dataset", "a9a"], r"--dataset 'a9a' is a LIBSVM"),
    (["compare", "--dataset", "a9a"], r"--dataset does not apply to the quadratic setting"),
    (["theory", "--eps", "0.1", "--delta", "0"], r"--delta must be > 0"),
    (["theory", "--eps", "1e-300"], r"eps = 1e-300 is too small"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--t-max", "1e308", "--max-updates", "10000000000000"],
     r"--t-max = 1e\+308 and --max-updates = 1e\+13 .* allowed is --t-max <= [0-9.e+]+ for"),
    (["plot", "--out", "/proc/ringbench", "result"], r"--out '/proc/ringbench' is not a writable directory"),
    (["run", "--method", "asgd", "--param", "gamma=0.1", "--param", "gamma=0.2"], r"--param sets gamma twice"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--param", "cap=2"], r"--param cap: .* the option --cap C"),
    (["run", "--method", "ringmaster", "--gamma", "0.05", "--cap", "2"],  # not: give an integer threshold
     r"--cap: a concurrency cap applies to asgd, .* not 'ringmaster'"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "random-dense", "--problem-param", "d=4",
      "--problem-param", "d=6"], r"--problem-param sets d twice"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--timing", ""], r"unknown timing profile ''"),
    (["compare", "--problem", ""], r"unknown --problem ''"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "matrix"], r"problem 'matrix' needs file"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "logistic-synthetic"],
     r"needs n_samples and n_features"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "matrix", "--problem-param", "file=3"],
     r"file must be a file path"),
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "matrix", "--problem-param", "file=A.mtx"],
     r"'A.mtx' is not a TOML value .*quoted string: --problem-param 'file=\"A.mtx\"'"),  # what --help shows
    (["run", "--method", "asgd", "--gamma", "0.1", "--problem", "logistic", "--batch", "1000000000000000000"],
     r"batch = 1000000000000000000 needs about .* of memory"),
    (["theory", "--eps", "0.1", "--L", "1e308"], r"L Delta / eps = inf, whose time bounds overflow"),
    (["theory", "--eps", "0.1", "--L", "1e-200", "--delta", "1e-200"], r"L Delta / eps = 0, whose time bounds"),
    (["compare", "--setting", "heterogeneous", "--seed=-4"], r"--seed must be an integer >= 0"),
])
def test_ignored_or_impossible_options_are_one_line_errors(argv, message, capsys):
    # Each fails before any data is read or any run starts (a9a is not even looked for).
    assert ringbench.cli.main([*argv, "--quiet"] if argv[0] in ("run", "compare") else argv) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and re.search(message, error), error


# ---------------------------------------------------------------- sizes checked before the work


@pytest.mark.parametrize("budget, message", [
    ("t_max = 1e308", "t_max = 1e+308 means"),
    ("max_updates = 10000000000000", "max_updates = 1e+13 means"),
    ("t_max = 100.0\ncheckpoints = 10000000000000", "record times = 10000000000000 needs"),
])
def test_sweep_dry_run_checks_each_run_can_finish_and_fit(budget, message):
    from ringbench.sweep import config as sweep_config
    text = f'n = 8\n{budget}\n[[problems]]\nname = "worst-case"\nd = 10\n[[timings]]\nname = "paper"\n' \
           '[[methods]]\nname = "asgd"\ngamma = 0.01\n'
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        sweep_config.parse(text).check()
    assert "methods[0] (asgd)" in str(error.value)


def test_mlp_width_and_split_count_are_checked_against_memory():
    from ringbench.problems import MLP, Quadratic
    with pytest.raises(ValueError, match=r"^hidden = 1000000000000 needs about .* of memory"):
        MLP(np.zeros((10, 784)), np.arange(10), hidden=10**12)
    with pytest.raises(ValueError, match=r"^n_workers = 1000000000000 needs about .* of memory"):
        Quadratic.worst_case(10).split_randomly(10**12)


def test_unwritable_optimum_cache_is_named_before_the_solve(monkeypatch, tmp_path):
    from ringbench.problems import Logistic
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("RINGBENCH_CACHE", str(blocker))  # a file where the cache folder should be
    features = scipy.sparse.random(40, 5, density=0.5, format="csr", random_state=0)
    labels = np.where(np.arange(40) % 2 == 0, 1.0, -1.0)
    with pytest.raises(ValueError, match=r"the f\* cache \(\$RINGBENCH_CACHE\)"):
        Logistic(features, labels)


@pytest.mark.parametrize("name", sorted(methods.METHODS))
def test_method_parameters_after_the_stepsize_are_keyword_only(name):
    # Ringmaster(0.25, 6) once meant eps = 6 (theory mode, so R = 1) without a word.
    with pytest.raises(TypeError, match="positional"):
        methods.METHODS[name](0.1, 2)


def test_the_stepsize_may_still_be_given_by_position():
    assert methods.Ringmaster(0.25, threshold=6).gamma == 0.25


def test_numpy_scalars_are_stored_as_python_numbers_that_reach_json():
    given = [methods.Ringmaster(gamma=np.float32(0.5), threshold=np.int64(2), eps=np.float64(0.1)).describe(),
             methods.FedAsync(gamma=np.int64(1), alpha=np.float32(0.5), staleness="hinge",
                              a=np.float32(1.0)).describe(),
             timing.profile("ringleader", 3, permutation_seed=np.int64(3)).describe()]
    text = json.dumps(given)  # a numpy scalar left in would raise TypeError here
    assert json.loads(text)[0]["gamma"] == 0.5 and type(given[0]["gamma"]) is float


def test_files_that_cannot_be_read_are_value_errors_naming_them(tmp_path):
    with pytest.raises(ValueError, match="source: cannot read"):
        ringbench.datasets.read_libsvm(tmp_path / "missing.svm")
    np.save(tmp_path / "A.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"file: cannot read .* as a numeric matrix"):
        problems.registry.build("matrix", {"file": str(tmp_path / "A.npy")}, n=2)
    (tmp_path / "text.npy").write_text("1 2\n3 4\n")  # numpy would try it as a pickle and advise allow_pickle
    with pytest.raises(ValueError, match=r"cannot read .*text.npy' as a numeric matrix: it is not a .npy file"):
        problems.registry.build("matrix", {"file": str(tmp_path / "text.npy")}, n=2)
    with pytest.raises(ValueError, match=r"\bpath\b"):
        ringbench.load(5)


def test_seeds_must_be_a_sequence(no_jit):
    with pytest.raises(ValueError, match=r"\bseeds\b"):
        simulate_seeds(Quadratic.worst_case(5), methods.ASGD(gamma=0.1), timing.fixed([1.0]), 5, t_max=1.0)


def test_a_result_rejects_targets_simulate_rejects_and_a_path_under_a_file(tmp_path):
    result = ringbench.simulate(Quadratic.worst_case(5), methods.ASGD(gamma=0.1), timing.fixed([1.0, 2.0]), t_max=3.0)
    for target in (0.0, -1.0, nan):
        with pytest.raises(ValueError, match=r"\btarget\b"):
            result.time_to(target)
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="a file of that name is in the way"):
        result.save(tmp_path / "file" / "run")


def test_command_line_errors_on_files_and_directories_are_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text("this is not python(\n")
    (tmp_path / "raises.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "afile").write_text("")
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "sweep.toml").write_text('n = 3\nt_max = 2.0\n[[problems]]\nname = "worst-case"\nd = 4\n'
                                         '[[timings]]\nname = "paper"\n[[methods]]\nname = "asgd"\ngamma = 0.01\n')
    (tmp_path / "empty-path.toml").write_text('n = 3\nt_max = 2.0\n[[problems]]\nname = "logistic"\npath = ""\n'
                                              '[[timings]]\nname = "paper"\n[[methods]]\nname = "asgd"\n'
                                              'gamma = 0.01\n')
    np.save(tmp_path / "A_1d.npy", np.ones(3))
    np.save(tmp_path / "A_text.npy", np.array([["a", "b"], ["c", "d"]]))
    (tmp_path / "A_truncated.npz").write_bytes(b"PK\x03\x04 not a whole zip")
    run = ["run", "--method", "asgd", "--gamma", "0.1", "--quiet"]
    cases = [
        (["run", "--method", "broken.py:Foo", "--gamma", "0.1", "--quiet"], r"broken.py, line 1: '\(' was never"),
        (["run", "--method", "raises.py:Foo", "--gamma", "0.1", "--quiet"], r"raised RuntimeError: boom"),
        ([*run, "--problem", "matrix", "--problem-param", 'file="A_1d.npy"'], r"A_1d.npy' must be 2-dimensional"),
        ([*run, "--problem", "matrix", "--problem-param", 'file="A_text.npy"'], r"A_text.npy' must be an array of"),
        ([*run, "--problem", "matrix", "--problem-param", 'file="A_truncated.npz"'], r"cannot read 'A_truncated.npz'"),
        (["sweep", "sweep.toml", "--out", "afile", "--quiet"], r"--out 'afile' must be a directory"),
        (["sweep", "sweep.toml", "--out", "afile", "--dry-run"], r"--out 'afile' must be a directory"),
        (["sweep", "sweep.toml", "--workers", "0", "--dry-run"], r"--workers must be an integer >= 1"),
        (["sweep", "binary.toml", "--dry-run"], r"'binary.toml': not UTF-8 text"),
        (["sweep", "empty-path.toml", "--dry-run"], r"path must name a file or directory, got an empty string"),
        (["scaling", "--ns", "2", "--methods", "asgd", "--d", "2", "--seeds", "1", "--budget", "1e300", "--quiet",
          "--out", "scaling"], r"budget = 1e\+300 lets asgd at n = 2 run .* allowed is budget <= [0-9.e+]+$"),
    ]
    for argv, message in cases:
        assert ringbench.cli.main(argv) == 2, argv
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and re.search(message, error.strip()), (argv, error)


@pytest.mark.datasets("mnist5k")
@pytest.mark.compiled  # the MLP run takes two minutes as Python, for nothing the JIT-off run would add
def test_equal_offline_means_and_the_problems_own_dataset_are_accepted(tmp_path, capsys):
    # --offline 5,5 was refused as a repeated item; --problem mlp was sent the logistic default dataset (a9a),
    # batch (1) and the quadratic's noise (0.01) instead of its own defaults.
    base = ["run", "--method", "asgd", "--gamma", "0.01", "--n", "3", "--t-max", "2", "--quiet", "--out", str(tmp_path)]
    assert ringbench.cli.main([*base, "--d", "4", "--offline", "5,5"]) == 0
    assert ringbench.cli.main([*base, "--problem", "mlp", "--no-download", "--problem-param", "samples=100",
                               "--problem-param", "hidden=4"]) == 0
    described = json.loads((tmp_path / "asgd.json").read_text())["config"]["problem"]
    assert (described["name"], described["batch"], described["noise_std"]) == ("MLP on mnist5k", 4, 0.0)


@pytest.mark.parametrize("d, x0, message", [
    (4, np.ones(5), r"x0, the starting point, must have shape \(d,\) = \(4,\), got shape \(5,\)"),
    (4, np.ones(3), r"got shape \(3,\)"),
    (4, None, "got none"),
    (4.0, np.ones(4), "d must be an integer, got 4.0"),
    (0, np.ones(0), "d must be an integer >= 1, got 0"),
])
def test_a_problem_whose_x0_does_not_match_d_is_refused_before_the_run(d, x0, message):
    """A plug-in problem's own d and x0: the kernels size every vector by d (a longer x0 corrupted memory)."""
    problem = problems.Quadratic.worst_case(4)
    problem.d, problem.x0 = d, x0
    with pytest.raises(ValueError, match=message):
        ringbench.simulate(problem, methods.ASGD(gamma=0.1), timing.fixed(np.ones(2)), t_max=5.0)


class _Configured(methods.ASGD):
    """ASGD whose configure() returns what the test gives it in place of one of its fields."""

    name = "configured"

    def __init__(self, **replaced):
        super().__init__(gamma=0.1)
        object.__setattr__(self, "replaced", replaced)

    def configure(self, problem, timing):
        configuration = super().configure(problem, timing)
        if "whole" in self.replaced:
            return self.replaced["whole"]
        return configuration._replace(**self.replaced)


@pytest.mark.parametrize("replaced, message", [
    ({"whole": (None, np.arange(3), 3, {})}, "configure.. must return a ringbench Configuration, got tuple"),
    ({"rule": (0.1,)}, "Configuration.rule must be a NamedTuple instance .*, got tuple"),
    ({"active": [0, 1, 2]}, "Configuration.active must be a non-empty 1-D int64 array .*, got list"),
    ({"active": np.arange(3.0)}, r"got dtype float64, shape \(3,\)"),
    ({"active": np.zeros((0,), dtype=np.int64)}, r"got dtype int64, shape \(0,\)"),
    ({"active": np.array([0, 3], dtype=np.int64)}, r"distinct workers in 0 .. n-1 = 2, got values from 0 to 3"),
    ({"active": np.array([-1, 0], dtype=np.int64)}, "got values from -1 to 0"),
    ({"active": np.array([1, 1], dtype=np.int64)}, r"\(1 repeated\)"),
    ({"snapshot_capacity": -1}, "Configuration.snapshot_capacity must be an integer >= 0, got -1"),
    ({"snapshot_capacity": 3.0}, "Configuration.snapshot_capacity must be an integer, got 3.0"),
    ({"parameters": None}, "Configuration.parameters must be a dict, got NoneType"),
])
def test_a_plugin_configuration_the_engine_would_index_out_of_bounds_is_refused(replaced, message):
    """The kernels do no bounds checks: a worker index past n (or twice in the heap) corrupted memory."""
    with pytest.raises(ValueError, match=message):
        ringbench.simulate(problems.Quadratic.worst_case(4), _Configured(**replaced), timing.fixed(np.ones(3)),
                           t_max=5.0)


@pytest.mark.parametrize("name", ["", "  ", None])
def test_a_method_class_without_a_name_is_refused(name):
    unnamed = type("Unnamed", (methods.ASGD,), {"name": name})
    with pytest.raises(ValueError, match="method Unnamed: its class needs a name"):
        ringbench.simulate(problems.Quadratic.worst_case(4), unnamed(gamma=0.1), timing.fixed(np.ones(3)),
                           t_max=5.0)


@pytest.mark.parametrize("name", ["../escaped", "sub/dir", "back\\slash", ".hidden", " padded", "line\nbreak"])
def test_a_method_name_that_is_not_a_file_name_is_refused(name):
    """Results are saved as <out>/<name>.npz: a '/' in a plug-in's name wrote outside --out."""
    named = type("Named", (methods.ASGD,), {"name": name})
    with pytest.raises(ValueError, match="method Named: its name .* must be usable as a file name"):
        ringbench.simulate(problems.Quadratic.worst_case(4), named(gamma=0.1), timing.fixed(np.ones(3)),
                           t_max=5.0)


def test_a_problem_whose_data_is_not_a_namedtuple_is_refused():
    """A plain tuple has no class to register kernels for; it failed as 'the plug-in module builtins has no source'."""
    problem = problems.Quadratic.worst_case(4)
    own_data = problem.data
    problem.data = lambda: tuple(own_data())
    with pytest.raises(ValueError, match="data.. must return a NamedTuple instance .*, got tuple"):
        ringbench.simulate(problem, methods.ASGD(gamma=0.1), timing.fixed(np.ones(2)), t_max=5.0)


HUBER = f"{Path(__file__).resolve().parent.parent / 'examples' / 'custom_problem.py'}:HuberRegression"


@pytest.mark.parametrize("key, value, allowed", [
    ("n_samples", 2.5, "an integer"), ("n_samples", True, "an integer"), ("delta", "1", "a number"),
    ("delta", False, "a number"),
])
def test_a_plug_in_problem_value_of_the_wrong_declared_type_is_refused_naming_the_key(key, value, allowed):
    with pytest.raises(ValueError, match=f"{key} must be {allowed} \\(as its constructor declares\\), got"):
        problem_registry.build(HUBER, {key: value}, n=4)
    assert problem_registry.build(HUBER, {"n_samples": 50, "delta": 2}, n=4).delta == 2  # an int is a number


@pytest.mark.parametrize("name", ["custom_method.py", "path/to/custom_method.py"])
def test_a_plug_in_file_named_without_its_class_says_how_to_name_it(name):
    with pytest.raises(ValueError, match=r"a plug-in is named .*'path/to/file.py:Class' \(the file and the class"):
        methods.resolve(name)


@pytest.mark.parametrize("capacity", [0, 1])
def test_a_snapshot_capacity_too_small_for_the_rule_names_the_field(capacity):
    """ASGD's jobs in progress start from up to n iterates; fewer slots is the plug-in author's bug to find."""
    with pytest.raises(RuleError, match="^configured: .*Configuration.snapshot_capacity"):
        ringbench.simulate(problems.Quadratic.worst_case(4), _Configured(snapshot_capacity=capacity),
                           timing.fixed([1.0, 1.5, 2.2]), t_max=20.0)
