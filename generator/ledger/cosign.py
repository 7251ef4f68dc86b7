"""Cosignatures of checkpoints: C2SP ``tlog-cosignature/v1`` (Ed25519) and the witness's
verifier key (SPEC §4c).

A cosignature is a signed-note signature line appended to a checkpoint::

    — <cosigner name> base64(key ID || timestamp || signature)

- the key ID is the first 4 bytes of ``SHA-256(<name> || 0x0A || 0x04 || public key)``;
- the timestamp is the time of cosigning in POSIX seconds, a ``uint64`` in big-endian order
  (at most 2^63 - 1);
- the signature is an Ed25519 signature over ``cosignature/v1\\n`` + ``time <seconds>\\n`` +
  the checkpoint's note body (up to and including its last newline, no signature lines).

The cosigner's verifier key (C2SP ``signed-note`` vkey) is
``<name>+<key ID hex>+<base64(0x04 || public key)>``.

A served checkpoint is the office's note (its body and its own signature lines, the bytes
the RFC 3161 tokens cover) followed by the cosignature lines received; :func:`office_note`
gives the office's note back from it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DASH = "\u2014 "
COSIGNATURE_V1 = b"\x04"
"""The signature type of Ed25519 cosignatures (``tlog-cosignature/v1``)."""
ED25519 = b"\x01"
"""The signature type of plain Ed25519 note signatures (the office's own)."""
MAX_TIMESTAMP = 2**63 - 1
_FILE = re.compile(r"^(\d+)\.cosig\.([A-Za-z0-9-]+)$")
"""The cosignature lines of one witness on one checkpoint, kept beside the log."""


@dataclass(frozen=True)
class VerifierKey:
    """A parsed signed-note verifier key."""

    name: str
    key_id: bytes
    kind: bytes
    """The signature type byte: 0x01 (note signature) or 0x04 (cosignature/v1)."""
    public: Ed25519PublicKey


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public: Ed25519PublicKey, kind: bytes = COSIGNATURE_V1) -> bytes:
    """``SHA-256(<name> || 0x0A || <type> || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + kind + _raw(public)).digest()[:4]


def witness_vkey(name: str, public: Ed25519PublicKey) -> str:
    """The cosigner's verifier key: ``<name>+<key ID hex>+<base64(0x04 || public key)>``."""
    return f"{name}+{key_id(name, public).hex()}+{base64.b64encode(COSIGNATURE_V1 + _raw(public)).decode()}"


def valid_name(name: str) -> bool:
    """A key name: non-empty, no spaces, no ``+``, printable."""
    return bool(name) and all(c.isprintable() and not c.isspace() and c != "+" for c in name)


def parse_vkey(text: str) -> VerifierKey:
    """Read a verifier key of type 0x01 or 0x04; :class:`ValueError` (Vietnamese) otherwise."""
    name, _, rest = text.strip().partition("+")
    kid, _, blob = rest.partition("+")
    if not valid_name(name) or len(kid) != 8:
        raise ValueError("phải có dạng <tên>+<mã khóa 8 ký tự hex>+<base64 của loại khóa và khóa Ed25519>")
    try:
        raw = base64.b64decode(blob, validate=True)
        wanted = bytes.fromhex(kid)
    except (binascii.Error, ValueError):
        raise ValueError("mã khóa không phải hex hoặc phần cuối không phải base64") from None
    if len(raw) != 33 or raw[:1] not in (ED25519, COSIGNATURE_V1):
        raise ValueError("phần cuối phải là 1 byte loại khóa (0x01 hoặc 0x04) và 32 byte khóa Ed25519")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public, raw[:1]) != wanted:
        raise ValueError("mã khóa không khớp tên và khóa")
    return VerifierKey(name, wanted, raw[:1], public)


def message(body: bytes, timestamp: int) -> bytes:
    """The bytes a ``cosignature/v1`` signs."""
    return b"cosignature/v1\ntime " + str(timestamp).encode() + b"\n" + body


