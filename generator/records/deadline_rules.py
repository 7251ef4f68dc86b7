"""Deadline rules as data, and the working-day calendar they count in.

Each category file carries a ``rules:`` mapping (see
``generator/records/category_data/tiep-cong-dan.yml`` for the format), so a decree that changes a
deadline changes a YAML file, not Python. Every value there is read as text, so numbers
arrive as ``"5"``; :func:`parse_rules` parses and checks them when the categories are
loaded (so ``congkhai check`` and ``build`` fail on a broken rule), and each mistake is a
:class:`~generator.core.errors.Problem` at the line of the offending key or value.

A rule says from which date a deadline runs (``from``: record fields, or ``period_end``),
how far (``after`` or ``before`` so many days), in which days (``working``: not Saturday,
Sunday or a Vietnamese public holiday; ``calendar``), and cites its legal source
(``basis``). Working days come from the maintained :mod:`holidays` package (including the
substitute days off and the Saturdays worked in exchange).

``expected`` lists what must exist each period (a reception schedule and minutes every
month, budget execution every quarter), so that a record nobody wrote is reported too.

This module is low-level: it imports neither the categories nor the records; the
categories import it, and :mod:`generator.evidence.deadlines` (``congkhai status``) uses both.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import holidays

from generator.core.errors import Problem
from generator.core.values import today
from generator.core.yamltext import Path as FieldPath
from generator.core.yamltext import field_name

COUNTRY = "VN"


@functools.cache
def _calendar() -> holidays.HolidayBase:
    # years are added on demand (expand=True), so any year works
    return holidays.country_holidays(COUNTRY, years=today().year, language="vi")


def is_working_day(day: dt.date) -> bool:
    """Not a weekend nor a Vietnamese public holiday (a Saturday worked in exchange for a
    day off counts as a working day)."""
    return bool(_calendar().is_working_day(day))


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself is not counted, as a time
    limit runs from the next day); a negative ``n`` counts back before ``start``;
    ``n == 0`` returns ``start``."""
    step = dt.timedelta(days=1 if n >= 0 else -1)
    day, remaining = start, abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def last_working_day(year: int, month: int) -> dt.date:
    """The last working day of a month."""
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


# --- rules as data -------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One deadline: ``count`` (working) days ``after``/``before`` an anchor date."""

    anchors: tuple[str, ...]
    count: int
    before: bool
    working: bool
    roll: bool
    text: str
    basis: str
    roll_text: str = ""

    def due(self, anchor: dt.date) -> dt.date:
        """The last day the information may be published."""
        if self.working:
            return add_working_days(anchor, -self.count if self.before else self.count)
        day = anchor + dt.timedelta(days=-self.count if self.before else self.count)
        if self.roll and not self.before:
            day = next_working_day(day)
        return day

    def describe(self, anchor: dt.date | None = None) -> str:
        """The rule in Vietnamese with its legal basis, e.g. ``trong 5 ngày làm việc … (Luật …)``."""
        text = self.text
        if (
            anchor is not None
            and self.roll_text
            and not self.working
            and self.roll
            and not self.before
            and self.due(anchor) != anchor + dt.timedelta(days=self.count)
        ):
            return f"{text} ({self.basis}); {self.roll_text}" if self.basis else f"{text}; {self.roll_text}"
        return f"{text} ({self.basis})" if self.basis else text


@dataclass(frozen=True)
class Sessions:
    """Minutes are expected for each session listed in another kind's records."""

    kind: str
    field: str
    what: str
    text: str


@dataclass(frozen=True)
class Expectation:
    """Information that must exist every month (or every listed period)."""

    kind: str
    each: str  # "month" or "period"
    field: str
    what: str
    text: str
    basis: str
    match: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sessions: Sessions | None = None


