"""Digital signatures (chữ ký số) of PDF attachments: PAdES, checked with pyHanko, offline.

Vietnamese official documents are signed digitally (PAdES, SubFilter ``ETSI.CAdES.detached``;
the government CA of Ban Cơ yếu Chính phủ and licensed public CAs). For each PDF attachment
this module tells, per signature: who signed (the certificate's common name and
organisation), when (the time the signer's software wrote, and the genTime of an embedded
RFC 3161 timestamp when there is one and it chains to a configured root), whether the file
was changed after signing, whether the certificate chains to one of the roots the office
configures (``signature_roots``: PEM files or folders of them) and was valid at the time of
signing. The verdicts, worst first:

``broken``     the signature does not match the bytes it covers, or cannot be read
``modified``   the signature is intact but the file was changed afterwards (an incremental
               update that changes content, not only another signature or form field)
``untrusted``  no chain to a configured root
``expired``    the chain reaches a root but the certificate was expired (or not yet valid)
               at the time of signing, or revoked
``valid``      none of the above
``unsigned``   a PDF without any signature

Nothing is fetched: no OCSP, no CRL, no AIA. Revocation is checked only with what the file
embeds (a DSS, or the revocation values in the signature); otherwise it is not checked, and
the page and the dossier say so. The time of signing is the embedded timestamp's when there
is a valid one, else the signer's own claim. A file that is not a readable PDF gets no
verdict (:func:`check_pdf` gives ``None``): ``check`` already refuses a file that is not
what its name says.

Results depend only on the file's bytes and the roots, so they are cached by the file's
SHA-256 and the roots' fingerprint (one validation takes some 20-40 ms).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import functools
import hashlib
import io
import logging
import types
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography.utils import CryptographyDeprecationWarning

from generator.core.errors import CongkhaiError
from generator.core.values import format_local

if TYPE_CHECKING:
    from generator.core.config import Settings


@functools.cache
def _pyhanko() -> types.SimpleNamespace:
    """pyHanko, imported when a PDF is first checked: importing it takes about a second of
    CPU, which every ``congkhai`` command would otherwise pay at start."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # pyHanko still imports DSA support
        from pyhanko.pdf_utils.misc import PdfReadError
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.diff_analysis import ModificationLevel
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext
    return types.SimpleNamespace(
        PdfReadError=PdfReadError,
        PdfFileReader=PdfFileReader,
        validate_pdf_signature=validate_pdf_signature,
        ValidationContext=ValidationContext,
        ok_changes=(ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING),
    )


T = TypeVar("T")

