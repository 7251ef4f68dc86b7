#!/usr/bin/env python3
"""kiem-tra.py: kiểm tra hồ sơ minh chứng của congkhai, không cần mạng, không cần congkhai.

BẢN TIỆN DÙNG: tệp này do chính cơ quan được kiểm tra gửi kèm hồ sơ, nên nó không phải căn cứ
độc lập. Thanh tra kiểm tra bằng công cụ của mình (``congkhai kiem-tra THƯ-MỤC --trust trust.yml``,
chạy đúng mã này từ bản congkhai đã cài) hoặc bản chương trình kiểm tra Thanh tra tự giữ, với
chính sách tin cậy (trust.yml) của Thanh tra: chứng thư gốc của đơn vị cấp dấu thời gian và khóa
của cơ quan lấy từ chính sách đó, không bao giờ lấy từ hồ sơ.

Cách chạy, trong thư mục hồ sơ:  python3 kiem-tra.py [THƯ-MỤC] [--trust=trust.yml] [--max-delay=GIỜ]
Cần: Python 3.11 trở lên, lệnh ``openssl``; đọc trust.yml cần PyYAML (gói python3-yaml).

Kiểm tra:
1. Nhật ký công bố (nhat-ky/publication-log.jsonl): mỗi dòng là JSON ở dạng chuẩn (khóa xếp
   theo thứ tự, không khoảng trắng, không khóa lặp), seq 1, 2, 3…, prev là hash của sự kiện
   trước, hash = SHA-256 của sự kiện bỏ khóa hash, thời điểm (at) không đi lùi.
2. Mỗi checkpoint (nhat-ky/checkpoints/<số>): mã gốc Merkle (RFC 9162: lá = SHA-256(0x00‖dòng),
   nút = SHA-256(0x01‖trái‖phải)) của <số> dòng đầu của nhật ký; với chính sách tin cậy: chữ ký
   của cơ quan (khóa trong chính sách) và chữ ký chứng kiến (cosignature/v1) của các nhân chứng.
3. Mỗi dấu thời gian (<số>.<tsa>.tsr): ``openssl ts -verify -attime`` với chứng thư gốc của
   đơn vị cấp dấu thời gian (trong chính sách tin cậy; không có chính sách thì bản trong hồ sơ,
   và kết quả nói rõ điều đó); thời điểm được chứng thực của từng sự kiện.
4. Mỗi tệp bằng chứng (proof-<seq>.tlog-proof): dòng <seq> của nhật ký nằm trong checkpoint.
5. Mỗi tệp đính kèm: SHA-256 khớp với nhật ký; mỗi bản sao checkpoint/dấu thời gian của
   một hồ sơ trùng với bản trong nhat-ky/.
6. Mỗi kết luận của báo cáo B1 (ngày công bố, nguồn thời điểm, hạn, đúng hạn hay trễ, tài liệu
   còn thiếu) được TÍNH LẠI từ nhật ký, dấu thời gian và dữ kiện hạn trong muc-luc.json, rồi so
   với từng dòng của bản CSV, XLSX và HTML; mọi dòng khác được báo.
7. Mọi tệp có trong tong-kiem.sha256 với đúng SHA-256; chữ ký của cơ quan (tong-kiem.sig) và dấu
   thời gian (tong-kiem.<tsa>.tsr) trên danh mục đó, để không tệp báo cáo hay bản in nào bị thay.

Mỗi lỗi in một dòng ``tệp:dòng: mục: lỗi``. Kết quả và mã thoát: ĐẠT (0); KHÔNG ĐẠT (1, có lỗi);
CHƯA ĐỦ CĂN CỨ (3: không có lỗi nhưng có ngày chỉ theo đồng hồ của cơ quan, danh mục tệp không
được ký hay không có dấu thời gian, hoặc chưa kiểm tra với chính sách tin cậy); 2: dùng sai lệnh.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

LOG = "nhat-ky/publication-log.jsonl"
CHECKPOINTS = "nhat-ky/checkpoints"
LATEST = "nhat-ky/checkpoint"
TSA_DIR = "nhat-ky/tsa"
INDEX = "muc-luc.json"
SUMS = "tong-kiem.sha256"
SUMS_SIGNATURE = "tong-kiem.sig"
SUMS_TOKEN = re.compile(r"^tong-kiem\.([A-Za-z0-9-]+)\.tsr$")
VKEY_FILE = "nhat-ky/khoa-xac-minh.txt"
GUIDE = "HUONG-DAN-KIEM-TRA.md"
CHECKER = "kiem-tra.py"
REPORT_DIR = "bao-cao"
SIGNATURE_DASH = "\u2014 "
ED25519_SPKI = bytes.fromhex("302a300506032b6570032100")
DEFAULT_CLOCK_SKEW_SECONDS = 300
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
OFFICE_CLOCK = "Chỉ theo đồng hồ của cơ quan"
PASS, FAIL, NOT_ENOUGH = 0, 1, 3
GENESIS = "0" * 64
KEYS = [
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
]
EVENTS = ("published", "updated", "withdrawn")
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
TOKEN_NAME = re.compile(r"^(\d+)\.([A-Za-z0-9-]+)\.tsr$")
PROOF_NAME = re.compile(r"^proof-(\d+)\.tlog-proof$")
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DEFAULT_MAX_DELAY_HOURS = 24


# --- the checker's trust: every root, key and tolerance comes from here, never from the dossier


@dataclass
class Trust:
    """The inspectorate's trust policy (trust.yml, SPEC 4c), as this checker uses it."""

    source: str
    roots: dict[str, tuple[bytes, float | None]] = field(default_factory=dict)
    """Accepted TSA name -> (root certificate PEM, largest accuracy accepted in seconds)."""
    offices: list[tuple[str, str, str]] = field(default_factory=list)
    """(name, url, vkey) of each office; the vkey's name is the office's log origin."""
    witnesses: list[tuple[str, str]] = field(default_factory=list)
    """(name, vkey) of each witness."""
    max_delay_hours: int = DEFAULT_MAX_DELAY_HOURS
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    require_timestamps: bool = True
    required_cosignatures: int = 0

    def office_key(self, origin: str) -> str | None:
        return next((key for _, _, key in self.offices if key.split("+", 1)[0] == origin), None)


