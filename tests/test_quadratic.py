"""The quadratics' storages: a tridiagonal A with constant bands takes the stencil kernel, with the same bits."""

import numpy as np
import pytest

from ringbench import problems
from ringbench.problems import ids
from ringbench.problems.quadratic_kernels import toeplitz_affine, tridiagonal_affine


def test_constant_bands_take_the_stencil_and_others_the_band_kernel():
    assert problems.Quadratic.worst_case(50)._kernel_data.storage == ids.TOEPLITZ
    varying = problems.Quadratic.tridiagonal(np.full(9, -0.25), np.linspace(1.0, 2.0, 10), np.ones(10))
    assert varying._kernel_data.storage == ids.TRIDIAGONAL
    small = problems.Quadratic.tridiagonal([-0.25], [0.5, 0.5], np.ones(2))  # the stencil needs d >= 3
    assert small._kernel_data.storage == ids.TRIDIAGONAL
    assert problems.Quadratic.worst_case(50).storage() == varying.storage() == "tridiagonal"


@pytest.mark.parametrize("d", [3, 4, 1729])
def test_stencil_gives_the_band_kernels_bits_and_the_matrix_product(d):
    rng = np.random.default_rng(d)
    bands = np.zeros((3, d))
    bands[0, 1:], bands[1], bands[2, :-1] = -0.25, 0.5, -0.25
    point, b = rng.normal(size=d), rng.normal(size=d)
    stencil, banded = np.empty(d), np.empty(d)
    toeplitz_affine(bands, point, b, 0.7, 0.3, stencil)
    tridiagonal_affine(bands, point, b, 0.7, 0.3, banded)
    assert stencil.tobytes() == banded.tobytes()
    matrix = np.diag(bands[1]) + np.diag(bands[0, 1:], -1) + np.diag(bands[2, :-1], 1)
    np.testing.assert_allclose(stencil, 0.7 * matrix @ point - b + 0.3, rtol=1e-13, atol=1e-13)
