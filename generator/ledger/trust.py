"""The checker's trust policy, ``trust.yml`` (SPEC §4c).

A verdict about an office is evidence only when everything it trusts comes from the
checker's side: the provincial inspectorate publishes ``trust.yml`` (a file, or a URL)::

    tsas:                       # accepted time-stamping authorities
      - name: vnpt-ca           # as in the token files <size>.<name>.tsr
        root: tsa/vnpt-root.pem # root certificate: a path relative to trust.yml, or inline PEM
        accuracy: 60            # optional: the largest token accuracy accepted, in seconds
    offices:
      - name: Ban Quản lý Khu kinh tế tỉnh An Giang
        url: https://bqlkkt.angiang.gov.vn/
        key: bqlkkt.angiang.gov.vn/nhat-ky-cong-khai+8a1c2b3d+AfT…   # its C2SP vkey; the name is the log origin
    witnesses:
      - name: thanh-tra-an-giang
        key: thanhtra.angiang.gov.vn/witness+5678ef01+AYY…
    max_timestamp_delay: 24     # hours an event may wait for its token
    clock_skew: 300             # seconds of office clock error tolerated (plus the token's accuracy)
    require:
      timestamps: true          # every event covered by a token of an accepted TSA
      cosignatures: 1           # cosignatures of listed witnesses required on each served checkpoint
    signature_roots:            # roots that digital signatures of PDF attachments must chain to
      - chung-thu-goc/ban-co-yeu.pem   # a PEM file (several certificates allowed) or a folder of them,
      - |                              # relative to trust.yml, or inline PEM
        -----BEGIN CERTIFICATE-----
        …

With ``signature_roots``, ``verify --trust`` rechecks the signature of every logged PDF
attachment with these roots only (the office's ``signature_roots`` do not count: the checker
decides whom to trust), the accepted TSAs' roots trusted for the timestamps embedded in them.

:func:`load_policy` reads and checks it; every problem is ``trust.yml:line: field: message``.
A policy fetched from a URL must give its roots as inline PEM (a path would be read on the
checker's machine, relative to nothing the publisher controls).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.x509 import load_pem_x509_certificates

from generator.core import http
from generator.core.errors import CongkhaiError, Problem
from generator.core.yamltext import field_name, read_yaml
from generator.ledger import cosign
from generator.ledger.checkpoints import parse_verifier_key
from generator.ledger.timestamps import NAME_PATTERN
from generator.records import signatures

MAX_POLICY = 1024 * 1024
"""Largest trust policy fetched from a URL."""
DEADLINE = 30.0
"""Seconds allowed to fetch a trust policy from a URL, in all."""
DEFAULT_MAX_DELAY_HOURS = 24
DEFAULT_CLOCK_SKEW_SECONDS = 300
_KEYS = ("tsas", "offices", "witnesses", "max_timestamp_delay", "clock_skew", "require", "signature_roots")
PEM_START = "-----BEGIN"


@dataclass(frozen=True)
class TrustedTSA:
    """An accepted time-stamping authority."""

    name: str
    root_pem: bytes
    accuracy_seconds: float | None = None
    """The largest token ``accuracy`` accepted (None: any)."""


@dataclass(frozen=True)
class TrustedOffice:
    """An office whose log the checker knows: its site and its verifier key."""

    name: str
    url: str
    key: str
    """Its C2SP note verifier key (``<origin>+<key ID>+<base64>``)."""
    origin: str
    """The name of ``key``: the origin its checkpoints carry."""


@dataclass(frozen=True)
class TrustedWitness:
    name: str
    key: str


@dataclass(frozen=True)
class TrustPolicy:
    source: str
    """The file or URL it was read from, as given."""
    tsas: list[TrustedTSA] = field(default_factory=list)
    offices: list[TrustedOffice] = field(default_factory=list)
    witnesses: list[TrustedWitness] = field(default_factory=list)
    max_timestamp_delay_hours: int = DEFAULT_MAX_DELAY_HOURS
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    require_timestamps: bool = True
    required_cosignatures: int = 0
    signature_roots: signatures.Roots | None = None
    """The roots digital signatures of PDF attachments must chain to (the accepted TSAs'
    roots trusted for their embedded timestamps); None: the policy names none."""

    def office_for_origin(self, origin: str) -> TrustedOffice | None:
        return next((o for o in self.offices if o.origin == origin), None)

    def office_for_url(self, url: str) -> TrustedOffice | None:
        wanted = _site_address(url)
        return next((o for o in self.offices if _site_address(o.url) == wanted), None)

    def tsa(self, name: str) -> TrustedTSA | None:
        return next((t for t in self.tsas if t.name == name), None)


def _site_address(url: str) -> str:
    """``HTTPS://Host:443/a`` and ``https://host/a/`` are the same site."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}/"


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _read(source: str) -> str:
    if is_url(source):
        parts = urlsplit(source)
        if parts.scheme != "https" and not _loopback(parts.hostname):
            raise CongkhaiError(
                f"{source}: chính sách tin cậy phải tải qua https:// (qua http:// người khác có thể sửa nó trên đường truyền)"
            )
        try:
            with http.client() as client:
                body = http.get(client, source, MAX_POLICY, deadline=DEADLINE).body
        except http.FetchError as exc:
            raise CongkhaiError(f"{source}: không tải được chính sách tin cậy ({exc.reason})") from None
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise CongkhaiError(f"{source}: chính sách tin cậy không phải văn bản UTF-8") from None
    try:
        return Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CongkhaiError(f"không tìm thấy tệp chính sách tin cậy {source}") from None
    except UnicodeDecodeError:
        raise CongkhaiError(f"{source}: chính sách tin cậy không phải văn bản UTF-8") from None
    except OSError as exc:
        raise CongkhaiError(f"{source}: không đọc được chính sách tin cậy ({exc.strerror or exc})") from None


