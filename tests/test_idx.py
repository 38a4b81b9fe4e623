"""The IDX reader (ringbench.idx) on the shared 5000-image MNIST subset and on malformed files, and normalisation."""

import gzip
import hashlib
import os
import pathlib
import struct

import numpy as np
import pytest

from ringbench import idx

# Where conftest.py points $RINGBENCH_DATA (../shared/data next to the repository), or the user did.
SHARED = pathlib.Path(os.environ.get("RINGBENCH_DATA") or pathlib.Path(__file__).resolve().parents[2] / "shared/data")
IMAGES = SHARED / "mnist5k-images-idx3-ubyte.gz"
LABELS = SHARED / "mnist5k-labels-idx1-ubyte.gz"
# From ../shared/data/README.md.
IMAGES_SHA256 = "48e13f85a421673a98f8683b95f79e04dfb31dd4454840908b4c2ae71cb1b29a"
LABELS_SHA256 = "b87ffd33979c6c37d1d57891359eb8be61e061ddda9156bfdc82c06710f1abcc"


@pytest.fixture(scope="module")
def shared():
    if not (IMAGES.is_file() and LABELS.is_file()):
        pytest.skip(f"the 5000-image MNIST subset is not in {SHARED} (the development machine's shared data)")
    return IMAGES, LABELS


