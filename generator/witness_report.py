"""``congkhai witness report``: the province's overview, from the witness's store alone.

One row per office (last publication, events, whose clock dates it, verification state,
conflicts), one page per office (reception schedule and minutes of every month from the
held log's ``tiep-cong-dan`` events, judged by attested time where a token covers them,
the checkpoints seen, links to the evidence on the office's own site, the conflicts with
their files copied beside the page), the province's totals, and the table as CSV and XLSX.

The held log is the office's word, kept by the witness: titles and URLs in it are text
from outside, so templates escape them and only ``http(s)`` URLs become links.

Deadlines from the log alone (the records are not the witness's): the schedule of a month
is due by the month's last working day, its minutes five working days later (the
``expected`` fallback of the category ``tiep-cong-dan``: when the session dates are not
known, the latest possible day).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from generator import paths
from generator.config import TIMEZONE
from generator.deadline_rules import add_working_days, last_working_day
from generator.templating import render
from generator.values import fold, format_date, format_local, local_date, parse_instant, spreadsheet_text, today
from generator.witness import CONFLICT, ERROR, OK, OfficeStore, read_lines

RECEPTION = "tiep-cong-dan"
MINUTES_DELAY = 5
"""Working days after the month's last working day for its minutes (no session date known)."""
STATE_TEXT = {OK: "Khớp", ERROR: "Lỗi khi kiểm tra", CONFLICT: "Xung đột: nhật ký bị viết lại hoặc cắt bớt"}
_MONTH = re.compile(r"thang (\d{1,2})\s*[/-]\s*(\d{4})")
_ID_MONTH = re.compile(r"thang-(\d{1,2})\b")


@dataclass
class Event:
    seq: int
    event: str
    at: str
    title: str
    url: str | None
    category: str
    attested: dt.datetime | None = None
    tsa: str | None = None

    @property
    def day(self) -> dt.date:
        """The date that counts: attested when a token covers the event, else the office's."""
        if self.attested is not None:
            return self.attested.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
        return local_date(self.at, TIMEZONE)

    @property
    def shown(self) -> str:
        if self.attested is not None:
            return f"{format_date(self.day)} (dấu thời gian {self.tsa})"
        return f"{format_local(self.at, TIMEZONE)} (đồng hồ cơ quan)"


@dataclass
class Month:
    month: dt.date
    schedule: Event | None
    minutes: list[Event]
    schedule_due: dt.date
    minutes_due: dt.date
    schedule_state: str = ""
    minutes_state: str = ""


@dataclass
class Office:
    name: str
    url: str
    slug: str
    state: str
    state_text: str
    last_attempt: str | None
    last_ok: str | None
    last_error: str | None
    events: list[Event]
    checkpoints: list[dict[str, Any]]
    conflicts: list[str]
    months: list[Month] = field(default_factory=list)

    @property
    def last(self) -> Event | None:
        return self.events[-1] if self.events else None

    @property
    def counts(self) -> dict[str, int]:
        out = {"published": 0, "updated": 0, "withdrawn": 0}
        for e in self.events:
            out[e.event] = out.get(e.event, 0) + 1
        return out

    @property
    def missing(self) -> int:
        return sum((m.schedule_state == "missing") + (m.minutes_state == "missing") for m in self.months)

    @property
    def late(self) -> int:
        return sum((m.schedule_state == "late") + (m.minutes_state == "late") for m in self.months)

    @property
    def attested_share(self) -> int:
        return sum(1 for e in self.events if e.attested is not None)


def _safe_url(value: Any) -> str | None:
    return value if isinstance(value, str) and re.match(r"https?://[^\s\"'<>]+$", value) else None


