"""A one-hidden-layer ReLU network with softmax cross-entropy: the papers' MNIST problems.

f(theta) = 1/n sum_i f_i(theta), f_i the mean cross-entropy over worker i's samples
(or f the mean over all N samples when every worker samples all of them), theta the
flat parameter vector of :mod:`.mlp_kernels` (W1, b1, W2, b2). The stochastic
gradient of a job is the gradient over a minibatch of b of the worker's samples,
drawn from the job's own random stream with or without replacement, or over all of
them (``batch=None``), plus optionally one N(0, s^2) scalar added to every
coordinate (``noise_std``; ``algorithms.md`` E.1(b): the first 100 MNIST images and
s = 1). Checkpoints record f(theta), ||grad f(theta)||^2 and the training accuracy
(the problem's extra metric). f*, L and the minibatch sigma^2 are unknown (None).
"""

import hashlib
from typing import NamedTuple

import numpy as np
import scipy.sparse

from .. import _validate, datasets
from .._jit import kernel
from ..engine.protocol import implements
from ..engine.rng import STREAM_NOISE, normals
from . import splits
from .base import Problem
from .logistic import _partition
from .logistic_kernels import draw_minibatch
from .mlp_kernels import (
    add_loss_gradient,
    descend_factored,
    factor_loss_gradient,
    factor_size,
    init_parameters,
    parameter_count,
    workspace_size,
)

#: Samples per pass of the metrics kernel: bounds its workspace, whatever N is.
METRICS_CHUNK = 256
#: Stream of the scalar noise: the minibatch takes blocks 0, 1, ... of STREAM_NOISE, as many as its rejections need.
STREAM_SCALAR_NOISE = STREAM_NOISE + 1


class MLPData(NamedTuple):
    """Arrays of an MLP problem (see :mod:`.mlp_kernels` for the layout of theta)."""

    inputs: int
    hidden: int
    classes: int
    features: np.ndarray  # float64 (N, inputs), C-contiguous
    labels: np.ndarray  # int64 (N,)
    batch: int  # b; 0: every sample of the worker (full batch)
    replacement: bool
    noise_std: float  # s: one N(0, s^2) draw added to every coordinate
    worker_offsets: np.ndarray  # int64 (n + 1,): worker i's samples, a range of worker_samples; (2,) = [0, N] unsplit
    worker_samples: np.ndarray  # int64 (N,): sample indices grouped by worker
    weights: np.ndarray  # float64 (n or 1,): weight of worker i's mean loss in f, 1 / n
    rows: np.ndarray  # int64 (b,): workspace, the job's minibatch
    workspace: np.ndarray  # float64: workspace of the forward and backward pass
    accuracy: np.ndarray  # float64 (1,): accuracy at the last metrics call, read by extra_metric


@kernel
def _draw_minibatch(problem, key, worker, job):
    """Draw worker's ``job``-th minibatch into ``problem.rows`` from its stream (``batch`` > 0)."""
    offsets = problem.worker_offsets
    draw_minibatch(key, worker, job, offsets if offsets.size > 2 else offsets[:0], problem.worker_samples,
                   problem.labels.size, problem.batch, problem.replacement, problem.rows)


@implements("stochastic_gradient", MLPData)
@kernel
def stochastic_gradient(problem, key, point, worker, job, out):
    """Worker's gradient over its job's minibatch (or all its samples), plus the scalar noise."""
    offsets = problem.worker_offsets
    group = worker if offsets.size > 2 else 0
    if problem.batch > 0:
        rows = problem.rows
        _draw_minibatch(problem, key, worker, job)
    else:
        rows = problem.worker_samples[offsets[group]:offsets[group + 1]]
    add_loss_gradient(point, problem.inputs, problem.hidden, problem.classes, problem.features, problem.labels, rows,
                      1.0 / rows.size, False, out, problem.workspace)
    if problem.noise_std > 0.0:
        shift = problem.noise_std * normals(key, STREAM_SCALAR_NOISE, worker, job, 0)[0]
        for k in range(out.size):
            out[k] += shift


