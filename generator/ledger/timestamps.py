"""RFC 3161 trusted timestamps from outside time-stamping authorities (SPEC §4a).

A token here is always the whole DER ``TimeStampResp`` a TSA answers (status and
``TimeStampToken``), the ``.tsr`` file that ``openssl ts -reply`` writes and that
``openssl ts -verify -in`` reads. :func:`request_token` asks a TSA for one over the
SHA-256 imprint of some bytes (a checkpoint) and checks it before returning it;
:func:`verify_token` checks one against the bytes and the TSA's root certificate and
gives its ``genTime``; :func:`openssl_verify_command` is the same check for an auditor
with only OpenSSL.

Requests and signature/chain checks are ``rfc3161-client``'s; the certificate checks
that give the precise reasons (usage, validity at ``genTime``, issuer) use
``cryptography``; HTTP is ``httpx``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as asn1_tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from generator.core.errors import CongkhaiError, Problem

MAX_RESPONSE_BYTES = 64 * 1024
"""Largest answer accepted from a TSA. A token with its certificate chain is a few
kilobytes; anything much larger is not a token (and is not read further)."""

SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPES = ("application/timestamp-reply", "application/timestamp-response")
NAME_PATTERN = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
OPTION = "plugins.congkhai.timestamping"

TIMEOUT = 150.0
"""Default seconds for one answer of a TSA: a real one may take 130 s (SPEC §4c)."""
RETRIES = 2
"""Default number of further attempts after a network error, a 5xx or a timeout."""
WAIT = 5.0
"""Default seconds a publish waits for a TSA before deploying without its token."""
BACKOFF = 1.0
"""Seconds before the first retry (doubled each time, with jitter: half to all of it)."""
KEYS = ("name", "url", "ca", "timeout", "retries", "wait")
CREDENTIAL_KEYS = ("user", "username", "password", "pass", "passwd", "login", "secret", "token", "auth")
"""Keys refused in ``timestamping``: credentials come from the environment only."""


@dataclass(frozen=True)
class TSA:
    """One time-stamping authority of the option ``timestamping``."""

    name: str
    """Letters, digits and dashes; used in file names (``<size>.<name>.tsr``)."""
    url: str
    ca: Path
    """The TSA's root certificate (PEM)."""
    timeout: float = TIMEOUT
    """Seconds for one answer, all in (connecting, headers, body)."""
    retries: int = RETRIES
    """Further attempts after a network error, an HTTP 5xx or a timeout (never after a 4xx or a bad token)."""
    wait: float = WAIT
    """Seconds a publish waits for this TSA before it deploys without its token."""

    def longest(self) -> float:
        """The most seconds all attempts may take, backoffs included."""
        return self.timeout * (self.retries + 1) + sum(backoff_limit(n) for n in range(self.retries)) + 1.0


def env_names(name: str) -> tuple[str, str]:
    """The environment variables holding a TSA's HTTP basic credentials:
    ``CONGKHAI_TSA_<NAME>_USER`` and ``CONGKHAI_TSA_<NAME>_PASSWORD`` (NAME upper-cased,
    dashes as underscores)."""
    stem = "CONGKHAI_TSA_" + name.upper().replace("-", "_")
    return f"{stem}_USER", f"{stem}_PASSWORD"


def credentials(tsa: TSA) -> tuple[str, str] | None:
    """The TSA's HTTP basic credentials from the environment, None when neither variable is
    set; one without the other is a :class:`TimestampError` (naming the variables, never a value)."""
    user_var, password_var = env_names(tsa.name)
    user, password = os.environ.get(user_var, ""), os.environ.get(password_var, "")
    if not user and not password:
        return None
    if not user or not password:
        present, missing = (user_var, password_var) if user else (password_var, user_var)
        raise TimestampError(f"có biến môi trường {present} nhưng thiếu {missing}", tsa)
    return user, password


def backoff_limit(attempt: int) -> float:
    """The longest wait before retry number ``attempt + 1``."""
    return BACKOFF * 2**attempt


