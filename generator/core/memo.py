"""Results of pure functions kept on disk between builds of one project (``publish``).

A *pure* function here is one whose result depends only on its text argument and on the
code that computes it: congkhai's own package and the libraries named in
:data:`LIBRARIES`. Its result is kept under the SHA-256 of the function's name, that text
and the *salt* (the code of the package, every file hashed, and those libraries' versions),
so a result is never reused by other code or for other input; nothing else needs to be
cleared by hand. What this module keeps is what a publish of one changed record would
otherwise compute again for every record: the cleaned HTML of each record's Markdown body
(:func:`generator.core.sanitize.markdown_page_part`).

The store is active only inside :func:`using` (the engine opens it when it builds with a
cache folder, that is for ``publish``); elsewhere :func:`memoized` functions simply run.
Each result used in a build has its file's time set to the build's start, and the files the
build did not use are removed at its end (:meth:`Memo.prune`), so the store holds what the
last build used. Forked workers share the folder: a result one of them writes is a whole
file (written beside, then renamed). Deleting the folder only makes the next build slower.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import generator

MEMO_DIR = ".congkhai-cache/ket-qua"
"""The store, under the project folder (``.gitignore`` lists ``.congkhai-cache/``)."""

LIBRARIES = ("markdown", "nh3", "pymdown-extensions")
"""Libraries whose version is part of every key: what the memoized functions call."""


def tree_hash(folder: Path) -> str:
    """SHA-256 over every file of ``folder`` (names and bytes), ``__pycache__`` left out."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def code_hash() -> str:
    """The fingerprint of congkhai's own code (every file of the package), once per process."""
    return tree_hash(Path(generator.__file__).parent)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


class Memo:
    """One project's store of results (see the module's text)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.salt = (code_hash() + "\0" + "\0".join(f"{n}={_version(n)}" for n in LIBRARIES)).encode("utf-8")
        self.started = time.time() - 2  # coarse file times: a little before the build

    def _path(self, name: str, text: str) -> Path:
        digest = hashlib.sha256(self.salt + b"\0" + name.encode("utf-8") + b"\0")
        digest.update(text.encode("utf-8", errors="surrogatepass"))
        key = digest.hexdigest()
        return self.folder / key[:2] / key

    def get(self, name: str, text: str) -> str | None:
        path = self._path(name, text)
        try:
            data = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        with contextlib.suppress(OSError):
            os.utime(path, (self.started + 2, self.started + 2))
        return data

    def put(self, name: str, text: str, result: str) -> None:
        path = self._path(name, text)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            spare = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            spare.write_bytes(result.encode("utf-8", errors="surrogatepass"))
            os.replace(spare, path)
        except OSError:  # a store that cannot be written only makes builds slower
            return

    def prune(self) -> None:
        """Remove what this build did not use (files older than its start)."""
        if not self.folder.is_dir():
            return
        for sub in self.folder.iterdir():
            if not sub.is_dir():
                continue
            for path in sub.iterdir():
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < self.started:
                        path.unlink()


_ACTIVE: list[Memo] = []


@contextlib.contextmanager
def using(folder: Path) -> Iterator[Memo]:
    """Keep and reuse results in ``folder`` while the block runs (then prune it)."""
    memo = Memo(folder)
    _ACTIVE.append(memo)
    try:
        yield memo
    finally:
        _ACTIVE.remove(memo)
    memo.prune()


def memoized(function: Callable[[str], str]) -> Callable[[str], str]:
    """``function`` (one text in, one text out, pure) with its results kept in the active
    store, if there is one."""
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapper(text: str) -> str:
        if not _ACTIVE:
            return function(text)
        memo = _ACTIVE[-1]
        known = memo.get(name, text)
        if known is not None:
            return known
        result = function(text)
        memo.put(name, text, result)
        return result

    return wrapper
