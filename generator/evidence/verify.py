"""``congkhai verify``: what an auditor checks, without taking the office's word.

In the repository (SPEC §4, §4a):

- the chain (``seq``, ``prev``, ``hash``, ``at`` never going back) and that every line is in
  canonical form (:func:`generator.ledger.log.chain_problems`);
- every record's latest logged ``content_sha256`` against its file;
- every checkpoint kept beside the log: it must be a tree head of the log's first ``size``
  lines (a rewritten, truncated or forked log no longer matches), with the log's origin,
  and signed by the office's key when one is configured;
- the logged verdict on each PDF attachment's digital signatures (``attachments[].signature``)
  against a recheck of the file of that SHA-256 (:func:`_signature_problems`);
- outside copies: ``--pin SEQ:HASH`` (a head copied from an archived page) and ``--since``
  (an earlier download of the log, or an earlier checkpoint) must be extended by the log.

On a served site (``--site DIR`` or ``--url URL``, SPEC §4b):

- the served ``publication-log.jsonl`` is byte for byte the repository's, and the served
  checkpoint is the latest one kept;
- every published record (withdrawn ones too, with their banner) is served, shows its
  logged hash, and the footer head of its page is a head of the log;
- the dates and figures a record page shows (dd/mm/yyyy dates, amounts with thousands
  dots, SHA-256 hashes) in its article and in its description are those of the page
  rendered from its logged version (:func:`_expected_facts`);
- every logged attachment is served with its logged SHA-256.

The records are loaded first, on every core, then the served pages are checked by forked
workers (:mod:`generator.core.parallel`, ``CONGKHAI_JOBS``): what needs only the log, then the
comparison with the rendered pages; the problems are those, in the order, of one process.

Every problem names the log line of the event it concerns: ``<log>:<line>: <key>: seq N: …``.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import markdown
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from generator.core import http, parallel, paths, progress
from generator.core.config import TIMEZONE, Settings
from generator.core.errors import CongkhaiError, Problem
from generator.core.values import format_local, parse_instant
from generator.ledger import attest, checkpoints, cosign, merkle
from generator.ledger.anchors import Anchors
from generator.ledger.log import Log, RecordHistory, chain_problems, line_of_seq, read_log
from generator.ledger.trust import TrustedOffice, TrustPolicy
from generator.records import signatures
from generator.website import pipeline
from generator.website.render import Renderer
from generator.website.site import Site
from generator.website.templating import environment

MAX_FETCH = 64 * 1024 * 1024
"""Largest file fetched from a served site."""
_FACT = re.compile(r"(?=[\da-f])(?:\b\d{2}/\d{2}/\d{4}\b|\b\d{1,3}(?:\.\d{3})+\b|\b[0-9a-f]{64}\b)")
"""dd/mm/yyyy dates, amounts with thousands dots, SHA-256 hashes. The look-ahead only makes
the search skip at once the places where none of them can start."""
_TAG = re.compile(r"<[^>]+>")
_ARTICLE = re.compile(r"<article\b.*?</article>", re.S)
_DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)"')
_FOOTER_HEAD = re.compile(r'class="ck-loghead__seq">(\d+)</span>.*?class="ck-loghead__hash">([0-9a-f]{64})<', re.S)


class Served:
    """Files of a served site: a folder, or a URL fetched over HTTP."""

    def __init__(self, site_dir: Path | None, url: str | None):
        self.site_dir, self.url = site_dir, url
        self._client: httpx.Client | None = None
        self._pid = os.getpid()
        self._gave_up: str | None = None  # a server too slow once is not waited for again

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None and self._pid == os.getpid():
            self._client.close()

    def _http(self) -> httpx.Client:
        """This process's client: a forked worker opens its own connections, never the
        parent's."""
        if self._client is None or self._pid != os.getpid():
            # as the public's browsers ask: an office serving another site to congkhai is seen
            self._client, self._pid = http.client(timeout=15, user_agent=http.BROWSER_AGENT), os.getpid()
        return self._client

    def where(self, rel: str, logged_url: str) -> str:
        return (self.url.rstrip("/") + "/" + rel) if self.url else logged_url

    def get(self, rel: str) -> tuple[bytes | None, str | None]:
        """(bytes, problem) of the file at ``rel``; a path ending in ``/`` is that page's
        ``index.html``."""
        if self.site_dir is not None:
            target = self.site_dir / rel / "index.html" if rel.endswith("/") or not rel else self.site_dir / rel
            if not target.is_file():
                return None, "không có trong thư mục trang"
            return target.read_bytes(), None
        assert self.url is not None
        if self._gave_up:
            return None, self._gave_up
        address = self.url.rstrip("/") + "/" + quote(rel)
        try:
            data = http.get(self._http(), address, MAX_FETCH, deadline=120).body
        except http.FetchError as exc:
            if exc.slow:
                self._gave_up = f"không tải (máy chủ đã quá chậm ở một tệp trước: {exc.reason})"
            if exc.status is not None:
                return None, f"máy chủ trả về lỗi {exc.status}"
            if exc.reason.startswith("tệp lớn hơn"):
                return None, f"tệp lớn hơn {MAX_FETCH // (1024 * 1024)} MB"
            return None, f"không truy cập được ({exc.reason})"
        return data, None


