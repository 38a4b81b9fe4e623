"""Binary classification data: a LIBSVM reader, a registry of real datasets and a synthetic generator.

The LIBSVM text format
----------------------
One sample per line::

    <label> <index>:<value> <index>:<value> ...   # optional comment

- ``label`` is a number; a file's labels must all be in {0, 1} or all in {-1, +1}
  (``+1`` is accepted). Both are mapped to -1/+1; any other label set is rejected.
- ``index`` is a 1-based feature index (a positive integer); ``value`` a finite real.
  Features a line does not list are zero. Pairs may come in any order on a line,
  but an index may appear only once per line.
- Tokens are separated by spaces or tabs; trailing whitespace is ignored, as is
  everything from ``#`` to the end of the line. Empty lines and comment-only lines
  are skipped (line numbers in error messages still count them). A line with a label
  and no features is a sample whose features are all zero.
- Numbers are read by Python's ``int`` (indices) and ``float`` (labels, values).

The ``qid:`` field of the SVMlight ranking format and zero-based indices are not
supported: both are reported as errors rather than guessed at.

Datasets are looked up in the ``path`` given to :func:`load`, then in the
directory named by ``$RINGBENCH_DATA``, then in ``data/`` under the current working
directory; every file is checked against its registered SHA-256.
"""

import dataclasses
import hashlib
import io
import os
import pathlib

import numpy as np
import scipy.sparse

from . import _validate

__all__ = ["DATASETS", "Dataset", "LoadedDataset", "load", "read_libsvm", "synthetic"]

