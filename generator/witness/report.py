"""``congkhai witness report``: the province's overview, from the witness's store alone.

One row per office (last publication, events, whose clock dates it, verification state,
reception deadlines, missing evidence, conflicts), one page per office (the reception
schedule and minutes of every month judged by attested time where a token covers them, the
evidence each logged record still lacks, by category and kind, the checkpoints seen, links
to the evidence on the office's own site, the conflicts with their files copied beside the
page), the province's totals, and the table as CSV and XLSX.

What is expected comes from the witness's **own** category data (``generator/records/category_data``
of the congkhai the inspectorate runs: an office cannot lower the bar by editing its copy):

- **Deadlines**: each month expectation of a category's ``rules.expected`` (the reception
  schedule, the minutes of each session) is judged as ``congkhai status`` judges it, with
  the category's rules: a schedule ``before`` its first session, minutes ``after`` their
  session, and, with no record (or no known date), the rule run from the month's last
  working day.
- **Evidence**: the category's ``evidence`` for the record's kind, satisfied by an
  attachment of one of the listed kinds.

The facts of each record (kind, attachment kinds, the dates deadlines run from) come from
the office's ``minh-chung.json`` as kept by ``witness sync`` (:mod:`generator.website.evidence_facts`),
for the record's latest logged version only. A record without them (an office on an older
congkhai) counts as "chưa rõ" for evidence; for deadlines its kind and month are read from
its title or address (``Biên bản … tháng 5/2026``, ``…/lich-thang-05/``) and its deadline
runs from the month's last working day.

The held log and the facts are the office's word, kept by the witness: titles and URLs in
them are text from outside, so templates escape them and only ``http(s)`` URLs become links.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from generator.core import paths
from generator.core.config import TIMEZONE
from generator.core.values import fold, format_date, format_local, local_date, parse_instant, spreadsheet_text, today
from generator.evidence.report import POSTING_MINUTES
from generator.records.categories import Category
from generator.records.category_file import load_categories
from generator.records.deadline_rules import Expectation, Rules, last_working_day, values_at
from generator.website.templating import render
from generator.witness.config import CONFLICT, ERROR, OK
from generator.witness.serve import COSIGNED_NAME
from generator.witness.store import OfficeStore, read_lines

STATE_TEXT = {OK: "Khớp", ERROR: "Lỗi khi kiểm tra", CONFLICT: "Xung đột: nhật ký bị viết lại hoặc cắt bớt"}
DUE_TEXT = {"ok": "đúng hạn", "late": "muộn", "missing": "thiếu", "upcoming": "chưa đến hạn"}
WORST = ("missing", "late", "upcoming", "ok")
_MONTH = re.compile(r"thang (\d{1,2})\s*[/-]\s*(\d{4})")
_ID_MONTH = re.compile(r"thang-(\d{1,2})\b")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@functools.cache
def categories() -> dict[str, Category]:
    """The category data shipped with this congkhai (never an office's own copy)."""
    return load_categories(Path(os.devnull), Path(os.devnull))


@dataclass
class Event:
    seq: int
    event: str
    at: str
    title: str
    url: str | None
    category: str
    id: str = ""
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
class Item:
    """One thing due in a month: a record (or nothing) and its deadline."""

    what: str
    due: dt.date
    state: str
    event: Event | None = None
    """The record's first publication (None: missing)."""


@dataclass
class Cell:
    """One expectation of a month (the schedule, the minutes)."""

    label: str
    rule: str
    items: list[Item]

    @property
    def state(self) -> str:
        return min((i.state for i in self.items), key=WORST.index, default="ok")


@dataclass
class Month:
    month: dt.date
    cells: list[Cell]


@dataclass
class Periodic:
    """A category's month expectations (``rules.expected``), month by month."""

    title: str
    labels: list[str]
    months: list[Month]


@dataclass
class Lacking:
    """A logged record (latest version) and the evidence its category expects of it that
    no attachment gives."""

    category: str
    kind: str
    title: str
    url: str | None
    missing: list[str]


@dataclass
class KindSummary:
    """Evidence of one category and kind: records, complete ones, and each missing item."""

    category: str
    kind: str
    records: int = 0
    complete: int = 0
    missing: dict[str, int] = field(default_factory=dict)


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
    periodic: list[Periodic] = field(default_factory=list)
    lacking: list[Lacking] = field(default_factory=list)
    kinds: list[KindSummary] = field(default_factory=list)
    unknown: int = 0
    """Latest versions of records whose facts the witness does not have."""
    facts_served: bool | None = None
    cosigned: str | None = None
    """The latest checkpoint this witness cosigned for the office (``witness serve``), as kept."""

    @property
    def last(self) -> Event | None:
        return self.events[-1] if self.events else None

    @property
    def counts(self) -> dict[str, int]:
        out = {"published": 0, "updated": 0, "withdrawn": 0}
        for e in self.events:
            out[e.event] = out.get(e.event, 0) + 1
        return out

    def _items(self, state: str) -> int:
        return sum(i.state == state for p in self.periodic for m in p.months for c in m.cells for i in c.items)

    @property
    def missing(self) -> int:
        return self._items("missing")

    @property
    def late(self) -> int:
        return self._items("late")

    @property
    def attested_share(self) -> int:
        return sum(1 for e in self.events if e.attested is not None)


def _safe_url(value: Any) -> str | None:
    return value if isinstance(value, str) and re.match(r"https?://[^\s\"'<>]+$", value) else None


def _shown(value: str | None) -> str:
    """An RFC 3339 time from the store as dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh."""
    if not value:
        return ""
    try:
        return format_local(value, TIMEZONE, with_time=True)
    except ValueError:
        return value


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
                    str(line.get("id", "")),
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


# --- records: what the log and the facts say ------------------------------------------------


def _value(text: Any) -> Any:
    return dt.date.fromisoformat(text) if isinstance(text, str) and _DATE.fullmatch(text) else text


def _data(kind: str | None, fields: dict[str, list[Any]]) -> dict[str, Any]:
    """A record's data rebuilt from its facts' dotted fields (``sessions.date`` -> a list of
    ``{"date": …}``), for the rules' own readers (:meth:`Rules.anchor`, ``values_at``)."""
    data: dict[str, Any] = {"kind": kind}
    for name, values in fields.items():
        converted = [_value(v) for v in values]
        head, _, rest = name.partition(".")
        if rest:
            target = data.setdefault(head, [])
            if isinstance(target, list):
                target.extend({rest: v} for v in converted)
        else:
            data[head] = converted[0] if len(converted) == 1 else converted
    return data


@dataclass
class Logged:
    """One logged record: its first publication, latest event, and facts (if known)."""

    first: Event
    latest: Event
    kind: str | None = None
    data: dict[str, Any] | None = None
    """Rebuilt from the facts of the latest version; None: not known."""
    present: set[str] = field(default_factory=set)
    guessed: dt.date | None = None
    """The month read from the title or address, when there are no facts."""

    @property
    def withdrawn(self) -> bool:
        return self.latest.event == "withdrawn"

    def dates(self, name: str) -> list[dt.date]:
        if self.data is None:
            return [self.guessed] if self.guessed else []
        return [v for v in values_at(self.data, name) if isinstance(v, dt.date)]


def _guess(event: Event) -> tuple[str | None, dt.date | None]:
    """Kind and month of a reception record without facts, from its title or address."""
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


def _logged(events: list[Event], facts: list[dict[str, Any]]) -> dict[str, Logged]:
    by_id: dict[str, Logged] = {}
    for event in events:
        if event.id in by_id:
            by_id[event.id].latest = event
        else:
            by_id[event.id] = Logged(event, event)
    latest_facts = {(f.get("id"), f.get("seq")): f for f in facts}
    for record in by_id.values():
        found = latest_facts.get((record.latest.id, record.latest.seq))
        if found is not None and isinstance(found.get("fields"), dict):
            record.kind = found.get("kind")
            record.data = _data(record.kind, found["fields"])
            record.present = {a.get("kind") for a in found.get("attachments") or [] if isinstance(a, dict)}
            if found.get("posting_minutes"):
                record.present.add(POSTING_MINUTES)
        elif record.first.category == "tiep-cong-dan":
            record.kind, record.guessed = _guess(record.first)
    return by_id


# --- deadlines (category data) ---------------------------------------------------------------


def _judge(published: dt.date | None, due: dt.date, now: dt.date) -> str:
    if published is None:
        return "missing" if now > due else "upcoming"
    return "late" if published > due else "ok"


def _in(day: dt.date, month: dt.date) -> bool:
    return (day.year, day.month) == (month.year, month.month)


def _fill(template: str, **values: str) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _cell(
    category: Category, rules: Rules, expectation: Expectation, month: dt.date, records: list[Logged], now: dt.date
) -> Cell:
    """One expectation in one month, judged as ``congkhai status`` judges it."""
    rule = rules.rule_for(expectation.kind)
    label = f"{month.month}/{month.year}"
    fallback = last_working_day(month.year, month.month)
    fallback_due = rule.due(fallback) if rule else fallback
    basis = expectation.basis or (rule.basis if rule else "")
    text = (rule.text if rule else expectation.text) or expectation.text
    rule_text = f"{text} ({basis})" if basis else text
    found = [
        r for r in records if r.kind == expectation.kind and any(_in(d, month) for d in r.dates(expectation.field))
    ]
    found.sort(key=lambda r: r.first.seq)

    def due_of(record: Logged) -> dt.date:
        anchor = rules.anchor(rule, record.data) if rule is not None and record.data is not None else None
        return rule.due(anchor) if rule is not None and anchor is not None else fallback_due

    def item(record: Logged | None, due: dt.date, what: str = "") -> Item:
        event = record.first if record else None
        return Item(what or (event.title if event else ""), due, _judge(event.day if event else None, due, now), event)

    cell = Cell(category.kind_label(expectation.kind) or expectation.kind, rule_text, [])
    spec = expectation.sessions
    sessions: list[dt.date] = []
    if spec is not None:
        sessions = sorted(
            {
                d
                for r in records
                if r.kind == spec.kind and not r.withdrawn
                for d in r.dates(spec.field)
                if _in(d, month) and r.data is not None
            }
        )
    if sessions:
        # minutes of a scheduled day answer that session; others answer the remaining ones in order
        by_day = {d: r for r in found for d in r.dates(expectation.field) if d in sessions}
        spare = [r for r in found if r not in by_day.values()]
        for day in sessions:
            record = by_day.get(day) or (spare.pop(0) if spare else None)
            due = rule.due(day) if rule else day
            cell.items.append(item(record, due, _fill(spec.what, date=format_date(day), month=label)))
        cell.items += [item(r, due_of(r)) for r in spare]
    elif found:
        cell.items += [item(r, due_of(r)) for r in found]
    else:
        cell.items.append(item(None, fallback_due, _fill(expectation.what, month=label)))
    return cell


def _periodic(records: dict[str, Logged], now: dt.date) -> list[Periodic]:
    out = []
    for category in categories().values():
        rules = category.deadlines
        monthly = [e for e in rules.expected if e.each == "month"]
        if not monthly:
            continue
        mine = [r for r in records.values() if r.first.category == category.slug]
        known = sorted(
            d.replace(day=1)
            for r in mine
            for e in monthly
            if r.kind == e.kind
            for d in r.dates(e.field)
            if d.replace(day=1) <= now
        )
        if not known:
            continue
        months = []
        month = known[0]
        while month <= now.replace(day=1):
            months.append(Month(month, [_cell(category, rules, e, month, mine, now) for e in monthly]))
            month = (month + dt.timedelta(days=32)).replace(day=1)
        out.append(Periodic(category.title, [category.kind_label(e.kind) or e.kind for e in monthly], months))
    return out


# --- evidence by kind (category data) -------------------------------------------------------


def _evidence(records: dict[str, Logged], now: dt.date) -> tuple[list[Lacking], list[KindSummary], int]:
    lacking: list[Lacking] = []
    summaries: dict[tuple[str, str], KindSummary] = {}
    unknown = 0
    for record in records.values():
        if record.withdrawn:
            continue
        category = categories().get(record.first.category)
        if record.data is None or category is None:
            unknown += 1
            continue
        year_closed = record.first.day.year < now.year
        expected = category.expected_evidence(record.kind, record.data, year_closed)
        missing = [e.label for e in expected if not any(kind in record.present for kind in e.attachments)]
        kind = category.kind_label(record.kind) or ""
        summary = summaries.setdefault((category.slug, record.kind or ""), KindSummary(category.title, kind))
        summary.records += 1
        summary.complete += not missing
        for label in missing:
            summary.missing[label] = summary.missing.get(label, 0) + 1
        if missing:
            lacking.append(Lacking(category.title, kind, record.latest.title, record.latest.url, missing))
    order = {slug: n for n, slug in enumerate(categories())}
    kinds = [summaries[key] for key in sorted(summaries, key=lambda k: (order.get(k[0], len(order)), k[1]))]
    return lacking, kinds, unknown


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
            when = _shown(str(token.get("gen_time", "")).replace("Z", "+00:00"))
            tokens.setdefault(token.get("size"), []).append(f"{token.get('tsa')}: {when}")
        seen = [
            {**item, "seen_at": _shown(item.get("seen_at")), "tokens": tokens.get(item.get("size"), [])}
            for item in office.seen()
        ]
        error = state.get("last_error")
        conflicts = sorted(p.name for p in office.conflicts.iterdir()) if office.conflicts.is_dir() else []
        kind = str(state.get("state", ERROR))
        records = _logged(events, office.facts())
        lacking, kinds, unknown = _evidence(records, now)
        facts = state.get("facts")
        offices.append(
            Office(
                name=str(state["name"]),
                url=_safe_url(state.get("url")) or "",
                slug=folder.name,
                state=kind if kind in STATE_TEXT else ERROR,
                state_text=STATE_TEXT.get(kind, STATE_TEXT[ERROR]),
                last_attempt=_shown(state.get("last_attempt")),
                last_ok=_shown(state.get("last_ok")),
                last_error=error.get("message") if isinstance(error, dict) else None,
                events=events,
                checkpoints=seen,
                conflicts=conflicts,
                periodic=_periodic(records, now),
                lacking=lacking,
                kinds=kinds,
                unknown=unknown,
                facts_served=facts.get("served") if isinstance(facts, dict) else None,
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
    ("thieu_minh_chung", "Bản ghi thiếu minh chứng"),
    ("minh_chung_thieu", "Minh chứng còn thiếu theo loại"),
    ("chua_ro_minh_chung", "Bản ghi chưa rõ minh chứng"),
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
                len(o.lacking),
                "; ".join(
                    f"{k.category}{' / ' + k.kind if k.kind else ''}: {label} ({count})"
                    for k in o.kinds
                    for label, count in k.missing.items()
                ),
                o.unknown,
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


COSIGNED_FILE = "checkpoint-da-ky-xac-nhan.txt"
"""The latest checkpoint the witness cosigned for an office, published beside its page."""


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
        "lacking": sum(len(o.lacking) for o in offices),
        "unknown": sum(o.unknown for o in offices),
    }
    common = {"today": format_date(now), "paths": paths, "state_text": STATE_TEXT, "due_text": DUE_TEXT}
    (out / "index.html").write_text(
        render("witness_index.html.j2", offices=offices, totals=totals, **common), encoding="utf-8"
    )
    for office in offices:
        folder = out / office.slug
        folder.mkdir(exist_ok=True)
        source = store / office.slug / "conflicts"
        if source.is_dir():
            shutil.copytree(source, folder / "xung-dot", dirs_exist_ok=True)
        cosigned = store / office.slug / COSIGNED_NAME
        if cosigned.is_file():
            note = cosigned.read_bytes()
            (folder / COSIGNED_FILE).write_bytes(note)
            office.cosigned = note.decode("utf-8", errors="replace")
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