class TrustError(Exception):
    """trust.yml cannot be used: ``problems`` are ``trust.yml:line: field: message`` lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def load_trust(path: Path) -> Trust:
    """Read trust.yml (the format of SPEC 4c). Root paths are relative to the file."""
    try:
        import yaml  # only for --trust: the rest of the checker needs none
    except ImportError:
        raise TrustError([f"{path}:1: trust: cần PyYAML để đọc chính sách tin cậy (cài gói python3-yaml)"]) from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TrustError([f"{path}:1: trust: không đọc được tệp ({exc})"]) from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TrustError([f"{path}:{mark.line + 1 if mark else 1}: trust: không phải YAML hợp lệ"]) from None
    lines: dict[tuple, int] = {}
    _lines(node, (), lines)
    problems: list[str] = []

    def bad(where: tuple, name: str, message: str) -> None:
        problems.append(f"{path}:{lines.get(where, 1)}: {name}: {message}")

    if not isinstance(data, dict):
        raise TrustError([f"{path}:1: trust: chính sách tin cậy phải là một bảng khóa: giá trị"])
    trust = Trust(str(path))
    for n, item in enumerate(data.get("tsas") or []):
        where = ("tsas", n)
        name, root = (item.get("name"), item.get("root")) if isinstance(item, dict) else (None, None)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9-]+", name):
            bad((*where, "name"), f"tsas[{n + 1}].name", "tên đơn vị chỉ gồm chữ, số và dấu gạch ngang")
            continue
        if not isinstance(root, str) or not root.strip():
            bad((*where, "root"), f"tsas[{n + 1}].root", "thiếu chứng thư gốc (đường dẫn tệp PEM hoặc nội dung PEM)")
            continue
        if "-----BEGIN" in root:
            pem = root.encode()
        else:
            try:
                pem = (path.parent / root).read_bytes()
            except OSError as exc:
                bad((*where, "root"), f"tsas[{n + 1}].root", f"không đọc được {root} ({exc.strerror or exc})")
                continue
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            bad((*where, "root"), f"tsas[{n + 1}].root", "không phải chứng thư dạng PEM")
            continue
        accuracy = item.get("accuracy")
        if accuracy is not None and (isinstance(accuracy, bool) or not isinstance(accuracy, (int, float))):
            bad((*where, "accuracy"), f"tsas[{n + 1}].accuracy", "phải là số giây")
            continue
        trust.roots[name] = (pem, None if accuracy is None else float(accuracy))
    for n, item in enumerate(data.get("offices") or []):
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or _parse_vkey(key) is None:
            bad(("offices", n, "key"), f"offices[{n + 1}].key", "khóa xác minh không đúng dạng C2SP vkey")
            continue
        trust.offices.append((str(item.get("name") or ""), str(item.get("url") or ""), key))
    for n, item in enumerate(data.get("witnesses") or []):
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or _parse_vkey(key) is None:
            bad(("witnesses", n, "key"), f"witnesses[{n + 1}].key", "khóa xác minh không đúng dạng C2SP vkey")
            continue
        trust.witnesses.append((str(item.get("name") or ""), key))
    for name, attr in (("max_timestamp_delay", "max_delay_hours"), ("clock_skew", "clock_skew_seconds")):
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            bad((name,), name, "phải là số nguyên không âm")
        else:
            setattr(trust, attr, value)
    require = data.get("require") or {}
    if not isinstance(require, dict):
        bad(("require",), "require", "phải là một bảng khóa: giá trị")
    else:
        if "timestamps" in require:
            trust.require_timestamps = bool(require["timestamps"])
        count = require.get("cosignatures", 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            bad(("require", "cosignatures"), "require.cosignatures", "phải là số nguyên không âm")
        else:
            trust.required_cosignatures = count
    if not trust.roots and not problems:
        bad(("tsas",), "tsas", "chính sách không có đơn vị cấp dấu thời gian nào được chấp nhận")
    if problems:
        raise TrustError(problems)
    return trust


def _lines(node, where: tuple, out: dict) -> None:
    out[where] = node.start_mark.line + 1
    if node.tag.endswith(":map"):
        for key, value in node.value:
            out[(*where, key.value)] = key.start_mark.line + 1
            _lines(value, (*where, key.value), out)
    elif node.tag.endswith(":seq"):
        for n, value in enumerate(node.value):
            _lines(value, (*where, n), out)


def _parse_vkey(vkey: str) -> tuple[str, bytes, bytes] | None:
    """``<name>+<key ID hex>+<base64(type || key)>`` -> (name, key ID, type || key)."""
    name, _, rest = vkey.strip().partition("+")
    kid, _, blob = rest.partition("+")
    try:
        raw = base64.b64decode(blob, validate=True)
        ident = bytes.fromhex(kid)
    except (binascii.Error, ValueError):
        return None
    if not name or len(ident) != 4 or len(raw) != 33 or raw[0] != 1:
        return None
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4] != ident:
        return None
    return name, ident, raw


def _ed25519_ok(openssl: str | None, public: bytes, message: bytes, signature: bytes) -> bool:
    """An Ed25519 signature checked by ``openssl pkeyutl`` (Python's standard library has none)."""
    if openssl is None or len(public) != 32 or len(signature) != 64:
        return False
    with tempfile.TemporaryDirectory(prefix="kiem-tra-") as tmp:
        folder = Path(tmp)
        (folder / "key.der").write_bytes(ED25519_SPKI + public)
        (folder / "message").write_bytes(message)
        (folder / "signature").write_bytes(signature)
        done = subprocess.run(
            [openssl, "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "key.der", "-rawin"]
            + ["-in", "message", "-sigfile", "signature"],
            cwd=folder,
            capture_output=True,
            check=False,
        )
    return done.returncode == 0


def _signature_lines(text: bytes) -> list[tuple[str, bytes]]:
    """``— <name> <base64>`` lines -> (name, decoded blob)."""
    found = []
    for line in text.decode("utf-8", errors="replace").split("\n"):
        if not line.startswith(SIGNATURE_DASH):
            continue
        name, _, blob = line[len(SIGNATURE_DASH) :].rpartition(" ")
        try:
            found.append((name, base64.b64decode(blob, validate=True)))
        except (binascii.Error, ValueError):
            continue
    return found


def _signed(openssl: str | None, vkey: str, body: bytes, signatures: list[tuple[str, bytes]]) -> bool:
    """Does one of ``signatures`` verify over ``body`` with the note verifier key ``vkey``?"""
    parsed = _parse_vkey(vkey)
    if parsed is None:
        return False
    name, ident, raw = parsed
    return any(
        signer == name and blob[:4] == ident and _ed25519_ok(openssl, raw[1:], body, blob[4:])
        for signer, blob in signatures
    )


def _cosigned_at(openssl: str | None, vkey: str, body: bytes, signatures: list[tuple[str, bytes]]):
    """The time of a valid C2SP cosignature/v1 of the witness ``vkey`` on ``body``, or None."""
    name, _, rest = vkey.strip().partition("+")
    blob64 = rest.partition("+")[2]
    try:
        public = base64.b64decode(blob64, validate=True)[1:]
    except (binascii.Error, ValueError):
        return None
    ident = hashlib.sha256(name.encode() + b"\n" + b"\x04" + public).digest()[:4]
    for signer, blob in signatures:
        if signer != name or blob[:4] != ident or len(blob) != 4 + 8 + 64:
            continue
        stamp = int.from_bytes(blob[4:12], "big")
        message = f"cosignature/v1\ntime {stamp}\n".encode() + body
        if _ed25519_ok(openssl, public, message, blob[12:]):
            return dt.datetime.fromtimestamp(stamp, dt.UTC)
    return None


class Dossier:
    def __init__(self, root: Path, trust: Trust | None = None, max_delay_hours: int | None = None):
        self.root = root
        self.trust = trust
        hours = max_delay_hours if max_delay_hours is not None else (trust.max_delay_hours if trust else None)
        self.max_delay = dt.timedelta(hours=DEFAULT_MAX_DELAY_HOURS if hours is None else hours)
        self.clock_skew = dt.timedelta(seconds=trust.clock_skew_seconds if trust else DEFAULT_CLOCK_SKEW_SECONDS)
        self.openssl = shutil.which("openssl")
        self.problems: list[str] = []
        self.reasons: list[str] = []
        """Why the dossier, though consistent, is not enough evidence (not ĐẠT)."""
        self.origin = ""
        self.bodies: dict[int, tuple[bytes, list[tuple[str, bytes]]]] = {}  # size -> (signed body, signatures)
        self.cosigned: dict[int, tuple[dt.datetime, str]] = {}  # size -> earliest (cosignature time, witness)
        self.accuracy: dict[int, dt.timedelta] = {}
        self.verdicts: dict[int, dict] = {}  # report row number -> what the checker computed
        self.facts: dict | None = None
        self.shipped: dict[str, set[str]] = {}  # record -> attachments present with the right SHA-256
        self.manifest: list[str] = []
        self.notes: list[str] = []
        self.lines: list[bytes] = []
        self.events: list[dict] = []
        self.leaves: list[bytes] = []
        self.checkpoints: dict[int, tuple[bytes, bytes]] = {}  # size -> (note bytes, root)
        self.valid_checkpoints: set[int] = set()
        self.attested: dict[int, tuple[dt.datetime, str]] = {}  # size -> earliest (genTime, tsa)
        self.counts: dict[str, int] = {}
        self.ids: set[str] = set()
        self.roots: list[str] = []

    def fail(self, path: str, line: int, field: str, message: str) -> None:
        self.problems.append(f"{path}:{line}: {field}: {message}")

    def read(self, rel: str) -> bytes | None:
        path = self.root / rel
        try:
            return path.read_bytes()
        except OSError:
            return None

    # --- 1. the log -----------------------------------------------------------------------

    def check_log(self) -> None:
        raw = self.read(LOG)
        if raw is None:
            self.fail(LOG, 1, "log", "không có tệp nhật ký công bố")
            return
        if raw and not raw.endswith(b"\n"):
            self.fail(LOG, raw.count(b"\n") + 1, "log", "dòng cuối bị cắt dở (thiếu ký tự xuống dòng)")
        lines = raw.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        self.lines = lines
        self.leaves = [hashlib.sha256(b"\x00" + line).digest() for line in lines]
        prev, last_at = GENESIS, None
        for number, line in enumerate(lines, start=1):
            where = f"seq {number}"
            try:
                event = json.loads(line.decode("utf-8"), object_pairs_hook=_no_repeats)
            except (UnicodeDecodeError, ValueError) as exc:
                self.fail(LOG, number, "log", f"{where}: dòng không phải JSON hợp lệ ({exc})")
                self.events.append({})
                continue
            if not isinstance(event, dict):
                self.fail(LOG, number, "log", f"{where}: dòng không phải một đối tượng JSON")
                self.events.append({})
                continue
            self.events.append(event)
            body = {k: v for k, v in event.items() if k != "hash"}
            text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            full = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            if full.encode("utf-8") != line:
                self.fail(LOG, number, "log", f"{where}: dòng không ở dạng chuẩn (dòng đã bị sửa)")
            missing = [k for k in KEYS if k not in event]
            if missing:
                self.fail(LOG, number, "log", f"{where}: thiếu khóa {', '.join(missing)}")
            if event.get("seq") != number:
                self.fail(LOG, number, "seq", f"{where}: số thứ tự là {event.get('seq')!r}, phải là {number}")
            if event.get("event") not in EVENTS:
                self.fail(LOG, number, "event", f"{where}: loại sự kiện {event.get('event')!r} không hợp lệ")
            if event.get("prev") != prev:
                self.fail(LOG, number, "prev", f"{where}: không khớp hash của sự kiện trước")
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != event.get("hash"):
                self.fail(LOG, number, "hash", f"{where}: không khớp nội dung (dòng đã bị sửa)")
            at = _instant(event.get("at"))
            if at is None:
                self.fail(LOG, number, "at", f"{where}: thời điểm {event.get('at')!r} không đúng dạng RFC 3339")
            elif last_at is not None and at < last_at:
                self.fail(LOG, number, "at", f"{where}: thời điểm đi lùi so với sự kiện trước")
            prev = str(event.get("hash"))
            last_at = at or last_at
        self.counts["log"] = len(lines)

    def head(self) -> str:
        valid = [e for e in self.events if e]
        if not valid:
            return "nhật ký trống"
        last = valid[-1]
        return f"seq {last.get('seq')}, hash {last.get('hash')}"

    # --- 2. checkpoints --------------------------------------------------------------------

    def check_checkpoints(self) -> None:
        folder = self.root / CHECKPOINTS
        names = sorted((p.name for p in folder.iterdir() if p.name.isdigit()), key=int) if folder.is_dir() else []
        origins = set()
        for name in names:
            rel = f"{CHECKPOINTS}/{name}"
            note = self.read(rel) or b""
            parsed = _parse_checkpoint(note)
            if isinstance(parsed, str):
                self.fail(rel, 1, "checkpoint", parsed)
                continue
            origin, size, root = parsed
            origins.add(origin)
            self.checkpoints[size] = (note, root)
            body = note.partition(b"\n\n")[0] + b"\n"
            self.bodies[size] = (body, _signature_lines(note.partition(b"\n\n")[2]))
            if str(size) != name:
                self.fail(rel, 2, "checkpoint", f"checkpoint ghi {size} sự kiện nhưng tên tệp là {name}")
                continue
            if size > len(self.leaves):
                self.fail(
                    rel,
                    2,
                    "checkpoint",
                    f"checkpoint có {size} sự kiện nhưng nhật ký chỉ có {len(self.leaves)} dòng "
                    f"({LOG} đã bị cắt bớt hoặc thay thế)",
                )
                continue
            if _root(self.leaves[:size]) != root:
                self.fail(
                    rel,
                    3,
                    "checkpoint",
                    f"mã gốc Merkle không khớp với {size} dòng đầu của {LOG} (nhật ký đã bị sửa hoặc viết lại)",
                )
                continue
            self.valid_checkpoints.add(size)
        if len(origins) > 1:
            self.fail(
                CHECKPOINTS, 1, "checkpoint", f"các checkpoint mang nhiều tên nhật ký khác nhau: {sorted(origins)}"
            )
        self.origin = sorted(origins)[0] if origins else ""
        self.check_signatures()
        if names:
            latest = self.read(LATEST)
            biggest = max(self.checkpoints) if self.checkpoints else None
            if latest is None:
                self.fail(LATEST, 1, "checkpoint", "không có tệp checkpoint mới nhất")
            elif biggest is not None and latest != self.checkpoints[biggest][0]:
                self.fail(LATEST, 1, "checkpoint", f"khác với checkpoint lớn nhất ({CHECKPOINTS}/{biggest})")
        self.counts["checkpoints"] = len(names)

    # --- 3. timestamps ---------------------------------------------------------------------

    def check_tokens(self) -> None:
        folder = self.root / CHECKPOINTS
        tokens = sorted(p.name for p in folder.iterdir() if TOKEN_NAME.match(p.name)) if folder.is_dir() else []
        self.counts["tokens"] = len(tokens)
        if not tokens:
            return
        openssl = shutil.which("openssl")
        if openssl is None:
            self.fail(CHECKPOINTS, 1, "openssl", "không tìm thấy lệnh openssl; cài OpenSSL để kiểm tra dấu thời gian")
            return
        for name in tokens:
            match = TOKEN_NAME.match(name)
            assert match is not None
            size, tsa = int(match.group(1)), match.group(2)
            rel = f"{CHECKPOINTS}/{name}"
            data = f"{CHECKPOINTS}/{size}"
            if not (self.root / data).is_file():
                self.fail(rel, 1, "token", f"không có checkpoint {data} mà dấu thời gian này chứng thực")
                continue
            checked = self.verify_token(rel, data, tsa)
            if checked is None:
                continue
            when, accuracy = checked
            self.accuracy[size] = max(self.accuracy.get(size, dt.timedelta(0)), accuracy)
            if size not in self.valid_checkpoints:
                self.fail(rel, 1, "token", f"dấu thời gian hợp lệ nhưng checkpoint {size} không khớp với nhật ký")
                continue
            best = self.attested.get(size)
            if best is None or when < best[0]:
                self.attested[size] = (when, tsa)

    def verify_token(self, rel: str, data: str, tsa: str) -> tuple[dt.datetime, dt.timedelta] | None:
        """``openssl ts -verify`` of the token ``rel`` over ``data`` with the root of ``tsa``:
        the trust policy's root (the dossier's own copy only without a policy). Its genTime
        and accuracy; None (a problem or a note said why) when it attests nothing."""
        openssl = self.openssl
        assert openssl is not None
        when = _gen_time(openssl, self.root, rel)
        if when is None:
            self.fail(rel, 1, "token", "không đọc được dấu thời gian (không phải TimeStampResp RFC 3161)")
            return None
        accuracy = _accuracy(openssl, self.root, rel)
        with tempfile.TemporaryDirectory(prefix="kiem-tra-") as tmp:
            if self.trust is not None:
                if tsa not in self.trust.roots:
                    self.notes.append(
                        f"{rel}: đơn vị cấp dấu thời gian {tsa} không có trong chính sách tin cậy; không tính"
                    )
                    return None
                pem, allowed = self.trust.roots[tsa]
                ca = str(Path(tmp) / "root.pem")
                Path(ca).write_bytes(pem)
                said = f"chứng thư gốc {tsa} trong chính sách tin cậy"
                if allowed is not None and accuracy.total_seconds() > allowed:
                    self.fail(rel, 1, "token", f"độ chính xác {accuracy.total_seconds():g} giây, quá {allowed:g} giây")
                    return None
            else:
                ca = f"{TSA_DIR}/{tsa}.pem"
                said = ca
                if not (self.root / ca).is_file():
                    self.fail(rel, 1, "token", f"không có chứng thư gốc {ca} của đơn vị cấp dấu thời gian {tsa}")
                    return None
            command = [openssl, "ts", "-verify", "-in", rel, "-data", data, "-CAfile", ca]
            command += ["-attime", str(int(when.timestamp()))]
            done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=False)
        if done.returncode != 0 or "Verification: OK" not in done.stdout:
            reason = _openssl_reason(done.stdout + done.stderr)
            self.fail(rel, 1, "token", f"openssl ts -verify thất bại với {data} và {said}: {reason}")
            return None
        return when, accuracy

    def check_signatures(self) -> None:
        """With a trust policy: every checkpoint signed by the office's key of the policy, and
        cosigned by the witnesses it requires (the cosignature's time attests its events)."""
        if self.trust is None or not self.bodies:
            return
        key = self.trust.office_key(self.origin)
        if key is None:
            self.fail(CHECKPOINTS, 1, "checkpoint", f"nhật ký {self.origin} không có trong chính sách tin cậy")
        for size, (body, signatures) in sorted(self.bodies.items()):
            rel = f"{CHECKPOINTS}/{size}"
            if key is not None and not _signed(self.openssl, key, body, signatures):
                self.fail(rel, 4, "signature", "không có chữ ký hợp lệ của cơ quan (khóa trong chính sách tin cậy)")
            count = 0
            for name, vkey in self.trust.witnesses:
                when = _cosigned_at(self.openssl, vkey, body, signatures)
                if when is None:
                    continue
                count += 1
                best = self.cosigned.get(size)
                if best is None or when < best[0]:
                    self.cosigned[size] = (when, f"nhân chứng {name}")
            if size == max(self.bodies) and count < self.trust.required_cosignatures:
                self.fail(
                    rel,
                    4,
                    "cosignature",
                    f"có {count} chữ ký chứng kiến hợp lệ, chính sách tin cậy đòi {self.trust.required_cosignatures}",
                )

    def describe_roots(self, openssl: str | None) -> None:
        """Who each shipped TSA root is, with its SHA-256 fingerprint: the inspector compares
        it with the one the TSA publishes (a root made by the office itself proves nothing)."""
        folder = self.root / TSA_DIR
        for pem in sorted(folder.glob("*.pem")) if folder.is_dir() and openssl else []:
            rel = f"{TSA_DIR}/{pem.name}"
            done = subprocess.run(
                [openssl, "x509", "-in", rel, "-noout", "-subject", "-fingerprint", "-sha256"],
                cwd=self.root,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                self.fail(rel, 1, "tsa", "không phải chứng thư số dạng PEM")
                continue
            found = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
            subject = found.get("subject", "").strip()
            fingerprint = next((v for k, v in found.items() if "Fingerprint" in k), "").strip()
            self.roots.append(f"{pem.stem}: {subject}; SHA-256 {fingerprint}")

    def check_times(self) -> None:
        """Each event's attested time: the earliest valid token on a checkpoint holding it."""
        unstamped = 0
        for number, event in enumerate(self.events, start=1):
            found = self.attestation(number)
            if found is None:
                unstamped += 1
                continue
            when, tsa, size = found
            at = _instant(event.get("at"))
            if at is None:
                continue
            if at > when + self.clock_skew + self.accuracy.get(size, dt.timedelta(0)):
                self.fail(
                    LOG,
                    number,
                    "at",
                    f"seq {number}: {event.get('at')} muộn hơn thời điểm được chứng thực {_local(when)} "
                    f"({tsa}, checkpoint {size}): sự kiện ghi ngày sau khi đã được chứng thực",
                )
            elif when - at > self.max_delay:
                hours = int((when - at).total_seconds() // 3600)
                self.fail(
                    LOG,
                    number,
                    "at",
                    f"seq {number}: {event.get('at')} sớm hơn thời điểm được chứng thực {_local(when)} ({tsa}) "
                    f"{hours} giờ, quá {int(self.max_delay.total_seconds() // 3600)} giờ cho phép: "
                    "ngày công bố chỉ là lời của cơ quan (có thể đã ghi lùi ngày)",
                )
        self.counts["unstamped"] = unstamped
        if unstamped and self.trust is not None and self.trust.require_timestamps:
            self.fail(
                LOG,
                1,
                "at",
                f"chính sách tin cậy đòi dấu thời gian được chấp nhận cho mọi sự kiện (require.timestamps): "
                f"{unstamped} sự kiện không có dấu thời gian hay chữ ký chứng kiến nào được chấp nhận",
            )

    def attestation(self, seq: int) -> tuple[dt.datetime, str, int] | None:
        """The attested time of event ``seq``: the earliest valid token (or cosignature of a
        trusted witness) on a checkpoint holding it, with who attests and the checkpoint."""
        found = [(when, who, size) for size, (when, who) in self.attested.items() if size >= seq]
        found += [(when, who, size) for size, (when, who) in self.cosigned.items() if size >= seq]
        return min(found) if found else None

    # --- 4, 5. records: proofs, attachments, copies -----------------------------------------

    def check_records(self) -> None:
        raw = self.read(INDEX)
        if raw is None:
            self.fail(INDEX, 1, "muc-luc", "không có tệp mục lục của hồ sơ")
            return
        try:
            index = json.loads(raw.decode("utf-8"))
            records = list(index["ban_ghi"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            self.fail(INDEX, 1, "muc-luc", f"mục lục không đọc được ({exc})")
            return
        self.facts = index.get("bao_cao") if isinstance(index.get("bao_cao"), dict) else None
        latest: dict[str, dict] = {}
        for event in self.events:
            if isinstance(event.get("id"), str):
                latest[event["id"]] = event
        proofs = attachments = copies = pages = 0
        for position, record in enumerate(records, start=1):
            key = str(record.get("id", ""))
            field = f"ban_ghi[{position}]"
            public = record.get("pham_vi") == "cong-khai"
            if public and key not in latest:
                self.fail(INDEX, 1, field, f"{key}: không có sự kiện nào của hồ sơ này trong {LOG}")
            page = record.get("trang_pdf")
            if page:
                data = self.read(page)
                if data is None or not data.startswith(b"%PDF"):
                    self.fail(page, 1, "trang_pdf", f"{key}: thiếu bản in trang (PDF) hoặc tệp không phải PDF")
                else:
                    pages += 1
            for rel in record.get("bang_chung", []):
                proofs += 1
                self.check_proof(rel, key)
            for rel in record.get("checkpoints", []):
                copies += 1
                mine, theirs = self.read(rel), self.read(f"{CHECKPOINTS}/{Path(rel).name}")
                if mine is None:
                    self.fail(rel, 1, "checkpoint", "thiếu tệp")
                elif mine != theirs:
                    self.fail(rel, 1, "checkpoint", f"khác với {CHECKPOINTS}/{Path(rel).name}")
            logged = {a.get("file"): a.get("sha256") for a in (latest.get(key, {}).get("attachments") or [])}
            shipped = {item.get("tep") for item in record.get("dinh_kem", [])}
            for name in (
                sorted(set(logged) - shipped) if public and latest.get(key, {}).get("event") != "withdrawn" else []
            ):
                self.fail(INDEX, 1, f"{field}.dinh_kem", f"{key}: thiếu tệp đính kèm {name} mà nhật ký ghi")
            for item in record.get("dinh_kem", []):
                attachments += 1
                rel, name = item.get("duong_dan", ""), item.get("tep", "")
                data = self.read(rel)
                if data is None:
                    self.fail(rel, 1, "dinh_kem", f"{key}: thiếu tệp đính kèm {name}")
                    continue
                digest = hashlib.sha256(data).hexdigest()
                if public:
                    if name not in logged:
                        self.fail(rel, 1, "dinh_kem", f"{key}: tệp {name} không có trong sự kiện cuối của nhật ký")
                    elif digest != logged[name]:
                        self.fail(
                            rel,
                            1,
                            "sha256",
                            f"{key}: SHA-256 {digest} khác với nhật ký ({logged[name]}): tệp đã bị thay",
                        )
                    else:
                        self.shipped.setdefault(key, set()).add(name)
                elif digest != item.get("sha256"):
                    self.fail(rel, 1, "sha256", f"{key}: SHA-256 {digest} khác với mục lục (hồ sơ nội bộ)")
                else:
                    self.shipped.setdefault(key, set()).add(name)
        self.ids = {str(r.get("id", "")) for r in records}
        self.counts.update(records=len(records), proofs=proofs, attachments=attachments, copies=copies, pages=pages)

    def check_proof(self, rel: str, key: str) -> None:
        data = self.read(rel)
        if data is None:
            self.fail(rel, 1, "proof", "thiếu tệp bằng chứng")
            return
        head, sep, note = data.partition(b"\n\n")
        lines = head.decode("ascii", errors="replace").split("\n")
        if not sep or lines[0] != PROOF_HEADER:
            self.fail(rel, 1, "proof", f"không đúng dạng {PROOF_HEADER}")
            return
        rest = lines[1:]
        if rest and rest[0].startswith("extra "):
            rest = rest[1:]
        if not rest or not rest[0].startswith("index ") or not rest[0][6:].isdigit():
            self.fail(rel, 2, "proof", "thiếu dòng index")
            return
        index = int(rest[0][6:])
        try:
            path = [base64.b64decode(h, validate=True) for h in rest[1:]]
        except (binascii.Error, ValueError):
            self.fail(rel, 3, "proof", "mã băm không phải base64")
            return
        named = PROOF_NAME.match(Path(rel).name)
        if named and int(named.group(1)) != index + 1:
            self.fail(rel, 2, "proof", f"tên tệp nói sự kiện {named.group(1)} nhưng index là {index}")
        parsed = _parse_checkpoint(note)
        if isinstance(parsed, str):
            self.fail(rel, 1, "proof", f"checkpoint trong tệp: {parsed}")
            return
        _, size, root = parsed
        if self.checkpoints.get(size, (None,))[0] != note:
            self.fail(rel, 1, "proof", f"checkpoint trong tệp khác với {CHECKPOINTS}/{size}")
        if index >= len(self.lines):
            self.fail(rel, 2, "proof", f"sự kiện {index + 1} không có trong {LOG} (nhật ký đã bị cắt bớt)")
            return
        line = self.lines[index]
        if not _verify_inclusion(hashlib.sha256(b"\x00" + line).digest(), index, size, path, root):
            self.fail(rel, 2, "proof", f"dòng {index + 1} của {LOG} không nằm trong checkpoint {size}")
        event = self.events[index] if index < len(self.events) else {}
        if event.get("id") != key:
            self.fail(rel, 2, "proof", f"sự kiện {index + 1} là của {event.get('id')}, không phải {key}")

    # --- 6. the report: every verdict recomputed, every view compared ---------------------

    def check_report(self) -> None:
        facts = self.facts
        if facts is None:
            self.fail(INDEX, 1, "bao_cao", "mục lục không có dữ kiện của báo cáo B1 (bao_cao); không tính lại được")
            return
        zone = _zone(str(facts.get("mui_gio") or DEFAULT_TZ))
        year = int(facts.get("nam") or 0)
        first_seq: dict[str, int] = {}
        in_year: set[str] = set()
        for number, event in enumerate(self.events, start=1):
            key, at = event.get("id"), _instant(event.get("at"))
            if not isinstance(key, str) or at is None:
                continue
            first_seq.setdefault(key, number)
            if event.get("event") in ("published", "updated") and at.astimezone(zone).year == year:
                in_year.add(key)
        rows = list(facts.get("dong") or [])
        listed = set()
        for number, fact in enumerate(rows, start=1):
            self.verdicts[number] = self.verdict(fact, number, zone, first_seq)
            if fact.get("pham_vi") == "cong-khai":
                listed.add(str(fact.get("id")))
        for key in sorted(in_year - listed):
            self.fail(
                INDEX,
                1,
                "bao_cao",
                f"{key}: công bố hoặc cập nhật trong năm {year} theo nhật ký nhưng thiếu trong báo cáo",
            )
        for key in sorted(listed - in_year):
            self.fail(
                INDEX, 1, "bao_cao", f"{key}: có trong báo cáo nhưng nhật ký không có lần công bố nào trong năm {year}"
            )
        self.counts["report_rows"] = len(rows)
        self.compare_csv(year)
        self.compare_xlsx(year)
        self.compare_html(year)
        self.check_sums(f"{REPORT_DIR}/bao-cao-b1-{year}.sha256", REPORT_DIR)

    def verdict(self, fact: dict, number: int, zone, first_seq: dict[str, int]) -> dict:
        """What row ``number`` must say, computed here from the log, the tokens, the
        cosignatures, the deadline and the evidence files found in the dossier."""
        key = str(fact.get("id"))
        shipped = self.shipped.get(key, set())
        kinds = fact.get("tep_theo_loai") or {}
        missing = [
            str(item.get("nhan"))
            for item in fact.get("minh_chung_can") or []
            if not any(name in shipped for kind in item.get("loai") or [] for name in kinds.get(kind) or [])
        ]
        result = {"id": key, "first": "", "source": "", "deadline": "", "timeliness": "", "missing": missing}
        result.update(seq="", hash="", attested=True)
        if fact.get("pham_vi") != "cong-khai":
            return result
        seq = fact.get("seq")
        event = self.events[seq - 1] if isinstance(seq, int) and 0 < seq <= len(self.events) else {}
        if event.get("id") != key or event.get("hash") != fact.get("hash"):
            self.fail(
                INDEX,
                1,
                f"bao_cao.dong[{number}]",
                f"{key}: sự kiện {seq} không phải sự kiện của hồ sơ này trong {LOG}",
            )
        elif first_seq.get(key) != seq:
            self.fail(
                INDEX,
                1,
                f"bao_cao.dong[{number}]",
                f"{key}: lần công bố đầu là sự kiện {first_seq.get(key)}, không phải {seq}",
            )
        at = _instant(event.get("at"))
        found = self.attestation(seq) if isinstance(seq, int) else None
        if found is not None:
            when = found[0].astimezone(zone)
            first = when.date()
            result["source"] = f"Dấu thời gian {found[1]} ({when.strftime('%d/%m/%Y %H:%M')})"
        else:
            first = at.astimezone(zone).date() if at else None
            result["source"] = OFFICE_CLOCK
            result["attested"] = False
        result.update(seq=str(seq), hash=str(event.get("hash", "")), first=_date(first))
        deadline = _iso_date(fact.get("han"))
        if deadline is not None and first is not None:
            late = (first - deadline).days
            result.update(deadline=_date(deadline), timeliness=f"Trễ {late} ngày" if late > 0 else "Đúng hạn")
        return result

    def compare(self, rel: str, table: list[list[str]], how: str) -> None:
        """Each row of one view of the report (CSV, XLSX) against the recomputed verdicts."""
        if not table:
            self.fail(rel, 1, "bao-cao", f"bảng {how} trống")
            return
        header = table[0]
        wanted = {
            "Công bố lần đầu": "first",
            "Nguồn thời điểm công bố": "source",
            "Hạn công bố": "deadline",
            "Đúng hạn": "timeliness",
            "Còn thiếu": "missing",
            "Sự kiện nhật ký": "seq",
            "Mã băm sự kiện": "hash",
        }
        missing_columns = [name for name in wanted if name not in header]
        if missing_columns:
            self.fail(rel, 1, "bao-cao", f"thiếu cột {', '.join(missing_columns)}")
            return
        rows = [r for r in table[1:] if any(cell.strip() for cell in r)]
        if len(rows) != len(self.verdicts):
            self.fail(rel, 1, "bao-cao", f"có {len(rows)} dòng, dữ kiện của hồ sơ có {len(self.verdicts)} dòng")
        for number, (row, verdict) in enumerate(
            zip(rows, [self.verdicts[n] for n in sorted(self.verdicts)], strict=False), start=1
        ):
            for column, name in wanted.items():
                cell = row[header.index(column)].strip() if header.index(column) < len(row) else ""
                expected = "; ".join(verdict[name]) if name == "missing" else verdict[name]
                if cell != expected:
                    self.fail(
                        rel,
                        number + 1,
                        column,
                        f"{verdict['id']}: báo cáo ghi {cell!r}, tính lại từ nhật ký và dấu thời gian được {expected!r}",
                    )

    def compare_csv(self, year: int) -> None:
        rel = f"{REPORT_DIR}/bao-cao-b1-{year}.csv"
        data = self.read(rel)
        if data is None:
            self.fail(rel, 1, "bao-cao", "không có bảng B1 dạng CSV")
            return
        self.compare(rel, list(csv.reader(data.decode("utf-8-sig").splitlines())), "CSV")

    def compare_xlsx(self, year: int) -> None:
        rel = f"{REPORT_DIR}/bao-cao-b1-{year}.xlsx"
        if not (self.root / rel).is_file():
            self.fail(rel, 1, "bao-cao", "không có bảng B1 dạng XLSX")
            return
        try:
            table = _xlsx_table(self.root / rel)
        except (zipfile.BadZipFile, KeyError, ET.ParseError, ValueError) as exc:
            self.fail(rel, 1, "bao-cao", f"không đọc được tệp Excel ({exc})")
            return
        self.compare(rel, table, "XLSX")

    def compare_html(self, year: int) -> None:
        rel = f"{REPORT_DIR}/bao-cao-b1-{year}.html"
        data = self.read(rel)
        if data is None:
            self.fail(rel, 1, "bao-cao", "không có bảng B1 dạng HTML")
            return
        reader = _ReportHTML()
        reader.feed(data.decode("utf-8", errors="replace"))
        rows = reader.rows
        verdicts = [self.verdicts[n] for n in sorted(self.verdicts)]
        if len(rows) != len(verdicts):
            self.fail(rel, 1, "bao-cao", f"có {len(rows)} dòng, dữ kiện của hồ sơ có {len(verdicts)} dòng")
        for (line, key, cells), verdict in zip(rows, verdicts, strict=False):
            said = {
                "Công bố lần đầu": (cells.get("first-published", ""), verdict["first"]),
                "Nguồn thời điểm công bố": (cells.get("source", ""), verdict["source"]),
                "Đúng hạn": (cells.get("timeliness", ""), verdict["timeliness"]),
                "Hạn công bố": (cells.get("due", ""), verdict["deadline"]),
                "Còn thiếu": (cells.get("missing", cells.get("complete", "")), "; ".join(verdict["missing"])),
            }
            if key != verdict["id"]:
                self.fail(rel, line, "data-key", f"dòng của {key}, dữ kiện của hồ sơ nói {verdict['id']}")
            for column, (cell, expected) in said.items():
                if cell != expected:
                    self.fail(
                        rel,
                        line,
                        column,
                        f"{verdict['id']}: báo cáo ghi {cell!r}, tính lại từ nhật ký và dấu thời gian được {expected!r}",
                    )

    # --- 7. the file list, its signature and its token --------------------------------------

    def check_manifest(self) -> None:
        """``tong-kiem.sha256`` signed by the office and timestamped when the dossier was made:
        a report file or printed page swapped afterwards breaks the signature."""
        sums = self.read(SUMS)
        if sums is None:
            return
        signature = self.read(SUMS_SIGNATURE)
        if signature is None:
            self.reasons.append(
                f"danh mục tệp {SUMS} không có chữ ký của cơ quan: báo cáo, bản in và hướng dẫn có thể bị thay "
                "rồi tính lại SHA-256 mà không ai phát hiện"
            )
        else:
            if self.trust is not None:
                key, whose = self.trust.office_key(self.origin), "khóa của cơ quan trong chính sách tin cậy"
            else:
                shipped = (self.read(VKEY_FILE) or b"").decode("utf-8", errors="replace").strip()
                key, whose = shipped or None, f"khóa trong chính hồ sơ ({VKEY_FILE})"
            if key is None:
                self.fail(SUMS_SIGNATURE, 1, "signature", "không có khóa xác minh của cơ quan để kiểm chữ ký")
            elif _signed(self.openssl, key, sums, _signature_lines(signature)):
                self.counts["manifest_signed"] = 1
                self.manifest.append(f"chữ ký của cơ quan hợp lệ ({whose})")
            else:
                self.fail(
                    SUMS_SIGNATURE,
                    1,
                    "signature",
                    f"chữ ký trên {SUMS} không hợp lệ với {whose}: danh mục tệp đã bị sửa sau khi ký",
                )
        stamped = []
        for path in sorted(self.root.glob("tong-kiem.*.tsr")):
            match = SUMS_TOKEN.match(path.name)
            if match is None or self.openssl is None:
                continue
            checked = self.verify_token(path.name, SUMS, match.group(1))
            if checked is not None:
                stamped.append(f"{_local(checked[0])} ({match.group(1)})")
        if stamped:
            self.manifest.append("có dấu thời gian lúc " + ", ".join(stamped))
        else:
            self.reasons.append(
                f"danh mục tệp {SUMS} không có dấu thời gian hợp lệ: không biết hồ sơ được lập lúc nào, "
                "có thể đã lập lại sau đó"
            )

    def check_guide(self) -> None:
        """With a trust policy: every root fingerprint the guide shows is one the policy accepts."""
        if self.trust is None or self.openssl is None:
            return
        text = (self.read(GUIDE) or b"").decode("utf-8", errors="replace")
        known = set()
        with tempfile.TemporaryDirectory(prefix="kiem-tra-") as tmp:
            for name, (pem, _) in self.trust.roots.items():
                (Path(tmp) / f"{name}.pem").write_bytes(pem)
                done = subprocess.run(
                    [self.openssl, "x509", "-in", f"{name}.pem", "-noout", "-fingerprint", "-sha256"],
                    cwd=tmp,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                known.add(done.stdout.partition("=")[2].strip().upper())
        for number, line in enumerate(text.splitlines(), start=1):
            for found in re.findall(r"vân tay SHA-256 `([0-9A-Fa-f:]+)`", line):
                if found.upper() not in known:
                    self.fail(
                        GUIDE,
                        number,
                        "vân tay",
                        f"{found} không phải vân tay của đơn vị cấp dấu thời gian nào trong chính sách tin cậy",
                    )

    def check_checker(self, installed: bytes | None) -> None:
        """Run by the installed tool: the dossier's copy of the checker is the same program."""
        if installed is None:
            self.notes.append(
                f"Đây là bản {CHECKER} do cơ quan gửi kèm hồ sơ, chỉ để tiện dùng; căn cứ là kết quả của "
                "congkhai kiem-tra (hoặc bản của Thanh tra) với chính sách tin cậy của Thanh tra."
            )
            return
        mine = self.read(CHECKER)
        if mine is None:
            self.notes.append(f"Hồ sơ không có {CHECKER}")
        elif mine != installed:
            self.fail(
                CHECKER,
                1,
                "kiem-tra",
                "khác với chương trình kiểm tra của congkhai đã cài: bản trong hồ sơ đã bị thay, đừng dùng nó",
            )

    # --- 6. the file list ------------------------------------------------------------------

    def check_sums(self, rel: str, base: str = "") -> int:
        data = self.read(rel)
        if data is None:
            self.fail(rel, 1, "sha256", "không có tệp tổng kiểm")
            return 0
        listed = 0
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            digest, _, name = line.partition("  ")
            if not name:
                continue
            listed += 1
            target = f"{base}/{name}" if base else name
            content = self.read(target)
            if content is None:
                self.fail(rel, number, name, "tệp có trong danh sách nhưng không có trong hồ sơ")
            elif hashlib.sha256(content).hexdigest() != digest:
                self.fail(rel, number, name, f"SHA-256 của {target} không khớp: tệp đã bị sửa hoặc thay")
        return listed

    def check_all_sums(self) -> None:
        listed = self.check_sums(SUMS)
        self.counts["files"] = listed
        names = self.read(SUMS)
        known = set()
        if names is not None:
            known = {line.partition("  ")[2] for line in names.decode("utf-8", errors="replace").splitlines()}
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            sealing = rel == SUMS_SIGNATURE or SUMS_TOKEN.match(rel)
            if path.is_file() and rel != SUMS and not sealing and rel not in known and "__pycache__" not in rel:
                self.notes.append(f"Tệp {rel} không có trong {SUMS} (thêm vào sau khi lập hồ sơ)")


# --- RFC 9162 ---------------------------------------------------------------------------------


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k << 1 < len(leaves):
        k <<= 1
    return _node(_root(leaves[:k]), _root(leaves[k:]))


def _verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> bool:
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def _parse_checkpoint(note: bytes) -> tuple[str, int, bytes] | str:
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        return "checkpoint không phải văn bản UTF-8"
    lines = text.partition("\n\n")[0].split("\n")
    if len(lines) < 3 or not lines[1].isdigit():
        return "checkpoint không đúng dạng (tên nhật ký, số sự kiện, mã gốc base64)"
    try:
        root = base64.b64decode(lines[2], validate=True)
    except (binascii.Error, ValueError):
        return "mã gốc của checkpoint không phải base64"
    if len(root) != 32:
        return "mã gốc của checkpoint phải dài 32 byte"
    return lines[0], int(lines[1]), root


# --- helpers ----------------------------------------------------------------------------------


def _no_repeats(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"khóa {', '.join(twice)} xuất hiện hai lần")
    return dict(pairs)


def _instant(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _gen_time(openssl: str, root: Path, rel: str) -> dt.datetime | None:
    """The genTime a token states (``openssl ts -reply -text``), in UTC."""
    done = subprocess.run(
        [openssl, "ts", "-reply", "-in", rel, "-text"], cwd=root, capture_output=True, text=True, check=False
    )
    found = re.search(r"Time stamp: (\w{3}) +(\d+) (\d+):(\d+):(\d+)(?:\.\d+)? (\d{4})", done.stdout)
    if done.returncode != 0 or found is None or found.group(1) not in MONTHS:
        return None
    month = MONTHS.index(found.group(1)) + 1
    day, hour, minute, second, year = (int(found.group(n)) for n in (2, 3, 4, 5, 6))
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return dt.timezone(dt.timedelta(hours=7))


def _date(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _iso_date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


XLSX = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
DATE_COLUMNS = ("Công bố lần đầu", "Hạn công bố", "Ngày văn bản", "Cập nhật lần cuối")


def _xlsx_table(path: Path) -> list[list[str]]:
    """The first sheet of an XLSX as text cells (dates dd/mm/yyyy), read with the standard library."""
    with zipfile.ZipFile(path) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            for item in ET.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{XLSX}si"):
                shared.append("".join(t.text or "" for t in item.iter(f"{XLSX}t")))
        sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))
    table: list[list[str]] = []
    for row in sheet.iter(f"{XLSX}row"):
        cells: list[str] = []
        for cell in row.iter(f"{XLSX}c"):
            letters = re.match(r"[A-Z]+", cell.get("r", "A")).group(0)
            column = 0
            for letter in letters:
                column = column * 26 + ord(letter) - 64
            while len(cells) < column - 1:
                cells.append("")
            kind, value = cell.get("t"), cell.find(f"{XLSX}v")
            if kind == "s" and value is not None:
                text = shared[int(value.text or 0)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{XLSX}t"))
            else:
                text = value.text if value is not None and value.text else ""
            cells.append(text)
        table.append(cells)
    if table:
        for column, name in enumerate(table[0]):
            for cells in table[1:]:
                if column < len(cells) and cells[column]:
                    if name in DATE_COLUMNS and re.fullmatch(r"\d+(\.0+)?", cells[column]):
                        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(float(cells[column])))
                        cells[column] = _date(day)
                    elif re.fullmatch(r"\d+\.0", cells[column]):
                        cells[column] = cells[column][:-2]
    return table


class _ReportHTML(HTMLParser):
    """The rows of the report's HTML table: (line, data-key, {cell class: text})."""

    CLASSES = ("first-published", "source", "timeliness", "due", "missing", "complete")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, str, dict[str, str]]] = []
        self.open: list[str] = []  # the classes being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-key"):
            self.rows.append((self.getpos()[0], str(found["data-key"]), {}))
        classes = [c for c in (found.get("class") or "").split() if c in self.CLASSES]
        if self.rows and classes:
            for name in classes:
                self.rows[-1][2].setdefault(name, "")
            self.open.append(classes[0])
        elif tag in ("td", "span"):
            self.open.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "span") and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.rows and self.open and self.open[-1]:
            cells = self.rows[-1][2]
            name = self.open[-1]
            cells[name] = " ".join((cells[name] + data).split())


def _accuracy(openssl: str, root: Path, rel: str) -> dt.timedelta:
    """The accuracy a token states (zero when none)."""
    done = subprocess.run(
        [openssl, "ts", "-reply", "-in", rel, "-text"], cwd=root, capture_output=True, text=True, check=False
    )
    found = re.search(
        r"Accuracy: (0x[0-9A-Fa-f]+|unspecified) seconds, (0x[0-9A-Fa-f]+|unspecified) millis", done.stdout
    )
    if found is None:
        return dt.timedelta(0)
    seconds, millis = (0 if v == "unspecified" else int(v, 16) for v in found.groups())
    return dt.timedelta(seconds=seconds, milliseconds=millis)


def _openssl_reason(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip() and "Verification" not in line]
    reasons = [line.split(":")[-1].strip() for line in lines if "error" in line.lower()]
    return "; ".join(dict.fromkeys(reasons)) or (lines[-1] if lines else "không rõ lý do")


def _local(moment: dt.datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time (UTC+7, no daylight saving)."""
    return moment.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y %H:%M")


def check(
    root: Path,
    trust: Trust | None = None,
    max_delay_hours: int | None = None,
    installed: bytes | None = None,
    more: Callable[[Path], list[tuple[str, int, str, str]]] | None = None,
):
    """Every check on the dossier in ``root``: (exit code, output lines). ``installed``: the
    source of the checker run by the installed tool, to compare with the dossier's copy;
    ``more``: further checks the installed tool can make and this copy cannot (the digital
    signatures of the attachments), each problem ``(path, line, field, message)``."""
    dossier = Dossier(root, trust, max_delay_hours)
    steps = [
        (LOG, dossier.check_log),
        (CHECKPOINTS, dossier.check_checkpoints),
        (CHECKPOINTS, dossier.check_tokens),
        (LOG, dossier.check_times),
        (TSA_DIR, lambda: dossier.describe_roots(dossier.openssl)),
        (INDEX, dossier.check_records),
        (REPORT_DIR, dossier.check_report),
        (SUMS, dossier.check_all_sums),
        (SUMS_SIGNATURE, dossier.check_manifest),
        (GUIDE, dossier.check_guide),
        (CHECKER, lambda: dossier.check_checker(installed)),
    ]
    if more is not None:
        steps.append((LOG, lambda: [dossier.fail(*problem) for problem in more(root)]))
    for where, step in steps:
        try:
            step()
        except Exception as exc:  # a file so malformed that a check could not finish: a failure, never a traceback
            dossier.fail(where, 1, "kiem-tra", f"không kiểm tra hết được ({type(exc).__name__}: {exc}); tệp bị hỏng")
    c = dossier.counts
    out = [f"Kiểm tra hồ sơ minh chứng: {root}"]
    if trust is not None:
        out.append(f"Chính sách tin cậy: {trust.source} (chứng thư gốc, khóa và dung sai lấy từ đây, không từ hồ sơ)")
    else:
        out.append(
            "Không có chính sách tin cậy (--trust): chứng thư gốc và khóa lấy từ chính hồ sơ, nên kết quả chỉ "
            "cho biết hồ sơ nhất quán với chính nó."
        )
    out += dossier.problems
    out.append(f"- Nhật ký công bố: {c.get('log', 0)} sự kiện; đầu chuỗi {dossier.head()}")
    out.append(
        f"- Checkpoint: {c.get('checkpoints', 0)}, khớp mã gốc Merkle với nhật ký: {len(dossier.valid_checkpoints)}"
    )
    stamped = ", ".join(f"{size}: {_local(w)} ({tsa})" for size, (w, tsa) in sorted(dossier.attested.items()))
    out.append(f"- Dấu thời gian: {c.get('tokens', 0)} tệp; thời điểm được chứng thực: {stamped or 'không có'}")
    if dossier.cosigned:
        cosigned = ", ".join(f"{size}: {_local(w)} ({who})" for size, (w, who) in sorted(dossier.cosigned.items()))
        out.append(f"- Chữ ký chứng kiến: {cosigned}")
    for root_line in dossier.roots:
        out.append(f"  Chứng thư gốc trong hồ sơ {root_line}")
    if dossier.roots and trust is None:
        out.append("  (chưa đối chiếu với chính sách tin cậy: chứng thư gốc do chính cơ quan gửi kèm)")
    unstamped = c.get("unstamped", 0)
    if unstamped:
        out.append(f"  {unstamped} sự kiện chưa có dấu thời gian nào: ngày của chúng chỉ theo đồng hồ của cơ quan")
        dossier.reasons.insert(
            0,
            f"{unstamped} trên {c.get('log', 0)} sự kiện của nhật ký không có dấu thời gian hay chữ ký chứng kiến "
            "hợp lệ: ngày của chúng chỉ theo đồng hồ của cơ quan",
        )
    office = [v for v in dossier.verdicts.values() if not v["attested"]]
    if office:
        dossier.reasons.insert(
            0,
            f"{len(office)} dòng báo cáo có ngày công bố chỉ theo đồng hồ của cơ quan "
            f"({', '.join(v['id'] for v in office[:5])}{'…' if len(office) > 5 else ''}): "
            "kết luận đúng hạn hay trễ của chúng không có căn cứ độc lập",
        )
    if trust is None:
        dossier.reasons.append(
            "chưa kiểm tra với chính sách tin cậy của Thanh tra: chạy congkhai kiem-tra THƯ-MỤC --trust trust.yml"
        )
    out.append(
        f"- Hồ sơ: {c.get('records', 0)}; bản in trang: {c.get('pages', 0)}; bằng chứng: {c.get('proofs', 0)}; "
        f"tệp đính kèm: {c.get('attachments', 0)}; bản sao checkpoint và dấu thời gian: {c.get('copies', 0)}"
    )
    late = sum(1 for v in dossier.verdicts.values() if v["timeliness"].startswith("Trễ"))
    checked = sum(1 for v in dossier.verdicts.values() if v["timeliness"])
    out.append(
        f"- Báo cáo B1: {c.get('report_rows', 0)} dòng, tính lại từ nhật ký: {late} trễ hạn trên {checked} có thời hạn, "
        f"{sum(1 for v in dossier.verdicts.values() if v['missing'])} còn thiếu tài liệu; tổng kiểm: {c.get('files', 0)} tệp"
    )
    out.append(f"- Danh mục tệp {SUMS}: " + ("; ".join(dossier.manifest) or "không có chữ ký, không có dấu thời gian"))
    out += [f"  Lưu ý: {note}" for note in dossier.notes]
    if dossier.problems:
        out.append(f"KẾT QUẢ: KHÔNG ĐẠT, có {len(dossier.problems)} lỗi (xem các dòng ở trên).")
        return FAIL, out
    if dossier.reasons:
        out += [f"  Lý do: {reason}" for reason in dossier.reasons]
        out.append(
            "KẾT QUẢ: CHƯA ĐỦ CĂN CỨ. Hồ sơ nhất quán với chính nó nhưng không chứng minh được các điều trên "
            "(xem các dòng Lý do)."
        )
        return NOT_ENOUGH, out
    out.append(
        "KẾT QUẢ: ĐẠT. Nhật ký, checkpoint, dấu thời gian, bằng chứng, tệp đính kèm và mọi kết luận của báo cáo "
        "B1 đều được tính lại và khớp, theo chính sách tin cậy."
    )
    return PASS, out


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith(("--max-delay=", "--trust="))]
    delays = [a.split("=", 1)[1] for a in argv if a.startswith("--max-delay=")]
    policies = [a.split("=", 1)[1] for a in argv if a.startswith("--trust=")]
    if len(args) > 1 or (delays and not delays[-1].isdigit()) or any(a.startswith("-") for a in args):
        print("Cách dùng: python3 kiem-tra.py [THƯ-MỤC-HỒ-SƠ] [--trust=trust.yml] [--max-delay=GIỜ]")
        return 2
    root = Path(args[0]) if args else Path(__file__).resolve().parent
    if not (root / LOG).is_file() and not (root / INDEX).is_file():
        print(f"{root}: không phải thư mục hồ sơ minh chứng (không có {LOG} và {INDEX})")
        return FAIL
    trust = None
    if policies:
        try:
            trust = load_trust(Path(policies[-1]))
        except TrustError as exc:
            print("\n".join(exc.problems))
            return 2
    print(f"Lưu ý: {CHECKER} trong hồ sơ là bản tiện dùng do cơ quan gửi kèm; căn cứ là công cụ của Thanh tra.")
    code, lines = check(root, trust, int(delays[-1]) if delays else None)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
