"""``witness.yml``: the offices a witness follows (name, address, verifier key), the
witness's own name and the witnesses it trusts, the TSAs it accepts, its deadlines; read
and checked, every mistake at its line. The limits of a sync are here too.

The TSAs, the offices' keys and the witnesses may come from the inspectorate's trust policy
instead (SPEC §4c, :mod:`generator.ledger.trust`): ``trust: trust.yml`` in ``witness.yml`` (a
path relative to it, or an https URL), or ``--trust`` on the command line, which wins. With a
policy, every root, key and witness comes from it alone: ``tsa:`` and ``witnesses:`` beside it
are refused (two sources of trust would disagree one day), an office's ``key`` must be the
policy's key for that address, an office the policy lists takes its key from there, and when
``agencies:`` is left out the witness follows every office of the policy. The types are the
policy's own (:class:`~generator.ledger.trust.TrustedTSA`,
:class:`~generator.ledger.trust.TrustedWitness`), so the witness and ``verify --trust`` read
the same facts the same way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509 import load_pem_x509_certificates

from generator.core import http
from generator.core.errors import CongkhaiError, Problem
from generator.core.values import slugify
from generator.core.yamltext import read_yaml
from generator.ledger import checkpoints, cosign
from generator.ledger.timestamps import NAME_PATTERN
from generator.ledger.trust import TrustedTSA, TrustedWitness, TrustPolicy, is_url, load_policy

WORKERS = 8
"""Offices visited at the same time."""
BUDGET = 60.0
"""Seconds one office may take in all, per sync (``budget`` in ``witness.yml``): a slow
office never holds the province's sync, and its lock, for long; what was not done waits
for the next sync."""
REQUEST_DEADLINE = 30.0
"""Seconds one request may take in all (connection, headers, body), at most; with a short
``timeout`` it is three times that, at least 5 seconds, and never beyond the office's budget."""
MAX_CHECKPOINT = 64 * 1024
MAX_LOG = 64 * 1024 * 1024
"""Largest log accepted (a log of 100,000 events is about 60 MB)."""
TOKEN_RETRIES = 3
"""Earlier checkpoints still without a token whose token is asked for again at each sync."""
MAX_INTERMEDIATE = 1000
"""Checkpoints of publishes between two syncs fetched at most (the latest ones); on the
first sync of an office these are its earlier checkpoints, whose tokens date its earlier
events."""
PROBE_ALL = 16
"""Up to this many new events, a checkpoint is asked for after each (two publishes within
one second share their ``at``); beyond, only where ``at`` changes."""
MAX_FACTS = 32 * 1024 * 1024
"""Largest ``minh-chung.json`` accepted."""
LOCK_NAME = ".dong-bo.lock"
"""The store's lock file (:func:`store_lock`)."""
FACTS_NAME = "minh-chung.jsonl"
LOG_NAME = "publication-log.jsonl"
OK, ERROR, CONFLICT = "ok", "error", "conflict"
STATE_WORDS = {OK: "ĐẠT", ERROR: "LỖI", CONFLICT: "XUNG ĐỘT"}


# --- witness.yml ------------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    name: str
    url: str
    """The site's root, ending with ``/``."""
    slug: str
    """The office's folder in the store: its host (and port, path) as a slug."""
    key_name: str | None = None
    key: Ed25519PublicKey | None = None


@dataclass(frozen=True)
class Config:
    agencies: list[Agency]
    tsas: list[TrustedTSA] = field(default_factory=list)
    """The TSAs whose tokens are accepted (their roots and accepted accuracy)."""
    timeout: float = http.TIMEOUT
    budget: float = BUDGET
    name: str = ""
    """This witness's own name as a cosigner (``congkhai witness serve``)."""
    witnesses: list[TrustedWitness] = field(default_factory=list)
    """Witnesses whose cosignatures the served checkpoints should carry (keys of type 0x04)."""
    policy: TrustPolicy | None = None
    """The trust policy the TSAs, keys and witnesses came from, if any."""


def agency_slug(url: str) -> str:
    """``https://bqlkkt.angiang.gov.vn/`` -> ``bqlkkt-angiang-gov-vn``."""
    parts = urlsplit(url)
    return slugify(f"{parts.hostname or ''} {parts.port or ''} {parts.path}") or "co-quan"


