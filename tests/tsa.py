"""Real RFC 3161 time-stamping authorities on 127.0.0.1, for the tests.

Two independent implementations, both real, neither mocked:

- :class:`OpenSSLTSA`: ``openssl ts -reply`` (OpenSSL's own TSA) run for every request
  behind a small :mod:`http.server` handler. Its CA and TSA certificates are made here
  with ``cryptography`` (:class:`CA`), the TSA certificate with the critical
  extendedKeyUsage timeStamping, or without it, or already expired.
- :class:`CertomancerTSA`: certomancer's time-stamping service (its WSGI ``Animator``,
  asn1crypto signing), with its own CA, keys (ECDSA) and a clock that can be set
  (:meth:`CertomancerTSA.set_time`) to issue backdated tokens.

Both serve on a random free port in a thread and can be stopped (a TSA that is down:
connection refused) and restarted on the same URL. :class:`OpenSSLTSA` can also misbehave
(``mode``): answer slowly, answer an HTML page or an HTTP error, more bytes than any
token, an old reply again, or a real rejection. OpenSSL's TSA refuses to sign with a
certificate without the critical timeStamping usage (``invalid signer certificate
purpose``), so a token without that usage comes from certomancer's ``tsa-no-eku``.

Fixtures in ``tests/conftest.py``: ``tsa_material`` (the certificates, made once per
session), ``openssl_tsa`` (one shared OpenSSL TSA: leave it running and in mode "ok"),
``make_openssl_tsa`` (a factory of OpenSSL TSAs of one's own, ``"good"``, ``"no_eku"``
or ``"expired"``, stopped after the test; change their ``mode`` or stop them freely) and
``certomancer_tsa`` (shared; its clock is reset after each test). Each TSA has ``.url``,
``.ca_pem`` (the path of its root certificate, PEM) and ``.tsa(name)`` (a
:class:`generator.ledger.timestamps.TSA` for :func:`generator.ledger.timestamps.request_token`).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import shutil
import subprocess
import tempfile
import threading
import wsgiref.simple_server
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from generator.ledger.timestamps import TSA

UTC = dt.UTC
LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=UTC)
FAR_AHEAD = dt.datetime(2100, 1, 1, tzinfo=UTC)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Congkhai test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(key: Any, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


@dataclass
class CA:
    """A self-signed root certificate and its key (RSA 2048), written to ``dir``."""

    dir: Path
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    ca_pem: Path

    @classmethod
    def make(cls, directory: Path, common_name: str) -> CA:
        directory.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = _name(common_name)
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(LONG_AGO)
            .not_valid_after(FAR_AHEAD)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256())
        )
        ca_pem = directory / "ca.pem"
        ca_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, directory / "ca.key")
        return cls(directory, cert, key, ca_pem)

    def issue_tsa(
        self,
        label: str,
        *,
        eku: bool = True,
        eku_critical: bool = True,
        not_before: dt.datetime = LONG_AGO,
        not_after: dt.datetime = FAR_AHEAD,
    ) -> tuple[Path, Path]:
        """A TSA certificate and key signed by this CA: ``(cert.pem, key.pem)`` in ``dir``.

        ``eku=False`` leaves out the extendedKeyUsage timeStamping; ``not_after`` in the
        past makes an expired certificate."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(f"TSA {label}"))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if eku:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=eku_critical
            )
        cert = builder.sign(self.key, hashes.SHA256())
        cert_path = self.dir / f"{label}.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert_path, _write_key(key, self.dir / f"{label}.key")


# --- an HTTP server in a thread -------------------------------------------------------