def verify(
    settings: Settings,
    site_dir: Path | None = None,
    url: str | None = None,
    pins: Sequence[str] = (),
    since: Sequence[str] = (),
    policy: TrustPolicy | None = None,
) -> tuple[list[Problem], Log, list[Problem]]:
    """Every check of the module doc that applies; returns (problems, log, notes). A note is
    no problem of the evidence: a record file changed since its logged version (an edit not
    yet published; what was published is the logged hash, and a served page that differs from
    it is a problem of its own). With a trust
    policy (SPEC §4c), every TSA root, tolerance and the office's verifier key come from it,
    never from ``settings`` (the office's own configuration)."""
    name = paths.relpath(settings.log_path, settings.root)
    log = read_log(settings.log_path, name)
    problems = chain_problems(log, name)
    notes: list[Problem] = []
    with contextlib.ExitStack() as stack:
        checks = served = None
        if site_dir is not None or url is not None:
            served = stack.enter_context(Served(site_dir, url))
            checks = _PageChecks(settings, log, served, name)  # the log-only checks start, in a process of their own
            stack.callback(checks.close)
        try:  # meanwhile, on every core: the records
            site: Site | None = pipeline.load(settings)
        except CongkhaiError as exc:
            problems += exc.problems
            site = None
        anchors = pipeline.load_anchors(settings)
        tree = merkle.Tree(merkle.log_leaves(log.raw))
        problems += _checkpoint_problems(settings, log, tree, anchors.notes, name, policy, served, url)
        problems += _time_problems(settings, log, anchors, name, policy)
        if policy is not None and policy.required_cosignatures > 0:
            problems += _cosignature_problems(policy, *_latest_checkpoint(settings, log, anchors, served, name))
        problems += _pin_problems(log, pins, name)
        problems += _since_problems(log, tree, since, name)
        if site is not None:
            found, noted = _signature_problems(settings, log, site, name, policy)
            problems, notes = problems + found, notes + noted
        current = {r.key: r for r in site.records} if site else {}
        for key, history in sorted(log.histories().items()):
            latest = history.latest
            record = current.get(key)
            if record is None:
                if site is not None:
                    problems.append(_about(log, name, latest["seq"], "id", f"{key}: không còn bản ghi trong kho"))
            elif record.sha256 != latest["content_sha256"]:
                notes.append(
                    _about(
                        log,
                        name,
                        latest["seq"],
                        "content_sha256",
                        f"{key}: tệp {record.relpath} đã sửa sau phiên bản đã công bố; thay đổi này chưa công bố",
                    )
                )
        if checks is not None and served is not None:
            problems += _served_problems(settings, log, site, anchors.notes, served, name, checks)
    return problems, log, notes


def _about(log: Log, name: str, seq: int, field: str, message: str) -> Problem:
    return Problem(name, line_of_seq(log, seq), field, f"seq {seq}: {message}")


# --- the repository ---------------------------------------------------------------------


