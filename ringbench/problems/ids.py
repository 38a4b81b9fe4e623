"""Integer codes of the problems' models, storages, noise kinds and regularisers, as kernels see them."""

# ProblemData.model
QUADRATIC = 0
LOGISTIC = 1

# ProblemData.storage: how the problem's matrix is held
TRIDIAGONAL = 0
DENSE = 1
CSR = 2

# ProblemData.noise_kind (quadratic)
NOISE_SCALAR = 0
NOISE_ISOTROPIC = 1

# ProblemData.regularizer (logistic)
L2 = 0  # lam/2 ||x||^2
NONCONVEX = 1  # lam sum_k x_k^2 / (1 + x_k^2)
