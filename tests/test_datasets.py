"""LIBSVM reader, dataset registry, lookup and verification, real-file facts, and the synthetic generator."""

import gzip
import hashlib
import io
import os
import pathlib
import shutil

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from ringbench import datasets
from ringbench.datasets import DATASETS, read_libsvm, synthetic
from ringbench.problems import splits

LIBSVM_SETS = ("a9a", "w8a")


def registered(name, which):
    """The registered variant ``which`` (``"official"``/``"shared"``) of ``name``'s only or first file."""
    return next(v for v in DATASETS[name].files[0].variants if v.name == which)


def read_text(text, **options):
    return read_libsvm(io.StringIO(text), **options)


def assert_canonical_csr(X):
    assert isinstance(X, scipy.sparse.csr_array)
    assert X.data.dtype == np.float64
    assert X.indices.dtype == np.int64 and X.indptr.dtype == np.int64
    assert X.has_canonical_format


# ---------------------------------------------------------------- reader


@pytest.mark.parametrize("text, expected", [
    ("0 1:1\n1 2:1\n", [-1.0, 1.0]),
    ("-1 1:1\n+1 2:1\n", [-1.0, 1.0]),
    ("-1 1:1\n1 2:1\n", [-1.0, 1.0]),
    ("1.0 1:1\n0.0 2:1\n", [1.0, -1.0]),
    ("1 1:1\n1 2:1\n", [1.0, 1.0]),
    ("0 1:1\n", [-1.0]),
    ("-1 1:1\n", [-1.0]),
])
def test_labels_01_and_pm1_map_to_signs(text, expected):
    _, y = read_text(text)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("text, shown", [
    ("1 1:1\n2 1:1\n", "1, 2"),
    ("-1 1:1\n0 1:1\n1 1:1\n", "-1, 0, 1"),
    ("0 1:1\n1 1:1\n3 1:1\n", "0, 1, 3"),
    ("0.5 1:1\n", "0.5"),
    ("nan 1:1\n", "nan"),
])
def test_other_label_sets_are_rejected_naming_the_labels(text, shown):
    with pytest.raises(ValueError, match=rf"labels must be all 0/1 or all -1/\+1.*labels: {shown}"):
        read_text(text)


def test_indices_are_one_based_and_values_kept():
    X, _ = read_text("1 1:2.5 3:-4e-1\n")
    np.testing.assert_array_equal(X.toarray(), [[2.5, 0.0, -0.4]])


def test_trailing_spaces_tabs_and_crlf():
    plain = read_text("1 1:1 2:3\n0 3:2\n")
    messy = read_text("1\t1:1  2:3   \r\n0 3:2\t \r\n")
    np.testing.assert_array_equal(messy[0].toarray(), plain[0].toarray())
    np.testing.assert_array_equal(messy[1], plain[1])


def test_a_label_without_features_is_an_all_zero_sample():
    X, y = read_text("1 2:1\n0\n-0 \n1 1:3\n")
    np.testing.assert_array_equal(X.toarray(), [[0, 1], [0, 0], [0, 0], [3, 0]])
    np.testing.assert_array_equal(X.indptr, [0, 1, 1, 1, 2])
    np.testing.assert_array_equal(y, [1, -1, -1, 1])


def test_comments_and_empty_lines_are_skipped():
    text = "# header\n\n1 1:1 # trailing comment 5:5\n   # indented comment\n0 2:1#glued\n\n\n"
    X, y = read_text(text)
    np.testing.assert_array_equal(X.toarray(), [[1, 0], [0, 1]])
    np.testing.assert_array_equal(y, [1, -1])


def test_final_newline_is_optional():
    with_newline, without = read_text("1 1:1\n0 2:1\n"), read_text("1 1:1\n0 2:1")
    np.testing.assert_array_equal(with_newline[0].toarray(), without[0].toarray())
    np.testing.assert_array_equal(with_newline[1], without[1])


def test_unsorted_indices_give_canonical_csr_with_values_following_indices():
    X, _ = read_text("1 5:5 2:2 9:9 1:1\n0 3:3\n1 4:4 2:2\n")
    assert_canonical_csr(X)
    np.testing.assert_array_equal(X.indices, [0, 1, 4, 8, 2, 1, 3])
    np.testing.assert_array_equal(X.data, [1, 2, 5, 9, 3, 2, 4])