@dataclass(frozen=True)
class Periods:
    """How ``period_end`` is found: the period code field, the year field, and the last
    month of each period."""

    field: str
    year: str
    end: dict[str, int]

    def end_of(self, year: int, code: str) -> dt.date | None:
        month = self.end.get(code)
        if month is None:
            return None
        return dt.date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Rules:
    """The parsed ``rules:`` of one category."""

    default: Rule | None = None
    kinds: dict[str, Rule | None] = field(default_factory=dict)
    periods: Periods | None = None
    expected: tuple[Expectation, ...] = ()

    def rule_for(self, kind: str | None) -> Rule | None:
        if kind is not None and kind in self.kinds:
            return self.kinds[kind]
        return self.default

    def anchor(self, rule: Rule, data: dict[str, Any]) -> dt.date | None:
        """The date the rule runs from: the first of ``rule.anchors`` that has a value
        (the earliest date when the field is inside a list, e.g. ``sessions.date``)."""
        for name in rule.anchors:
            if name == "period_end":
                if self.periods is None:
                    continue
                year, code = data.get(self.periods.year), data.get(self.periods.field)
                if isinstance(year, int) and isinstance(code, str):
                    found = self.periods.end_of(year, code)
                    if found is not None:
                        return found
                continue
            dates = [v for v in values_at(data, name) if isinstance(v, dt.date)]
            if dates:
                return min(dates)
        return None


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at a dotted ``path``, looking inside lists on the way."""
    current = [data]
    for part in path.split("."):
        found = []
        for value in current:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and item.get(part) is not None:
                    found.append(item[part])
        current = found
    out: list[Any] = []
    for value in current:
        out.extend(value if isinstance(value, list) else [value])
    return out


RULE_KEYS = {"from", "after", "before", "days", "roll", "text", "basis"}
TOP_KEYS = {"default", "kinds", "periods", "expected", "roll_text"}


class _Reader:
    """Parses the text tree of ``rules:``; collects one problem per mistake, at the line
    of the offending key or value."""

    def __init__(self, kinds: dict[str, str], source: str, lines: dict[FieldPath, int], prefix: FieldPath):
        self.kinds = kinds
        self.source = source
        self.lines = lines
        self.prefix = prefix
        self.problems: list[Problem] = []

    def problem(self, where: FieldPath, message: str) -> None:
        path = self.prefix + where
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        self.problems.append(Problem(self.source, self.lines.get(probe, 1), field_name(path), message))

    def text(self, raw: dict[str, Any], key: str, where: FieldPath, required: bool = False) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem((*where, key), "thiếu trường bắt buộc")
            return ""
        if not isinstance(value, str):
            self.problem((*where, key), "phải là một giá trị đơn")
            return ""
        return value

    def mapping(self, value: Any, where: FieldPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(where, "phải là một bảng các trường (khóa: giá trị)")
            return {}
        return value

    def number(self, text: str, where: FieldPath) -> int:
        if not (text.isascii() and text.isdigit()):
            self.problem(where, f"'{text}' không phải là số nguyên không âm")
            return 0
        return int(text)

    def rule(self, raw: Any, where: FieldPath, roll_text: str) -> Rule | None:
        if raw == "none":  # this kind has no deadline
            return None
        raw = self.mapping(raw, where)
        for key in raw:
            if key not in RULE_KEYS:
                self.problem((*where, key), "khóa không được hỗ trợ; dùng: " + ", ".join(sorted(RULE_KEYS)))
        anchors = raw.get("from")
        if isinstance(anchors, str):
            anchors = [anchors]
        if not isinstance(anchors, list) or not anchors or not all(isinstance(a, str) for a in anchors):
            self.problem((*where, "from"), "phải là danh sách tên trường làm mốc, ví dụ [document.date]")
            anchors = []
        if ("after" in raw) == ("before" in raw):
            self.problem(where, "cần đúng một trong hai khóa after hoặc before (số ngày)")
        before = "before" in raw
        key = "before" if before else "after"
        count = self.number(self.text(raw, key, where), (*where, key))
        days = self.text(raw, "days", where) or "working"
        if days not in ("working", "calendar"):
            self.problem((*where, "days"), f"giá trị '{days}' không hợp lệ; chọn working hoặc calendar")
        roll = self.text(raw, "roll", where) or "false"
        if roll not in ("true", "false"):
            self.problem((*where, "roll"), f"'{roll}' không hợp lệ; chỉ viết true hoặc false")
        return Rule(
            anchors=tuple(anchors),
            count=count,
            before=before,
            working=days == "working",
            roll=roll == "true",
            text=self.text(raw, "text", where, required=True),
            basis=self.text(raw, "basis", where, required=True),
            roll_text=roll_text,
        )

    def periods(self, raw: Any) -> Periods | None:
        if raw is None:
            return None
        raw = self.mapping(raw, ("periods",))
        end: dict[str, int] = {}
        for code, month in self.mapping(raw.get("end"), ("periods", "end")).items():
            value = self.number(month if isinstance(month, str) else "?", ("periods", "end", code))
            if not 1 <= value <= 12:
                self.problem(("periods", "end", code), "tháng kết thúc kỳ phải từ 1 đến 12")
            end[code] = value
        return Periods(
            field=self.text(raw, "field", ("periods",), required=True),
            year=self.text(raw, "year", ("periods",), required=True),
            end=end,
        )

    def expectation(self, raw: Any, where: FieldPath, periods: Periods | None) -> Expectation:
        raw = self.mapping(raw, where)
        kind = self.text(raw, "kind", where, required=True)
        if self.kinds and kind and kind not in self.kinds:
            self.problem((*where, "kind"), f"loại '{kind}' không có trong kinds")
        each = self.text(raw, "each", where, required=True)
        match: dict[str, tuple[str, ...]] = {}
        if each == "period":
            if periods is None:
                self.problem((*where, "each"), "each: period cần khai báo rules.periods")
            for code, accepted in self.mapping(raw.get("match"), (*where, "match")).items():
                codes = accepted if isinstance(accepted, list) else [accepted]
                match[code] = tuple(str(c) for c in codes)
                if periods is not None and code not in periods.end:
                    self.problem((*where, "match", code), f"kỳ '{code}' không có trong rules.periods.end")
        elif each != "month" and each:
            self.problem((*where, "each"), f"giá trị '{each}' không hợp lệ; chọn month hoặc period")
        sessions = None
        if raw.get("sessions") is not None:
            at = (*where, "sessions")
            sub = self.mapping(raw["sessions"], at)
            sessions = Sessions(
                kind=self.text(sub, "kind", at, required=True),
                field=self.text(sub, "field", at, required=True),
                what=self.text(sub, "what", at, required=True),
                text=self.text(sub, "text", at),
            )
        return Expectation(
            kind=kind,
            each=each,
            field=self.text(raw, "field", where, required=each == "month"),
            what=self.text(raw, "what", where, required=True),
            text=self.text(raw, "text", where),
            basis=self.text(raw, "basis", where),
            match=match,
            sessions=sessions,
        )


def parse_rules(
    raw: Any, kinds: dict[str, str], source: str, lines: dict[FieldPath, int], prefix: FieldPath = ("rules",)
) -> tuple[Rules, list[Problem]]:
    """Parse the ``rules:`` block of a category file (``kinds``: the category's kinds;
    ``lines``: the file's line map, ``prefix``: where the block sits in it). Returns the
    rules and one problem per mistake (empty when the block is sound)."""
    reader = _Reader(kinds, source, lines, prefix)
    if raw is None:
        return Rules(), []
    raw = reader.mapping(raw, ())
    for key in raw:
        if key not in TOP_KEYS:
            reader.problem((key,), "khóa không được hỗ trợ; dùng: " + ", ".join(sorted(TOP_KEYS)))
    roll_text = reader.text(raw, "roll_text", ()) if "roll_text" in raw else ""
    default = reader.rule(raw["default"], ("default",), roll_text) if raw.get("default") is not None else None
    by_kind: dict[str, Rule | None] = {}
    for kind, value in reader.mapping(raw.get("kinds") or {}, ("kinds",)).items():
        if kinds and kind not in kinds:
            reader.problem(("kinds", kind), f"loại '{kind}' không có trong kinds của chuyên mục")
        by_kind[kind] = reader.rule(value, ("kinds", kind), roll_text)
    periods = reader.periods(raw.get("periods"))
    expected_raw = raw.get("expected") or []
    if not isinstance(expected_raw, list):
        reader.problem(("expected",), "phải là một danh sách")
        expected_raw = []
    expected = tuple(reader.expectation(item, ("expected", n), periods) for n, item in enumerate(expected_raw))
    return Rules(default, by_kind, periods, expected), reader.problems
