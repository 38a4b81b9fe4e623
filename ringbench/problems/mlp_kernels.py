"""Jitted kernels of a one-hidden-layer ReLU network with softmax cross-entropy (the papers' MNIST MLPs).

The network maps an input x (``inputs`` features) to logits
z2 = W2 relu(W1 x + b1) + b2 (``classes`` of them, ``hidden`` hidden units), and
the loss of a sample with label y is the cross-entropy of softmax(z2), computed
stably as logsumexp(z2) - z2[y]. The objective over samples B is the mean loss
over B (``algorithms.md`` E.1(b): 784-32-10; E.2: 784-128-10).

Parameter layout
    All parameters are one flat float64 vector ``theta`` of
    :func:`parameter_count` entries, in this order:

    ======  ======================  ===============================
    block   shape                   offset
    ======  ======================  ===============================
    W1      (hidden, inputs)        0
    b1      (hidden,)               hidden * inputs
    W2      (classes, hidden)       hidden * inputs + hidden
    b2      (classes,)              hidden * (inputs + 1 + classes)
    ======  ======================  ===============================

    Matrices are row-major, so W1 is ``theta[:hidden * inputs].reshape(hidden,
    inputs)`` as in PyTorch's ``nn.Linear.weight``; gradients use the same layout.
    :func:`unpack` returns the four views.
Workspace
    Kernels never allocate (``_nrt=False``, :mod:`.._jit`): a call over up to
    ``batch`` samples at once takes a float64 scratch vector of
    :func:`workspace_size` ``(inputs, hidden, classes, batch)`` entries. It holds
    the hidden activations, their gradients and the logits of the batch.
Speed
    Plain loops, no BLAS call. At the papers' sizes they take 0.15-0.4x the time
    of a NumPy implementation on single-threaded OpenBLAS at batch 4 and
    0.7-0.9x at batch 100 (``benchmarks/report_mlp.py``); they run on the calling
    thread only, whatever the BLAS thread settings. The two big products (W1 x
    and the outer products of the first layer's gradient) are blocked 4 hidden
    units x 4 samples, so that each loaded row feeds four multiply-adds; a batch
    whose size is not a multiple of 4 pads its last block with the last sample
    at weight 0. BLAS from numba was measured too: ``np.dot(a, b, out)`` does not
    compile without numba's runtime (its overload returns ``out``), and a dgemm
    reached through numba's internals was at most 10 % faster at batch 100,
    slower at batch 4, and multithreaded by default. Skipping the loss (one log
    per sample) saved under 0.5 %, so there is no gradient-only variant.
"""

import math

import numpy as np

from .._jit import REORDER_MATH, kernel

#: Hidden units and samples per block of the two big products.
_BLOCK = 4


def parameter_count(inputs, hidden, classes):
    """Entries of ``theta``: hidden * inputs + hidden + classes * hidden + classes."""
    return hidden * inputs + hidden + classes * hidden + classes


def workspace_size(inputs, hidden, classes, batch):
    """Float64 entries of the workspace of a call over up to ``batch`` samples at once.

    Parameters
    ----------
    inputs, hidden, classes : int
        Layer sizes; ``inputs`` does not enter the size, it is taken for symmetry
        with the kernels' signatures.
    batch : int
        Largest number of samples a gradient call takes, or the ``chunk`` of
        :func:`mlp_metrics`.

    Returns
    -------
    int
        batch * (2 hidden + classes): activations (batch x hidden), their
        gradients (batch x hidden) and logits (batch x classes).
    """
    return batch * (2 * hidden + classes)


def unpack(theta, inputs, hidden, classes):
    """Views ``(W1, b1, W2, b2)`` of a flat parameter (or gradient) vector; see the module's layout table."""
    first = hidden * inputs
    second = first + hidden
    third = second + classes * hidden
    if theta.shape != (third + classes,):
        raise ValueError(f"theta must have shape ({third + classes},) for a {inputs}-{hidden}-{classes} network, "
                         f"got {theta.shape}")
    return (theta[:first].reshape(hidden, inputs), theta[first:second], theta[second:third].reshape(classes, hidden),
            theta[third:])