def _signature_problems(
    settings: Settings, log: Log, site: Site, name: str, policy: TrustPolicy | None
) -> tuple[list[Problem], list[Problem]]:
    """(problems, notes): each logged verdict on a PDF attachment's signatures, rechecked on
    the repository's file of the logged SHA-256. The checker decides whom to trust: with a
    trust policy only its ``signature_roots`` count (the office's do not), and a log claiming
    more than the recheck finds (a signature called valid whose root the policy does not
    trust, another signer), or a broken signature or a file changed after signing, is a
    problem; a policy without ``signature_roots`` judges only what needs no root. Without a
    policy the recheck uses the office's own roots and every difference is only a note."""
    logged = [
        (event, index, entry)
        for event in log.events
        for index, entry in enumerate(event.get("attachments") or [])
        if isinstance(entry, dict) and isinstance(entry.get("signature"), dict)
    ]
    if not logged:
        return [], []
    if policy is None:
        roots, basis = signatures.roots_of(settings), "gốc chứng thư của chính cơ quan (signature_roots)"
    elif policy.signature_roots is None:
        roots, basis = signatures.NO_ROOTS, f"chính sách tin cậy {policy.source}, không có signature_roots"
    else:
        roots, basis = policy.signature_roots, f"gốc chứng thư của chính sách tin cậy {policy.source}"
    files = {a.sha256: a.path for record in site.records for a in record.attachments}
    latest = {history.latest["seq"] for history in log.histories().values()}
    problems: list[Problem] = []
    notes: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    unjudged = 0
    for event, index, entry in logged:
        seq, field = event["seq"], f"attachments[{index + 1}].signature"
        what = f"{event.get('id')}: tệp '{entry.get('file')}'"
        path = files.get(str(entry.get("sha256")))
        if path is None:
            if seq in latest:
                message = f"{what}: không còn tệp có mã SHA-256 đã ghi trong kho, chưa kiểm tra lại được chữ ký số"
                notes.append(_about(log, name, seq, field, message))
            continue
        key = (str(entry["sha256"]), json.dumps(entry["signature"], sort_keys=True))
        if key in seen:
            continue
        seen.add(key)
        result = signatures.check_file(path, roots, str(entry["sha256"]))
        if result is None:
            message = f"{what}: nhật ký ghi kết quả kiểm tra chữ ký số cho một tệp không phải PDF đọc được"
            (problems if policy is not None else notes).append(_about(log, name, seq, field, message))
            continue
        differs = signatures.disagreement(entry["signature"], result)
        broken = result.status in ("broken", "modified")
        if differs is None and not broken:
            continue
        if differs is not None and differs.trust_only and policy is not None and policy.signature_roots is None:
            unjudged += 1
            continue
        text = differs.text if differs is not None else f"chữ ký số: {signatures.LABELS[result.status]}"
        serious = policy is not None and (broken or (differs is not None and differs.claims_more))
        message = f"{what}: {text} (kiểm tra lại theo {basis})"
        (problems if serious else notes).append(_about(log, name, seq, field, message))
    if unjudged and policy is not None:
        notes.append(
            Problem(
                name,
                len(log.events) or 1,
                "signature_roots",
                f"chính sách tin cậy {policy.source} không khai báo signature_roots: chưa xác minh được chữ ký số "
                f"của {unjudged} tệp PDF có dẫn tới chứng thư gốc được tin cậy hay không",
            )
        )
    return problems, notes


def _latest_checkpoint(
    settings: Settings, log: Log, anchors: Anchors, served: Served | None, name: str
) -> tuple[bytes | None, Problem]:
    """The latest checkpoint as served (with ``--site``/``--url``) or as kept, and where it is."""
    if served is not None:
        data, _ = served.get(paths.CHECKPOINT)
        return data, Problem(served.where(paths.CHECKPOINT, settings.url_for(paths.CHECKPOINT)), 1, "cosignature", "")
    folder = paths.relpath(checkpoints.store_dir(settings.log_path), settings.root)
    if anchors.latest is None:
        return None, Problem(name, max(len(log.events), 1), "cosignature", "")
    return anchors.served(anchors.latest), Problem(f"{folder}/{anchors.latest}", 1, "cosignature", "")


def _cosignature_problems(policy: TrustPolicy, note: bytes | None, where: Problem) -> list[Problem]:
    """The latest checkpoint (as served, or as kept with the cosignatures received) must
    carry ``require.cosignatures`` valid cosignatures (C2SP tlog-cosignature/v1) of
    witnesses of the policy: what makes a split view visible (a log shown to the witness and
    another to the public cannot carry the witness's cosignature on both)."""

    def problem(message: str) -> Problem:
        return Problem(where.path, where.line, where.field, message)

    wanted = policy.required_cosignatures
    if note is None:
        return [
            problem(
                f"chính sách tin cậy {policy.source} yêu cầu {wanted} chữ ký đồng xác nhận nhưng không có checkpoint nào"
            )
        ]
    found = []
    for witness in policy.witnesses:
        when = cosign.cosignatures(note, witness.key)
        if when is not None:
            found.append(f"{witness.name} lúc {format_local(when.isoformat(), TIMEZONE)}")
    if len(found) >= wanted:
        return []
    have = ", ".join(found) if found else "không có"
    return [
        problem(
            f"checkpoint chỉ có {len(found)} chữ ký đồng xác nhận hợp lệ của bên đồng xác nhận trong chính sách "
            f"tin cậy ({have}), cần {wanted}: chưa có bên nào ngoài cơ quan xác nhận đã thấy đúng nhật ký này"
        )
    ]


@dataclass(frozen=True)
class _OfficeKey:
    """The key every checkpoint must be signed with: its name (the origin), the public key,
    the vkey line, and what it is, for the messages."""

    origin: str
    public: Ed25519PublicKey
    vkey: str
    what: str


