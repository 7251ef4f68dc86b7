"""Publication deadlines and what is due: the core of ``congkhai status``.

The rules are data: each category file carries a ``rules:`` mapping (see
``generator/category_data/tiep-cong-dan.yml`` for the format), so a decree that changes a
deadline changes a YAML file, not this module. Every value there is read as text, so
numbers arrive as ``"5"``; they are parsed and checked here, and a bad rule raises
:class:`~generator.errors.CongkhaiError` naming the category file and the rule.

A rule says from which date a deadline runs (``from``: record fields, or ``period_end``),
how far (``after`` or ``before`` so many days), in which days (``working``: not Saturday,
Sunday or a Vietnamese public holiday; ``calendar``), and cites its legal source
(``basis``). Working days come from the maintained :mod:`holidays` package (including the
substitute days off and the Saturdays worked in exchange).

``expected`` lists what must exist each period (a reception schedule and minutes every
month, budget execution every quarter), so that a record nobody wrote is reported too.

No MkDocs here: the command line and the yearly report call these functions.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import holidays

from generator.errors import CongkhaiError, Problem
from generator.log import local_date
from generator.values import format_date

if TYPE_CHECKING:
    from generator.categories import Category
    from generator.log import Log
    from generator.records import Record
    from generator.site import Site

COUNTRY = "VN"
WINDOW_DAYS = 31
"""Upcoming deadlines are listed when they fall within this many days from today."""

#: The states of a :class:`DueItem`, most urgent first (the order ``status`` prints them in).
STATES = ("missing", "late", "unpublished", "upcoming", "ok")
FAILING = ("missing", "late")
"""States that make ``congkhai status`` exit with 1."""


@functools.cache
def _calendar() -> holidays.HolidayBase:
    # years are added on demand (expand=True), so any year works
    return holidays.country_holidays(COUNTRY, years=dt.date.today().year, language="vi")


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


def _next_working_day(day: dt.date) -> dt.date:
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
            day = _next_working_day(day)
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
            dates = [v for v in _values(data, name) if isinstance(v, dt.date)]
            if dates:
                return min(dates)
        return None


def _values(data: Any, path: str) -> list[Any]:
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


class _Reader:
    """Parses the text tree of ``rules:``; collects one problem per mistake."""

    def __init__(self, category: Category):
        self.category = category
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.category.source, 1, f"rules.{where}", message))

    def text(self, raw: dict[str, Any], key: str, where: str, required: bool = False) -> str:
        value = raw.get(key)
        if value is None:
            if required:
                self.problem(f"{where}.{key}", "thiếu trường bắt buộc")
            return ""
        if not isinstance(value, str):
            self.problem(f"{where}.{key}", "phải là một giá trị đơn")
            return ""
        return value

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(where, "phải là một bảng các trường (khóa: giá trị)")
            return {}
        return value

    def number(self, text: str, where: str) -> int:
        if not (text.isascii() and text.isdigit()):
            self.problem(where, f"'{text}' không phải là số nguyên không âm")
            return 0
        return int(text)

    def rule(self, raw: Any, where: str, roll_text: str) -> Rule | None:
        if raw == "none":  # this kind has no deadline
            return None
        raw = self.mapping(raw, where)
        for key in raw:
            if key not in RULE_KEYS:
                self.problem(f"{where}.{key}", "khóa không được hỗ trợ; dùng: " + ", ".join(sorted(RULE_KEYS)))
        anchors = raw.get("from")
        if isinstance(anchors, str):
            anchors = [anchors]
        if not isinstance(anchors, list) or not anchors or not all(isinstance(a, str) for a in anchors):
            self.problem(f"{where}.from", "phải là danh sách tên trường làm mốc, ví dụ [document.date]")
            anchors = []
        if ("after" in raw) == ("before" in raw):
            self.problem(where, "cần đúng một trong hai khóa after hoặc before (số ngày)")
        before = "before" in raw
        key = "before" if before else "after"
        count = self.number(self.text(raw, key, where), f"{where}.{key}")
        days = self.text(raw, "days", where) or "working"
        if days not in ("working", "calendar"):
            self.problem(f"{where}.days", f"giá trị '{days}' không hợp lệ; chọn working hoặc calendar")
        roll = self.text(raw, "roll", where) or "false"
        if roll not in ("true", "false"):
            self.problem(f"{where}.roll", f"'{roll}' không hợp lệ; chỉ viết true hoặc false")
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
        raw = self.mapping(raw, "periods")
        end: dict[str, int] = {}
        for code, month in self.mapping(raw.get("end"), "periods.end").items():
            value = self.number(month if isinstance(month, str) else "?", f"periods.end.{code}")
            if not 1 <= value <= 12:
                self.problem(f"periods.end.{code}", "tháng kết thúc kỳ phải từ 1 đến 12")
            end[code] = value
        return Periods(
            field=self.text(raw, "field", "periods", required=True),
            year=self.text(raw, "year", "periods", required=True),
            end=end,
        )

    def expectation(self, raw: Any, where: str, rules: Rules) -> Expectation | None:
        raw = self.mapping(raw, where)
        kind = self.text(raw, "kind", where, required=True)
        if self.category.kinds and kind and kind not in self.category.kinds:
            self.problem(f"{where}.kind", f"loại '{kind}' không có trong kinds")
        each = self.text(raw, "each", where, required=True)
        match: dict[str, tuple[str, ...]] = {}
        if each == "period":
            if rules.periods is None:
                self.problem(f"{where}.each", "each: period cần khai báo rules.periods")
            for code, accepted in self.mapping(raw.get("match"), f"{where}.match").items():
                codes = accepted if isinstance(accepted, list) else [accepted]
                match[code] = tuple(str(c) for c in codes)
                if rules.periods is not None and code not in rules.periods.end:
                    self.problem(f"{where}.match.{code}", f"kỳ '{code}' không có trong rules.periods.end")
        elif each != "month" and each:
            self.problem(f"{where}.each", f"giá trị '{each}' không hợp lệ; chọn month hoặc period")
        sessions = None
        if raw.get("sessions") is not None:
            sub = self.mapping(raw["sessions"], f"{where}.sessions")
            sessions = Sessions(
                kind=self.text(sub, "kind", f"{where}.sessions", required=True),
                field=self.text(sub, "field", f"{where}.sessions", required=True),
                what=self.text(sub, "what", f"{where}.sessions", required=True),
                text=self.text(sub, "text", f"{where}.sessions"),
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


def category_rules(category: Category) -> Rules:
    """Parse ``category.rules``; raise :class:`CongkhaiError` listing every mistake."""
    raw = category.rules or {}
    reader = _Reader(category)
    known = {"default", "kinds", "periods", "expected", "roll_text"}
    for key in raw:
        if key not in known:
            reader.problem(key, "khóa không được hỗ trợ; dùng: " + ", ".join(sorted(known)))
    roll_text = reader.text(raw, "roll_text", "") if "roll_text" in raw else ""
    default = reader.rule(raw["default"], "default", roll_text) if raw.get("default") is not None else None
    kinds: dict[str, Rule | None] = {}
    for kind, value in reader.mapping(raw.get("kinds") or {}, "kinds").items():
        if category.kinds and kind not in category.kinds:
            reader.problem(f"kinds.{kind}", f"loại '{kind}' không có trong kinds của chuyên mục")
        kinds[kind] = reader.rule(value, f"kinds.{kind}", roll_text)
    rules = Rules(default=default, kinds=kinds, periods=reader.periods(raw.get("periods")))
    expected_raw = raw.get("expected") or []
    if not isinstance(expected_raw, list):
        reader.problem("expected", "phải là một danh sách")
        expected_raw = []
    expected = [reader.expectation(item, f"expected[{n}]", rules) for n, item in enumerate(expected_raw, start=1)]
    if reader.problems:
        raise CongkhaiError(reader.problems)
    return Rules(default, kinds, rules.periods, tuple(e for e in expected if e is not None))


def deadline_for(record: Record) -> tuple[dt.date, str] | None:
    """``(last allowed publication date, the rule in Vietnamese with its legal basis)``,
    or None when the record's category has no rule for its kind or the record lacks the
    date the rule runs from."""
    rules = category_rules(record.category)
    rule = rules.rule_for(record.kind)
    if rule is None:
        return None
    anchor = rules.anchor(rule, record.data)
    if anchor is None:
        return None
    return rule.due(anchor), rule.describe(anchor)


# --- what is due ---------------------------------------------------------------------


@dataclass
class DueItem:
    """One thing that must be published by a date, and how it stands."""

    category: str
    """The category's slug."""
    what: str
    """Vietnamese description: the record's title, or what is expected but missing."""
    due: dt.date
    """The last allowed publication date."""
    state: str
    """``missing`` (no record, due date passed), ``upcoming`` (due today or later, not yet
    published), ``late`` (first published after ``due``), ``unpublished`` (a record exists
    but is not in the log, due date passed), ``ok`` (published by ``due``)."""
    record_key: str | None
    """``<category>/<id>`` of the record, None when missing."""
    basis: str
    """The rule in Vietnamese with its legal source."""
    published: dt.date | None = None
    """First publication (local date of the record's first log event), if any."""

    @property
    def days_late(self) -> int:
        return (self.published - self.due).days if self.published else 0