def init_parameters(inputs, hidden, classes, seed):
    """PyTorch's default ``nn.Linear`` initialisation of both layers, as a flat ``theta``.

    Every weight and bias of a layer with ``fan_in`` inputs is drawn from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)): the bias rule of ``nn.Linear``, and the
    bound kaiming_uniform(a = sqrt(5)) gives its weights (gain sqrt(2 / (1 + 5)),
    bound gain * sqrt(3 / fan_in)). The draws are not PyTorch's random stream.

    Parameters
    ----------
    inputs, hidden, classes : int
        Layer sizes.
    seed : int or numpy.random.SeedSequence
        Seed of the ``numpy.random.Generator`` (``default_rng``) that draws W1, b1,
        W2 and b2 in this order, each in row-major order.

    Returns
    -------
    numpy.ndarray
        float64 vector of :func:`parameter_count` entries.
    """
    for name, size in (("inputs", inputs), ("hidden", hidden), ("classes", classes)):
        if int(size) != size or size < 1:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")
    rng = np.random.default_rng(seed)
    theta = np.empty(parameter_count(inputs, hidden, classes))
    w1, b1, w2, b2 = unpack(theta, inputs, hidden, classes)
    for block, fan_in in ((w1, inputs), (b1, inputs), (w2, hidden), (b2, hidden)):
        bound = 1.0 / math.sqrt(fan_in)
        block[...] = rng.uniform(-bound, bound, size=block.shape)
    return theta


@kernel(fastmath=REORDER_MATH)
def hidden_layer(theta, inputs, hidden, features, rows, activations):
    """``activations[b, h] = relu(W1[h] . x_b + b1[h])`` for x_b = features[rows[b]].

    Blocks of 4 hidden units x 4 samples: 16 running sums, each loaded entry of W1
    and of a sample used four times. relu(NaN) is NaN, as in PyTorch. A last partial block of hidden units repeats
    the last unit, one of samples the last sample (same value written twice).
    """
    batch = rows.size
    last_unit = hidden - 1
    last_sample = batch - 1
    for unit in range(0, hidden, _BLOCK):
        h0, h1, h2, h3 = unit, min(unit + 1, last_unit), min(unit + 2, last_unit), min(unit + 3, last_unit)
        w0 = theta[h0 * inputs:(h0 + 1) * inputs]
        w1 = theta[h1 * inputs:(h1 + 1) * inputs]
        w2 = theta[h2 * inputs:(h2 + 1) * inputs]
        w3 = theta[h3 * inputs:(h3 + 1) * inputs]
        for sample in range(0, batch, _BLOCK):
            j0, j1, j2, j3 = (sample, min(sample + 1, last_sample), min(sample + 2, last_sample),
                              min(sample + 3, last_sample))
            x0, x1, x2, x3 = features[rows[j0]], features[rows[j1]], features[rows[j2]], features[rows[j3]]
            s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = 0.0
            s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = 0.0
            for k in range(inputs):
                a0, a1, a2, a3 = x0[k], x1[k], x2[k], x3[k]
                v0, v1, v2, v3 = w0[k], w1[k], w2[k], w3[k]
                s00 += v0 * a0
                s01 += v0 * a1
                s02 += v0 * a2
                s03 += v0 * a3
                s10 += v1 * a0
                s11 += v1 * a1
                s12 += v1 * a2
                s13 += v1 * a3
                s20 += v2 * a0
                s21 += v2 * a1
                s22 += v2 * a2
                s23 += v2 * a3
                s30 += v3 * a0
                s31 += v3 * a1
                s32 += v3 * a2
                s33 += v3 * a3
            activations[j0, h0], activations[j1, h0], activations[j2, h0], activations[j3, h0] = s00, s01, s02, s03
            activations[j0, h1], activations[j1, h1], activations[j2, h1], activations[j3, h1] = s10, s11, s12, s13
            activations[j0, h2], activations[j1, h2], activations[j2, h2], activations[j3, h2] = s20, s21, s22, s23
            activations[j0, h3], activations[j1, h3], activations[j2, h3], activations[j3, h3] = s30, s31, s32, s33
    biases = theta[hidden * inputs:hidden * inputs + hidden]
    for sample in range(batch):
        row = activations[sample]
        for h in range(hidden):
            value = row[h] + biases[h]
            row[h] = 0.0 if value <= 0.0 else value  # noqa: FURB136 (max() would turn NaN into 0)


