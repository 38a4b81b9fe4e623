"""Fuzzing the ``ringbench`` command: random argument vectors end with status 0 or 2, never a traceback.

Each example calls the entry point in-process with tiny sizes (a few workers, a few
dimensions, a second or two of simulated time), so a valid vector runs in milliseconds
once the kernels are compiled; an invalid one must stop with one line on stderr naming
what is wrong, before any long work.
"""

import contextlib
import io
import os
import re
import tempfile

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ringbench
from ringbench import methods, problems, timing
from ringbench.cli import main

#: Values that are wrong for most options: out of range, not numbers, too large for int64 or memory.
BAD = ["0", "-1", "nan", "inf", "-inf", "1e308", "2.5", "", "abc", "99999999999999999999", "1e30", "1,2"]


def values(*good):
    """An option's value: one of ``good``, one of :data:`BAD`, or short random text."""
    return st.one_of(st.sampled_from(good), st.sampled_from(BAD), st.text(alphabet="0123456789.-e,=abn ", max_size=6))


def sizes(*good):
    """A value of an option every vector gives: 8 times in 10 a good one, so that many vectors run."""
    return st.tuples(st.integers(0, 9), st.sampled_from(good), values(*good)).map(
        lambda drawn: drawn[1] if drawn[0] < 8 else drawn[2])


#: Options of each subcommand and their values; every example picks some of them.
OPTIONS = {
    "run": {
        "--eps": values("0.1", "1e-300"),
        "-R": values("1", "3"), "-S": values("1", "4"), "--buffer": values("2"),
        "--phase1-hm-target": values("1", "2"), "--no-stops": None, "--max-updates": values("5", "50"),
        "--stop-at-target": None, "--trace": None, "--param": values("gamma=0.1", "foo=1", "gamma=[1]", "x"),
        "--problem": values("worst-case", "random-dense", "logistic", "bogus", "x.py:Foo"),
        "--problem-param": values("x=1"), "--condition-number": values("10"), "--noise-std": values("0.1"),
        "--noise": values("scalar", "isotropic"), "--heterogeneity": values("0.5"),
        "--data-path": values("/nonexistent/dir"), "--dataset": values("a9a", "mnist"),
        "--storage": values("csr", "dense"), "--lam": values("0.1"), "--regularizer": values("l2", "nonconvex"),
        "--batch": values("1", "2"), "--without-replacement": None, "--split": values("iid", "dirichlet"),
        "--alpha": values("0.5"), "--timing": values("paper", "sqrt", "constant", "bogus"),
        "--seed": values("0", "7"), "--target": values("0.1", "1e-3"), "--out": values("OUT", "/proc/x"),
    },
    "compare": {
        "--setting": values("homogeneous", "bogus"), "--paper-scale": None,
        "--problem": values("quadratic", "bogus"), "--methods": values("asgd", "ringmaster,asgd", "asgd,asgd", ","),
        "--theory": values("0.1"), "--data-path": values("/nonexistent/dir"), "--dataset": values("a9a"),
        "--storage": values("dense"), "--timing": values("paper", "linear", "bogus"), "--seed": values("0", "3"),
        "--target": values("0.1"), "--out": values("OUT", "/proc/x"),
    },
    "theory": {
        "--timing": values("paper", "ringleader", "bogus"), "--n": values("1", "5", "2000000000"),
        "--sigma2": values("0", "0.5"), "--L": values("1", "2"), "--delta": values("0", "3"), "--json": None,
    },
    "plot": {"--plots": values("convergence", "delays,workers", "convergence,convergence", "bogus")},
    "scaling": {
        "--timing": values("sqrt", "bogus"), "--methods": values("ringmaster", "rennala,asgd", "bogus"),
        "--eps": values("0.1", "1e-300"), "--sigma2": values("0.1"), "--out": values("OUT", "/proc/x"),
    },
}
#: Options always given (their values still fuzzed) so that a valid vector stays tiny.
SIZES = {
    "run": {"--method": sizes("asgd", "ringmaster", "rennala"), "--gamma": sizes("0.01", "0.1"),
            "--n": sizes("1", "3"), "--d": sizes("1", "4"), "--t-max": sizes("0.5", "2")},
    "compare": {"--n": sizes("1", "3"), "--d": sizes("2"), "--t-max": sizes("0.5", "2")},
    "theory": {"--eps": sizes("0.1", "1e-3")},
    "plot": {"--out": sizes("OUT", "/proc/x")},
    "scaling": {"--ns": sizes("1", "1,2"), "--d": sizes("2"), "--seeds": sizes("1"), "--budget": sizes("1")},
}


