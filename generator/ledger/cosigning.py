"""The office's side of witnessing: asking the witnesses of the plugin option ``witnesses``
for cosignatures (C2SP ``tlog-witness``, SPEC §4c).

Each witness remembers the size of the last checkpoint it cosigned for this log; a request
carries ``old <that size>`` and the consistency proof from it. The office keeps what each
witness gave in ``<log>.checkpoints/<size>.cosig.<witness>`` (its cosignature lines), so the
size of the last one is known; when the witness says otherwise (409, its size in the body),
the request is sent once more from the size it states. A witness that is down or refuses
never blocks a publish: :func:`fill_missing` (``congkhai timestamp``) asks again later.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path

import httpx

from generator.core import http
from generator.core.errors import CongkhaiError, Problem
from generator.ledger import cosign, merkle
from generator.ledger.anchors import Anchors
from generator.ledger.log import write_atomically

DEADLINE = 20.0
"""Seconds one request to a witness may take in all."""
MAX_ANSWER = 64 * 1024
NAME = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


@dataclass(frozen=True)
class WitnessEndpoint:
    name: str
    """Letters, digits and dashes (the file suffix ``<size>.cosig.<name>``)."""
    url: str
    """The witness's submission prefix (``<url>/add-checkpoint`` is posted to)."""
    key: str
    """The witness's C2SP verifier key (type 0x04)."""


class CosignError(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def parse_witnesses(
    raw: list[dict[str, str]] | tuple[dict[str, str], ...], where: str = "mkdocs.yml"
) -> list[WitnessEndpoint]:
    """The entries of the plugin option ``witnesses`` (``{name, url, key}``), checked."""
    problems: list[Problem] = []
    out: list[WitnessEndpoint] = []
    for i, entry in enumerate(raw):
        field = f"witnesses[{i + 1}]"
        if not isinstance(entry, dict):
            problems.append(Problem(where, 1, field, "phải có dạng {name: …, url: …, key: …}"))
            continue
        for key in sorted(k for k in entry if k not in ("name", "url", "key")):
            problems.append(Problem(where, 1, f"{field}.{key}", "khóa không được hỗ trợ; chỉ dùng name, url, key"))
        name, url, key = entry.get("name"), entry.get("url"), entry.get("key")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            problems.append(Problem(where, 1, f"{field}.name", "phải gồm chữ cái không dấu, chữ số và dấu gạch ngang"))
            continue
        if not isinstance(url, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            problems.append(Problem(where, 1, f"{field}.url", "phải là địa chỉ http:// hoặc https:// của nhân chứng"))
            continue
        try:
            vkey = cosign.parse_vkey(str(key or ""))
        except ValueError as exc:
            problems.append(Problem(where, 1, f"{field}.key", f"khóa kiểm tra của nhân chứng không hợp lệ: {exc}"))
            continue
        if vkey.kind != cosign.COSIGNATURE_V1:
            problems.append(Problem(where, 1, f"{field}.key", "phải là khóa loại 0x04 (tlog-cosignature/v1)"))
            continue
        if any(w.name == name for w in out):
            problems.append(Problem(where, 1, f"{field}.name", f"trùng tên nhân chứng {name}"))
            continue
        out.append(WitnessEndpoint(name, url.rstrip("/"), str(key).strip()))
    if problems:
        raise CongkhaiError(problems)
    return out


def last_size(anchors: Anchors, witness: str) -> int:
    """The size of the latest checkpoint ``witness`` cosigned, as far as the office knows."""
    sizes = [size for size, by in anchors.cosignatures.items() if witness in by]
    return max(sizes, default=0)


def _body(old: int, proof: list[bytes], note: bytes) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n").encode() + note


def request(client: httpx.Client, witness: WitnessEndpoint, note: bytes, tree: merkle.Tree, old: int) -> str:
    """Ask ``witness`` to cosign ``note`` (the office's note of the tree of its size, a tree
    ``tree`` extends), from ``old``; once more from the size it states on 409. Returns the
    witness's valid cosignature line(s); :class:`CosignError` otherwise."""
    size = int(note.split(b"\n", 2)[1])
    for attempt in range(2):
        proof = tree.consistency_proof(old, size) if 0 < old < size else []
        try:
            answer = http.get(
                client,
                witness.url + "/add-checkpoint",
                MAX_ANSWER,
                deadline=DEADLINE,
                ok=(200, 409),
                method="POST",
                content=_body(old, proof, note),
            )
        except http.FetchError as exc:
            raise CosignError(f"nhân chứng {witness.name}: {exc.reason}") from None
        if answer.status == 409:
            text = answer.body.decode("ascii", errors="replace").strip()
            if attempt or not text.isdigit() or int(text) > size:
                raise CosignError(
                    f"nhân chứng {witness.name} đã ký xác nhận checkpoint {text or '?'} sự kiện, "
                    f"không ký checkpoint {size}"
                )
            old = int(text)
            continue
        lines = [
            line
            for line in cosign.lines_of(answer.body)
            if cosign.cosignatures(cosign.with_lines(note, [line]), witness.key)
        ]
        if not lines:
            raise CosignError(
                f"nhân chứng {witness.name} trả lời nhưng không có chữ ký xác nhận hợp lệ với khóa đã khai"
            )
        return "".join(line + "\n" for line in lines)
    raise AssertionError("unreachable")


def ask_all(
    witnesses: list[WitnessEndpoint], note: bytes, tree: merkle.Tree, anchors: Anchors
) -> tuple[dict[str, bytes], list[str]]:
    """Cosignatures of every witness on a new checkpoint ``note`` (``name -> lines``), and one
    message per witness that gave none."""
    got: dict[str, bytes] = {}
    failures: list[str] = []
    if not witnesses:
        return got, failures
    with http.client(connections=4) as client:
        for witness in witnesses:
            try:
                got[witness.name] = request(client, witness, note, tree, last_size(anchors, witness.name)).encode()
            except CosignError as exc:
                failures.append(exc.reason)
    return got, failures


def fill_missing(
    witnesses: list[WitnessEndpoint], folder: Path, anchors: Anchors, tree: merkle.Tree
) -> tuple[list[str], list[str]]:
    """Ask each witness again for the checkpoints it has not cosigned, oldest first (each
    request from the size it cosigned last); store what it gives. Returns (what was added,
    what failed), one line each."""
    added, failed = [], []
    with http.client(connections=4) as client:
        for witness in witnesses:
            known = last_size(anchors, witness.name)
            for size in sorted(anchors.notes):
                if witness.name in anchors.cosignatures.get(size, {}) or size < known:
                    continue
                try:
                    lines = request(client, witness, anchors.notes[size], tree, known)
                except CosignError as exc:
                    failed.append(f"checkpoint {size}: {exc.reason}")
                    continue
                write_atomically(folder / cosign.file_name(size, witness.name), lines.encode())
                known = size
                added.append(f"checkpoint {size}: chữ ký xác nhận của nhân chứng {witness.name}")
    return added, failed