@kernel
def softmax_head(logits, label, weight):
    """Turn one sample's ``logits`` into ``weight * (softmax(logits) - onehot(label))``, in place.

    Returns
    -------
    loss : float
        The cross-entropy logsumexp(logits) - logits[label], computed after
        subtracting the largest logit.
    correct : bool
        Whether the first largest logit (``numpy.argmax``'s choice) is ``label``.
    """
    top = 0
    for c in range(1, logits.size):
        if logits[c] > logits[top]:
            top = c
    largest = logits[top]
    shifted_label = logits[label] - largest
    total = 0.0
    for c in range(logits.size):
        logits[c] = math.exp(logits[c] - largest)
        total += logits[c]
    scale = weight / total
    for c in range(logits.size):
        logits[c] *= scale
    logits[label] -= weight
    return math.log(total) - shifted_label, top == label


@kernel(fastmath=REORDER_MATH)
def output_layer(theta, inputs, hidden, classes, labels, rows, weight, activations, logits, deltas, out):
    """Logits, loss and every gradient but W1's, per sample; ``out`` accumulates.

    For each sample: logits = W2 a + b2, ``softmax_head`` with ``weight``, then
    out's W2 block += g a', its b2 block += g, ``deltas[b] = (W2' g) * [a > 0]``
    (ReLU's derivative, 0 at 0 as in PyTorch) and out's b1 block += deltas[b].

    Returns
    -------
    loss : float
        Sum (unweighted) of the samples' cross-entropies.
    correct : int
        Samples whose largest logit is their label.
    """
    second = hidden * inputs + hidden
    third = second + classes * hidden
    loss = 0.0
    correct = 0
    for sample in range(rows.size):
        active = activations[sample]
        z = logits[sample]
        for c in range(classes):
            w = theta[second + c * hidden:second + (c + 1) * hidden]
            total = 0.0
            for h in range(hidden):
                total += w[h] * active[h]
            z[c] = total + theta[third + c]
        sample_loss, hit = softmax_head(z, labels[rows[sample]], weight)
        loss += sample_loss
        correct += hit
        delta = deltas[sample]
        for h in range(hidden):
            delta[h] = 0.0
        for c in range(classes):
            g = z[c]
            out[third + c] += g
            w = theta[second + c * hidden:second + (c + 1) * hidden]
            gw = out[second + c * hidden:second + (c + 1) * hidden]
            for h in range(hidden):
                gw[h] += g * active[h]
                delta[h] += g * w[h]
        bias_gradient = out[hidden * inputs:second]
        for h in range(hidden):
            if active[h] <= 0.0:
                delta[h] = 0.0
            bias_gradient[h] += delta[h]
    return loss, correct


@kernel
def _sample_block(features, rows, sample):
    """Rows j0..j3 of the 4-sample block at ``sample``, their feature rows and 0/1 weights (0: padding)."""
    last = rows.size - 1
    j0, j1, j2, j3 = sample, min(sample + 1, last), min(sample + 2, last), min(sample + 3, last)
    p1 = 1.0 if sample + 1 <= last else 0.0
    p2 = 1.0 if sample + 2 <= last else 0.0
    p3 = 1.0 if sample + 3 <= last else 0.0
    return (j0, j1, j2, j3, features[rows[j0]], features[rows[j1]], features[rows[j2]], features[rows[j3]],
            p1, p2, p3)


