"""Integer codes of the problems' storages, noise kinds and regularisers, as kernels see them."""

# How a problem's matrix is held (QuadraticData.storage, LogisticData.storage)
TRIDIAGONAL = 0
DENSE = 1
CSR = 2
TOEPLITZ = 3  # tridiagonal with constant bands: a stencil, read as three numbers

# QuadraticData.noise_kind
NOISE_SCALAR = 0
NOISE_ISOTROPIC = 1

# LogisticData.regularizer
L2 = 0  # lam/2 ||x||^2
NONCONVEX = 1  # lam sum_k x_k^2 / (1 + x_k^2)
