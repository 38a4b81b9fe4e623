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

Stream version 2 (:data:`STREAM_VERSION`; :func:`fill_normals`, :func:`job_normal`,
:func:`fill_uniforms`, :func:`job_uniform`) keeps the addressing per job but pays Philox
once per job: its block ``(worker, job, 2**64 - 1, stream)`` is the state of a
xoshiro256++ generator, whose words give uniforms (top 53 bits) and normals (a 256-layer
ziggurat) in sequence. Draw t of a job is still a pure function of (key, stream, worker,
job, t), at about 2 ns a normal instead of 15-20 ns. The version-1 functions are unchanged.
"""

import math

import numpy as np

from .._jit import kernel

#: Stream ids: independent families of draws under one key (listed here, so no two families share one).
STREAM_DURATION = 0  # compute times, by (worker, job)
STREAM_NOISE = 1  # gradient noise and minibatches, by (worker, job)
STREAM_ASSIGNMENT = 2  # server-side choices of a worker (random and shuffled ASGD), by event or epoch
STREAM_DOWNLOAD = 3  # times to send a job's iterate to its worker, by (worker, job)
STREAM_UPLOAD = 4  # times to send a job's gradient back, by (worker, job)
STREAM_SLOWDOWN = 5  # slowdowns shared by all workers, by job index or time window (worker 0)

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


# ---------------------------------------------------------------------------------------------------------------
# Stream version 2: a fast generator inside each job.
#
# One Philox block per job keys a xoshiro256++ generator (Blackman & Vigna, "Scrambled linear pseudorandom number
# generators", ACM TOMS 2021), whose words feed a 256-layer ziggurat (Marsaglia & Tsang, "The ziggurat method for
# generating random variables", J. Stat. Softw. 2000). Every draw stays a pure function of (key, stream, worker,
# job) and of its position within the job; the Philox block is paid once per job instead of once per four draws,
# and each draw costs a few nanoseconds instead of a logarithm, a square root and a sine or cosine.

#: Version of the draws' definition; results record it in their provenance. Version 1 is :func:`normals` and
#: :func:`uniforms`; version 2 is :func:`job_state` and the functions built on it (:func:`fill_normals`, ...).
STREAM_VERSION = 2

#: The Philox counter word that holds a version-1 draw's block index (``c2``) holds this for a job's state, so
#: no job state is ever a block of version-1 draws.
_STATE_BLOCK = np.uint64(0xFFFFFFFFFFFFFFFF)

_SHIFT17 = np.uint64(17)
_SHIFT23 = np.uint64(23)
_SHIFT45 = np.uint64(45)
_SHIFT64 = np.uint64(64)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53

#: Ziggurat layers. A normal draw reads one 64-bit word: its low 8 bits pick the layer, bit 8 the sign (together
#: the table index, 0 to 511), and its top 53 bits the magnitude.
ZIGGURAT_LAYERS = 256
_INDEX_MASK = np.uint64(2 * ZIGGURAT_LAYERS - 1)
_LAYER_MASK = ZIGGURAT_LAYERS - 1


def _ziggurat_edges(layers=ZIGGURAT_LAYERS):
    """Right edges of the ziggurat of the normal density's shape f(x) = exp(-x^2 / 2).

    The ziggurat covers the right half of f with ``layers`` strips of equal area v: layer 0 is
    the base, [0, r] x [0, f(r)] plus the tail beyond r, drawn as a rectangle of width
    ``x[0] = v / f(r)``; layer i >= 1 is the rectangle [0, x[i]] x [f(x[i]), f(x[i + 1])]. With
    x[1] = r, the areas fix x[i + 1] = f^-1(f(x[i]) + v / x[i]), and r is the root of
    "the top layer ends at f = 1", x[layers] = 0, found by bisection.

    Returns
    -------
    r : float
        The base layer's right edge, where the tail starts.
    x : ndarray of float64, shape (layers + 1,)
        The edges, decreasing from ``x[0] = v / f(r)`` to ``x[layers] = 0``.
    """
    def excess(r):
        # f(x[layers - 1]) + v / x[layers - 1] - 1: positive when r is too small (the layers overshoot the top).
        area = r * math.exp(-0.5 * r * r) + math.sqrt(math.pi / 2.0) * math.erfc(r / math.sqrt(2.0))
        edge = r
        for _ in range(layers - 2):
            height = math.exp(-0.5 * edge * edge) + area / edge
            if height >= 1.0:
                return 1.0
            edge = math.sqrt(-2.0 * math.log(height))
        return math.exp(-0.5 * edge * edge) + area / edge - 1.0

    low, high = 1.0, 10.0
    while True:
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        low, high = (middle, high) if excess(middle) > 0.0 else (low, middle)
    r = high
    area = r * math.exp(-0.5 * r * r) + math.sqrt(math.pi / 2.0) * math.erfc(r / math.sqrt(2.0))
    x = np.zeros(layers + 1)
    x[0], x[1] = area / math.exp(-0.5 * r * r), r
    for i in range(1, layers - 1):
        x[i + 1] = math.sqrt(-2.0 * math.log(math.exp(-0.5 * x[i] * x[i]) + area / x[i]))
    return r, x


def _ziggurat_tables(layers=ZIGGURAT_LAYERS):
    """The sampler's tables, indexed by a word's low 9 bits (layer, then sign at bit 8).

    Returns
    -------
    accept : ndarray of int64, shape (2 * layers,)
        A 53-bit magnitude ``m`` below ``accept[index]`` lies under f in the whole layer:
        ``floor(2**53 x[i + 1] / x[i])``.
    width : ndarray of float64, shape (2 * layers,)
        ``+-x[i] 2**-53``: the draw is ``m * width[index]``, signed.
    density : ndarray of float64, shape (layers + 1,)
        ``f(x[i])``, with ``density[0] = 0`` (the base layer starts on the axis) and ``density[layers] = 1``.
    r : float
        Where the tail starts.
    """
    r, x = _ziggurat_edges(layers)
    accept = np.floor(np.ldexp(x[1:] / x[:-1], 53)).astype(np.int64)
    width = np.ldexp(x[:-1], -53)
    density = np.exp(-0.5 * x * x)
    density[0], density[layers] = 0.0, 1.0
    return np.concatenate([accept, accept]), np.concatenate([width, -width]), density, r


# numba freezes these arrays into the compiled kernels (and their on-disk cache): read-only, so they cannot drift.
_ZIGGURAT_ACCEPT, _ZIGGURAT_WIDTH, _ZIGGURAT_DENSITY, ZIGGURAT_R = _ziggurat_tables()
for _table in (_ZIGGURAT_ACCEPT, _ZIGGURAT_WIDTH, _ZIGGURAT_DENSITY):
    _table.setflags(write=False)
del _table
_ZIGGURAT_INVERSE_R = 1.0 / ZIGGURAT_R


@kernel
def job_state(key, stream, worker, job):
    """The xoshiro256++ state that starts the draws of one job: a Philox4x64-10 block.

    The counter is ``(worker, job, 2**64 - 1, stream)`` under the run's key: distinct
    ``(stream, worker, job)`` give distinct states (Philox is a bijection of the counter),
    and no state is a block of the version-1 draws (:func:`uniforms`), whose third counter
    word is a small block index.

    Parameters
    ----------
    key : ndarray of uint64, shape (2,)
        The run's Philox key.
    stream, worker, job : int
        The job's address.

    Returns
    -------
    tuple of four uint64
        A state for :func:`next_word`, :func:`next_uniform` and :func:`next_normal`.
    """
    s0, s1, s2, s3 = philox4x64(np.uint64(worker), np.uint64(job), _STATE_BLOCK, np.uint64(stream), key[0], key[1])
    if (s0 | s1 | s2 | s3) == np.uint64(0):
        s0 = _WEYL_0  # the one state xoshiro cannot leave (probability 2**-256)
    return s0, s1, s2, s3


@kernel
def _rotate_left(word, count):
    return (word << count) | (word >> (_SHIFT64 - count))


@kernel
def next_word(state):
    """One step of xoshiro256++: a uniform uint64 and the next state.

    Parameters
    ----------
    state : tuple of four uint64
        Not all zero.

    Returns
    -------
    word : uint64
    state : tuple of four uint64
    """
    # The casts cost nothing on uint64 words; they type a state of Python integers passed in from Python.
    s0, s1, s2, s3 = np.uint64(state[0]), np.uint64(state[1]), np.uint64(state[2]), np.uint64(state[3])
    word = _rotate_left(s0 + s3, _SHIFT23) + s0
    t = s1 << _SHIFT17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotate_left(s3, _SHIFT45)
    return word, (s0, s1, s2, s3)


@kernel
def next_uniform(state):
    """A U[0, 1) draw, the top 53 bits of :func:`next_word`, and the next state.

    Returns
    -------
    u : float
        A multiple of 2**-53 in [0, 1).
    state : tuple of four uint64
    """
    word, state = next_word(state)
    return np.float64(np.int64(word >> _SHIFT11)) * _UNIT, state


@kernel
def _normal_after_rejection(index, magnitude, state):
    """Finish a ziggurat draw whose first word fell outside its layer's inner rectangle.

    ``index`` and ``magnitude`` are that word's low 9 bits and top 53 bits. In the base layer
    the point is past r: draw from the tail (Marsaglia's exponential method). In another
    layer it lies in the wedge beside the curve: accept it when a uniform height falls under
    f. On rejection start over with a new word; every branch then repeats until it accepts.
    """
    while True:
        layer = index & _LAYER_MASK
        if layer == 0:
            while True:
                u, state = next_uniform(state)
                v, state = next_uniform(state)
                excess = -np.log1p(-u) * _ZIGGURAT_INVERSE_R
                if -2.0 * np.log1p(-v) > excess * excess:
                    tail = ZIGGURAT_R + excess
                    return (-tail if index >= ZIGGURAT_LAYERS else tail), state
        z = np.float64(magnitude) * _ZIGGURAT_WIDTH[index]
        u, state = next_uniform(state)
        bottom = _ZIGGURAT_DENSITY[layer]
        if bottom + u * (_ZIGGURAT_DENSITY[layer + 1] - bottom) < np.exp(-0.5 * z * z):
            return z, state
        word, state = next_word(state)
        index = np.intp(word & _INDEX_MASK)
        magnitude = np.int64(word >> _SHIFT11)
        if magnitude < _ZIGGURAT_ACCEPT[index]:
            return np.float64(magnitude) * _ZIGGURAT_WIDTH[index], state


@kernel
def next_normal(state):
    """A standard normal draw (256-layer ziggurat on :func:`next_word`) and the next state.

    One word per draw, except about 1.5 % of the time, when the word falls in a wedge or the
    tail and :func:`_normal_after_rejection` draws more.

    Returns
    -------
    z : float
    state : tuple of four uint64
    """
    word, state = next_word(state)
    index = np.intp(word & _INDEX_MASK)
    magnitude = np.int64(word >> _SHIFT11)
    if magnitude < _ZIGGURAT_ACCEPT[index]:
        return np.float64(magnitude) * _ZIGGURAT_WIDTH[index], state
    return _normal_after_rejection(index, magnitude, state)


@kernel
def fill_normals(key, stream, worker, job, out, scale):
    """Add ``scale`` times one job's standard normal draws to ``out``: ``out[i] += scale * z_i``.

    ``z_0, z_1, ...`` are the successive :func:`next_normal` draws from :func:`job_state`, so
    they depend only on ``(key, stream, worker, job)``, and ``z_0`` is :func:`job_normal`.
    A longer ``out`` extends the same sequence.

    Parameters
    ----------
    key : ndarray of uint64, shape (2,)
        The run's Philox key.
    stream, worker, job : int
        The job's address.
    out : ndarray of float64, shape (d,)
        Updated in place; any stride.
    scale : float
        Standard deviation of the added noise.
    """
    state = job_state(key, stream, worker, job)
    for i in range(out.size):
        z, state = next_normal(state)
        out[i] += scale * z


@kernel
def fill_uniforms(key, stream, worker, job, out):
    """Overwrite ``out`` with one job's successive U[0, 1) draws (:func:`next_uniform` from :func:`job_state`).

    ``out[0]`` is :func:`job_uniform`. Parameters as in :func:`fill_normals`.
    """
    state = job_state(key, stream, worker, job)
    for i in range(out.size):
        out[i], state = next_uniform(state)


@kernel
def job_normal(key, stream, worker, job):
    """One job's first standard normal draw, ``z_0`` of :func:`fill_normals`.

    Returns
    -------
    float
    """
    return next_normal(job_state(key, stream, worker, job))[0]


@kernel
def job_uniform(key, stream, worker, job):
    """One job's first U[0, 1) draw, ``out[0]`` of :func:`fill_uniforms`.

    Returns
    -------
    float
    """
    return next_uniform(job_state(key, stream, worker, job))[0]