@kernel
def _unit_deltas(deltas, unit, j0, j1, j2, j3, p1, p2, p3):
    """One hidden unit's deltas for the 4 samples of a block, a padded sample at weight 0."""
    return deltas[j0, unit], p1 * deltas[j1, unit], p2 * deltas[j2, unit], p3 * deltas[j3, unit]


# The products below are written out in full, each in the same form, rather than in a helper: with
# REORDER_MATH the compiler may associate a helper's sum with its caller's, and the factored descent
# (_descend_rows) must reproduce first_layer_gradient's sums bit for bit.
@kernel(fastmath=REORDER_MATH)
def _first_layer_rows(deltas, features, rows, unit, units, accumulate, gradient):
    """Rows ``unit .. unit + units - 1`` of W1's gradient (=, or += when ``accumulate``): ``gradient[r]`` is unit + r's.

    ``units`` is 4 (a block: each loaded sample row used four times) or 1. The
    samples of a last partial block are padded with the last one at weight 0.
    """
    inputs = gradient.shape[1]
    for sample in range(0, rows.size, _BLOCK):
        j0, j1, j2, j3, x0, x1, x2, x3, p1, p2, p3 = _sample_block(features, rows, sample)
        assign = sample == 0 and not accumulate
        if units == 1:
            c0, c1, c2, c3 = _unit_deltas(deltas, unit, j0, j1, j2, j3, p1, p2, p3)
            g = gradient[0]
            if assign:
                for k in range(inputs):
                    g[k] = c0 * x0[k] + c1 * x1[k] + c2 * x2[k] + c3 * x3[k]
            else:
                for k in range(inputs):
                    g[k] += c0 * x0[k] + c1 * x1[k] + c2 * x2[k] + c3 * x3[k]
            continue
        c00, c01, c02, c03 = _unit_deltas(deltas, unit, j0, j1, j2, j3, p1, p2, p3)
        c10, c11, c12, c13 = _unit_deltas(deltas, unit + 1, j0, j1, j2, j3, p1, p2, p3)
        c20, c21, c22, c23 = _unit_deltas(deltas, unit + 2, j0, j1, j2, j3, p1, p2, p3)
        c30, c31, c32, c33 = _unit_deltas(deltas, unit + 3, j0, j1, j2, j3, p1, p2, p3)
        if assign:
            for k in range(inputs):
                a0, a1, a2, a3 = x0[k], x1[k], x2[k], x3[k]
                gradient[0, k] = c00 * a0 + c01 * a1 + c02 * a2 + c03 * a3
                gradient[1, k] = c10 * a0 + c11 * a1 + c12 * a2 + c13 * a3
                gradient[2, k] = c20 * a0 + c21 * a1 + c22 * a2 + c23 * a3
                gradient[3, k] = c30 * a0 + c31 * a1 + c32 * a2 + c33 * a3
        else:
            for k in range(inputs):
                a0, a1, a2, a3 = x0[k], x1[k], x2[k], x3[k]
                gradient[0, k] += c00 * a0 + c01 * a1 + c02 * a2 + c03 * a3
                gradient[1, k] += c10 * a0 + c11 * a1 + c12 * a2 + c13 * a3
                gradient[2, k] += c20 * a0 + c21 * a1 + c22 * a2 + c23 * a3
                gradient[3, k] += c30 * a0 + c31 * a1 + c32 * a2 + c33 * a3