# Each malformed line sits on line 4, after a comment, an empty line and a good line.
@pytest.mark.parametrize("bad, offending", [
    ("1 a:1", "a:1"),
    ("1 3", "'3'"),
    ("1 3:", "3:"),
    ("1 :2", ":2"),
    ("1 3:1:2", "3:1:2"),
    ("1 3:x", "3:x"),
    ("1 1.5:1", "1.5:1"),
    ("1 qid:3 1:1", "qid:3"),
    ("x 1:1", "label 'x'"),
    ("1:1 2:1", "label '1:1'"),
])
def test_malformed_line_names_its_line_number_and_text(bad, offending):
    with pytest.raises(ValueError, match="line 4: ") as error:
        read_text(f"# comment\n\n1 1:1\n{bad}\n0 2:1\n")
    assert offending in str(error.value)
    assert repr(bad) in str(error.value)


@pytest.mark.parametrize("bad, message", [
    ("1 0:1", "line 3: feature index 0 is not allowed"),
    ("1 -2:1", "line 3: feature index -2 is not allowed"),
    ("1 2:1 4:1 2:3", "line 3: feature index 2 appears more than once"),
    ("1 2:nan", "line 3: feature 2 has the non-finite value nan"),
    ("1 2:inf", "line 3: feature 2 has the non-finite value inf"),
])
def test_bad_entries_name_their_line(bad, message):
    with pytest.raises(ValueError, match=message):
        read_text(f"1 1:1\n0 3:1\n{bad}\n1 1:1\n")


def test_n_features_pads_and_bounds():
    X, _ = read_text("1 2:1\n0 1:1\n", n_features=5)
    assert X.shape == (2, 5)
    assert read_text("1 2:1\n")[0].shape == (1, 2)
    with pytest.raises(ValueError, match="line 2: feature index 4 exceeds n_features = 3"):
        read_text("1 2:1\n0 4:1\n", n_features=3)


@pytest.mark.parametrize("n_features", [0, -1, 2.5, "3", True])
def test_n_features_is_validated(n_features):
    with pytest.raises(ValueError, match=r"\bn_features\b"):
        read_text("1 1:1\n", n_features=n_features)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_no_samples_is_an_error(text):
    with pytest.raises(ValueError, match="no samples"):
        read_text(text)


def test_source_may_be_a_path_or_a_text_or_binary_file(tmp_path):
    text = "1 3:1 1:2\n0\n"
    file = tmp_path / "tiny.svm"
    file.write_text(text)
    results = [read_libsvm(file), read_libsvm(str(file)), read_libsvm(io.BytesIO(text.encode())),
               read_libsvm(io.StringIO(text))]
    for X, y in results[1:]:
        np.testing.assert_array_equal(X.toarray(), results[0][0].toarray())
        np.testing.assert_array_equal(y, results[0][1])


def test_bad_source_is_rejected():
    with pytest.raises(ValueError, match=r"\bsource\b"):
        read_libsvm(42)
    with pytest.raises(ValueError, match="not UTF-8"):
        read_libsvm(io.BytesIO(b"1 1:\xff\n"))


@st.composite
def libsvm_files(draw):
    """A random matrix and labels, and a LIBSVM text for them written with varied layout."""
    n_samples, n_features = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    mask = draw(st.lists(st.lists(st.booleans(), min_size=n_features, max_size=n_features),
                         min_size=n_samples, max_size=n_samples))
    values = st.floats(allow_nan=False, allow_infinity=False, width=64)
    dense = np.array([[draw(values) if keep else 0.0 for keep in row] for row in mask])
    zero_one = draw(st.booleans())
    y = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n_samples, max_size=n_samples)))
    separators = st.sampled_from([" ", "  ", "\t"])
    lines = []
    for row, keep, label in zip(dense, mask, y, strict=True):
        features = [f"{j + 1}:{float(row[j])!r}" for j in np.flatnonzero(keep)]
        features = draw(st.permutations(features))
        if zero_one:
            label_text = "1" if label > 0 else "0"
        else:
            label_text = draw(st.sampled_from(["+1", "1"])) if label > 0 else "-1"
        line = label_text + "".join(draw(separators) + feature for feature in features)
        line += draw(st.sampled_from(["", " ", "  # note", "#"]))
        lines.append(line)
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# comment", "  "])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"])), dense, y


