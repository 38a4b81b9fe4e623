"""Every built-in method, problem kind and storage gives bit-identical results to the stored golden runs.

The golden files (``data/golden``, made by ``python tests/golden.py``) are the acceptance test of
refactorings: on the machine they were made on (``data/golden/machine.json``), a change that moves any
bit of any case fails here. On another machine the compiled gradient kernels may round differently in the
last bits (they reorder arithmetic for the host CPU), so there the event sequence, counters and status
must still be identical and the floats agree to a relative 1e-9. Regenerate the files only when the random
streams change on purpose (see ``data/golden/README.md``).
"""

import golden
import numpy as np
import pytest

#: Floats on a machine other than the golden files' own: within this fraction of each array's largest value.
OTHER_MACHINE_RTOL = 1e-9


# The golden bits are those of the compiled kernels, whose arithmetic is reordered (fastmath reassoc and
# contract): run as Python (NUMBA_DISABLE_JIT=1) the last bits differ.
@pytest.mark.compiled
@pytest.mark.parametrize("name", list(golden.CASES))
def test_bit_identical_to_golden(name, golden_machine):
    expected = golden.load(name)
    actual = golden.run(name)
    assert sorted(actual) == sorted(expected)
    for key, want in expected.items():
        got = np.asarray(actual[key])
        assert got.dtype == want.dtype, f"{key}: dtype {got.dtype}, golden {want.dtype}"
        assert got.shape == want.shape, f"{key}: shape {got.shape}, golden {want.shape}"
        if golden_machine or want.dtype.kind != "f":
            np.testing.assert_array_equal(got, want, err_msg=key, strict=True)
            assert got.tobytes() == want.tobytes(), f"{key}: differs in the bits (e.g. -0.0 against 0.0, NaN payload)"
        else:
            finite = want[np.isfinite(want)]
            scale = float(np.max(np.abs(finite))) if finite.size else 0.0
            np.testing.assert_allclose(got, want, rtol=0.0, atol=OTHER_MACHINE_RTOL * scale, equal_nan=True,
                                       err_msg=key)
    assert str(actual["status"]) == str(expected["status"])
    for counter in golden.COUNTERS:
        assert int(actual[f"counter_{counter}"]) == int(expected[f"counter_{counter}"]), counter


@pytest.fixture(scope="module")
def golden_machine():
    """Whether this is the machine the golden files were made on (then every bit is checked)."""
    return golden.recorded_machine() == golden.machine()


def test_golden_files_were_made_on_this_machine(golden_machine):
    """Skipped, with the difference, where floats can only be compared to a tolerance."""
    if not golden_machine:
        recorded, here = golden.recorded_machine() or {}, golden.machine()
        # The feature lists are long: name the keys that differ, with both values for the short ones.
        differences = {key: "differ" if key == "cpu_features" else (recorded.get(key), value)
                       for key, value in here.items() if recorded.get(key) != value}
        pytest.skip(f"golden files made elsewhere, floats checked to {OTHER_MACHINE_RTOL:g}: {differences}")


def test_every_case_has_a_golden_file_and_no_file_is_stale():
    stored = {path.stem for path in golden.GOLDEN_DIR.glob("*.npz")}
    assert stored == set(golden.CASES)


def test_golden_cases_cover_every_method_problem_and_status():
    from ringbench import methods
    names = {golden.METHODS[case["method"]](1.0).name if isinstance(case["method"], str) else case["method"].name
             for case in golden.CASES.values()}
    assert set(methods.METHODS) <= names  # and compositions such as a concurrency cap
    assert {case["problem"] for case in golden.CASES.values()} == set(golden.PROBLEMS)
    assert {case["timing"] for case in golden.CASES.values()} == set(golden.TIMINGS)
    statuses = {str(golden.load(name)["status"]) for name in golden.CASES}
    assert statuses == {"time_budget", "update_budget", "target_reached", "diverged"}
