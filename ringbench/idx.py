"""MNIST's IDX format: a reader for image and label files, raw or gzip-compressed, and the papers' normalisation.

The format
----------
MNIST (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``) and Fashion-MNIST,
which copies its layout, store one array per file::

    bytes 0-1   zero
    byte  2     element type; 0x08 = unsigned byte, the only type these sets use
    byte  3     number of dimensions k
    4k bytes    the k dimensions, big-endian unsigned 32-bit integers
    the rest    the elements in C order, exactly the product of the dimensions

So an image file starts with the magic number 0x00000803 (unsigned bytes, 3 dimensions:
count, rows, columns) and a label file with 0x00000801 (count). Files whose name ends in
``.gz`` must be gzip-compressed; others may be either (the gzip magic decides).

Every error is a ``ValueError`` that names the file: wrong magic, truncated header or data,
extra bytes after the data, a corrupt or truncated gzip stream, a ``.gz`` file that is not
gzip, images of an unexpected size, image and label counts that differ, labels out of range.
"""

import gzip
import math
import os
import pathlib
import zlib

import numpy as np

__all__ = ["FASHION_MNIST_NORMALISATION", "IMAGES_MAGIC", "LABELS_MAGIC", "MNIST_NORMALISATION", "load_pair",
           "normalise", "read_idx", "read_images", "read_labels"]

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
_UNSIGNED_BYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"
_WHAT = {IMAGES_MAGIC: "an IDX image file", LABELS_MAGIC: "an IDX label file"}

#: (mean, std) of the pixel values scaled to [0, 1], the constants of the Ringleader experiments
#: (``algorithms.md`` E.2; torchvision's usual ones).
MNIST_NORMALISATION = (0.1307, 0.3081)
FASHION_MNIST_NORMALISATION = (0.2860, 0.3530)


def read_idx(source, *, magic=None, name=None):
    """Read one IDX file of unsigned bytes.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        A path, or the file's bytes (then ``name`` names it in error messages).
    magic : int, optional
        Require this magic number, e.g. :data:`IMAGES_MAGIC`.
    name : str, optional
        The file's name for messages (default: the path). A name ending in ``.gz`` requires gzip.

    Returns
    -------
    ndarray of uint8, with the shape the header declares.
    """
    content, name = _content(source, name)
    data = _decompress(content, name)
    if len(data) < 4:
        raise ValueError(f"{name}: truncated IDX header: {len(data)} bytes, need at least 4 for the magic number")
    found = int.from_bytes(data[:4], "big")
    if magic is not None and found != magic:
        looks = f" ({_WHAT[found]})" if found in _WHAT else ""
        raise ValueError(f"{name}: wrong magic number 0x{found:08x}{looks}; expected 0x{magic:08x} "
                         f"({_WHAT.get(magic, 'an IDX file')})")
    if data[0] or data[1]:
        raise ValueError(f"{name}: not an IDX file: magic number 0x{found:08x} does not start with two zero bytes")
    if data[2] != _UNSIGNED_BYTE:
        raise ValueError(f"{name}: IDX element type 0x{data[2]:02x} is not supported; only unsigned bytes (0x08)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name}: truncated IDX header: {ndim} dimensions need {header} bytes, the file has "
                         f"{len(data)}")
    shape = tuple(int.from_bytes(data[4 + 4 * axis:8 + 4 * axis], "big") for axis in range(ndim))
    expected = math.prod(shape)  # Python ints: a product of uint32 dimensions can exceed int64
    body = len(data) - header
    dims = " x ".join(map(str, shape))
    if math.prod(size for size in shape if size) >= 2**63:  # numpy cannot shape even an empty array like that
        raise ValueError(f"{name}: the header declares {dims}, dimensions too large for an array")
    if body < expected:
        raise ValueError(f"{name}: truncated data: the header declares {dims} = {expected} bytes, "
                         f"but only {body} follow it")
    if body > expected:
        raise ValueError(f"{name}: dimension mismatch: the header declares {dims} = {expected} bytes, "
                         f"but {body} follow it")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_images(source, *, shape=None, name=None):
    """Read an IDX image file (magic 0x00000803) as uint8 of shape (count, rows, columns).

    ``shape``, e.g. ``(28, 28)``, requires that image size.
    """
    _, name = _content(source, name, read=False)
    images = read_idx(source, magic=IMAGES_MAGIC, name=name)
    if shape is not None and images.shape[1:] != tuple(shape):
        raise ValueError(f"{name}: dimension mismatch: the images are {images.shape[1]} x {images.shape[2]} "
                         f"pixels, expected {' x '.join(map(str, shape))}")
    return images


def read_labels(source, *, n_classes=None, name=None):
    """Read an IDX label file (magic 0x00000801) as uint8 of shape (count,).

    ``n_classes`` requires every label to be in ``0 .. n_classes - 1``.
    """
    _, name = _content(source, name, read=False)
    labels = read_idx(source, magic=LABELS_MAGIC, name=name)
    if n_classes is not None and labels.size and labels.max() >= n_classes:
        first = int(np.argmax(labels >= n_classes))
        raise ValueError(f"{name}: label {labels[first]} at position {first} is outside 0..{n_classes - 1}")
    return labels


def load_pair(images, labels, *, normalisation, shape=(28, 28), n_classes=10, names=(None, None)):
    """Read an image file and its label file; return normalised, flattened images and labels.

    Parameters
    ----------
    images, labels : str, os.PathLike or bytes
        The two IDX files (see :func:`read_idx`).
    normalisation : (mean, std)
        E.g. :data:`MNIST_NORMALISATION`; see :func:`normalise`.
    shape : (rows, columns)
        The required image size.
    n_classes : int
        Labels must be in ``0 .. n_classes - 1``.
    names : (str, str), optional
        File names for messages when passing bytes.

    Returns
    -------
    X : ndarray of float64, shape (count, rows * columns)
    y : ndarray of int64, shape (count,)
    """
    pixels = read_images(images, shape=shape, name=names[0])
    classes = read_labels(labels, n_classes=n_classes, name=names[1])
    if pixels.shape[0] != classes.shape[0]:
        image_name = _content(images, names[0], read=False)[1]
        label_name = _content(labels, names[1], read=False)[1]
        raise ValueError(f"{image_name} holds {pixels.shape[0]} images but {label_name} holds "
                         f"{classes.shape[0]} labels; they must be the same count")
    return normalise(pixels, *normalisation), classes.astype(np.int64)


def normalise(images, mean, std):
    """``(pixels / 255 - mean) / std`` as float64, one flattened row per image."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 pixel values, got dtype {images.dtype}")
    if not std > 0:
        raise ValueError(f"std must be > 0, got {std}")
    flat = images.reshape(images.shape[0], -1).astype(np.float64)
    flat /= 255.0
    flat -= mean
    flat /= std
    return flat


def _content(source, name, read=True):
    """``(bytes or None, name for messages)`` of a path or a bytes object."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return (bytes(source) if read else None), (name or "the IDX data")
    if isinstance(source, (str, os.PathLike)):
        path = pathlib.Path(source)
        return (path.read_bytes() if read else None), (name or str(path))
    raise ValueError(f"source must be a path or bytes, got {type(source).__name__}")


def _decompress(content, name):
    if content[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(content)
        except (EOFError, OSError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            raise ValueError(f"{name}: corrupt or truncated gzip data ({error})") from None
    if str(name).endswith(".gz"):
        looks = "; it looks like an uncompressed IDX file" if content[:2] == b"\0\0" else ""
        raise ValueError(f"{name}: not gzip-compressed, although its name ends in .gz{looks}")
    return content