def load_policy(source: str) -> TrustPolicy:
    """Read and check the trust policy at ``source`` (a path, or an https URL); raises
    :class:`CongkhaiError` with every problem as ``<source>:line: field: message``."""
    text = _read(source)
    data, lines, problems = read_yaml(text, source)
    if problems:
        raise CongkhaiError(problems)

    def line(where: tuple[str | int, ...]) -> int:
        for cut in range(len(where), -1, -1):
            if where[:cut] in lines:
                return lines[where[:cut]]
        return 1

    def bad(where: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(source, line(where), field_name(where) if where else "trust", message))

    if not isinstance(data, dict):
        bad((), "chính sách tin cậy phải có các khóa " + ", ".join(_KEYS))
        raise CongkhaiError(problems)
    for key in sorted(str(k) for k in data if k not in _KEYS):
        bad((key,), f"khóa không được hỗ trợ; chỉ dùng {', '.join(_KEYS)}")
    base = None if is_url(source) else Path(source).parent
    tsas = _tsas(data.get("tsas"), base, bad)
    offices = _offices(data.get("offices"), bad)
    witnesses = _witnesses(data.get("witnesses"), bad)
    max_delay = _whole(data, "max_timestamp_delay", DEFAULT_MAX_DELAY_HOURS, 1, 24 * 366, "số giờ", bad)
    skew = _whole(data, "clock_skew", DEFAULT_CLOCK_SKEW_SECONDS, 0, 86400, "số giây", bad)
    require = data.get("require")
    timestamps, cosignatures = bool(tsas), 0
    if require is not None and not isinstance(require, dict):
        bad(("require",), "phải có dạng {timestamps: true/false, cosignatures: số}")
        require = {}
    for key in sorted(str(k) for k in (require or {}) if k not in ("timestamps", "cosignatures")):
        bad(("require", key), "khóa không được hỗ trợ; chỉ dùng timestamps, cosignatures")
    if require and "timestamps" in require:
        wanted = _boolean(require["timestamps"])
        if wanted is None:
            bad(("require", "timestamps"), "phải là true hoặc false")
        else:
            timestamps = wanted
            if timestamps and not data.get("tsas"):
                bad(("require", "timestamps"), "yêu cầu dấu thời gian nhưng tsas không có đơn vị nào được chấp nhận")
    if require and "cosignatures" in require:
        value = _integer(require["cosignatures"])
        if value is None or value < 0:
            bad(("require", "cosignatures"), "phải là số nguyên không âm (số chữ ký đồng xác nhận cần có)")
        elif value > len(data.get("witnesses") or []):
            bad(
                ("require", "cosignatures"),
                f"cần {value} chữ ký đồng xác nhận nhưng witnesses chỉ có {len(witnesses)} bên",
            )
        else:
            cosignatures = value
    roots = _signature_roots(data.get("signature_roots"), base, tsas, bad) if "signature_roots" in data else None
    if problems:
        raise CongkhaiError(problems)
    return TrustPolicy(source, tsas, offices, witnesses, max_delay, skew, timestamps, cosignatures, roots)


