"""What every problem offers the simulator and the theory: the problem protocol.

A problem, built-in or the user's, is a :class:`Problem` subclass whose :meth:`data`
returns a namedtuple of arrays and scalars of its own class, for which two jitted
kernels are registered with :func:`ringbench.engine.protocol.register` (or the
:func:`~ringbench.engine.protocol.implements` decorator):

``stochastic_gradient(data, key, point, worker, job, out)``
    Write worker ``worker``'s stochastic gradient of its ``job``-th job, evaluated at
    ``point``, into ``out``. Its randomness must be a pure function of ``(key, worker,
    job)`` (draw it with :mod:`ringbench.engine.rng`), so that a job's gradient is the
    same whenever it is evaluated.
``metrics(data, x) -> (objective, grad_norm2)``
    The exact f(x) - f* when the problem knows f* (:attr:`Problem.f_star`), else
    f(x); and ||grad f(x)||^2 of the global objective.

Kernels cannot allocate: workspaces are arrays in the data, which :meth:`data`
allocates afresh for each run (runs may share a problem across threads).

The constants L, sigma^2 and f* are optional: theory mode names the one it misses,
results record f(x) instead of f(x) - f* when f* is unknown, and the divergence guard
works from ||grad f(x0)||^2.
"""

from .. import _validate
from ..engine import protocol


class Problem:
    """Base class of the problems.

    Subclasses set :attr:`name`, :attr:`d`, :attr:`x0` and the constants they know,
    and provide :meth:`data` and :meth:`describe`.

    Attributes
    ----------
    name : str
        Label used in results and tables.
    d : int
        Dimension.
    x0 : ndarray of shape (d,)
        Starting point.
    L : float or None
        Smoothness constant of f, if known.
    sigma2 : float or None
        sigma^2, the variance of the stochastic gradient (at x0 where it varies), if known.
    f_star : float or None
        The optimal value f* (or the value at a stationary point, for nonconvex f), if known.
    extra_metric : str or None
        Name of the third checkpoint metric its ``extra_metric`` kernel returns
        (e.g. ``'accuracy'``; see :mod:`ringbench.engine.protocol`), or None.
    n_workers : int or None
        Workers the data is split over (each samples only its own part), or None when
        every worker samples the same objective.
    factor_size : int
        Numbers in a stochastic gradient's factored form, when the problem registers the
        optional ``factor_gradient`` and ``descend_factored`` kernels
        (:mod:`ringbench.engine.protocol`); 0 (the default) when it has none.
    """

    L = None
    sigma2 = None
    f_star = None
    n_workers = None
    extra_metric = None
    factor_size = 0

    def data(self):
        """A fresh namedtuple of the arrays the jitted kernels use (new workspaces each call)."""
        raise NotImplementedError(f"{type(self).__name__} must define data(): the NamedTuple its kernels read")

    def describe(self):
        """JSON-ready description, with a checksum of the data."""
        raise NotImplementedError(f"{type(self).__name__} must define describe(): a JSON-ready dict of its "
                                  "parameters (results record it)")

    def metrics(self, x):
        """``(objective, ||grad f(x)||^2)`` at ``x`` from the compiled metrics kernel (see the module docstring)."""
        objective, grad_norm2 = protocol.metrics(self.data(), _validate.array("x", x, length=self.d))
        return float(objective), float(grad_norm2)

    def initial_gap(self):
        """Delta = f(x^0) - f*, or None when f* is unknown."""
        return self.metrics(self.x0)[0] if self.f_star is not None else None

    def require(self, *constants, purpose):
        """Raise a ValueError naming the first of ``constants`` ('L', 'sigma2', 'f_star') this problem lacks."""
        for constant in constants:
            if getattr(self, constant) is None:
                raise ValueError(f"{purpose} needs the problem's {constant}, which {self.name!r} does not know; "
                                 f"give the parameters explicitly instead")