def backoff(attempt: int) -> float:
    """The wait before retry number ``attempt + 1``: exponential, with jitter (half to all of it)
    so that offices retrying after the same outage do not all come back at once."""
    return backoff_limit(attempt) * (0.5 + random.random() / 2)


class TimestampError(CongkhaiError):
    """A token could not be had or does not verify.

    ``reason`` is the Vietnamese reason alone; ``tsa`` the authority asked (None when a
    stored token was checked). ``str()`` is one line: the TSA (name and URL) or "Dấu
    thời gian", then the reason."""

    def __init__(self, reason: str, tsa: TSA | None = None, transient: bool = False):
        self.reason = reason
        self.tsa = tsa
        self.transient = transient
        """A network error, an HTTP 5xx or a timeout: worth asking again."""
        if tsa is None:
            message = f"Dấu thời gian không hợp lệ: {reason}"
        else:
            message = f"Đơn vị cấp dấu thời gian {tsa.name} ({tsa.url}): {reason}"
        super().__init__(message)


# --- asking a TSA ---------------------------------------------------------------------


def request_with_retries(
    tsa: TSA, data: bytes, on_retry: Callable[[TimestampError, float], None] | None = None
) -> bytes:
    """:func:`request_token`, asked again up to ``tsa.retries`` times after a network error,
    an HTTP 5xx or a timeout (:attr:`TimestampError.transient`), after a backoff
    (:func:`backoff`); a 4xx or a bad token is final at once. ``on_retry(error, seconds)``
    is told of each retry. The last error is raised, saying how many attempts were made."""
    attempt = 0
    while True:
        try:
            return request_token(tsa, data)
        except TimestampError as exc:
            if not exc.transient or attempt >= tsa.retries:
                if attempt:
                    raise TimestampError(f"{exc.reason} (sau {attempt + 1} lần thử)", tsa, exc.transient) from exc
                raise
            pause = backoff(attempt)
            if on_retry is not None:
                on_retry(exc, pause)
            time.sleep(pause)
            attempt += 1


def request_token(tsa: TSA, data: bytes, timeout: float | None = None) -> bytes:
    """Ask ``tsa`` for a timestamp over SHA-256(``data``) and return the verified DER
    ``TimeStampResp`` (store it as ``.tsr``), once (:func:`request_with_retries` retries).

    The request carries a random nonce and asks for the TSA's certificate, with the HTTP
    basic credentials of :func:`credentials` when they are set. The answer
    must come within ``timeout`` seconds (default ``tsa.timeout``) in all (connecting and reading), be at most
    :data:`MAX_RESPONSE_BYTES`, be granted, carry the request's nonce and pass
    :func:`verify_token` against ``tsa.ca``. Anything else raises
    :class:`TimestampError` naming the TSA and what failed."""
    try:
        ca_pem = Path(tsa.ca).read_bytes()
    except OSError as exc:
        raise TimestampError(f"không đọc được tệp chứng thư gốc {tsa.ca} ({exc.strerror or exc})", tsa) from exc
    if not data:
        raise TimestampError("không có dữ liệu để cấp dấu thời gian", tsa)
    timeout = tsa.timeout if timeout is None else timeout
    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
    ).build()
    body, content_type = _post(tsa, request.as_bytes(), timeout)
    try:
        response = _decode(body)
    except TimestampError as exc:
        raise TimestampError(
            f"câu trả lời không phải là dấu thời gian RFC 3161 (Content-Type: {content_type or 'không có'})", tsa
        ) from exc
    try:
        verify_token(body, data, ca_pem)
    except TimestampError as exc:
        raise TimestampError(exc.reason, tsa) from exc
    if response.tst_info.nonce != request.nonce:
        raise TimestampError("nonce trong dấu thời gian không khớp với yêu cầu (câu trả lời cũ hoặc giả)", tsa)
    return body