def _events(office: OfficeStore) -> list[Event]:
    """The held log's events, each with its attested time (earliest token on a checkpoint
    that contains it)."""
    best: dict[int, tuple[dt.datetime, str]] = {}
    for token in office.token_times():
        try:
            when = parse_instant(str(token["gen_time"]).replace("Z", "+00:00"))
            size = int(token["size"])
        except (KeyError, ValueError, TypeError):
            continue
        if size not in best or when < best[size][0]:
            best[size] = (when, str(token.get("tsa")))
    out = []
    for line in read_lines(office.log_path):
        try:
            out.append(
                Event(
                    int(line["seq"]),
                    str(line["event"]),
                    str(line["at"]),
                    str(line.get("title", "")),
                    _safe_url(line.get("url")),
                    str(line.get("category", "")),
                )
            )
        except (KeyError, ValueError, TypeError):
            continue
    by_seq = {e.seq: e for e in out}
    sizes = sorted(best, reverse=True)
    running: tuple[dt.datetime, str] | None = None
    for position, size in enumerate(sizes):
        # events after the next smaller checkpoint and up to this one: in every checkpoint from this one on
        if running is None or best[size][0] < running[0]:
            running = best[size]
        lower = sizes[position + 1] if position + 1 < len(sizes) else 0
        for seq in range(lower + 1, size + 1):
            if seq in by_seq:
                by_seq[seq].attested, by_seq[seq].tsa = running
    return out


def _kind_month(event: Event) -> tuple[str | None, dt.date | None]:
    title = fold(event.title)
    slug = event.url.rstrip("/").rsplit("/", 1)[-1] if event.url else ""
    kind = "lich" if "lich" in title or slug.startswith("lich") else None
    if "bien ban" in title or slug.startswith("bien-ban"):
        kind = "bien-ban"
    match = _MONTH.search(title)
    month = None
    if match and 1 <= int(match.group(1)) <= 12:
        month = dt.date(int(match.group(2)), int(match.group(1)), 1)
    else:
        found = _ID_MONTH.search(slug)
        if found and 1 <= int(found.group(1)) <= 12:
            month = dt.date(local_date(event.at).year, int(found.group(1)), 1)
    return kind, month


def _judge(published: dt.date | None, due: dt.date, now: dt.date) -> str:
    if published is None:
        return "missing" if now > due else "upcoming"
    return "late" if published > due else "ok"


def _months(events: list[Event], now: dt.date) -> list[Month]:
    schedules: dict[dt.date, Event] = {}
    minutes: dict[dt.date, list[Event]] = {}
    for event in events:
        if event.category != RECEPTION or event.event != "published":
            continue
        kind, month = _kind_month(event)
        if month is None or kind is None:
            continue
        if kind == "lich":
            schedules.setdefault(month, event)
        else:
            minutes.setdefault(month, []).append(event)
    known = sorted({*schedules, *minutes})
    if not known:
        return []
    out = []
    month = known[0]
    while month <= now.replace(day=1):
        schedule_due = last_working_day(month.year, month.month)
        minutes_due = add_working_days(schedule_due, MINUTES_DELAY)
        schedule = schedules.get(month)
        found = minutes.get(month, [])
        row = Month(month, schedule, found, schedule_due, minutes_due)
        row.schedule_state = _judge(schedule.day if schedule else None, schedule_due, now)
        row.minutes_state = _judge(min((e.day for e in found), default=None), minutes_due, now)
        out.append(row)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def load_offices(store: Path, now: dt.date) -> list[Office]:
    offices = []
    for folder in sorted(p for p in store.iterdir() if p.is_dir()) if store.is_dir() else []:
        office = OfficeStore(folder)
        state = office.state()
        if not state.get("name"):
            continue
        events = _events(office)
        tokens: dict[int, list[str]] = {}
        for token in office.token_times():
            tokens.setdefault(token.get("size"), []).append(f"{token.get('tsa')}: {token.get('gen_time')}")
        seen = [{**item, "tokens": tokens.get(item.get("size"), [])} for item in office.seen()]
        error = state.get("last_error")
        conflicts = sorted(p.name for p in office.conflicts.iterdir()) if office.conflicts.is_dir() else []
        kind = str(state.get("state", ERROR))
        offices.append(
            Office(
                name=str(state["name"]),
                url=_safe_url(state.get("url")) or "",
                slug=folder.name,
                state=kind if kind in STATE_TEXT else ERROR,
                state_text=STATE_TEXT.get(kind, STATE_TEXT[ERROR]),
                last_attempt=state.get("last_attempt"),
                last_ok=state.get("last_ok"),
                last_error=error.get("message") if isinstance(error, dict) else None,
                events=events,
                checkpoints=seen,
                conflicts=conflicts,
                months=_months(events, now),
            )
        )
    return sorted(offices, key=lambda o: fold(o.name))


