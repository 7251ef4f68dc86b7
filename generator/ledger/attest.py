"""Attested time: when an event is proven to have existed, by someone other than the office.

Each checkpoint may carry RFC 3161 tokens (``<size>.<tsa>.tsr``, see
:mod:`generator.ledger.timestamps`) over its exact bytes. An event's **attested time** is the
``genTime`` of the earliest valid token on a checkpoint that contains it (SPEC §4a). The
office's own ``at`` must not be later than it, and should not be much earlier either
(``max_timestamp_delay``): an event dated January but first covered by a token in
November was backdated.

Clocks differ a little: an event's ``at`` may be later than its attested time by the
token's own ``accuracy`` plus ``clock_skew`` (default 5 minutes) before it is reported, and
``stamp`` warns at once when the office's clock is off a TSA's by more than that (either
way). Both tolerances come from :func:`tolerances`, the one place that decides them.

``stamp`` asks every configured TSA for a token over a new checkpoint, all at once (a TSA
that does not answer within its ``wait`` never blocks a deploy: its token, if it comes,
is published right after); ``fill_missing`` (``congkhai timestamp``) asks again for the
checkpoints that still lack one.
"""

from __future__ import annotations

import datetime as dt
import functools
import select
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.core import parallel
from generator.core.config import Settings
from generator.core.values import local_time
from generator.ledger import checkpoints
from generator.ledger.anchors import Anchors
from generator.ledger.log import write_atomically
from generator.ledger.timestamps import (
    TSA,
    TimestampError,
    parse_tsas,
    request_with_retries,
    token_accuracy,
    token_time,
    verify_token,
)
from generator.ledger.trust import TrustPolicy


@dataclass(frozen=True)
class Attestation:
    """A valid token: its ``genTime`` (UTC), its TSA and the checkpoint it covers."""

    when: dt.datetime
    tsa: str
    size: int
    accuracy: dt.timedelta = dt.timedelta(0)
    """The token's ``accuracy`` (zero when it states none)."""


@dataclass(frozen=True)
class Tolerances:
    """What the checks of attested time allow."""

    clock_skew: dt.timedelta
    """How far the office's clock may be off a TSA's, on top of a token's accuracy."""
    max_delay: dt.timedelta
    """How long an event may wait for a token covering it."""

    def allowed_skew(self, attestation: Attestation) -> dt.timedelta:
        """How much later than ``attestation.when`` an event's ``at`` may be."""
        return self.clock_skew + attestation.accuracy


def tolerances(settings: Settings, policy: TrustPolicy | None = None) -> Tolerances:
    """The tolerances of the checks, from the plugin options ``clock_skew`` (minutes) and
    ``max_timestamp_delay`` (hours): the one place ``verify`` and ``publish`` take them
    from; with a checker's trust policy (SPEC §4c), from the policy alone."""
    if policy is not None:
        return Tolerances(
            clock_skew=dt.timedelta(seconds=policy.clock_skew_seconds),
            max_delay=dt.timedelta(hours=policy.max_timestamp_delay_hours),
        )
    return Tolerances(
        clock_skew=dt.timedelta(minutes=max(settings.clock_skew_minutes, 0)),
        max_delay=dt.timedelta(hours=settings.max_timestamp_delay_hours),
    )


def duration_text(span: dt.timedelta) -> str:
    """A duration as one reads it, in its two largest units, rounded down to the second:
    ``1 giờ 2 phút``, ``5 phút``, ``3 ngày 4 giờ``, ``0 giây``."""
    seconds = int(abs(span).total_seconds())
    units = [(86400, "ngày"), (3600, "giờ"), (60, "phút"), (1, "giây")]
    for index, (size, name) in enumerate(units):
        if seconds >= size or size == 1:
            count, rest = divmod(seconds, size)
            text = f"{count} {name}"
            if index + 1 < len(units) and rest // units[index + 1][0]:
                text += f" {rest // units[index + 1][0]} {units[index + 1][1]}"
            return text
    raise AssertionError("unreachable")


def tsas(settings: Settings) -> list[TSA]:
    """The TSAs of the option ``timestamping`` (checked: names, addresses, root files)."""
    return parse_tsas(list(settings.timestamping) or None, settings.root)


def _ask(tsa: TSA, note: bytes) -> tuple[str, bytes | str, str]:
    """Runs in a process of its own: ``("ok", token, middle of the exchange)`` (the
    attempt that gave it) or ``("error", message, "")``. Only text and bytes go back."""
    try:
        before = dt.datetime.now(dt.UTC)
        token = request_with_retries(tsa, note)
        after = dt.datetime.now(dt.UTC)
    except TimestampError as exc:
        return "error", str(exc), ""
    except Exception as exc:  # a token request never takes the publish down
        return "error", str(TimestampError(f"lỗi không lường trước ({type(exc).__name__})", tsa)), ""
    return "ok", token, (before + (after - before) / 2).isoformat()


