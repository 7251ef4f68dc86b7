"""The inspectorate as witness (SPEC §7): follow many offices' logs and keep what was seen.

``witness.yml`` lists the offices (``agencies: [{name, url, key?}]``), the time-stamping
authorities the inspectorate trusts (``tsa: [{name, ca}]``) and the seconds a server may
take (``timeout``, per operation; one request at most :data:`REQUEST_DEADLINE`) and one
office in all per sync (``budget``, :data:`BUDGET`). :func:`sync` locks the store (:func:`store_lock`), then visits every
office, at most :data:`WORKERS` at a time, with :mod:`generator.core.http` (timeouts, size
limits, few redirects; HTML refused):

1. the latest ``checkpoint``: parsed, same origin as before, signed when ``key`` is set;
2. only the new part of ``publication-log.jsonl``, at every sync even when the checkpoint
   did not change (``Range`` from the start of the held last line, which must come back in
   place; else, or when a server ignores Range, the whole file, whose first bytes must be
   the held ones: a log cut or regenerated under an unchanged checkpoint is a conflict). A
   served checkpoint older than one seen but consistent with the held log is no conflict
   (a warning): the served log, not the checkpoint, says whether the log was cut;
3. the new lines only, as the continuation of the held log: the chain from the held last
   event (:func:`generator.ledger.log.chain_problems` with ``after``), and the Merkle heads from
   the held log's frontier (:class:`generator.ledger.merkle.Frontier`, kept in ``state.json``), so
   that a sync costs the new part, not the whole log, in time and memory. The new log is
   the held bytes followed by these lines, so it extends **every** checkpoint held (each
   was checked against the held log when it was accepted, and again whenever the frontier
   has to be worked out from ``log.jsonl``);
4. every checkpoint the office wrote since the last sync: each publish writes its events
   with one ``at`` and then ``checkpoints/<size>``, so the sizes where ``at`` changes in the
   new lines are fetched (after every new event when there are at most :data:`PROBE_ALL`;
   a size not served is skipped; at most :data:`MAX_INTERMEDIATE`), and each must match the
   log's first ``size`` lines, or the two checkpoints are a conflict;
5. the tokens ``checkpoints/<size>.<tsa>.tsr`` of the new checkpoints (and of recent ones
   still without), against the trusted roots;
6. ``minh-chung.json`` (:mod:`generator.website.evidence_facts`) when the log grew: each record's
   kind, attachment kinds and deadline dates, kept only when the event it names in the held
   log has the same record, version and hashes; facts already kept for an event never
   change (a served file that changes them is reported).

The store (plain files, fit for git), one folder per office named after its address::

    <store>/.dong-bo.lock                 the lock of a running sync (see store_lock)
    <store>/<office>/log.jsonl            the held copy of the log (only ever extended)
                     checkpoints/<size>   every checkpoint accepted, and its valid tokens
                     seen.jsonl           {size, root, seen_at, sha256} of each, when first seen
                     tokens.jsonl         {size, tsa, gen_time, sha256, fetched_at} of each token
                     minh-chung.jsonl     the facts of each logged version, when first seen
                     state.json           last attempt, last success, last error, head,
                                          the held log's Merkle frontier
                     conflicts/<time>/    two checkpoints that cannot both be true, and why

A log that no longer extends what was seen is a **conflict**: both checkpoints (the one
held, with its tokens, and the one served now, with the served log when it could be had)
go into ``conflicts/<time>/`` with ``GIAI-THICH.txt``; the held copy is never replaced.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from generator.core import http, paths
from generator.core.config import TIMEZONE
from generator.core.errors import CongkhaiError, Problem
from generator.core.values import format_local, now_rfc3339
from generator.ledger import checkpoints, cosign, merkle
from generator.ledger.attest import duration_text
from generator.ledger.log import Log, chain_problems, write_atomically
from generator.ledger.timestamps import MAX_RESPONSE_BYTES, TimestampError, token_accuracy, verify_token
from generator.website import evidence_facts
from generator.witness.config import (
    CONFLICT,
    ERROR,
    LOG_NAME,
    MAX_CHECKPOINT,
    MAX_FACTS,
    MAX_INTERMEDIATE,
    MAX_LOG,
    OK,
    PROBE_ALL,
    STATE_WORDS,
    TOKEN_RETRIES,
    WORKERS,
    Agency,
    Config,
)
from generator.witness.store import Held, OfficeStore, _Failed, _root, append_line, store_lock

# --- one office -------------------------------------------------------------------------


@dataclass
class Outcome:
    agency: Agency
    state: str
    message: str
    size: int = 0
    new_events: int = 0
    conflict: Path | None = None
    range_used: bool = False

    def line(self) -> str:
        return f"{STATE_WORDS[self.state]}  {self.agency.name} ({self.agency.url}): {self.message}"


class _OutOfTime(_Failed):
    """The office's time budget for this sync is spent (what is left waits for the next)."""


