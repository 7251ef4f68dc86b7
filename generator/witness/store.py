"""The witness's store: plain files, fit for git, one folder per office (what it saw and
when), written atomically under one lock (the layout is in :mod:`generator.witness.sync`)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core.config import TIMEZONE
from generator.core.errors import CongkhaiError
from generator.core.values import format_local, now_rfc3339
from generator.ledger import checkpoints, merkle
from generator.ledger.log import write_atomically
from generator.witness.config import FACTS_NAME, LOCK_NAME


class _Failed(Exception):
    """The office could not be checked this time (stays as held)."""


def _root(note: bytes) -> bytes:
    return checkpoints.parse(note).root


# --- the store --------------------------------------------------------------------------


def append_line(path: Path, item: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as handle:
        handle.write(json.dumps(item, ensure_ascii=False, sort_keys=True).encode() + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    for line in path.read_bytes().splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


@contextlib.contextmanager
def store_lock(store: Path) -> Iterator[None]:
    """Hold ``<store>/.dong-bo.lock`` for a whole sync, so that two syncs never write the
    same store at once. The lock is the operating system's (``flock``): it ends with the
    process holding it, even when killed, so a lock file left behind is never stale; it only
    names the last holder. (It needs a local file system: not a network share.)"""
    store.mkdir(parents=True, exist_ok=True)
    path = store / LOCK_NAME
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise CongkhaiError(
                f"một lần đồng bộ khác đang chạy trên kho {store} (tệp khóa {path}"
                + (f"; {holder}" if holder else "")
                + "); hãy chờ nó xong rồi chạy lại"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"tiến trình {os.getpid()}, bắt đầu lúc {format_local(now_rfc3339(), TIMEZONE, True)}\n")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Held:
    """What the witness holds of one office's log, without holding the log in memory: its
    size in bytes and lines, the Merkle frontier of its lines and its last event."""

    bytes: int
    frontier: merkle.Frontier
    last: dict[str, Any] | None
    """``seq``, ``hash``, ``at`` of the last event (None: nothing held yet)."""

    @property
    def size(self) -> int:
        return self.frontier.size

    def as_state(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes,
            "size": self.size,
            "frontier": [h.hex() for h in self.frontier.heads],
            "last": self.last,
        }


@dataclass(frozen=True)
class OfficeStore:
    """One office's folder in the store."""

    folder: Path

    @property
    def log_path(self) -> Path:
        return self.folder / "log.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.folder / "checkpoints"

    @property
    def conflicts(self) -> Path:
        return self.folder / "conflicts"

    @property
    def facts_path(self) -> Path:
        return self.folder / FACTS_NAME

    def held(self) -> bytes:
        return self.log_path.read_bytes() if self.log_path.is_file() else b""

    def held_bytes(self) -> int:
        return self.log_path.stat().st_size if self.log_path.is_file() else 0

    def notes(self) -> dict[int, bytes]:
        store = checkpoints.Store(self.checkpoints)
        return {size: store.note(size) for size in store.sizes()}

    def tokens(self, size: int) -> dict[str, bytes]:
        return checkpoints.Store(self.checkpoints).tokens(size)

    def seen(self) -> list[dict[str, Any]]:
        return read_lines(self.folder / "seen.jsonl")

    def token_times(self) -> list[dict[str, Any]]:
        return read_lines(self.folder / "tokens.jsonl")

    def facts(self) -> list[dict[str, Any]]:
        return read_lines(self.facts_path)

    def state(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_state(self, state: dict[str, Any]) -> None:
        text = json.dumps(state, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_atomically(self.folder / "state.json", text.encode())

    def held_tree(self, notes: dict[int, bytes]) -> Held:
        """The held log's frontier, from ``state.json`` when it describes the file as it is,
        else worked out again by reading the file line by line (and then every checkpoint
        held is checked against it: a store changed by hand is an error, never trusted)."""
        size = self.held_bytes()
        saved = self.state().get("tree")
        if isinstance(saved, dict) and saved.get("bytes") == size:
            try:
                frontier = merkle.Frontier(int(saved["size"]), [bytes.fromhex(h) for h in saved["frontier"]])
                return Held(size, frontier, saved.get("last"))
            except (KeyError, TypeError, ValueError):
                pass
        frontier, last, line = merkle.Frontier(), None, b""
        wanted = set(notes)
        if self.log_path.is_file():
            with open(self.log_path, "rb") as handle:
                for line in handle:
                    if not line.endswith(b"\n"):
                        raise _Failed(
                            "kho lưu: dòng cuối của log.jsonl bị cắt dở; hãy khôi phục thư mục cơ quan từ git"
                        )
                    frontier.append(merkle.leaf_hash(line[:-1]))
                    if frontier.size in wanted and frontier.head() != _root(notes[frontier.size]):
                        raise _Failed(
                            f"kho lưu: log.jsonl không khớp checkpoint {frontier.size} đã lưu; "
                            "thư mục cơ quan trong kho đã bị sửa, hãy khôi phục nó từ git"
                        )
            if line:
                try:
                    event = json.loads(line)
                    last = {"seq": event["seq"], "hash": event["hash"], "at": event["at"]}
                except (ValueError, KeyError, TypeError):
                    raise _Failed("kho lưu: dòng cuối của log.jsonl không phải sự kiện hợp lệ") from None
        if notes and max(notes) > frontier.size:
            raise _Failed(
                f"kho lưu: log.jsonl có {frontier.size} dòng, ít hơn checkpoint {max(notes)} đã lưu; "
                "thư mục cơ quan trong kho đã bị sửa, hãy khôi phục nó từ git"
            )
        return Held(size, frontier, last)