def _month_iter(start: dt.date, stop: dt.date) -> list[dt.date]:
    out, current = [], start.replace(day=1)
    while current <= stop:
        out.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return out


def _in_month(day: Any, month: dt.date) -> bool:
    return isinstance(day, dt.date) and (day.year, day.month) == (month.year, month.month)


def _fill(template: str, **values: str) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


class _Status:
    def __init__(self, site: Site, log: Log, today: dt.date, window_days: int):
        self.site = site
        self.today = today
        self.horizon = today + dt.timedelta(days=window_days)
        self.timezone = site.settings.timezone
        self.histories = log.histories()
        self.items: list[DueItem] = []

    def published(self, record: Record) -> dt.date | None:
        """First publication as of ``today`` (a later event did not yet happen)."""
        history = self.histories.get(record.key)
        if history is None or not history.events:
            return None
        day = local_date(history.first_published, self.timezone)
        return day if day <= self.today else None

    def relevant(self, item: DueItem) -> bool:
        """This year's deadlines, what is still unpublished, and what is coming soon."""
        if item.state == "unpublished":
            return True
        if item.state == "upcoming":
            return item.due <= self.horizon
        year = self.today.year
        return item.due.year == year or (item.published is not None and item.published.year == year)

    def add(self, item: DueItem) -> None:
        if self.relevant(item):
            self.items.append(item)

    def expect(self, category: Category, what: str, due: dt.date, basis: str) -> None:
        state = "missing" if due < self.today else "upcoming"
        self.add(DueItem(category.slug, what, due, state, None, basis))

    def records(self) -> None:
        for record in self.site.public_records:
            found = deadline_for(record)
            if found is None:
                continue
            due, basis = found
            published = self.published(record)
            if published is not None:
                state = "ok" if published <= due else "late"
            else:
                state = "unpublished" if due < self.today else "upcoming"
            self.add(DueItem(record.category.slug, record.title, due, state, record.key, basis, published))

    def expected(self, category: Category, rules: Rules) -> None:
        public = [r for r in self.site.public_records if r.category is category]
        for expectation in rules.expected:
            rule = rules.rule_for(expectation.kind)
            of_kind = [r for r in public if r.kind == expectation.kind]
            if expectation.each == "month":
                self.months(category, expectation, rule, public, of_kind)
            else:
                self.periods(category, rules, expectation, rule, of_kind)

    def _basis(self, expectation: Expectation, rule: Rule | None, text: str = "") -> str:
        text = text or expectation.text
        if not text:
            return rule.describe() if rule else expectation.basis
        basis = expectation.basis or (rule.basis if rule else "")
        return f"{text} ({basis})" if basis else text

    def months(
        self,
        category: Category,
        expectation: Expectation,
        rule: Rule | None,
        public: list[Record],
        of_kind: list[Record],
    ) -> None:
        start = dt.date(self.today.year, 1, 1)
        stop = (self.today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)  # next month
        for month in _month_iter(start, stop):
            found = sorted(d for r in of_kind for d in _values(r.data, expectation.field) if _in_month(d, month))
            label = f"{month.month}/{month.year}"
            sessions: list[dt.date] = []
            if expectation.sessions is not None:
                spec = expectation.sessions
                sessions = sorted(
                    {
                        d
                        for r in public
                        if r.kind == spec.kind and not r.data.get("withdrawn")
                        for d in _values(r.data, spec.field)
                        if _in_month(d, month)
                    }
                )
            if sessions:
                # minutes held on a scheduled day answer that session; others answer the
                # remaining sessions in order (a session moved to another day)
                left = [d for d in sessions if d not in found]
                spare = [d for d in found if d not in sessions]
                for day in left[len(spare) :]:
                    spec = expectation.sessions
                    assert spec is not None
                    due = rule.due(day) if rule else day
                    what = _fill(spec.what, date=format_date(day), month=label)
                    self.expect(category, what, due, self._basis(expectation, rule, spec.text))
                continue
            if found:
                continue
            anchor = last_working_day(month.year, month.month)
            due = rule.due(anchor) if rule else anchor
            self.expect(category, _fill(expectation.what, month=label), due, self._basis(expectation, rule))

    def periods(
        self, category: Category, rules: Rules, expectation: Expectation, rule: Rule | None, of_kind: list[Record]
    ) -> None:
        periods = rules.periods
        assert periods is not None  # checked when the rules were read
        labels = category.fields[periods.field].values if periods.field in category.fields else {}
        year = self.today.year  # the fiscal year is the calendar year
        for code, accepted in expectation.match.items():
            end = periods.end_of(year, code)
            if end is None:
                continue
            if any(r.data.get(periods.year) == year and r.data.get(periods.field) in accepted for r in of_kind):
                continue
            due = rule.due(end) if rule else end
            what = _fill(expectation.what, period=_lower_first(labels.get(code, code)), year=str(year))
            basis = self._basis(expectation, rule) if expectation.text else (rule.describe(end) if rule else "")
            self.expect(category, what, due, basis)

    def run(self) -> list[DueItem]:
        self.records()
        for category in self.site.categories.values():
            rules = category_rules(category)
            if rules.expected:
                self.expected(category, rules)
        order = {state: n for n, state in enumerate(STATES)}
        return sorted(self.items, key=lambda i: (order[i.state], i.due, i.category, i.what))


def status_items(site: Site, log: Log, today: dt.date, window_days: int = WINDOW_DAYS) -> list[DueItem]:
    """What is due or missing as of ``today``, most urgent first.

    - every public record with a deadline (:func:`deadline_for`): ``ok`` or ``late`` by its
      first event in the log (local date), else ``unpublished`` or ``upcoming``;
    - every expected item (``rules.expected``) with no record: ``missing`` once its due date
      has passed, else ``upcoming`` — e.g. the reception schedule and minutes of each month
      of this year up to the next month, budget execution of each quarter.

    Listed: deadlines falling in ``today``'s year (and late publications made in it),
    every record still unpublished after its deadline, and upcoming deadlines within
    ``window_days``. Log events after ``today`` are ignored, so an earlier ``today`` shows
    the state as it was then. Only public records count.
    """
    return _Status(site, log, today, window_days).run()


def failing(items: list[DueItem]) -> list[DueItem]:
    """Items that make ``congkhai status`` fail: missing or late."""
    return [i for i in items if i.state in FAILING]