class _Conflict(Exception):
    """The served log does not extend the checkpoint of ``held_size`` seen before (or two
    checkpoints the office serves contradict each other: ``other`` is then the earlier one,
    as served, instead of one held)."""

    def __init__(
        self,
        reason: str,
        held_size: int,
        served_note: bytes,
        served_log: bytes | None = None,
        other: bytes | None = None,
    ):
        self.reason, self.held_size, self.served_note, self.served_log = reason, held_size, served_note, served_log
        self.other = other
        super().__init__(reason)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _log_of(raw: bytes) -> Log:
    events, lines, problems = [], [], []
    for number, line in enumerate(raw.split(b"\n")[:-1], start=1):
        try:
            event = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            problems.append(Problem(LOG_NAME, number, "log", "dòng không phải JSON hợp lệ"))
            continue
        if not isinstance(event, dict):
            problems.append(Problem(LOG_NAME, number, "log", "mỗi dòng phải là một đối tượng JSON"))
            continue
        events.append(event)
        lines.append(number)
    if problems:
        raise CongkhaiError(problems)
    return Log(Path(LOG_NAME), events, lines, raw)


def _publishes(events: list[dict[str, Any]], first_seq: int) -> list[int]:
    """Log sizes at which a publish ended, among ``events`` (the first is event
    ``first_seq``): a publish writes its events with one ``at``, and a checkpoint after them."""
    out = []
    for index, event in enumerate(events[:-1]):
        if event.get("at") != events[index + 1].get("at"):
            out.append(first_seq + index)
    return out