def _post(tsa: TSA, query: bytes, timeout: float) -> tuple[bytes, str]:
    """POST the query; the body (capped) and its Content-Type, or TimestampError, within
    ``timeout`` seconds in all. httpx's timeouts are per operation (a server sending its
    headers a byte at a time never trips them), so the exchange runs in a daemon thread
    and is given up at the deadline; the thread ends by itself on httpx's own timeouts."""
    outcome: list[Any] = []

    def exchange() -> None:
        try:
            outcome.append(_exchange(tsa, query, timeout))
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=exchange, name=f"tsa-{tsa.name}", daemon=True)
    worker.start()
    worker.join(timeout + 0.25)
    if not outcome:
        raise TimestampError(_too_slow(timeout), tsa, transient=True)
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _exchange(tsa: TSA, query: bytes, timeout: float) -> tuple[bytes, str]:
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    login = credentials(tsa)
    auth = httpx.BasicAuth(*login) if login else None
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client,
            client.stream("POST", tsa.url, content=query, headers={"Content-Type": QUERY_TYPE}, auth=auth) as answer,
        ):
            if answer.status_code in (401, 403):
                raise TimestampError(_refused(tsa, answer.status_code, login is not None), tsa)
            if answer.status_code != 200:
                transient = answer.status_code >= 500
                raise TimestampError(f"máy chủ trả lời lỗi HTTP {answer.status_code}", tsa, transient)
            declared = answer.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                raise TimestampError(_too_big(), tsa)
            for chunk in answer.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise TimestampError(_too_big(), tsa)
                if time.monotonic() > deadline:
                    raise TimestampError(_too_slow(timeout), tsa, transient=True)
                chunks.append(chunk)
            content_type = answer.headers.get("Content-Type", "")
    except httpx.TimeoutException as exc:
        raise TimestampError(_too_slow(timeout), tsa, transient=True) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise TimestampError("địa chỉ không hợp lệ", tsa) from exc
    except (httpx.HTTPError, OSError) as exc:
        message = "không kết nối được (máy chủ không trả lời hoặc từ chối kết nối)"
        raise TimestampError(message, tsa, transient=True) from exc
    return b"".join(chunks), content_type


def _refused(tsa: TSA, status: int, sent: bool) -> str:
    """Why a TSA answered 401/403, naming the environment variables (never their values)."""
    user_var, password_var = env_names(tsa.name)
    if sent:
        return f"máy chủ từ chối tên đăng nhập và mật khẩu trong {user_var} và {password_var} (HTTP {status})"
    return f"máy chủ yêu cầu đăng nhập (HTTP {status}): đặt tên đăng nhập và mật khẩu vào biến môi trường {user_var} và {password_var}"


def _too_big() -> str:
    return f"câu trả lời lớn hơn {MAX_RESPONSE_BYTES // 1024} KiB, không phải là dấu thời gian"


def _too_slow(timeout: float) -> str:
    return f"không trả lời trong {timeout:g} giây"


# --- checking a token -----------------------------------------------------------------


