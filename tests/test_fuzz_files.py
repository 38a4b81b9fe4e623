"""Fuzzing the readers of untrusted files: LIBSVM text, IDX bytes and saved results.

Whatever the bytes, a reader either returns data consistent with what it read or raises
a ``ValueError`` whose message says where (a line, a file) and what is wrong; never
another exception.
"""

import gzip
import io
import json
import re
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import ringbench
from ringbench import idx, methods, problems, timing
from ringbench.datasets import read_libsvm
from ringbench.results import ResultFileError

FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# --------------------------------------------------------------------------- LIBSVM

#: Pieces of LIBSVM lines, good and bad: labels, index:value pairs, separators, comments, junk.
TOKENS = st.sampled_from(["1", "0", "-1", "+1", "2", "nan", "inf", "1:1", "2:0.5", "3:-2e3", "0:1", "-1:1",
                          "1:nan", "1:1e400", "99999999999999999999:1", "9999999999:1", "1:", ":1", "1:1:1", "a",
                          "1.5:1", "#", "# c", " ", "\t", "\n", "\r\n", "\x00", "é", "1_0:1"])


@FUZZ
@given(st.lists(TOKENS, max_size=30).map(" ".join) | st.text(max_size=40))
def test_libsvm_text_parses_or_names_the_line(text):
    try:
        X, y = read_libsvm(io.BytesIO(text.encode("utf-8", "surrogatepass")))
    except ValueError as error:
        assert re.search(r"line \d+|LIBSVM|UTF-8|labels|memory", str(error)), str(error)
        event("refused")
        return
    event("read")
    assert X.shape[0] == y.shape[0] >= 1
    assert np.isin(y, (-1.0, 1.0)).all() and np.isfinite(X.data).all()


# --------------------------------------------------------------------------- IDX


@st.composite
def idx_bytes(draw):
    """An IDX file, often damaged: magic, dimensions, body, maybe gzip-compressed or cut."""
    ndim = draw(st.integers(0, 4))
    shape = draw(st.lists(st.integers(0, 4) | st.sampled_from([2**31, 2**32 - 1]), min_size=ndim, max_size=ndim))
    element = draw(st.sampled_from([8, 8, 8, 9, 13]))
    header = bytes([0, draw(st.sampled_from([0, 0, 1])), element, ndim])
    header += b"".join(size.to_bytes(4, "big") for size in shape)
    body_size = int(np.prod(shape, dtype=object)) if shape else 1
    body = draw(st.binary(min_size=0, max_size=4)) if body_size > 64 else bytes(body_size)
    body = body + draw(st.sampled_from([b"", b"\x00"]))
    content = header + body
    cut = draw(st.none() | st.integers(0, len(content)))
    content = content if cut is None else content[:cut]
    if draw(st.booleans()):
        content = gzip.compress(content, mtime=0)
        cut = draw(st.none() | st.integers(0, len(content)))
        content = content if cut is None else content[:cut]
    return content


@FUZZ
@given(idx_bytes() | st.binary(max_size=40), st.sampled_from(["fuzz.idx", "fuzz.idx.gz"]))
def test_idx_bytes_read_or_name_the_file(content, name):
    try:
        array = idx.read_idx(content, name=name)
    except ValueError as error:
        assert str(error).startswith(f"{name}: "), str(error)
        event("refused")
        return
    event("read")
    assert array.dtype == np.uint8 and array.size == len(gzip.decompress(content) if content[:2] == b"\x1f\x8b"
                                                         else content) - 4 - 4 * array.ndim


# --------------------------------------------------------------------------- result files


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small traced result, saved once (CSV trace tables, so that they are text to edit too)."""
    result = ringbench.simulate(problems.Quadratic.worst_case(3), methods.Ringmaster(gamma=0.1, threshold=2),
                                timing.fixed([1.0, 2.0]), t_max=6.0, trace="iterates")
    directory = tmp_path_factory.mktemp("fuzz-result")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ringbench.results, "_PARQUET", False)
        result.save(directory / "run")
    return directory


def fresh_copy(saved, directory):
    """Copy the saved files into an empty ``directory``; return the stem."""
    shutil.rmtree(directory, ignore_errors=True)
    shutil.copytree(saved, directory)
    return directory / "run"


def assert_loads_or_names_the_file(stem):
    try:
        result = ringbench.load(stem)
    except ResultFileError as error:
        assert str(stem) in str(error)
        event("refused")  # pytest --hypothesis-show-statistics: both outcomes occur
        return
    event("loaded")
    result.summary()  # what loads is usable
    assert result.time.shape == result.grad_norm2.shape == result.iteration.shape


FILES = ["run.npz", "run.json", "run.events.csv", "run.updates.csv"]


@FUZZ
@given(file=st.sampled_from(FILES), edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1,
                                                   max_size=4),
       cut=st.none() | st.floats(0, 1))
def test_corrupted_bytes_load_or_name_the_file(saved, tmp_path_factory, file, edits, cut):
    stem = fresh_copy(saved, tmp_path_factory.getbasetemp() / "corrupt")
    path = stem.parent / file
    content = bytearray(path.read_bytes())
    for where, byte in edits:
        content[int(where * (len(content) - 1))] = byte
    if cut is not None:
        content = content[:int(cut * len(content))]
    path.write_bytes(bytes(content))
    assert_loads_or_names_the_file(stem)


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                           | st.text(max_size=5), lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=5), children, max_size=3), max_leaves=5)


def paths_in(value, prefix=()):
    """Every key path in a JSON value, the value's own (empty) path first."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from paths_in(child, (*prefix, key))


@FUZZ
@given(data=st.data())
def test_edited_json_loads_or_names_the_file(saved, tmp_path_factory, data):
    stem = fresh_copy(saved, tmp_path_factory.getbasetemp() / "edited")
    meta = json.loads(stem.with_suffix(".json").read_text())
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(paths_in(meta))[1:]))
        parent = meta
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()):
            parent[path[-1]] = data.draw(JSON_VALUES)
        elif isinstance(parent, dict):
            del parent[path[-1]]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            parent[data.draw(st.text(max_size=5))] = data.draw(JSON_VALUES)
    stem.with_suffix(".json").write_text(json.dumps(meta))
    assert_loads_or_names_the_file(stem)