HEADERS = [
    ("co_quan", "Cơ quan"),
    ("dia_chi", "Địa chỉ trang"),
    ("trang_thai", "Trạng thái kiểm chứng"),
    ("kiem_tra_luc", "Lần kiểm tra cuối"),
    ("khop_luc", "Lần khớp cuối"),
    ("so_su_kien", "Số sự kiện"),
    ("cong_bo_cuoi", "Công bố gần nhất"),
    ("co_dau_thoi_gian", "Sự kiện có dấu thời gian"),
    ("thang_thieu", "Lịch/biên bản tiếp công dân thiếu"),
    ("cong_bo_muon", "Lịch/biên bản công bố muộn"),
    ("xung_dot", "Số xung đột"),
    ("loi", "Lỗi gần nhất"),
]


def rows(offices: list[Office]) -> list[list[Any]]:
    out = []
    for o in offices:
        out.append(
            [
                o.name,
                o.url,
                o.state_text,
                o.last_attempt or "",
                o.last_ok or "",
                len(o.events),
                o.last.shown if o.last else "",
                o.attested_share,
                o.missing,
                o.late,
                len(o.conflicts),
                o.last_error or "",
            ]
        )
    return out


def render_csv(offices: list[Office]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([key for key, _ in HEADERS])
    for row in rows(offices):
        writer.writerow([spreadsheet_text(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(offices: list[Office]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Tổng quan"
    sheet.append([label for _, label in HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows(offices):
        sheet.append([spreadsheet_text(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_report(store: Path, out: Path, now: dt.date | None = None) -> list[Office]:
    """Write the overview into ``out``; returns the offices shown."""
    now = now or today()
    offices = load_offices(store, now)
    out.mkdir(parents=True, exist_ok=True)
    totals = {
        "offices": len(offices),
        "ok": sum(o.state == OK for o in offices),
        "error": sum(o.state == ERROR for o in offices),
        "conflict": sum(o.state == CONFLICT for o in offices),
        "events": sum(len(o.events) for o in offices),
        "attested": sum(o.attested_share for o in offices),
        "missing": sum(o.missing for o in offices),
        "late": sum(o.late for o in offices),
    }
    common = {"today": format_date(now), "paths": paths, "state_text": STATE_TEXT}
    (out / "index.html").write_text(
        render("witness_index.html.j2", offices=offices, totals=totals, **common), encoding="utf-8"
    )
    for office in offices:
        folder = out / office.slug
        folder.mkdir(exist_ok=True)
        source = store / office.slug / "conflicts"
        if source.is_dir():
            shutil.copytree(source, folder / "xung-dot", dirs_exist_ok=True)
        conflicts = []
        for name in office.conflicts:
            files = sorted(p.name for p in (folder / "xung-dot" / name).iterdir() if p.name != "cap.sha256")
            conflicts.append({"name": name, "files": files})
        (folder / "index.html").write_text(
            render("witness_office.html.j2", office=office, conflicts=conflicts, **common), encoding="utf-8"
        )
    (out / "tong-quan.csv").write_bytes(render_csv(offices))
    (out / "tong-quan.xlsx").write_bytes(render_xlsx(offices))
    return offices