def verify_token(token: bytes, data: bytes, ca_pem: bytes) -> dt.datetime:
    """The ``genTime`` (UTC, timezone-aware) of ``token`` (a DER ``TimeStampResp``) if it
    is a granted timestamp over SHA-256(``data``), signed with a TSA certificate that has
    the critical extendedKeyUsage timeStamping, was valid at ``genTime`` and chains to a
    certificate of ``ca_pem``. Otherwise :class:`TimestampError` with the reason."""
    response = _decode(token)
    status = response.status
    if status != PKIStatus.GRANTED:
        text = "; ".join(response.status_string)
        raise TimestampError(f"yêu cầu bị từ chối (trạng thái {status}{': ' + text if text else ''})")
    info = response.tst_info
    imprint = info.message_imprint
    if imprint.hash_algorithm != SHA256_OID:
        raise TimestampError(
            f"dấu thời gian dùng thuật toán băm {imprint.hash_algorithm.dotted_string}, không phải SHA-256"
        )
    digest = hashlib.sha256(data).digest()
    if imprint.message != digest:
        raise TimestampError(
            f"không khớp với dữ liệu: dấu thời gian cấp cho SHA-256 {imprint.message.hex()}, "
            f"dữ liệu có SHA-256 {digest.hex()}"
        )
    gen_time = info.gen_time
    gen_time = gen_time.replace(tzinfo=dt.UTC) if gen_time.tzinfo is None else gen_time.astimezone(dt.UTC)
    try:
        roots = x509.load_pem_x509_certificates(ca_pem)
    except ValueError as exc:
        raise TimestampError("tệp chứng thư gốc không đọc được (cần chứng thư dạng PEM)") from exc
    signer, embedded = _signer(response)
    who = f"chứng thư số của đơn vị cấp dấu thời gian ({signer.subject.rfc4514_string()})"
    _check_usage(signer, who)
    if gen_time < signer.not_valid_before_utc:
        raise TimestampError(
            f"{who} chỉ có hiệu lực từ {_when(signer.not_valid_before_utc)}, sau thời điểm cấp {_when(gen_time)}"
        )
    if gen_time > signer.not_valid_after_utc:
        raise TimestampError(
            f"{who} đã hết hạn lúc {_when(signer.not_valid_after_utc)}, trước thời điểm cấp {_when(gen_time)}"
        )
    if not _chains(signer, embedded, roots):
        names = "; ".join(root.subject.rfc4514_string() for root in roots)
        raise TimestampError(f"{who} không được cấp bởi chứng thư gốc đã khai báo ({names})")
    # The whole check, by rfc3161-client: the CMS signature, the chain at genTime with the
    # timeStamping purpose (OpenSSL), the usage again and the imprint.
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    try:
        builder.build().verify(response, digest)
    except (VerificationError, ValueError) as exc:
        reasons = re.findall(r'reason: "([^"]+)"', str(exc))  # OpenSSL's error stack, shortened
        detail = f"OpenSSL: {'; '.join(reasons)}" if reasons else str(exc)
        raise TimestampError(f"chữ ký hoặc chuỗi chứng thư không hợp lệ ({detail})") from exc
    return gen_time


def covers(token: bytes, data: bytes) -> bool:
    """Is ``token`` a granted timestamp over SHA-256(``data``)? Only the imprint is compared
    (no signature or chain check: :func:`verify_token` does those); an unreadable token is not."""
    try:
        response = _decode(token)
    except TimestampError:
        return False
    if response.status != PKIStatus.GRANTED:
        return False
    imprint = response.tst_info.message_imprint
    return imprint.hash_algorithm == SHA256_OID and imprint.message == hashlib.sha256(data).digest()


def token_time(token: bytes) -> dt.datetime:
    """The ``genTime`` a token states, unchecked (to show it; :func:`verify_token` checks)."""
    gen_time = _decode(token).tst_info.gen_time
    return gen_time.replace(tzinfo=dt.UTC) if gen_time.tzinfo is None else gen_time.astimezone(dt.UTC)


def token_accuracy(token: bytes) -> dt.timedelta:
    """The ``accuracy`` a token states (RFC 3161 §2.4.2: the time is ``genTime`` give or take
    that much); zero when it states none. Part of what the TSA signs: read it from a token
    :func:`verify_token` accepted."""
    accuracy = _decode(token).tst_info.accuracy
    if accuracy is None:
        return dt.timedelta(0)
    return dt.timedelta(
        seconds=accuracy.seconds or 0, milliseconds=accuracy.millis or 0, microseconds=accuracy.micros or 0
    )


