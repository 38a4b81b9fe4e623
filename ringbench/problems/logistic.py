"""Regularised binary logistic regression on dense or sparse data, with exact constants.

f(x) = 1/N sum_j log(1 + exp(-y_j a_j'x)) + r(x), with r(x) = lam/2 ||x||^2 (``l2``)
or the nonconvex lam sum_k x_k^2 / (1 + x_k^2) (``nonconvex``) used in this
literature. The stochastic gradient is the minibatch gradient over b samples.
"""

import hashlib

import numpy as np
import scipy  # its submodules load on first use (scipy >= 1.9): import ringbench stays fast

from .. import _validate, datasets
from . import ids, optimum
from .base import Problem
from .logistic_kernels import LogisticData

REGULARIZERS = {"l2": ids.L2, "nonconvex": ids.NONCONVEX}
#: Options of :class:`Logistic` that :meth:`Logistic.checked_options` checks before any dataset is read.
_CHECKED_FIRST = ("lam", "regularizer", "batch", "replacement")
#: The regulariser's largest curvature per unit lambda: r'' = lam (l2), max of lam (2 - 6x^2)/(1 + x^2)^3 = 2 lam.
_REGULARIZER_CURVATURE = {"l2": 1.0, "nonconvex": 2.0}
_DENSE_GRAM_LIMIT = 2000  # up to this d, the exact eigenvalues of the d x d Gram matrix are cheapest


def labels_to_signs(labels):
    """Map labels in {0, 1} or {-1, +1} to {-1, +1}; anything else is an error."""
    values = _validate.array("labels", labels)
    found = set(np.unique(values).tolist())
    if not (found <= {0.0, 1.0} or found <= {-1.0, 1.0}):
        raise ValueError(f"labels must be 0/1 or -1/+1, found {sorted(found)}")
    return np.where(values == 1.0, 1.0, -1.0)


