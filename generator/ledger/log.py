"""The publication log: JSON Lines, append-only, each event chained to the previous one.

An event's ``hash`` is the SHA-256 (hex) of the event without its ``hash`` key,
serialised as JSON with sorted keys, separators ``,`` and ``:``, non-ASCII kept as
UTF-8; ``prev`` is the previous event's ``hash`` (64 zeros for the first). This module
reads, checks, plans and appends events; it never rewrites a written line. Appends are
made crash-safe by writing the whole new file beside the old one, ``fsync``-ing it and
renaming it over the old one (a reader sees the old log or the new one), under an
exclusive lock so that two publishes cannot interleave.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.core.config import TIMEZONE
from generator.core.errors import CongkhaiError, Problem
from generator.core.faults import fault_point
from generator.core.values import SpreadsheetWriter, format_local, parse_instant
from generator.records import signatures

if TYPE_CHECKING:
    from generator.core.config import Settings
    from generator.records.record import Record

GENESIS = "0" * 64
EVENT_KINDS = ("published", "updated", "withdrawn")
REQUIRED_KEYS = (
    "seq",
    "event",
    "at",
    "id",
    "category",
    "title",
    "document_number",
    "url",
    "version",
    "content_sha256",
    "attachments",
    "commit",
    "prev",
    "hash",
)


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes that are hashed: the event without ``hash``, sorted keys, compact, UTF-8."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


@dataclass
class RecordHistory:
    """What the log says about one record: its events, oldest first."""

    key: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest(self) -> dict[str, Any]:
        return self.events[-1]

    @property
    def first_published(self) -> str:
        return self.events[0]["at"]

    @property
    def last_updated(self) -> str:
        changes = [e for e in self.events if e["event"] in ("published", "updated")]
        return changes[-1]["at"]

    @property
    def withdrawn(self) -> dict[str, Any] | None:
        return self.latest if self.latest["event"] == "withdrawn" else None

    @property
    def version(self) -> int:
        return int(self.latest["version"])


@dataclass(frozen=True)
class Log:
    """The events of a log file, with the line each came from, and the file's bytes."""

    path: Path
    events: list[dict[str, Any]]
    lines: list[int]
    raw: bytes = b""
    """The file's bytes (what the site serves as ``publication-log.jsonl``)."""

    def extended(self, events: list[dict[str, Any]]) -> Log:
        """The log as it stands once ``events`` (sealed) are appended; this one is unchanged."""
        first = (self.lines[-1] + 1) if self.lines else 1
        return Log(
            self.path,
            self.events + events,
            self.lines + list(range(first, first + len(events))),
            self.raw + b"".join(serialise(e) for e in events),
        )

    @property
    def head(self) -> dict[str, Any] | None:
        """``{"seq", "hash"}`` of the last event, or None for an empty log."""
        return {"seq": self.events[-1]["seq"], "hash": self.events[-1]["hash"]} if self.events else None

    def histories(self) -> dict[str, RecordHistory]:
        out: dict[str, RecordHistory] = {}
        for event in self.events:
            out.setdefault(event["id"], RecordHistory(event["id"])).events.append(event)
        return out

    def line_of(self, key: str) -> int:
        for event, line in zip(reversed(self.events), reversed(self.lines), strict=True):
            if event.get("id") == key:
                return line
        return 1


def read_log(path: Path, relpath: str | None = None) -> Log:
    """Read a log file (missing file = empty log). Lines that are not JSON objects raise
    :class:`CongkhaiError` naming the line."""
    relpath = relpath or path.name
    if not path.exists():
        return Log(path, [], [], b"")
    return parse_log(path, path.read_bytes(), relpath)


def parse_log(path: Path, raw: bytes, relpath: str) -> Log:
    """The log whose file ``path`` holds ``raw`` (see :func:`read_log`)."""
    events, lines, problems = [], [], []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(Problem(relpath, number, "log", f"dòng không phải JSON hợp lệ ({exc})"))
            continue
        if not isinstance(event, dict):
            problems.append(Problem(relpath, number, "log", "mỗi dòng phải là một đối tượng JSON"))
            continue
        events.append(event)
        lines.append(number)
    if raw and not raw.endswith(b"\n"):
        problems.append(Problem(relpath, len(raw.split(b"\n")), "log", "dòng cuối bị cắt dở (thiếu ký tự xuống dòng)"))
    if problems:
        raise CongkhaiError(problems)
    return Log(path, events, lines, raw)