@kernel(fastmath=REORDER_MATH)
def _descend_rows(deltas, features, rows, unit, units, scale, partial, theta_rows):
    """``theta_rows -= scale * G`` for rows ``unit ..`` of W1's gradient G; return their squared norm.

    The sample blocks before the last are summed into ``partial`` by
    :func:`_first_layer_rows`; the last block's products are added to those sums in
    registers and applied at once, so each entry of G is the sum
    :func:`first_layer_gradient` computes, in the same order.
    """
    inputs = theta_rows.shape[1]
    last = (rows.size - 1) // _BLOCK * _BLOCK
    if last > 0:
        _first_layer_rows(deltas, features, rows[:last], unit, units, False, partial)
    j0, j1, j2, j3, x0, x1, x2, x3, p1, p2, p3 = _sample_block(features, rows, last)
    norm2 = 0.0
    if units == 1:
        c0, c1, c2, c3 = _unit_deltas(deltas, unit, j0, j1, j2, j3, p1, p2, p3)
        target, earlier = theta_rows[0], partial[0]
        for k in range(inputs):
            if last > 0:
                g = earlier[k] + (c0 * x0[k] + c1 * x1[k] + c2 * x2[k] + c3 * x3[k])
            else:
                g = c0 * x0[k] + c1 * x1[k] + c2 * x2[k] + c3 * x3[k]
            norm2 += g * g
            target[k] -= scale * g
        return norm2
    c00, c01, c02, c03 = _unit_deltas(deltas, unit, j0, j1, j2, j3, p1, p2, p3)
    c10, c11, c12, c13 = _unit_deltas(deltas, unit + 1, j0, j1, j2, j3, p1, p2, p3)
    c20, c21, c22, c23 = _unit_deltas(deltas, unit + 2, j0, j1, j2, j3, p1, p2, p3)
    c30, c31, c32, c33 = _unit_deltas(deltas, unit + 3, j0, j1, j2, j3, p1, p2, p3)
    for k in range(inputs):
        a0, a1, a2, a3 = x0[k], x1[k], x2[k], x3[k]
        if last > 0:
            g0 = partial[0, k] + (c00 * a0 + c01 * a1 + c02 * a2 + c03 * a3)
            g1 = partial[1, k] + (c10 * a0 + c11 * a1 + c12 * a2 + c13 * a3)
            g2 = partial[2, k] + (c20 * a0 + c21 * a1 + c22 * a2 + c23 * a3)
            g3 = partial[3, k] + (c30 * a0 + c31 * a1 + c32 * a2 + c33 * a3)
        else:
            g0 = c00 * a0 + c01 * a1 + c02 * a2 + c03 * a3
            g1 = c10 * a0 + c11 * a1 + c12 * a2 + c13 * a3
            g2 = c20 * a0 + c21 * a1 + c22 * a2 + c23 * a3
            g3 = c30 * a0 + c31 * a1 + c32 * a2 + c33 * a3
        norm2 += g0 * g0 + g1 * g1 + g2 * g2 + g3 * g3
        theta_rows[0, k] -= scale * g0
        theta_rows[1, k] -= scale * g1
        theta_rows[2, k] -= scale * g2
        theta_rows[3, k] -= scale * g3
    return norm2


@kernel
def _unit_blocks(hidden):
    """Number of the first layer's row blocks: blocks of 4 hidden units, then the rest unit by unit."""
    return hidden // _BLOCK + hidden % _BLOCK


@kernel
def _unit_block(hidden, block):
    """``(first unit, units)`` of row block ``block`` (see :func:`_unit_blocks`)."""
    blocked = hidden // _BLOCK
    if block < blocked:
        return block * _BLOCK, _BLOCK
    return blocked * _BLOCK + block - blocked, 1


@kernel
def first_layer_gradient(deltas, inputs, hidden, features, rows, accumulate, out):
    """Out's W1 block (=, or += when ``accumulate``) sum_b deltas[b]' x_b (outer products), x_b = features[rows[b]].

    Blocks of 4 hidden units x 4 samples, each loaded sample row used four times;
    a block of units stays in cache while every sample block adds to it. A last
    partial block of units runs unit by unit (a repeated unit would be added twice).
    """
    gradient = out[:hidden * inputs].reshape((hidden, inputs))
    for block in range(_unit_blocks(hidden)):
        unit, units = _unit_block(hidden, block)
        _first_layer_rows(deltas, features, rows, unit, units, accumulate, gradient[unit:unit + units])


