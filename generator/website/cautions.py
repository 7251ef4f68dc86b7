"""Warnings: what is valid but probably a slip, printed as
``path:line: field: cảnh báo: …`` by ``check``, ``build`` and ``publish``, which still
succeed (exit status 0).

- two schedules (records with calendar sessions) for the same month;
- a session on a Sunday, or at night (starting before 06:00, or starting or ending after 20:00);
- a record filed under a date still to come that is not a schedule (minutes of a session
  that has not taken place: the category's ``sort_date`` fields);
- a schedule whose document is dated after its first session;
- a record in a year folder (``2025/``) that is not the year of its date, while it is not
  yet published (a published address never changes);
- a personal name where the category asks for a title (a field whose ``help`` starts
  with "Chức danh": ``document.signer``, ``host``);
- a category's ``checks`` marked ``warn: "true"`` (minutes dated before their session);
- a schedule (a kind whose deadline rule counts ``before`` its first session) not yet
  published whose deadline has passed: its first session is over, or less than the rule's
  working days ahead. Schedules whose first session is more than :data:`BACKFILL_DAYS` ago
  are history being entered, which ``status`` reports by attested time: no warning;
- a PDF attachment whose digital signature is broken or whose file was changed after signing,
  and a PDF of a kind the category's evidence marks ``signed: true`` (the decision to
  disclose) that has no signature, or none valid against the configured ``signature_roots``,
  or is not a PDF at all (a scan, a Word file; see :mod:`generator.records.signatures`).
  Never a refusal: the law does not require it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from generator.core.errors import Problem
from generator.core.values import fold, format_date
from generator.core.yamltext import Path as FieldPath
from generator.records import signatures
from generator.records.checks import run_checks
from generator.records.deadline_rules import is_working_day
from generator.records.fields import Field
from generator.records.privacy import _FAMILY, _TITLE_WORDS, mask
from generator.records.record import Record
from generator.website.site import Site

PREFIX = "cảnh báo: "
EARLIEST = dt.time(6, 0)
LATEST = dt.time(20, 0)
_NAME = re.compile(rf"(?<!\w)(?:{_FAMILY})(?:\s+[^\W\d_]+){{1,3}}")
_YEAR_FOLDER = re.compile(r"^(19|20)\d\d$")
BACKFILL_DAYS = 31
"""A schedule whose first session is more than this many days before today is an old one being
entered into the site (its lateness is for ``status``, from the log), not a slip to warn about."""


def _warn(record: Record, path: FieldPath, message: str) -> Problem:
    return record.problem(path, PREFIX + message)


def cautions(site: Site, new: set[str] | frozenset[str] = frozenset()) -> list[Problem]:
    """Every warning of the site's records, in file and line order. ``new``: keys of records
    whose first publication is in ``site``'s log but is being made now (``publish``)."""
    out: list[Problem] = []
    logged = set(site.log.histories()) - set(new)
    months: dict[tuple[str, int, int], Record] = {}
    titled: dict[tuple[str, str | None], set[FieldPath]] = {}  # the same for every record of a kind
    for record in sorted(site.records, key=lambda r: r.relpath):
        out += _sessions(record, months, site.today)
        out += _future(record, site.today)
        if record.key not in logged:
            out += _year_folder(record)
            out += _late_schedule(record, site.today)
        out += [_warn(record, path, message) for path, message in run_checks(record.category.checks, record.data, True)]
        wanted = (record.category.slug, record.kind)
        if wanted not in titled:
            titled[wanted] = {path for path, _ in _titled(record.category.all_fields(site.common, record.kind))}
        out += _names(record, titled[wanted])
    if any(r.attachments for r in site.records):
        roots = signatures.roots_of(site.settings)
        for record in site.records:
            out += _signatures(record, roots)
    return sorted(out)