def chain_problems(log: Log, name: str | None = None, after: dict[str, Any] | None = None) -> list[Problem]:
    """Check the chain: keys, seq without gaps, prev, hash, ``at`` never going back.

    One problem per fault, ``<log>:<line>: <key>: seq N: …`` (``name``: the log's path as
    the user knows it, by default its file name). ``after`` (``seq``, ``hash``, ``at`` of
    an event already checked) checks ``log`` as the continuation of a log ending with that
    event (a witness holding the beginning checks only the new lines); the lines reported
    then count from the whole log's first line."""
    name = name or log.path.name
    out: list[Problem] = []
    prev_hash = GENESIS
    prev_at: dt.datetime | None = None
    base = 0
    if after is not None:
        base, prev_hash, prev_at = int(after["seq"]), str(after["hash"]), parse_instant(str(after["at"]))
    raw_lines = log.raw.split(b"\n")
    for index, event in enumerate(log.events):
        expected_seq = base + index + 1
        seq = event.get("seq")
        line = log.lines[index]
        who = f"seq {seq}" if seq is not None else f"dòng {line + base}"

        def fault(key: str, message: str, line: int = line + base, who: str = who) -> None:
            out.append(Problem(name, line, key, f"{who}: {message}"))

        raw = raw_lines[line - 1] if 0 < line <= len(raw_lines) else b""
        if raw and serialise(event) != raw + b"\n":
            twice = _repeated_keys(raw)
            if twice:
                fault("log", f"khóa {', '.join(twice)} xuất hiện hai lần trong dòng (dòng đã bị sửa)")
            else:
                fault("log", "dòng không ở dạng chuẩn (khóa xếp theo thứ tự, không khoảng trắng); dòng đã bị sửa")

        missing = [k for k in REQUIRED_KEYS if k not in event]
        if missing:
            fault("log", f"thiếu khóa {', '.join(missing)}")
        if seq != expected_seq:
            fault("seq", f"số thứ tự sai, phải là {expected_seq} (thiếu, thừa hoặc đảo dòng)")
        if event.get("event") not in EVENT_KINDS:
            fault("event", f"'{event.get('event')}' không hợp lệ; chỉ có {', '.join(EVENT_KINDS)}")
        if event.get("prev") != prev_hash:
            fault("prev", "không khớp hash của sự kiện trước")
        if event.get("hash") != event_hash(event):
            fault("hash", "không khớp nội dung (dòng đã bị sửa)")
        try:
            at = parse_instant(str(event.get("at")))
        except ValueError:
            fault("at", f"'{event.get('at')}' không phải thời điểm RFC 3339 có múi giờ")
        else:
            if prev_at is not None and at < prev_at:
                fault("at", f"{event['at']} sớm hơn sự kiện trước")
            prev_at = at
        prev_hash = event.get("hash", "")
    return out


def _repeated_keys(raw: bytes) -> list[str]:
    """Keys that appear more than once in an object of the JSON line ``raw``."""
    seen: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        seen.extend(sorted({k for k in keys if keys.count(k) > 1}))
        return dict(items)

    try:
        json.loads(raw.decode("utf-8"), object_pairs_hook=pairs)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    return seen


def line_of_seq(log: Log, seq: int) -> int:
    """The line of the log file holding event ``seq``."""
    return log.lines[seq - 1] if 0 < seq <= len(log.lines) else 1


def attachments_of(record: Record, roots: signatures.Roots | None = None) -> list[dict[str, Any]]:
    """The attachments as an event records them: ``file``, ``sha256`` and, for a readable PDF
    when ``roots`` are given, ``signature`` (the verdict on its digital signatures, see
    :mod:`generator.records.signatures`; events written before it have no such key)."""
    out: list[dict[str, Any]] = []
    for a in record.attachments:
        entry: dict[str, Any] = {"file": a.file, "sha256": a.sha256}
        result = signatures.check_file(a.path, roots, a.sha256) if roots is not None else None
        if result is not None:
            entry["signature"] = result.as_log()
        out.append(entry)
    return out


def same_files(logged: list[dict[str, Any]], now: list[dict[str, Any]]) -> bool:
    """The same attachments (``file`` and ``sha256``, in order), whatever else either records."""
    return [(a.get("file"), a.get("sha256")) for a in logged] == [(a.get("file"), a.get("sha256")) for a in now]