def idx_bytes(array, magic=None):
    """An IDX file of unsigned bytes holding ``array``, written independently of the reader."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write(tmp_path, name, content, compress=None):
    file = tmp_path / name
    file.write_bytes(gzip.compress(content) if (name.endswith(".gz") if compress is None else compress) else content)
    return file


IMAGE_STACK = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
LABEL_VALUES = np.array([7, 0, 9])


# ---------------------------------------------------------------- the shared subset


def test_shared_subset_checksums_shapes_and_label_counts(shared):
    images_file, labels_file = shared
    assert hashlib.sha256(images_file.read_bytes()).hexdigest() == IMAGES_SHA256
    assert hashlib.sha256(labels_file.read_bytes()).hexdigest() == LABELS_SHA256
    images = idx.read_images(images_file, shape=(28, 28))
    labels = idx.read_labels(labels_file, n_classes=10)
    assert images.dtype == np.uint8 and images.shape == (5000, 28, 28)
    assert labels.dtype == np.uint8 and labels.shape == (5000,)
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 500))
    assert np.all(np.diff(labels.astype(int)) >= 0)  # stored sorted by label
    assert images.min() == 0 and images.max() == 255
    # An independent reading: skip the 16-byte header of the decompressed file.
    raw = np.frombuffer(gzip.decompress(images_file.read_bytes()), dtype=np.uint8, offset=16)
    np.testing.assert_array_equal(images.reshape(-1), raw)


def test_shared_subset_uncompressed_reads_the_same(shared, tmp_path):
    images_file, labels_file = shared
    raw_images = write(tmp_path, "images-idx3-ubyte", gzip.decompress(images_file.read_bytes()))
    raw_labels = write(tmp_path, "labels-idx1-ubyte", gzip.decompress(labels_file.read_bytes()))
    np.testing.assert_array_equal(idx.read_images(raw_images), idx.read_images(images_file))
    np.testing.assert_array_equal(idx.read_labels(raw_labels), idx.read_labels(labels_file))
    # bytes in, too (with a name for messages)
    np.testing.assert_array_equal(idx.read_labels(labels_file.read_bytes(), name=labels_file.name),
                                  idx.read_labels(labels_file))


def test_shared_subset_load_pair_normalises_and_flattens(shared):
    X, y = idx.load_pair(*shared, normalisation=idx.MNIST_NORMALISATION)
    assert X.dtype == np.float64 and X.shape == (5000, 784) and X.flags.c_contiguous
    assert y.dtype == np.int64 and y.shape == (5000,)
    pixels = idx.read_images(shared[0]).reshape(5000, 784)
    np.testing.assert_allclose(X, (pixels / 255.0 - 0.1307) / 0.3081, rtol=0, atol=1e-12)
    # MNIST's constants make the subset roughly standardised.
    assert abs(X.mean()) < 0.05 and abs(X.std() - 1.0) < 0.05


# ---------------------------------------------------------------- normalisation


def test_normalisation_constants_are_the_papers():
    assert idx.MNIST_NORMALISATION == (0.1307, 0.3081)
    assert idx.FASHION_MNIST_NORMALISATION == (0.2860, 0.3530)


def test_normalise_maps_0_and_255_and_flattens():
    images = np.array([[[0, 255], [51, 0]]], dtype=np.uint8)
    for mean, std in (idx.MNIST_NORMALISATION, idx.FASHION_MNIST_NORMALISATION):
        X = idx.normalise(images, mean, std)
        assert X.shape == (1, 4) and X.dtype == np.float64
        np.testing.assert_allclose(X[0], [(0 - mean) / std, (1 - mean) / std, (0.2 - mean) / std, -mean / std],
                                   rtol=1e-15)


@pytest.mark.parametrize("images, std, match", [
    (np.zeros((1, 2, 2)), 0.3, "uint8"), (np.zeros((1, 2, 2), np.uint8), 0.0, "std")])
def test_normalise_rejects_non_pixels_and_bad_std(images, std, match):
    with pytest.raises(ValueError, match=match):
        idx.normalise(images, 0.1, std)


# ---------------------------------------------------------------- small well-formed files


@pytest.mark.parametrize("name", ["images-idx3-ubyte.gz", "images-idx3-ubyte"])
def test_round_trip_gzip_and_raw(tmp_path, name):
    file = write(tmp_path, name, idx_bytes(IMAGE_STACK))
    np.testing.assert_array_equal(idx.read_images(file, shape=(28, 28)), IMAGE_STACK)
    labels = write(tmp_path, "labels" + name[6:].replace("idx3", "idx1"), idx_bytes(LABEL_VALUES))
    X, y = idx.load_pair(file, labels, normalisation=(0.5, 0.25))
    np.testing.assert_allclose(X, (IMAGE_STACK.reshape(3, 784) / 255 - 0.5) / 0.25)
    np.testing.assert_array_equal(y, LABEL_VALUES)


def test_gzip_content_without_gz_name_is_accepted(tmp_path):
    file = write(tmp_path, "labels-idx1-ubyte", idx_bytes(LABEL_VALUES), compress=True)
    np.testing.assert_array_equal(idx.read_labels(file), LABEL_VALUES)


def test_read_idx_returns_the_header_shape():
    content = idx_bytes(np.arange(24).reshape(2, 3, 4))
    assert idx.read_idx(content).shape == (2, 3, 4)
    assert idx.read_idx(idx_bytes(np.zeros(0))).shape == (0,)


# ---------------------------------------------------------------- malformed files: each error names the file


def check_error(tmp_path, name, content, reader, match, compress=None):
    file = write(tmp_path, name, content, compress=compress)
    with pytest.raises(ValueError, match=match) as error:
        reader(file)
    assert str(file) in str(error.value)


def test_wrong_magic(tmp_path):
    check_error(tmp_path, "x-images-idx3-ubyte.gz", idx_bytes(LABEL_VALUES), idx.read_images,
                r"wrong magic number 0x00000801 \(an IDX label file\); expected 0x00000803 \(an IDX image file\)")
    check_error(tmp_path, "x-labels-idx1-ubyte.gz", idx_bytes(IMAGE_STACK), idx.read_labels,
                r"wrong magic number 0x00000803 .*expected 0x00000801")
    check_error(tmp_path, "junk-idx1-ubyte", b"PK\x03\x04" + bytes(20), idx.read_labels,
                r"wrong magic number 0x504b0304")
    check_error(tmp_path, "junk.idx", b"\x01\x00\x08\x01" + bytes(8), idx.read_idx, "does not start with two zero")


def test_unsupported_element_type(tmp_path):
    check_error(tmp_path, "floats-idx1", struct.pack(">II", 0x00000D01, 1) + bytes(4), idx.read_idx,
                r"element type 0x0d is not supported")


@pytest.mark.parametrize("content, match", [
    (b"\x00\x00", r"truncated IDX header: 2 bytes"),
    (struct.pack(">II", 0x00000803, 5), r"truncated IDX header: 3 dimensions need 16 bytes, the file has 8"),
])
def test_truncated_header(tmp_path, content, match):
    check_error(tmp_path, "short-idx3-ubyte.gz", content, idx.read_idx, match)


def test_truncated_data(tmp_path):
    content = idx_bytes(IMAGE_STACK)[:-100]
    check_error(tmp_path, "cut-idx3-ubyte.gz", content, idx.read_images,
                r"truncated data: the header declares 3 x 28 x 28 = 2352 bytes, but only 2252 follow it")


def test_extra_data_is_a_dimension_mismatch(tmp_path):
    # The header says 2 images but 3 follow.
    content = struct.pack(">IIII", 0x00000803, 2, 28, 28) + IMAGE_STACK.astype(np.uint8).tobytes()
    check_error(tmp_path, "long-idx3-ubyte.gz", content, idx.read_images,
                r"dimension mismatch: the header declares 2 x 28 x 28 = 1568 bytes, but 2352 follow it")


def test_wrong_image_size_is_a_dimension_mismatch(tmp_path):
    content = idx_bytes(np.zeros((2, 32, 32)))
    check_error(tmp_path, "big-idx3-ubyte.gz", content, lambda file: idx.read_images(file, shape=(28, 28)),
                r"dimension mismatch: the images are 32 x 32 pixels, expected 28 x 28")


def test_labels_out_of_range(tmp_path):
    check_error(tmp_path, "labels-idx1-ubyte.gz", idx_bytes([1, 2, 10]),
                lambda file: idx.read_labels(file, n_classes=10), r"label 10 at position 2 is outside 0..9")


def test_image_and_label_counts_must_agree(tmp_path):
    images = write(tmp_path, "i-idx3-ubyte.gz", idx_bytes(IMAGE_STACK))
    labels = write(tmp_path, "l-idx1-ubyte.gz", idx_bytes(LABEL_VALUES[:2]))
    with pytest.raises(ValueError, match=r"holds 3 images but .* holds 2 labels") as error:
        idx.load_pair(images, labels, normalisation=idx.MNIST_NORMALISATION)
    assert str(images) in str(error.value) and str(labels) in str(error.value)


def test_gz_name_without_gzip_content(tmp_path):
    check_error(tmp_path, "raw-idx1-ubyte.gz", idx_bytes(LABEL_VALUES), idx.read_labels,
                r"not gzip-compressed, although its name ends in .gz; it looks like an uncompressed IDX file",
                compress=False)
    check_error(tmp_path, "text.gz", b"hello", idx.read_idx, r"not gzip-compressed", compress=False)


@pytest.mark.parametrize("cut", [10, -12])
def test_corrupt_or_truncated_gzip(tmp_path, cut):
    content = gzip.compress(idx_bytes(IMAGE_STACK))
    check_error(tmp_path, "bad-idx3-ubyte.gz", content[:cut], idx.read_images, r"corrupt or truncated gzip data",
                compress=False)


def test_source_must_be_a_path_or_bytes():
    with pytest.raises(ValueError, match="path or bytes"):
        idx.read_idx(3)