STATUSES = ("broken", "modified", "untrusted", "expired", "valid", "unsigned")
"""Verdicts, worst first (a file's verdict is its worst signature's)."""
BAD = ("broken", "modified", "untrusted", "expired")
LABELS = {
    "valid": "hợp lệ",
    "broken": "chữ ký không khớp nội dung (tệp bị hỏng hoặc bị sửa)",
    "modified": "tệp đã bị sửa nội dung sau khi ký",
    "untrusted": "chứng thư không thuộc tổ chức chứng thực được cấu hình tin cậy",
    "expired": "chứng thư số hết hạn, chưa có hiệu lực hoặc bị thu hồi vào lúc ký",
    "unsigned": "không có chữ ký số",
}
_EXPIRED = ("OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "NOT_YET_VALID", "EXPIRED", "REVOKED")


@dataclass(frozen=True)
class Roots:
    """The trusted root certificates and their fingerprint (SHA-256 over the sorted
    certificates' SHA-256, then those of the time-stamping roots)."""

    certificates: tuple[asn1_x509.Certificate, ...]
    fingerprint: str
    files: tuple[str, ...] = ()
    tsa_certificates: tuple[asn1_x509.Certificate, ...] = ()
    """Roots trusted for the RFC 3161 timestamps embedded in signatures only (besides
    ``certificates``): the roots of the TSAs the office (option ``timestamping``) or the
    trust policy (``tsas``) accepts."""


def make_roots(
    certificates: Iterable[asn1_x509.Certificate],
    files: Iterable[str] = (),
    tsa_certificates: Iterable[asn1_x509.Certificate] = (),
) -> Roots:
    """:class:`Roots` of these certificates, with their fingerprint."""
    certificates, tsa_certificates = tuple(certificates), tuple(tsa_certificates)
    digests = sorted(hashlib.sha256(c.dump()).hexdigest() for c in certificates)
    if tsa_certificates:
        digests += ["tsa"] + sorted(hashlib.sha256(c.dump()).hexdigest() for c in tsa_certificates)
    fingerprint = hashlib.sha256("\n".join(digests).encode()).hexdigest()
    return Roots(certificates, fingerprint, tuple(files), tsa_certificates)


NO_ROOTS = make_roots(())


@dataclass(frozen=True)
class Signature:
    field: str
    signer: str
    organisation: str
    signed_at: str | None
    """The signer's claimed time (RFC 3339, UTC), or None."""
    timestamp_at: str | None
    """The genTime of a valid embedded timestamp (RFC 3339, UTC), or None."""
    status: str
    revocation_checked: bool = False

    def as_log(self) -> dict[str, Any]:
        out: dict[str, Any] = {"signer": self.signer, "organisation": self.organisation, "status": self.status}
        if self.signed_at:
            out["signed_at"] = self.signed_at
        if self.timestamp_at:
            out["timestamp_at"] = self.timestamp_at
        return out


@dataclass(frozen=True)
class Result:
    """The verdict on one PDF: its worst signature's status, or ``unsigned``."""

    status: str
    signatures: tuple[Signature, ...] = ()

    @property
    def bad(self) -> bool:
        return self.status in BAD

    def as_log(self) -> dict[str, Any]:
        """What the publication log records beside the attachment's SHA-256."""
        out: dict[str, Any] = {"status": self.status}
        if self.signatures:
            out["signatures"] = [s.as_log() for s in self.signatures]
        return out

    def describe(self, timezone: str) -> str:
        """One Vietnamese line: "Ký số bởi … (tổ chức) lúc dd/mm/yyyy hh:mm; hợp lệ" per signature."""
        return describe(self.as_log(), timezone)


def describe(logged: dict[str, Any], timezone: str) -> str:
    """The Vietnamese line for a result as the log records it (:meth:`Result.as_log`)."""
    if logged.get("status") == "unsigned" or not logged.get("signatures"):
        return "Không có chữ ký số"
    parts = []
    for s in logged["signatures"]:
        who = s.get("signer") or "(không rõ tên)"
        if s.get("organisation"):
            who += f" ({s['organisation']})"
        text = f"Ký số bởi {who}"
        when = s.get("timestamp_at") or s.get("signed_at")
        if when:
            text += f" lúc {format_local(when, timezone, with_time=True)}"
            text += " (theo dấu thời gian)" if s.get("timestamp_at") else " (giờ do máy người ký ghi)"
        parts.append(f"{text}; {LABELS.get(s.get('status', ''), s.get('status', ''))}")
    return ". ".join(parts)


def brief(result: Result) -> str:
    """A short line for a printed table's narrow cell: "ký số: <verdict>" per signature (""
    when unsigned); who signed and when is in the full line, :func:`describe`."""
    return "; ".join(f"ký số: {LABELS.get(s.status, s.status)}" for s in result.signatures)


_RANK = ("broken", "modified", "untrusted", "expired", "valid")
"""Signed verdicts, worst first."""


@dataclass(frozen=True)
class Disagreement:
    """How a logged verdict differs from a recheck of the same bytes (:func:`disagreement`)."""

    text: str
    """In Vietnamese."""
    claims_more: bool
    """The log says more than the recheck finds (a signature it calls valid that the recheck
    does not, another signer, a signed file called unsigned or the other way round), rather
    than less (a root the recheck trusts and the office did not)."""
    trust_only: bool
    """Only whom to trust differs (untrusted, expired and valid): another set of roots, not
    another file or another signer."""


def disagreement(logged: dict[str, Any], result: Result) -> Disagreement | None:
    """How the verdict a log event records for a file (:meth:`Result.as_log`) differs from
    ``result``, a recheck of the same bytes; None when they agree."""
    said = [(s.get("signer", ""), s.get("organisation", "")) for s in logged.get("signatures") or []]
    found = [(s.signer, s.organisation) for s in result.signatures]
    if said != found:
        names = ", ".join(" ".join(filter(None, (n, f"({o})" if o else ""))) for n, o in found) or "không ai"
        logged_names = ", ".join(" ".join(filter(None, (n, f"({o})" if o else ""))) for n, o in said) or "không ai"
        return Disagreement(f"nhật ký ghi người ký là {logged_names} nhưng tệp được ký bởi {names}", True, False)
    said_status = [str(s.get("status", "")) for s in logged.get("signatures") or []] or [str(logged.get("status"))]
    found_status = [s.status for s in result.signatures] or [result.status]
    if said_status == found_status and logged.get("status") == result.status:
        return None
    pairs = list(zip(said_status, found_status, strict=True))
    diffs = [(i, a, b) for i, (a, b) in enumerate(pairs) if a != b] or [(0, str(logged.get("status")), result.status)]
    more = any(a not in _RANK or b not in _RANK or _RANK.index(b) < _RANK.index(a) for _, a, b in diffs)
    text = "; ".join(
        (f"chữ ký thứ {i + 1}: " if len(pairs) > 1 else "")
        + f'nhật ký ghi "{LABELS.get(a, a)}" nhưng kiểm tra lại thấy: {LABELS.get(b, b)}'
        for i, a, b in diffs
    )
    trusting = ("untrusted", "expired", "valid")
    return Disagreement(text, more, all(a in trusting and b in trusting for _, a, b in diffs))


def load_roots(paths: Iterable[Path]) -> Roots:
    """The certificates of ``paths`` (PEM or DER files; a folder: its ``*.pem``, ``*.crt``,
    ``*.cer`` files). A path that does not exist or holds no certificate raises
    :class:`CongkhaiError` naming it."""
    certificates: list[asn1_x509.Certificate] = []
    files: list[str] = []
    for path in paths:
        if path.is_dir():
            members = sorted(p for p in path.iterdir() if p.suffix.lower() in (".pem", ".crt", ".cer"))
        elif path.is_file():
            members = [path]
        else:
            raise CongkhaiError(f"signature_roots: không tìm thấy '{path}'")
        for member in members:
            found = _certificates(member.read_bytes())
            if not found:
                raise CongkhaiError(f"signature_roots: tệp '{member}' không chứa chứng thư số (PEM hoặc DER) nào")
            certificates += found
            files.append(str(member))
    return make_roots(certificates, files)


def certificates_of(data: bytes) -> list[asn1_x509.Certificate]:
    """The certificates of ``data`` (PEM, several allowed, or one DER); [] when none."""
    return _certificates(data)


def _certificates(data: bytes) -> list[asn1_x509.Certificate]:
    try:
        if pem.detect(data):
            return [
                asn1_x509.Certificate.load(der)
                for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        certificate = asn1_x509.Certificate.load(data)
        certificate.native  # noqa: B018 - parse it all now
        return [certificate]
    except (ValueError, TypeError):
        return []


_CACHE: dict[tuple[str, str], Result | None] = {}


def check_pdf(data: bytes, roots: Roots, sha256: str | None = None) -> Result | None:
    """The verdict on the PDF ``data`` (None: not a readable PDF), cached by SHA-256 and roots."""
    key = (sha256 or hashlib.sha256(data).hexdigest(), roots.fingerprint)
    if key not in _CACHE:
        _CACHE[key] = _outside_any_event_loop(_check, data, roots)
    return _CACHE[key]


def _outside_any_event_loop(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)``, in a thread of its own when this thread runs an asyncio event
    loop: pyHanko's synchronous calls use ``asyncio.run``, which refuses to start inside a
    running loop (a Playwright session printing the dossier's pages is one). Without this,
    the refusal became a "broken" verdict."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def check_file(path: Path, roots: Roots, sha256: str | None = None) -> Result | None:
    """:func:`check_pdf` of the file at ``path`` when its name ends in ``.pdf``, else None."""
    if path.suffix.lower() != ".pdf":
        return None
    key = (sha256 or "", roots.fingerprint)
    if sha256 and key in _CACHE:
        return _CACHE[key]
    return check_pdf(path.read_bytes(), roots, sha256)


def _check(data: bytes, roots: Roots) -> Result | None:
    quiet = logging.getLogger("pyhanko")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL + 1)  # pyHanko logs every failed check with its traceback
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                reader = _pyhanko().PdfFileReader(io.BytesIO(data), strict=False)
                embedded = list(reader.embedded_signatures)
            except (_pyhanko().PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError):
                return None
            signatures = tuple(_one(sig, roots) for sig in embedded)
    finally:
        quiet.setLevel(level)
    if not signatures:
        return Result("unsigned")
    worst = min(signatures, key=lambda s: STATUSES.index(s.status))
    return Result(worst.status, signatures)


def _one(sig: Any, roots: Roots) -> Signature:
    signer = organisation = ""
    claimed: dt.datetime | None = None
    try:
        subject = sig.signer_cert.subject.native
        signer = str(subject.get("common_name", ""))
        organisation = str(subject.get("organization_name", ""))
        claimed = sig.self_reported_timestamp
    except Exception:
        return Signature(str(getattr(sig, "field_name", "") or ""), signer, organisation, None, None, "broken")
    field = str(sig.field_name or "")
    lib = _pyhanko()
    ValidationContext, validate_pdf_signature = lib.ValidationContext, lib.validate_pdf_signature
    moment = claimed or dt.datetime.now(dt.UTC)
    try:
        context = ValidationContext(trust_roots=list(roots.certificates), allow_fetching=False, moment=moment)
        ts_roots = list(roots.certificates) + list(roots.tsa_certificates)
        ts_context = ValidationContext(trust_roots=ts_roots, allow_fetching=False)
        status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=ts_context)
    except Exception:
        return Signature(field, signer, organisation, _iso(claimed), None, "broken")
    stamp = status.timestamp_validity
    stamped = stamp.timestamp if stamp is not None and stamp.intact and stamp.valid and stamp.trusted else None
    if stamped is not None and status.intact and status.valid and not status.trusted:
        # judge the certificate at the proven time rather than the claimed one
        context = ValidationContext(trust_roots=list(roots.certificates), allow_fetching=False, moment=stamped)
        try:
            status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=ts_context)
        except Exception:
            return Signature(field, signer, organisation, _iso(claimed), _iso(stamped), "broken")
    if not (status.intact and status.valid):
        verdict = "broken"
    elif status.modification_level not in lib.ok_changes or not status.docmdp_ok:
        verdict = "modified"
    elif not status.trusted:
        problem = getattr(status.trust_problem_indic, "name", "")
        verdict = "expired" if problem in _EXPIRED else "untrusted"
    else:
        verdict = "valid"
    revocation = bool(getattr(status, "revocation_details", None))
    return Signature(field, signer, organisation, _iso(claimed), _iso(stamped), verdict, revocation)


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def roots_of(settings: Settings, extra: Iterable[Path] = ()) -> Roots:
    """The roots of the option ``signature_roots`` (relative to the project) and ``extra``;
    the roots of the TSAs of the option ``timestamping`` are trusted for the timestamps
    embedded in signatures (a missing TSA root is for ``timestamp`` and ``verify`` to report,
    not here). A trust policy's roots replace all these: see :mod:`generator.ledger.trust`."""
    paths = [settings.root / p for p in settings.signature_roots] + list(extra)
    roots = load_roots(paths) if paths else NO_ROOTS
    stamping: list[asn1_x509.Certificate] = []
    for tsa in settings.timestamping:
        ca = settings.root / str(tsa.get("ca") or "") if isinstance(tsa, dict) and tsa.get("ca") else None
        if ca is not None and ca.is_file():
            stamping += _certificates(ca.read_bytes())
    return make_roots(roots.certificates, roots.files, stamping) if stamping else roots


def of_attachment(path: Path, sha256: str, settings: Settings, roots: Roots | None = None) -> Result | None:
    """The verdict on an attachment (None for a file that is not a readable PDF)."""
    return check_file(path, roots if roots is not None else roots_of(settings), sha256)


def not_a_pdf(file: str) -> str:
    """``check``'s warning for a decision that should be signed and is not a PDF (a scan, a
    Word file): no digital signature can be checked on it."""
    return (
        f"tệp '{file}' là quyết định công khai, nên là bản PDF có chữ ký số, nhưng tệp này không phải PDF "
        "(bản chụp hay tệp Word không mang chữ ký số kiểm tra được); hãy đính kèm bản PDF đã ký số"
    )


def page_lines(attachments: Iterable[Any], settings: Settings) -> dict[str, str]:
    """``{file: Vietnamese line}`` for the attachments (``.file``, ``.path``, ``.sha256``) that
    are readable PDFs: what a record page shows under its attachments."""
    roots = roots_of(settings)
    out = {}
    for a in attachments:
        result = check_file(a.path, roots, a.sha256)
        if result is not None:
            out[a.file] = result.describe(settings.timezone)
    return out
