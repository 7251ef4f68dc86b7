"""The yearly evidence table for criterion B1 (công khai, minh bạch) of the anti-corruption
assessment: ``congkhai report --year YYYY``.

Reads top to bottom: pick the rows of the year (public records from the publication log,
internal records by their document date) -> find the evidence files of each and compare
them with what the category expects for the record's kind (``evidence:`` of the category
file) -> check the deadline -> count -> write HTML (for printing on A4 landscape), CSV (UTF-8 with BOM, for
Excel) and XLSX.

Every date of publication comes from the log, never from git. The log is read as it stood
at the end of the year (events up to 31/12 local time), so a report for a past year says
the same thing whenever it is made; only the log head it names moves on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from generator.core.config import TIMEZONE
from generator.core.errors import CongkhaiError
from generator.core.values import SpreadsheetWriter, format_date, local_date
from generator.evidence.deadlines import deadline_for
from generator.ledger import attest
from generator.records import signatures
from generator.records.categories import evidence_kinds
from generator.website.templating import render

if TYPE_CHECKING:
    from generator.ledger.log import Log, RecordHistory
    from generator.records.categories import Category
    from generator.records.record import Record
    from generator.website.site import Site


POSTING_MINUTES = "bien-ban-niem-yet"
"""The attachment kind the file named in ``posting.minutes`` counts as."""
FORMATS = ("html", "csv", "xlsx")
PUBLIC = "Công khai"
INTERNAL = "Nội bộ"
FIRST_YEAR = 2000
OFFICE_CLOCK = "Chỉ theo đồng hồ của cơ quan"
"""How a date with no token (nor cosignature) is said, everywhere."""


def report_title(year: int) -> str:
    return f"Bảng tài liệu kiểm chứng tiêu chí B1 năm {year}"


def file_name(year: int, fmt: str) -> str:
    return f"bao-cao-b1-{year}.{fmt}"


@dataclass
class Row:
    """One line of the table: one record and its evidence."""

    key: str
    scope: str
    """``Công khai`` (on the site, dates from the log) or ``Nội bộ`` (kept for auditors)."""
    category: str
    title: str
    document_number: str
    document_date: dt.date | None
    first_published: dt.date | None
    last_updated: dt.date | None
    version: int | None
    url: str
    evidence: dict[str, list[str]]
    """Attachment kind -> file names present (every kind of :attr:`Report.evidence_kinds`
    is a key)."""
    missing: list[str] = field(default_factory=list)
    """Labels of the evidence the category expects for the record's kind and that no
    file satisfies (``evidence:`` of the category file)."""
    deadline: dt.date | None = None
    deadline_rule: str = ""
    notes: list[str] = field(default_factory=list)
    seq: int | None = None
    """The log event of the first publication (public rows)."""
    event_hash: str = ""
    attested: dt.datetime | None = None
    """The attested time of that event (earliest valid RFC 3161 token covering it), in the
    office's time zone; None: the date is only the office's clock."""
    attested_by: str = ""
    files: list[tuple[str, str, str]] = field(default_factory=list)
    """Evidence files: ``(name, link, SHA-256)``."""
    expected: list[tuple[str, list[str]]] = field(default_factory=list)
    """What the category expects as evidence: ``(label, attachment kinds any of which counts)``
    (the dossier's checker recomputes :attr:`missing` from it)."""
    signed: dict[str, str] = field(default_factory=dict)
    signed_brief: dict[str, str] = field(default_factory=dict)
    """The same, short, for the printed table (only files that carry a signature)."""
    """Evidence file -> what its digital signatures say (PDFs only, see :mod:`generator.records.signatures`)."""

    @property
    def time_source(self) -> str:
        """Where the publication date comes from, said in the table."""
        if self.internal:
            return ""
        if self.attested is not None:
            return f"Dấu thời gian {self.attested_by} ({self.attested.strftime('%d/%m/%Y %H:%M')})"
        return OFFICE_CLOCK

    @property
    def internal(self) -> bool:
        return self.scope == INTERNAL

    @property
    def late_days(self) -> int | None:
        """Days between the deadline and the first publication (0 or less: on time)."""
        if self.deadline is None or self.first_published is None:
            return None
        return (self.first_published - self.deadline).days

    @property
    def timeliness(self) -> str:
        """``Đúng hạn``, ``Trễ N ngày``, or empty when there is no deadline to check."""
        late = self.late_days
        if late is None:
            return ""
        return f"Trễ {late} ngày" if late > 0 else "Đúng hạn"


@dataclass
class Summary:
    rows: int = 0
    public: int = 0
    first_published: int = 0
    """Public rows first published in the year."""
    updated: int = 0
    """Public rows published earlier and updated in the year."""
    internal: int = 0
    complete: int = 0
    """Rows with every piece of evidence their category expects."""
    incomplete: int = 0
    checked: int = 0
    """Public rows with a deadline rule."""
    late: int = 0


@dataclass
class Report:
    """The table of one year, with what it was made from."""

    year: int
    agency: str
    head: dict[str, Any] | None
    """``{"seq", "hash"}`` of the log the report was made from (None: empty log)."""
    generated_at: dt.datetime
    rows: list[Row]
    summary: Summary
    evidence_kinds: dict[str, str] = field(default_factory=dict)
    """Attachment kinds some category expects as evidence, with their labels: the
    columns of the evidence present."""
    unpublished: list[str] = field(default_factory=list)
    """Titles of public records dated in the year but not published by its end."""
    verification: list[str] = field(default_factory=list)
    """What ``congkhai verify`` found in the repository when the report was made (empty:
    the log, its checkpoints and timestamps and the record files all check)."""

    @property
    def verified(self) -> str:
        if not self.verification:
            return "Hợp lệ (chuỗi, checkpoint, dấu thời gian, tệp bản ghi)"
        return f"{len(self.verification)} vấn đề: " + "; ".join(self.verification)

    @property
    def office_clock_rows(self) -> list[Row]:
        """Public rows whose publication date rests only on the office's clock."""
        return [r for r in self.rows if not r.internal and r.attested is None]

    @property
    def time_basis(self) -> str:
        """Where the table's dates come from, said without overclaiming."""
        public = [r for r in self.rows if not r.internal]
        office = self.office_clock_rows
        if not public:
            return "Không có thông tin công khai trong năm."
        if not office:
            return f"Cả {len(public)} ngày công bố có dấu thời gian RFC 3161 của đơn vị cấp dấu thời gian độc lập."
        if len(office) == len(public):
            return (
                f"Cả {len(public)} ngày công bố chỉ theo đồng hồ của cơ quan (không có dấu thời gian): "
                "kết luận đúng hạn hay trễ hạn không có căn cứ độc lập."
            )
        return (
            f"{len(public) - len(office)} ngày công bố có dấu thời gian; {len(office)} ngày chỉ theo đồng hồ của "
            "cơ quan (ghi ở từng dòng): kết luận đúng hạn hay trễ hạn của các dòng đó không có căn cứ độc lập."
        )

    @property
    def title(self) -> str:
        return report_title(self.year)


# -- building -----------------------------------------------------------------------------


def check_year(text: str, today: dt.date) -> int:
    """The report year from the command line; :class:`CongkhaiError` when it is not one."""
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise CongkhaiError(f"năm '{text}' không hợp lệ; viết 4 chữ số, ví dụ --year {today.year}")
    year = int(text)
    if not FIRST_YEAR <= year <= today.year:
        raise CongkhaiError(f"năm {year} không hợp lệ; chọn một năm từ {FIRST_YEAR} đến {today.year}")
    return year


def parse_formats(text: str) -> list[str]:
    """``html,csv`` -> ``["html", "csv"]``; ``ValueError`` naming an unknown format."""
    chosen: list[str] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if part not in FORMATS:
            raise ValueError(f"định dạng '{part}' không hỗ trợ; chọn trong: {', '.join(FORMATS)}")
        if part not in chosen:
            chosen.append(part)
    return chosen


def build_report(site: Site, log: Log, year: int, now: dt.datetime | None = None) -> Report:
    """The B1 evidence table of ``year``: public records published or updated in the year
    (by the local date of their log events), and internal records dated in the year."""
    tz = site.settings.timezone
    generated_at = (now or dt.datetime.now(ZoneInfo(tz))).astimezone(ZoneInfo(tz))
    kinds = evidence_kinds(site.categories, site.common)
    evidence = _Evidence(
        kinds, year_closed=generated_at.year > year, roots=signatures.roots_of(site.settings), timezone=tz
    )
    order = {slug: position for position, slug in enumerate(site.categories)}
    histories = log.histories()
    by_key = {r.key: r for r in site.records}
    per_checkpoint = attest.attestations(site.settings, site.anchors)[0] if site.anchors.tokens else {}
    rows: list[Row] = []
    for key, history in histories.items():
        events = [e for e in history.events if local_date(e["at"], tz).year <= year]
        changes = [e for e in events if e["event"] in ("published", "updated")]
        if not any(local_date(e["at"], tz).year == year for e in changes):
            continue
        row = _public_row(site, evidence, by_key.get(key), key, events, changes)
        first = attest.attested(events[0]["seq"], per_checkpoint)
        if first is not None:  # the publication date is the attested one, not the office's word
            row.attested = first.when.astimezone(ZoneInfo(tz))
            row.attested_by = first.tsa
            row.first_published = row.attested.date()
        rows.append(row)
    for record in site.records:
        if not record.public and (day := _internal_date(record)) is not None and day.year == year:
            rows.append(_internal_row(evidence, record))
    rows.sort(key=lambda r: (order.get(r.key.split("/")[0], len(order)), _row_date(r), r.title, r.key))
    unpublished = [
        r.title
        for r in site.public_records
        if r.date and r.date.year == year and not _published_by(histories.get(r.key), year, tz)
    ]
    return Report(
        year=year,
        agency=site.settings.agency or site.settings.site_name,
        head=log.head,
        generated_at=generated_at,
        rows=rows,
        summary=_summarise(rows, year),
        evidence_kinds=kinds,
        unpublished=unpublished,
    )


def _public_row(
    site: Site,
    evidence: _Evidence,
    record: Record | None,
    key: str,
    events: list[dict[str, Any]],
    changes: list[dict[str, Any]],
) -> Row:
    tz = site.settings.timezone
    latest = events[-1]
    slug = key.split("/")[0]
    category = site.categories.get(slug)
    row = Row(
        key=key,
        scope=PUBLIC,
        category=category.title if category else slug,
        title=latest.get("title") or (record.title if record else key),
        document_number=latest.get("document_number") or "",
        document_date=record.document.get("date") if record else None,
        first_published=local_date(events[0]["at"], tz),
        last_updated=local_date(changes[-1]["at"], tz),
        version=int(latest["version"]),
        url=latest.get("url") or "",
        seq=events[0]["seq"],
        event_hash=events[0]["hash"],
        files=[
            (a.file, f"{latest.get('url') or ''}{quote(a.file)}", a.sha256)
            for a in (record.attachments if record else [])
        ],
        **evidence.of(record, category),
    )
    if latest["event"] == "withdrawn":
        row.notes.append(f"Đã thu hồi ngày {format_date(local_date(latest['at'], tz))}")
    if record is None:
        row.notes.append("Không còn tệp bản ghi; không xác định được tài liệu kiểm chứng")
        return row
    row.notes += _posting_notes(record)
    if record.sample:
        row.notes.append("Dữ liệu mẫu")
    found = deadline_for(record)
    if found is not None:
        row.deadline, row.deadline_rule = found
    return row


def _internal_row(evidence: _Evidence, record: Record) -> Row:
    row = Row(
        key=record.key,
        scope=INTERNAL,
        category=record.category.title,
        title=record.title,
        document_number=record.document.get("number") or "",
        document_date=_internal_date(record),
        first_published=None,
        last_updated=None,
        version=None,
        url="",
        **evidence.of(record, record.category),
    )
    row.notes.append("Hồ sơ nội bộ, không đăng trên trang")
    row.notes += _posting_notes(record)
    if record.sample:
        row.notes.append("Dữ liệu mẫu")
    return row


def _internal_date(record: Record) -> dt.date | None:
    return record.document.get("date") or record.date


def _row_date(row: Row) -> dt.date:
    return row.first_published or row.document_date or dt.date.min


@dataclass(frozen=True)
class _Evidence:
    """Finds a record's evidence files and what its category still expects."""

    kinds: dict[str, str]
    """The attachment kinds shown (:func:`generator.records.categories.evidence_kinds`)."""
    year_closed: bool
    """The report's year has ended: evidence expected only then (``year_end``) counts."""
    roots: signatures.Roots = signatures.NO_ROOTS
    """The roots digital signatures of PDF evidence are checked against."""
    timezone: str = TIMEZONE

    def of(self, record: Record | None, category: Category | None) -> dict[str, Any]:
        """``evidence`` (files present by attachment kind) and ``missing`` (labels of
        the expected evidence no file satisfies) of one row."""
        found: dict[str, list[str]] = {kind: [] for kind in self.kinds}
        signed: dict[str, str] = {}
        brief: dict[str, str] = {}
        if record is not None:
            for attachment in record.attachments:
                if attachment.kind in found:
                    found[attachment.kind].append(attachment.file)
                    result = signatures.check_file(attachment.path, self.roots, attachment.sha256)
                    if result is not None:
                        signed[attachment.file] = result.describe(self.timezone)
                        if result.signatures:
                            brief[attachment.file] = signatures.brief(result)
            minutes = (record.data.get("posting") or {}).get("minutes")
            if minutes and POSTING_MINUTES in found and minutes not in found[POSTING_MINUTES]:
                found[POSTING_MINUTES].append(minutes)
        if category is None:
            return {"evidence": found, "missing": [], "expected": [], "signed": signed, "signed_brief": brief}
        expected = category.expected_evidence(
            record.kind if record else None, record.data if record else None, self.year_closed
        )
        missing = [item.label for item in expected if not any(found.get(kind) for kind in item.attachments)]
        wanted = [(item.label, list(item.attachments)) for item in expected]
        return {"evidence": found, "missing": missing, "expected": wanted, "signed": signed, "signed_brief": brief}


def _posting_notes(record: Record) -> list[str]:
    posting = record.data.get("posting") or {}
    if not posting:
        return []
    if posting.get("from") and posting.get("to"):
        return [f"Niêm yết tại trụ sở từ {format_date(posting['from'])} đến {format_date(posting['to'])}"]
    if posting.get("from"):
        return [f"Niêm yết tại trụ sở từ {format_date(posting['from'])}"]
    return ["Niêm yết tại trụ sở"]


def _published_by(history: RecordHistory | None, year: int, tz: str) -> bool:
    return history is not None and local_date(history.first_published, tz).year <= year


def _summarise(rows: list[Row], year: int) -> Summary:
    summary = Summary(rows=len(rows))
    for row in rows:
        if row.internal:
            summary.internal += 1
        else:
            summary.public += 1
            if row.first_published and row.first_published.year == year:
                summary.first_published += 1
            else:
                summary.updated += 1
            if row.deadline is not None:
                summary.checked += 1
                summary.late += bool(row.late_days and row.late_days > 0)
        if row.missing:
            summary.incomplete += 1
        else:
            summary.complete += 1
    return summary


# -- columns shared by CSV and XLSX ---------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    """Width in Excel characters: the widths add up to what A4 landscape prints at 60 % or more
    (:func:`render_xlsx` fits the sheet to one page wide; text wraps in its column)."""
    value: Callable[[Row, int], Any]
    """The cell: text, a whole number, a date or None (the row and its 1-based position)."""
    wrap: bool = True
    """False: a long machine value (hashes) stays on one line; the printed sheet shows its
    beginning, the cell holds all of it."""


def _files(kind: str) -> Callable[[Row, int], str]:
    return lambda row, _: "; ".join(row.evidence[kind])


def columns(report: Report) -> list[Column]:
    """The table's columns: the evidence present has one column per attachment kind
    some category expects (:attr:`Report.evidence_kinds`)."""
    signed = Column(
        "Chữ ký số (theo loại minh chứng)", 6, lambda row, _: _signed(row, report.evidence_kinds), wrap=False
    )
    evidence = [Column(label, 6, _files(kind)) for kind, label in report.evidence_kinds.items()]
    return [*_LEADING, *evidence, *_TRAILING[:1], signed, *_TRAILING[1:]]


def _signed(row: Row, kinds: dict[str, str]) -> str:
    """``<kind label>: <file>: <signature line>`` for each evidence file that is a PDF, by kind."""
    return "; ".join(
        f"{label}: {name}: {row.signed[name]}"
        for kind, label in kinds.items()
        for name in row.evidence[kind]
        if name in row.signed
    )


_LEADING: list[Column] = [
    Column("STT", 4, lambda row, n: n),
    Column("Phạm vi", 6, lambda row, _: row.scope),
    Column("Chuyên mục", 8, lambda row, _: row.category),
    Column("Tên thông tin", 19, lambda row, _: row.title),
    Column("Số ký hiệu", 8, lambda row, _: row.document_number),
    Column("Ngày văn bản", 10, lambda row, _: row.document_date),
    Column("Công bố lần đầu", 10, lambda row, _: row.first_published),
    Column("Cập nhật lần cuối", 10, lambda row, _: row.last_updated),
    Column("Phiên bản", 4, lambda row, _: row.version),
    Column("Đường dẫn", 12, lambda row, _: row.url, wrap=False),
    Column("Sự kiện nhật ký", 4, lambda row, _: row.seq),
    Column("Mã băm sự kiện", 7, lambda row, _: row.event_hash, wrap=False),
    Column("Nguồn thời điểm công bố", 10, lambda row, _: row.time_source),
]
_TRAILING: list[Column] = [
    Column(
        "Tệp minh chứng (SHA-256)",
        8,
        lambda row, _: "; ".join(f"{name} {link} {sha}" for name, link, sha in row.files),
        wrap=False,
    ),
    Column("Còn thiếu", 11, lambda row, _: "; ".join(row.missing)),
    Column("Hạn công bố", 10, lambda row, _: row.deadline),
    Column("Đúng hạn", 8, lambda row, _: row.timeliness),
    Column("Căn cứ thời hạn", 12, lambda row, _: row.deadline_rule, wrap=False),
    Column("Ghi chú", 12, lambda row, _: "; ".join(row.notes)),
]


def table(report: Report) -> list[list[Any]]:
    """The rows as cell values (dates as :class:`datetime.date`), without the header."""
    shown = columns(report)
    return [[c.value(row, n) for c in shown] for n, row in enumerate(report.rows, start=1)]


# -- writing --------------------------------------------------------------------------------


def render_html(report: Report) -> str:
    groups: list[tuple[str, list[tuple[int, Row]]]] = []
    for number, row in enumerate(report.rows, start=1):
        if not groups or groups[-1][0] != row.category:
            groups.append((row.category, []))
        groups[-1][1].append((number, row))
    rules = list(dict.fromkeys(row.deadline_rule for row in report.rows if row.timeliness and row.deadline_rule))
    bases = {_base(row.url) for row in report.rows if _safe_url(row.url)}
    base = bases.pop() if len(bases) == 1 else ""
    return render(
        "report.html.j2",
        report=report,
        groups=groups,
        kinds=report.evidence_kinds,
        rules=rules,
        base=base,
        safe_url=_safe_url,
        shown_url=lambda url: url.removeprefix(base) if base else url,
        files_of=lambda row: list(dict.fromkeys(name for names in row.evidence.values() for name in names)),
    )


def _base(url: str) -> str:
    """``https://host/`` of a page's address: said once in the printed table's header, so
    that each row shows only the path (a long address takes three lines of a narrow column)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _safe_url(url: str) -> bool:
    """Only web addresses become links."""
    return url.startswith(("https://", "http://"))


def render_csv(report: Report) -> bytes:
    """UTF-8 with BOM (Excel then reads Vietnamese correctly), comma-separated, CRLF."""
    out = io.StringIO()
    writer = SpreadsheetWriter(out)  # a cell starting with =, +, -, @ is never a formula
    writer.writerow([c.header for c in columns(report)])
    for cells in table(report):
        writer.writerow(["" if v is None else format_date(v) if isinstance(v, dt.date) else v for v in cells])
    return out.getvalue().encode("utf-8-sig")


def render_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = f"B1 {report.year}"
    shown = columns(report)
    sheet.append([c.header for c in shown])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.row_dimensions[1].height = _height([c.header for c in shown], shown)
    for cells in table(report):
        sheet.append(cells)
    for number, column in enumerate(shown, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = column.width
    link_column = next(n for n, c in enumerate(shown, start=1) if c.header == "Đường dẫn")
    for line in sheet.iter_rows(min_row=2):
        for cell, column in zip(line, shown, strict=True):
            if isinstance(cell.value, dt.date):
                cell.number_format = "dd/mm/yyyy"
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
            cell.alignment = Alignment(wrap_text=column.wrap, vertical="top")
        sheet.row_dimensions[line[0].row].height = _height([cell.value for cell in line], shown)
        link = line[link_column - 1]
        if isinstance(link.value, str) and _safe_url(link.value):
            link.hyperlink = link.value
    sheet.freeze_panes = "A2"
    if report.rows:
        sheet.auto_filter.ref = sheet.dimensions
    _print_setup(sheet, report.title)

    about = book.create_sheet("Thông tin")
    for label, value in _about(report):
        about.append([label, value])
    for cell in about["A"]:
        cell.font = Font(bold=True)
    about.column_dimensions["A"].width = 42
    about.column_dimensions["B"].width = 80
    for cell in about["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for number in range(1, about.max_row + 1):
        about.row_dimensions[number].height = LINE_HEIGHT * _lines(str(about.cell(number, 2).value), 79)
    about.page_setup.orientation = "landscape"
    about.page_setup.paperSize = about.PAPERSIZE_A4
    about.page_setup.fitToWidth = 1
    about.page_setup.fitToHeight = 0
    about.sheet_properties.pageSetUpPr.fitToPage = True
    book.properties.title = report.title
    book.properties.creator = "congkhai"

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LINE_HEIGHT = 15.0
"""Points per line of the default 11 pt type."""


def _height(values: list[Any], shown: list[Column]) -> float:
    """The row height (points) its wrapped cells need. Spreadsheet programs do not all size
    rows on opening a file (LibreOffice keeps the stored height), so the height is stored:
    lines = characters over the column's width, words kept whole where they fit."""
    lines = 1
    for value, column in zip(values, shown, strict=True):
        if column.wrap and isinstance(value, str):
            lines = max(lines, _lines(value, column.width - 1))
    return LINE_HEIGHT * lines


def _lines(text: str, width: int) -> int:
    count, used = 1, 0
    for word in text.split():
        size = len(word)
        if used and used + 1 + size > width:
            count, used = count + 1, 0
        if used:
            used += 1
        while size > width:  # a word longer than the column breaks
            count, size = count + 1, size - width
        used += size
    return count


def _print_setup(sheet: Any, title: str) -> None:
    """A4 landscape, one page wide (the column widths keep the scale at 60 % or more), as many
    pages high as the rows need, the header row on every page, gridlines, narrow margins, the
    title and the page number in the margins."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.2
    sheet.page_margins.top = sheet.page_margins.bottom = 0.55
    sheet.page_margins.header = sheet.page_margins.footer = 0.25
    sheet.oddHeader.center.text = title.replace("&", "&&")
    sheet.oddFooter.center.text = "Trang &P / &N"


def _about(report: Report) -> list[tuple[str, Any]]:
    s = report.summary
    head = f"seq {report.head['seq']}, hash {report.head['hash']}" if report.head else "nhật ký chưa có sự kiện"
    return [
        ("Báo cáo", report.title),
        ("Cơ quan", report.agency),
        ("Lập từ nhật ký công bố", head),
        ("Kết quả congkhai verify", report.verified),
        ("Nguồn thời điểm công bố", report.time_basis),
        ("Thời điểm lập", report.generated_at.strftime("%d/%m/%Y %H:%M %z")),
        ("Số dòng", s.rows),
        ("Thông tin công khai trên trang", s.public),
        ("  công bố lần đầu trong năm", s.first_published),
        ("  cập nhật trong năm", s.updated),
        ("Hồ sơ nội bộ", s.internal),
        ("Đủ tài liệu kiểm chứng", s.complete),
        ("Còn thiếu tài liệu kiểm chứng", s.incomplete),
        ("Công bố trễ hạn", s.late),
        ("Có văn bản trong năm nhưng chưa công bố", len(report.unpublished)),
    ]


RENDERERS: dict[str, Callable[[Report], bytes]] = {
    "html": lambda report: render_html(report).encode("utf-8"),
    "csv": render_csv,
    "xlsx": render_xlsx,
}


def write_html(report: Report, out: Path) -> Path:
    return _write(out / file_name(report.year, "html"), RENDERERS["html"](report))


def write_csv(report: Report, out: Path) -> Path:
    return _write(out / file_name(report.year, "csv"), render_csv(report))


def write_xlsx(report: Report, out: Path) -> Path:
    return _write(out / file_name(report.year, "xlsx"), render_xlsx(report))


WRITERS: dict[str, Callable[[Report, Path], Path]] = {"html": write_html, "csv": write_csv, "xlsx": write_xlsx}


def write_report(report: Report, out: Path, formats: list[str]) -> list[Path]:
    """Write the report in each format into ``out`` (created if missing), and
    ``bao-cao-b1-YYYY.sha256`` with the SHA-256 of each file (``sha256sum -c`` reads it): a
    document cannot hold its own hash, so the report's hashes travel beside it."""
    out.mkdir(parents=True, exist_ok=True)
    written = [WRITERS[fmt](report, out) for fmt in formats]
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in written)
    written.append(_write(out / file_name(report.year, "sha256"), sums.encode()))
    return written


def _write(path: Path, data: bytes) -> Path:
    """Write beside the target, then rename: a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return path