def load_config(path: Path, relpath: str | None = None, trust: str | None = None) -> Config:
    """Read and check ``witness.yml``; :class:`CongkhaiError` with ``path:line: field: message``.
    ``trust`` (a file or URL, from ``--trust``) wins over the file's own ``trust:``."""
    relpath = relpath or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CongkhaiError(
            f"không tìm thấy tệp cấu hình giám sát {relpath}; hãy tạo nó (xem README, Cho Thanh tra tỉnh)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CongkhaiError(f"{relpath}: không đọc được tệp ({exc})") from None
    data, lines, problems = read_yaml(text, relpath)
    if problems:
        raise CongkhaiError(problems)

    def line(*where: str | int) -> int:
        for cut in range(len(where), -1, -1):
            if where[:cut] in lines:
                return lines[where[:cut]]
        return 1

    def bad(where: tuple[str | int, ...], message: str) -> None:
        name = "".join(f"[{p + 1}]" if isinstance(p, int) else (("." if i else "") + p) for i, p in enumerate(where))
        problems.append(Problem(relpath, line(*where), name or "witness", message))

    if not isinstance(data, dict):
        bad((), "tệp phải có khóa agencies: danh sách các cơ quan {name, url}")
        raise CongkhaiError(problems)
    allowed = ("agencies", "tsa", "timeout", "budget", "name", "witnesses", "trust")
    for key in sorted(k for k in data if k not in allowed):
        bad((key,), f"khóa không được hỗ trợ; chỉ dùng {', '.join(allowed)}")
    policy = _policy(trust, data.get("trust"), path, bad)
    if policy is not None:
        for key in ("tsa", "witnesses"):
            if data.get(key):
                bad(
                    (key,),
                    f"đã dùng chính sách tin cậy {policy.source}: mọi đơn vị cấp dấu thời gian và nhân chứng "
                    "lấy từ đó; bỏ khóa này khỏi witness.yml",
                )
    agencies: list[Agency] = []
    raw_agencies = data.get("agencies")
    if raw_agencies is None and policy is not None:
        raw_agencies = [{"name": o.name, "url": o.url} for o in policy.offices]
    if not isinstance(raw_agencies, list) or not raw_agencies:
        bad(("agencies",), "phải là danh sách ít nhất một cơ quan, mỗi mục có name và url")
        raw_agencies = []
    slugs: dict[str, int] = {}
    for i, entry in enumerate(raw_agencies):
        if not isinstance(entry, dict):
            bad(("agencies", i), "phải có dạng {name: …, url: …}")
            continue
        for key in sorted(k for k in entry if k not in ("name", "url", "key")):
            bad(("agencies", i, key), "khóa không được hỗ trợ; chỉ dùng name, url, key")
        name, url, key = entry.get("name"), entry.get("url"), entry.get("key")
        ok = True
        if not isinstance(name, str) or not name.strip():
            bad(("agencies", i, "name"), "phải là tên cơ quan")
            ok = False
        if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            bad(("agencies", i, "url"), "phải là địa chỉ gốc của trang, http:// hoặc https://")
            ok = False
        key_name = public = None
        if key is not None:
            try:
                key_name, public = checkpoints.parse_verifier_key(str(key))
            except ValueError as exc:
                bad(("agencies", i, "key"), f"khóa kiểm tra chữ ký không hợp lệ: {exc}")
                ok = False
        office = policy.office_for_url(url) if policy is not None and ok else None
        if office is not None:
            if key is not None and str(key).strip() != office.key:
                bad(("agencies", i, "key"), f"khác khóa của cơ quan này trong chính sách tin cậy {policy.source}")
                ok = False
            else:
                key_name, public = checkpoints.parse_verifier_key(office.key)
        if not ok:
            continue
        url = url if url.endswith("/") else url + "/"
        slug = agency_slug(url)
        if slug in slugs:
            bad(("agencies", i, "url"), f"trùng địa chỉ với cơ quan thứ {slugs[slug] + 1}")
            continue
        slugs[slug] = i
        agencies.append(Agency(name.strip(), url, slug, key_name, public))
    tsas: list[TrustedTSA] = []
    raw_tsas = data.get("tsa") or []
    if not isinstance(raw_tsas, list):
        bad(("tsa",), "phải là danh sách {name, ca}")
        raw_tsas = []
    for i, entry in enumerate(raw_tsas):
        if not isinstance(entry, dict):
            bad(("tsa", i), "phải có dạng {name: …, ca: …}")
            continue
        for key in sorted(k for k in entry if k not in ("name", "ca")):
            bad(("tsa", i, key), "khóa không được hỗ trợ; chỉ dùng name, ca")
        name, ca = entry.get("name"), entry.get("ca")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            bad(
                ("tsa", i, "name"),
                "phải là tên gồm chữ cái không dấu, chữ số và dấu gạch ngang, như trong tên tệp .tsr",
            )
            continue
        if not isinstance(ca, str) or not ca.strip():
            bad(("tsa", i, "ca"), "phải là đường dẫn tệp chứng thư gốc (PEM) của đơn vị cấp dấu thời gian")
            continue
        ca_path = Path(ca) if Path(ca).is_absolute() else path.parent / ca
        try:
            pem = ca_path.read_bytes()
            load_pem_x509_certificates(pem)
        except OSError as exc:
            bad(("tsa", i, "ca"), f"{ca}: không đọc được ({exc.strerror or exc})")
            continue
        except ValueError:
            bad(("tsa", i, "ca"), f"{ca}: không phải chứng thư số dạng PEM")
            continue
        tsas.append(TrustedTSA(name, pem))
    if policy is not None:
        tsas = list(policy.tsas)
    timeout = http.TIMEOUT
    if "timeout" in data:
        try:
            timeout = float(str(data["timeout"]))
        except ValueError:
            timeout = -1
        if not 0.1 <= timeout <= 300:
            bad(("timeout",), "phải là số giây chờ mỗi máy chủ, từ 0.1 đến 300")
    budget = BUDGET
    if "budget" in data:
        try:
            budget = float(str(data["budget"]))
        except ValueError:
            budget = -1
        if not 1 <= budget <= 3600:
            bad(("budget",), "phải là số giây dành cho mỗi cơ quan trong một lần đồng bộ, từ 1 đến 3600")
    name = data.get("name", "")
    if not isinstance(name, str) or (name and not cosign.valid_name(name)):
        bad(
            ("name",),
            "phải là tên của nhân chứng khi ký xác nhận, không có dấu cách, ví dụ thanhtra.angiang.gov.vn/witness",
        )
        name = ""
    witnesses: list[TrustedWitness] = []
    raw_witnesses = data.get("witnesses") or []
    if not isinstance(raw_witnesses, list):
        bad(("witnesses",), "phải là danh sách {name, key}")
        raw_witnesses = []
    for i, entry in enumerate(raw_witnesses):
        if not isinstance(entry, dict):
            bad(("witnesses", i), "phải có dạng {name: …, key: …}")
            continue
        for key in sorted(k for k in entry if k not in ("name", "key")):
            bad(("witnesses", i, key), "khóa không được hỗ trợ; chỉ dùng name, key")
        wname, wkey = entry.get("name"), entry.get("key")
        if not isinstance(wname, str) or not NAME_PATTERN.fullmatch(wname):
            bad(("witnesses", i, "name"), "phải là tên gồm chữ cái không dấu, chữ số và dấu gạch ngang")
            continue
        try:
            parsed = cosign.parse_vkey(str(wkey or ""))
        except ValueError as exc:
            bad(("witnesses", i, "key"), f"khóa kiểm tra của nhân chứng không hợp lệ: {exc}")
            continue
        if parsed.kind != cosign.COSIGNATURE_V1:
            bad(("witnesses", i, "key"), "khóa kiểm tra của nhân chứng phải có loại 0x04 (tlog-cosignature/v1)")
            continue
        witnesses.append(TrustedWitness(wname, str(wkey).strip()))
    if policy is not None:
        witnesses = list(policy.witnesses)
    if problems:
        raise CongkhaiError(problems)
    return Config(agencies, tsas, timeout, budget, name, witnesses, policy)


def _policy(given: str | None, written: object, path: Path, bad: Callable[..., None]) -> TrustPolicy | None:
    """The trust policy of ``--trust`` (``given``), else of ``trust:`` (a path relative to
    ``witness.yml``, or a URL). A policy with mistakes stops here with its own lines."""
    source = given
    if source is None and written is not None:
        if not isinstance(written, str) or not written.strip():
            bad(("trust",), "phải là đường dẫn tới trust.yml (so với witness.yml) hoặc địa chỉ https://")
            return None
        written = written.strip()
        source = written if is_url(written) or Path(written).is_absolute() else str(path.parent / written)
    return load_policy(source) if source is not None else None
