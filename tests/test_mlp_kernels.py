"""The MLP kernels (ringbench.problems.mlp_kernels) against finite differences and an independent NumPy model.

Every kernel here is called through its numba dispatcher (the compiled path); sizes
cover hidden layers and batches that are and are not multiples of the kernels'
4 x 4 blocks.
"""

import math

import numba
import numpy as np
import pytest

from ringbench.problems import mlp_kernels as mk


def reference(theta, inputs, hidden, classes, features, labels, rows):
    """Mean cross-entropy, its gradient (flat, the kernels' layout) and the accuracy, sample by sample."""
    w1 = theta[:hidden * inputs].reshape(hidden, inputs)
    b1 = theta[hidden * inputs:hidden * inputs + hidden]
    w2 = theta[hidden * inputs + hidden:hidden * inputs + hidden + classes * hidden].reshape(classes, hidden)
    b2 = theta[hidden * inputs + hidden + classes * hidden:]
    gw1, gb1, gw2, gb2 = np.zeros_like(w1), np.zeros_like(b1), np.zeros_like(w2), np.zeros_like(b2)
    loss, correct = 0.0, 0
    for row in rows:
        x, y = features[row], labels[row]
        pre = w1 @ x + b1
        hidden_out = np.where(pre > 0.0, pre, 0.0)
        logits = w2 @ hidden_out + b2
        top = logits.max()
        log_norm = top + np.log(np.sum(np.exp(logits - top)))
        loss += log_norm - logits[y]
        correct += int(np.argmax(logits) == y)
        dlogits = np.exp(logits - log_norm)
        dlogits[y] -= 1.0
        gw2 += np.outer(dlogits, hidden_out)
        gb2 += dlogits
        dpre = (w2.T @ dlogits) * (pre > 0.0)
        gw1 += np.outer(dpre, x)
        gb1 += dpre
    count = len(rows)
    gradient = np.concatenate([gw1.ravel(), gb1, gw2.ravel(), gb2]) / count
    return loss / count, gradient, correct / count


def network(inputs, hidden, classes, samples, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    theta = scale * mk.init_parameters(inputs, hidden, classes, seed)
    features = rng.standard_normal((samples, inputs))
    labels = rng.integers(classes, size=samples)
    return theta, features, labels


def loss_gradient(theta, inputs, hidden, classes, features, labels, rows):
    rows = np.asarray(rows, dtype=np.int64)
    out = np.full_like(theta, np.nan)  # every entry must be written
    workspace = np.full(mk.workspace_size(inputs, hidden, classes, rows.size), np.nan)
    loss = mk.mlp_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, out, workspace)
    return loss, out


@pytest.mark.compiled
def test_kernels_are_compiled():
    theta, features, labels = network(6, 5, 3, 10, 0)
    loss_gradient(theta, 6, 5, 3, features, labels, [0, 1])
    for function in (mk.mlp_loss_gradient, mk.mlp_metrics, mk.hidden_layer, mk.first_layer_gradient):
        assert isinstance(function, numba.core.registry.CPUDispatcher)
    assert mk.mlp_loss_gradient.signatures


def test_layout_and_sizes():
    assert mk.parameter_count(784, 128, 10) == 784 * 128 + 128 + 10 * 128 + 10
    assert mk.workspace_size(784, 128, 10, 4) == 4 * (2 * 128 + 10)
    theta = np.arange(mk.parameter_count(3, 2, 4), dtype=float)
    w1, b1, w2, b2 = mk.unpack(theta, 3, 2, 4)
    assert w1.shape == (2, 3) and b1.shape == (2,) and w2.shape == (4, 2) and b2.shape == (4,)
    assert w1[1, 0] == 3 and b1[0] == 6 and w2[0, 1] == 9 and b2[0] == 16
    assert np.shares_memory(w1, theta)
    with pytest.raises(ValueError, match="shape"):
        mk.unpack(theta[:-1], 3, 2, 4)


def test_gradient_matches_central_differences():
    inputs, hidden, classes = 6, 5, 3
    theta, features, labels = network(inputs, hidden, classes, 12, 1)
    rows = np.array([0, 3, 5, 7, 11, 2, 9])
    _, gradient = loss_gradient(theta, inputs, hidden, classes, features, labels, rows)
    step = 1e-6
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += step
        minus[i] -= step
        numeric[i] = (loss_gradient(plus, inputs, hidden, classes, features, labels, rows)[0]
                      - loss_gradient(minus, inputs, hidden, classes, features, labels, rows)[0]) / (2 * step)
    assert np.linalg.norm(gradient - numeric) <= 1e-6 * np.linalg.norm(gradient)
    assert np.count_nonzero(gradient[:hidden * inputs]) > hidden * inputs // 2  # some ReLUs are active


