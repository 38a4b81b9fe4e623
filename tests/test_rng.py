"""The counter-based generator: Philox4x64-10 bit for bit against numpy, and its derived draws."""

import math

import numpy as np
import pytest
import scipy.stats

from ringbench.engine import rng

MASK64 = 2**64 - 1


def numpy_block(c0, c1, c2, c3, k0, k1):
    """First Philox block numpy produces for counter (c0, c1, c2, c3) and key (k0, k1).

    numpy increments its 256-bit counter before each block, so it is started one below
    the counter wanted (with the borrow propagated through the words, as a 256-bit integer).
    """
    counter = (c0 | c1 << 64 | c2 << 128 | c3 << 192) - 1
    counter %= 2**256
    words = [(counter >> (64 * i)) & MASK64 for i in range(4)]
    generator = np.random.Philox(counter=np.array(words, dtype=np.uint64), key=np.array([k0, k1], dtype=np.uint64))
    return [int(word) for word in generator.random_raw(4)]


def ours(c0, c1, c2, c3, k0, k1):
    return [int(word) for word in rng.philox4x64(*(np.uint64(v) for v in (c0, c1, c2, c3, k0, k1)))]


def random_words(generator, count):
    return [int(v) for v in generator.integers(0, 2**64, size=count, dtype=np.uint64)]


def test_philox_matches_numpy_documented_form():
    # The exact form of the brief: counter [c0 - 1, c1, c2, c3] with c0 >= 1 (no borrow). The
    # words must be passed as a uint64 array: numpy converts a list of Python ints >= 2**63
    # through float64 and silently rounds them.
    generator = np.random.default_rng(20240601)
    for _ in range(50):
        c0, c1, c2, c3, k0, k1 = random_words(generator, 6)
        c0 = max(c0, 1)
        counter = np.array([c0 - 1, c1, c2, c3], dtype=np.uint64)
        expected = np.random.Philox(counter=counter, key=np.array([k0, k1], dtype=np.uint64)).random_raw(4)
        assert ours(c0, c1, c2, c3, k0, k1) == [int(v) for v in expected]


EDGE = [0, 1, 2, 2**32 - 1, 2**32, 2**63, MASK64 - 1, MASK64]


@pytest.mark.parametrize("c0", [1, 2**32, MASK64])
@pytest.mark.parametrize("high", EDGE)
def test_philox_matches_numpy_at_wraparound_values(c0, high):
    generator = np.random.default_rng(high % 1000 + c0 % 7)
    k0, k1 = random_words(generator, 2)
    for counter in [(c0, high, 0, 0), (c0, 0, high, 0), (c0, 0, 0, high), (c0, high, high, high)]:
        assert ours(*counter, k0, k1) == numpy_block(*counter, k0, k1)
    # Extreme keys too: the key schedule adds Weyl constants that wrap around 2**64.
    for k0, k1 in [(0, 0), (MASK64, MASK64), (MASK64, 0), (2**63, 2**63 - 1)]:
        assert ours(c0, high, 3, high, k0, k1) == numpy_block(c0, high, 3, high, k0, k1)


def test_philox_matches_numpy_with_zero_low_word():
    # c0 = 0 needs a borrow on numpy's side; the 256-bit helper handles it.
    generator = np.random.default_rng(7)
    for _ in range(20):
        _, c1, c2, c3, k0, k1 = random_words(generator, 6)
        assert ours(0, c1, c2, c3, k0, k1) == numpy_block(0, c1, c2, c3, k0, k1)
    assert ours(0, 0, 0, 0, 0, 0) == numpy_block(0, 0, 0, 0, 0, 0)


def test_uniforms_are_the_top_53_bits_of_the_philox_words():
    key = rng.key_from_seed(np.random.SeedSequence(12345))
    k0, k1 = int(key[0]), int(key[1])
    for stream, worker, job, block in [(0, 0, 0, 0), (1, 3, 17, 2), (0, 10**6, 2**40, 5), (1, 2**62, 1, 0)]:
        words = numpy_block(worker, job, block, stream, k0, k1)
        expected = tuple((word >> 11) / 2.0**53 for word in words)
        assert rng.uniforms(key, stream, worker, job, block) == expected


def test_unit_map_stays_below_one():
    assert rng._to_unit(np.uint64(0)) == 0.0
    top = rng._to_unit(np.uint64(MASK64))
    assert top < 1.0
    assert top == 1.0 - 2.0**-53


