"""``congkhai witness serve``: the inspectorate's witness, C2SP ``tlog-witness`` (SPEC §4c).

One endpoint, ``POST <prefix>/add-checkpoint``, for the offices of ``witness.yml`` that
have a ``key`` (their C2SP verifier key, whose name is their log's origin). The request body
is an ``old <size>`` line, up to 63 consistency proof lines (base64 hashes), an empty line and
the checkpoint note. The answers, as the specification maps them:

- 404: the checkpoint's origin is no office's key name;
- 403: no signature of the office's key verifies;
- 400: a malformed request, or ``old`` larger than the checkpoint's size;
- 409 (body ``<size>\\n``, ``text/x.tlog.size``): ``old`` is not the size of the latest
  checkpoint cosigned for that origin (0 if none), or it is the checkpoint's size but the
  root differs;
- 422: the consistency proof from ``old`` does not verify;
- 200: the cosignature line (``tlog-cosignature/v1``), after the new checkpoint has been
  written (atomically, under the store's lock) as ``<store>/<office>/cosigned-checkpoint``:
  the office's note with this witness's cosignature.

Checking ``old`` against what is kept and keeping the new checkpoint happen under one lock
(a thread lock and ``flock`` on ``<store>/.cosign.lock``), so two requests never roll the
state back, and two different trees of one size are never both cosigned.

A refused request that carries a valid signature of the office is evidence (the spec's MAY:
a witness may log refused requests), and is kept under ``<store>/<office>/tu-choi/``: a
checkpoint of the size already cosigned with another root (the office signed two trees of
one size: a fork) and a consistency proof that does not verify (422). Each is a folder
``<UTC time>-<status>-<size>/`` with the request as received (``yeu-cau.txt``), the
checkpoint cosigned before (``checkpoint-da-ky-xac-nhan``) and ``GIAI-THICH.txt``; one line
per refusal goes to ``tu-choi.jsonl``. Requests without the office's signature are not kept
(anyone could send them), and at most :data:`MAX_REFUSED_KEPT` refusals are kept per office.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from generator.core.errors import CongkhaiError
from generator.ledger import checkpoints, cosign, merkle
from generator.ledger.log import write_atomically
from generator.witness.config import Config

MAX_BODY = 64 * 1024
"""Largest request body accepted (a checkpoint, its signatures and 63 hashes are far less)."""
MAX_PROOF = 63
REQUEST_TIMEOUT = 10.0
"""Seconds a connection may stay silent (headers or body) before it is closed."""
COSIGNED_NAME = "cosigned-checkpoint"
"""The latest checkpoint cosigned for an office, with the cosignature, in its store folder."""
LOCK_NAME = ".cosign.lock"
KEY_ENV = "CONGKHAI_WITNESS_KEY"
REFUSED_DIR = "tu-choi"
REFUSED_LOG = "tu-choi.jsonl"
MAX_REFUSED_KEPT = 200
"""Refusals kept per office (a misbehaving office cannot fill the witness's disk)."""
_OLD = re.compile(r"old (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


def _text(status: int, message: str) -> Answer:
    return Answer(status, (message + "\n").encode())


class Witness:
    """The state and the checks of one witness: its key and name, its offices, its store."""

    def __init__(self, config: Config, store: Path, key: Ed25519PrivateKey, now: Callable[[], float] = time.time):
        if not config.name:
            raise CongkhaiError("witness.yml: name: thiếu tên của nhân chứng (ví dụ thanhtra.angiang.gov.vn/witness)")
        self.name = config.name
        self.key = key
        self.store = store
        self.now = now
        self.offices: dict[str, tuple[str, cosign.VerifierKey]] = {}
        """origin -> (store folder, the office's verifier key)."""
        for agency in config.agencies:
            if agency.key is not None and agency.key_name:
                vkey = checkpoints.verifier_key(agency.key_name, agency.key)
                self.offices[agency.key_name] = (agency.slug, cosign.parse_vkey(vkey))
        if not self.offices:
            raise CongkhaiError("witness.yml: agencies: không cơ quan nào có key (khóa kiểm tra chữ ký checkpoint)")
        self._lock = threading.Lock()

    @property
    def vkey(self) -> str:
        return cosign.witness_vkey(self.name, self.key.public_key())

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.store.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.store / LOCK_NAME, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def latest(self, slug: str) -> checkpoints.Checkpoint | None:
        path = self.store / slug / COSIGNED_NAME
        if not path.is_file():
            return None
        return checkpoints.parse(path.read_bytes(), str(path))

    def _keep_refusal(
        self, slug: str, body: bytes, latest: checkpoints.Checkpoint | None, status: int, reason: str
    ) -> None:
        """Keep a refused request signed by the office (called under the lock)."""
        folder = self.store / slug
        log = folder / REFUSED_LOG
        kept = len(log.read_bytes().splitlines()) if log.is_file() else 0
        if kept >= MAX_REFUSED_KEPT:
            return
        found = checkpoints.parse(body.partition(b"\n\n")[2])
        stamp = dt.datetime.fromtimestamp(self.now(), dt.UTC)
        name = f"{stamp:%Y%m%dT%H%M%SZ}-{status}-{found.size}"
        where = folder / REFUSED_DIR / name
        suffix = 1
        while where.exists():
            suffix += 1
            where = folder / REFUSED_DIR / f"{name}-{suffix}"
        where.mkdir(parents=True)
        write_atomically(where / "yeu-cau.txt", body)
        if latest is not None:
            write_atomically(where / "checkpoint-da-ky-xac-nhan", (folder / COSIGNED_NAME).read_bytes())
        explained = (
            f"Nhân chứng {self.name} từ chối yêu cầu add-checkpoint lúc {stamp:%Y-%m-%dT%H:%M:%SZ} "
            f"(HTTP {status}): {reason}.\n"
            f"Checkpoint trong yêu cầu: nguồn {found.origin}, kích thước {found.size}, có chữ ký hợp lệ của cơ quan.\n"
        )
        if latest is not None:
            explained += f"Checkpoint đã ký xác nhận trước đó: kích thước {latest.size}.\n"
        if status == 409:
            explained += (
                "Cơ quan đã ký hai cây khác nhau cùng một kích thước: nhật ký bị rẽ nhánh hoặc viết lại. "
                "Hai checkpoint trong thư mục này là bằng chứng.\n"
            )
        write_atomically(where / "GIAI-THICH.txt", explained.encode())
        entry = {"at": f"{stamp:%Y-%m-%dT%H:%M:%SZ}", "status": status, "size": found.size, "reason": reason}
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({**entry, "folder": f"{REFUSED_DIR}/{where.name}"}, ensure_ascii=False) + "\n")

    def add_checkpoint(self, body: bytes) -> Answer:
        """The answer to one ``add-checkpoint`` request body."""
        head, sep, note = body.partition(b"\n\n")
        if not sep:
            return _text(400, "thiếu dòng trống giữa phần đầu (old, bằng chứng) và checkpoint")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError:
            return _text(400, "phần đầu yêu cầu không phải ASCII")
        match = _OLD.fullmatch(lines[0])
        if not match:
            return _text(400, "dòng đầu phải là 'old <kích thước>'")
        old = int(match.group(1))
        if len(lines) - 1 > MAX_PROOF:
            return _text(400, f"quá {MAX_PROOF} dòng bằng chứng nhất quán")
        try:
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
        except (binascii.Error, ValueError):
            return _text(400, "dòng bằng chứng nhất quán không phải base64")
        if any(len(h) != 32 for h in proof):
            return _text(400, "mỗi dòng bằng chứng nhất quán phải là một mã băm 32 byte")
        try:
            found = checkpoints.parse(note)
        except CongkhaiError as exc:
            return _text(400, str(exc))
        office = self.offices.get(found.origin)
        if office is None:
            return _text(404, f"không theo dõi nhật ký '{found.origin}'")
        slug, vkey = office
        if not cosign.signed_by_office(note, vkey):
            return _text(403, "không có chữ ký hợp lệ của khóa cơ quan trên checkpoint")
        if old > found.size:
            return _text(400, f"old {old} lớn hơn kích thước checkpoint {found.size}")
        with self._locked():
            latest = self.latest(slug)
            known = latest.size if latest else 0
            fork = latest is not None and latest.size == found.size and latest.root != found.root
            if old != known or (latest is not None and old == found.size and (fork or proof)):
                if fork:
                    self._keep_refusal(
                        slug,
                        body,
                        latest,
                        409,
                        f"checkpoint {found.size} có mã gốc khác checkpoint {known} đã ký xác nhận",
                    )
                return Answer(409, f"{known}\n".encode(), "text/x.tlog.size")
            if latest is not None and old == found.size:
                pass
            elif old == 0:
                if proof:
                    return _text(422, "bằng chứng nhất quán phải trống khi old là 0")
            elif latest is None or not merkle.verify_consistency(old, found.size, latest.root, found.root, proof):
                reason = f"bằng chứng nhất quán từ {old} đến {found.size} không đúng"
                self._keep_refusal(slug, body, latest, 422, reason)
                return _text(422, reason)
            line = cosign.cosign(found.body, self.key, self.name, int(self.now()))
            kept = cosign.with_lines(cosign.office_note(note), [line])
            write_atomically(self.store / slug / COSIGNED_NAME, kept)
        return Answer(200, line.encode())


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT
    protocol_version = "HTTP/1.1"
    server_version = "congkhai-witness"
    sys_version = ""

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def do_POST(self) -> None:
        if not self.path.split("?")[0].endswith("/add-checkpoint"):
            self.close_connection = True
            self._send(_text(404, "chỉ có POST /add-checkpoint"))
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit():
            self.close_connection = True
            self._send(_text(411 if not length else 400, "thiếu hoặc sai Content-Length"))
            return
        if int(length) > MAX_BODY:
            self.close_connection = True
            self._send(_text(413, f"yêu cầu lớn hơn {MAX_BODY} byte"))
            return
        body = self.rfile.read(int(length))
        if len(body) != int(length):
            self.close_connection = True
            return
        self._send(self.server.witness.add_checkpoint(body))

    def do_GET(self) -> None:
        self.close_connection = True
        self._send(_text(405 if self.path.endswith("/add-checkpoint") else 404, "chỉ có POST /add-checkpoint"))

    def log_message(self, format: str, *args: object) -> None:
        self.server.log(f"{self.address_string()} {format % args}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], witness: Witness, log: Callable[[str], None]):
        self.witness = witness
        self.log = log
        super().__init__(address, _Handler)


def server(witness: Witness, host: str, port: int, log: Callable[[str], None] = lambda _: None) -> _Server:
    """A threaded HTTP server for ``witness`` bound to ``host:port`` (call ``serve_forever``)."""
    return _Server((host, port), witness, log)


def parse_listen(value: str) -> tuple[str, int]:
    """``127.0.0.1:8470`` -> ``("127.0.0.1", 8470)``; :class:`ValueError` otherwise."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{value}' không đúng dạng ĐỊA-CHỈ:CỔNG, ví dụ 127.0.0.1:8470")
    return host.strip("[]"), int(port)


def load_key(configured: str | None, environ: dict[str, str]) -> Ed25519PrivateKey:
    """The witness's Ed25519 key (PEM) from ``--key`` or ``CONGKHAI_WITNESS_KEY``."""
    where = configured or environ.get(KEY_ENV, "")
    if not where:
        raise CongkhaiError(f"thiếu khóa của nhân chứng: dùng --key TỆP hoặc biến môi trường {KEY_ENV}")
    key = checkpoints.load_signing_key(where, Path.cwd())
    assert key is not None
    return key