@pytest.mark.parametrize("inputs, hidden, classes, batch", [
    (6, 5, 3, 1), (6, 5, 3, 3), (6, 5, 3, 7), (9, 8, 4, 4), (9, 8, 4, 13), (20, 12, 10, 100), (11, 7, 2, 6),
])
def test_matches_numpy(inputs, hidden, classes, batch):
    theta, features, labels = network(inputs, hidden, classes, 150, batch)
    rows = np.random.default_rng(batch + 1).integers(150, size=batch)
    loss, gradient = loss_gradient(theta, inputs, hidden, classes, features, labels, rows)
    expected_loss, expected_gradient, _ = reference(theta, inputs, hidden, classes, features, labels, rows)
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-11, atol=1e-15 * np.abs(expected_gradient).max())


def test_papers_shape_matches_numpy():
    theta, features, labels = network(784, 32, 10, 40, 2)
    rows = np.arange(4)
    loss, gradient = loss_gradient(theta, 784, 32, 10, features, labels, rows)
    expected_loss, expected_gradient, _ = reference(theta, 784, 32, 10, features, labels, rows)
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-14 * np.abs(expected_gradient).max())


def test_repeated_rows_count_repeatedly():
    inputs, hidden, classes = 6, 5, 3
    theta, features, labels = network(inputs, hidden, classes, 10, 3)
    loss, gradient = loss_gradient(theta, inputs, hidden, classes, features, labels, [4, 4, 4, 4, 4])
    single_loss, single = loss_gradient(theta, inputs, hidden, classes, features, labels, [4])
    assert loss == pytest.approx(single_loss, rel=1e-14)
    np.testing.assert_allclose(gradient, single, rtol=1e-13, atol=1e-16)
    rows = [2, 7, 2, 2, 0, 7]
    loss, gradient = loss_gradient(theta, inputs, hidden, classes, features, labels, rows)
    expected_loss, expected_gradient, _ = reference(theta, inputs, hidden, classes, features, labels, rows)
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-11, atol=1e-16)


def test_uniform_prediction_costs_log_classes():
    inputs, hidden, classes = 6, 5, 7
    _, features, labels = network(inputs, hidden, classes, 20, 4)
    theta = np.zeros(mk.parameter_count(inputs, hidden, classes))
    loss, gradient = loss_gradient(theta, inputs, hidden, classes, features, labels, np.arange(9))
    assert loss == pytest.approx(math.log(classes), rel=1e-15)
    b2 = mk.unpack(gradient, inputs, hidden, classes)[3]
    expected_b2 = 1.0 / classes - np.bincount(labels[:9], minlength=classes) / 9
    np.testing.assert_allclose(b2, expected_b2, atol=1e-16)
    assert not np.any(gradient[:-classes])  # W2 = 0 stops every other gradient, and relu(0) = 0


def test_log_softmax_is_stable_for_huge_logits():
    inputs, hidden, classes = 6, 5, 3
    theta, features, labels = network(inputs, hidden, classes, 30, 5, scale=300.0)
    rows = np.arange(30)
    loss, gradient = loss_gradient(theta, inputs, hidden, classes, features, labels, rows)
    expected_loss, expected_gradient, _ = reference(theta, inputs, hidden, classes, features, labels, rows)
    assert np.isfinite(loss) and np.all(np.isfinite(gradient)) and loss > 100.0
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-12 * np.abs(expected_gradient).max())


@pytest.mark.parametrize("chunk", [1, 4, 5, 23, 64])
def test_metrics_match_numpy(chunk):
    inputs, hidden, classes = 9, 6, 4
    theta, features, labels = network(inputs, hidden, classes, 23, 6, scale=3.0)
    rows = np.arange(23)
    out = np.full_like(theta, np.nan)
    workspace = np.full(mk.workspace_size(inputs, hidden, classes, min(chunk, 23)), np.nan)
    loss, norm2, accuracy = mk.mlp_metrics(theta, inputs, hidden, classes, features, labels, rows, chunk, out,
                                           workspace)
    expected_loss, expected_gradient, expected_accuracy = reference(theta, inputs, hidden, classes, features, labels,
                                                                    rows)
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_allclose(out, expected_gradient, rtol=1e-11, atol=1e-15 * np.abs(expected_gradient).max())
    assert norm2 == pytest.approx(expected_gradient @ expected_gradient, rel=1e-11)
    assert accuracy == expected_accuracy
    assert 0.0 < accuracy < 1.0


