"""Class-proportional trim and the equal-size Dirichlet split on any number of classes (ringbench.problems.splits)."""

import hashlib

import numpy as np
import pytest

from ringbench import datasets
from ringbench.problems import splits


def fingerprint(parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(np.asarray(part, np.int64).tobytes())
        digest.update(b"|")
    return digest.hexdigest()[:16]


def check_partition(parts, n_samples, n_workers):
    assert len(parts) == n_workers
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(n_samples))  # every sample once
    sizes = [part.size for part in parts]
    assert max(sizes) - min(sizes) <= 1


# ---------------------------------------------------------------- Dirichlet


def test_binary_results_are_unchanged():
    # Recorded before dirichlet() took classes=: binary labels must give bit-identical partitions.
    labels = np.random.default_rng(5).choice([-1.0, 1.0], 500, p=[0.8, 0.2])
    parts = splits.dirichlet(labels, 7, 0.1, seed=2)
    assert fingerprint(parts) == "ba8fecca8549bc9e"
    assert parts[0][:8].tolist() == [0, 9, 13, 14, 15, 17, 22, 25] and parts[0].size == 72
    assert fingerprint(splits.dirichlet(labels, 7, 0.1, seed=2, classes=[-1.0, 1.0])) == "ba8fecca8549bc9e"


def test_a9a_heterogeneous_split_is_unchanged():
    try:
        labels = datasets.load("a9a").y  # tests run offline (conftest.py)
    except FileNotFoundError as error:
        pytest.skip(f"a9a is not available: {error}")
    if labels.size != 32560:
        pytest.skip("the recorded split is of the 32560-sample development copy of a9a")
    assert fingerprint(splits.dirichlet(labels, 100, 0.1, seed=654321)) == "d0f940aec74fbbec"


TEN = np.random.default_rng(3).integers(0, 10, 6000)


@pytest.mark.parametrize("n_workers", [1, 7, 100])
def test_ten_classes_equal_sizes_every_sample_once_reproducible(n_workers):
    parts = splits.dirichlet(TEN, n_workers, 0.1, seed=splits.DIRICHLET_SEED)
    check_partition(parts, TEN.size, n_workers)
    if TEN.size % n_workers == 0:
        assert {part.size for part in parts} == {TEN.size // n_workers}
    again = splits.dirichlet(TEN, n_workers, 0.1, seed=splits.DIRICHLET_SEED)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    if n_workers > 1:
        other = splits.dirichlet(TEN, n_workers, 0.1, seed=1)
        assert not all(np.array_equal(a, b) for a, b in zip(parts, other))


def test_ten_classes_small_alpha_concentrates_each_worker():
    parts = splits.dirichlet(TEN, 60, 0.1, seed=0)
    dominant = [np.bincount(TEN[part], minlength=10).max() / part.size for part in parts]
    assert np.median(dominant) > 0.6
    flat = splits.dirichlet(TEN, 60, 100.0, seed=0)
    assert np.median([np.bincount(TEN[part], minlength=10).max() / part.size for part in flat]) < 0.35


def test_fixed_classes_include_an_absent_one():
    labels = np.repeat(np.arange(9), 20)  # no 9s
    parts = splits.dirichlet(labels, 6, 0.5, seed=4, classes=range(10))
    check_partition(parts, labels.size, 6)
    assert fingerprint(parts) != fingerprint(splits.dirichlet(labels, 6, 0.5, seed=4))  # p is 10-dimensional


@pytest.mark.parametrize("classes, match", [([0, 1], r"label 2 is not one of classes"),
                                            ([0, 0, 1, 2], "distinct"), ([], "distinct")])
def test_fixed_classes_are_validated(classes, match):
    with pytest.raises(ValueError, match=match):
        splits.dirichlet(np.array([0, 1, 2, 2]), 2, 0.5, classes=classes)


# ---------------------------------------------------------------- trim


@pytest.mark.parametrize("n", [1, 7, 100, 6000])
def test_trim_keeps_a_multiple_of_n_in_class_proportion(n):
    kept = splits.trim(TEN, n, seed=splits.TRIM_SEED)
    assert kept.dtype == np.int64 and kept.size == TEN.size - TEN.size % n
    assert np.all(np.diff(kept) > 0) and kept.min() >= 0 and kept.max() < TEN.size
    counts, kept_counts = np.bincount(TEN, minlength=10), np.bincount(TEN[kept], minlength=10)
    assert np.all(np.abs(kept_counts - counts * kept.size / TEN.size) < 1)  # proportional, rounded
    assert np.all(kept_counts <= counts)


def test_trim_rounding_and_seed():
    labels = np.array([0] * 7 + [1] * 5 + [2] * 3)  # 15 samples -> keep 12 of proportions 7:5:3
    kept = splits.trim(labels, 4, seed=1)
    np.testing.assert_array_equal(np.bincount(labels[kept]), [6, 4, 2])  # 5.6, 4.0, 2.4: largest remainders
    np.testing.assert_array_equal(kept, splits.trim(labels, 4, seed=1))
    assert any(not np.array_equal(kept, splits.trim(labels, 4, seed=seed)) for seed in range(2, 6))
    assert splits.trim(labels, 5).size == 15  # already a multiple: everything is kept
    np.testing.assert_array_equal(splits.trim(labels, 15), np.arange(15))


def test_trim_then_dirichlet_is_the_papers_preprocessing():
    labels = TEN[:5987]
    kept = splits.trim(labels, 100, seed=splits.TRIM_SEED)
    parts = [kept[part] for part in splits.dirichlet(labels[kept], 100, 0.1, seed=splits.DIRICHLET_SEED)]
    assert {part.size for part in parts} == {59}
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), kept)
    assert (splits.TRIM_SEED, splits.DIRICHLET_SEED) == (123456, 654321)


@pytest.mark.parametrize("multiple, match", [(0, "multiple"), (2.5, "multiple"), (11, r"<= the number of samples")])
def test_trim_validates(multiple, match):
    with pytest.raises(ValueError, match=match):
        splits.trim(np.zeros(10), multiple)
