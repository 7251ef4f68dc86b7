"""Scalar value types of record fields: each parses the text read from YAML.

Every parser takes the text exactly as written and returns the typed value, or raises
``ValueError`` with a Vietnamese message for staff. The same functions serve as JSON
Schema format checks (``ck-<type>``) and as converters, so the rule lives in one place.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from generator.core.config import TIMEZONE

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{6,18}[0-9]$")
_MONEY = re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+)$")


CURLY_QUOTES = "“”‘’„‟«»"
"""Quotation marks Word puts for typed ones: to YAML they are letters, not quotes."""


def curly_quoted(text: str) -> str | None:
    """When ``text`` is wrapped in curly quotes (“07:30”), the message naming them."""
    if len(text) >= 2 and text[0] in CURLY_QUOTES and text[-1] in CURLY_QUOTES:
        inner = text[1:-1]
        return (
            f"giá trị {text} nằm trong dấu nháy cong {text[0]} {text[-1]} (thường do Word tự đổi), YAML coi đó là chữ; "
            f'dùng dấu nháy thẳng: "{inner}"'
        )
    return None


_SHORT_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
_SHORT_MONTH = re.compile(r"^(?:th[áa]ng\s*)?(\d{1,2})/(\d{4})$", re.ASCII | re.IGNORECASE)
_LOOSE_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$", re.ASCII)
_CLOCK = re.compile(r"^(\d{1,2})\s*(?::|h|g|giờ)\s*(?:(\d{2})\s*(?:phút|p)?)?$", re.ASCII | re.IGNORECASE)
_QUOTES = "\"'" + CURLY_QUOTES


def unquoted(text: str) -> str:
    """``text`` without surrounding spaces and one pair of quotation marks around it: a form
    sends ``"07:30"`` (seven characters) when the clerk types the quotes a hint shows, and
    Word turns them into ``“07:30”``. Straight quotes must match; curly ones are any pair."""
    text = text.strip()
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
        straight = text[0] in "\"'" or text[-1] in "\"'"
        if not straight or text[0] == text[-1]:
            return text[1:-1].strip()
    return text


def parse_date(text: str) -> dt.date:
    """``2026-06-05``, ``05/06/2026`` or ``5/6/2026`` (all 5 June 2026), also inside quotation
    marks; anything else is an error."""
    value = unquoted(text)
    if m := _ISO_DATE.match(value):
        year, month, day = (int(g) for g in m.groups())
    elif m := _SHORT_DATE.match(value):
        day, month, year = (int(g) for g in m.groups())
    else:
        raise ValueError(f"ngày '{text}' không đúng dạng; viết 2026-06-05 hoặc 05/06/2026")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"ngày '{text}' không tồn tại") from None


def parse_time(text: str) -> dt.time:
    """``07:30`` (24-hour clock), also written ``7:30``, ``7h30``, ``7g30``, ``7 giờ 30``,
    ``7h`` or inside quotation marks."""
    m = _CLOCK.match(unquoted(text))
    if m and int(m[1]) <= 23 and int(m[2] or 0) <= 59:
        return dt.time(int(m[1]), int(m[2] or 0))
    raise ValueError(f"giờ '{text}' không hợp lệ; viết giờ:phút theo 24 giờ, ví dụ 07:30 hoặc 13:30 (7h30 cũng được)")


def parse_month(text: str) -> dt.date:
    """``2026-05`` or ``05/2026`` (``5/2026``, ``tháng 5/2026``) -> the first day of that month."""
    value = unquoted(text)
    if m := _LOOSE_MONTH.match(value):
        year, month = int(m[1]), int(m[2])
    elif m := _SHORT_MONTH.match(value):
        month, year = int(m[1]), int(m[2])
    else:
        month = year = 0
    if not 1 <= month <= 12:
        raise ValueError(f"tháng '{text}' không hợp lệ; viết dạng 2026-05 hoặc 05/2026")
    return dt.date(year, month, 1)


def parse_int(text: str) -> int:
    """A whole number, 0 or more."""
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"'{text}' không phải là số nguyên không âm")
    return int(text)


def parse_year(text: str) -> int:
    """A four-digit year."""
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise ValueError(f"năm '{text}' không hợp lệ; viết 4 chữ số, ví dụ 2026")
    return int(text)


def parse_bool(text: str) -> bool:
    """Only ``true`` or ``false`` (``yes``/``no``/``on`` are refused, not guessed)."""
    low = text.lower()
    if low not in ("true", "false"):
        raise ValueError(f"'{text}' không hợp lệ; chỉ viết true hoặc false")
    return low == "true"


def parse_url(text: str) -> str:
    """An absolute ``http``/``https`` address."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
        raise ValueError(f"địa chỉ '{text}' không hợp lệ; phải bắt đầu bằng https://")
    return text


def parse_email(text: str) -> str:
    if not _EMAIL.match(text):
        raise ValueError(f"địa chỉ thư điện tử '{text}' không hợp lệ")
    return text


def parse_phone(text: str) -> str:
    """Digits with optional ``+``, spaces, dots, dashes, parentheses; kept as written."""
    digits = re.sub(r"\D", "", text)
    if not _PHONE.match(text) or not 8 <= len(digits) <= 12:
        raise ValueError(f"số điện thoại '{text}' không hợp lệ; viết trong dấu nháy, ví dụ \"0296 3800 000\"")
    return text