def _decode(token: bytes) -> TimeStampResponse:
    """The parsed TimeStampResp. rfc3161-client's parser is strict DER, and OpenSSL's TSA
    (and others) write the SET OF certificates unsorted: such a token is read again with
    the certificates in DER order. The certificates are outside what the TSA signs, so the
    signature is unchanged; the token stored stays the TSA's bytes."""
    try:
        return decode_timestamp_response(token)
    except Exception as first:  # the parser raises ValueError and others on garbage
        try:
            response = asn1_tsp.TimeStampResp.load(token, strict=True)
            signed = response["time_stamp_token"]["content"]
            certificates = signed["certificates"]
            if certificates.native is None:
                raise ValueError("no certificates to sort")
            ordered = sorted((choice.dump() for choice in certificates), key=_set_order)
            signed["certificates"] = asn1_cms.CertificateSet([asn1_cms.CertificateChoices.load(d) for d in ordered])
            return decode_timestamp_response(response.dump())
        except Exception:
            raise TimestampError(
                "không đọc được: không phải là câu trả lời RFC 3161 (TimeStampResp) dạng DER"
            ) from first


def _set_order(encoding: bytes) -> bytes:
    """X.690 §11.6: SET OF components sort as octet strings padded with zeros."""
    return encoding.ljust(1 << 16, b"\0")


