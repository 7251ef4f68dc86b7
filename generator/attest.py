"""Attested time: when an event is proven to have existed, by someone other than the office.

Each checkpoint may carry RFC 3161 tokens (``<size>.<tsa>.tsr``, see
:mod:`generator.timestamps`) over its exact bytes. An event's **attested time** is the
``genTime`` of the earliest valid token on a checkpoint that contains it (SPEC §4a). The
office's own ``at`` must not be later than it, and should not be much earlier either
(``max_timestamp_delay``): an event dated January but first covered by a token in
November was backdated.

``stamp`` asks every configured TSA for a token over a new checkpoint (a TSA that does not
answer never blocks a publish); ``fill_missing`` (``congkhai timestamp``) asks again for
the checkpoints that still lack one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from generator import checkpoints
from generator.config import Settings
from generator.log import write_atomically
from generator.site import Anchors
from generator.timestamps import TSA, TimestampError, parse_tsas, request_token, verify_token

TIMEOUT = 15.0
"""Seconds a publish waits for each TSA."""


@dataclass(frozen=True)
class Attestation:
    """A valid token: its ``genTime`` (UTC), its TSA and the checkpoint it covers."""

    when: dt.datetime
    tsa: str
    size: int


def tsas(settings: Settings) -> list[TSA]:
    """The TSAs of the option ``timestamping`` (checked: names, addresses, root files)."""
    return parse_tsas(list(settings.timestamping) or None, settings.root)


def stamp(settings: Settings, note: bytes) -> tuple[dict[str, bytes], list[str]]:
    """Tokens over ``note`` from every TSA (``name -> token``), and one message per TSA
    that gave none."""
    tokens, failures = {}, []
    for tsa in tsas(settings):
        try:
            tokens[tsa.name] = request_token(tsa, note, TIMEOUT)
        except TimestampError as exc:
            failures.append(str(exc))
    return tokens, failures


def fill_missing(settings: Settings, anchors: Anchors) -> tuple[list[str], list[str]]:
    """Ask each TSA again for the checkpoints it has no token for; store those it gives.
    Returns (what was added, what failed), one line each."""
    folder = checkpoints.store_dir(settings.log_path)
    added, failed = [], []
    for tsa in tsas(settings):
        for size in sorted(anchors.notes):
            if tsa.name in anchors.tokens.get(size, {}):
                continue
            try:
                token = request_token(tsa, anchors.notes[size], TIMEOUT)
            except TimestampError as exc:
                failed.append(f"checkpoint {size}: {exc}")
                continue
            write_atomically(folder / f"{size}.{tsa.name}.tsr", token)
            added.append(f"checkpoint {size}: dấu thời gian của {tsa.name}")
    return added, failed


def attestations(settings: Settings, anchors: Anchors) -> tuple[dict[int, Attestation], list[tuple[int, str, str]]]:
    """The earliest valid token of each checkpoint (by size), and ``(size, tsa, reason)``
    for every token that does not verify or whose TSA is not configured."""
    known = {t.name: t for t in tsas(settings)}
    best: dict[int, Attestation] = {}
    bad: list[tuple[int, str, str]] = []
    for size, tokens in sorted(anchors.tokens.items()):
        for name, token in sorted(tokens.items()):
            tsa = known.get(name)
            if tsa is None:
                bad.append((size, name, f"đơn vị cấp dấu thời gian '{name}' không có trong timestamping"))
                continue
            try:
                when = verify_token(token, anchors.notes[size], Path(tsa.ca).read_bytes())
            except TimestampError as exc:
                bad.append((size, name, exc.reason))
                continue
            except OSError as exc:
                bad.append((size, name, f"không đọc được chứng thư gốc {tsa.ca} ({exc.strerror or exc})"))
                continue
            if size not in best or when < best[size].when:
                best[size] = Attestation(when, name, size)
    return best, bad


def attested(seq: int, per_checkpoint: dict[int, Attestation]) -> Attestation | None:
    """The attested time of event ``seq``: the earliest token on a checkpoint containing it."""
    found = [a for size, a in per_checkpoint.items() if size >= seq]
    return min(found, key=lambda a: a.when) if found else None
