"""Downloads (ringbench.download and datasets' download on demand) against a local HTTP server on 127.0.0.1.

The server, in a thread, serves files from memory and can answer Range requests (206), ignore
them (200), cut a transfer short, or fail with a status; it records every request. Nothing
here leaves the machine.
"""

import hashlib
import http.server
import os
import pathlib
import re
import shutil
import threading

import numpy as np
import pytest

from ringbench import datasets, download
from ringbench.datasets import DATASETS

# Where conftest.py points $RINGBENCH_DATA (../shared/data next to the repository), or the user did.
SHARED = pathlib.Path(os.environ.get("RINGBENCH_DATA") or pathlib.Path(__file__).resolve().parents[2] / "shared/data")
MNIST5K = ("mnist5k-images-idx3-ubyte.gz", "mnist5k-labels-idx1-ubyte.gz")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        server = self.server
        path = self.path.split("?")[0]
        server.requests.append((path, self.headers.get("Range")))
        if path in server.status:
            self.send_error(server.status[path])
            return
        body = server.files.get(path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and server.ranges:
            start = int(match.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        payload = body[start:]
        if server.cuts.get(path):  # declare the full length, send a part, hang up
            server.cuts[path] -= 1
            payload = payload[:len(payload) // 2]
        server.sent += len(payload)
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # never route the local server through a proxy
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files, httpd.status, httpd.cuts, httpd.requests, httpd.ranges, httpd.sent = {}, {}, {}, [], True, 0
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


PAYLOAD = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()


def quiet_fetch(url, destination, **options):
    return download.fetch(url, destination, progress=False, timeout=10, **options)


# ---------------------------------------------------------------- ringbench.download.fetch


def test_success_with_checksum_is_atomic(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    target = tmp_path / "sub" / "blob"
    assert quiet_fetch(server.url + "/blob", target, sha256=DIGEST, size=len(PAYLOAD)) == DIGEST
    assert target.read_bytes() == PAYLOAD
    assert sorted(path.name for path in target.parent.iterdir()) == ["blob"]  # no .part left
    assert server.requests == [("/blob", None)]


def test_checksum_mismatch_deletes_the_part_file_and_names_both_digests(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    wrong = "0" * 64
    with pytest.raises(download.ChecksumError) as error:
        quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=[wrong, "1" * 64])
    message = str(error.value)
    assert "blob" in message and wrong in message and DIGEST in message and server.url in message
    assert list(tmp_path.iterdir()) == []


def test_no_checksum_accepts_any_content(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    assert quiet_fetch(server.url + "/blob", tmp_path / "blob") == DIGEST


def test_truncated_transfer_keeps_the_part_file_and_the_next_call_resumes(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    server.cuts["/blob"] = 2
    target = tmp_path / "blob"
    with pytest.raises(download.DownloadError, match=r"connection ended after \d+ of 300000 bytes.*2 attempts"
                                                     r".*kept in .*blob\.part.*resumes") as error:
        quiet_fetch(server.url + "/blob", target, sha256=DIGEST, attempts=2)
    assert not target.exists()
    part = tmp_path / "blob.part"
    kept = part.stat().st_size
    assert 0 < kept < len(PAYLOAD) and part.read_bytes() == PAYLOAD[:kept]
    assert str(kept) in str(error.value)
    # the first attempt got half of the file; the second asked for the rest and got half of that
    assert server.requests == [("/blob", None), ("/blob", f"bytes={len(PAYLOAD) // 2}-")]

    server.requests.clear()
    server.sent = 0
    assert quiet_fetch(server.url + "/blob", target, sha256=DIGEST) == DIGEST
    assert target.read_bytes() == PAYLOAD and not part.exists()
    assert server.requests == [("/blob", f"bytes={kept}-")] and server.sent == len(PAYLOAD) - kept


def test_an_interrupted_transfer_is_resumed_within_one_call(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    server.cuts["/blob"] = 1
    assert quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST) == DIGEST
    assert [header for _, header in server.requests] == [None, f"bytes={len(PAYLOAD) // 2}-"]
    assert server.sent == len(PAYLOAD)


def test_resume_from_an_existing_part_file(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    (tmp_path / "blob.part").write_bytes(PAYLOAD[:123_456])
    assert quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST) == DIGEST
    assert server.requests == [("/blob", "bytes=123456-")] and server.sent == len(PAYLOAD) - 123_456
    assert (tmp_path / "blob").read_bytes() == PAYLOAD


def test_a_server_ignoring_range_sends_everything_again(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    server.ranges = False
    (tmp_path / "blob.part").write_bytes(b"x" * 1000)  # even a wrong prefix is overwritten
    assert quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST) == DIGEST
    assert server.requests == [("/blob", "bytes=1000-")] and server.sent == len(PAYLOAD)


def test_a_part_file_longer_than_the_file_starts_over(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    (tmp_path / "blob.part").write_bytes(PAYLOAD + b"extra")
    assert quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST) == DIGEST
    assert server.requests == [("/blob", f"bytes={len(PAYLOAD) + 5}-"), ("/blob", None)]  # 416, then all


def test_a_corrupt_part_file_fails_the_checksum_and_is_deleted(server, tmp_path):
    server.files["/blob"] = PAYLOAD
    (tmp_path / "blob.part").write_bytes(b"x" * 1000)
    with pytest.raises(download.ChecksumError):
        quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST)
    assert list(tmp_path.iterdir()) == []
    assert quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST) == DIGEST  # a clean retry works


@pytest.mark.parametrize("status", [404, 500])
def test_server_errors(server, tmp_path, status):
    server.status["/blob"] = status
    with pytest.raises(download.DownloadError, match=rf"downloading {re.escape(server.url)}/blob failed: "
                                                     rf"HTTP {status}"):
        quiet_fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST)
    assert list(tmp_path.iterdir()) == []
    assert len(server.requests) == 1  # an HTTP error is not retried


def test_unreachable_server(server, tmp_path):
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    with pytest.raises(download.DownloadError, match=rf"127\.0\.0\.1:{port}/blob failed"):
        quiet_fetch(f"http://127.0.0.1:{port}/blob", tmp_path / "blob")


def test_progress_bar_on_request(server, tmp_path, capsys):
    server.files["/blob"] = PAYLOAD
    download.fetch(server.url + "/blob", tmp_path / "blob", sha256=DIGEST, progress=True)
    assert "blob" in capsys.readouterr().err  # tqdm draws on stderr


# ---------------------------------------------------------------- datasets: download on demand


@pytest.fixture
def shared_files():
    if not all((SHARED / name).is_file() for name in (*MNIST5K, "a9a")):
        pytest.skip(f"the shared data files (a9a, mnist5k) are not in {SHARED}")
    return {name: (SHARED / name).read_bytes() for name in (*MNIST5K, "a9a")}


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No $RINGBENCH_DATA, an empty current directory and data cache, downloads allowed (from a mirror only)."""
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    monkeypatch.delenv(datasets.OFFLINE_ENV_VAR, raising=False)
    monkeypatch.setenv(datasets.CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "cache"


def test_missing_set_is_downloaded_into_the_cache_then_found_there(server, shared_files, nowhere):
    for name in MNIST5K:
        server.files[f"/base/{name}"] = shared_files[name]
    loaded = datasets.load("mnist5k", mirror=server.url + "/base/")
    assert loaded.paths == tuple(nowhere / name for name in MNIST5K)
    assert loaded.verified == "sha256" and loaded.shape == (5000, 784)
    np.testing.assert_array_equal(np.bincount(loaded.y), np.full(10, 500))
    assert sorted(path.name for path in nowhere.iterdir()) == sorted(MNIST5K)
    assert [path for path, _ in server.requests] == [f"/base/{name}" for name in MNIST5K]
    again = datasets.load("mnist5k", mirror=server.url + "/base")
    assert again.paths == loaded.paths and len(server.requests) == 2  # no new request


def test_mirror_from_the_environment_and_a9a_from_its_known_copy(server, shared_files, nowhere, monkeypatch):
    server.files["/a9a"] = shared_files["a9a"]
    monkeypatch.setenv(datasets.MIRROR_ENV_VAR, server.url)
    loaded = datasets.load("a9a")
    assert loaded.path == nowhere / "a9a" and loaded.verified == "sha256" and loaded.shape == (32560, 123)
    assert "development copy" in loaded.description


def test_mirror_layout_puts_mnist_in_its_subdirectory(server, shared_files, nowhere):
    # Not the real MNIST files: the download is refused by checksum, naming the file and both digests.
    server.files["/mnist/train-images-idx3-ubyte.gz"] = shared_files[MNIST5K[0]]
    with pytest.raises(datasets.ChecksumError) as error:
        datasets.load("mnist", mirror=server.url)
    message = str(error.value)
    assert "train-images-idx3-ubyte.gz" in message and DATASETS["mnist"].files[0].variants[0].sha256 in message
    assert hashlib.sha256(shared_files[MNIST5K[0]]).hexdigest() in message
    assert server.requests == [("/mnist/train-images-idx3-ubyte.gz", None)]
    assert not (nowhere / "mnist" / "train-images-idx3-ubyte.gz").exists()
    assert not (nowhere / "mnist" / "train-images-idx3-ubyte.gz.part").exists()


def test_a_download_matching_no_variant_is_removed_from_the_cache(server, nowhere):
    # a9a's official file has no published checksum: the download is checked by its sample count instead.
    server.files["/a9a"] = b"".join(b"+1 3:1 11:1\n" if row % 2 else b"-1 5:1\n" for row in range(10))
    with pytest.raises(datasets.ChecksumError, match=r"it has 10 samples.* 32561"):
        datasets.load("a9a", mirror=server.url)
    assert not (nowhere / "a9a").exists()


def test_an_error_page_served_as_the_file_is_removed_from_the_cache(server, nowhere):
    server.files["/a9a"] = b"<html><body>Service unavailable</body></html>\n"
    with pytest.raises(ValueError, match=r"a9a: line 1: label '<html><body>Service' is not a number"):
        datasets.load("a9a", mirror=server.url)
    assert not (nowhere / "a9a").exists()


def test_fetch_checks_what_it_fetched(server, nowhere):
    server.files["/a9a"] = b"-1 1:1\n+1 2:1\n"
    with pytest.raises(datasets.ChecksumError, match="it has 2 samples"):
        datasets.fetch("a9a", mirror=server.url)
    assert not (nowhere / "a9a").exists()


def test_download_failure_lists_the_places_and_the_error(server, nowhere):
    server.status["/mnist5k-images-idx3-ubyte.gz"] = 500
    with pytest.raises(datasets.DatasetNotFoundError) as error:
        datasets.load("mnist5k", mirror=server.url)
    message = str(error.value)
    assert "HTTP 500" in message and str(nowhere / MNIST5K[0]) in message
    assert isinstance(error.value, FileNotFoundError) and isinstance(error.value, ValueError)


def test_fetch_downloads_every_file_of_a_set(server, shared_files, nowhere):
    for name in MNIST5K:
        server.files[f"/{name}"] = shared_files[name]
    assert datasets.fetch("mnist5k", mirror=server.url) == tuple(nowhere / name for name in MNIST5K)
    assert datasets.fetch("mnist5k", mirror=server.url) == tuple(nowhere / name for name in MNIST5K)
    assert len(server.requests) == 2  # the second call found both in the cache


def test_a_set_without_address_needs_a_mirror(nowhere):
    with pytest.raises(datasets.DatasetNotFoundError, match=r"mnist5k has no download address.*"
                                                            r"RINGBENCH_DATA_MIRROR"):
        datasets.load("mnist5k")


# ---------------------------------------------------------------- offline


@pytest.mark.parametrize("value", ["maybe", "y", "enabled"])
def test_an_offline_setting_that_means_neither_is_refused(server, nowhere, monkeypatch, value):
    monkeypatch.setenv(datasets.MIRROR_ENV_VAR, server.url)
    monkeypatch.setenv(datasets.OFFLINE_ENV_VAR, value)
    for data in (None, SHARED):  # with nothing to download too
        if data is not None:
            monkeypatch.setenv(datasets.ENV_VAR, str(data))
        with pytest.raises(ValueError, match=rf"RINGBENCH_OFFLINE must be 1, true, yes or on .*got '{value}'"):
            datasets.load("mnist5k")
    assert server.requests == []


def test_a_path_given_is_the_only_place_searched(server, nowhere, monkeypatch, tmp_path):
    """Another copy (in $RINGBENCH_DATA, or a download) must not stand in for the place the user named."""
    monkeypatch.setenv(datasets.MIRROR_ENV_VAR, server.url)
    monkeypatch.setenv(datasets.OFFLINE_ENV_VAR, "0")  # downloads allowed: the path alone still decides
    monkeypatch.setenv(datasets.ENV_VAR, str(SHARED))
    (tmp_path / "mine").mkdir()
    (tmp_path / "notes.txt").write_text("not an image file")
    for given in (tmp_path / "mine", tmp_path / "notes.txt"):  # a directory; a file of a two-file set: its folder
        with pytest.raises(datasets.DatasetNotFoundError, match="Only path was searched, since it was given") as error:
            datasets.load("mnist5k", path=given)
        assert str(tmp_path) in str(error.value) and str(SHARED) not in str(error.value)
    assert server.requests == []


@pytest.mark.parametrize("how", ["environment", "argument", "context"])
def test_offline_error_lists_every_place_and_what_to_download(server, nowhere, monkeypatch, how):
    monkeypatch.setenv(datasets.MIRROR_ENV_VAR, server.url)  # would be asked if offline mode failed
    options = {}
    if how == "environment":
        monkeypatch.setenv(datasets.OFFLINE_ENV_VAR, "1")
    elif how == "argument":
        options["download"] = False
    with datasets.offline(how == "context"), pytest.raises(datasets.DatasetNotFoundError) as error:
        datasets.load("mnist", **options)
    message = str(error.value)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        for place in (nowhere.parent / "data" / "mnist" / name, nowhere / "mnist" / name):
            assert str(place) in message
        assert "http://yann.lecun.com/exdb/mnist/" + name in message
    assert "$RINGBENCH_DATA is not set" in message
    # It is searched below mnist/ (Fashion-MNIST's files have the same names), and the advice says so.
    assert "set $RINGBENCH_DATA to a directory whose mnist/ holds them" in message
    assert "ringbench.datasets.fetch('mnist')" in message
    reason = {"environment": "$RINGBENCH_OFFLINE is set to '1'", "argument": "download=False was passed",
              "context": "--no-download"}[how]
    assert reason in message
    assert server.requests == []


def test_download_true_overrides_offline_environment(server, shared_files, nowhere, monkeypatch):
    monkeypatch.setenv(datasets.OFFLINE_ENV_VAR, "1")
    server.files["/a9a"] = shared_files["a9a"]
    assert datasets.load("a9a", download=True, mirror=server.url).verified == "sha256"


def test_cli_no_download(server, nowhere, monkeypatch, capsys):
    from ringbench.cli import main

    monkeypatch.setenv(datasets.MIRROR_ENV_VAR, server.url)  # a broken flag would ask the local server only
    status = main(["run", "--method", "asgd", "--gamma", "0.1", "--problem", "logistic", "--dataset", "a9a",
                   "--no-download", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("ringbench: error: dataset 'a9a' (file 'a9a') was not found")
    assert "--no-download" in err and str(nowhere / "a9a") in err and DATASETS["a9a"].url in err
    assert server.requests == []


def test_data_cache_default_locations(monkeypatch, tmp_path):
    monkeypatch.delenv(datasets.CACHE_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert datasets.data_cache_dir() == tmp_path / "ringbench" / "data"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert datasets.data_cache_dir() == pathlib.Path(os.path.expanduser("~")) / ".cache" / "ringbench" / "data"


def test_load_validates_download_and_mirror():
    with pytest.raises(ValueError, match=r"\bdownload\b"):
        datasets.load("a9a", download="no")
    with pytest.raises(ValueError, match=r"\bmirror\b"):
        datasets.load("a9a", mirror=3)


def test_shutil_copy_of_a_downloaded_cache_is_found_by_path(server, shared_files, nowhere, tmp_path):
    server.files["/a9a"] = shared_files["a9a"]
    downloaded = datasets.load("a9a", mirror=server.url).path
    shutil.copyfile(downloaded, tmp_path / "a9a-copy")
    assert datasets.load("a9a", path=tmp_path / "a9a-copy", download=False).path == tmp_path / "a9a-copy"
