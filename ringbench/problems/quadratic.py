"""Stochastic quadratics f(x) = 1/2 x'Ax - b'x with exact f*, L and sigma^2."""

import copy
import hashlib
import warnings

import numpy as np
import scipy  # its submodules load on first use (scipy >= 1.9): import ringbench stays fast

from .. import _validate
from . import ids
from .base import Problem
from .quadratic_kernels import QuadraticData, affine, empty_storage

NOISE_KINDS = {"scalar": ids.NOISE_SCALAR, "isotropic": ids.NOISE_ISOTROPIC}
STORAGES = {ids.TRIDIAGONAL: "tridiagonal", ids.TOEPLITZ: "tridiagonal", ids.DENSE: "dense", ids.CSR: "csr"}


_DENSE_EIGEN_LIMIT = 2000  # up to this size, exact dense eigenvalues are cheaper than ARPACK


def _extreme_eigenvalues(matrix):
    """(smallest, largest) eigenvalue of a symmetric sparse matrix."""
    diagonal = matrix.diagonal()
    if np.any(diagonal <= 0):  # necessary for definiteness, and cheap
        row = int(np.argmax(diagonal <= 0))
        raise ValueError(f"A must be positive definite; its diagonal entry A[{row}, {row}] = {diagonal[row]}")
    if matrix.shape[0] <= _DENSE_EIGEN_LIMIT:
        eigenvalues = np.linalg.eigvalsh(matrix.toarray())
        return float(eigenvalues[0]), float(eigenvalues[-1])
    try:
        smallest = scipy.sparse.linalg.eigsh(matrix, k=1, which="SA", return_eigenvectors=False)[0]
        largest = scipy.sparse.linalg.eigsh(matrix, k=1, which="LA", return_eigenvectors=False)[0]
    except scipy.sparse.linalg.ArpackError as error:
        raise ValueError(f"could not compute the eigenvalues of A: {error}") from None
    return float(smallest), float(largest)