@kernel
def add_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, weight, accumulate, out, workspace):
    """Out (=, or += when ``accumulate``) ``weight`` * sum over ``rows`` of the samples' loss gradients.

    The workspace must hold :func:`workspace_size` ``(inputs, hidden, classes,
    rows.size)`` entries (not checked here).

    Returns
    -------
    loss : float
        Sum (unweighted) of the samples' cross-entropies.
    correct : int
        Samples classified right (largest logit = label).
    """
    batch = rows.size
    if not accumulate:
        for i in range(hidden * inputs, out.size):
            out[i] = 0.0
    activations = workspace[:batch * hidden].reshape((batch, hidden))
    deltas = workspace[batch * hidden:2 * batch * hidden].reshape((batch, hidden))
    logits = workspace[2 * batch * hidden:batch * (2 * hidden + classes)].reshape((batch, classes))
    hidden_layer(theta, inputs, hidden, features, rows, activations)
    loss, correct = output_layer(theta, inputs, hidden, classes, labels, rows, weight, activations, logits, deltas,
                                 out)
    first_layer_gradient(deltas, inputs, hidden, features, rows, accumulate, out)
    return loss, correct


def factor_size(hidden, classes, batch):
    """Float64 entries of a minibatch gradient in factored form (:func:`factor_loss_gradient`).

    batch (the rows) + batch * hidden (the first layer's deltas) + hidden + classes *
    (hidden + 1) (the gradient of b1, W2 and b2, dense): at E.2's sizes (784-128-10,
    batch 4) 1934 entries against d = 101,770.
    """
    return batch * (1 + hidden) + hidden + classes * (hidden + 1)


@kernel
def factor_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, out, workspace, factors):
    """The gradient of :func:`mlp_loss_gradient` in factored form: W1's block kept as its b outer products.

    W1's gradient is sum_b deltas[b]' x_b, of rank at most b; ``factors`` receives
    the rows, the deltas and the gradient of every other block (the layout of
    :func:`factor_size`), which :func:`descend_factored` expands into exactly the
    values :func:`mlp_loss_gradient` writes. ``out`` is scratch of P entries; the
    workspace is as for :func:`mlp_loss_gradient` (neither is checked here).
    """
    batch = rows.size
    dense = hidden * inputs
    for i in range(dense, out.size):
        out[i] = 0.0
    activations = workspace[:batch * hidden].reshape((batch, hidden))
    deltas = workspace[batch * hidden:2 * batch * hidden].reshape((batch, hidden))
    logits = workspace[2 * batch * hidden:batch * (2 * hidden + classes)].reshape((batch, classes))
    hidden_layer(theta, inputs, hidden, features, rows, activations)
    output_layer(theta, inputs, hidden, classes, labels, rows, 1.0 / batch, activations, logits, deltas, out)
    for sample in range(batch):
        factors[sample] = rows[sample]
        stored = factors[batch + sample * hidden:batch + (sample + 1) * hidden]
        for h in range(hidden):
            stored[h] = deltas[sample, h]
    rest = factors[batch * (1 + hidden):]
    for i in range(rest.size):
        rest[i] = out[dense + i]