@implements("factor_gradient", MLPData)
@kernel
def factor_gradient(problem, key, point, worker, job, factors, scratch):
    """The job's minibatch gradient with W1's block as its outer products (minibatch, no noise: ``MLP.factor_size``)."""
    _draw_minibatch(problem, key, worker, job)
    factor_loss_gradient(point, problem.inputs, problem.hidden, problem.classes, problem.features, problem.labels,
                         problem.rows, scratch, problem.workspace, factors)


@implements("descend_factored", MLPData)
@kernel
def descend(problem, factors, scale, x, scratch):
    """``x -= scale * g`` for a gradient :func:`factor_gradient` factored; return ||g||^2."""
    return descend_factored(x, problem.inputs, problem.hidden, problem.features, factors, scale, problem.rows, scratch)


@kernel
def _metrics(problem, x, out):
    """``(f(x), ||grad f(x)||^2, accuracy)``: worker by worker, METRICS_CHUNK samples at a time."""
    offsets = problem.worker_offsets
    samples = problem.worker_samples
    loss = 0.0
    correct = 0
    first = True
    for group in range(offsets.size - 1):
        start, end = offsets[group], offsets[group + 1]
        weight = problem.weights[group] / (end - start)
        for chunk in range(start, end, METRICS_CHUNK):
            part, hits = add_loss_gradient(x, problem.inputs, problem.hidden, problem.classes, problem.features,
                                           problem.labels, samples[chunk:min(chunk + METRICS_CHUNK, end)], weight,
                                           not first, out, problem.workspace)
            loss += weight * part
            correct += hits
            first = False
    norm2 = 0.0
    for k in range(out.size):
        norm2 += out[k] * out[k]
    return loss, norm2, correct / samples.size


@implements("metrics", MLPData)
@kernel
def metrics(problem, x):
    """Exact ``(f(x), ||grad f(x)||^2)`` over every sample; the accuracy is kept for :func:`extra_metric`."""
    loss, norm2, accuracy = _metrics(problem, x, problem.workspace[-x.size:])
    problem.accuracy[0] = accuracy
    return loss, norm2


@implements("extra_metric", MLPData)
@kernel
def extra_metric(problem, x):
    """Training accuracy at ``x``, computed by the :func:`metrics` call just made at the same point."""
    return problem.accuracy[0]