def _signature_roots(raw: Any, base: Path | None, tsas: list[TrustedTSA], bad: Any) -> signatures.Roots:
    """The roots of ``signature_roots``: each a PEM file or a folder of them (relative to the
    policy), or inline PEM."""
    shape = "danh sách chứng thư gốc cho chữ ký số: đường dẫn tệp PEM hoặc thư mục, hoặc PEM viết thẳng"
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        bad(("signature_roots",), f"phải là {shape}")
        raw = []
    certificates = []
    files: list[str] = []
    for index, entry in enumerate(raw):
        where = ("signature_roots", index)
        if not isinstance(entry, str) or not entry.strip():
            bad(where, f"phải là {shape}")
            continue
        if entry.lstrip().startswith(PEM_START):
            found = signatures.certificates_of(entry.strip().encode("ascii", errors="replace") + b"\n")
            if not found:
                bad(where, "PEM viết thẳng: không phải chứng thư số dạng PEM")
            certificates += found
            continue
        if base is None:
            bad(where, "chính sách tải từ URL phải viết thẳng chứng thư gốc dạng PEM (-----BEGIN CERTIFICATE-----…)")
            continue
        path = Path(entry).expanduser()
        path = path if path.is_absolute() else base / path
        if path.is_dir():
            members = sorted(p for p in path.iterdir() if p.suffix.lower() in (".pem", ".crt", ".cer"))
            if not members:
                bad(where, f"{entry}: thư mục không có tệp chứng thư nào (.pem, .crt, .cer)")
        else:
            members = [path]
        for member in members:
            try:
                found = signatures.certificates_of(member.read_bytes())
            except OSError as exc:
                bad(where, f"{entry}: không đọc được ({exc.strerror or exc})")
                continue
            if not found:
                shown = entry if member == path else f"{entry}: {member.name}"
                bad(where, f"{shown}: không chứa chứng thư số (PEM hoặc DER) nào")
            certificates += found
            files.append(str(member))
    stamping = [c for tsa in tsas for c in signatures.certificates_of(tsa.root_pem)]
    return signatures.make_roots(certificates, files, stamping)


