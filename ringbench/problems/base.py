"""What every problem offers the simulator and the theory."""


class Problem:
    """Base class of the problems.

    Subclasses set the attributes below and provide :meth:`data`, :meth:`gradient`
    and :meth:`describe`.

    Attributes
    ----------
    name : str
        Label used in results and tables.
    d : int
        Dimension.
    L : float
        Smoothness constant of f.
    sigma2 : float
        sigma^2, the variance of the stochastic gradient (at x0 where it varies).
    x0 : ndarray of shape (d,)
        Starting point.
    f_star : float
        The optimal value f* (or the value at a stationary point, for nonconvex f).
    n_workers : int or None
        Workers the data is split over (each samples only its own part), or None when
        every worker samples the same objective.
    """

    n_workers = None

    def data(self):
        """The :class:`ringbench.problems.kernels.ProblemData` the jitted engine uses."""
        raise NotImplementedError

    def gradient(self, x):
        """Exact gradient of the global objective f at ``x``."""
        raise NotImplementedError

    def describe(self):
        """JSON-ready description, with a checksum of the data."""
        raise NotImplementedError
