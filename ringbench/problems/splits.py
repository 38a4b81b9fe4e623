"""Splitting a dataset's samples across workers (per-worker data, Ringleader's setting).

Each split function returns n arrays of sample indices, one per worker, that use every
sample exactly once; worker sizes differ by at most one. All are deterministic given
their arguments and work for any number of classes (binary labels, MNIST's ten digits).
Pass the result as ``Logistic(..., partition=...)``.

The Ringleader experiments' preprocessing (``algorithms.md`` E.2) is :func:`trim` to a
multiple of n with seed :data:`TRIM_SEED`, then :func:`dirichlet` on the kept samples with
seed :data:`DIRICHLET_SEED`::

    kept = splits.trim(labels, n, seed=splits.TRIM_SEED)
    parts = [kept[part] for part in splits.dirichlet(labels[kept], n, 0.1, seed=splits.DIRICHLET_SEED)]
"""

import dataclasses

import numpy as np

from .. import _validate

SPLITS = ("iid", "label-sorted", "dirichlet")

#: Seeds of the Ringleader experiments' class-proportional trim and Dirichlet partition (``algorithms.md`` E.2).
TRIM_SEED = 123456
DIRICHLET_SEED = 654321


def _sizes(n_samples, n_workers):
    if n_workers > n_samples:
        raise ValueError(f"n_workers must be <= the number of samples ({n_samples}), got {n_workers}")
    base, extra = divmod(n_samples, n_workers)
    return np.array([base + (worker < extra) for worker in range(n_workers)])


def _rng(seed):
    return np.random.default_rng(np.random.SeedSequence(_validate.integer("seed", seed, minimum=0)))


def _labels(labels):
    """``labels`` as a 1-d array (one label per sample)."""
    values = np.asarray(labels)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"labels must be a non-empty 1-dimensional array (one per sample), got shape {values.shape}")
    return values


def iid(labels, n_workers, *, seed=0):
    """A uniformly random split into equal parts."""
    n_workers = _validate.integer("n_workers", n_workers, minimum=1)
    order = _rng(seed).permutation(len(_labels(labels)))
    return np.split(order, np.cumsum(_sizes(len(labels), n_workers))[:-1])


def label_sorted(labels, n_workers):
    """Label skew: samples sorted by label (stably), then cut into equal consecutive parts."""
    n_workers = _validate.integer("n_workers", n_workers, minimum=1)
    order = np.argsort(_labels(labels), kind="stable")
    return np.split(order, np.cumsum(_sizes(len(labels), n_workers))[:-1])


def dirichlet(labels, n_workers, alpha, *, seed=0, classes=None):
    """Equal-size Dirichlet(alpha) label skew, as in the Ringleader experiments (``algorithms.md`` E.2).

    For each worker draw class proportions p ~ Dir(alpha 1) over the K classes, take
    round(p * size) samples of each class (rounding fixed so the counts add up to the
    worker's size), and top up from the classes with the most samples left when a class
    runs out. Small ``alpha`` gives each worker few classes. Any number of classes: K = 2
    for a9a, K = 10 for MNIST.

    ``classes`` fixes the K label values (default: those present, ``np.unique(labels)``),
    e.g. ``range(10)`` to draw p over all ten digits even if a small sample lacks one.
    """
    n_workers = _validate.integer("n_workers", n_workers, minimum=1)
    alpha = _validate.real("alpha", alpha, positive=True)
    rng = _rng(seed)
    labels = _labels(labels)
    classes = _classes(labels, classes)
    pools = [list(rng.permutation(np.flatnonzero(labels == value))) for value in classes]
    parts = []
    for size in _sizes(labels.size, n_workers):
        wanted = _rounded_counts(rng.dirichlet(np.full(classes.size, alpha)), size)
        taken = []
        for pool, count in zip(pools, wanted):
            taken.extend(pool[:count])
            del pool[:count]
        while len(taken) < size:  # some class ran out: top up from the fullest remaining ones
            fullest = max(range(len(pools)), key=lambda index: len(pools[index]))
            count = min(size - len(taken), len(pools[fullest]))
            taken.extend(pools[fullest][:count])
            del pools[fullest][:count]
        parts.append(np.sort(np.array(taken, dtype=np.int64)))
    return parts


def trim(labels, multiple, *, seed=0):
    """Drop samples so that a multiple of ``multiple`` remain, in proportion to the classes.

    Keeps ``M = multiple * (N // multiple)`` samples: class c keeps round(M N_c / N) of its
    N_c samples (largest remainders, ties to the smaller label, so the counts add up to M),
    chosen uniformly at random from the class. The Ringleader experiments trim to a multiple
    of n with seed :data:`TRIM_SEED` before their Dirichlet partition.

    Returns
    -------
    ndarray of int64
        The kept sample indices, sorted.
    """
    multiple = _validate.integer("multiple", multiple, minimum=1)
    labels = _labels(labels)
    if multiple > labels.size:
        raise ValueError(f"multiple must be <= the number of samples ({labels.size}), got {multiple}")
    rng = _rng(seed)
    classes, class_counts = np.unique(labels, return_counts=True)
    kept_total = labels.size - labels.size % multiple
    keep = _rounded_counts(class_counts / labels.size, kept_total)
    kept = [rng.choice(np.flatnonzero(labels == value), size=count, replace=False)
            for value, count in zip(classes, keep)]
    return np.sort(np.concatenate(kept).astype(np.int64))


