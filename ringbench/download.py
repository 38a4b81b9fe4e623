"""Fetch one file over HTTP(S): atomic, resumable, SHA-256 checked, with a progress bar.

Only the standard library (``urllib.request``) and tqdm. The bytes go to ``<file>.part``
next to the destination; a later call resumes it with an HTTP ``Range`` request (a server
that ignores ``Range`` and answers 200 is read from the start again). Once complete and
matching an expected SHA-256, the part file is renamed onto the destination with
``os.replace``, so the destination is either absent or complete. A digest mismatch deletes
the part file (its bytes are wrong, resuming it cannot help) and raises
:class:`ChecksumError`; an interrupted transfer keeps it for the next attempt and raises
:class:`DownloadError` after ``attempts`` tries.
"""

import hashlib
import http.client
import os
import pathlib
import re
import urllib.error
import urllib.request

from tqdm.auto import tqdm

__all__ = ["ChecksumError", "DownloadError", "fetch"]

_CHUNK = 1 << 20
_USER_AGENT = "ringbench-data/1 (Python urllib)"


class DownloadError(OSError):
    """A transfer failed: HTTP error, unreachable host, or a connection that ended early."""


class ChecksumError(ValueError):
    """A file's SHA-256 is not the expected one."""


def fetch(url, destination, *, sha256=None, size=None, progress=None, timeout=60.0, attempts=3):
    """Download ``url`` to ``destination``; return the SHA-256 (hex) of the file.

    Parameters
    ----------
    url : str
        Any URL ``urllib.request`` opens (``http``, ``https``, ``file``).
    destination : str or os.PathLike
        The final file; its directory is created. An existing ``<destination>.part`` is resumed.
    sha256 : str or collection of str, optional
        Accepted digests. ``None`` accepts any content (for files without a published checksum).
    size : int, optional
        Expected size in bytes, for the progress bar when the server does not send one.
    progress : bool, optional
        Show a tqdm bar on stderr; ``None`` (default) shows it only on a terminal.
    timeout : float
        Seconds to wait for each network operation.
    attempts : int
        Transfers started for one call: an interrupted one is resumed up to ``attempts - 1`` times.

    Raises
    ------
    ChecksumError
        The complete file matches none of ``sha256``; the part file is deleted.
    DownloadError
        HTTP error status, unreachable server, or the transfer kept ending early (the part file is kept).
    """
    destination = pathlib.Path(destination)
    part = destination.with_name(destination.name + ".part")
    accepted = None if sha256 is None else ({sha256} if isinstance(sha256, str) else set(sha256))
    destination.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        try:
            digest = _transfer(url, part, size, progress, timeout)
            break
        except _Interrupted as error:
            if attempt == attempts:
                raise DownloadError(f"downloading {url} failed: {error} ({attempts} attempts); the "
                                    f"{part.stat().st_size if part.exists() else 0} bytes received so far "
                                    f"are kept in {part} and the next download resumes from there") from None
    if accepted is not None and digest not in accepted:
        part.unlink(missing_ok=True)
        expected = " or ".join(sorted(accepted))
        raise ChecksumError(f"the download of {destination.name} from {url} has SHA-256 {digest}, expected "
                            f"{expected}; the file was deleted (a changed or corrupt copy on the server, or a "
                            "proxy that altered it)")
    os.replace(part, destination)
    return digest


class _Interrupted(Exception):
    """The connection ended before the whole file arrived (worth resuming)."""


def _transfer(url, part, size, progress, timeout):
    """Bring ``part`` to the complete file, resuming what it holds; return its SHA-256."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 416 and have:  # our part is not a prefix the server can continue: start over
            part.unlink()
            return _transfer(url, part, size, progress, timeout)
        raise DownloadError(f"downloading {url} failed: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise DownloadError(f"downloading {url} failed: {error.reason}") from None
    except (OSError, http.client.HTTPException) as error:
        raise _Interrupted(f"{type(error).__name__}: {error}") from None
    with response:
        status = getattr(response, "status", None) or 200
        resume = have and status == 206 and _range_start(response.headers.get("Content-Range")) == have
        if have and not resume:
            have = 0  # the server sent the whole file (it ignored Range, or answered another range)
        digest = hashlib.sha256()
        if resume:
            with open(part, "rb") as existing:
                for block in iter(lambda: existing.read(_CHUNK), b""):
                    digest.update(block)
        length = response.headers.get("Content-Length")
        remaining = int(length) if length is not None and length.isdigit() else None
        total = have + remaining if remaining is not None else size
        received = 0
        with open(part, "ab" if resume else "wb") as out, \
                tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                     desc=part.name[:-len(".part")], disable=None if progress is None else not progress,
                     leave=False) as bar:
            try:
                for block in iter(lambda: response.read(_CHUNK), b""):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    bar.update(len(block))
            except (OSError, http.client.HTTPException) as error:
                raise _Interrupted(f"the connection broke after {have + received} bytes "
                                   f"({type(error).__name__}: {error})") from None
        if remaining is not None and received < remaining:
            raise _Interrupted(f"the connection ended after {have + received} of {have + remaining} bytes")
    return digest.hexdigest()


def _range_start(content_range):
    match = re.match(r"\s*bytes\s+(\d+)-", content_range or "")
    return int(match.group(1)) if match else None