def many(function, key, count, stream=0):
    """``4 * count`` draws of ``function`` over workers 0..count-1 (job 0, block 0)."""
    return np.array([function(key, stream, worker, 0, 0) for worker in range(count)]).ravel()


def test_uniforms_in_unit_interval_and_uniform():
    key = rng.key_from_seed(np.random.SeedSequence(1))
    draws = many(rng.uniforms, key, 5000)
    assert np.all(draws >= 0.0) and np.all(draws < 1.0)
    n = draws.size
    # Mean 1/2, variance 1/12: within 5 standard errors.
    assert abs(draws.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    assert abs(draws.var() - 1 / 12) < 5 * math.sqrt(1 / 180 / n)  # Var of (U - 1/2)^2 is 1/180
    assert scipy.stats.kstest(draws, "uniform").pvalue > 1e-4


def test_normals_standard():
    key = rng.key_from_seed(np.random.SeedSequence(2))
    draws = many(rng.normals, key, 5000, stream=rng.STREAM_NOISE)
    assert np.all(np.isfinite(draws))
    n = draws.size
    assert abs(draws.mean()) < 5 / math.sqrt(n)
    assert abs(draws.var() - 1.0) < 5 * math.sqrt(2.0 / n)  # Var of a sample variance ~ 2 sigma^4 / n
    assert scipy.stats.kstest(draws, "norm").pvalue > 1e-4
    # The four lanes of one call are uncorrelated (Box-Muller pairs share a radius, not a sign).
    lanes = draws.reshape(-1, 4)
    correlation = np.corrcoef(lanes.T)
    assert np.all(np.abs(correlation - np.eye(4)) < 5 / math.sqrt(lanes.shape[0]))


def test_normals_are_box_muller_of_the_uniforms():
    key = rng.key_from_seed(np.random.SeedSequence(3))
    for address in [(0, 1, 2, 3), (1, 0, 0, 0), (1, 99, 12, 1)]:
        u0, u1, u2, u3 = rng.uniforms(key, *address)
        r0, r1 = math.sqrt(-2 * math.log(1 - u0)), math.sqrt(-2 * math.log(1 - u2))
        expected = (r0 * math.cos(2 * math.pi * u1), r0 * math.sin(2 * math.pi * u1),
                    r1 * math.cos(2 * math.pi * u3), r1 * math.sin(2 * math.pi * u3))
        np.testing.assert_allclose(rng.normals(key, *address), expected, rtol=1e-14, atol=1e-15)


def test_different_addresses_and_keys_give_different_draws():
    key = rng.key_from_seed(np.random.SeedSequence(4))
    other_key = rng.key_from_seed(np.random.SeedSequence(5))
    base = rng.uniforms(key, 0, 3, 7, 0)
    variants = [
        rng.uniforms(key, 1, 3, 7, 0),  # stream
        rng.uniforms(key, 0, 4, 7, 0),  # worker
        rng.uniforms(key, 0, 3, 8, 0),  # job
        rng.uniforms(key, 0, 3, 7, 1),  # block
        rng.uniforms(key, 0, 7, 3, 0),  # worker and job swapped
        rng.uniforms(other_key, 0, 3, 7, 0),  # key
    ]
    seen = {base}
    for variant in variants:
        assert variant not in seen
        seen.add(variant)
        assert len(set(variant) & set(base)) == 0
    # Same address, same key: same draws (a pure function).
    assert rng.uniforms(key, 0, 3, 7, 0) == base
    assert rng.normals(key, 1, 3, 7, 0) == rng.normals(key.copy(), 1, 3, 7, 0)


def test_streams_are_uncorrelated():
    key = rng.key_from_seed(np.random.SeedSequence(6))
    duration = many(rng.normals, key, 3000, stream=rng.STREAM_DURATION)
    noise = many(rng.normals, key, 3000, stream=rng.STREAM_NOISE)
    assert abs(np.corrcoef(duration, noise)[0, 1]) < 5 / math.sqrt(duration.size)


def test_key_from_seed_uses_the_seed_sequence():
    a = rng.key_from_seed(np.random.SeedSequence(0))
    assert a.dtype == np.uint64 and a.shape == (2,)
    np.testing.assert_array_equal(a, np.random.SeedSequence(0).generate_state(2, dtype=np.uint64))
    assert not np.array_equal(a, rng.key_from_seed(np.random.SeedSequence(1)))
    assert not np.array_equal(a, rng.key_from_seed(np.random.SeedSequence(0).spawn(1)[0]))
