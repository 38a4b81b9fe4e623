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


# --- Stream version 2: xoshiro256++ keyed once per job by Philox, ziggurat normals ------------------------------

DRAWS = 10**6


def xoshiro_reference(state):
    """xoshiro256++ in Python integers, transcribed from the published definition (Blackman & Vigna)."""
    s = [int(word) for word in state]

    def rotate(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    while True:
        word = (rotate((s[0] + s[3]) & MASK64, 23) + s[0]) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotate(s[3], 45)
        yield word


def normals_reference(state, count):
    """The version-2 normal draws in Python: the ziggurat of ``rng``'s tables, read from their definition."""
    words = xoshiro_reference(state)
    accept, width, density, r = rng._ZIGGURAT_ACCEPT, rng._ZIGGURAT_WIDTH, rng._ZIGGURAT_DENSITY, rng.ZIGGURAT_R

    def uniform():
        return (next(words) >> 11) * 2.0**-53

    def draw():
        while True:
            word = next(words)
            index, magnitude = word & 511, word >> 11
            z = float(magnitude) * width[index]
            if magnitude < accept[index]:
                return z
            layer = index & 255
            if layer == 0:
                while True:
                    excess = -math.log1p(-uniform()) / r
                    if -2.0 * math.log1p(-uniform()) > excess * excess:
                        return -(r + excess) if index >= 256 else r + excess
            if density[layer] + uniform() * (density[layer + 1] - density[layer]) < math.exp(-0.5 * z * z):
                return z

    return [draw() for _ in range(count)]


def words_of(state):
    """A state returned to Python (Python integers) as uint64 words, to pass back into a kernel."""
    return tuple(np.uint64(word) for word in state)


@pytest.mark.compiled  # checks numba's dispatchers
def test_version_2_kernels_are_compiled():
    import numba.core.registry

    for function in (rng.job_state, rng.next_word, rng.next_normal, rng.fill_normals, rng.fill_uniforms,
                     rng.job_normal, rng.job_uniform):
        assert isinstance(function, numba.core.registry.CPUDispatcher)
    assert rng.STREAM_VERSION == 2


def test_xoshiro_matches_the_published_sequence():
    # Blackman & Vigna's xoshiro256plusplus.c from the state {1, 2, 3, 4}, as quoted by every port's tests.
    expected = [41943041, 58720359, 3588806011781223, 3591011842654386, 9228616714210784205,
                9973669472204895162, 14011001112246962877, 12406186145184390807, 15849039046786891736,
                10450023813501588000]
    state = tuple(np.uint64(v) for v in (1, 2, 3, 4))
    words = []
    for _ in expected:
        word, state = rng.next_word(state)
        state = words_of(state)
        words.append(int(word))
    assert words == expected
    reference = xoshiro_reference((1, 2, 3, 4))
    assert [next(reference) for _ in expected] == expected


def test_job_state_is_the_documented_philox_block():
    key = rng.key_from_seed(np.random.SeedSequence(21))
    for stream, worker, job in [(0, 0, 0), (1, 5, 9), (1, 2**40, 2**62 + 3)]:
        state = rng.job_state(key, stream, worker, job)
        block = rng.philox4x64(np.uint64(worker), np.uint64(job), np.uint64(MASK64), np.uint64(stream), key[0], key[1])
        assert state == block
        assert [int(word) for word in state] == numpy_block(worker, job, MASK64, stream, int(key[0]), int(key[1]))
        # No job state is a block of version-1 draws (small block index in the third counter word).
        assert rng.uniforms(key, stream, worker, job, 0) != tuple((int(w) >> 11) / 2.0**53 for w in state)


def test_ziggurat_tables():
    r, edges = rng._ziggurat_edges()
    # Marsaglia & Tsang's r for 256 layers (numpy's ziggurat_nor_r).
    assert r == pytest.approx(3.6541528853610088, rel=1e-15)
    assert rng.ZIGGURAT_R == r
    density = np.exp(-0.5 * edges * edges)
    area = r * density[1] + math.sqrt(math.pi / 2) * math.erfc(r / math.sqrt(2))
    assert area == pytest.approx(0.00492867323399, rel=1e-11)
    # Every layer has the same area, the base one (rectangle of width edges[0] and height f(r)) included.
    assert edges[0] * density[1] == pytest.approx(area, rel=1e-14)
    np.testing.assert_allclose(edges[1:-1] * (density[2:] - density[1:-1]), area, rtol=1e-11)
    assert edges[-1] == 0.0 and np.all(np.diff(edges) < 0)
    accept, width = rng._ZIGGURAT_ACCEPT, rng._ZIGGURAT_WIDTH
    assert accept.dtype == np.int64 and accept.shape == width.shape == (512,)
    np.testing.assert_array_equal(accept[:256], accept[256:])
    np.testing.assert_array_equal(width[:256], -width[256:])
    # A fast accept never leaves the curve: magnitude * width stays below the next edge (up to rounding).
    assert np.all((accept[:256] - 1) * width[:256] <= edges[1:])
    assert np.all(accept[:256] * (edges[:-1] / 2.0**53) >= edges[1:] * (1 - 2**-52))  # and floor() lost < 1
    assert np.all(accept[:256] <= 2**53)


def test_normals_match_the_python_reference_bit_for_bit():
    key = rng.key_from_seed(np.random.SeedSequence(22))
    for stream, worker, job in [(1, 0, 0), (0, 17, 3), (1, 10**6, 2**33)]:
        out = np.zeros(20_000)  # about 300 words past the fast path: wedges and tails are covered
        rng.fill_normals(key, stream, worker, job, out, 1.0)
        expected = normals_reference(rng.job_state(key, stream, worker, job), out.size)
        np.testing.assert_array_equal(out, expected)
        assert np.abs(out).max() > rng.ZIGGURAT_R  # the tail was exercised


def test_uniforms_match_the_top_53_bits_of_the_words():
    key = rng.key_from_seed(np.random.SeedSequence(23))
    out = np.full(1000, -1.0)
    rng.fill_uniforms(key, 0, 4, 5, out)
    words = xoshiro_reference(rng.job_state(key, 0, 4, 5))
    assert out.tolist() == [(next(words) >> 11) * 2.0**-53 for _ in range(out.size)]
    assert rng.job_uniform(key, 0, 4, 5) == out[0]


def test_next_uniform_bounds():
    # word = rotl(s0 + s3, 23) + s0: all zeros for (0, 1, 0, 0), all ones for (0, 0, 0, 2**64 - 1).
    lowest, _ = rng.next_uniform(tuple(np.uint64(v) for v in (0, 1, 0, 0)))
    highest, _ = rng.next_uniform(tuple(np.uint64(v) for v in (0, 0, 0, MASK64)))
    assert lowest == 0.0
    assert highest == 1.0 - 2.0**-53


def test_fill_normals_is_a_pure_function_of_the_job():
    key = rng.key_from_seed(np.random.SeedSequence(24))
    d = 1729
    jobs = [(worker, job) for worker in range(5) for job in range(6)]

    def draws(worker, job, scale=1.0, start=None):
        out = np.zeros(d) if start is None else start.copy()
        rng.fill_normals(key, rng.STREAM_NOISE, worker, job, out, scale)
        return out

    reference = {address: draws(*address) for address in jobs}
    shuffled = [jobs[i] for i in np.random.default_rng(0).permutation(len(jobs))]
    for address in shuffled:  # another order, a copied key: the same draws
        out = np.zeros(d)
        rng.fill_normals(key.copy(), rng.STREAM_NOISE, *address, out, 1.0)
        np.testing.assert_array_equal(out, reference[address])
    # The previous contents of out only enter through the addition; scale multiplies the same draws.
    start = np.random.default_rng(1).standard_normal(d) * 10
    np.testing.assert_array_equal(draws(2, 3, 0.25, start), start + 0.25 * reference[(2, 3)])
    np.testing.assert_array_equal(draws(2, 3, 0.0), np.zeros(d))
    # A longer vector extends the same sequence; a slice is filled like a short vector.
    longer = np.zeros(2 * d)
    rng.fill_normals(key, rng.STREAM_NOISE, 4, 5, longer, 1.0)
    np.testing.assert_array_equal(longer[:d], reference[(4, 5)])
    strided = np.zeros(2 * d)
    rng.fill_normals(key, rng.STREAM_NOISE, 4, 5, strided[::2], 1.0)
    np.testing.assert_array_equal(strided[::2], reference[(4, 5)])
    assert np.all(strided[1::2] == 0.0)
    # The scalar draw is the job's first normal.
    for address in jobs:
        assert rng.job_normal(key, rng.STREAM_NOISE, *address) == reference[address][0]
    empty = np.zeros(0)
    rng.fill_normals(key, 0, 0, 0, empty, 1.0)  # nothing to do, no error


def test_different_jobs_workers_streams_and_keys_give_different_draws():
    key = rng.key_from_seed(np.random.SeedSequence(25))
    other_key = rng.key_from_seed(np.random.SeedSequence(26))
    d = 1000

    def draws(key, stream, worker, job):
        out = np.zeros(d)
        rng.fill_normals(key, stream, worker, job, out, 1.0)
        return out

    base = draws(key, 1, 3, 7)
    variants = [draws(key, 0, 3, 7), draws(key, 1, 4, 7), draws(key, 1, 3, 8), draws(key, 1, 7, 3),
                draws(other_key, 1, 3, 7), draws(key, 1, 3, 2**62)]
    vectors = np.array([base, *variants])
    assert len(np.unique(vectors)) == vectors.size  # no value in common at all
    correlation = np.corrcoef(vectors)
    assert np.all(np.abs(correlation - np.eye(len(vectors))) < 5 / math.sqrt(d))
    # Consecutive jobs of one worker and one job of consecutive workers: uncorrelated vectors.
    for addresses in ([(1, 3, job) for job in range(50)], [(1, worker, 7) for worker in range(50)]):
        vectors = np.array([draws(key, *address) for address in addresses])
        correlation = np.corrcoef(vectors)
        assert np.all(np.abs(correlation - np.eye(len(vectors))) < 5 / math.sqrt(d))


def _many_normals(seed, d=1000):
    """DRAWS normals: ``DRAWS / d`` jobs of ``d`` draws each, workers and jobs mixed."""
    key = rng.key_from_seed(np.random.SeedSequence(seed))
    out = np.zeros((DRAWS // d, d))
    for k in range(out.shape[0]):
        rng.fill_normals(key, rng.STREAM_NOISE, k % 10, k // 10, out[k], 1.0)
    return out.ravel()


def test_normal_moments():
    draws = _many_normals(27)
    n = draws.size
    assert np.all(np.isfinite(draws))
    # Each sample moment against its standard error for a normal sample: the mean sqrt(1/n), the variance
    # sqrt(2/n), the skewness sqrt(6/n), the excess kurtosis sqrt(24/n); 5 standard errors.
    assert abs(draws.mean()) < 5 * math.sqrt(1 / n)
    assert abs(draws.var() - 1.0) < 5 * math.sqrt(2 / n)
    assert abs(scipy.stats.skew(draws)) < 5 * math.sqrt(6 / n)
    assert abs(scipy.stats.kurtosis(draws)) < 5 * math.sqrt(24 / n)
    # Both signs equally often, and no draw exactly repeated at this size (53-bit magnitudes).
    assert abs(np.mean(draws > 0) - 0.5) < 5 * math.sqrt(0.25 / n)


def test_normal_tails_and_shape():
    draws = _many_normals(28)
    n = draws.size
    for threshold in (1.0, 2.0, 3.0, rng.ZIGGURAT_R, 4.0):
        p = math.erfc(threshold / math.sqrt(2))  # P(|Z| > threshold)
        count = np.count_nonzero(np.abs(draws) > threshold)
        assert abs(count - n * p) < 5 * math.sqrt(n * p * (1 - p)) + 1, threshold
    assert scipy.stats.kstest(draws, "norm").pvalue > 1e-4
    # 200 equiprobable bins: finer than the KS test at the layer edges of the ziggurat.
    edges = scipy.stats.norm.ppf(np.linspace(0, 1, 201))
    counts, _ = np.histogram(draws, bins=edges)
    assert scipy.stats.chisquare(counts).pvalue > 1e-4


def test_normal_tail_beyond_r():
    # The tail branch alone (base layer, magnitude past r), against the normal truncated at r.
    draws = np.zeros(100_000)
    state = words_of(rng.job_state(rng.key_from_seed(np.random.SeedSequence(29)), 0, 0, 0))
    for sign_bit, half in [(0, draws[:50_000]), (256, draws[50_000:])]:
        for i in range(half.size):
            half[i], state = rng._normal_after_rejection(sign_bit, np.int64(2**53 - 1), state)
            state = words_of(state)
    positive, negative = draws[:50_000], -draws[50_000:]
    assert positive.min() > rng.ZIGGURAT_R and negative.min() > rng.ZIGGURAT_R
    truncated = scipy.stats.truncnorm(rng.ZIGGURAT_R, np.inf)
    for half in (positive, negative):
        assert scipy.stats.kstest(half, truncated.cdf).pvalue > 1e-4
        p = truncated.sf(5.0)
        assert abs(np.mean(half > 5.0) - p) < 5 * math.sqrt(p * (1 - p) / half.size)


def test_version_2_uniforms():
    key = rng.key_from_seed(np.random.SeedSequence(30))
    draws = np.zeros(DRAWS)
    for k, chunk in enumerate(draws.reshape(100, -1)):
        rng.fill_uniforms(key, rng.STREAM_NOISE, k, 0, chunk)
    n = draws.size
    assert np.all(draws >= 0.0) and np.all(draws < 1.0)
    assert abs(draws.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    assert abs(draws.var() - 1 / 12) < 5 * math.sqrt(1 / 180 / n)
    assert scipy.stats.kstest(draws, "uniform").pvalue > 1e-4
    scalars = np.array([rng.job_uniform(key, rng.STREAM_DURATION, 0, job) for job in range(20_000)])
    assert np.all((scalars >= 0.0) & (scalars < 1.0))
    assert scipy.stats.kstest(scalars, "uniform").pvalue > 1e-4


def test_job_normal_across_jobs():
    # The scalar draws of many jobs (the papers' scalar noise, half-normal durations) are i.i.d. N(0, 1).
    key = rng.key_from_seed(np.random.SeedSequence(31))
    draws = np.array([rng.job_normal(key, rng.STREAM_DURATION, worker, job)
                      for worker in range(100) for job in range(500)])
    n = draws.size
    assert abs(draws.mean()) < 5 / math.sqrt(n)
    assert abs(draws.var() - 1.0) < 5 * math.sqrt(2.0 / n)
    assert scipy.stats.kstest(draws, "norm").pvalue > 1e-4
    noise = np.array([rng.job_normal(key, rng.STREAM_NOISE, worker, job)
                      for worker in range(100) for job in range(500)])
    assert abs(np.corrcoef(draws, noise)[0, 1]) < 5 / math.sqrt(n)


CACHE_PROBE = """
import json, numpy as np
from ringbench.engine import rng
key = rng.key_from_seed(np.random.SeedSequence(0))
out = np.zeros(5)
rng.fill_normals(key, 1, 2, 3, out, 1.0)
print(json.dumps({"file": rng.__file__, "value": out.tolist() + [rng.job_normal(key, 0, 1, 2)],
                  "hits": sum(sum(f.stats.cache_hits.values()) for f in (rng.fill_normals, rng.job_normal)),
                  "misses": sum(sum(f.stats.cache_misses.values()) for f in (rng.fill_normals, rng.job_normal))}))
"""


@pytest.mark.compiled  # checks numba's on-disk cache
def test_ziggurat_kernels_load_from_the_cache_in_a_fresh_process(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(rng.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [json.loads(subprocess.run([sys.executable, "-c", CACHE_PROBE], env=env, capture_output=True, text=True,
                                      check=True, cwd=tmp_path).stdout) for _ in range(2)]
    assert runs[0]["file"] == rng.__file__
    assert runs[0]["misses"] == 2 and runs[0]["hits"] == 0
    assert runs[1]["misses"] == 0 and runs[1]["hits"] == 2  # the frozen tables travel with the cached code
    assert runs[1]["value"] == runs[0]["value"]