class Logistic(Problem):
    """Binary logistic regression with a minibatch stochastic gradient.

    Parameters
    ----------
    features : ndarray of shape (N, d) or scipy.sparse matrix
        The samples a_j as rows; dense arrays use the dense kernels, sparse ones CSR.
    labels : array_like of shape (N,)
        y_j in {0, 1} or {-1, +1} (0 is mapped to -1).
    lam : float, default 1e-4
        Regularisation strength lambda >= 0 (> 0 for ``nonconvex``'s purpose).
    regularizer : {'l2', 'nonconvex'}
        lam/2 ||x||^2, or lam sum_k x_k^2 / (1 + x_k^2).
    batch : int, default 1
        b, samples per stochastic gradient.
    replacement : bool, default True
        Draw the minibatch with replacement (or without).
    partition : sequence of n arrays of int, optional
        Per-worker data: worker i samples only ``partition[i]``, and
        f = 1/n sum_i f_i with f_i the regularised mean loss over worker i's samples.
        Every sample must belong to exactly one worker.
    x0 : array_like of shape (d,), optional
        Starting point; zeros by default.
    name : str, optional

    Attributes
    ----------
    d, n_samples, L, f_star, x_star, sigma2, x0
        Dimension; N; smoothness constant max eig(A'WA)/4 + lam (l2) or + 2 lam
        (nonconvex), W the sample weights; f* and a minimiser (a stationary point for
        ``nonconvex``), from :func:`ringbench.problems.optimum.minimum`; sigma^2 =
        E||g(x0) - grad f(x0)||^2 of the minibatch gradient (the largest over workers
        with per-worker data).
    """

    def __init__(self, features, labels, *, lam=1e-4, regularizer="l2", batch=1, replacement=True,
                 partition=None, x0=None, name="logistic regression"):
        checked = self.checked_options(lam=lam, regularizer=regularizer, batch=batch, replacement=replacement)
        self.lam, self.regularizer, self.batch, self.replacement = (checked[key] for key in _CHECKED_FIRST)
        self._features = _features(features)
        self.n_samples, self.d = self._features.shape
        self.labels = labels_to_signs(labels)
        if self.labels.size != self.n_samples:
            raise ValueError(f"labels must have one entry per sample (N = {self.n_samples} rows of features), "
                             f"got {self.labels.size}")
        self.x0 = np.zeros(self.d) if x0 is None else _validate.array("x0", x0, length=self.d)
        self.name = str(name)
        self._offsets, self._samples = _partition(partition, self.n_samples)
        self.n_workers = None if partition is None else self._offsets.size - 1
        pool_sizes = np.diff(self._offsets) if partition is not None else np.array([self.n_samples])
        if not replacement and self.batch > pool_sizes.min():
            raise ValueError(f"batch must be <= the smallest worker's sample count ({pool_sizes.min()}) to draw "
                             f"without replacement, got {self.batch}")
        self.sample_weights = self._weights(pool_sizes)
        self.L = self._smoothness()
        self.sha256 = self._digest()
        self.f_star, self.x_star = optimum.minimum(self, self.sha256)
        self.sigma2 = self._variance_at(self.x0)
        self._kernel_data = self._build_kernel_data()

    @staticmethod
    def checked_options(**options):
        """The options among lam, regularizer, batch and replacement, validated: those that need no data."""
        checks = {"regularizer": lambda value: _validate.choice("regularizer", value, tuple(REGULARIZERS)),
                  "lam": lambda value: _validate.real("lam", value, minimum=0.0),
                  # the run's workspace of sample rows
                  "batch": lambda value: _validate.count("batch", value, bytes_each=8),
                  "replacement": lambda value: _validate.boolean("replacement", value)}
        return {key: checks[key](options[key]) for key in checks if key in options}

    @classmethod
    def from_dataset(cls, dataset, *, path=None, storage="csr", **options):
        """Logistic regression on a registered LIBSVM dataset (``ringbench.datasets``).

        Parameters
        ----------
        dataset : str
            A dataset of :data:`ringbench.datasets.DATASETS`, e.g. ``'a9a'``.
        path : str or Path, optional
            The only place to read the dataset from; see :func:`ringbench.datasets.load`.
        storage : {'csr', 'dense'}
            Keep the features sparse, or densify them for the dense kernels.
        **options
            As for :class:`Logistic`.
        """
        _validate.choice("storage", storage, ("csr", "dense"))
        cls.checked_options(**{key: options[key] for key in _CHECKED_FIRST if key in options})  # before reading
        loaded = datasets.load(dataset, path=path)
        features = loaded.X if storage == "csr" else loaded.X.toarray()
        options.setdefault("name", f"logistic regression on {dataset}")
        return cls(features, loaded.y, **options)

    # --- the objective in NumPy: for the solver, the constants and tests ----------------------

    def margins(self, x):
        """y_j a_j'x for every sample."""
        return self.labels * (self._features @ x)

    def value_and_gradient(self, x):
        """``(f(x), grad f(x))`` of the global objective."""
        x = np.asarray(x, dtype=np.float64)
        margins = self.margins(x)
        value = self.sample_weights @ np.logaddexp(0.0, -margins)
        coefficients = -self.sample_weights * self.labels * scipy.special.expit(-margins)
        gradient = self._features.T @ coefficients
        if self.regularizer == "l2":
            return value + 0.5 * self.lam * (x @ x), gradient + self.lam * x
        square = 1.0 + x * x
        return value + self.lam * np.sum(x * x / square), gradient + 2.0 * self.lam * x / square**2

    def gradient(self, x):
        """Exact gradient of f at ``x``."""
        return self.value_and_gradient(_validate.array("x", x, length=self.d))[1]

    def loss(self, x):
        """f(x)."""
        return float(self.value_and_gradient(_validate.array("x", x, length=self.d))[0])

    def hessian(self, x):
        """The exact d x d Hessian of f at ``x`` (dense)."""
        probabilities = scipy.special.expit(self.margins(x))
        curvature = self.sample_weights * probabilities * (1.0 - probabilities)
        weighted = self._features.multiply(curvature[:, None]) if scipy.sparse.issparse(self._features) \
            else self._features * curvature[:, None]
        hessian = _dense(self._features.T @ weighted)
        if self.regularizer == "l2":
            return hessian + self.lam * np.eye(self.d)
        square = 1.0 + x * x
        return hessian + np.diag(self.lam * (2.0 - 6.0 * x * x) / square**3)

    # --- constants ---------------------------------------------------------------------------

    def _weights(self, pool_sizes):
        if self.n_workers is None:
            return np.full(self.n_samples, 1.0 / self.n_samples)
        weights = np.empty(self.n_samples)
        for worker, size in enumerate(pool_sizes):
            weights[self._samples[self._offsets[worker]:self._offsets[worker + 1]]] = 1.0 / (self.n_workers * size)
        return weights

    def _smoothness(self):
        """L = max eig(A' W A) / 4 + the regulariser's largest curvature."""
        scaled = scipy.sparse.diags(np.sqrt(self.sample_weights)) @ self._features
        if self.d <= _DENSE_GRAM_LIMIT:
            gram = _dense(scaled.T @ scaled)
            largest = float(scipy.linalg.eigvalsh(gram, subset_by_index=(self.d - 1, self.d - 1))[0])
        else:
            operator = scipy.sparse.linalg.aslinearoperator(scaled)
            singular = scipy.sparse.linalg.svds(operator, k=1, return_singular_vectors=False, random_state=0)
            largest = float(singular[0]) ** 2
        return 0.25 * largest + _REGULARIZER_CURVATURE[self.regularizer] * self.lam

    def _variance_at(self, x):
        """E||g(x) - grad f_i(x)||^2 of one worker's minibatch gradient, the largest over workers."""
        coefficients = -self.labels * scipy.special.expit(-self.margins(x))  # grad loss_j = c_j a_j
        if scipy.sparse.issparse(self._features):
            gradients = self._features.multiply(coefficients[:, None]).tocsr()
            norms2 = np.asarray(gradients.multiply(gradients).sum(axis=1)).ravel()
        else:
            gradients = self._features * coefficients[:, None]
            norms2 = np.einsum("ij,ij->i", gradients, gradients)
        offsets, samples = (self._offsets, self._samples) if self.n_workers else (
            np.array([0, self.n_samples]), np.arange(self.n_samples))
        pools = np.diff(offsets)
        # averaging[i, j] = 1 / N_i for worker i's samples j
        averaging = scipy.sparse.csr_array((np.repeat(1.0 / pools, pools), samples, offsets),
                                           shape=(pools.size, self.n_samples))
        means = _dense(averaging @ gradients)
        # mean_j ||g_j - mean||^2 = mean_j ||g_j||^2 - ||mean||^2, per worker
        spreads = np.maximum(averaging @ norms2 - np.einsum("ij,ij->i", means, means), 0.0)
        finite_pool = 1.0  # without replacement, the variance shrinks by (N_i - b) / (N_i - 1)
        if not self.replacement:
            finite_pool = np.where(pools > 1, (pools - self.batch) / np.maximum(pools - 1, 1), 1.0)
        return float(np.max(spreads * finite_pool / self.batch))

    def _digest(self):
        digest = hashlib.sha256()
        features = self._features
        parts = (features.data, features.indices, features.indptr) if scipy.sparse.issparse(features) \
            else (features,)
        for array in (*parts, np.array(features.shape), self.labels, self.sample_weights,
                      np.array([self.lam]), np.array([REGULARIZERS[self.regularizer]])):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def _build_kernel_data(self):
        if scipy.sparse.issparse(self._features):
            storage = dict(storage=ids.CSR, dense=np.zeros((0, self.d)), csr_data=self._features.data,
                           csr_indices=self._features.indices, csr_indptr=self._features.indptr)
        else:
            storage = dict(storage=ids.DENSE, dense=self._features, csr_data=np.zeros(0),
                           csr_indices=np.zeros(0, dtype=np.int64), csr_indptr=np.zeros(0, dtype=np.int64))
        return LogisticData(**storage, labels=self.labels, sample_weights=self.sample_weights,
                            regularizer=REGULARIZERS[self.regularizer], lam=self.lam, batch=self.batch,
                            replacement=self.replacement, f_star=self.f_star, worker_offsets=self._offsets,
                            worker_samples=self._samples, rows=np.zeros(0, dtype=np.int64), work=np.zeros(0))

    # --- what the simulator and results need -------------------------------------------------

    def data(self):
        """The arrays the jitted engine uses, with workspaces of this run's own."""
        return self._kernel_data._replace(rows=np.zeros(self.batch, dtype=np.int64), work=np.zeros(self.d))

    def storage(self):
        """``csr`` or ``dense``."""
        return "csr" if scipy.sparse.issparse(self._features) else "dense"

    def describe(self):
        """JSON-ready configuration, with a checksum of the data and parameters."""
        return {"name": self.name, "type": "logistic", "storage": self.storage(), "d": self.d,
                "n_samples": self.n_samples, "lam": self.lam, "regularizer": self.regularizer,
                "batch": self.batch, "replacement": self.replacement, "n_workers": self.n_workers,
                "L": self.L, "f_star": self.f_star, "sigma2": self.sigma2, "sha256": self.sha256[:16]}

    def __repr__(self):
        return (f"Logistic({self.name!r}, N={self.n_samples}, d={self.d}, storage={self.storage()!r}, "
                f"lam={self.lam:g}, batch={self.batch}, L={self.L:.4g}, sigma2={self.sigma2:.4g})")