class Stamping:
    """The tokens over one checkpoint, asked of every TSA at once, each in a forked
    process of its own (:func:`generator.core.parallel.fork_call`): this process runs no
    thread while they wait, so the site build may still fork its page workers.

    :meth:`early` waits for each TSA up to its ``wait`` (the tokens to publish with the
    checkpoint); :meth:`late` waits for the others up to all their attempts
    (:meth:`TSA.longest`); :meth:`stop` ends the processes still running."""

    def __init__(
        self,
        settings: Settings,
        note: bytes,
        warn: Callable[[str], None] | None = None,
        notify: Callable[[list[tuple[str, float]]], None] | None = None,
    ):
        self.settings = settings
        self.warn = warn
        self.notify = notify
        self.started = time.monotonic()
        self.running: dict[str, tuple[TSA, parallel.Forked]] = {}
        for tsa in tsas(settings):
            self.running[tsa.name] = (tsa, parallel.fork_call(functools.partial(_ask, tsa, note)))

    @property
    def waiting(self) -> list[str]:
        """The TSAs that have not answered yet."""
        return sorted(self.running)

    def early(self) -> tuple[dict[str, bytes], list[str]]:
        """The tokens of the TSAs that answer within their ``wait``, and a message for each that failed."""
        return self._collect(lambda tsa: tsa.wait)

    def late(self) -> tuple[dict[str, bytes], list[str]]:
        """The tokens of the TSAs still asked, waited for up to all their attempts; a
        message for each that failed or did not answer in time (its process is ended)."""
        if self.notify is not None and self.running:
            left = time.monotonic() - self.started
            self.notify(
                [(name, max(0, round(tsa.longest() - left))) for name, (tsa, _) in sorted(self.running.items())]
            )
        tokens, failures = self._collect(lambda tsa: tsa.longest())
        for name in sorted(self.running):
            tsa, forked = self.running[name]
            forked.stop()
            failures.append(str(TimestampError(f"không trả lời trong {tsa.longest():g} giây", tsa)))
        self.running.clear()
        return tokens, failures

    def all(self) -> tuple[dict[str, bytes], list[str]]:
        """Every token, waiting for each TSA up to all its attempts (no deploy to hold up:
        the dossier's manifest)."""
        try:
            tokens, failures = self.early()
            late, more = self.late()
        finally:
            self.stop()
        return {**tokens, **late}, failures + more

    def stop(self) -> None:
        for _, forked in self.running.values():
            forked.stop()
        self.running.clear()

    def _collect(self, limit: Callable[[TSA], float]) -> tuple[dict[str, bytes], list[str]]:
        tokens: dict[str, bytes] = {}
        failures: list[str] = []
        while True:
            now = time.monotonic()
            asked = {name: self.started + limit(tsa) - now for name, (tsa, _) in self.running.items()}
            asked = {name: left for name, left in asked.items() if left > 0}
            if not asked:
                return tokens, failures
            readers = {self.running[name][1].reader: name for name in asked}
            ready, _, _ = select.select(list(readers), [], [], min(asked.values()))
            for reader in ready:
                name = readers[reader]
                tsa, forked = self.running.pop(name)
                try:
                    kind, value, middle = forked.result()
                except parallel.WorkerDied as died:
                    kind, value = "error", str(TimestampError(f"tiến trình hỏi dừng bất thường (mã {died.code})", tsa))
                if kind == "ok" and isinstance(value, bytes):
                    tokens[name] = value
                    self._check_clock(tsa, value, dt.datetime.fromisoformat(middle))
                else:
                    failures.append(str(value))

    def _check_clock(self, tsa: TSA, token: bytes, middle: dt.datetime) -> None:
        if self.warn is None:
            return
        attestation = Attestation(token_time(token), tsa.name, 0, token_accuracy(token))
        message = clock_warning(middle, attestation, tolerances(self.settings), self.settings)
        if message:
            self.warn(message)


def stamp(
    settings: Settings,
    note: bytes,
    warn: Callable[[str], None] | None = None,
    notify: Callable[[list[tuple[str, float]]], None] | None = None,
) -> Stamping:
    """Ask every TSA for a token over ``note`` (:class:`Stamping`; the tokens come from its
    :meth:`~Stamping.early` and :meth:`~Stamping.late`). ``warn`` gets a message for each
    token whose ``genTime`` is off this machine's clock by more than the tolerance
    (:func:`clock_warning`); ``notify`` is told, after the deploy, which TSAs are still
    waited for and for how many seconds at most."""
    return Stamping(settings, note, warn, notify)