def cosign(checkpoint_body: bytes, key: Ed25519PrivateKey, name: str, timestamp: int) -> str:
    """The cosignature line (ending with a newline) of ``name`` on a checkpoint body."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError("timestamp outside 0 .. 2^63-1")
    signature = key.sign(message(checkpoint_body, timestamp))
    blob = key_id(name, key.public_key()) + struct.pack(">Q", timestamp) + signature
    return f"{DASH}{name} {base64.b64encode(blob).decode()}\n"


def split(note: bytes) -> tuple[bytes, list[str]]:
    """``(body, signature lines)`` of a note: the body up to the first empty line (with its
    last newline), each signature line without its newline."""
    body, sep, rest = note.partition(b"\n\n")
    if not sep:
        return note, []
    text = rest.decode("utf-8", errors="replace")
    return body + b"\n", [line for line in text.split("\n") if line]


def _line_parts(line: str) -> tuple[str, bytes] | None:
    if not line.startswith(DASH):
        return None
    name, _, blob = line[len(DASH) :].rpartition(" ")
    try:
        return name, base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return None


def cosignature_time(note: bytes, witness: VerifierKey) -> dt.datetime | None:
    """The time of a valid cosignature of ``witness`` on ``note``, None if absent or invalid."""
    body, lines = split(note)
    for line in lines:
        parts = _line_parts(line)
        if parts is None or parts[0] != witness.name or len(parts[1]) != 4 + 8 + 64:
            continue
        raw = parts[1]
        if raw[:4] != witness.key_id:
            continue
        (timestamp,) = struct.unpack(">Q", raw[4:12])
        if timestamp > MAX_TIMESTAMP:
            continue
        try:
            witness.public.verify(raw[12:], message(body, timestamp))
        except InvalidSignature:
            continue
        return dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return None


def cosignatures(note: bytes, witness_vkey: str) -> dt.datetime | None:
    """The time of a valid cosignature of the witness ``witness_vkey`` on ``note`` (None if
    absent, invalid, or the key is not a cosignature/v1 key)."""
    try:
        witness = parse_vkey(witness_vkey)
    except ValueError:
        return None
    if witness.kind != COSIGNATURE_V1:
        return None
    return cosignature_time(note, witness)


def signed_by_office(note: bytes, office: VerifierKey) -> bool:
    """Does ``note`` carry a valid (plain Ed25519, type 0x01) signature of ``office``?"""
    body, lines = split(note)
    for line in lines:
        parts = _line_parts(line)
        if parts is None or parts[0] != office.name or parts[1][:4] != office.key_id or len(parts[1]) != 68:
            continue
        try:
            office.public.verify(parts[1][4:], body)
        except InvalidSignature:
            continue
        return True
    return False


def origin_of(note: bytes) -> str:
    return note.split(b"\n", 1)[0].decode("utf-8", errors="replace")


def office_note(note: bytes) -> bytes:
    """The office's note inside a served checkpoint: its body and the signature lines named
    by its origin (the bytes the RFC 3161 tokens cover); cosignature lines removed."""
    body, lines = split(note)
    if not lines:
        return note
    origin = origin_of(note)
    own = [line for line in lines if (_line_parts(line) or ("",))[0] == origin]
    return body + b"\n" + "".join(line + "\n" for line in own).encode() if own else body


def with_lines(note: bytes, lines: list[str]) -> bytes:
    """``note`` with the signature ``lines`` appended (those it already carries skipped)."""
    body, present = split(note)
    extra = [line.rstrip("\n") for line in lines if line.strip() and line.rstrip("\n") not in present]
    if not extra:
        return note
    if not present:
        return body + b"\n" + "".join(line + "\n" for line in extra).encode()
    return note + "".join(line + "\n" for line in extra).encode()


def lines_of(response: bytes) -> list[str]:
    """The signature lines of a witness's answer (each starting with ``—``)."""
    text = response.decode("utf-8", errors="replace")
    return [line for line in text.split("\n") if line.startswith(DASH)]


# --- kept beside the log ---------------------------------------------------------------


def stored(folder: Path) -> dict[int, dict[str, bytes]]:
    """``size -> witness name -> cosignature lines`` kept in ``folder``."""
    out: dict[int, dict[str, bytes]] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            match = _FILE.match(path.name)
            if match and path.is_file():
                out.setdefault(int(match.group(1)), {})[match.group(2)] = path.read_bytes()
    return out


def file_name(size: int, witness: str) -> str:
    return f"{size}.cosig.{witness}"