def _entries(raw: Any, key: str, shape: str, bad: Any) -> list[tuple[int, dict[str, Any]]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        bad((key,), f"phải là danh sách, mỗi mục có dạng {shape}")
        return []
    out = []
    for index, entry in enumerate(raw):
        if isinstance(entry, dict):
            out.append((index, entry))
        else:
            bad((key, index), f"phải có dạng {shape}")
    return out


def _unknown(entry: dict[str, Any], where: tuple[str | int, ...], allowed: tuple[str, ...], bad: Any) -> None:
    for key in sorted(str(k) for k in entry if k not in allowed):
        bad((*where, key), f"khóa không được hỗ trợ; chỉ dùng {', '.join(allowed)}")


def _tsas(raw: Any, base: Path | None, bad: Any) -> list[TrustedTSA]:
    out: list[TrustedTSA] = []
    for index, entry in _entries(raw, "tsas", "{name, root, accuracy}", bad):
        where = ("tsas", index)
        _unknown(entry, where, ("name", "root", "accuracy"), bad)
        name, root, accuracy = entry.get("name"), entry.get("root"), entry.get("accuracy")
        ok = True
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            bad((*where, "name"), "phải là tên gồm chữ cái không dấu, chữ số và dấu gạch ngang, như trong tên tệp .tsr")
            ok = False
        elif any(t.name == name for t in out):
            bad((*where, "name"), f"trùng tên với một đơn vị cấp dấu thời gian ở trên: {name}")
            ok = False
        pem = _root_pem(root, base, (*where, "root"), bad)
        ok = ok and pem is not None
        seconds = None
        if accuracy is not None:
            seconds = _number(accuracy)
            if seconds is None or seconds < 0:
                bad((*where, "accuracy"), "phải là số giây không âm (độ chính xác lớn nhất được chấp nhận)")
                ok = False
        if ok and pem is not None:
            out.append(TrustedTSA(str(name), pem, seconds))
    return out


def _root_pem(root: Any, base: Path | None, where: tuple[str | int, ...], bad: Any) -> bytes | None:
    if not isinstance(root, str) or not root.strip():
        bad(where, "phải là chứng thư gốc (PEM) của đơn vị cấp dấu thời gian: đường dẫn tệp, hoặc PEM viết thẳng")
        return None
    if root.lstrip().startswith(PEM_START):
        pem = root.strip().encode("ascii", errors="replace") + b"\n"
    elif base is None:
        bad(where, "chính sách tải từ URL phải viết thẳng chứng thư gốc dạng PEM (-----BEGIN CERTIFICATE-----…)")
        return None
    else:
        path = Path(root).expanduser()
        path = path if path.is_absolute() else base / path
        try:
            pem = path.read_bytes()
        except OSError as exc:
            bad(where, f"{root}: không đọc được ({exc.strerror or exc})")
            return None
    try:
        load_pem_x509_certificates(pem)
    except ValueError:
        bad(
            where,
            f"{'PEM viết thẳng' if root.lstrip().startswith(PEM_START) else root}: không phải chứng thư số dạng PEM",
        )
        return None
    return pem


def _vkey(raw: Any, where: tuple[str | int, ...], bad: Any) -> tuple[str, str] | None:
    """(key, its name) of a checked verifier key."""
    if not isinstance(raw, str) or not raw.strip():
        bad(where, "phải là khóa kiểm tra chữ ký (vkey C2SP: <tên>+<mã khóa>+<base64>)")
        return None
    try:
        name, _ = parse_verifier_key(raw)
    except ValueError as exc:
        bad(where, f"khóa kiểm tra chữ ký không hợp lệ: {exc}")
        return None
    return raw.strip(), name


def _offices(raw: Any, bad: Any) -> list[TrustedOffice]:
    out: list[TrustedOffice] = []
    for index, entry in _entries(raw, "offices", "{name, url, key}", bad):
        where = ("offices", index)
        _unknown(entry, where, ("name", "url", "key"), bad)
        name, url = entry.get("name"), entry.get("url")
        ok = True
        if not isinstance(name, str) or not name.strip():
            bad((*where, "name"), "phải là tên cơ quan")
            ok = False
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            bad((*where, "url"), "phải là địa chỉ gốc của trang, http:// hoặc https://")
            ok = False
        key = _vkey(entry.get("key"), (*where, "key"), bad)
        if key is not None and any(o.origin == key[1] for o in out):
            bad((*where, "key"), f"trùng nguồn nhật ký với một cơ quan ở trên: {key[1]}")
            ok = False
        if ok and key is not None:
            out.append(TrustedOffice(" ".join(str(name).split()), str(url), key[0], key[1]))
    return out


def _witnesses(raw: Any, bad: Any) -> list[TrustedWitness]:
    out: list[TrustedWitness] = []
    for index, entry in _entries(raw, "witnesses", "{name, key}", bad):
        where = ("witnesses", index)
        _unknown(entry, where, ("name", "key"), bad)
        name = entry.get("name")
        ok = True
        if not isinstance(name, str) or not name.strip():
            bad((*where, "name"), "phải là tên bên đồng xác nhận")
            ok = False
        text = entry.get("key")
        try:  # a witness's key is a cosignature/v1 key (C2SP tlog-cosignature: type 0x04)
            parsed = cosign.parse_vkey(str(text)) if isinstance(text, str) else None
            if parsed is None or parsed.kind != cosign.COSIGNATURE_V1:
                raise ValueError("phải là khóa cosignature/v1 của bên đồng xác nhận (loại 0x04)")
        except ValueError as exc:
            bad((*where, "key"), f"khóa kiểm tra chữ ký không hợp lệ: {exc}")
            continue
        if ok:
            out.append(TrustedWitness(name.strip(), text.strip()))
    return out


def _integer(value: Any) -> int | None:
    """A whole number written in the policy (its scalars are read as text), else None."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else None


def _number(value: Any) -> float | None:
    text = str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    return float(text) if re.fullmatch(r"-?\d{1,9}(\.\d+)?", text) else None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).strip().lower()) if isinstance(value, str) else None


def _whole(data: dict[str, Any], key: str, default: int, low: int, high: int, unit: str, bad: Any) -> int:
    if key not in data:
        return default
    value = _integer(data[key])
    if value is None or not low <= value <= high:
        bad((key,), f"phải là {unit} nguyên từ {low} đến {high}")
        return default
    return value