_SOURCE_PAGE = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary.html"
_SOURCE_FILES = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"
ENV_VAR = "RINGBENCH_DATA"


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A registered dataset: where it comes from and the exact copy ringbench checks against.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"a9a"``.
    filename : str
        File name looked for in each search directory.
    n_samples, n_features : int
        Shape of the feature matrix of the checked copy.
    sha256 : str
        SHA-256 of the checked copy's bytes.
    url : str
        Official download address of the file.
    description : str
        What the data is.
    note : str
        How the checked copy differs from the official file, if it does.
    """

    name: str
    filename: str
    n_samples: int
    n_features: int
    sha256: str
    url: str
    description: str
    note: str = ""


DATASETS = {
    "a9a": Dataset(
        name="a9a",
        filename="a9a",
        n_samples=32560,
        n_features=123,
        sha256="ef89967ad487b189379ef13ff752b69bf3487c07ff50f821c800aa983b6ae819",
        url=_SOURCE_FILES + "a9a",
        description="UCI Adult census income (income > 50K), 123 binary features; LIBSVM binary collection",
        note=("The checked copy has 32560 samples with labels 0/1; the official file has 32561 samples "
              "with labels -1/+1, so its checksum differs."),
    ),
    "w8a": Dataset(
        name="w8a",
        filename="w8a",
        n_samples=49749,
        n_features=300,
        sha256="b464b4f6ce6a5d9e181ffc793e19a04751036273722312398ef7673705014902",
        url=_SOURCE_FILES + "w8a",
        description="Platt's web page classification set, 300 binary features; LIBSVM binary collection",
    ),
}


@dataclasses.dataclass(frozen=True, eq=False)
class LoadedDataset:
    """A dataset read from disk by :func:`load`.

    Attributes
    ----------
    name : str
        Registry key.
    X : scipy.sparse.csr_array of shape (n_samples, n_features)
        float64 values, int64 ``indices`` and ``indptr``, sorted indices.
    y : ndarray of shape (n_samples,)
        float64 labels in {-1, +1}.
    sha256 : str
        SHA-256 of the file that was read (a cache key for derived quantities).
    path : pathlib.Path
        Where the file was found.
    """

    name: str
    X: scipy.sparse.csr_array
    y: np.ndarray
    sha256: str
    path: pathlib.Path

    @property
    def shape(self):
        """(n_samples, n_features)."""
        return self.X.shape


def read_libsvm(source, n_features=None):
    """Read a binary classification file in LIBSVM text format (see the module docstring).

    Parameters
    ----------
    source : str, os.PathLike or file object
        A path, or an open file in text or binary mode (UTF-8).
    n_features : int, optional
        Number of columns of ``X``. By default the largest index in the file; give it
        to pad to a known width (e.g. a test split missing the last features).

    Returns
    -------
    X : scipy.sparse.csr_array of shape (n_samples, n_features)
        float64 values and int64 ``indices``/``indptr``, indices sorted within each row.
        Entries are stored as written, explicit zeros included.
    y : ndarray of shape (n_samples,)
        float64 labels in {-1, +1}: 0/1 labels are mapped 0 -> -1, 1 -> +1.

    Raises
    ------
    ValueError
        For a malformed line (with its 1-based line number and text), an index < 1,
        a repeated index on one line, a non-finite value, an index above
        ``n_features``, labels outside {0, 1} and {-1, +1}, or a file without samples.
    """
    if n_features is not None:
        n_features = _validate.integer("n_features", n_features, minimum=1)
    text = _read_text(source)

    labels, row_lengths, line_numbers, indices, values = [], [], [], [], []
    for line_number, line in enumerate(text.split("\n"), start=1):
        tokens = line.partition("#")[0].split()
        if not tokens:
            continue
        try:
            label = float(tokens[0])
            for token in tokens[1:]:
                index, _, value = token.partition(":")
                indices.append(int(index))
                values.append(float(value))
        except ValueError:
            raise ValueError(_malformed_line_message(line_number, line, tokens)) from None
        labels.append(label)
        row_lengths.append(len(tokens) - 1)
        line_numbers.append(line_number)
    if not labels:
        raise ValueError("the LIBSVM source contains no samples (only empty or comment lines)")

    line_numbers = np.asarray(line_numbers, dtype=np.int64)
    y = _labels_to_signs(np.asarray(labels, dtype=np.float64), line_numbers)
    indptr = np.zeros(len(row_lengths) + 1, dtype=np.int64)
    np.cumsum(row_lengths, out=indptr[1:])
    columns = np.asarray(indices, dtype=np.int64) - 1
    data = np.asarray(values, dtype=np.float64)
    n_features = _check_entries(columns, data, indptr, line_numbers, n_features)
    columns, data = _sort_rows(columns, data, indptr, line_numbers)

    X = scipy.sparse.csr_array((data, columns, indptr), shape=(len(labels), n_features))
    # scipy may pick int32 index arrays for small matrices; the problem kernels are compiled for int64.
    X.indices = X.indices.astype(np.int64, copy=False)
    X.indptr = X.indptr.astype(np.int64, copy=False)
    return X, y


def _read_text(source):
    if isinstance(source, (str, os.PathLike)):
        content = pathlib.Path(source).read_bytes()
    elif hasattr(source, "read"):
        content = source.read()
    else:
        raise ValueError(f"source must be a path or an open file, got {type(source).__name__}")
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"the LIBSVM source is not UTF-8 text ({error})") from None
    return content


def _malformed_line_message(line_number, line, tokens):
    """Name the first token of a line that does not parse."""
    if not _parses(tokens[0]):
        problem = f"label {tokens[0]!r} is not a number"
    else:
        token = next(token for token in tokens[1:] if not _parses(token, feature=True))
        problem = f"feature {token!r} is not index:value (an integer, a colon, a real number)"
    return f"line {line_number}: {problem}: {line.strip()!r}"


def _parses(token, feature=False):
    try:
        if feature:
            index, _, value = token.partition(":")
            int(index)
            float(value)
        else:
            float(token)
    except ValueError:
        return False
    return True


def _labels_to_signs(labels, line_numbers):
    """Map labels in {0, 1} or {-1, +1} to -1/+1, or say which labels were found."""
    found = np.unique(labels)
    if np.isin(found, (0.0, 1.0)).all() or np.isin(found, (-1.0, 1.0)).all():
        return np.where(labels == 1.0, 1.0, -1.0)
    shown = ", ".join(f"{label:g}" for label in found[:10]) + (", ..." if found.size > 10 else "")
    convention = (-1.0, 1.0) if found.min() < 0 else (0.0, 1.0)  # the one the file seems to follow
    first = int(np.argmax(~np.isin(labels, convention)))
    raise ValueError(f"labels must be all 0/1 or all -1/+1 for binary classification; found {found.size} "
                     f"distinct labels: {shown} (e.g. {labels[first]:g} on line {line_numbers[first]})")


def _line_of_entry(entry, indptr, line_numbers):
    return int(line_numbers[np.searchsorted(indptr, entry, side="right") - 1])


def _check_entries(columns, data, indptr, line_numbers, n_features):
    """Check indices and values; return the number of columns (``n_features`` or the largest index)."""
    if columns.size == 0:
        return 0 if n_features is None else n_features
    if columns.min() < 0:
        entry = int(np.argmax(columns < 0))
        raise ValueError(f"line {_line_of_entry(entry, indptr, line_numbers)}: feature index "
                         f"{columns[entry] + 1} is not allowed; LIBSVM indices start at 1")
    if not np.isfinite(data).all():
        entry = int(np.argmax(~np.isfinite(data)))
        raise ValueError(f"line {_line_of_entry(entry, indptr, line_numbers)}: feature {columns[entry] + 1} "
                         f"has the non-finite value {data[entry]}")
    largest = int(columns.max()) + 1
    if n_features is None:
        return largest
    if largest > n_features:
        entry = int(np.argmax(columns >= n_features))
        raise ValueError(f"line {_line_of_entry(entry, indptr, line_numbers)}: feature index {columns[entry] + 1} "
                         f"exceeds n_features = {n_features}")
    return n_features


def _sort_rows(columns, data, indptr, line_numbers):
    """Sort indices within each row (files may list them in any order); reject repeats."""
    rows = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    same_row = rows[1:] == rows[:-1]
    if not np.any(same_row & (columns[1:] <= columns[:-1])):
        return columns, data
    order = np.lexsort((columns, rows))
    columns, data = columns[order], data[order]
    repeated = same_row & (columns[1:] == columns[:-1])
    if repeated.any():
        entry = int(np.argmax(repeated))
        raise ValueError(f"line {line_numbers[rows[entry]]}: feature index {columns[entry] + 1} "
                         "appears more than once")
    return columns, data


# (resolved path, sha256, n_features) -> (X, y): repeated loads of one file (tests, sweeps) skip the parse.
# Keyed by checksum so an edited file is parsed again; callers get copies so they cannot corrupt it.
_PARSED = {}


def load(name, path=None, *, verify=True):
    """Load a registered dataset (``DATASETS``) from the first place that has its file.

    Places, in order: ``path`` (a file, or a directory holding ``Dataset.filename``),
    the directory named by the environment variable ``$RINGBENCH_DATA``, and ``data/``
    under the current working directory.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``: ``"a9a"`` or ``"w8a"``.
    path : str or os.PathLike, optional
        A file or a directory to look in first.
    verify : bool, default True
        Require the file's SHA-256 to be the registered one. With ``False`` any file of
        that name is read (e.g. the official a9a, which differs from the checked copy).

    Returns
    -------
    LoadedDataset
        ``X``, ``y``, ``name``, ``sha256`` (of the file actually read), ``path`` and ``shape``.
        The arrays are fresh copies; parsing happens once per file content and process.

    Raises
    ------
    ValueError
        For an unknown name, a non-boolean ``verify`` or, with ``verify``, a checksum mismatch.
    FileNotFoundError
        If no place has the file; the message lists every place looked and the download address.
    """
    dataset = DATASETS[_validate.choice("dataset", name, tuple(DATASETS))]
    if not isinstance(verify, bool):
        raise ValueError(f"verify must be True or False, got {verify!r}")
    found = _find(dataset, path)
    content = found.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    if verify and digest != dataset.sha256:
        raise ValueError(f"{found} has SHA-256 {digest}, but ringbench expects {dataset.sha256} for "
                         f"{dataset.name} ({dataset.n_samples} samples x {dataset.n_features} features). "
                         f"{dataset.note + ' ' if dataset.note else ''}"
                         "Pass verify=False to load this file anyway.")
    key = (str(found.resolve()), digest, dataset.n_features)
    if key not in _PARSED:
        _PARSED[key] = read_libsvm(io.BytesIO(content), n_features=dataset.n_features)
    X, y = _PARSED[key]
    return LoadedDataset(name=dataset.name, X=X.copy(), y=y.copy(), sha256=digest, path=found)


def _find(dataset, path):
    """Return the first existing candidate file, or raise listing every place looked."""
    looked = []  # (candidate file, or None if the place is not configured; where it comes from)
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise ValueError(f"path must be a file or directory path, got {type(path).__name__}")
        given = pathlib.Path(path).expanduser()
        looked.append((given / dataset.filename if given.is_dir() else given, "the path argument"))
    directory = os.environ.get(ENV_VAR)
    looked.append((pathlib.Path(directory).expanduser() / dataset.filename if directory else None, f"${ENV_VAR}"))
    looked.append((pathlib.Path.cwd() / "data" / dataset.filename, "data/ in the current directory"))
    for candidate, _ in looked:
        if candidate is not None and candidate.is_file():
            return candidate
    places = "\n".join(f"  - {origin} is not set" if candidate is None else f"  - {candidate} ({origin})"
                       for candidate, origin in looked)
    note = f"\nNote: {dataset.note} Load such a file with verify=False." if dataset.note else ""
    raise FileNotFoundError(
        f"dataset {dataset.name!r} (file {dataset.filename!r}) was not found. Looked in:\n{places}\n"
        f"Download it from {dataset.url} (listed at {_SOURCE_PAGE}) and put it in one of these places, "
        f"pass its location as path=, or set ${ENV_VAR} to the directory that holds it.{note}")


def synthetic(n_samples, n_features, *, density=1.0, separability=1.0, sparse=False, seed=0):
    """Random binary classification data with labels from a random hyperplane, for tests and benchmarks.

    Structure: exactly ``round(density * n_samples * n_features)`` entries are drawn
    uniformly without replacement; then every row left empty gets one entry in a
    uniformly drawn column, so no sample is all zeros (the realised density can
    therefore exceed ``density`` when ``density * n_features < 1``). Values are i.i.d.
    N(0, 1). Labels: w ~ N(0, I) and ``y_i = sign(x_i . w)`` (+1 at 0), each flipped
    independently with probability ``(1 - separability) / 2``.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of ``X``, both >= 1.
    density : float, default 1.0
        Fraction of nonzero entries, in (0, 1].
    separability : float, default 1.0
        In [0, 1]. 1: the labels are linearly separable (by a hyperplane through 0);
        0: the labels are fair coin flips independent of ``X``; in between, a
        fraction of about ``(1 - separability) / 2`` of the labels disagree with the hyperplane.
    sparse : bool, default False
        Return ``X`` as a ``scipy.sparse.csr_array`` (int64 indices) instead of a dense
        C-contiguous array. The same seed gives the same matrix either way.
    seed : int, default 0
        Non-negative; the structure, values, hyperplane and label flips come from
        independent streams spawned from ``numpy.random.SeedSequence(seed)``.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_array of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), float64 in {-1, +1}
    """
    n_samples = _validate.integer("n_samples", n_samples, minimum=1)
    n_features = _validate.integer("n_features", n_features, minimum=1)
    density = _validate.real("density", density, positive=True)
    if density > 1:
        raise ValueError(f"density must be in (0, 1], got {density}")
    separability = _validate.real("separability", separability, minimum=0.0)
    if separability > 1:
        raise ValueError(f"separability must be in [0, 1], got {separability}")
    if not isinstance(sparse, bool):
        raise ValueError(f"sparse must be True or False, got {sparse!r}")
    seed = _validate.integer("seed", seed, minimum=0)
    structure_rng, value_rng, hyperplane_rng, flip_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(4))

    size = n_samples * n_features
    n_entries = round(density * size)
    if n_entries == size:
        positions = None  # every entry: no positions to draw, and a dense X needs no scatter
        rows_filled = np.full(n_samples, n_features)
    else:
        positions = np.sort(structure_rng.choice(size, size=n_entries, replace=False, shuffle=False))
        rows_filled = np.bincount(positions // n_features, minlength=n_samples)
        empty_rows = np.flatnonzero(rows_filled == 0)
        if empty_rows.size:
            extra = empty_rows * n_features + structure_rng.integers(n_features, size=empty_rows.size)
            # Two sorted runs: the stable sort (timsort for int64) merges them in linear time.
            positions = np.sort(np.concatenate([positions, extra]), kind="stable")
            rows_filled[empty_rows] = 1
        rows, columns = np.divmod(positions, n_features)
    values = value_rng.standard_normal(size if positions is None else positions.size)

    if sparse:
        indptr = np.zeros(n_samples + 1, dtype=np.int64)
        np.cumsum(rows_filled, out=indptr[1:])
        if positions is None:
            columns = np.tile(np.arange(n_features), n_samples)
        X = scipy.sparse.csr_array((values, columns, indptr), shape=(n_samples, n_features))
        X.indices = X.indices.astype(np.int64, copy=False)
        X.indptr = X.indptr.astype(np.int64, copy=False)
    elif positions is None:
        X = values.reshape(n_samples, n_features)
    else:
        X = np.zeros(size)
        X[positions] = values
        X = X.reshape(n_samples, n_features)

    # Margins from the drawn entries with numpy's own loops, not BLAS or the storage's product, so the
    # labels are bit-identical for dense and sparse output and do not depend on BLAS threading.
    hyperplane = hyperplane_rng.standard_normal(n_features)
    if positions is None:
        margins = np.einsum("ij,j->i", values.reshape(n_samples, n_features), hyperplane)
    else:
        margins = np.bincount(rows, weights=values * hyperplane[columns], minlength=n_samples)
    y = np.where(margins >= 0, 1.0, -1.0)
    y[flip_rng.random(n_samples) < (1.0 - separability) / 2] *= -1.0
    return X, y