class _Server:
    """A threaded server on 127.0.0.1 with a random free port. ``stop()`` closes the port
    (a TSA that is down: connection refused); ``restart()`` serves again on the same port
    (the same URL), e.g. for ``congkhai timestamp`` after a publish with the TSA down."""

    httpd: Any = None
    url_path = "/"
    ca_pem: Path

    def _bind(self, port: int) -> Any:
        raise NotImplementedError

    def start(self, port: int = 0) -> None:
        self.httpd = self._bind(port)
        self._port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_path}"

    @property
    def running(self) -> bool:
        return self.httpd is not None

    def stop(self) -> None:
        """Stop serving and close the socket: later requests get "connection refused"."""
        if self.httpd is None:
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
        self.httpd = None

    def restart(self) -> None:
        """Serve again on the same port after :meth:`stop`."""
        if self.httpd is None:
            self.start(self._port)

    def tsa(self, name: str) -> TSA:
        """This TSA as the option ``timestamping`` describes it (``ca``: its root, PEM)."""
        return TSA(name=name, url=self.url, ca=self.ca_pem)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class _TSAHandler(http.server.BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        owner: OpenSSLTSA = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        query = self.rfile.read(length)
        owner.requests += 1
        if owner.auth is not None and self.headers.get("Authorization") != _basic(*owner.auth):
            return self._send(401, "text/plain", b"Unauthorized", extra={"WWW-Authenticate": 'Basic realm="tsa"'})
        if owner.fail_first > 0:  # a TSA that is briefly down: 503, then answers
            owner.fail_first -= 1
            return self._send(503, "text/plain", b"Service Unavailable")
        mode = owner.mode
        if mode == "slow":
            owner.stopping.wait(owner.delay)
        if mode == "drip":  # headers one byte at a time: never idle long enough for a read timeout
            return self._drip(owner)
        if mode == "html":
            return self._send(
                200, "text/html; charset=utf-8", "<!doctype html><title>Bảo trì</title><p>Bảo trì</p>".encode()
            )
        if mode == "error":
            return self._send(503, "text/plain", b"Service Unavailable")
        if mode == "bad-request":
            return self._send(400, "text/plain", b"Bad Request")
        if mode == "huge":
            return self._send(200, "application/timestamp-reply", b"\x30\x84" + b"\x00" * owner.huge_size)
        if mode == "huge-stream":  # no Content-Length: the body ends when the connection closes
            return self._send(200, "application/timestamp-reply", b"\x30\x84" + b"\x00" * owner.huge_size, length=False)
        if mode == "replay" and owner.last_reply is not None:
            return self._send(200, "application/timestamp-reply", owner.last_reply)
        try:
            reply = owner.reply(query, owner.reject_config if mode == "reject" else None)
        except subprocess.CalledProcessError as exc:
            return self._send(500, "text/plain", exc.stderr or b"openssl failed")
        owner.last_reply = reply
        self._send(200, "application/timestamp-reply", reply)

    def _drip(self, owner: OpenSSLTSA) -> None:
        try:
            self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
            end = threading.Event()
            while not owner.stopping.is_set() and not end.wait(0.1):
                self.wfile.write(b"a")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(
        self, status: int, content_type: str, body: bytes, length: bool = True, extra: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass


class OpenSSLTSA(_Server):
    """``openssl ts -reply`` behind an HTTP handler on 127.0.0.1.

    ``mode`` (settable while running): ``"ok"`` (default), ``"slow"`` (wait ``delay``
    seconds before answering: 20 for a real TSA's slowness), ``"html"`` (an HTML page, status 200),
    ``"error"`` (HTTP 503), ``"bad-request"`` (HTTP 400), ``"huge"`` (``huge_size`` bytes of a would-be token, with Content-Length),
    ``"huge-stream"`` (the same without Content-Length), ``"replay"`` (the last reply
    again, whatever the query: an old token with another nonce), ``"drip"`` (headers
    a byte every 0.1 s, without end), ``"reject"`` (OpenSSL
    configured for SHA-512 imprints only: a real rejection, status 2, badAlg).

    ``auth = (user, password)`` requires HTTP basic credentials (401 without them or with
    others); ``fail_first = n`` answers HTTP 503 to the next ``n`` requests, then answers.
    ``requests`` counts the requests received."""

    CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = {cert}
certs = {ca}
signer_key = {key}
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
other_policies = 1.3.6.1.4.1.99999.1.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

    def __init__(self, directory: Path, ca_pem: Path, cert: Path, key: Path):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_pem = ca_pem
        self.cert = cert
        self.config = directory / "openssl.cnf"
        config = self.CONFIG.format(dir=directory, cert=cert, ca=ca_pem, key=key)
        self.config.write_text(config, encoding="utf-8")
        # mode "reject": the same TSA accepting only SHA-512 imprints refuses ours (badAlg)
        self.reject_config = directory / "openssl-sha512-only.cnf"
        self.reject_config.write_text(config.replace("digests = sha256, sha384, sha512", "digests = sha512"), "utf-8")
        (directory / "serial").write_text("01\n", encoding="ascii")
        self.mode = "ok"
        self.delay = 5.0
        self.auth: tuple[str, str] | None = None
        self.fail_first = 0
        self.huge_size = 2 * 1024 * 1024
        self.requests = 0
        self.last_reply: bytes | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()  # openssl ts -reply updates the serial file
        self.start()

    def _bind(self, port: int) -> Any:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), _TSAHandler)
        httpd.daemon_threads = True
        httpd.owner = self
        return httpd

    def reply(self, query: bytes, config: Path | None = None) -> bytes:
        """The DER TimeStampResp ``openssl ts -reply`` gives for the DER ``query``."""
        with self._lock, tempfile.TemporaryDirectory(dir=self.dir) as work:
            query_file, reply_file = Path(work) / "q.tsq", Path(work) / "r.tsr"
            query_file.write_bytes(query)
            subprocess.run(
                ["openssl", "ts", "-reply", "-config", str(config or self.config), "-queryfile", str(query_file)]
                + ["-out", str(reply_file)],
                check=True,
                capture_output=True,
                timeout=10,
            )
            return reply_file.read_bytes()

    def stop(self) -> None:
        self.stopping.set()  # a "slow" answer in progress ends now
        super().stop()

    def restart(self) -> None:
        self.stopping.clear()
        super().restart()