def test_metrics_over_a_subset_and_ties():
    inputs, hidden, classes = 6, 5, 3
    theta, features, labels = network(inputs, hidden, classes, 40, 7)
    rows = np.array([39, 1, 1, 17, 30, 5, 8])
    out = np.empty_like(theta)
    workspace = np.empty(mk.workspace_size(inputs, hidden, classes, 3))
    loss, norm2, accuracy = mk.mlp_metrics(theta, inputs, hidden, classes, features, labels, rows, 3, out, workspace)
    expected_loss, expected_gradient, expected_accuracy = reference(theta, inputs, hidden, classes, features, labels,
                                                                    rows)
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    assert accuracy == expected_accuracy
    np.testing.assert_allclose(out, expected_gradient, rtol=1e-11, atol=1e-16)
    assert norm2 == pytest.approx(expected_gradient @ expected_gradient, rel=1e-11)
    zero = np.zeros_like(theta)  # every logit ties: the first class is predicted, as numpy.argmax does
    loss, _, accuracy = mk.mlp_metrics(zero, inputs, hidden, classes, features, labels, rows, 3, out, workspace)
    assert loss == pytest.approx(math.log(classes), rel=1e-15)
    assert accuracy == np.mean(labels[rows] == 0)


def test_nan_parameters_propagate():
    inputs, hidden, classes = 6, 5, 3
    theta, features, labels = network(inputs, hidden, classes, 10, 9)
    theta[2 * inputs + 1] = np.nan  # one weight of hidden unit 2
    loss, gradient = loss_gradient(theta, inputs, hidden, classes, features, labels, [0, 1, 2])
    assert np.isnan(loss) and np.isnan(gradient).any()


def test_kernels_reject_bad_sizes():
    inputs, hidden, classes = 6, 5, 3
    theta, features, labels = network(inputs, hidden, classes, 10, 8)
    rows = np.arange(4)
    out = np.empty_like(theta)
    small = np.empty(mk.workspace_size(inputs, hidden, classes, 3))
    with pytest.raises(ValueError, match="workspace"):
        mk.mlp_loss_gradient(theta, inputs, hidden, classes, features, labels, rows, out, small)
    with pytest.raises(ValueError, match="at least one sample"):
        mk.mlp_loss_gradient(theta, inputs, hidden, classes, features, labels, rows[:0], out, small)
    with pytest.raises(ValueError, match="theta"):
        mk.mlp_loss_gradient(theta[:-1], inputs, hidden, classes, features, labels, rows, out[:-1], small)
    with pytest.raises(ValueError, match="columns"):
        mk.mlp_loss_gradient(theta, inputs, hidden, classes, features[:, :-1].copy(), labels, rows, out, small)
    with pytest.raises(ValueError, match="chunk"):
        mk.mlp_metrics(theta, inputs, hidden, classes, features, labels, rows, 0, out, small)


def test_init_follows_pytorch_bounds_and_is_reproducible():
    inputs, hidden, classes = 784, 32, 10
    theta = mk.init_parameters(inputs, hidden, classes, 26)
    assert theta.shape == (mk.parameter_count(inputs, hidden, classes),) and theta.dtype == np.float64
    for block, fan_in in zip(mk.unpack(theta, inputs, hidden, classes), (inputs, inputs, hidden, hidden)):
        bound = 1.0 / math.sqrt(fan_in)
        assert np.abs(block).max() <= bound
        assert np.abs(block).max() > 0.9 * bound  # uniform over the whole interval, not narrower
    w1 = mk.unpack(theta, inputs, hidden, classes)[0]
    assert abs(w1.mean()) < 0.01 / math.sqrt(inputs) * 10 and w1.std() == pytest.approx(1 / math.sqrt(3 * inputs),
                                                                                        rel=0.02)
    np.testing.assert_array_equal(theta, mk.init_parameters(inputs, hidden, classes, 26))
    assert not np.array_equal(theta, mk.init_parameters(inputs, hidden, classes, 27))
    with pytest.raises(ValueError, match="hidden"):
        mk.init_parameters(inputs, 0, classes, 0)