def _signatures(record: Record, roots: signatures.Roots) -> list[Problem]:
    """Broken signatures, and decisions that should be signed and are not (validly)."""
    if record.data.get("withdrawn"):
        return []
    wanted = {
        kind
        for item in record.category.expected_evidence(record.kind, record.data)
        if item.signed
        for kind in item.attachments
    }
    out = []
    for index, a in enumerate(record.attachments):
        result = signatures.check_file(a.path, roots, a.sha256)
        where = ("attachments", index, "file")
        if result is None:
            if a.kind in wanted and a.path.suffix.lower() != ".pdf":
                out.append(_warn(record, where, signatures.not_a_pdf(a.file)))
            continue
        if result.status in ("broken", "modified"):
            out.append(
                _warn(
                    record,
                    where,
                    f"tệp '{a.file}': {signatures.LABELS[result.status]}; hãy lấy lại bản đã ký từ người ký",
                )
            )
        elif a.kind in wanted and result.status != "valid":
            why = signatures.LABELS[result.status]
            out.append(
                _warn(
                    record,
                    where,
                    f"tệp '{a.file}' là quyết định công khai, nên là bản điện tử có chữ ký số hợp lệ ({why}); "
                    "hãy đính kèm bản PDF đã ký số (hoặc khai báo gốc chứng thư trong signature_roots)",
                )
            )
    return out


def _sessions(record: Record, months: dict[tuple[str, int, int], Record], today: dt.date) -> list[Problem]:
    sessions = record.category.sessions(record.data)
    spec = record.category.calendar
    if not sessions or spec is None or record.data.get("withdrawn"):
        return []
    out = []
    warned: set[tuple[int, int]] = set()
    for index, session in enumerate(sessions):
        day = session.get("date")
        where = (spec.field, index)
        if not isinstance(day, dt.date):
            continue
        month = (day.year, day.month)
        other = months.setdefault((record.category.slug, *month), record)
        if other is not record and month not in warned:
            warned.add(month)
            out.append(
                _warn(
                    record,
                    (*where, spec.date),
                    f"tháng {day:%m/%Y} đã có lịch ở {other.relpath}; nếu đây là lịch sửa đổi, hãy sửa bản ghi cũ "
                    "(ghi change_note) hoặc thu hồi nó (withdrawn) thay vì đăng hai lịch",
                )
            )
        if day.weekday() == 6:
            out.append(
                _warn(record, (*where, spec.date), f"ngày {format_date(day)} là Chủ nhật; kiểm tra lại ngày tiếp")
            )
        for key, name in (("start", spec.start), ("end", spec.end)):
            value = session.get(key)
            if not isinstance(value, dt.time) or name is None:
                continue
            if value < EARLIEST or value > LATEST or (key == "start" and value == LATEST):
                out.append(
                    _warn(
                        record,
                        (*where, name),
                        f"giờ {value:%H:%M} là ban đêm (trước 06:00 hoặc sau 20:00); kiểm tra lại, giờ viết theo 24 giờ "
                        "(2 giờ chiều là 14:00)",
                    )
                )
    document = record.document.get("date")
    first = min((s["date"] for s in sessions if isinstance(s.get("date"), dt.date)), default=None)
    if isinstance(document, dt.date) and first is not None and document > first:
        out.append(
            _warn(
                record,
                ("document", "date"),
                f"văn bản ngày {format_date(document)} sau buổi tiếp đầu tiên ({format_date(first)}); lịch phải được "
                "thông báo trước buổi tiếp: kiểm tra lại ngày",
            )
        )
    return out


def _future(record: Record, today: dt.date) -> list[Problem]:
    """A record that reports something done (filed under a date that is not a schedule's)
    dated after today."""
    if record.category.sessions(record.data):
        return []
    fields = record.category.fields
    for name in record.category.sort_date:
        value = record.data.get(name)
        spec = fields.get(name)
        if isinstance(value, dt.date) and spec is not None and spec.type == "date":
            if value > today:
                return [
                    _warn(
                        record,
                        (name,),
                        f"{spec.label.lower()} {format_date(value)} chưa đến; "
                        "bản ghi này ghi lại việc đã diễn ra: kiểm tra lại ngày",
                    )
                ]
            return []
    return []


