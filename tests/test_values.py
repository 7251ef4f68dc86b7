"""How a clerk types a date, a time or a month: every usual way gives the same value
(property tests with hypothesis), a value read from a record file is never a YAML 1.1
number, and the file keeps what was typed."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.core.values import parse_date, parse_month, parse_time
from tests.conftest import run_cli

QUOTES = [("", ""), ('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’"), ("„", "“"), ("«", "»")]
"""Pairs a form sends when the clerk types the quotes a hint shows (Word makes them curly)."""
SPACES = st.sampled_from(["", " ", "  "])


def quoted(text: str, pair: tuple[str, str], outer: str = "") -> str:
    return f"{outer}{pair[0]}{text}{pair[1]}{outer}"


@settings(max_examples=300, deadline=None)
@given(
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.integers(0, 8),
    st.sampled_from(QUOTES),
    SPACES,
    SPACES,
)
def test_every_way_of_typing_a_time_gives_the_same_time(value, way, pair, inner, outer):
    h, m = value.hour, value.minute
    written = [
        f"{h:02d}:{m:02d}",
        f"{h}:{m:02d}",
        f"{h}h{m:02d}",
        f"{h}{inner}h{inner}{m:02d}",
        f"{h}g{m:02d}",
        f"{h} giờ {m:02d}",
        f"{h} giờ {m:02d} phút",
        f"{h}H{m:02d}",
        f"{h:02d}{inner}:{inner}{m:02d}",
    ][way]
    assert parse_time(quoted(written, pair, outer)) == value
    if m == 0:
        assert parse_time(quoted(f"{h}h", pair, outer)) == value
        assert parse_time(quoted(f"{h} giờ", pair, outer)) == value


@settings(max_examples=300, deadline=None)
@given(st.dates(dt.date(1945, 1, 1), dt.date(2100, 12, 31)), st.integers(0, 3), st.sampled_from(QUOTES), SPACES)
def test_every_way_of_typing_a_date_gives_the_same_date(value, way, pair, outer):
    d, m, y = value.day, value.month, value.year
    written = [f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{d}/{m}/{y}", f"{d:02d}/{m}/{y}"][way]
    assert parse_date(quoted(written, pair, outer)) == value


@settings(max_examples=200, deadline=None)
@given(st.integers(1945, 2100), st.integers(1, 12), st.integers(0, 4), st.sampled_from(QUOTES), SPACES)
def test_every_way_of_typing_a_month_gives_the_same_month(year, month, way, pair, outer):
    written = [
        f"{year}-{month:02d}",
        f"{month:02d}/{year}",
        f"{month}/{year}",
        f"tháng {month}/{year}",
        f"{year}-{month}",
    ]
    assert parse_month(quoted(written[way], pair, outer)) == dt.date(year, month, 1)


@pytest.mark.parametrize(
    "text",
    ["24:00", "07:60", "7.30", "0730", "7h3", "\"07:30'", "“07:30", "sáng", "７:30", "07:30:00", "7 giờ rưỡi", ""],
)
def test_what_is_not_a_time_is_still_refused(text):
    with pytest.raises(ValueError, match="không hợp lệ"):
        parse_time(text)


@pytest.mark.parametrize("text", ["15.5.2026", "2026/05/15", "15-05-2026", "'2026-05-15", "2026-5-15", "١٥/٠٥/٢٠٢٦"])
def test_what_is_not_a_date_is_still_refused(text):
    with pytest.raises(ValueError, match="không đúng dạng"):
        parse_date(text)


@pytest.mark.parametrize("text", ["2026-13", "13/2026", "0/2026", "2026", "05-2026", "5/26"])
def test_what_is_not_a_month_is_still_refused(text):
    with pytest.raises(ValueError, match="không hợp lệ"):
        parse_month(text)


SCHEDULE = """\
title: Lịch tiếp công dân tháng 6/2026
kind: lich
month: {month}
sessions:
  - date: {date}
    start: {start}
    end: 11:00
    place: Trụ sở Ban
"""


@pytest.mark.parametrize(
    ("month", "date", "start"),
    [
        ("2026-06", "2026-06-15", '"07:30"'),
        ("06/2026", "15/06/2026", "7:30"),
        ("6/2026", "15/6/2026", "7h30"),
        ('"06/2026"', "'15/06/2026'", "7 giờ 30"),
        ("“2026-06”", "“15/6/2026”", "“07:30”"),
        ("'\"2026-06\"'", "'\"2026-06-15\"'", "'\"07:30\"'"),
    ],
)
def test_a_schedule_typed_any_usual_way_builds_the_same_page_and_is_kept_as_typed(make_project, month, date, start):
    """``end: 11:00`` without quotes is 11:00 (YAML 1.1 would read 660); the record file is
    never rewritten. The last row is what a form sends when the clerk types the quotes."""
    rel = "disclosures/tiep-cong-dan/2026/lich-thang-06.yml"
    text = SCHEDULE.format(month=month, date=date, start=start)
    root = make_project({rel: text})
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    page = BeautifulSoup((root / "site/tiep-cong-dan/2026/lich-thang-06/index.html").read_bytes(), "html.parser")
    cells = [td.get_text(strip=True) for td in page.select(".ck-table tbody td")]
    assert cells == ["15/06/2026", "07:30", "11:00", "Trụ sở Ban"]
    assert "Tháng: 06/2026" in page.get_text(" ", strip=True)
    assert (root / rel).read_text(encoding="utf-8") == text