# --- certomancer ----------------------------------------------------------------------

_CERTOMANCER_CONFIG = """\
keysets:
  congkhai:
    keys:
      root: {{path: root.key.pem}}
      tsa: {{path: tsa.key.pem}}
pki-architectures:
  congkhai:
    keyset: congkhai
    entity-defaults:
      country-name: VN
      organization-name: Certomancer test PKI
    entities:
      root: {{common-name: Certomancer Root}}
      tsa: {{common-name: Certomancer TSA}}
      tsa-no-eku: {{common-name: Certomancer TSA without timeStamping}}
    certs:
      root:
        subject: root
        issuer: root
        validity: {{valid-from: "2000-01-01T00:00:00+0000", valid-to: "2100-01-01T00:00:00+0000"}}
        extensions:
          - {{id: basic_constraints, critical: true, value: {{ca: true}}}}
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature, key_cert_sign, crl_sign]}}
      tsa:
        subject: tsa
        subject-key: tsa
        issuer: root
        validity: {{valid-from: "2000-01-01T00:00:00+0000", valid-to: "2100-01-01T00:00:00+0000"}}
        extensions:
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature]}}
          - {{id: extended_key_usage, critical: true, value: [time_stamping]}}
      tsa-no-eku:
        subject: tsa-no-eku
        subject-key: tsa
        issuer: root
        validity: {{valid-from: "2000-01-01T00:00:00+0000", valid-to: "2100-01-01T00:00:00+0000"}}
        extensions:
          - id: key_usage
            critical: true
            smart-value: {{schema: key-usage, params: [digital_signature]}}
    services:
      time-stamping:
        tsa: {{signing-cert: tsa, signing-key: tsa}}
        tsa-no-eku: {{signing-cert: tsa-no-eku, signing-key: tsa}}
"""