def _office_key(
    settings: Settings,
    log: Log,
    notes: dict[int, bytes],
    name: str,
    policy: TrustPolicy | None,
    served_vkey: str | None,
    url: str | None,
) -> tuple[_OfficeKey | None, list[Problem]]:
    """The office's verifier key: the policy's (found by ``url``, or by the origin of the
    checkpoints); without a policy, the one derived from the configured key, or else the
    one the site serves. Public keys only: with a policy the private key is never read."""
    if policy is not None:
        origin = pipeline.origin(settings)
        for note in (notes[size] for size in sorted(notes, reverse=True)):
            with contextlib.suppress(CongkhaiError):
                origin = checkpoints.parse(note).origin
                break
        office: TrustedOffice | None = policy.office_for_url(url) if url else None
        office = office or policy.office_for_origin(origin)
        if office is None:
            shown = f"nguồn nhật ký '{origin}'" + (f", địa chỉ {url}" if url else "")
            return None, [
                Problem(
                    name,
                    max(len(log.events), 1),
                    "origin",
                    f"cơ quan ({shown}) không có trong chính sách tin cậy {policy.source}: "
                    "không có khóa xác minh nào để kiểm tra chữ ký của nó",
                )
            ]
        office_origin, public = checkpoints.parse_verifier_key(office.key)
        return _OfficeKey(office_origin, public, office.key, f"khóa của {office.name} trong chính sách tin cậy"), []
    origin = pipeline.origin(settings)
    try:
        key = checkpoints.load_signing_key(settings.signing_key, settings.root)
    except CongkhaiError:
        if served_vkey is None:
            raise
        key = None  # the private key is not on this machine: the served public key is checked instead
    if key is not None:
        vkey = checkpoints.verifier_key(origin, key.public_key())
        return _OfficeKey(origin, key.public_key(), vkey, "khóa signing_key"), []
    if served_vkey is None:
        return None, []
    try:
        served_origin, public = checkpoints.parse_verifier_key(served_vkey)
    except ValueError as exc:
        return None, [Problem(paths.VERIFIER_KEY, 1, "key", f"khóa xác minh đang phục vụ không hợp lệ: {exc}")]
    return _OfficeKey(served_origin, public, served_vkey, "khóa xác minh đang phục vụ"), []


def _checkpoint_problems(
    settings: Settings,
    log: Log,
    tree: merkle.Tree,
    notes: dict[int, bytes],
    name: str,
    policy: TrustPolicy | None = None,
    served: Served | None = None,
    url: str | None = None,
) -> list[Problem]:
    out = []
    folder = paths.relpath(checkpoints.store_dir(settings.log_path), settings.root)
    served_vkey = served_where = None
    if served is not None:
        data, _ = served.get(paths.VERIFIER_KEY)
        served_where = served.where(paths.VERIFIER_KEY, settings.url_for(paths.VERIFIER_KEY))
        served_vkey = data.decode("utf-8", errors="replace").strip() if data is not None else None
    office, out = _office_key(settings, log, notes, name, policy, served_vkey, url)
    origin = office.origin if policy is not None and office is not None else pipeline.origin(settings)
    if served is not None and office is not None and served_vkey != office.vkey:
        shown = f"khóa {served_vkey}" if served_vkey else "không có khóa nào"
        out.append(
            Problem(
                served_where or paths.VERIFIER_KEY,
                1,
                "key",
                f"khóa xác minh đang phục vụ ({shown}) khác {office.what} ({office.vkey})",
            )
        )
    signed_before = 0
    for size, note in sorted(notes.items()):
        where = f"{folder}/{size}"
        try:
            found = checkpoints.parse(note, where)
        except CongkhaiError as exc:
            out += exc.problems
            continue
        if found.size != size:
            out.append(Problem(where, 2, "size", f"checkpoint ghi {found.size} sự kiện nhưng tên tệp là {size}"))
        elif size > tree.size:
            out.append(
                Problem(
                    name,
                    max(len(log.events), 1),
                    "log",
                    f"checkpoint {size} có {size} sự kiện nhưng nhật ký chỉ còn {tree.size}: nhật ký đã bị cắt bớt",
                )
            )
        elif tree.head(0, size) != found.root:
            out.append(
                Problem(
                    name,
                    line_of_seq(log, size),
                    "log",
                    f"{size} sự kiện đầu của nhật ký không còn khớp checkpoint {where}: nhật ký đã bị viết lại",
                )
            )
        if found.origin != origin:
            out.append(Problem(where, 1, "origin", f"nguồn '{found.origin}' khác nguồn của nhật ký '{origin}'"))
        dropped = (
            f"; checkpoint này không có chữ ký nào dù checkpoint {signed_before} trước nó đã được ký "
            "(khóa ký đã bị bỏ, hoặc checkpoint đã bị thay)"
            if signed_before and not found.signatures
            else ""
        )
        if office is not None and not checkpoints.signed_by(found, office.origin, office.public):
            if policy is None and office.what == "khóa signing_key":
                message = "không có chữ ký hợp lệ của cơ quan (khóa signing_key)"
            else:
                message = f"không có chữ ký hợp lệ của {office.what} ({office.vkey})"
            out.append(Problem(where, 4, "signature", message + dropped))
        elif dropped:
            out.append(Problem(where, 4, "signature", dropped.removeprefix("; ")))
        if found.signatures:
            signed_before = size
    return out


