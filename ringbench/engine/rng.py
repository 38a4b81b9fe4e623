"""Counter-based random numbers: every draw is a pure function of its indices.

Why not a :class:`numpy.random.Generator`? A simulated run asks for "the duration of
worker ``i``'s ``j``-th job" in whatever order events happen, for up to millions of
workers, inside a jitted loop. A counter-based generator answers that in O(1) with
no per-worker state, so every method sees the same hardware (common random numbers)
and results do not depend on event order, chunking or process. numpy implements
Philox but offers no way to call it per counter from nopython code, so this module
re-implements Philox4x64-10 (Salmon et al., SC'11); ``tests/test_rng.py`` checks it
bit for bit against :class:`numpy.random.Philox`.

A draw is addressed by a 4-word counter ``(worker, job, block, stream)`` under the
run's 2-word key (derived from the run's :class:`numpy.random.SeedSequence`).
"""

import numpy as np

from .._jit import kernel

#: Stream ids: independent families of draws under one key.
STREAM_DURATION = 0
STREAM_NOISE = 1

_MULTIPLIER_0 = np.uint64(0xD2E7470EE14C6C93)
_MULTIPLIER_1 = np.uint64(0xCA5A826395121157)
_WEYL_0 = np.uint64(0x9E3779B97F4A7C15)
_WEYL_1 = np.uint64(0xBB67AE8584CAA73B)
_LOW32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_SHIFT11 = np.uint64(11)
_TWO_PI = 2.0 * np.pi


@kernel
def _mulhilo(a, b):
    """Return the high and low 64-bit words of the 128-bit product ``a * b``."""
    low = a * b
    a_low, a_high = a & _LOW32, a >> _SHIFT32
    b_low, b_high = b & _LOW32, b >> _SHIFT32
    cross_1 = a_low * b_high
    cross_2 = a_high * b_low
    middle = ((a_low * b_low) >> _SHIFT32) + (cross_1 & _LOW32) + (cross_2 & _LOW32)
    high = a_high * b_high + (cross_1 >> _SHIFT32) + (cross_2 >> _SHIFT32) + (middle >> _SHIFT32)
    return high, low


@kernel
def philox4x64(c0, c1, c2, c3, k0, k1):
    """Philox4x64-10 block function: four random uint64 words for one counter.

    Parameters
    ----------
    c0, c1, c2, c3 : uint64
        The counter.
    k0, k1 : uint64
        The key.

    Returns
    -------
    tuple of four uint64
    """
    for round_index in range(10):
        if round_index > 0:
            k0 += _WEYL_0
            k1 += _WEYL_1
        high_0, low_0 = _mulhilo(_MULTIPLIER_0, c0)
        high_1, low_1 = _mulhilo(_MULTIPLIER_1, c2)
        c0, c1, c2, c3 = high_1 ^ c1 ^ k0, low_1, high_0 ^ c3 ^ k1, low_0
    return c0, c1, c2, c3


@kernel
def _to_unit(word):
    """Map a uint64 to a double in [0, 1) using its top 53 bits."""
    return np.float64(word >> _SHIFT11) * (1.0 / 9007199254740992.0)


@kernel
def uniforms(key, stream, worker, job, block):
    """Four independent U[0, 1) draws addressed by ``(worker, job, block, stream)``.

    Parameters
    ----------
    key : ndarray of uint64, shape (2,)
        The run's Philox key.
    stream, worker, job, block : int
        The address of the draw.

    Returns
    -------
    tuple of four float
    """
    w0, w1, w2, w3 = philox4x64(
        np.uint64(worker), np.uint64(job), np.uint64(block), np.uint64(stream), key[0], key[1]
    )
    return _to_unit(w0), _to_unit(w1), _to_unit(w2), _to_unit(w3)


@kernel
def normals(key, stream, worker, job, block):
    """Four independent standard normal draws (Box-Muller on :func:`uniforms`).

    Returns
    -------
    tuple of four float
    """
    u0, u1, u2, u3 = uniforms(key, stream, worker, job, block)
    # 1 - u lies in (0, 1], so the logarithm is finite.
    radius_0 = np.sqrt(-2.0 * np.log(1.0 - u0))
    radius_1 = np.sqrt(-2.0 * np.log(1.0 - u2))
    return (
        radius_0 * np.cos(_TWO_PI * u1),
        radius_0 * np.sin(_TWO_PI * u1),
        radius_1 * np.cos(_TWO_PI * u3),
        radius_1 * np.sin(_TWO_PI * u3),
    )


def key_from_seed(seed_sequence):
    """Derive the 2-word Philox key of a run from its :class:`numpy.random.SeedSequence`."""
    return seed_sequence.generate_state(2, dtype=np.uint64)
