"""Every built-in method, problem kind and storage gives bit-identical results to the stored golden runs.

The golden files (``data/golden``, made by ``python tests/golden.py``) are the acceptance test of
refactorings: a change that moves any bit of any case fails here. Regenerate them only when the random
streams change on purpose (see ``data/golden/README.md``).
"""

import golden
import numpy as np
import pytest


# The golden bits are those of the compiled kernels, whose arithmetic is reordered (fastmath reassoc and
# contract): run as Python (NUMBA_DISABLE_JIT=1) the last bits differ.
@pytest.mark.compiled
@pytest.mark.parametrize("name", list(golden.CASES))
def test_bit_identical_to_golden(name):
    expected = golden.load(name)
    actual = golden.run(name)
    assert sorted(actual) == sorted(expected)
    for key, want in expected.items():
        got = np.asarray(actual[key])
        assert got.dtype == want.dtype, f"{key}: dtype {got.dtype}, golden {want.dtype}"
        assert got.shape == want.shape, f"{key}: shape {got.shape}, golden {want.shape}"
        np.testing.assert_array_equal(got, want, err_msg=key, strict=True)
        assert got.tobytes() == want.tobytes(), f"{key}: differs in the bits (e.g. -0.0 against 0.0, NaN payload)"
    assert str(actual["status"]) == str(expected["status"])
    for counter in golden.COUNTERS:
        assert int(actual[f"counter_{counter}"]) == int(expected[f"counter_{counter}"]), counter


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