class _QuietWSGIHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(http.server.ThreadingHTTPServer, wsgiref.simple_server.WSGIServer):
    daemon_threads = True


class CertomancerTSA(_Server):
    """certomancer's time-stamping service (WSGI ``Animator``) on 127.0.0.1.

    ``label`` picks the service: ``"tsa"`` (critical timeStamping usage) or
    ``"tsa-no-eku"``. :meth:`set_time` fixes the clock of the TSA (None: the real
    clock); the genTime of the tokens it issues is that time."""

    def __init__(self, directory: Path, label: str = "tsa"):
        from certomancer.integrations.animator import Animator, AnimatorArchStore
        from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig

        directory.mkdir(parents=True, exist_ok=True)
        for name in ("root", "tsa"):
            _write_key(ec.generate_private_key(ec.SECP256R1()), directory / f"{name}.key.pem")
        config = CertomancerConfig.from_yaml(_CERTOMANCER_CONFIG.format(), key_search_dir=str(directory))
        arch = config.get_pki_arch(ArchLabel("congkhai"))
        root = x509.load_der_x509_certificate(arch.get_cert(CertLabel("root")).dump())
        self.ca_pem = directory / "certomancer-root.pem"
        self.ca_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
        self.animator = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False, allow_time_override=False)
        self.url_path = f"/congkhai/tsa/{label}"
        self.start()

    def _bind(self, port: int) -> Any:
        return wsgiref.simple_server.make_server(
            "127.0.0.1", port, self.animator, server_class=_ThreadingWSGIServer, handler_class=_QuietWSGIHandler
        )

    def with_label(self, label: str) -> CertomancerTSA:
        """The same running server, another of its services (``"tsa-no-eku"``); stop and
        restart the original, not this view."""
        other = object.__new__(CertomancerTSA)
        other.__dict__.update(self.__dict__)
        other.url_path = f"/congkhai/tsa/{label}"
        return other

    def set_time(self, when: dt.datetime | None) -> None:
        self.animator.fixed_time = when


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def post_query(url: str, data: bytes) -> tuple[int, bytes]:
    """POST an RFC 3161 query over SHA-256(``data``) (nonce, certReq) to ``url`` and give
    the raw answer (status, body), unchecked: to look at what a TSA answers."""
    import httpx
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    query = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build().as_bytes()
    answer = httpx.post(url, content=query, headers={"Content-Type": "application/timestamp-query"}, timeout=10)
    return answer.status_code, answer.content


@dataclass
class TSAMaterial:
    """The certificates of the OpenSSL TSAs, made once per session in ``dir``: a CA,
    another unrelated CA, and TSA certificates (cert, key) issued by the first one."""

    dir: Path
    ca: CA
    other_ca: CA
    good: tuple[Path, Path]
    no_eku: tuple[Path, Path]
    expired: tuple[Path, Path]
    expired_at: dt.datetime

    @classmethod
    def make(cls, directory: Path) -> TSAMaterial:
        ca = CA.make(directory / "ca", "Congkhai Test Root")
        expired_at = dt.datetime(2024, 1, 1, tzinfo=UTC)
        return cls(
            dir=directory,
            ca=ca,
            other_ca=CA.make(directory / "other-ca", "Another Root"),
            good=ca.issue_tsa("good"),
            no_eku=ca.issue_tsa("no-eku", eku=False),
            expired=ca.issue_tsa("expired", not_before=LONG_AGO, not_after=expired_at),
            expired_at=expired_at,
        )

    def openssl_tsa(self, directory: Path, which: str = "good") -> OpenSSLTSA:
        """A new running OpenSSL TSA with the certificate ``which`` (good, no_eku, expired)."""
        cert, key = getattr(self, which)
        return OpenSSLTSA(directory, self.ca.ca_pem, cert, key)