#: What an error line must contain: a flag, a quoted value or path, "name must"/"name =", or a method parameter.
NAMES = re.compile(r"(^|[\s(])-{1,2}[A-Za-z]|'|\bRESULT\b|\b\w+ (must|=)|\b(gamma|eps|threshold|seed|sigma2)\b")


@st.composite
def argument_vectors(draw):
    command = draw(st.sampled_from(sorted(OPTIONS)))
    chosen = draw(st.lists(st.sampled_from(sorted(set(OPTIONS[command]) - set(SIZES[command]))), max_size=3,
                           unique=True))
    argv = [command] if command in ("theory", "plot") else [command, "--quiet"]
    if command == "plot":  # RESULT: a saved traced result (the fixture's), twice, or no result at all
        argv += draw(st.lists(st.sampled_from(["RESULT", "RESULT.json", "/nonexistent", "/etc/passwd"]), min_size=1,
                              max_size=2))
    for option, strategy in [*SIZES[command].items(), *((name, OPTIONS[command][name]) for name in chosen)]:
        if strategy is None:
            argv.append(option)
        else:
            # The = form: a value starting with "-" is still this option's value.
            argv.append(f"{option}={draw(strategy)}")
    return argv


def call(argv):
    """Run the command in-process; return (status, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            status = main(argv)
        except SystemExit as exit:  # argparse's own errors
            status = exit.code
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small traced result for ``plot`` to read."""
    stem = tmp_path_factory.mktemp("fuzz-plot") / "ringmaster"
    ringbench.simulate(problems.Quadratic.worst_case(3), methods.Ringmaster(gamma=0.1, threshold=2),
                       timing.fixed([1.0, 2.0]), t_max=5.0, trace=True).save(stem)
    return stem


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(argument_vectors())
def test_random_argument_vectors_exit_0_or_2_with_one_line_errors(saved, argv):
    with tempfile.TemporaryDirectory() as out:
        argv = [re.sub(r"^RESULT", str(saved), re.sub(r"^--out=OUT$", f"--out={out}/result", argument))
                for argument in argv]
        here = os.getcwd()
        os.chdir(out)  # a relative --out (random text) lands in the temporary directory
        try:
            status, stdout, stderr = call(argv)
        finally:
            os.chdir(here)
    event(f"{argv[0]} exit {status}")  # pytest --hypothesis-show-statistics: how many vectors ran
    assert status in (0, 2), (argv, status, stderr)
    assert "Traceback" not in stderr
    if status == 2:
        errors = [line for line in stderr.splitlines() if line.startswith("ringbench: error: ")]
        assert len(errors) == 1, (argv, stderr)
        # The message names what is wrong: an option, a quoted value or file, or a parameter.
        assert NAMES.search(errors[0].removeprefix("ringbench: error: ")), (argv, errors[0])
    else:
        assert stdout  # a summary, a table or the theory's report


@pytest.mark.parametrize("argv", [["run", "--method=asgd", "--gamma=0.1", "--n=2", "--d=2", "--t-max=nan"],
                                  ["compare", "--methods=", "--n=2"], ["theory", "--eps=1e-300"]])
def test_the_fuzzed_entry_point_reports_bad_input_as_status_2(argv):
    # The fuzz test's own harness: a known bad vector comes back as status 2 with one error line.
    status, _, stderr = call(argv)
    assert status == 2 and stderr.startswith("ringbench: error: ")
