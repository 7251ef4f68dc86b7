"""Checkpoints of the publication log, their signatures, and proof files (SPEC §4a).

After each publish the log's Merkle tree head (:mod:`generator.ledger.merkle`) is written as a
C2SP ``tlog-checkpoint``::

    <origin>
    <size>
    <base64 root>

and, when the office has an Ed25519 key (``signing_key``), as a C2SP ``signed-note``: the
checkpoint, an empty line, and ``— <origin> <base64(key ID || signature)>``, where the key
ID is the first 4 bytes of ``SHA-256(<origin> || 0x0A || 0x01 || public key)``.

Checkpoints are kept beside the log, in ``<log>.checkpoints/<size>``, with the RFC 3161
tokens over their exact bytes in ``<size>.<tsa-name>.tsr`` (see :mod:`generator.ledger.timestamps`);
the site serves them under ``/nhat-ky-cong-khai/checkpoints/``. A proof file (C2SP
``tlog-proof``) shows one event inside one checkpoint::

    c2sp.org/tlog-proof@v1
    index <N>
    <base64 hash>
    …

    <the checkpoint, verbatim>
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from generator.core import paths
from generator.core.config import Settings
from generator.core.errors import CongkhaiError
from generator.ledger import merkle

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
SIGNATURE_DASH = "\u2014 "
ED25519 = b"\x01"
KEY_ENV = "CONGKHAI_SIGNING_KEY"
"""Environment variable naming the office's Ed25519 key when ``signing_key`` is not set."""
_TOKEN_NAME = re.compile(r"^(\d+)\.([a-z0-9-]+)\.tsr$")


def default_origin(site_url: str) -> str:
    """``https://congkhai.example.gov.vn/`` -> ``congkhai.example.gov.vn/nhat-ky-cong-khai``."""
    parts = urlsplit(site_url or "")
    host = (parts.hostname or "congkhai.invalid") + (f":{parts.port}" if parts.port else "")
    return host + (parts.path or "/") + paths.LOG_PAGE.rstrip("/")


def log_origin(settings: Settings) -> str:
    """The log's name in its checkpoints: the option ``log_origin``, or :func:`default_origin`."""
    return settings.log_origin or default_origin(settings.site_url)


def office_verifier_key(settings: Settings) -> str | None:
    """The verifier key (vkey) of the office's configured signing key, for the site to serve
    and show; None when no key is configured or it cannot be read on this machine (a build
    without the key serves no vkey; ``publish``, which signs, needs the key anyway)."""
    try:
        key = load_signing_key(settings.signing_key, settings.root)
    except CongkhaiError:
        return None
    return None if key is None else verifier_key(log_origin(settings), key.public_key())


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: its tree and its note's bytes (signed or not)."""

    origin: str
    size: int
    root: bytes
    note: bytes
    body: bytes
    """The checkpoint text that is signed (the note without its signature lines)."""
    signatures: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    """``(name, key ID, signature)`` of each signature line."""


def checkpoint_text(origin: str, size: int, root: bytes) -> bytes:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + raw).digest()[:4]


