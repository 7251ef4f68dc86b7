"""Publication deadlines and what is due: the core of ``congkhai status``.

The rules are data: each category file carries a ``rules:`` mapping, parsed and checked
when the categories are loaded (:mod:`generator.records.deadline_rules`, which also holds the
working-day calendar), so a decree that changes a deadline changes a YAML file, not this
module.

``expected`` lists what must exist each period (a reception schedule and minutes every
month, budget execution every quarter), so that a record nobody wrote is reported too.

No MkDocs here: the command line and the yearly report call these functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from generator.core.values import format_date, local_date
from generator.ledger import attest
from generator.records.deadline_rules import (
    Expectation,
    Rule,
    Rules,
    last_working_day,
)
from generator.records.deadline_rules import values_at as _values

if TYPE_CHECKING:
    from generator.ledger.log import Log
    from generator.records.categories import Category
    from generator.records.record import Record
    from generator.website.site import Site

WINDOW_DAYS = 31
"""Upcoming deadlines are listed when they fall within this many days from today."""

#: The states of a :class:`DueItem`, most urgent first (the order ``status`` prints them in).
STATES = ("missing", "late", "unpublished", "upcoming", "ok")
FAILING = ("missing", "late")
"""States that make ``congkhai status`` exit with 1."""


def deadline_for(record: Record) -> tuple[dt.date, str] | None:
    """``(last allowed publication date, the rule in Vietnamese with its legal basis)``,
    or None when the record's category has no rule for its kind or the record lacks the
    date the rule runs from."""
    rules = record.category.deadlines
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
    """First publication (local date of the record's first log event, or of its attested
    time when a timestamp covers it), if any."""
    attested_by: str = ""
    """The TSA whose token dates the publication; empty: the office's clock only."""

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
        self.attested = attest.attestations(site.settings, site.anchors)[0] if site.anchors.tokens else {}
        self.items: list[DueItem] = []

    def published(self, record: Record) -> tuple[dt.date | None, str]:
        """First publication as of ``today`` (a later event did not yet happen): the attested
        date when a timestamp covers it (and the TSA), else the office's own date."""
        history = self.histories.get(record.key)
        if history is None or not history.events:
            return None, ""
        day = local_date(history.first_published, self.timezone)
        if day > self.today:
            return None, ""
        found = attest.attested(history.events[0]["seq"], self.attested)
        if found is not None:
            return found.when.astimezone(ZoneInfo(self.timezone)).date(), found.tsa
        return day, ""

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
            published, by = self.published(record)
            if published is not None:
                state = "ok" if published <= due else "late"
            else:
                state = "unpublished" if due < self.today else "upcoming"
            self.add(DueItem(record.category.slug, record.title, due, state, record.key, basis, published, by))

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
            rules = category.deadlines
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