def parse_money(text: str) -> int:
    """An amount in đồng: digits, optionally grouped by dots (``1.250.000``)."""
    if not _MONEY.match(text):
        raise ValueError(f"số tiền '{text}' không hợp lệ; chỉ ghi chữ số, ví dụ 1250000 hoặc 1.250.000")
    return int(text.replace(".", ""))


def parse_slug(text: str) -> str:
    if not _SLUG.match(text):
        raise ValueError(f"'{text}' không hợp lệ; chỉ dùng chữ thường không dấu, số và dấu '-'")
    return text


def parse_idpath(text: str) -> str:
    """One or more slugs separated by ``/`` (the record's URL below its category)."""
    parts = text.split("/")
    if not all(_SLUG.match(p) for p in parts) or "index" in parts:
        raise ValueError(
            f"mã '{text}' không hợp lệ; chỉ dùng chữ thường không dấu, số, '-' và '/' (không dùng 'index')"
        )
    return text


def parse_text(text: str) -> str:
    if not text.strip():
        raise ValueError("không được để trống")
    return text


PARSERS: dict[str, Callable[[str], Any]] = {
    "text": parse_text,
    "markdown": str,
    "date": parse_date,
    "time": parse_time,
    "month": parse_month,
    "int": parse_int,
    "year": parse_year,
    "bool": parse_bool,
    "url": parse_url,
    "email": parse_email,
    "phone": parse_phone,
    "money": parse_money,
    "slug": parse_slug,
    "idpath": parse_idpath,
}
"""Scalar type name (as written in category files) -> parser."""


# --- time: the office's clock is Asia/Ho_Chi_Minh ------------------------------------


def today(timezone: str = TIMEZONE) -> dt.date:
    """Today's date in the office's time zone (not the machine's)."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def now_rfc3339(timezone: str = TIMEZONE) -> str:
    """The current time, to the second, with the office's UTC offset."""
    return dt.datetime.now(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


def parse_instant(text: str) -> dt.datetime:
    """An RFC 3339 time with offset (the log's ``at``); a time without offset is an error."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("thiếu múi giờ")
    return value


def local_time(at: str, timezone: str = TIMEZONE) -> dt.datetime:
    """An RFC 3339 time as the office's clock shows it."""
    return parse_instant(at).astimezone(ZoneInfo(timezone))


def local_date(at: str, timezone: str = TIMEZONE) -> dt.date:
    """The calendar date of ``at`` in the office's time zone."""
    return local_time(at, timezone).date()


def format_date(value: dt.date | None) -> str:
    """dd/mm/yyyy, as shown everywhere on the site."""
    return value.strftime("%d/%m/%Y") if value else ""


def format_datetime(value: dt.datetime) -> str:
    """dd/mm/yyyy HH:MM."""
    return value.strftime("%d/%m/%Y %H:%M")


def format_local(at: str, timezone: str = TIMEZONE, with_time: bool = False) -> str:
    """A log time as the office reads it: dd/mm/yyyy (HH:MM) in its time zone."""
    moment = local_time(at, timezone)
    return format_datetime(moment) if with_time else format_date(moment.date())


# --- sizes and letters ----------------------------------------------------------------


def human_size(size: int) -> str:
    """Bytes as Vietnamese shows them: ``12,3 KB`` (1 KB = 1024 bytes)."""
    value = float(size)
    for unit in ("byte", "KB", "MB"):
        if value < 1024:
            text = f"{value:.0f}" if unit == "byte" else f"{value:.1f}"
            return f"{text.replace('.', ',')} {unit}"
        value /= 1024
    return f"{value:.1f} GB".replace(".", ",")


class _Unmarked(dict):
    """Code point -> its NFKD decomposition without combining marks, worked out the first
    time a character is met (a table for :meth:`str.translate`)."""

    def __missing__(self, code: int) -> str:
        out = "".join(c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c))
        self[code] = out
        return out


_UNMARKED = _Unmarked()


def fold(text: str) -> str:
    """Lowercase without diacritics: ``Đường dây nóng`` -> ``duong day nong`` (``đ`` -> ``d``).

    The same as NFKD of the lowercased text without its combining marks: decomposition
    works character by character, and canonical reordering only moves combining marks,
    which are all dropped. Lowercasing stays on the whole text (a final ``Σ`` becomes ``ς``)."""
    text = text.lower()
    if text.isascii():
        return text
    return text.replace("đ", "d").translate(_UNMARKED)


def slugify(text: str) -> str:
    """A URL-safe name: ASCII letters and digits joined by ``-`` (``Lịch tháng 5`` -> ``lich-thang-5``)."""
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in fold(text))
    return "-".join(part for part in out.split("-") if part)


def format_money(value: int) -> str:
    """``1250000`` -> ``1.250.000`` (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    """A cell for a CSV file that a spreadsheet opens: text starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so that it is shown as
    text and never run as a formula (OWASP, CSV injection). Other values are unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


class SpreadsheetWriter:
    """:func:`csv.writer` whose text cells pass through :func:`spreadsheet_text`."""

    def __init__(self, stream: Any):
        self._writer = csv.writer(stream)

    def writerow(self, row: Any) -> Any:
        return self._writer.writerow([spreadsheet_text(cell) for cell in row])
