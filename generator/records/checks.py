"""Cross-field checks of a category (``checks:`` of a category file): which rule, on which
fields, with which message; run on a record's converted values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from generator.core.yamltext import Path as FieldPath

ORDERED_TYPES = ("date", "time", "month", "int", "year", "money")
"""Value types a ``checks`` rule of kind ``order`` can compare."""
CHECK_KEYS = {
    "order": ("first", "then"),
    "in_month": ("field", "month"),
    "forbids": ("when", "field"),
    "min_days": ("first", "then", "days"),
    "zero_needs": ("field", "needs"),
    "near": ("first", "then", "years"),
}
"""Each kind of cross-field check and the keys it needs (besides ``rule`` and ``message``)."""


def _expand(data: Any, dotted: str) -> list[tuple[FieldPath, Any]]:
    """``(path, value)`` of every value at a dotted field name, looking inside lists of
    maps (``sessions.start`` -> ``(("sessions", 0, "start"), 07:30)``, …)."""
    found: list[tuple[FieldPath, Any]] = [((), data)]
    for part in dotted.split("."):
        nxt: list[tuple[FieldPath, Any]] = []
        for path, value in found:
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, item in items:
                if isinstance(item, dict) and item.get(part) is not None:
                    base = path if index is None else (*path, index)
                    nxt.append(((*base, part), item[part]))
        found = nxt
    return found


@dataclass(frozen=True)
class Check:
    """One rule across fields that a schema cannot say, with its Vietnamese message.

    - ``order``: ``then`` may not come before ``first`` (dates, times, numbers); inside a
      list of maps (``sessions.start``/``sessions.end``) item by item;
    - ``in_month``: every date at ``field`` falls in the month of the ``month`` field
      (``{month}`` in the message becomes ``05/2026``);
    - ``forbids``: when the ``when`` field is true, ``field`` must be empty (0, no items);
    - ``min_days``: from ``first`` to ``then`` (two dates, both days counted) there are at
      least ``days`` days (``{count}`` in the message becomes the days there are);
    - ``zero_needs``: when ``field`` is 0 (or an empty list), the bool field ``needs`` must
      be true (``visitors: 0`` needs ``no_visitors: true``);
    - ``near``: every date at ``then`` lies within ``years`` years of the record's own period,
      the date, month or year at ``first`` (a document dated 1906 for a 2026 schedule is a
      slip); ``{date}``, ``{first}`` and ``{years}`` in the message become the date, the
      period (``12/2026``) and the number of years.
    """

    rule: str
    message: str
    first: str = ""
    then: str = ""
    field: str = ""
    month: str = ""
    when: str = ""
    days: str = ""
    needs: str = ""
    years: str = ""
    unit: str = ""
    """For ``near``: the value type of ``first`` (``date``, ``month`` or ``year``)."""
    warn: bool = False
    """``warn: "true"``: a value that breaks the rule is plausible but odd; ``check`` warns
    (``cảnh báo: …``) instead of refusing the record."""

    def problems(self, data: dict[str, Any]) -> list[tuple[FieldPath, str]]:
        """``(field path, message)`` for each value of ``data`` that breaks the rule."""
        out: list[tuple[FieldPath, str]] = []
        if self.rule == "order":
            firsts = {_indexes(path): value for path, value in _expand(data, self.first)}
            for path, value in _expand(data, self.then):
                before = firsts.get(_indexes(path))
                if before is not None and value < before:
                    out.append((path, self.message))
        elif self.rule == "in_month":
            month = data.get(self.month)
            if isinstance(month, dt.date):
                text = self.message.replace("{month}", f"{month:%m/%Y}")
                for path, value in _expand(data, self.field):
                    if isinstance(value, dt.date) and (value.year, value.month) != (month.year, month.month):
                        out.append((path, text))
        elif self.rule == "forbids" and any(value is True for _, value in _expand(data, self.when)):
            out += [(path, self.message) for path, value in _expand(data, self.field) if value]
        elif self.rule == "min_days":
            firsts = {_indexes(path): value for path, value in _expand(data, self.first)}
            for path, value in _expand(data, self.then):
                before = firsts.get(_indexes(path))
                if isinstance(before, dt.date) and isinstance(value, dt.date) and before <= value:
                    count = (value - before).days + 1
                    if count < int(self.days):
                        out.append((path, self.message.replace("{count}", str(count)).replace("{days}", self.days)))
        elif self.rule == "zero_needs" and not any(value is True for _, value in _expand(data, self.needs)):
            out += [(path, self.message) for path, value in _expand(data, self.field) if value in (0, [])]
        elif self.rule == "near":
            out += self._far(data)
        return out

    def _far(self, data: dict[str, Any]) -> list[tuple[FieldPath, str]]:
        found = [value for _, value in _expand(data, self.first)]
        if not found or not isinstance(found[0], (dt.date, int)) or isinstance(found[0], bool):
            return []
        own = found[0]
        if isinstance(own, int):
            if not 1 <= own <= 9999:
                return []
            start, end, shown = dt.date(own, 1, 1), dt.date(own, 12, 31), str(own)
        elif self.unit == "month":
            start, end, shown = own, _add_months(own, 1) - dt.timedelta(days=1), f"{own:%m/%Y}"
        else:
            start, end, shown = own, own, f"{own:%d/%m/%Y}"
        years = int(self.years)
        earliest, latest = _add_years(start, -years), _add_years(end, years)
        out = []
        for path, value in _expand(data, self.then):
            if isinstance(value, dt.date) and not earliest <= value <= latest:
                text = self.message.replace("{date}", f"{value:%d/%m/%Y}").replace("{first}", shown)
                out.append((path, text.replace("{years}", self.years)))
        return out


def _add_years(day: dt.date, years: int) -> dt.date:
    year = min(max(day.year + years, 1), 9999)
    return day.replace(year=year, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=year)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(min(index // 12, 9999), index % 12 + 1, 1) if index // 12 <= 9999 else dt.date.max


def _indexes(path: FieldPath) -> tuple[int, ...]:
    return tuple(part for part in path if isinstance(part, int))


def run_checks(checks: Any, data: dict[str, Any], warnings: bool = False) -> list[tuple[FieldPath, str]]:
    """Every ``(field path, message)`` of ``checks`` (a sequence of :class:`Check`): the
    refusing ones, or with ``warnings`` the ones marked ``warn``."""
    return [found for check in checks if check.warn == warnings for found in check.problems(data)]
