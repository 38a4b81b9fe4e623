"""LIBSVM reader, dataset registry and lookup, real-file facts, and the synthetic generator."""

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
    """No $RINGBENCH_DATA and an empty current directory, so only the places a test sets up exist."""
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_registry_entries():
    assert set(DATASETS) == {"a9a", "w8a"}
    for name, dataset in DATASETS.items():
        assert dataset.name == name
        assert dataset.url == f"https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/{dataset.filename}"
        assert len(dataset.sha256) == 64 and int(dataset.sha256, 16) >= 0
    assert (DATASETS["a9a"].n_samples, DATASETS["a9a"].n_features) == (32560, 123)
    assert (DATASETS["w8a"].n_samples, DATASETS["w8a"].n_features) == (49749, 300)


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown dataset 'covtype'; choose one of 'a9a', 'w8a'"):
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
    for path, expected in [(from_path, from_path), (isolated / "given", from_path), (None, from_env),
                           (isolated / "nothing-here", from_env)]:
        loaded = datasets.load("a9a", path=path, verify=False)
        assert (loaded.path, loaded.shape) == (expected, (int(expected.read_text().count("\n")), 123))
    monkeypatch.delenv(datasets.ENV_VAR)
    loaded = datasets.load("a9a", verify=False)
    assert (loaded.path, loaded.shape[0]) == (from_data_dir, 3)


def test_missing_file_lists_every_place_and_the_download_address(isolated, monkeypatch):
    monkeypatch.setenv(datasets.ENV_VAR, str(isolated / "env"))
    with pytest.raises(FileNotFoundError) as error:
        datasets.load("w8a", path=isolated / "mine")
    message = str(error.value)
    for place in (isolated / "mine", isolated / "env" / "w8a", isolated / "data" / "w8a"):
        assert str(place) in message
    assert DATASETS["w8a"].url in message and "RINGBENCH_DATA" in message

    monkeypatch.delenv(datasets.ENV_VAR)
    with pytest.raises(FileNotFoundError, match=r"\$RINGBENCH_DATA is not set") as error:
        datasets.load("a9a")
    assert str(isolated / "data" / "a9a") in str(error.value) and "32561" in str(error.value)


def test_checksum_mismatch_says_expected_and_found(isolated):
    fake = write_fake(isolated / "data", 4)
    with pytest.raises(ValueError, match="verify=False") as error:
        datasets.load("a9a")
    message = str(error.value)
    assert DATASETS["a9a"].sha256 in message
    assert hashlib.sha256(fake.read_bytes()).hexdigest() in message
    assert "32561" in message and str(fake) in message


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


@pytest.fixture(scope="module")
def real_data_dir():
    directory = os.environ.get(datasets.ENV_VAR)
    if not directory or not all((pathlib.Path(directory) / d.filename).is_file() for d in DATASETS.values()):
        pytest.skip(f"the real a9a and w8a files are not available: set ${datasets.ENV_VAR} to a directory "
                    "holding them (tests/conftest.py uses ../shared/data next to the repository if it exists)")
    return pathlib.Path(directory)


@pytest.mark.parametrize("name, raw_labels", [("a9a", {"0", "1"}), ("w8a", {"-1", "+1"})])
def test_real_files_match_the_registry_and_their_text(real_data_dir, name, raw_labels):
    dataset = DATASETS[name]
    loaded = datasets.load(name)
    file = real_data_dir / dataset.filename
    assert loaded.path == file
    assert loaded.sha256 == dataset.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert loaded.shape == (dataset.n_samples, dataset.n_features)
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
    assert loaded.sha256 == DATASETS["a9a"].sha256


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