def verifier_key(name: str, public: Ed25519PublicKey) -> str:
    """The note verifier key an auditor pins: ``<name>+<key ID hex>+<base64(0x01 || key)>``."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{name}+{key_id(name, public).hex()}+{base64.b64encode(ED25519 + raw).decode()}"


def parse_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    """``(name, public key)`` of a C2SP note verifier key ``<name>+<key ID hex>+<base64(0x01 || key)>``;
    :class:`ValueError` with a Vietnamese reason when it is not one (or its key ID does not match)."""
    name, _, rest = text.strip().partition("+")
    kid, _, blob = rest.partition("+")
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("phần cuối không phải base64") from None
    if not name or len(kid) != 8 or len(raw) != 33 or raw[:1] != ED25519:
        raise ValueError("phải có dạng <tên>+<mã khóa 8 ký tự hex>+<base64 của khóa Ed25519>")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public).hex() != kid.lower():
        raise ValueError("mã khóa không khớp tên và khóa")
    return name, public


def make(origin: str, size: int, root: bytes, key: Ed25519PrivateKey | None = None) -> bytes:
    """The checkpoint note for a tree, signed by ``key`` when given."""
    body = checkpoint_text(origin, size, root)
    if key is None:
        return body
    signature = key.sign(body)
    line = f"{SIGNATURE_DASH}{origin} {base64.b64encode(key_id(origin, key.public_key()) + signature).decode()}\n"
    return body + b"\n" + line.encode()


def parse(note: bytes, where: str = "checkpoint") -> Checkpoint:
    """Read a checkpoint note; raise :class:`CongkhaiError` naming ``where`` if malformed."""
    try:
        text = note.decode("utf-8")
    except UnicodeDecodeError:
        raise CongkhaiError(f"{where}: checkpoint không phải văn bản UTF-8") from None
    body, _, sigs = text.partition("\n\n")
    body = body if body.endswith("\n") else body + "\n"
    lines = body.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise CongkhaiError(f"{where}: checkpoint không đúng dạng (dòng nguồn, số sự kiện, mã gốc base64)")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except (binascii.Error, ValueError):
        raise CongkhaiError(f"{where}: mã gốc của checkpoint không phải base64") from None
    if len(root) != 32:
        raise CongkhaiError(f"{where}: mã gốc của checkpoint phải dài 32 byte")
    signatures = []
    for line in sigs.split("\n"):
        if not line:
            continue
        if not line.startswith(SIGNATURE_DASH):
            raise CongkhaiError(f"{where}: dòng chữ ký không đúng dạng: {line[:40]}")
        name, _, blob = line[len(SIGNATURE_DASH) :].rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise CongkhaiError(f"{where}: chữ ký không phải base64") from None
        signatures.append((name, raw[:4], raw[4:]))
    return Checkpoint(lines[0], int(lines[1]), root, note, body.encode(), signatures)


def signed_by(checkpoint: Checkpoint, name: str, public: Ed25519PublicKey) -> bool:
    """Does ``checkpoint`` carry a valid signature of ``name`` with ``public``?"""
    wanted = key_id(name, public)
    for signer, kid, signature in checkpoint.signatures:
        if signer == name and kid == wanted:
            try:
                public.verify(signature, checkpoint.body)
            except InvalidSignature:
                return False
            return True
    return False


def key_path(configured: str, root: Path) -> Path | None:
    """Where the office's key is: the environment variable ``CONGKHAI_SIGNING_KEY`` when set
    (a CI runner's secret file: the path in ``mkdocs.yml`` is on the clerk's machine), else
    ``signing_key`` (``~`` is the user's home; relative to the project otherwise); None when
    neither is set."""
    where = os.environ.get(KEY_ENV, "") or configured
    if not where:
        return None
    path = Path(where).expanduser()
    return path if path.is_absolute() else root / path


def load_signing_key(configured: str, root: Path) -> Ed25519PrivateKey | None:
    """The office's Ed25519 key from ``signing_key`` (a PEM file, see :func:`key_path`)
    or the environment variable ``CONGKHAI_SIGNING_KEY``; None when neither is set."""
    path = key_path(configured, root)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CongkhaiError(f"không đọc được khóa ký checkpoint {path}: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise CongkhaiError(f"{path}: không phải khóa riêng Ed25519 dạng PEM (không mật khẩu)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CongkhaiError(f"{path}: khóa ký checkpoint phải là khóa Ed25519")
    return key


def create_signing_key(path: Path) -> Ed25519PrivateKey:
    """A new Ed25519 key written to ``path`` (PEM, PKCS#8, no password), readable by its
    owner only (mode 600, its folder 700 when made here). An existing key there is kept and
    returned: a project made again never loses the key its checkpoints were signed with."""
    if path.exists():
        key = load_signing_key(str(path), path.parent)
        assert key is not None
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
    except OSError as exc:
        raise CongkhaiError(f"không ghi được khóa ký checkpoint {path}: {exc.strerror or exc}") from None
    return key


# --- the store beside the log -----------------------------------------------------------


def store_dir(log_path: Path) -> Path:
    """``publication-log.jsonl`` -> ``publication-log.checkpoints/``."""
    return log_path.with_name(log_path.stem + ".checkpoints")


@dataclass(frozen=True)
class Store:
    """The checkpoints and tokens kept beside the log."""

    folder: Path

    def sizes(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(p.name) for p in self.folder.iterdir() if p.name.isdigit())

    def note(self, size: int) -> bytes:
        return (self.folder / str(size)).read_bytes()

    def tokens(self, size: int) -> dict[str, bytes]:
        """``tsa name -> token`` of the checkpoint of ``size``."""
        out = {}
        if self.folder.is_dir():
            for p in sorted(self.folder.glob(f"{size}.*.tsr")):
                match = _TOKEN_NAME.match(p.name)
                if match:
                    out[match.group(2)] = p.read_bytes()
        return out

    def files(self) -> dict[str, bytes]:
        """Every checkpoint and token by file name."""
        if not self.folder.is_dir():
            return {}
        return {
            p.name: p.read_bytes()
            for p in sorted(self.folder.iterdir())
            if p.is_file() and (p.name.isdigit() or _TOKEN_NAME.match(p.name))
        }


# --- proof files ------------------------------------------------------------------------


def proof_file(index: int, proof: list[bytes], note: bytes) -> bytes:
    """A C2SP ``tlog-proof``: the event at ``index`` is in the checkpoint ``note``."""
    lines = [PROOF_HEADER, f"index {index}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n").encode() + note


def parse_proof(data: bytes) -> tuple[int, list[bytes], bytes]:
    """``(index, hashes, checkpoint note)`` of a proof file."""
    head, sep, note = data.partition(b"\n\n")
    lines = head.decode("ascii", errors="replace").split("\n")
    if not sep or not lines or lines[0] != PROOF_HEADER:
        raise CongkhaiError("tệp bằng chứng không đúng dạng c2sp.org/tlog-proof@v1")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    if not rest or not rest[0].startswith("index ") or not rest[0][6:].isdigit():
        raise CongkhaiError("tệp bằng chứng thiếu dòng index")
    try:
        hashes = [base64.b64decode(h, validate=True) for h in rest[1:]]
    except (binascii.Error, ValueError):
        raise CongkhaiError("tệp bằng chứng có mã băm không phải base64") from None
    return int(rest[0][6:]), hashes, note


def verify_proof(data: bytes, line: bytes) -> Checkpoint:
    """Check that the log line ``line`` is at the proof's index in its checkpoint."""
    index, hashes, note = parse_proof(data)
    checkpoint = parse(note)
    if not merkle.verify_inclusion(merkle.leaf_hash(line), index, checkpoint.size, hashes, checkpoint.root):
        raise CongkhaiError(f"bằng chứng không khớp: dòng {index + 1} không nằm trong checkpoint {checkpoint.size}")
    return checkpoint
