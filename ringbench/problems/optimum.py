"""f* of a logistic problem: a deterministic high-accuracy solve, cached on disk.

L-BFGS (scipy.optimize) from x = 0 on the full objective, then Newton steps with
the exact Hessian (d is small on LIBSVM sets: 123 for a9a, 300 for w8a) until
||grad f|| < 1e-10; L-BFGS alone stalls near 1e-9 on ill-conditioned sets. The
result is cached as JSON under ``$RINGBENCH_CACHE`` (default
``$XDG_CACHE_HOME/ringbench`` or ``~/.cache/ringbench``), keyed by a checksum of
everything f depends on, so each (data, lambda, regulariser) is solved once per
machine.
"""

import json

import numpy as np
import scipy  # its submodules load on first use (scipy >= 1.9): import ringbench stays fast

from .. import _validate
from ..files import cache_directory, write_text_atomically

GRADIENT_TOLERANCE = 1e-10
_NEWTON_STEPS = 50


def minimum(objective, digest):
    """``(f*, x*)`` of ``objective``, from the cache entry ``digest`` or solved and stored there.

    Parameters
    ----------
    objective : ringbench.problems.logistic.Logistic
        Provides ``value_and_gradient(x)``, ``hessian(x)`` and ``d``.
    digest : str
        Checksum of the objective's data and parameters.
    """
    path = cache_directory() / "optima" / f"{digest}.json"
    if path.exists():
        entry = json.loads(path.read_text())
        return entry["f_star"], np.array(entry["x_star"])
    # Checked before the solve (seconds to minutes), so that its result is not lost to a cache it cannot enter.
    _validate.writable_directory("the f* cache ($RINGBENCH_CACHE)", path.parent)
    f_star, x_star, grad_norm = _solve(objective)
    entry = {"f_star": f_star, "x_star": x_star.tolist(), "grad_norm": grad_norm,
             "scipy": scipy.__version__}
    write_text_atomically(path, json.dumps(entry))
    return f_star, x_star


def _solve(objective):
    start = np.zeros(objective.d)
    solution = scipy.optimize.minimize(objective.value_and_gradient, start, jac=True, method="L-BFGS-B",
                                       options=dict(maxiter=20_000, maxcor=30, ftol=0.0, gtol=1e-13))
    x = solution.x
    value, gradient = objective.value_and_gradient(x)
    for _ in range(_NEWTON_STEPS):
        if np.linalg.norm(gradient) < GRADIENT_TOLERANCE:
            break
        x = x - np.linalg.solve(objective.hessian(x), gradient)
        value, gradient = objective.value_and_gradient(x)
    grad_norm = float(np.linalg.norm(gradient))
    if not grad_norm < GRADIENT_TOLERANCE:
        raise RuntimeError(f"could not solve for f*: ||grad f|| = {grad_norm:.3g} after L-BFGS and "
                           f"{_NEWTON_STEPS} Newton steps (needs < {GRADIENT_TOLERANCE:g})")
    return float(value), x, grad_norm