def clock_warning(office: dt.datetime, attestation: Attestation, allowed: Tolerances, settings: Settings) -> str | None:
    """What to tell the office when its clock read ``office`` as the TSA gave the token of
    ``attestation`` (the middle of the exchange) and the two differ by more than the
    tolerance; None otherwise."""
    difference = office - attestation.when
    limit = allowed.allowed_skew(attestation)
    if abs(difference) <= limit:
        return None
    ahead = difference > dt.timedelta(0)
    shown = f"máy này {_clock(office, settings)}, dấu thời gian {_clock(attestation.when, settings)}"
    accuracy = (
        f" và độ chính xác {duration_text(attestation.accuracy)} của dấu thời gian" if attestation.accuracy else ""
    )
    consequence = (
        "các sự kiện vừa ghi có thời điểm muộn hơn thời điểm được chứng thực, congkhai verify sẽ báo lỗi"
        if ahead
        else "ngày công bố ghi trong nhật ký sớm hơn thực tế"
    )
    return (
        f"đồng hồ máy này {'nhanh' if ahead else 'chậm'} hơn đồng hồ của đơn vị cấp dấu thời gian "
        f"{attestation.tsa} {duration_text(difference)} ({shown}), quá {duration_text(allowed.clock_skew)} cho phép "
        f"(clock_skew){accuracy}: {consequence}; hãy đồng bộ đồng hồ máy (NTP) trước lần công bố sau"
    )


def _clock(moment: dt.datetime, settings: Settings) -> str:
    """dd/mm/yyyy HH:MM:SS in the office's time zone."""
    return local_time(moment.isoformat(timespec="seconds"), settings.timezone).strftime("%d/%m/%Y %H:%M:%S")


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
                token = request_with_retries(tsa, anchors.notes[size])
            except TimestampError as exc:
                failed.append(f"checkpoint {size}: {exc}")
                continue
            write_atomically(folder / f"{size}.{tsa.name}.tsr", token)
            added.append(f"checkpoint {size}: dấu thời gian của {tsa.name}")
    return added, failed


def attestations(
    settings: Settings, anchors: Anchors, policy: TrustPolicy | None = None
) -> tuple[dict[int, Attestation], list[tuple[int, str, str]]]:
    """The earliest valid token of each checkpoint (by size), and ``(size, tsa, reason)``
    for every token that does not verify or whose TSA is not accepted. The accepted TSAs
    and their roots are those of the option ``timestamping``, or, with a trust policy,
    those of the policy alone (with the largest accuracy it accepts)."""
    roots: dict[str, Callable[[], bytes]] = {}
    limits: dict[str, float | None] = {}
    where: dict[str, str] = {}
    if policy is not None:
        for trusted in policy.tsas:
            roots[trusted.name] = lambda pem=trusted.root_pem: pem
            limits[trusted.name] = trusted.accuracy_seconds
        unknown = f"không có trong chính sách tin cậy {policy.source}: dấu thời gian không được chấp nhận"
    else:
        for tsa in tsas(settings):
            roots[tsa.name] = lambda ca=tsa.ca: Path(ca).read_bytes()
            where[tsa.name] = str(tsa.ca)
        unknown = "không có trong timestamping"
    best: dict[int, Attestation] = {}
    bad: list[tuple[int, str, str]] = []
    for size, tokens in sorted(anchors.tokens.items()):
        for name, token in sorted(tokens.items()):
            root = roots.get(name)
            if root is None:
                bad.append((size, name, f"đơn vị cấp dấu thời gian '{name}' {unknown}"))
                continue
            try:
                when = verify_token(token, anchors.notes[size], root())
            except TimestampError as exc:
                bad.append((size, name, exc.reason))
                continue
            except OSError as exc:
                bad.append(
                    (size, name, f"không đọc được chứng thư gốc {where.get(name, name)} ({exc.strerror or exc})")
                )
                continue
            accuracy = token_accuracy(token)
            limit = limits.get(name)
            if limit is not None and accuracy > dt.timedelta(seconds=limit):
                bad.append(
                    (
                        size,
                        name,
                        f"độ chính xác {duration_text(accuracy)} của dấu thời gian lớn hơn "
                        f"{duration_text(dt.timedelta(seconds=limit))} mà chính sách tin cậy chấp nhận",
                    )
                )
                continue
            if size not in best or when < best[size].when:
                best[size] = Attestation(when, name, size, accuracy)
    return best, bad


def attested(seq: int, per_checkpoint: dict[int, Attestation]) -> Attestation | None:
    """The attested time of event ``seq``: the earliest token on a checkpoint containing it."""
    found = [a for size, a in per_checkpoint.items() if size >= seq]
    return min(found, key=lambda a: a.when) if found else None