def plan_events(
    records: list[Record], log: Log, settings: Settings, at: str, commit: str | None
) -> list[dict[str, Any]]:
    """The events a publish would append now for the public ``records`` (without
    ``seq``/``prev``/``hash``)."""
    histories = log.histories()
    roots = signatures.roots_of(settings)
    out: list[dict[str, Any]] = []
    for record in sorted((r for r in records if r.public), key=lambda r: r.key):
        history = histories.get(record.key)
        base = {
            "at": at,
            "id": record.key,
            "category": record.category.slug,
            "title": record.title,
            "document_number": record.document.get("number"),
            "url": settings.url_for(record.url_path),
            "content_sha256": record.sha256,
            "attachments": attachments_of(record, roots),
            "commit": commit,
        }
        withdrawn = record.data.get("withdrawn")
        if history is None:
            out.append({**base, "event": "published", "version": 1})
            if withdrawn:  # published and withdrawn in the same run
                out.append(
                    {
                        **base,
                        "event": "withdrawn",
                        "version": 1,
                        "reason": withdrawn["reason"],
                        "withdrawn_date": withdrawn["date"].isoformat(),
                    }
                )
            continue
        latest = history.latest
        changed = latest["content_sha256"] != record.sha256 or not same_files(
            latest["attachments"], base["attachments"]
        )
        if withdrawn and not history.withdrawn:
            version = history.version + (1 if changed else 0)
            out.append(
                {
                    **base,
                    "event": "withdrawn",
                    "version": version,
                    "reason": withdrawn["reason"],
                    "withdrawn_date": withdrawn["date"].isoformat(),
                }
            )
        elif changed:
            event = {**base, "event": "updated", "version": history.version + 1}
            if record.data.get("change_note"):
                event["change_note"] = record.data["change_note"]
            out.append(event)
    return out


def seal(log: Log, planned: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give planned events their ``seq``, ``prev`` and ``hash``, continuing the chain."""
    sealed = []
    prev = log.events[-1]["hash"] if log.events else GENESIS
    seq = len(log.events)
    for event in planned:
        seq += 1
        full = {**event, "seq": seq, "prev": prev}
        full["hash"] = event_hash(full)
        prev = full["hash"]
        sealed.append(full)
    return sealed


def log_csv(events: list[dict[str, Any]], timezone: str = TIMEZONE) -> bytes:
    """The log as CSV for spreadsheets: UTF-8 with BOM (Excel then shows Vietnamese),
    one row per event, local time added beside the RFC 3339 time."""
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)  # a cell starting with =, +, -, @ is never a formula
    writer.writerow(
        [
            "seq",
            "event",
            "at",
            "ngay_gio",
            "id",
            "category",
            "title",
            "document_number",
            "url",
            "version",
            "content_sha256",
            "attachments",
            "commit",
            "change_note",
            "reason",
            "prev",
            "hash",
        ]
    )
    for e in events:
        local = format_local(e["at"], timezone, with_time=True)
        files = "; ".join(f"{a['file']} {a['sha256']}" for a in e.get("attachments", []))
        writer.writerow(
            [
                e.get("seq"),
                e.get("event"),
                e.get("at"),
                local,
                e.get("id"),
                e.get("category"),
                e.get("title"),
                e.get("document_number") or "",
                e.get("url"),
                e.get("version"),
                e.get("content_sha256"),
                files,
                e.get("commit") or "",
                e.get("change_note", ""),
                e.get("reason", ""),
                e.get("prev"),
                e.get("hash"),
            ]
        )
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def serialise(event: dict[str, Any]) -> bytes:
    """One line of the log file (keys sorted, UTF-8, newline-terminated)."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


@contextlib.contextmanager
def locked(path: Path, wait: bool = True) -> Iterator[None]:
    """An exclusive lock on ``<log>.lock`` for the whole publish."""
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise CongkhaiError(
                f"một lần công bố khác đang chạy (đang khóa {lock_path.name}); hãy chờ nó xong"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path``, ``fsync`` it, then rename it over ``path``: a reader
    (or a crash) never sees half a file (tokens, checkpoints, the witness's store)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_pending(log: Log, events: list[dict[str, Any]]) -> Path:
    """Write old lines + new events to ``<log>.pending``: whole or not at all. The file is
    written as ``<log>.pending.tmp``, fsync-ed, then renamed, so that a ``.pending`` log
    that exists always holds every new event (a publish killed while writing leaves only a
    ``.tmp``, which the next publish deletes). The old lines are copied byte for byte, so
    nothing already logged changes."""
    pending = log.path.with_name(log.path.name + ".pending")
    temporary = pending.with_name(pending.name + ".tmp")
    old = log.path.read_bytes() if log.path.exists() else b""
    with open(temporary, "wb") as handle:
        handle.write(old)
        for event in events:
            handle.write(serialise(event))
            fault_point("log-line-written")
        handle.flush()
        fault_point("log-flushed")
        os.fsync(handle.fileno())
    os.replace(temporary, pending)
    fsync_dir(pending.parent)
    fault_point("log-pending-synced")
    return pending


def commit_pending(log: Log, pending: Path) -> None:
    """Make the pending log final: atomic rename over the log, then fsync the folder."""
    old = log.path.read_bytes() if log.path.exists() else b""
    if not pending.read_bytes().startswith(old):  # pragma: no cover - guarded by the lock
        raise CongkhaiError("nhật ký đã bị thay đổi trong khi công bố; không ghi đè")
    fault_point("log-before-rename")
    os.replace(pending, log.path)
    fault_point("log-renamed")
    fsync_dir(log.path.parent)