class MLP(Problem):
    """Classification with a one-hidden-layer ReLU network, softmax cross-entropy.

    Parameters
    ----------
    features : array_like of shape (N, inputs)
        One sample a row (e.g. normalised, flattened images).
    labels : array_like of int, shape (N,)
        Classes 0, ..., classes - 1.
    hidden : int, default 32
        Hidden units (E.1(b): 32, E.2: 128).
    classes : int, optional
        Output units; default max(labels) + 1.
    batch : int or None, default 4
        b, samples per stochastic gradient; None: every sample of the worker (full batch).
    replacement : bool, default True
        Draw the minibatch with replacement (or without, E.2).
    noise_std : float, default 0
        s: one N(0, s^2) draw added to every coordinate of each stochastic gradient (E.1(b): 1).
    partition : sequence of n arrays of int, optional
        Per-worker data: worker i samples only ``partition[i]`` and f = 1/n sum_i f_i.
    init_seed : int, default 0
        Seed of PyTorch's default initialisation of theta^0 (:func:`.mlp_kernels.init_parameters`).
    x0 : array_like, optional
        Starting parameters instead of the initialisation.
    name : str, optional

    Attributes
    ----------
    d : int
        Parameters P = hidden (inputs + 1) + classes (hidden + 1).
    sigma2 : float or None
        d s^2 for the full-batch gradient with scalar noise (its exact variance); None
        otherwise (the minibatch variance depends on theta).
    L, f_star : None
        Unknown for a network.
    extra_metric : str
        ``'accuracy'``: the fraction of samples whose largest logit is their label,
        recorded at each checkpoint (``Result.extra``).
    factor_size : int
        A minibatch gradient without noise in factored form (:func:`.mlp_kernels.factor_size`:
        the minibatch, the first layer's deltas and the other blocks), so ASGD evaluates
        each job's gradient when it starts and keeps no stale parameters; 0 with the
        scalar noise or the full batch, whose gradients are dense or no smaller.
    """

    extra_metric = "accuracy"

    def __init__(self, features, labels, *, hidden=32, classes=None, batch=4, replacement=True, noise_std=0.0,
                 partition=None, init_seed=0, x0=None, name="MLP"):
        if scipy.sparse.issparse(features):
            raise ValueError("features must be a dense array (the MLP's kernels are dense); pass features.toarray()")
        self.features = np.ascontiguousarray(_validate.array("features", features, ndim=2))
        self.n_samples, self.inputs = self.features.shape
        labels = np.asarray(labels)
        if labels.shape != (self.n_samples,) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
            raise ValueError(f"labels must be {self.n_samples} non-negative integers (one per row of features)")
        self.labels = labels.astype(np.int64)
        if classes is None:
            self.classes = int(self.labels.max()) + 1
            if self.classes < 2:
                raise ValueError("labels hold a single class (0), and a softmax needs classes >= 2: give classes "
                                 "(the number of classes the network predicts)")
        else:
            self.classes = _validate.integer("classes", classes, minimum=2)
        if self.labels.max() >= self.classes:
            raise ValueError(f"labels must be < classes = {self.classes}, found {self.labels.max()}")
        # Each hidden unit holds inputs + classes + 1 parameters, in x0 and in every stored iterate.
        self.hidden = _validate.count("hidden", hidden, bytes_each=8 * (self.inputs + self.classes + 1))
        # Each sample of a batch takes 2 hidden + classes entries of the workspace, and a row index.
        self.batch = None if batch is None else _validate.count("batch", batch,
                                                                bytes_each=8 * (2 * self.hidden + self.classes + 1))
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement must be True or False, got {replacement!r}")
        self.replacement = replacement
        self.noise_std = _validate.real("noise_std", noise_std, minimum=0.0)
        self.init_seed = _validate.integer("init_seed", init_seed, minimum=0)
        self.d = parameter_count(self.inputs, self.hidden, self.classes)
        self.x0 = init_parameters(self.inputs, self.hidden, self.classes, self.init_seed) if x0 is None \
            else _validate.array("x0", x0, length=self.d)
        offsets, samples = _partition(partition, self.n_samples)
        self.n_workers = None if partition is None else offsets.size - 1
        if partition is None:
            offsets, samples = np.array([0, self.n_samples], dtype=np.int64), np.arange(self.n_samples)
        pools = np.diff(offsets)
        if self.batch is not None and not replacement and self.batch > pools.min():
            raise ValueError(f"batch must be <= the smallest worker's sample count ({pools.min()}) to draw "
                             f"without replacement, got {self.batch}")
        self._offsets, self._samples = offsets, samples
        # Samples in one forward-backward pass: a job's (b, or the largest worker's all) or a metrics chunk.
        self._largest_call = max(int(pools.max()) if self.batch is None else self.batch,
                                 min(METRICS_CHUNK, self.n_samples))
        self.sigma2 = _validate.noise_variance("noise_std", self.noise_std, self.d) if self.batch is None else None
        self.factor_size = factor_size(self.hidden, self.classes, self.batch) if (
            self.batch is not None and self.noise_std == 0.0) else 0
        self.name = str(name)
        self.sha256 = self._digest()

    @classmethod
    def from_dataset(cls, dataset, *, path=None, samples=None, balanced=False, n=None, alpha=None, **options):
        """An MLP on a registered image dataset (``mnist5k``, ``mnist``, ``fashion-mnist``).

        Parameters
        ----------
        dataset : str
            A dataset of :data:`ringbench.datasets.DATASETS` with 10 classes.
        path : str or Path, optional
            The only place to read the dataset from; see :func:`ringbench.datasets.load`.
        samples : int, optional
            Keep only the first ``samples`` training images (E.1(b): 100).
        balanced : bool, default False
            With ``samples``: the first samples / classes images of each class instead
            (in file order), for files stored sorted by label such as ``mnist5k``, whose
            first 100 images are all zeros.
        n, alpha : int and float, optional
            Split over n workers (E.2): the class-proportional trim to a multiple of n
            (seed :data:`.splits.TRIM_SEED`), then the equal-size Dirichlet(alpha) split on
            the dataset's classes (seed :data:`.splits.DIRICHLET_SEED`), as in the papers' code.
        **options
            As for :class:`MLP`.
        """
        if (n is None) != (alpha is None):
            raise ValueError("n and alpha go together: give both to split the data over workers, or neither")
        datasets.require_format("dataset", dataset, "idx")
        _validate.boolean("balanced", balanced)
        if n is not None:
            n = _validate.integer("n", n, minimum=1)
        if samples is not None:
            samples = _validate.integer("samples", samples, minimum=1)
        for size in ("hidden", "batch"):  # before the images are read: the constructor checks their memory exactly
            if options.get(size) is not None:
                _validate.count(size, options[size], bytes_each=8)
        loaded = datasets.load(dataset, path=path)
        features, labels = loaded.X, loaded.y
        if samples is not None:
            if samples > labels.size:
                raise ValueError(f"samples must be <= {labels.size} ({dataset} has that many), got {samples}")
            kept = np.arange(samples)
            if balanced:
                per_class = samples // (int(labels.max()) + 1)
                if per_class == 0:
                    raise ValueError(f"balanced keeps samples / classes images of each class: samples must be >= "
                                     f"{int(labels.max()) + 1} ({dataset}'s classes), got {samples}")
                kept = np.sort(np.concatenate([np.flatnonzero(labels == c)[:per_class]
                                               for c in range(int(labels.max()) + 1)]))
            features, labels = features[kept], labels[kept]
        elif balanced:
            raise ValueError("balanced needs samples (how many images to keep)")
        classes = options.pop("classes", 10 if loaded.y.max() < 10 else int(loaded.y.max()) + 1)
        if n is not None:
            if n > labels.size:
                raise ValueError(f"n must be <= the {labels.size} samples kept (each worker needs one), got {n}")
            kept = splits.trim(labels, n, seed=splits.TRIM_SEED)
            features, labels = features[kept], labels[kept]
            options["partition"] = splits.dirichlet(labels, n, alpha, seed=splits.DIRICHLET_SEED,
                                                    classes=np.arange(classes))
        options.setdefault("name", f"MLP on {dataset}" + ("" if n is None else f", Dirichlet({alpha:g}) over {n}"))
        return cls(features, labels, classes=classes, **options)

    def _digest(self):
        digest = hashlib.sha256()
        for array in (self.features, self.labels, self._offsets, self._samples, self.x0,
                      np.array([self.hidden, self.classes, self.batch or 0, self.replacement, self.noise_std])):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def data(self):
        """The arrays the jitted engine uses, with workspaces of this run's own."""
        weights = np.full(self._offsets.size - 1, 1.0 / (self._offsets.size - 1))
        # The metrics kernel keeps the full gradient in the workspace's last d entries.
        size = workspace_size(self.inputs, self.hidden, self.classes, self._largest_call) + self.d
        return MLPData(inputs=self.inputs, hidden=self.hidden, classes=self.classes, features=self.features,
                       labels=self.labels, batch=self.batch or 0, replacement=self.replacement,
                       noise_std=self.noise_std, worker_offsets=self._offsets, worker_samples=self._samples,
                       weights=weights, rows=np.zeros(self.batch or 0, dtype=np.int64), workspace=np.zeros(size),
                       accuracy=np.full(1, np.nan))

    def accuracy(self, x):
        """Fraction of the training samples classified right at ``x``."""
        data = self.data()
        metrics(data, _validate.array("x", x, length=self.d))
        return float(data.accuracy[0])

    def describe(self):
        """JSON-ready configuration, with a checksum of the data and parameters."""
        return {"name": self.name, "type": "mlp", "layers": [self.inputs, self.hidden, self.classes], "d": self.d,
                "n_samples": self.n_samples, "batch": self.batch, "replacement": self.replacement,
                "noise_std": self.noise_std, "n_workers": self.n_workers, "init_seed": self.init_seed,
                "L": None, "f_star": None, "sigma2": self.sigma2, "extra_metric": self.extra_metric,
                "sha256": self.sha256[:16]}

    def __repr__(self):
        batch = "full" if self.batch is None else self.batch
        return (f"MLP({self.name!r}, {self.inputs}-{self.hidden}-{self.classes}, N={self.n_samples}, "
                f"batch={batch}, noise_std={self.noise_std:g}, workers={self.n_workers})")
