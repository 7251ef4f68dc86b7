#!/usr/bin/env python3
"""kiem-tra.py: kiểm tra hồ sơ minh chứng của congkhai, không cần mạng, không cần congkhai.

Cách chạy, trong thư mục hồ sơ:  python3 kiem-tra.py   (hoặc: python3 kiem-tra.py THƯ-MỤC)
Cần: Python 3.11 trở lên (chỉ thư viện chuẩn) và lệnh ``openssl`` (kiểm tra dấu thời gian).

Kiểm tra:
1. Nhật ký công bố (nhat-ky/publication-log.jsonl): mỗi dòng là JSON ở dạng chuẩn (khóa xếp
   theo thứ tự, không khoảng trắng, không khóa lặp), seq 1, 2, 3…, prev là hash của sự kiện
   trước, hash = SHA-256 của sự kiện bỏ khóa hash, thời điểm (at) không đi lùi.
2. Mỗi checkpoint (nhat-ky/checkpoints/<số>): mã gốc Merkle (RFC 9162: lá = SHA-256(0x00‖dòng),
   nút = SHA-256(0x01‖trái‖phải)) của <số> dòng đầu của nhật ký.
3. Mỗi dấu thời gian (<số>.<tsa>.tsr): ``openssl ts -verify -attime`` với chứng thư gốc của
   đơn vị cấp dấu thời gian có trong hồ sơ (nhat-ky/tsa/<tsa>.pem); thời điểm được chứng thực
   của từng sự kiện (không sự kiện nào ghi ngày muộn hơn, hay sớm hơn quá nhiều).
4. Mỗi tệp bằng chứng (proof-<seq>.tlog-proof): dòng <seq> của nhật ký nằm trong checkpoint.
5. Mỗi tệp đính kèm: SHA-256 khớp với nhật ký; mỗi bản sao checkpoint/dấu thời gian của
   một hồ sơ trùng với bản trong nhat-ky/; mỗi dòng của báo cáo B1 khớp với sự kiện nó nêu.
6. Mọi tệp có trong tong-kiem.sha256 với đúng SHA-256 (``sha256sum -c`` cũng đọc được tệp này).

Mỗi lỗi in một dòng ``tệp:dòng: mục: lỗi``. Mã thoát: 0 hồ sơ toàn vẹn, 1 có lỗi.
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
from pathlib import Path

LOG = "nhat-ky/publication-log.jsonl"
CHECKPOINTS = "nhat-ky/checkpoints"
LATEST = "nhat-ky/checkpoint"
TSA_DIR = "nhat-ky/tsa"
INDEX = "muc-luc.json"
SUMS = "tong-kiem.sha256"
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


class Dossier:
    def __init__(self, root: Path, max_delay_hours: int):
        self.root = root
        self.max_delay = dt.timedelta(hours=max_delay_hours)
        self.problems: list[str] = []
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
            ca = f"{TSA_DIR}/{tsa}.pem"
            if not (self.root / data).is_file():
                self.fail(rel, 1, "token", f"không có checkpoint {data} mà dấu thời gian này chứng thực")
                continue
            if not (self.root / ca).is_file():
                self.fail(rel, 1, "token", f"không có chứng thư gốc {ca} của đơn vị cấp dấu thời gian {tsa}")
                continue
            when = _gen_time(openssl, self.root, rel)
            if when is None:
                self.fail(rel, 1, "token", "không đọc được dấu thời gian (không phải TimeStampResp RFC 3161)")
                continue
            command = [openssl, "ts", "-verify", "-in", rel, "-data", data, "-CAfile", ca]
            command += ["-attime", str(int(when.timestamp()))]
            done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=False)
            if done.returncode != 0 or "Verification: OK" not in done.stdout:
                reason = _openssl_reason(done.stdout + done.stderr)
                self.fail(rel, 1, "token", f"openssl ts -verify thất bại với {data} và {ca}: {reason}")
                continue
            if size not in self.valid_checkpoints:
                self.fail(rel, 1, "token", f"dấu thời gian hợp lệ nhưng checkpoint {size} không khớp với nhật ký")
                continue
            best = self.attested.get(size)
            if best is None or when < best[0]:
                self.attested[size] = (when, tsa)

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
            found = [(when, tsa, size) for size, (when, tsa) in self.attested.items() if size >= number]
            if not found:
                unstamped += 1
                continue
            when, tsa, size = min(found)
            at = _instant(event.get("at"))
            if at is None:
                continue
            if at > when:
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
                elif digest != item.get("sha256"):
                    self.fail(rel, 1, "sha256", f"{key}: SHA-256 {digest} khác với mục lục (hồ sơ nội bộ)")
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

    # --- 5b. the report rows ---------------------------------------------------------------

    def check_report(self) -> None:
        found = sorted((self.root / "bao-cao").glob("bao-cao-b1-*.csv"))
        if not found:
            self.fail("bao-cao", 1, "bao-cao", "không có bảng B1 dạng CSV")
            return
        rel = f"bao-cao/{found[0].name}"
        text = found[0].read_text(encoding="utf-8-sig")
        rows = list(csv.reader(text.splitlines()))
        if not rows or "Sự kiện nhật ký" not in rows[0] or "Mã băm sự kiện" not in rows[0]:
            self.fail(rel, 1, "bao-cao", "thiếu cột Sự kiện nhật ký / Mã băm sự kiện")
            return
        seq_at, hash_at = rows[0].index("Sự kiện nhật ký"), rows[0].index("Mã băm sự kiện")
        for number, row in enumerate(rows[1:], start=2):
            if len(row) <= max(seq_at, hash_at) or not row[seq_at]:
                continue
            seq = int(row[seq_at]) if row[seq_at].isdigit() else 0
            event = self.events[seq - 1] if 0 < seq <= len(self.events) else {}
            if event.get("hash") != row[hash_at]:
                self.fail(rel, number, "Mã băm sự kiện", f"dòng báo cáo nêu sự kiện {row[seq_at]} không khớp {LOG}")
            elif event.get("id") not in self.ids:
                self.fail(
                    rel, number, "Đường dẫn", f"hồ sơ {event.get('id')} có trong báo cáo nhưng không có trong {INDEX}"
                )
        self.counts["report_rows"] = len(rows) - 1
        sums = self.root / "bao-cao" / (found[0].stem + ".sha256")
        self.check_sums(f"bao-cao/{sums.name}", "bao-cao")

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
            if path.is_file() and rel != SUMS and rel not in known and "__pycache__" not in rel:
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


def _openssl_reason(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip() and "Verification" not in line]
    reasons = [line.split(":")[-1].strip() for line in lines if "error" in line.lower()]
    return "; ".join(dict.fromkeys(reasons)) or (lines[-1] if lines else "không rõ lý do")


def _local(moment: dt.datetime) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time (UTC+7, no daylight saving)."""
    return moment.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%d/%m/%Y %H:%M")


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--max-delay=")]
    delays = [a.split("=", 1)[1] for a in argv if a.startswith("--max-delay=")]
    if len(args) > 1 or (delays and not delays[-1].isdigit()) or any(a in ("-h", "--help") for a in args):
        print("Cách dùng: python3 kiem-tra.py [THƯ-MỤC-HỒ-SƠ] [--max-delay=GIỜ]")
        return 2
    root = Path(args[0]) if args else Path(__file__).resolve().parent
    if not (root / LOG).is_file() and not (root / INDEX).is_file():
        print(f"{root}: không phải thư mục hồ sơ minh chứng (không có {LOG} và {INDEX})")
        return 1
    dossier = Dossier(root, int(delays[-1]) if delays else DEFAULT_MAX_DELAY_HOURS)
    steps = [
        (LOG, dossier.check_log),
        (CHECKPOINTS, dossier.check_checkpoints),
        (CHECKPOINTS, dossier.check_tokens),
        (LOG, dossier.check_times),
        (TSA_DIR, lambda: dossier.describe_roots(shutil.which("openssl"))),
        (INDEX, dossier.check_records),
        ("bao-cao", dossier.check_report),
        (SUMS, dossier.check_all_sums),
    ]
    for where, step in steps:
        try:
            step()
        except Exception as exc:  # a file so malformed that a check could not finish: a failure, never a traceback
            dossier.fail(where, 1, "kiem-tra", f"không kiểm tra hết được ({type(exc).__name__}: {exc}); tệp bị hỏng")
    c = dossier.counts
    print(f"Kiểm tra hồ sơ minh chứng: {root}")
    for problem in dossier.problems:
        print(problem)
    print(f"- Nhật ký công bố: {c.get('log', 0)} sự kiện; đầu chuỗi {dossier.head()}")
    print(f"- Checkpoint: {c.get('checkpoints', 0)}, khớp mã gốc Merkle với nhật ký: {len(dossier.valid_checkpoints)}")
    stamped = ", ".join(f"{size}: {_local(w)} ({tsa})" for size, (w, tsa) in sorted(dossier.attested.items()))
    print(f"- Dấu thời gian: {c.get('tokens', 0)} tệp; thời điểm được chứng thực: {stamped or 'không có'}")
    for root_line in dossier.roots:
        print(f"  Chứng thư gốc {root_line}")
    if dossier.roots:
        print("  (đối chiếu vân tay SHA-256 trên với vân tay do đơn vị cấp dấu thời gian công bố)")
    if c.get("unstamped"):
        print(f"  {c['unstamped']} sự kiện chưa có dấu thời gian nào: ngày của chúng chỉ theo đồng hồ của cơ quan")
    print(
        f"- Hồ sơ: {c.get('records', 0)}; bản in trang: {c.get('pages', 0)}; bằng chứng: {c.get('proofs', 0)}; "
        f"tệp đính kèm: {c.get('attachments', 0)}; bản sao checkpoint và dấu thời gian: {c.get('copies', 0)}"
    )
    print(f"- Báo cáo B1: {c.get('report_rows', 0)} dòng; tổng kiểm: {c.get('files', 0)} tệp")
    for note in dossier.notes:
        print(f"  Lưu ý: {note}")
    if dossier.problems:
        print(f"KẾT QUẢ: KHÔNG ĐẠT, có {len(dossier.problems)} lỗi (xem các dòng ở trên).")
        return 1
    print("KẾT QUẢ: ĐẠT. Hồ sơ toàn vẹn: nhật ký, checkpoint, dấu thời gian, bằng chứng và tệp đính kèm đều khớp.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