class Quadratic(Problem):
    """f(x) = 1/2 x'Ax - b'x with A symmetric positive definite, and a noisy gradient oracle.

    The stochastic gradient is Ax - b + noise. Build one with :meth:`worst_case` (the
    Ringmaster paper's problem), :meth:`random_dense`, :meth:`tridiagonal`, or the
    constructor with a dense array or any ``scipy.sparse`` matrix (stored as CSR).

    Parameters
    ----------
    A : ndarray of shape (d, d) or scipy.sparse matrix
        Symmetric positive definite.
    b : array_like of shape (d,)
    x0 : array_like of shape (d,), optional
        Starting point; zeros by default.
    noise_std : float, default 0
        s, the per-coordinate standard deviation of the gradient noise.
    noise : {'scalar', 'isotropic'}
        ``scalar``: one N(0, s^2) draw added to every coordinate, as in the papers'
        code; ``isotropic``: N(0, s^2 I). Both have sigma^2 = d s^2.
    name : str, optional
        Label used in results and tables.

    Attributes
    ----------
    d, L, mu, x_star, f_star, sigma2, x0
        Dimension, largest and smallest eigenvalue of A, minimiser, minimum, noise
        variance E||g - grad f||^2 and starting point.
    """

    def __init__(self, A, b, *, x0=None, noise_std=0.0, noise="scalar", name="quadratic"):
        self._set_noise(noise_std, noise)
        if scipy.sparse.issparse(A):
            matrix = _validate.sparse("A", A)
            self._init_common(matrix.shape, b, x0, name)
            if abs(matrix - matrix.T).max() > 1e-12 * max(abs(matrix).max(), 1.0):
                raise ValueError("A must be symmetric")
            self._data = dict(storage=ids.CSR, csr_data=matrix.data,
                              csr_indices=matrix.indices.astype(np.int64),
                              csr_indptr=matrix.indptr.astype(np.int64))
            self.mu, self.L = _extreme_eigenvalues(matrix)
            if self.mu <= 0:
                raise ValueError(f"A must be positive definite; its smallest eigenvalue is {self.mu:.3g}")
            with warnings.catch_warnings():
                warnings.simplefilter("error", scipy.sparse.linalg.MatrixRankWarning)
                try:
                    self.x_star = scipy.sparse.linalg.spsolve(matrix.tocsc(), self.b)
                except scipy.sparse.linalg.MatrixRankWarning:
                    raise ValueError("A must be positive definite; it is singular") from None
            if not np.all(np.isfinite(self.x_star)):
                raise ValueError("A must be positive definite; solving A x = b gave non-finite values")
        else:
            matrix = _validate.array("A", A, ndim=2)
            self._init_common(matrix.shape, b, x0, name)
            if not np.allclose(matrix, matrix.T, rtol=0, atol=1e-12 * max(np.abs(matrix).max(), 1.0)):
                raise ValueError("A must be symmetric")
            eigenvalues = np.linalg.eigvalsh(matrix)
            self.mu, self.L = float(eigenvalues[0]), float(eigenvalues[-1])
            if self.mu <= 0:
                raise ValueError(f"A must be positive definite; its smallest eigenvalue is {self.mu:.3g}")
            self._data = dict(storage=ids.DENSE, dense=matrix)
            self.x_star = scipy.linalg.cho_solve(scipy.linalg.cho_factor(matrix), self.b)
        self._finish()

    @classmethod
    def tridiagonal(cls, off_diagonal, diagonal, b, *, x0=None, noise_std=0.0, noise="scalar",
                    name="tridiagonal quadratic"):
        """Symmetric tridiagonal A, stored as bands and handled by an O(d) kernel.

        Parameters
        ----------
        off_diagonal : array_like of shape (d - 1,)
            A[i, i + 1] = A[i + 1, i].
        diagonal : array_like of shape (d,)
        b, x0, noise_std, noise, name
            As for :class:`Quadratic`.
        """
        self = cls.__new__(cls)
        self._set_noise(noise_std, noise)
        diagonal = _validate.array("diagonal", diagonal)
        d = diagonal.size
        off = _validate.array("off_diagonal", off_diagonal, length=d - 1) if d > 1 else np.zeros(0)
        self._init_common((d, d), b, x0, name)
        bands = np.zeros((3, d))
        bands[0, 1:] = off
        bands[1] = diagonal
        bands[2, :-1] = off
        self.mu = float(scipy.linalg.eigvalsh_tridiagonal(diagonal, off, select="i", select_range=(0, 0))[0])
        self.L = float(scipy.linalg.eigvalsh_tridiagonal(diagonal, off, select="i", select_range=(d - 1, d - 1))[0])
        if self.mu <= 0:
            raise ValueError(f"A must be positive definite; its smallest eigenvalue is {self.mu:.3g}")
        if d == 1:  # solveh_banded needs a band below the diagonal, which d = 1 has not
            self.x_star = self.b / diagonal
        else:
            self.x_star = scipy.linalg.solveh_banded(np.vstack([np.concatenate([[0.0], off]), diagonal]), self.b)
        # Constant bands (the worst case) take a stencil kernel that reads only the point.
        constant = d > 2 and np.all(off == off[0]) and np.all(diagonal == diagonal[0])
        self._data = dict(storage=ids.TOEPLITZ if constant else ids.TRIDIAGONAL, bands=bands)
        self._finish()
        return self

    @classmethod
    def worst_case(cls, d=1729, *, noise_std=0.01, noise="scalar"):
        """The Ringmaster paper's quadratic: Nesterov's worst-case chain.

        A = tridiag(-1, 2, -1) / 4 (L close to 1), b = (-1/4, 0, ..., 0),
        x0 = (sqrt(d), 0, ..., 0); with the defaults sigma^2 = d * 0.01^2 = 0.1729.
        """
        d = _validate.count("d", d, bytes_each=8 * 8)  # b, x0, the three diagonals and the run's vectors
        b = np.zeros(d)
        b[0] = -0.25
        x0 = np.zeros(d)
        x0[0] = np.sqrt(d)
        return cls.tridiagonal(np.full(d - 1, -0.25), np.full(d, 0.5), b, x0=x0, noise_std=noise_std,
                               noise=noise, name="worst-case quadratic")

    @classmethod
    def random_dense(cls, d, *, condition_number=100.0, seed=0, noise_std=0.0, noise="scalar"):
        """A random dense SPD quadratic with L = 1 and mu = 1 / condition_number.

        Eigenvalues are log-spaced in [1 / condition_number, 1] with random
        eigenvectors; b ~ N(0, I / d) and x0 = 0, all from ``seed``. ``condition_number``
        is at most 10^12: the rounding of the random basis (about d 10^-16) would swamp a
        smaller mu and could leave A indefinite.
        """
        d = _validate.integer("d", d, minimum=1)
        _validate.memory("d", d, 4 * 8 * d * d)  # the basis, A and two temporaries of d x d
        condition_number = _validate.real("condition_number", condition_number, minimum=1.0, maximum=1e12)
        rng = np.random.default_rng(_validate.integer("seed", seed, minimum=0))
        basis, _ = np.linalg.qr(rng.standard_normal((d, d)))
        eigenvalues = np.geomspace(1.0 / condition_number, 1.0, d)
        A = (basis * eigenvalues) @ basis.T
        A = (A + A.T) / 2
        b = rng.standard_normal(d) / np.sqrt(d)
        return cls(A, b, noise_std=noise_std, noise=noise, name=f"random dense quadratic (kappa={condition_number:g})")

    def per_worker(self, worker_b, worker_scale=None):
        """The same quadratic split across workers: worker i holds f_i(x) = s_i/2 x'Ax - b_i'x.

        Our own heterogeneous benchmark (``algorithms.md`` F.15; the papers have none).
        f = 1/n sum_i f_i stays this quadratic, so the b_i must average to b and the s_i
        to 1. Worker i's stochastic gradient is s_i A x - b_i plus this problem's noise.

        Parameters
        ----------
        worker_b : array_like of shape (n, d)
            b_i, one row per worker.
        worker_scale : array_like of shape (n,), optional
            s_i > 0; all ones by default.

        Returns
        -------
        Quadratic
            A new problem with ``n_workers = n``.
        """
        worker_b = _validate.array("worker_b", worker_b, ndim=2)
        if worker_b.shape[1] != self.d:
            raise ValueError(f"worker_b must have d = {self.d} columns, got shape {worker_b.shape}")
        n_workers = worker_b.shape[0]
        worker_scale = np.ones(n_workers) if worker_scale is None else _validate.array(
            "worker_scale", worker_scale, positive=True, length=n_workers)
        tolerance = 1e-12 * max(1.0, np.abs(worker_b).max())
        if np.abs(worker_b.mean(axis=0) - self.b).max() > tolerance:
            raise ValueError("worker_b must average to b over the workers, so that f = 1/n sum_i f_i keeps its "
                             "minimiser")
        if abs(worker_scale.mean() - 1.0) > 1e-12:
            raise ValueError(f"worker_scale must average to 1, got mean {worker_scale.mean()}")
        split = copy.copy(self)
        split.n_workers = n_workers
        split._kernel_data = self._kernel_data._replace(worker_b=worker_b, worker_scale=worker_scale)
        split.name = f"{self.name} split over {n_workers} workers"
        return split

    def split_randomly(self, n_workers, *, heterogeneity=1.0, scale_spread=0.0, seed=0):
        """:meth:`per_worker` with random b_i = b + heterogeneity * z_i and s_i = 1 + scale_spread * u_i.

        z_i ~ N(0, I/d), centred over the workers so that the b_i average to b;
        ``heterogeneity`` is then about the root mean square of ||b_i - b||, how
        different the workers' minimisers are. u_i are uniform draws, centred and scaled
        so that they average to 0 with max |u_i| = 1: the s_i average to 1 and lie in
        [1 - scale_spread, 1 + scale_spread].
        """
        # The offsets draw n_workers x d normals, and the per-worker b holds as many.
        n_workers = _validate.count("n_workers", n_workers, bytes_each=3 * 8 * self.d)
        heterogeneity = _validate.real("heterogeneity", heterogeneity, minimum=0.0)
        scale_spread = _validate.real("scale_spread", scale_spread, minimum=0.0)
        if scale_spread >= 1.0:
            raise ValueError(f"scale_spread must be < 1 so that every s_i > 0, got {scale_spread}")
        rng = np.random.default_rng(np.random.SeedSequence(_validate.integer("seed", seed, minimum=0)))
        offsets = rng.standard_normal((n_workers, self.d)) / np.sqrt(self.d)
        spreads = rng.uniform(-1.0, 1.0, n_workers)
        worker_b = self.b + heterogeneity * (offsets - offsets.mean(axis=0))
        spreads -= spreads.mean()
        largest = np.abs(spreads).max()
        if largest > 0:
            spreads /= largest
        return self.per_worker(worker_b, 1.0 + scale_spread * spreads)

    def _set_noise(self, noise_std, noise):
        self.noise = _validate.choice("noise", noise, tuple(NOISE_KINDS))
        self.noise_std = _validate.real("noise_std", noise_std, minimum=0.0)

    def _init_common(self, shape, b, x0, name):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"A must be square, got shape {shape}")
        self.d = shape[0]
        self.b = _validate.array("b", b)
        if self.b.size != self.d:
            raise ValueError(f"b must have length d = {self.d} (the size of A), got {self.b.size}")
        self.x0 = np.zeros(self.d) if x0 is None else _validate.array("x0", x0)
        if self.x0.size != self.d:
            raise ValueError(f"x0 must have length d = {self.d} (the size of A), got {self.x0.size}")
        self.name = str(name)

    def _finish(self):
        self.f_star = float(-0.5 * self.b @ self.x_star)
        self.sigma2 = _validate.noise_variance("noise_std", self.noise_std, self.d)
        fields = empty_storage()
        fields.update(self._data)
        self._kernel_data = QuadraticData(**fields, b=self.b, x_star=self.x_star, noise_kind=NOISE_KINDS[self.noise],
                                          noise_std=self.noise_std, worker_b=np.zeros((0, self.d)),
                                          worker_scale=np.zeros(0), work=np.zeros(0))
        del self._data

    def data(self):
        """The arrays the jitted engine uses, with a workspace of this run's own."""
        return self._kernel_data._replace(work=np.zeros(self.d))

    def storage(self):
        """How A is stored: ``tridiagonal``, ``dense`` or ``csr``."""
        return STORAGES[self._kernel_data.storage]

    def gradient(self, x):
        """Exact gradient Ax - b (NumPy; for tests and analysis)."""
        out = np.empty(self.d)
        affine(self._kernel_data, _validate.array("x", x, length=self.d), self.b, 1.0, 0.0, out)
        return out

    def describe(self):
        """JSON-ready configuration, with a checksum of the data."""
        digest = hashlib.sha256()
        for name in ("bands", "dense", "csr_data", "csr_indices", "csr_indptr", "b", "worker_b", "worker_scale"):
            digest.update(np.ascontiguousarray(getattr(self._kernel_data, name)).tobytes())
        digest.update(self.x0.tobytes())
        return {"name": self.name, "type": "quadratic", "storage": self.storage(), "d": self.d,
                "noise": self.noise, "noise_std": self.noise_std, "L": self.L, "mu": self.mu,
                "f_star": self.f_star, "sigma2": self.sigma2, "n_workers": self.n_workers,
                "sha256": digest.hexdigest()[:16]}

    def __repr__(self):
        return (f"Quadratic({self.name!r}, d={self.d}, storage={self.storage()!r}, L={self.L:.4g}, "
                f"sigma2={self.sigma2:.4g})")