class _Visit:
    """One sync of one office."""

    def __init__(self, agency: Agency, config: Config, store: OfficeStore, client: httpx.Client, now: str):
        self.agency, self.config, self.store, self.client, self.now = agency, config, store, client, now
        self.base = agency.url
        self.deadline = max(config.timeout * 3, 5.0)
        self.stop = time.monotonic() + config.budget
        """The end of this office's budget (``time.monotonic()``)."""
        self.unsigned: str | None = None
        """Why the served checkpoint is not the office's (no valid signature with the key
        pinned): nothing is then accepted, but a conflict is still found and kept."""
        self.range_used = False
        self.state: dict[str, Any] = {}
        """Keys to update in ``state.json`` after the visit."""
        self.notes_words: list[str] = []

    def out_of_time(self) -> str:
        return f"đã hết {self.config.budget:g} giây dành cho cơ quan này trong lần đồng bộ này, phần còn lại để lần sau"

    def get(self, rel: str, what: str, limit: int, budget: bool = True, **kwargs: Any) -> http.Response:
        """One file of the office's site, within the request deadline and (unless
        ``budget`` is False: evidence of a conflict) what is left of the office's budget."""
        deadline = self.deadline
        if budget:
            left = self.stop - time.monotonic()
            if left <= 0:
                raise _OutOfTime(f"{what}: {self.out_of_time()}")
            deadline = min(deadline, left)
        try:
            answer = http.get(self.client, self.base + rel, limit, deadline=deadline, **kwargs)
        except http.FetchError as exc:
            if budget and exc.slow and time.monotonic() >= self.stop - 0.1:
                raise _OutOfTime(f"{what}: {exc.reason}; {self.out_of_time()}") from None
            raise _Failed(f"{what}: {exc.reason}") from None
        if answer.status in (200, 206) and answer.looks_like_html():
            raise _Failed(f"{what}: máy chủ trả về một trang HTML thay vì tệp {rel.rsplit('/', 1)[-1]}")
        return answer

    def evidence_log(self) -> bytes | None:
        """The whole served log, kept as evidence of a conflict (None if it cannot be had)."""
        try:
            return self.whole_log(budget=False)
        except _Failed:
            return None

    def whole_log(self, budget: bool = True) -> bytes:
        return self.get(paths.LOG_JSONL, "nhật ký", MAX_LOG, budget=budget).body

    def held_last_line(self, size: int) -> bytes:
        """The held log's last line, with its newline (the held log has ``size`` bytes)."""
        with open(self.store.log_path, "rb") as handle:
            step = 1 << 16
            while True:
                start = max(0, size - step)
                handle.seek(start)
                piece = handle.read(size - start)
                cut = piece.rfind(b"\n", 0, len(piece) - 1)
                if cut >= 0 or start == 0:
                    return piece[cut + 1 :]
                step *= 4

    def held_starts_with(self, served: bytes) -> bool:
        """Is the served log a beginning of the held one (the held log truncated)?"""
        with open(self.store.log_path, "rb") as handle:
            return handle.read(len(served)) == served

    def not_extending(self, whole: bytes, largest: int, served: checkpoints.Checkpoint) -> _Conflict:
        """The conflict of a served log that does not begin with the held one: truncated (a
        beginning of the held log) or rewritten, and whether it matches even the checkpoint
        the office serves beside it (an office keeping its old checkpoint over a new log)."""
        leaves = merkle.log_leaves(whole)
        if self.held_starts_with(whole):
            reason = (
                f"nhật ký đang phục vụ chỉ còn {len(leaves)} dòng, ít hơn checkpoint {largest} đã thấy: "
                "nhật ký đã bị cắt bớt"
            )
        else:
            reason = "nhật ký đang phục vụ không còn bắt đầu bằng bản đã lưu: nhật ký đã bị viết lại"
        if len(leaves) < served.size or merkle.Tree(leaves[: served.size]).head() != served.root:
            reason += f"; nó cũng không khớp checkpoint {served.size} mà chính cơ quan đang phục vụ bên cạnh"
        return _Conflict(reason, largest, served.note, whole)

    def starts_with_held(self, served: bytes, size: int) -> bool:
        """Do the served bytes begin with the held log (compared piece by piece)?"""
        if len(served) < size:
            return False
        view = memoryview(served)
        with open(self.store.log_path, "rb") as handle:
            offset = 0
            while chunk := handle.read(1 << 20):
                if view[offset : offset + len(chunk)] != chunk:
                    return False
                offset += len(chunk)
        return True

    def new_part(self, held: int, largest: int, served: checkpoints.Checkpoint) -> bytes:
        """The served log's bytes after the ``held`` ones. Asked with ``Range`` from the
        start of the held last line, at every sync, even when the checkpoint did not change:
        the answer must begin with that line, at that place, or the served log no longer
        extends the held one (the last line carries the hash of the chain before it, so a
        log rewritten anywhere before it, or cut, cannot end with it at the same place).
        When the server sends the whole file (or the overlap differs), its beginning must be
        the held log byte for byte, or this is a conflict (with the served log as evidence)."""
        if not held:
            return self.whole_log()
        last = self.held_last_line(held)
        start = held - len(last)
        answer = self.get(paths.LOG_JSONL, "nhật ký", MAX_LOG, headers={"Range": f"bytes={start}-"}, ok=(200, 206, 416))
        if answer.status == 206:
            match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", answer.headers.get("Content-Range", ""))
            if not match or int(match.group(1)) != start:
                raise _Failed("nhật ký: máy chủ trả về một đoạn khác đoạn đã hỏi (Content-Range sai)")
            if answer.body[: len(last)] == last:
                self.range_used = True
                return answer.body[len(last) :]
        whole = answer.body if answer.status == 200 else self.whole_log()  # 416: shorter than the held log
        if not self.starts_with_held(whole, held):
            raise self.not_extending(whole, largest, served)
        return whole[held:]

    def parse_note(
        self, body: bytes, where: str, first: checkpoints.Checkpoint | None
    ) -> tuple[checkpoints.Checkpoint, str | None]:
        """The checkpoint, and why it is not the office's when the key is pinned and its
        signature is missing or not valid (None: it is). The caller still compares it with
        what was seen: a rewrite signed with another key is a conflict all the same."""
        try:
            note = checkpoints.parse(body, where)
        except CongkhaiError as exc:
            raise _Failed(str(exc.problems[0].message)) from None
        if first is not None and note.origin != first.origin:
            raise _Failed(f"{where}: nguồn '{note.origin}' khác nguồn đã thấy '{first.origin}'")
        if self.agency.key is not None and not checkpoints.signed_by(note, self.agency.key_name or "", self.agency.key):
            return note, f"{where} {note.size}: không có chữ ký hợp lệ của cơ quan (khóa {self.agency.key_name})"
        return note, None

    def run(self) -> Outcome:
        notes = self.store.notes()
        held = self.store.held_tree(notes)
        first = checkpoints.parse(notes[min(notes)]) if notes else None
        answer = self.get(paths.CHECKPOINT, "checkpoint", MAX_CHECKPOINT)
        served, self.unsigned = self.parse_note(answer.body, "checkpoint", first)
        largest = max(notes) if notes else 0
        if served.size in notes and _root(notes[served.size]) != served.root:
            raise _Conflict(
                f"checkpoint {served.size} đang phục vụ có mã gốc khác checkpoint {served.size} đã thấy: "
                "cùng số sự kiện nhưng nội dung khác, nhật ký đã bị viết lại",
                served.size,
                served.note,
                self.evidence_log(),
            )
        if served.size < largest and served.size not in notes:
            # an older checkpoint: it must be one of the held log (a stale one, served by
            # mistake, is no conflict: the log below says whether the log was cut)
            tree = merkle.Tree(merkle.log_leaves(self.store.held()))
            if tree.head(0, served.size) != served.root:
                raise _Conflict(
                    f"checkpoint đang phục vụ ({served.size} sự kiện) không khớp {served.size} dòng đầu của "
                    f"nhật ký mà checkpoint {largest} đã thấy xác nhận: nhật ký đã bị viết lại",
                    largest,
                    served.note,
                    self.evidence_log(),
                )
        tail = self.new_part(held.bytes, largest, served)
        try:
            grown, roots, publishes = self.check(tail, held, served, largest)
        except _Failed:
            if not self.range_used:
                raise
            whole = self.whole_log()  # the new part did not fit: look at the whole served log
            if not self.starts_with_held(whole, held.bytes):
                raise _Conflict(
                    "nhật ký đang phục vụ không còn bắt đầu bằng bản đã lưu: nhật ký đã bị viết lại",
                    largest,
                    served.note,
                    whole,
                ) from None
            raise
        if self.unsigned:  # consistent with what was seen, but not the office's: nothing accepted
            raise _Failed(self.unsigned)
        found, problems = self.intermediate(publishes, roots, served, first)
        if tail:
            with open(self.store.log_path, "ab") as handle:
                handle.write(tail)
                handle.flush()
                os.fsync(handle.fileno())
        for note in [*found, served]:
            if note.size not in notes:
                self.keep(note)
                notes[note.size] = note.note
        problems += self.fetch_tokens([n.size for n in [*found, served]], notes)
        problems += self.cosignature_problems(served)
        try:
            problems += self.sync_facts(grown.size, grown.size - held.size)
        except _OutOfTime as exc:
            problems.append(str(exc))
        if found:
            self.notes_words.append(f"thêm {len(found)} checkpoint trung gian")
        if served.size < grown.size:
            words = f"cảnh báo: checkpoint đang phục vụ ({served.size}) chậm hơn nhật ký ({grown.size} sự kiện)"
            if served.size < largest:
                words += (
                    f", cũ hơn checkpoint {largest} đã thấy; nhật ký vẫn khớp mọi checkpoint đã thấy, không bị cắt bớt"
                )
            self.notes_words.append(words)
        return self.accepted(held, grown, served, problems)

    def check(
        self, tail: bytes, held: Held, served: checkpoints.Checkpoint, largest: int
    ) -> tuple[Held, dict[int, bytes], list[int]]:
        """Check the new lines as the continuation of the held log (chain from the held last
        event, Merkle heads from the held frontier): the held checkpoints need no second
        look, since the new log is the held bytes followed by these. Raise _Failed if the
        new lines are not sound or do not match ``served``; return the grown log, the heads
        at the sizes where a publish ended, and those sizes."""
        if tail and not tail.endswith(b"\n"):
            raise _Failed("nhật ký: dòng cuối bị cắt dở (câu trả lời không trọn vẹn hoặc tệp đang ghi dở)")
        try:
            log = _log_of(tail)
        except CongkhaiError as exc:
            problem = exc.problems[0]
            raise _Failed(f"nhật ký: {LOG_NAME}:{problem.line + held.size}: {problem.message}") from None
        chain = chain_problems(log, LOG_NAME, after=held.last)
        if chain:
            more = f" (và {len(chain) - 1} lỗi khác)" if len(chain) > 1 else ""
            raise _Failed(f"chuỗi nhật ký hỏng: {chain[0]}{more}")
        total = held.size + len(log.events)
        if served.size > total:
            raise _Failed(f"checkpoint có {served.size} sự kiện nhưng nhật ký đang phục vụ chỉ có {total}")
        if served.size - held.size <= PROBE_ALL:  # few new events: ask for a checkpoint after each
            candidates = list(range(held.size + 1, served.size))
        else:
            candidates = _publishes(log.events, held.size + 1)
        publishes = [s for s in candidates if largest < s < served.size][-MAX_INTERMEDIATE:]
        wanted = {*publishes, served.size}
        frontier = held.frontier.copy()
        roots: dict[int, bytes] = {}
        if frontier.size in wanted:
            roots[frontier.size] = frontier.head()
        for line in tail.split(b"\n")[:-1]:
            frontier.append(merkle.leaf_hash(line))
            if frontier.size in wanted:
                roots[frontier.size] = frontier.head()
        if served.size >= held.size and roots[served.size] != served.root:  # an older one was compared before
            raise _Failed(f"checkpoint {served.size} không khớp {served.size} dòng đầu của nhật ký đang phục vụ")
        last = log.events[-1] if log.events else None
        grown = Held(
            held.bytes + len(tail),
            frontier,
            {"seq": last["seq"], "hash": last["hash"], "at": last["at"]} if last else held.last,
        )
        return grown, roots, publishes

    def intermediate(
        self,
        sizes: list[int],
        roots: dict[int, bytes],
        served: checkpoints.Checkpoint,
        first: checkpoints.Checkpoint | None,
    ) -> tuple[list[checkpoints.Checkpoint], list[str]]:
        """The checkpoints the office wrote after each publish since the last sync
        (``checkpoints/<size>``; a size not served is skipped), each checked against the log.
        One that cannot be had or read is a problem of this sync (the log, matching the
        latest checkpoint, is still accepted); one that contradicts the log is a conflict."""
        found, problems = [], []
        for index, size in enumerate(sizes):
            try:
                answer = self.get(paths.checkpoint_file(size), f"checkpoint {size}", MAX_CHECKPOINT, ok=(200, 404))
                if answer.status == 404:
                    continue
                note, unsigned = self.parse_note(answer.body, f"checkpoints/{size}", first or served)
                if note.size != size:
                    raise _Failed(f"checkpoints/{size}: ghi {note.size} sự kiện, không phải {size}")
            except _OutOfTime as exc:
                problems.append(f"{exc}; bỏ qua {len(sizes) - index} checkpoint trung gian")
                break
            except _Failed as exc:
                problems.append(str(exc))
                continue
            if note.root != roots[size]:
                raise _Conflict(
                    f"checkpoint {size} cơ quan đang phục vụ không khớp {size} dòng đầu của nhật ký mà checkpoint "
                    f"{served.size} xác nhận: hai checkpoint của cùng cơ quan mâu thuẫn, nhật ký đã bị viết lại",
                    size,
                    served.note,
                    self.evidence_log(),
                    other=note.note,
                )
            if unsigned:
                problems.append(unsigned)
                continue
            found.append(note)
        return found, problems

    def keep(self, note: checkpoints.Checkpoint) -> None:
        write_atomically(self.store.checkpoints / str(note.size), note.note)
        append_line(
            self.store.folder / "seen.jsonl",
            {
                "size": note.size,
                "root": base64.b64encode(note.root).decode(),
                "seen_at": self.now,
                "sha256": _sha(note.note),
            },
        )

    def cosignature_problems(self, served: checkpoints.Checkpoint) -> list[str]:
        """The witnesses of ``witnesses:`` whose valid cosignature the served checkpoint lacks
        (SPEC §4c: a split view, one log for the witnesses and another for the public, shows
        as a served checkpoint without them)."""
        out = []
        for witness in self.config.witnesses:
            when = cosign.cosignatures(served.note, witness.key)
            if when is None:
                out.append(
                    f"checkpoint {served.size} đang phục vụ thiếu chữ ký xác nhận hợp lệ của nhân chứng {witness.name}"
                )
        return out

    def fetch_tokens(self, sizes: list[int], notes: dict[int, bytes]) -> list[str]:
        """Fetch and verify the tokens of the checkpoints ``sizes`` (and of a few earlier
        ones still without); store the valid ones. Returns the problems."""
        problems: list[str] = []
        known = {(t.get("size"), t.get("tsa")) for t in self.store.token_times()}
        for tsa in self.config.tsas:
            retries = [s for s in sorted(notes, reverse=True) if s not in sizes and (s, tsa.name) not in known]
            for at_size in [*sizes, *retries[:TOKEN_RETRIES]]:
                if (at_size, tsa.name) in known:
                    continue
                rel = paths.token_file(at_size, tsa.name)
                try:
                    answer = self.get(
                        rel, f"dấu thời gian {tsa.name} của checkpoint {at_size}", MAX_RESPONSE_BYTES, ok=(200, 404)
                    )
                except _OutOfTime as exc:
                    problems.append(str(exc))
                    return problems
                except _Failed as exc:
                    problems.append(str(exc))
                    continue
                if answer.status == 404:
                    continue
                try:
                    when = verify_token(answer.body, cosign.office_note(notes[at_size]), tsa.root_pem)
                except TimestampError as exc:
                    problems.append(f"dấu thời gian {tsa.name} của checkpoint {at_size} không hợp lệ: {exc.reason}")
                    continue
                if tsa.accuracy_seconds is not None and token_accuracy(answer.body) > dt.timedelta(
                    seconds=tsa.accuracy_seconds
                ):
                    problems.append(
                        f"dấu thời gian {tsa.name} của checkpoint {at_size}: độ chính xác "
                        f"{duration_text(token_accuracy(answer.body))} lớn hơn "
                        f"{duration_text(dt.timedelta(seconds=tsa.accuracy_seconds))} mà chính sách tin cậy chấp nhận"
                    )
                    continue
                write_atomically(self.store.checkpoints / f"{at_size}.{tsa.name}.tsr", answer.body)
                append_line(
                    self.store.folder / "tokens.jsonl",
                    {
                        "size": at_size,
                        "tsa": tsa.name,
                        "gen_time": when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
                        "sha256": _sha(answer.body),
                        "fetched_at": self.now,
                    },
                )
                known.add((at_size, tsa.name))
        return problems

    def sync_facts(self, size: int, new: int) -> list[str]:
        """Fetch ``minh-chung.json`` when the log grew (or its facts were not yet had for
        this size) and keep each entry that matches the event it names in the held log.
        Returns the problems (entries that do not match the log, or that differ from the
        facts already kept for the same event)."""
        before = self.store.state().get("facts")
        if not new and isinstance(before, dict) and before.get("size") == size:
            self.state["facts"] = before
            if before.get("served") is False:
                self.notes_words.append(FACTS_ABSENT)
            return []
        answer = self.get(paths.EVIDENCE_FACTS, "minh-chung.json", MAX_FACTS, ok=(200, 404))
        if answer.status == 404:
            self.state["facts"] = {"size": size, "served": False, "at": self.now}
            self.notes_words.append(FACTS_ABSENT)
            return []
        try:
            data = json.loads(answer.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return ["minh-chung.json: không phải JSON hợp lệ"]
        entries = data.get("records") if isinstance(data, dict) else None
        if not isinstance(data, dict) or data.get("format") != evidence_facts.FORMAT or not isinstance(entries, list):
            return [f"minh-chung.json: không đúng định dạng {evidence_facts.FORMAT}"]
        wanted = {e.get("seq") for e in entries if isinstance(e, dict)}
        events: dict[int, dict[str, Any]] = {}
        with open(self.store.log_path, "rb") as handle:
            for seq, line in enumerate(handle, start=1):
                if seq in wanted:
                    events[seq] = json.loads(line)
        kept = {(f.get("id"), f.get("seq")): f for f in self.store.facts()}
        bad: list[str] = []
        added = 0
        for entry in entries:
            problem = _facts_problem(entry, events, size)
            if problem == "later":
                continue  # names an event published after the log was fetched: next time
            if problem:
                bad.append(problem)
                continue
            item = {k: entry[k] for k in FACT_KEYS}
            before_item = kept.get((item["id"], item["seq"]))
            if before_item is not None:
                if {k: before_item.get(k) for k in FACT_KEYS} != item:
                    bad.append(
                        f"{item['id']} phiên bản {item['version']}: thông tin khác lần trước đã thấy "
                        f"({before_item.get('seen_at')}), giữ bản cũ"
                    )
                continue
            append_line(self.store.facts_path, {**item, "seen_at": self.now})
            kept[(item["id"], item["seq"])] = item
            added += 1
        self.state["facts"] = {"size": size, "served": True, "at": self.now, "sha256": _sha(answer.body)}
        if not bad:
            return []
        more = f" (và {len(bad) - 3} mục khác)" if len(bad) > 3 else ""
        return ["minh-chung.json không khớp nhật ký: " + "; ".join(bad[:3]) + more]

    def accepted(self, held: Held, grown: Held, served: checkpoints.Checkpoint, problems: list[str]) -> Outcome:
        self.state["tree"] = grown.as_state()
        new = grown.size - held.size
        stamped = sorted(t["tsa"] for t in self.store.token_times() if t.get("size") == served.size)
        words = f"{grown.size} sự kiện (" + (f"thêm {new}" if new else "không có gì mới") + ")"
        words += f", checkpoint {served.size}"
        words += (
            f", dấu thời gian: {', '.join(stamped)}"
            if stamped
            else (", chưa có dấu thời gian" if self.config.tsas else "")
        )
        if self.range_used:
            words += ", chỉ tải phần mới"
        words += "".join(f", {w}" for w in self.notes_words)
        if problems:
            return Outcome(
                self.agency, ERROR, words + "; " + "; ".join(problems), served.size, new, None, self.range_used
            )
        return Outcome(self.agency, OK, words, served.size, new, None, self.range_used)

    def record_conflict(self, conflict: _Conflict) -> Path:
        """Write both checkpoints into ``conflicts/<time>/`` (once per pair) with an explanation."""
        held_note = conflict.other or self.store.notes()[conflict.held_size]
        served_note = conflict.served_note
        pair = _sha(held_note + b"\n--\n" + served_note)
        if served_note == held_note and conflict.served_log is not None:  # one checkpoint: the logs differ
            pair = _sha(held_note + b"\n--\n" + conflict.served_log)
        if self.store.conflicts.is_dir():
            for folder in sorted(self.store.conflicts.iterdir()):
                if (folder / "cap.sha256").is_file() and (folder / "cap.sha256").read_text().strip() == pair:
                    return folder
        stamp = re.sub(r"[^0-9T]", "", self.now[:19])
        folder = self.store.conflicts / stamp
        n = 1
        while folder.exists():
            n += 1
            folder = self.store.conflicts / f"{stamp}-{n}"
        folder.mkdir(parents=True)
        served_cp = checkpoints.parse(served_note)
        if conflict.other is None:
            held_name = f"checkpoint-da-thay-{conflict.held_size}"
        else:
            held_name = f"checkpoint-dang-phuc-vu-{conflict.held_size}"
        served_name = f"checkpoint-dang-phuc-vu-{served_cp.size}"
        (folder / held_name).write_bytes(held_note)
        (folder / served_name).write_bytes(served_note)
        if conflict.other is None:
            for tsa, token in self.store.tokens(conflict.held_size).items():
                (folder / f"{held_name}.{tsa}.tsr").write_bytes(token)
        if conflict.served_log is not None:
            (folder / "nhat-ky-dang-phuc-vu.jsonl").write_bytes(conflict.served_log)
        seen = {item.get("size"): item.get("seen_at") for item in self.store.seen()}
        when = seen.get(conflict.held_size)
        if conflict.other is None:
            first_line = (
                f"- {held_name}: Thanh tra đã thấy và lưu"
                + (f" lúc {format_local(when, TIMEZONE, with_time=True)} ({when})" if when else "")
                + f"; SHA-256 {_sha(held_note)}; bản nhật ký tương ứng là log.jsonl của thư mục cơ quan trong kho."
            )
        else:
            first_line = (
                f"- {held_name}: cơ quan đang phục vụ tại {self.agency.url}{paths.checkpoint_file(conflict.held_size)}"
                f"; SHA-256 {_sha(held_note)}."
            )
        if served_note == held_note:
            pair_lines = [
                "Cơ quan vẫn phục vụ đúng checkpoint đã thấy, nhưng nhật ký cơ quan đang phục vụ "
                "(nhat-ky-dang-phuc-vu.jsonl) không còn khớp nó:",
            ]
        else:
            pair_lines = ["Hai checkpoint dưới đây không thể cùng đúng với một nhật ký chỉ được ghi thêm:"]
        lines = [
            f"Cơ quan: {self.agency.name} ({self.agency.url})",
            f"Phát hiện lúc: {format_local(self.now, TIMEZONE, with_time=True)} ({self.now})",
            "",
            f"Kết luận: {conflict.reason}.",
            "",
            *pair_lines,
            first_line,
            f"- {served_name}: cơ quan đang phục vụ tại {self.agency.url}{paths.CHECKPOINT}; SHA-256 {_sha(served_note)}.",
            *(
                [
                    f"- nhat-ky-dang-phuc-vu.jsonl: {self.agency.url}{paths.LOG_JSONL}; SHA-256 {_sha(conflict.served_log)}."
                ]
                if conflict.served_log is not None
                else []
            ),
            "",
            f"Mã gốc (Merkle) của {conflict.held_size} dòng đầu của nhật ký đang phục vụ không bằng mã gốc của "
            f"{held_name}, hoặc nhật ký đang phục vụ có ít dòng hơn: các sự kiện đã công bố đã bị sửa, xóa hoặc "
            "viết lại (ví dụ đổi ngày về trước), rồi nhật ký được tính lại từ đầu.",
            "Bản đã lưu không bị thay thế; mỗi lần đồng bộ sau vẫn so với checkpoint đã thấy.",
            "",
            "Kiểm tra lại: chạy đoạn mã Python trong README (For auditors) với log.jsonl và checkpoint đã thấy (khớp),",
            "rồi với nhat-ky-dang-phuc-vu.jsonl (nếu có) và checkpoint đã thấy (không khớp).",
            "Dấu thời gian (.tsr) kèm theo chứng minh checkpoint đã thấy tồn tại từ thời điểm ghi trong đó:",
            f"  openssl ts -verify -in {held_name}.<tsa>.tsr -data {held_name} -CAfile <chứng thư gốc của TSA>",
        ]
        (folder / "GIAI-THICH.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / "cap.sha256").write_text(pair + "\n")
        return folder


FACT_KEYS = (
    "id",
    "seq",
    "version",
    "content_sha256",
    "category",
    "kind",
    "attachments",
    "posting_minutes",
    "withdrawn",
    "fields",
)
FACTS_ABSENT = "cơ quan chưa phục vụ minh-chung.json (bản congkhai cũ): chưa biết minh chứng theo loại"


def _facts_problem(entry: Any, events: dict[int, dict[str, Any]], size: int) -> str | None:
    """Why one entry of ``minh-chung.json`` cannot be kept (None: it can; ``later``: it
    names an event the held log does not have yet)."""
    if not isinstance(entry, dict) or any(k not in entry for k in FACT_KEYS):
        return "một mục thiếu khóa"
    name, seq = entry["id"], entry["seq"]
    if not isinstance(seq, int) or not isinstance(name, str):
        return "một mục có id hoặc seq sai kiểu"
    if seq > size:
        return "later"
    attachments, fields = entry["attachments"], entry["fields"]
    if (
        not isinstance(attachments, list)
        or not all(isinstance(a, dict) and isinstance(a.get("kind"), str | None) for a in attachments)
        or not isinstance(fields, dict)
        or not all(isinstance(v, list) for v in fields.values())
        or not isinstance(entry["kind"], str | None)
        or not isinstance(entry["category"], str)
    ):
        return f"{name}: sai kiểu dữ liệu"
    event = events.get(seq)
    if event is None or event.get("id") != name:
        return f"{name}: sự kiện {seq} của nhật ký không phải của bản ghi này"
    logged = [(a.get("file"), a.get("sha256")) for a in event.get("attachments") or []]
    if (
        event.get("version") != entry["version"]
        or event.get("content_sha256") != entry["content_sha256"]
        or event.get("category") != entry["category"]
        or logged != [(a.get("file"), a.get("sha256")) for a in attachments]
        or (event.get("event") == "withdrawn") != bool(entry["withdrawn"])
    ):
        return f"{name} (sự kiện {seq}): phiên bản, mã băm hoặc tệp đính kèm khác nhật ký"
    return None


def sync_office(agency: Agency, config: Config, store: Path, client: httpx.Client, now: str | None = None) -> Outcome:
    """Visit one office; every failure is this office's outcome, never an exception."""
    now = now or now_rfc3339()
    office = OfficeStore(store / agency.slug)
    office.folder.mkdir(parents=True, exist_ok=True)
    state = office.state()
    state.update(name=agency.name, url=agency.url, last_attempt=now)
    visit = _Visit(agency, config, office, client, now)
    try:
        outcome = visit.run()
    except _Failed as exc:
        outcome = Outcome(agency, ERROR, str(exc))
    except _Conflict as exc:
        if visit.unsigned:
            exc.reason += f" ({visit.unsigned}: có thể đã được ký lại bằng khóa khác)"
        try:
            folder = visit.record_conflict(exc)
        except (CongkhaiError, OSError, KeyError) as again:
            outcome = Outcome(agency, CONFLICT, f"{exc.reason}; không ghi được bằng chứng ({again})")
        else:
            outcome = Outcome(agency, CONFLICT, f"{exc.reason}; bằng chứng: {folder}", conflict=folder)
    except Exception as exc:  # one office's surprise never stops the others
        outcome = Outcome(agency, ERROR, f"lỗi không lường trước khi kiểm tra ({exc.__class__.__name__}: {exc})")
    state.update(visit.state)
    state["state"] = outcome.state
    if outcome.state == OK:
        state["last_ok"] = now
        state["last_error"] = None
    else:
        state["last_error"] = {"at": now, "message": outcome.message}
    if outcome.conflict is not None:
        state["conflicts"] = sorted({*state.get("conflicts", []), outcome.conflict.name})
    tree = state.get("tree")
    if isinstance(tree, dict) and tree.get("bytes") == office.held_bytes() and tree.get("last"):
        state["head"] = tree["last"]
        state["size"] = tree["size"]
    office.write_state(state)
    return outcome


def sync(
    config: Config,
    store: Path,
    workers: int = WORKERS,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Visit every office, at most ``workers`` at a time; outcomes in the order of
    ``witness.yml``. The store is locked for the whole sync (:func:`store_lock`)."""
    with store_lock(store):
        now = now_rfc3339()
        with (
            http.client(  # as the public's browsers ask: an office cannot show the witness another log
                timeout=config.timeout, max_redirects=3, connections=workers * 2, user_agent=http.BROWSER_AGENT
            ) as client,
            ThreadPoolExecutor(max_workers=max(1, min(workers, WORKERS))) as pool,
        ):
            futures = [pool.submit(sync_office, agency, config, store, client, now) for agency in config.agencies]
            outcomes = []
            for future in futures:
                outcome = future.result()
                if progress is not None:
                    progress(outcome)
                outcomes.append(outcome)
        return outcomes