def _signer(response: TimeStampResponse) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The signing certificate (named by the SignerInfo) and all embedded certificates."""
    signed = response.signed_data
    try:
        embedded = [x509.load_der_x509_certificate(der) for der in signed.certificates]
    except ValueError as exc:
        raise TimestampError("chứng thư số kèm theo dấu thời gian không đọc được") from exc
    infos = list(signed.signer_infos)
    if len(infos) != 1:
        raise TimestampError(f"dấu thời gian phải có đúng một chữ ký, có {len(infos)}")
    info = infos[0]
    for cert in embedded:
        if cert.issuer == info.issuer and cert.serial_number == info.serial_number:
            return cert, embedded
    raise TimestampError("dấu thời gian không kèm chứng thư số của đơn vị cấp (yêu cầu phải có certReq)")


def _check_usage(cert: x509.Certificate, who: str) -> None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise TimestampError(f"{who} không có mục đích sử dụng timeStamping (extendedKeyUsage)") from None
    if ExtendedKeyUsageOID.TIME_STAMPING not in eku.value:
        raise TimestampError(f"{who} không có mục đích sử dụng timeStamping (extendedKeyUsage)")
    if not eku.critical:
        raise TimestampError(f"{who} có mục đích sử dụng timeStamping nhưng không đánh dấu bắt buộc (critical)")


def _chains(cert: x509.Certificate, pool: list[x509.Certificate], roots: list[x509.Certificate]) -> bool:
    """Whether ``cert`` leads to one of ``roots`` by issuer signatures (at most 8 links)."""
    current = cert
    for _ in range(8):
        for root in roots:
            if _issued_by(current, root):
                return True
        parents = [c for c in pool if c != current and _issued_by(current, c)]
        if not parents:
            return False
        current = parents[0]
    return False


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- for auditors ---------------------------------------------------------------------


def openssl_verify_command(
    token_file: str, data_file: str, ca_file: str, *, at: dt.datetime | None = None
) -> list[str]:
    """The ``openssl ts -verify`` command that checks ``token_file`` (a ``.tsr``,
    TimeStampResp) over the bytes of ``data_file`` against the root ``ca_file``.

    OpenSSL checks the certificates at the current time; ``at`` (a token's genTime)
    adds ``-attime`` to check them at that moment instead, as :func:`verify_token` does
    (for a token whose TSA certificate has expired since)."""
    command = ["openssl", "ts", "-verify", "-in", token_file, "-data", data_file, "-CAfile", ca_file]
    if at is not None:
        command += ["-attime", str(int(at.timestamp()))]
    return command


# --- the option -----------------------------------------------------------------------


def parse_tsas(raw: Any, root: Path) -> list[TSA]:
    """The TSAs of the plugin option ``timestamping`` (a list of ``{name, url, ca}`` and
    optionally ``timeout``, ``retries``, ``wait``; ``ca`` relative to ``root``, the folder
    of ``mkdocs.yml``; credentials are refused: they come from :func:`env_names`). None or an empty list:
    no TSA. Bad entries raise :class:`CongkhaiError` with one :class:`Problem` each
    (``field`` is ``plugins.congkhai.timestamping[n].key``, counted from 1)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise CongkhaiError(Problem("", 0, OPTION, f"{OPTION}: phải là một danh sách, mỗi mục có name, url và ca"))
    problems: list[Problem] = []
    tsas: list[TSA] = []
    names: set[str] = set()

    def bad(field: str, message: str) -> None:
        problems.append(Problem("", 0, field, f"{field}: {message}"))

    for position, entry in enumerate(raw, start=1):
        where = f"{OPTION}[{position}]"
        if not isinstance(entry, dict):
            bad(where, "phải có dạng {name: …, url: …, ca: …}")
            continue
        secret = sorted(str(key) for key in entry if str(key).lower() in CREDENTIAL_KEYS)
        for key in secret:
            names_hint = " và ".join(env_names(entry["name"])) if isinstance(entry.get("name"), str) else ""
            bad(
                f"{where}.{key}",
                "không ghi tên đăng nhập hay mật khẩu trong mkdocs.yml (tệp này nằm trong kho, ai cũng đọc được); "
                f"đặt chúng vào biến môi trường {names_hint or 'CONGKHAI_TSA_<TÊN>_USER và CONGKHAI_TSA_<TÊN>_PASSWORD'}",
            )
        extra = sorted(str(key) for key in entry if key not in KEYS and str(key) not in secret)
        if extra:
            bad(f"{where}.{extra[0]}", f"khóa không được hỗ trợ; chỉ dùng {', '.join(KEYS)}")
        name, url, ca = entry.get("name"), entry.get("url"), entry.get("ca")
        ok = True
        numbers: dict[str, Any] = {}
        for key, default, low, high, whole in (
            ("timeout", TIMEOUT, 1, 600, False),
            ("retries", RETRIES, 0, 10, True),
            ("wait", WAIT, 0, 600, False),
        ):
            value = entry.get(key, default)
            kind = "số nguyên" if whole else "số giây"
            if (
                isinstance(value, bool)
                or not isinstance(value, int if whole else (int, float))
                or not low <= value <= high
            ):
                bad(f"{where}.{key}", f"phải là một {kind} từ {low} đến {high} (mặc định {default:g})")
                ok = False
            numbers[key] = value
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            bad(f"{where}.name", "phải là một tên gồm chữ cái không dấu, chữ số và dấu gạch ngang (ví dụ: vnpt)")
            ok = False
        elif name in names:
            bad(f"{where}.name", f"tên '{name}' đã dùng cho một đơn vị cấp dấu thời gian khác")
            ok = False
        else:
            names.add(name)
        if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
            bad(f"{where}.url", "phải là một địa chỉ http:// hoặc https://")
            ok = False
        elif "@" in url.split("/")[2]:
            bad(f"{where}.url", "không ghi tên đăng nhập hay mật khẩu trong địa chỉ; đặt chúng vào biến môi trường")
            ok = False
        ca_path = None
        if not isinstance(ca, str) or not ca.strip():
            bad(f"{where}.ca", "phải là đường dẫn tệp chứng thư gốc (PEM) của đơn vị cấp dấu thời gian")
            ok = False
        else:
            ca_path = (root / ca).resolve() if not Path(ca).is_absolute() else Path(ca)
            problem = _ca_problem(ca_path)
            if problem:
                bad(f"{where}.ca", f"{ca}: {problem}")
                ok = False
        if ok and ca_path is not None:
            tsas.append(TSA(name=name, url=url, ca=ca_path, **numbers))
    if problems:
        raise CongkhaiError(problems)
    return tsas


def _ca_problem(path: Path) -> str | None:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return "không có tệp này"
    except OSError as exc:
        return f"không đọc được ({exc.strerror or exc})"
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError:
        return "không phải là chứng thư số dạng PEM"
    return None