def _classes(labels, classes):
    if classes is None:
        return np.unique(labels)
    classes = np.asarray(classes)
    if classes.ndim != 1 or classes.size == 0 or np.unique(classes).size != classes.size:
        raise ValueError(f"classes must be distinct label values, got {classes!r}")
    if not np.isin(labels, classes).all():
        stray = labels[~np.isin(labels, classes)][0]
        raise ValueError(f"label {stray} is not one of classes ({', '.join(map(str, classes))})")
    return classes


def _rounded_counts(proportions, size):
    """Nonnegative integers near ``proportions * size`` that add up to ``size`` (largest remainders)."""
    exact = proportions * size
    counts = np.floor(exact).astype(np.int64)
    remainders = np.argsort(-(exact - counts), kind="stable")
    counts[remainders[:size - counts.sum()]] += 1
    return counts


def split(kind, labels, n_workers, *, alpha=None, seed=None, classes=None):
    """Dispatch on ``kind``: ``iid`` (``seed``), ``label-sorted``, or ``dirichlet`` (``alpha``, ``seed``, ``classes``).

    An option the kind does not take is an error, not ignored. Defaults: ``alpha`` 0.1,
    ``seed`` 0.
    """
    _validate.choice("split", kind, SPLITS)
    given = {"alpha": alpha, "seed": seed, "classes": classes}
    # A configuration's keys (SPLIT_KEYS) besides the kind, and for a Dirichlet split the label values.
    takes = [key for key in SPLIT_KEYS[kind] if key != "kind"] + (["classes"] if kind == "dirichlet" else [])
    unused = [name for name, value in given.items() if value is not None and name not in takes]
    if unused:
        takes = ", ".join(takes) or "no options"
        raise ValueError(f"split {kind!r} takes no {' or '.join(unused)} (it takes {takes})")
    seed = 0 if seed is None else seed
    if kind == "iid":
        return iid(labels, n_workers, seed=seed)
    if kind == "label-sorted":
        return label_sorted(labels, n_workers)
    return dirichlet(labels, n_workers, 0.1 if alpha is None else alpha, seed=seed, classes=classes)


#: The keys each kind of split takes in a configuration (``alpha`` and ``seed`` only where they matter).
SPLIT_KEYS = {"iid": ("kind", "seed"), "label-sorted": ("kind",), "dirichlet": ("kind", "alpha", "seed")}


@dataclasses.dataclass(frozen=True)
class Split:
    """How to split a dataset's samples over the workers, as a configuration names it.

    Written ``"iid"``, ``"label-sorted"``, ``"dirichlet"`` or a table such as
    ``{kind = "dirichlet", alpha = 0.1, seed = 654321}``. A key that the kind does
    not use (``alpha`` for ``iid``, ``seed`` for ``label-sorted``) is an error, never
    ignored. Defaults: ``alpha`` = 0.1 and ``seed`` = :data:`DIRICHLET_SEED` for
    ``dirichlet`` (the Ringleader experiments'), ``seed`` = 0 for ``iid``.

    Attributes
    ----------
    kind : {'iid', 'label-sorted', 'dirichlet'}
    alpha : float or None
        Dirichlet concentration.
    seed : int or None
        Seed of the random split.
    """

    kind: str
    alpha: float = None
    seed: int = None

    @classmethod
    def from_config(cls, where, value):
        """The split a configuration value describes; errors name ``where`` and what is allowed."""
        if isinstance(value, cls):
            return value
        table = {"kind": value} if isinstance(value, str) else value
        if not isinstance(table, dict) or "kind" not in table:
            raise ValueError(f"{where} must be one of {', '.join(map(repr, SPLITS))} or a table with a kind, "
                             f"e.g. {{kind = \"dirichlet\", alpha = 0.1, seed = 654321}}; got {value!r}")
        kind = _validate.choice(f"{where}.kind", table["kind"], SPLITS)
        for key in table:
            if key not in SPLIT_KEYS[kind]:
                raise ValueError(f"{where}: a {kind} split has no key {key!r}; allowed: "
                                 + ", ".join(SPLIT_KEYS[kind]))
        alpha = seed = None
        if kind == "dirichlet":
            alpha = _validate.real(f"{where}.alpha", table.get("alpha", 0.1), positive=True)
        if "seed" in SPLIT_KEYS[kind]:
            default = DIRICHLET_SEED if kind == "dirichlet" else 0
            seed = _validate.integer(f"{where}.seed", table.get("seed", default), minimum=0)
        return cls(kind, alpha, seed)

    def to_config(self):
        """The JSON-ready table of this split (what a run's identity records)."""
        return {key: getattr(self, key) for key in SPLIT_KEYS[self.kind]}

    def parts(self, labels, n_workers, *, classes=None):
        """The n arrays of sample indices of this split of ``labels``."""
        return split(self.kind, labels, n_workers, alpha=self.alpha, seed=self.seed,
                     classes=classes if self.kind == "dirichlet" else None)

    def describe(self):
        """A short label, e.g. ``Dirichlet(0.1)``."""
        return f"Dirichlet({self.alpha:g})" if self.kind == "dirichlet" else self.kind