def _dense(matrix):
    return matrix.toarray() if scipy.sparse.issparse(matrix) else np.asarray(matrix)


def _features(features):
    if scipy.sparse.issparse(features):
        matrix = _validate.sparse("features", features)
        matrix.sort_indices()
        matrix.indices = matrix.indices.astype(np.int64)
        matrix.indptr = matrix.indptr.astype(np.int64)
        if 0 in matrix.shape:
            raise ValueError(f"features must have at least one sample and one feature, got shape {matrix.shape}")
        return matrix
    return _validate.array("features", features, ndim=2)


def _partition(partition, n_samples):
    """(offsets, samples) of a per-worker partition, checked to use every sample exactly once."""
    if partition is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    parts = [np.asarray(part) for part in partition]
    if not parts:
        raise ValueError("partition must list the samples of at least one worker")
    for worker, part in enumerate(parts):
        if part.ndim != 1 or part.size == 0 or not np.issubdtype(part.dtype, np.integer):
            raise ValueError(f"partition[{worker}] must be a non-empty 1-d array of sample indices")
    samples = np.concatenate(parts).astype(np.int64)
    counts = np.bincount(samples[(samples >= 0) & (samples < n_samples)], minlength=n_samples)
    if samples.min() < 0 or samples.max() >= n_samples or np.any(counts != 1):
        raise ValueError(f"partition must use every sample index 0..{n_samples - 1} exactly once")
    offsets = np.concatenate([[0], np.cumsum([part.size for part in parts])]).astype(np.int64)
    return offsets, samples