@kernel(fastmath=REORDER_MATH)
def descend_factored(theta, inputs, hidden, features, factors, scale, rows, scratch):
    """``theta -= scale * g`` for the gradient g that :func:`factor_loss_gradient` put in ``factors``; return ||g||^2.

    W1's block of g is expanded 4 rows at a time, in registers (:func:`_descend_rows`;
    ``scratch``, P entries, holds the sums of a minibatch of more than 4 samples), so
    theta moves by the same values as after :func:`mlp_loss_gradient` and a step,
    without writing or reading a gradient of P entries.
    ``rows`` receives the minibatch (int64, batch entries).
    """
    batch = rows.size
    for sample in range(batch):
        rows[sample] = np.int64(factors[sample])
    deltas = factors[batch:batch * (1 + hidden)].reshape((batch, hidden))
    first = theta[:hidden * inputs].reshape((hidden, inputs))
    partial_rows = min(_BLOCK, hidden)  # scratch has P >= hidden * inputs entries
    partial = scratch[:partial_rows * inputs].reshape((partial_rows, inputs))
    norm2 = 0.0
    for index in range(_unit_blocks(hidden)):
        unit, units = _unit_block(hidden, index)
        norm2 += _descend_rows(deltas, features, rows, unit, units, scale, partial[:units], first[unit:unit + units])
    rest, target = factors[batch * (1 + hidden):], theta[hidden * inputs:]
    for i in range(rest.size):
        norm2 += rest[i] * rest[i]
        target[i] -= scale * rest[i]
    return norm2


@kernel
def _check(theta, inputs, hidden, classes, features, out, workspace, batch):
    if theta.size != hidden * inputs + hidden + classes * hidden + classes or out.size != theta.size:
        raise ValueError("theta and out must have hidden*inputs + hidden + classes*hidden + classes entries")
    if features.shape[1] != inputs:
        raise ValueError("features must have `inputs` columns")
    if batch < 1:
        raise ValueError("the loss needs at least one sample")
    if workspace.size < batch * (2 * hidden + classes):
        raise ValueError("workspace is smaller than workspace_size(inputs, hidden, classes, batch)")


@kernel
def mlp_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, out, workspace):
    """Mean cross-entropy over the samples ``rows`` and its gradient.

    Parameters
    ----------
    theta : float64 array (P,)
        Parameters in the module's layout, P = :func:`parameter_count`.
    inputs, hidden, classes : int
        Layer sizes.
    features : float64 array (N, inputs), C-contiguous
        One sample a row.
    labels : int64 array (N,)
        Classes 0..classes-1 (not checked).
    rows : int64 array (b,)
        Indices into ``features`` of the batch, b >= 1; repeats count repeatedly.
    out : float64 array (P,)
        Receives the gradient of the mean loss (overwritten).
    workspace : float64 array
        At least :func:`workspace_size` ``(inputs, hidden, classes, b)`` entries.

    Returns
    -------
    float
        1/b sum_{j in rows} (logsumexp(z2_j) - z2_j[y_j]).
    """
    batch = rows.size
    _check(theta, inputs, hidden, classes, features, out, workspace, batch)
    loss, _ = add_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, 1.0 / batch, False, out,
                                workspace)
    return loss / batch


@kernel
def mlp_metrics(theta, inputs, hidden, classes, features, labels, rows, chunk, out, workspace):
    """Full-batch ``(loss, ||grad||^2, accuracy)`` over the samples ``rows``, ``chunk`` samples at a time.

    Arguments as in :func:`mlp_loss_gradient`; ``rows`` is typically every sample
    (``numpy.arange(N)``) or one worker's, ``out`` receives the full gradient and
    the workspace needs :func:`workspace_size` ``(inputs, hidden, classes,
    chunk)`` entries, however many samples there are.

    Returns
    -------
    loss : float
        Mean cross-entropy over ``rows``.
    norm2 : float
        Squared Euclidean norm of its gradient (``out``).
    accuracy : float
        Fraction of ``rows`` whose largest logit (first one on ties) is the label.
    """
    count = rows.size
    if chunk < 1:
        raise ValueError("chunk must be positive")
    _check(theta, inputs, hidden, classes, features, out, workspace, min(chunk, count))
    loss = 0.0
    correct = 0
    for start in range(0, count, chunk):
        part_loss, part_correct = add_loss_gradient(theta, inputs, hidden, classes, features, labels,
                                                    rows[start:min(start + chunk, count)], 1.0 / count, start > 0,
                                                    out, workspace)
        loss += part_loss
        correct += part_correct
    norm2 = 0.0
    for i in range(out.size):
        norm2 += out[i] * out[i]
    return loss / count, norm2, correct / count