def _time_problems(
    settings: Settings, log: Log, anchors: Anchors, name: str, policy: TrustPolicy | None = None
) -> list[Problem]:
    """Every token must verify; every event's ``at`` must not be later than its attested
    time by more than the token's accuracy and ``clock_skew``, nor earlier by more than
    ``max_timestamp_delay`` (:func:`generator.ledger.attest.tolerances`); with TSAs configured
    (with a trust policy: when it requires timestamps), every event must be covered by a
    token. With a trust policy, only the tokens of its TSAs count, checked with its roots."""
    required = policy.require_timestamps if policy is not None else bool(settings.timestamping)
    if not anchors.tokens and not required:
        return []
    folder = paths.relpath(checkpoints.store_dir(settings.log_path), settings.root)
    per_checkpoint, bad = attest.attestations(settings, anchors, policy)
    out = [Problem(f"{folder}/{size}.{tsa}.tsr", 1, "token", reason) for size, tsa, reason in bad]
    allowed = attest.tolerances(settings, policy)
    uncovered = (
        "chưa có dấu thời gian nào bao gồm sự kiện này; chạy congkhai timestamp"
        if policy is None
        else f"không có dấu thời gian nào của đơn vị được chính sách tin cậy {policy.source} chấp nhận "
        "bao gồm sự kiện này: thời điểm ghi chỉ là lời của cơ quan"
    )
    for seq, event in enumerate(log.events, start=1):
        found = attest.attested(seq, per_checkpoint)
        if found is None:
            if required:
                out.append(_about(log, name, seq, "at", uncovered))
            continue
        try:
            at = parse_instant(str(event.get("at")))
        except ValueError:
            continue  # reported by the chain check
        when = format_local(found.when.isoformat(), settings.timezone, with_time=True)
        if at - found.when > allowed.allowed_skew(found):
            accuracy = (
                f" và độ chính xác {attest.duration_text(found.accuracy)} của dấu thời gian" if found.accuracy else ""
            )
            out.append(
                _about(
                    log,
                    name,
                    seq,
                    "at",
                    f"{event['at']} muộn hơn thời điểm được chứng thực {when} ({found.tsa}, checkpoint {found.size}) "
                    f"{attest.duration_text(at - found.when)}, quá {attest.duration_text(allowed.clock_skew)} "
                    f"cho phép (clock_skew){accuracy}",
                )
            )
        elif found.when - at > allowed.max_delay:
            hours = int((found.when - at).total_seconds() // 3600)
            out.append(
                _about(
                    log,
                    name,
                    seq,
                    "at",
                    f"{event['at']} sớm hơn thời điểm được chứng thực {when} ({found.tsa}) {hours} giờ, quá "
                    f"{int(allowed.max_delay.total_seconds() // 3600)} giờ cho phép: ngày công bố chỉ là lời của cơ quan (có thể đã ghi lùi ngày)",
                )
            )
    return out


def valid_pin(pin: str) -> bool:
    """``SEQ:HASH``: a sequence number and 64 hex digits."""
    seq, _, wanted = pin.partition(":")
    return seq.isdigit() and int(seq) > 0 and re.fullmatch(r"[0-9a-f]{64}", wanted) is not None


def _pin_problems(log: Log, pins: Sequence[str], name: str) -> list[Problem]:
    out = []
    for pin in pins:
        seq_text, _, wanted = pin.partition(":")
        if not valid_pin(pin):
            out.append(Problem("", 0, "", f"--pin '{pin}' không đúng dạng SEQ:HASH (số thứ tự và 64 ký tự hex)"))
            continue
        seq = int(seq_text)
        if seq > len(log.events):
            out.append(
                Problem(
                    name,
                    max(len(log.events), 1),
                    "log",
                    f"đầu chuỗi đã ghim seq {seq} không còn trong nhật ký ({len(log.events)} sự kiện): nhật ký đã bị cắt bớt",
                )
            )
        elif log.events[seq - 1].get("hash") != wanted:
            out.append(_about(log, name, seq, "hash", f"khác mã băm đã ghim {wanted}: nhật ký đã bị viết lại"))
    return out


def _read_outside(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        try:
            with http.client(timeout=15) as client:
                return http.get(client, source, MAX_FETCH, deadline=120).body
        except http.FetchError as exc:
            raise CongkhaiError(f"{source}: không tải được bản sao ({exc.reason})") from None
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise CongkhaiError(f"{source}: không đọc được bản sao ({exc.strerror or exc})") from None


def _since_problems(log: Log, tree: merkle.Tree, sources: Sequence[str], name: str) -> list[Problem]:
    """An earlier download of the log (JSON Lines) must be a prefix of the log; an earlier
    checkpoint must be a tree head of the log's first lines."""
    out = []
    for source in sources:
        try:
            data = _read_outside(source)
        except CongkhaiError as exc:
            out += exc.problems
            continue
        if data.startswith(b"{") or not data:
            earlier = merkle.log_leaves(data)
            if not log.raw.startswith(data) or len(earlier) > tree.size:
                same = 0
                while same < min(len(earlier), tree.size) and earlier[same] == tree.leaves[same]:
                    same += 1
                if same < len(earlier) and same < tree.size:
                    out.append(
                        _about(
                            log,
                            name,
                            same + 1,
                            "log",
                            f"khác dòng {same + 1} của bản sao {source}: nhật ký đã bị viết lại",
                        )
                    )
                else:
                    out.append(
                        Problem(
                            name,
                            max(len(log.events), 1),
                            "log",
                            f"bản sao {source} có {len(earlier)} sự kiện, nhật ký chỉ còn {tree.size}: nhật ký đã bị cắt bớt",
                        )
                    )
            continue
        try:
            found = checkpoints.parse(data, source)
        except CongkhaiError as exc:
            out += exc.problems
            continue
        if found.size > tree.size:
            out.append(
                Problem(
                    name,
                    max(len(log.events), 1),
                    "log",
                    f"checkpoint {source} có {found.size} sự kiện, nhật ký chỉ còn {tree.size}: nhật ký đã bị cắt bớt",
                )
            )
        elif tree.head(0, found.size) != found.root:
            out.append(
                Problem(
                    name,
                    line_of_seq(log, found.size),
                    "log",
                    f"nhật ký không còn mở rộng checkpoint {source} ({found.size} sự kiện): nhật ký đã bị viết lại",
                )
            )
    return out


# --- the served site --------------------------------------------------------------------


def _facts(markup: str) -> Counter[str]:
    """Dates, amounts and hashes in the text of ``markup``."""
    return Counter(_FACT.findall(html.unescape(_TAG.sub(" ", markup))))


@dataclass(frozen=True)
class _Page:
    """What was found about one logged record's served page, before its content is compared."""

    key: str
    seq: int
    where: str
    before: list[Problem]
    """Problems of the page itself (missing, logged hash not shown, footer head, withdrawal)."""
    after: list[Problem]
    """Problems of its attachments."""
    facts: Counter[str] | None
    """The dates, amounts and hashes of the page's article (None: no page)."""
    described: Counter[str] | None
    """Those of the page's description (``<meta name="description">``; None: no page)."""


class _PageChecks:
    """The checks of every logged record's served page, in two stages.

    1. What needs only the log (the page is served, shows the logged hash, a head of the
       log in its footer, the withdrawal banner; its attachments; the facts of its article)
       starts in a forked process of its own *before* the records are loaded, and runs
       meanwhile: a plain fork, no pool, so the load still shares its work among every core
       and this stage fills the time a core would wait.
    2. :meth:`results`, once the records are loaded: the page of each record whose file is
       the logged version is rendered from that file and its facts compared with the
       served article's, on every core (``CONGKHAI_JOBS``).
    """

    def __init__(self, settings: Settings, log: Log, served: Served, name: str):
        heads = {(e.get("seq"), e.get("hash")) for e in log.events}
        base_path = urlsplit(settings.site_url or "/").path
        self.log, self.name = log, name

        def page(key: str, history: RecordHistory) -> _Page:
            latest = history.latest
            seq = latest["seq"]
            path = urlsplit(latest["url"]).path
            rel = path[len(base_path) :] if path.startswith(base_path) else path.lstrip("/")
            where = served.where(rel, latest["url"])
            before: list[Problem] = []
            facts = described = None
            data, problem = served.get(rel)
            if problem:
                before.append(_about(log, name, seq, "url", f"{where}: {problem}"))
            else:
                text = data.decode("utf-8", errors="replace")
                before += _page_problems(log, name, seq, where, text, latest["content_sha256"], heads, history)
                article = _ARTICLE.search(text)
                facts = _facts(article.group(0) if article else text)
                description = _DESCRIPTION.search(text[: article.start()] if article else text)
                described = _facts(description.group(1)) if description else Counter()
            after = []
            for index, attachment in enumerate(latest.get("attachments") or [], start=1):
                data, problem = served.get(rel + attachment["file"])
                field = f"attachments[{index}].sha256"
                if problem:
                    after.append(_about(log, name, seq, field, f"{where}{attachment['file']}: {problem}"))
                elif hashlib.sha256(data).hexdigest() != attachment["sha256"]:
                    after.append(
                        _about(
                            log,
                            name,
                            seq,
                            field,
                            f"{where}{attachment['file']}: tệp đính kèm được phục vụ có mã SHA-256 "
                            f"{hashlib.sha256(data).hexdigest()}, khác mã {attachment['sha256']} đã ghi trong nhật ký",
                        )
                    )
            return _Page(key, seq, where, before, after, facts, described)

        self.histories = log.histories()
        self.count = len(self.histories)

        def every_page() -> list[_Page]:
            return [page(key, history) for key, history in sorted(self.histories.items())]

        self._every_page = every_page
        self._forked = parallel.fork_call(every_page) if parallel.pays(self.count, 2) else None

    def results(self, site: Site | None) -> list[tuple[_Page, list[Problem]]]:
        """Every page, in the order of the records' keys, with the problems of its content
        against the logged version (waits for stage 1, then runs stage 2)."""
        with progress.task("Đối chiếu trang", total=self.count) as bar:
            pages: list[_Page] | None = None
            if self._forked is not None:
                try:
                    pages = self._forked.result()
                except parallel.WorkerDied:  # it raised: again here, for the error to show as in one process
                    pages = None
                finally:
                    self._forked = None
            if pages is None:
                pages = self._every_page()
            current = {r.key: r for r in site.records} if site else {}
            histories = self.histories
            compared = [
                page
                for page in pages
                if page.facts is not None
                and (record := current.get(page.key)) is not None
                and record.public
                and record.sha256 == histories[page.key].latest["content_sha256"]
            ]
            bar.advance(len(pages) - len(compared))
            content: dict[str, list[Problem]] = {}
            if site is not None and compared:
                renderer = Renderer(site)
                environment().get_template("record.md.j2")  # compiled once, before the workers fork
                log, name = self.log, self.name

                def compare(piece: Sequence[_Page]) -> list[list[Problem]]:
                    return [
                        _content_problems(
                            log,
                            name,
                            p.seq,
                            p.where,
                            p.facts or Counter(),
                            p.described or Counter(),
                            renderer.render_record(current[p.key]),
                        )
                        for p in piece
                    ]

                workers = parallel.pays(len(compared), 2)
                pieces = parallel.chunks(compared, workers)
                with parallel.fork_map(compare, pieces, workers) as results:
                    for piece, found in zip(pieces, results, strict=True):
                        for done, problems in zip(piece, found, strict=True):
                            content[done.key] = problems
                        bar.advance(len(piece))
        return [(page, content.get(page.key, [])) for page in pages]

    def close(self) -> None:
        """Stop stage 1 if its results were never read."""
        if self._forked is not None:
            self._forked.stop()
            self._forked = None


def _page_problems(
    log: Log,
    name: str,
    seq: int,
    where: str,
    page: str,
    sha256: str,
    heads: set[tuple[object, object]],
    history: RecordHistory,
) -> list[Problem]:
    found = []
    if sha256 not in page:
        found.append(
            _about(
                log,
                name,
                seq,
                "content_sha256",
                f"{where}: trang không hiển thị mã SHA-256 {sha256} đã ghi trong nhật ký",
            )
        )
    footer = _FOOTER_HEAD.search(page)
    if footer is None or (int(footer.group(1)), footer.group(2)) not in heads:
        shown = f"seq {footer.group(1)} {footer.group(2)}" if footer else "không có"
        found.append(
            _about(
                log,
                name,
                seq,
                "hash",
                f"{where}: đầu chuỗi ở chân trang ({shown}) không phải một đầu chuỗi của nhật ký",
            )
        )
    if history.withdrawn and "Đã thu hồi" not in page:
        found.append(
            _about(log, name, seq, "event", f"{where}: thông tin đã thu hồi nhưng trang không có thông báo thu hồi")
        )
    return found


def _served_anchor_problems(log: Log, name: str, site: Site, served: Served) -> list[Problem]:
    """Every served checkpoint (``checkpoints/<size>``), token (``<size>.<tsa>.tsr``) and
    proof file (``proof-<seq>.tlog-proof``) must be byte for byte the one the repository's
    log and checkpoint store make: an auditor downloads them one by one as evidence, so one
    edited or removed on the server is reported, like the served log itself."""
    out = []
    for output in pipeline._anchor_outputs(site):
        rel = output.path
        if rel == paths.CHECKPOINT:
            continue  # compared with the latest checkpoint by _served_problems
        data, problem = served.get(rel)
        where = served.where(rel, site.settings.url_for(rel))
        proof = re.search(r"/proof-(\d+)\.tlog-proof$", rel)
        if proof:
            seq = int(proof.group(1))
            if problem or data != output.content:
                message = problem or "tệp bằng chứng đang phục vụ khác tệp dựng từ nhật ký và checkpoint trong kho"
                out.append(_about(log, name, seq, "proof", f"{where}: {message}"))
            continue
        size, _, tsa = rel.removeprefix(paths.CHECKPOINTS_DIR).partition(".")
        if problem or data != output.content:
            what = f"dấu thời gian {tsa.removesuffix('.tsr')}" if tsa else "checkpoint"
            message = problem or f"{what} đang phục vụ khác {what} {size} trong kho"
            out.append(Problem(name, int(size), "token" if tsa else "log", f"{where}: {message}"))
    return out


def _served_problems(
    settings: Settings,
    log: Log,
    site: Site | None,
    notes: dict[int, bytes],
    served: Served,
    name: str,
    checks: _PageChecks,
) -> list[Problem]:
    out = []
    last = len(log.events) or 1
    data, problem = served.get(paths.LOG_JSONL)
    where = served.where(paths.LOG_JSONL, settings.url_for(paths.LOG_JSONL))
    if problem:
        out.append(Problem(name, last, "log", f"{where}: {problem}"))
    elif data != log.raw:
        out.append(Problem(name, last, "log", f"{where}: nhật ký đang phục vụ khác nhật ký trong kho (khác từng byte)"))
    if notes:
        data, problem = served.get(paths.CHECKPOINT)
        where = served.where(paths.CHECKPOINT, settings.url_for(paths.CHECKPOINT))
        if problem:
            out.append(Problem(name, last, "log", f"{where}: {problem}"))
        elif data != (site.anchors.served(max(notes)) if site is not None else notes[max(notes)]):
            out.append(
                Problem(name, last, "log", f"{where}: checkpoint đang phục vụ khác checkpoint mới nhất trong kho")
            )
    if site is not None:
        out += _served_anchor_problems(log, name, site, served)
    for page, content in checks.results(site):
        out += page.before + content + page.after
    return out


def _content_problems(
    log: Log, name: str, seq: int, where: str, shown: Counter[str], described: Counter[str], expected_markdown: str
) -> list[Problem]:
    """The dates, amounts and hashes of the served page's article (``shown``) must be those
    of the same part of the page rendered from the logged version, and those of its
    description (``described``) those of the logged description (a date or a figure edited
    on the server is caught). See :func:`_expected_facts`."""
    article, description = _expected_facts(expected_markdown)
    out = []
    for found, expected, what in (
        (shown, article, "trang khác phiên bản đã ghi trong nhật ký"),
        (described, description, "mô tả của trang (thẻ meta description) khác phiên bản đã ghi trong nhật ký"),
    ):
        extra, missing = found - expected, expected - found
        if not extra and not missing:
            continue
        parts = []
        if extra:
            parts.append("có thêm " + ", ".join(sorted(extra)))
        if missing:
            parts.append("thiếu " + ", ".join(sorted(missing)))
        out.append(_about(log, name, seq, "content_sha256", f"{where}: {what} ({'; '.join(parts)})"))
    return out


def _expected_facts(markdown_page: str) -> tuple[Counter[str], Counter[str]]:
    """The facts a record page rendered from ``markdown_page`` (``record.md.j2``) shows in
    its ``<article>`` and in its ``<meta name="description">``, without building it.

    The front matter (``title``, ``description``) is not in the article: the theme shows the
    title there as a heading only when the content has no ``<h1>`` of its own, and writes the
    description, on one line, in the page's head. The rest of the page is HTML blocks, which
    Markdown keeps as they are, and headings whose text it keeps: its facts are the
    article's. Whether the content has an ``<h1>`` is read from the page; only a page with a
    chunk that looks like a level-1 heading (a body's top-level heading, or a line of a code
    block) is converted by Markdown to be sure."""
    title = description = ""
    body = markdown_page
    if markdown_page.startswith("---\n"):
        end = markdown_page.find("\n---\n", 3)
        if end != -1:
            body = markdown_page[end + 5 :]
            for line in markdown_page[4:end].splitlines():
                key, _, value = line.partition(": ")
                if key in ("title", "description"):
                    text = json.loads(value)
                    if key == "title":
                        title = text
                    else:
                        description = text
    article = _facts(body)
    if not _has_h1(body):
        article += _facts(html.escape(title))
    return article, _facts(html.escape(" ".join(description.split())))


def _has_h1(body: str) -> bool:
    """Whether the HTML of a generated page's Markdown ``body`` has an ``<h1>``."""
    if "<h1" in body:
        return True
    if not any(chunk.startswith("# ") for chunk in body.split("\n\n")):
        return False
    return "<h1" in markdown.markdown(body)