def _late_schedule(record: Record, today: dt.date) -> list[Problem]:
    """A schedule going up after its deadline: the category's rule for its kind counts
    ``before`` the first session (``tiep-cong-dan``/``lich``: 5 working days)."""
    rules = record.category.deadlines
    rule = rules.rule_for(record.kind)
    if rule is None or not rule.before or record.data.get("withdrawn"):
        return []
    first = rules.anchor(rule, record.data)
    if first is None or (today - first).days > BACKFILL_DAYS:
        return []
    due = rule.due(first)
    if today <= due:
        return []
    path = next((p for name in rule.anchors for p in _paths_of(record.data, name.split("."), (), first)), ())
    if first < today:
        when = f"buổi đầu tiên ({format_date(first)}) đã qua"
    elif first == today:
        when = f"buổi đầu tiên là hôm nay ({format_date(first)})"
    else:
        left = sum(1 for n in range(1, (first - today).days) if is_working_day(today + dt.timedelta(days=n)))
        when = f"buổi đầu tiên ({format_date(first)}) chỉ còn {left} ngày làm việc nữa; hạn đăng là {format_date(due)}"
    return [
        _warn(
            record,
            path,
            f"lịch chưa công bố mà {when}; quy định: {rule.describe()}. Kiểm tra lại ngày tiếp; nếu ngày đúng, "
            "lịch này đăng trễ hạn (nhật ký ghi ngày công bố)",
        )
    ]


def _paths_of(value: Any, names: list[str], path: FieldPath, wanted: dt.date) -> list[FieldPath]:
    """The paths at the dotted ``names`` (inside lists too) whose value is ``wanted``."""
    if isinstance(value, list):
        return [p for n, item in enumerate(value) for p in _paths_of(item, names, (*path, n), wanted)]
    if not names:
        return [path] if value == wanted else []
    if not isinstance(value, dict):
        return []
    return _paths_of(value.get(names[0]), names[1:], (*path, names[0]), wanted)


def _date_path(record: Record) -> FieldPath:
    for name in [*record.category.sort_date, "document.date", "valid_from"]:
        value: Any = record.data
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dt.date):
            return tuple(name.split("."))
    return ()


def _year_folder(record: Record) -> list[Problem]:
    day = record.date
    folders = [part for part in record.id.split("/")[:-1] if _YEAR_FOLDER.match(part)]
    if day is None or not folders or int(folders[-1]) == day.year:
        return []
    return [
        _warn(
            record,
            _date_path(record),
            f"bản ghi nằm trong thư mục {folders[-1]}/ nhưng ngày của nó ({format_date(day)}) thuộc năm {day.year}; "
            f"kiểm tra lại ngày, hoặc chuyển tệp vào thư mục {day.year}/ (trước khi công bố)",
        )
    ]


def _titled(fields: dict[str, Field], prefix: FieldPath = ()) -> list[tuple[FieldPath, bool]]:
    """Field paths (``None`` for list positions) and whether they ask for a title."""
    out = []
    for name, spec in fields.items():
        path = (*prefix, name)
        if spec.fields:
            out += _titled(spec.fields, path)
        elif spec.type == "text" and fold(spec.help).startswith("chuc danh"):
            out.append((path, True))
    return out


def _names(record: Record, wanted: set[FieldPath]) -> list[Problem]:
    """Personal names in the fields at ``wanted`` (the paths :func:`_titled` gives)."""
    out = []
    for path, text in _strings_at(record.data, wanted):
        for match in _NAME.finditer(text):
            words = match.group().split()
            if not all(w[:1].isupper() for w in words[1:]):
                continue
            if words[1] in _TITLE_WORDS and words[1] not in ("Văn", "Thị"):
                continue  # "Trần Phó …" is no name; "Nguyễn Văn An" is
            out.append(
                _warn(
                    record,
                    path,
                    f"có vẻ là họ tên người ({mask('name', match.group())}); trường này ghi chức danh "
                    "(ví dụ: Trưởng ban, KT. Trưởng ban – Phó Trưởng ban), không ghi họ tên",
                )
            )
            break
    return out


def _strings_at(data: dict[str, Any], wanted: set[FieldPath]) -> list[tuple[FieldPath, str]]:
    """The text values of ``data`` whose path without list positions is one of ``wanted``
    (``("sessions", "host")`` for ``sessions[2].host``), in the order they are written.
    Only the branches leading to one of ``wanted`` are walked."""
    out: list[tuple[FieldPath, str]] = []
    leading = {names[:end] for names in wanted for end in range(1, len(names) + 1)}

    def walk(value: Any, path: FieldPath, names: FieldPath) -> None:
        if isinstance(value, str):
            if names in wanted:
                out.append((path, value))
        elif isinstance(value, dict):
            for key, sub in value.items():
                if (*names, key) in leading:
                    walk(sub, (*path, key), (*names, key))
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                walk(sub, (*path, index), names)

    walk(data, (), ())
    return out