@settings(max_examples=60, deadline=None)
@given(libsvm_files())
def test_random_files_round_trip(case):
    text, dense, y = case
    X, labels = read_text(text, n_features=dense.shape[1])
    assert_canonical_csr(X)
    np.testing.assert_array_equal(X.toarray(), dense)
    np.testing.assert_array_equal(labels, y)


# ---------------------------------------------------------------- registry and lookup


def write_fake(directory, n_rows, filename="a9a"):
    """A small LIBSVM file named like a registered dataset, with ``n_rows`` rows (checksum won't match)."""
    directory.mkdir(parents=True, exist_ok=True)
    file = directory / filename
    file.write_text("".join(f"{row % 2} {row % 5 + 1}:1\n" for row in range(n_rows)))
    return file


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No $RINGBENCH_DATA, an empty current directory and data cache, so only the places a test sets up exist."""
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    monkeypatch.setenv(datasets.CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_registry_entries():
    assert set(DATASETS) == {"a9a", "w8a", "mnist", "fashion-mnist", "mnist5k"}
    for name, dataset in DATASETS.items():
        assert dataset.name == name and dataset.files
        for file in dataset.files:
            assert file.variants and len({variant.name for variant in file.variants}) == len(file.variants)
            for variant in file.variants:
                assert variant.sha256 is None or (len(variant.sha256) == 64 and int(variant.sha256, 16) >= 0)
    for name in LIBSVM_SETS:
        dataset = DATASETS[name]
        assert dataset.format == "libsvm" and len(dataset.files) == 1
        assert dataset.url == f"https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/{dataset.filename}"
        # The LIBSVM site publishes no checksums: the official files are unverified variants.
        assert registered(name, "official").sha256 is None and registered(name, "shared").sha256 is not None
    assert (registered("a9a", "official").n_samples, registered("a9a", "shared").n_samples) == (32561, 32560)
    assert DATASETS["a9a"].n_features == 123
    assert registered("w8a", "shared").n_samples == 49749 and DATASETS["w8a"].n_features == 300
    for name, mean_std in (("mnist", (0.1307, 0.3081)), ("fashion-mnist", (0.2860, 0.3530)),
                           ("mnist5k", (0.1307, 0.3081))):
        dataset = DATASETS[name]
        assert dataset.format == "idx" and dataset.n_features == 784 and dataset.n_classes == 10
        assert dataset.normalisation == mean_std
        assert [file.filename.split("-")[-3] for file in dataset.files] == ["images", "labels"]
    # Published checksums and sizes (tensorflow/datasets url_checksums, pytorch/vision).
    mnist, fashion = DATASETS["mnist"].files, DATASETS["fashion-mnist"].files
    assert [(f.filename, f.variants[0].size, f.variants[0].sha256[:8]) for f in mnist] == [
        ("train-images-idx3-ubyte.gz", 9912422, "440fcabf"), ("train-labels-idx1-ubyte.gz", 28881, "3552534a")]
    assert [(f.variants[0].size, f.variants[0].sha256[:8]) for f in fashion] == [(26421880, "3aede38d"),
                                                                               (29515, "a04f1713")]
    assert mnist[0].url == "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz"
    assert fashion[1].url == "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz"
    assert DATASETS["mnist"].subdir == "mnist" and DATASETS["fashion-mnist"].subdir == "fashion-mnist"
    assert DATASETS["mnist5k"].url is None  # the development subset has no download address of its own


def test_shared_readme_checksums_are_registered():
    readme = SHARED / "README.md"
    if not readme.is_file():
        pytest.skip(f"{readme} is not available")
    text = readme.read_text()
    for name in ("a9a", "w8a", "mnist5k"):
        for file in DATASETS[name].files:
            shared = next(v for v in file.variants if v.name == "shared")
            assert shared.sha256 in text, (name, file.filename)


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown dataset 'covtype'; choose one of 'a9a', 'w8a', 'mnist', "
                                         r"'fashion-mnist', 'mnist5k'"):
        datasets.load("covtype")


@pytest.mark.parametrize("options, parameter", [(dict(verify="yes"), "verify"), (dict(path=3), "path")])
def test_load_arguments_are_validated(options, parameter):
    with pytest.raises(ValueError, match=rf"\b{parameter}\b"):
        datasets.load("a9a", **options)


def test_search_order_path_then_env_then_data_dir(isolated, monkeypatch):
    from_path = write_fake(isolated / "given", 1)
    from_env = write_fake(isolated / "env", 2)
    from_data_dir = write_fake(isolated / "data", 3)
    monkeypatch.setenv(datasets.ENV_VAR, str(isolated / "env"))
    for path, expected in [(from_path, from_path), (isolated / "given", from_path), (None, from_env)]:
        loaded = datasets.load("a9a", path=path, verify=False)
        assert (loaded.path, loaded.shape) == (expected, (int(expected.read_text().count("\n")), 123))
    with pytest.raises(ValueError, match="path 'nothing-here': no such file or directory"):  # no silent fallback
        datasets.load("a9a", path="nothing-here", verify=False)
    monkeypatch.delenv(datasets.ENV_VAR)
    loaded = datasets.load("a9a", verify=False)
    assert (loaded.path, loaded.shape[0]) == (from_data_dir, 3)


def test_missing_file_lists_every_place_and_the_download_address(isolated, monkeypatch):
    monkeypatch.setenv(datasets.ENV_VAR, str(isolated / "env"))
    with pytest.raises(FileNotFoundError) as error:  # tests run with $RINGBENCH_OFFLINE=1 (conftest.py)
        datasets.load("w8a")
    assert isinstance(error.value, datasets.DatasetNotFoundError) and isinstance(error.value, ValueError)
    message = str(error.value)
    for place in (isolated / "env" / "w8a", isolated / "data" / "w8a", isolated / "cache" / "w8a"):
        assert str(place) in message
    assert DATASETS["w8a"].url in message and "RINGBENCH_DATA" in message
    assert "$RINGBENCH_OFFLINE is set" in message and "ringbench.datasets.fetch('w8a')" in message

    monkeypatch.delenv(datasets.ENV_VAR)
    with pytest.raises(FileNotFoundError, match=r"\$RINGBENCH_DATA is not set") as error:
        datasets.load("a9a")
    assert str(isolated / "data" / "a9a") in str(error.value) and "32561" in str(error.value)


def test_checksum_mismatch_says_expected_and_found(isolated):
    fake = write_fake(isolated / "data", 4)
    with pytest.raises(datasets.ChecksumError, match="verify=False") as error:
        datasets.load("a9a")
    message = str(error.value)
    assert registered("a9a", "shared").sha256 in message
    assert hashlib.sha256(fake.read_bytes()).hexdigest() in message
    assert "32561" in message and "it has 4 samples" in message and str(fake) in message


def test_verify_false_reports_not_checked(isolated):
    write_fake(isolated / "data", 4)
    loaded = datasets.load("a9a", verify=False)
    assert loaded.verified == "not checked" and "matches no registered copy" in loaded.description


def test_official_a9a_is_accepted_as_unverified_by_its_sample_count(isolated):
    # A stand-in for the official file: 32561 samples, labels -1/+1 (its checksum is not published).
    official = isolated / "data" / "a9a"
    official.parent.mkdir()
    official.write_text("".join(f"{'+1' if row % 3 else '-1'} {row % 123 + 1}:1\n" for row in range(32561)))
    loaded = datasets.load("a9a")
    assert loaded.shape == (32561, 123) and loaded.verified == "unverified"
    assert "official LIBSVM file" in loaded.description and "unverified" in loaded.description
    np.testing.assert_array_equal(np.unique(loaded.y), [-1.0, 1.0])


def test_a_malformed_registered_file_names_itself(isolated):
    bad = isolated / "data" / "a9a"
    bad.parent.mkdir()
    bad.write_text("1 1:1\nbanana 2:1\n")
    with pytest.raises(ValueError, match=rf"{bad}: line 2: label 'banana' is not a number"):
        datasets.load("a9a")


def write_idx(file, array, magic):
    file.parent.mkdir(parents=True, exist_ok=True)
    array = np.asarray(array, dtype=np.uint8)
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    file.write_bytes(gzip.compress(header + array.tobytes()))


def test_idx_sets_are_looked_for_in_their_subdirectory(isolated, monkeypatch):
    images = np.arange(2 * 784).reshape(2, 28, 28) % 256
    for directory in (isolated / "data" / "fashion-mnist", isolated / "env" / "fashion-mnist", isolated / "given"):
        write_idx(directory / "train-images-idx3-ubyte.gz", images, 0x803)
        write_idx(directory / "train-labels-idx1-ubyte.gz", [3, 9], 0x801)
    loaded = datasets.load("fashion-mnist", verify=False)  # not the real files: their checksums differ
    assert loaded.path == isolated / "data" / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    assert loaded.X.shape == (2, 784) and loaded.X.dtype == np.float64 and loaded.y.dtype == np.int64
    np.testing.assert_allclose(loaded.X, (images.reshape(2, 784) / 255 - 0.2860) / 0.3530)
    np.testing.assert_array_equal(loaded.y, [3, 9])
    monkeypatch.setenv(datasets.ENV_VAR, str(isolated / "env"))
    assert datasets.load("fashion-mnist", verify=False).path.parent == isolated / "env" / "fashion-mnist"
    for path in (isolated / "given", isolated / "given" / "train-labels-idx1-ubyte.gz"):
        assert datasets.load("fashion-mnist", path=path, verify=False).path.parent == isolated / "given"
    with pytest.raises(datasets.ChecksumError, match=r"3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369"):
        datasets.load("fashion-mnist")


def test_idx_set_with_mismatched_counts(isolated):
    directory = isolated / "data" / "mnist"
    write_idx(directory / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28)), 0x803)
    write_idx(directory / "train-labels-idx1-ubyte.gz", [1, 2], 0x801)
    with pytest.raises(ValueError, match=r"holds 3 images but .*train-labels-idx1-ubyte.gz holds 2 labels"):
        datasets.load("mnist", verify=False)


def test_parsed_once_per_content_and_callers_get_copies(isolated, monkeypatch):
    calls = []

    def counting_reader(source, n_features=None):
        calls.append(n_features)
        return read_libsvm(source, n_features)

    monkeypatch.setattr(datasets, "read_libsvm", counting_reader)
    fake = write_fake(isolated / "data", 6)
    first = datasets.load("a9a", verify=False)
    assert first.sha256 == hashlib.sha256(fake.read_bytes()).hexdigest()
    expected_X, expected_y = first.X.toarray(), first.y.copy()
    first.X.data[:] = 7.0
    first.y[:] = 0.0
    second = datasets.load("a9a", verify=False)
    assert calls == [123]
    np.testing.assert_array_equal(second.X.toarray(), expected_X)
    np.testing.assert_array_equal(second.y, expected_y)

    write_fake(isolated / "data", 2)
    third = datasets.load("a9a", verify=False)
    assert len(calls) == 2 and third.shape == (2, 123) and third.sha256 != first.sha256


# ---------------------------------------------------------------- the real files

# Where conftest.py points $RINGBENCH_DATA (../shared/data next to the repository), or the user did.
SHARED = pathlib.Path(os.environ.get("RINGBENCH_DATA") or pathlib.Path(__file__).resolve().parents[2] / "shared/data")


@pytest.fixture(scope="module")
def real_data_dir():
    directory = os.environ.get(datasets.ENV_VAR)
    if not directory or not all((pathlib.Path(directory) / name).is_file() for name in LIBSVM_SETS):
        pytest.skip(f"the real a9a and w8a files are not available: set ${datasets.ENV_VAR} to a directory "
                    "holding them (tests/conftest.py uses ../shared/data next to the repository if it exists)")
    return pathlib.Path(directory)


@pytest.mark.parametrize("name, raw_labels", [("a9a", {"0", "1"}), ("w8a", {"-1", "+1"})])
def test_real_files_match_the_registry_and_their_text(real_data_dir, name, raw_labels):
    dataset = DATASETS[name]
    loaded = datasets.load(name)
    file = real_data_dir / dataset.filename
    assert loaded.path == file and loaded.verified == "sha256" and "development copy" in loaded.description
    assert loaded.sha256 == registered(name, "shared").sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert loaded.shape == (registered(name, "shared").n_samples, dataset.n_features)
    assert_canonical_csr(loaded.X)

    # An independent, obvious reading of the text: every line is "label i:1 i:1 ...".
    lines = [line.split() for line in file.read_text().splitlines() if line.strip()]
    assert {tokens[0] for tokens in lines} == raw_labels
    positive = "1" if "1" in raw_labels and "0" in raw_labels else "+1"
    np.testing.assert_array_equal(loaded.y, [1.0 if tokens[0] == positive else -1.0 for tokens in lines])
    row_lengths = np.array([len(tokens) - 1 for tokens in lines])
    np.testing.assert_array_equal(np.diff(loaded.X.indptr), row_lengths)
    # Same (row, column) positions: compare flat positions, the file's in file order sorted once.
    columns = np.fromiter((int(token.split(":")[0]) - 1 for tokens in lines for token in tokens[1:]), np.int64)
    in_file = np.repeat(np.arange(len(lines)), row_lengths) * dataset.n_features + columns
    in_X = np.repeat(np.arange(len(lines)), np.diff(loaded.X.indptr)) * dataset.n_features + loaded.X.indices
    np.testing.assert_array_equal(in_X, np.sort(in_file))
    assert np.all(loaded.X.data == 1.0)


def test_real_file_found_via_path_env_and_data_dir(real_data_dir, tmp_path, monkeypatch):
    file = real_data_dir / "a9a"
    assert datasets.load("a9a", path=file).path == file
    assert datasets.load("a9a", path=real_data_dir).path == file
    monkeypatch.chdir(tmp_path)
    assert datasets.load("a9a").path == file  # via $RINGBENCH_DATA
    (tmp_path / "data").mkdir()
    shutil.copyfile(file, tmp_path / "data" / "a9a")
    monkeypatch.delenv(datasets.ENV_VAR)
    loaded = datasets.load("a9a")
    assert loaded.path == tmp_path / "data" / "a9a"
    assert loaded.sha256 == registered("a9a", "shared").sha256


def test_mnist5k_loads_from_the_shared_data(real_mnist5k):
    loaded = datasets.load("mnist5k")
    assert loaded.paths == tuple(real_mnist5k / file.filename for file in DATASETS["mnist5k"].files)
    assert loaded.verified == "sha256" and loaded.shape == (5000, 784)
    assert loaded.X.dtype == np.float64 and loaded.y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(loaded.y), np.full(10, 500))
    pixels = np.frombuffer(gzip.decompress(loaded.paths[0].read_bytes()), np.uint8, offset=16).reshape(5000, 784)
    np.testing.assert_allclose(loaded.X, (pixels / 255 - 0.1307) / 0.3081, rtol=0, atol=1e-12)
    digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in loaded.paths]
    assert loaded.sha256 == hashlib.sha256("\n".join(digests).encode()).hexdigest()
    # callers get fresh arrays
    loaded.X[:] = 0.0
    assert datasets.load("mnist5k").X.any()


def test_mnist5k_trim_and_ten_class_dirichlet(real_mnist5k):
    labels = datasets.load("mnist5k").y[:4990]  # 500 of each digit but 490 nines
    n = 100
    kept = splits.trim(labels, n, seed=splits.TRIM_SEED)
    assert kept.size == 4900 and np.all(np.diff(kept) > 0)
    np.testing.assert_array_equal(np.bincount(labels[kept]), [491] * 9 + [481])
    parts = [kept[part] for part in splits.dirichlet(labels[kept], n, 0.1, seed=splits.DIRICHLET_SEED)]
    assert [part.size for part in parts] == [49] * n
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), kept)
    # Dirichlet(0.1) over ten classes: a typical worker is dominated by one or two digits.
    dominant = [np.bincount(labels[part], minlength=10).max() / part.size for part in parts]
    assert np.median(dominant) > 0.5


@pytest.fixture(scope="module")
def real_mnist5k():
    directory = os.environ.get(datasets.ENV_VAR)
    if not directory or not all((pathlib.Path(directory) / f.filename).is_file() for f in DATASETS["mnist5k"].files):
        pytest.skip(f"the mnist5k files are not available: set ${datasets.ENV_VAR} to a directory holding them "
                    "(tests/conftest.py uses ../shared/data next to the repository if it exists)")
    return pathlib.Path(directory)


# ---------------------------------------------------------------- synthetic


@pytest.mark.parametrize("sparse", [False, True])
def test_synthetic_types_and_determinism(sparse):
    X, y = synthetic(30, 7, density=0.3, sparse=sparse, seed=4)
    again_X, again_y = synthetic(30, 7, density=0.3, sparse=sparse, seed=4)
    other_X, _ = synthetic(30, 7, density=0.3, sparse=sparse, seed=5)
    if sparse:
        assert_canonical_csr(X)
        X, again_X, other_X = X.toarray(), again_X.toarray(), other_X.toarray()
    else:
        assert isinstance(X, np.ndarray) and X.flags.c_contiguous and X.dtype == np.float64
    assert X.shape == (30, 7) and y.shape == (30,) and y.dtype == np.float64
    assert set(np.unique(y)) <= {-1.0, 1.0}
    np.testing.assert_array_equal(X, again_X)
    np.testing.assert_array_equal(y, again_y)
    assert not np.array_equal(X, other_X)


@pytest.mark.parametrize("density", [0.2, 1.0])
def test_synthetic_sparse_and_dense_are_the_same_matrix(density):
    dense, y_dense = synthetic(40, 9, density=density, separability=0.7, seed=11)
    sparse, y_sparse = synthetic(40, 9, density=density, separability=0.7, sparse=True, seed=11)
    np.testing.assert_array_equal(sparse.toarray(), dense)
    np.testing.assert_array_equal(y_sparse, y_dense)


def test_synthetic_density_and_no_empty_rows():
    X, _ = synthetic(200, 50, density=0.3, sparse=True, seed=1)  # an empty row here has probability 0.7^50
    assert X.nnz == 3000 and np.all(np.diff(X.indptr) >= 1)
    assert synthetic(20, 6, sparse=True)[0].nnz == 120
    sparse_rows, _ = synthetic(500, 40, density=0.001, sparse=True, seed=2)
    nonzeros_per_row = np.diff(sparse_rows.indptr)
    assert np.all(nonzeros_per_row >= 1) and sparse_rows.nnz >= 500 > round(0.001 * 500 * 40)


def test_synthetic_separability_one_is_linearly_separable():
    X, y = synthetic(150, 10, seed=3)
    # Feasible iff some w has y_i x_i.w >= 1 for all i (strict separation through the origin).
    feasibility = scipy.optimize.linprog(np.zeros(10), A_ub=-(y[:, None] * X), b_ub=-np.ones(150),
                                         bounds=[(None, None)] * 10, method="highs")
    assert feasibility.status == 0
    _, noisy_y = synthetic(150, 10, separability=0.5, seed=3)
    noisy = scipy.optimize.linprog(np.zeros(10), A_ub=-(noisy_y[:, None] * X), b_ub=-np.ones(150),
                                   bounds=[(None, None)] * 10, method="highs")
    assert noisy.status == 2  # infeasible: flipped labels break separability


@pytest.mark.parametrize("separability", [0.0, 0.5, 0.9])
def test_synthetic_flip_rate_is_half_of_one_minus_separability(separability):
    n = 20000
    X, clean = synthetic(n, 5, density=0.6, seed=8)
    X_noisy, noisy = synthetic(n, 5, density=0.6, separability=separability, seed=8)
    np.testing.assert_array_equal(X_noisy, X)  # the flips use their own stream
    flipped = np.mean(noisy != clean)
    expected = (1 - separability) / 2
    assert abs(flipped - expected) < 5 * np.sqrt(max(expected * (1 - expected), 1e-12) / n) + 1e-12


@pytest.mark.parametrize("options, parameter", [
    (dict(n_samples=0), "n_samples"), (dict(n_samples=2.5), "n_samples"),
    (dict(n_features=0), "n_features"), (dict(n_features="4"), "n_features"),
    (dict(density=0.0), "density"), (dict(density=1.5), "density"), (dict(density=float("nan")), "density"),
    (dict(separability=-0.1), "separability"), (dict(separability=1.01), "separability"),
    (dict(separability=float("inf")), "separability"),
    (dict(sparse=1), "sparse"), (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"),
])
def test_synthetic_parameters_are_validated(options, parameter):
    arguments = dict(n_samples=10, n_features=4) | options
    n_samples, n_features = arguments.pop("n_samples"), arguments.pop("n_features")
    with pytest.raises(ValueError, match=rf"\b{parameter}\b"):
        synthetic(n_samples, n_features, **arguments)
