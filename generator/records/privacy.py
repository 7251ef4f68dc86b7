"""Privacy guard: personal data never reaches the public site.

Run by ``congkhai check``, ``build`` and ``publish`` over every public record (each text
value with its field path and line, and the body) and the hand-written pages, and by
``build``/``publish`` again over every text file of the built site (``.html``, ``.xml``,
``.json``, ``.ics``, ``.jsonl``, ``.csv``, ``.txt``). A hit is a
:class:`~generator.core.errors.Problem` that shows the match masked (``0912 *** ***``), never
in full.

What is looked for (every record; Nghị định 13/2023, Luật Bảo vệ dữ liệu cá nhân 2025):

- **CCCD**: 12 digits in a row (or 12 digits in groups separated by spaces or dots when
  the first digit is 0, like ``001 234 567 890``);
- **CMND**: 9 digits in a row (or grouped, starting with 0);
- **phone numbers**: ``0`` followed by 9 or 10 more digits (mobile 10 digits, landline
  11 digits), or ``+84``/``(+84)``/``0084`` followed by 9 or 10 digits; single spaces,
  dots or dashes may separate groups (``0912 345 678``, ``0912.345.678``,
  ``+84 912-345-678``, ``0296 3 123 456``); the first group after ``0`` has at least
  three digits;
- **e-mail addresses**;
- **dates of birth**: ``ngày sinh``, ``năm sinh``, ``sinh ngày``, ``sinh năm``, ``SN``
  followed by a date or a year, and a personal name (a common family name followed by
  one to three capitalised words) followed by ``,``, ``(`` or a dash and a date whose
  year is at least 14 years ago.

A digit run counts only between non-alphanumeric boundaries, and not when it continues
a number (``1.009763``, ``45/TB-BQLKKT``, ``1.250.000.000``, ``05/06/2026``,
SHA-256 hex and ISO times are not hits); 9 or 12 digits followed by ``đồng``, ``đ``,
``VND`` or ``VNĐ``, or ending in five zeros (``500000000``), are an amount, not an ID.
Ten digits right after ``mã số thuế``, ``MST`` or ``mã số doanh nghiệp`` are an
enterprise's code (public in procurement results), not a phone number, except under the
strictest rule below, where a person's tax code could be meant.

**Allow-list** (``privacy_allow`` of the ``congkhai`` plugin in ``mkdocs.yml``): the
office's own phone numbers and e-mail addresses. Numbers are compared by their digits
(``0296 3 123 456`` = ``02963123456`` = ``+84 296 3123 456``), e-mails without regard to
case; an entry ``@domain`` allows every address of that domain. Addresses at the host of
``site_url`` are always allowed (calendar UIDs look like e-mail addresses).

**Strictest rule** for the records a category file holds to it (``privacy: {strict:
true}``, or ``privacy: {strict_kinds: [...]}``); as shipped, citizen-reception minutes
(``tiep-cong-dan`` kind ``bien-ban``) and every ``phong-chong-tham-nhung`` record (Luật
Tố cáo 2018 Điều 8, Luật Tiếp công dân 2013): the allow-list applies only to the official hotline's values (phones and e-mails
of public records of a hotline category, that are also allow-listed), and also flagged
are personal names (``ông``, ``bà``, ``anh``, ``chị``, ``cô``, ``chú``, ``công dân``
followed by a capitalised word that is not a title such as ``Trưởng``/``Phó``, and a
family name followed by ``Văn``/``Thị`` and a capitalised word) and addresses
(``số nhà``/``nhà số`` + number, ``ấp``/``khóm``/``tổ``/``tổ dân phố``/``khu phố``/
``hẻm``/``ngõ``/``ngách``/``kiệt`` + number, ``ấp``/``khóm`` + a capitalised name,
``số`` + number + ``đường``/``phố``).

**Asset declarations** (Nghị định 130/2020 Điều 11: posted at the office or read at a
meeting, never on the website): a public record is refused when its title or summary is
or lists the declarations themselves (starts with "bản kê khai", "danh sách … kê khai tài
sản", "kê khai tài sản … của ông/bà/…", the record of posting the declarations
"kết quả/biên bản niêm yết … bản kê khai"), when its kind slug contains ``ke-khai``, or when
its body mentions "kê khai" together with a person's details ("họ và tên", "họ tên") or
with two or more headings of the declaration form (quyền sử dụng đất, nhà ở, kim khí
quý/đá quý, tiền, tài khoản ở nước ngoài, tổng thu nhập…). A report of counts ("Báo cáo
kết quả kê khai tài sản năm 2025": how many declared, on time) is allowed; the posting
itself is kept as an ``internal`` record.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from generator.core import parallel, paths
from generator.core.errors import Problem
from generator.core.values import today as office_today
from generator.core.yamltext import Path as FieldPath
from generator.core.yamltext import field_name, read_yaml
from generator.records.category_file import CATEGORY_FILE

if TYPE_CHECKING:
    from generator.records.record import Record

SITE_SUFFIXES = (".html", ".xml", ".json", ".ics", ".jsonl", ".csv", ".txt")
"""Text files of the built site that are scanned after a build."""

LAW = "Nghị định 13/2023, Luật Bảo vệ dữ liệu cá nhân 2025"
STRICT_LAW = "Luật Tố cáo 2018 Điều 8, Luật Tiếp công dân 2013"

# --- patterns -------------------------------------------------------------------------

_NOT_CONTINUING = r"(?<![\w+])(?<!\d[.,/-])"  # not inside a word or a longer number
_END = r"(?!\w)(?![.,/-]\d)"
_BUSINESS_CODE = re.compile(
    r"(?:mã\s+số\s+thuế|(?<!\w)MST|mã\s+số\s+doanh\s+nghiệp|(?<!\w)MSDN|mã\s+số\s+DN)\s*(?:là\s*)?[:.]?\s*$",
    re.IGNORECASE,
)
"""Words before an enterprise code (mã số thuế / mã số doanh nghiệp: 10 digits, public in
procurement results), which can look like a mobile number (``0301234567``)."""
_CURRENCY = re.compile(r"\s*(?:đồng|đ|vnđ|vnd)(?!\w)", re.IGNORECASE)

STARTS: dict[re.Pattern[str], str] = {}
"""Each pattern below that begins with a look-ahead at the characters a hit can start with,
and the same pattern without it (for the tests). A pattern that begins with a look-behind
makes the regular expression engine try it at every character; the look-ahead lets it skip
to the possible starts, with the same hits, in about half the time."""


def _starting(chars: str, pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``pattern``, whose hits all begin with one of ``chars`` (under ``flags``)."""
    compiled = re.compile(f"(?=[{chars}])" + pattern, flags)
    STARTS[compiled] = pattern
    return compiled


_PHONE = _starting(
    r"(+0",
    _NOT_CONTINUING + r"(?:(?:\(\+84\)|\+84|0084)[ .-]?\d(?:[ .-]?\d){8,9}" + r"|0\d{2}(?:[ .-]?\d){7,8})" + _END,
)
_CCCD = _starting(r"\d", _NOT_CONTINUING + r"(?<!\d )(?:\d{12}|0\d{2,3}(?:[ .]\d{3,4}){2,3})" + _END)
_CMND = _starting(r"\d", _NOT_CONTINUING + r"(?<!\d )(?:\d{9}|0\d{2}(?:[ .]\d{3}){2})" + _END)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
"""Looked for only in a text with an '@'."""

_DATE = r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*(?:19|20)\d{2}"
_DOB_KEYWORD = _starting(
    "ns",
    r"(?<!\w)(?:ngày,?\s*tháng,?\s*năm\s+sinh|ngày\s+sinh|năm\s+sinh|sinh\s+ngày|sinh\s+năm|sn)"
    + r"\s*[:.-]?\s*(?P<value>"
    + _DATE
    + r"|(?:19|20)\d{2})(?!\w)",
    re.IGNORECASE,
)
_FAMILY = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Đoàn|Lâm|Trương|Tạ|Cao|"
    "Châu|Lưu|Tô|Thái|Quách|Lương|Kiều|Tăng|Triệu|Trịnh|Mạc|Từ|Lạc|Thạch|Danh|Chau|Néang"
)
_FAMILY_FIRST = "".join(sorted({name[0] for name in _FAMILY.split("|")}))
_WORD = r"[^\W\d_]+"
_NAME_DATE = _starting(
    _FAMILY_FIRST,
    rf"(?<!\w)(?P<name>(?:{_FAMILY})(?:\s+{_WORD}){{1,3}})\s*(?:,|\(|–|-)\s*(?:sinh\s+)?(?P<value>{_DATE}|(?:19|20)\d{{2}})(?!\w)",
)
_HONORIFIC = _starting(
    "ôbac",
    r"(?<!\w)(?P<key>ông|bà|anh|chị|cô|chú|công dân)\s+(?P<rest>[^\W\d_]+(?:\s+[^\W\d_]+){0,3})",
    re.IGNORECASE,
)
_FAMILY_NAME = _starting(_FAMILY_FIRST, rf"(?<!\w)(?:{_FAMILY})\s+(?:Văn|Thị)\s+{_WORD}(?:\s+{_WORD})?")
_ADDRESS = _starting(
    "snktấh",
    r"(?<!\w)(?:(?:số\s+nhà|nhà\s+số)\s*\d+[\w/]*"
    r"|(?:tổ\s+dân\s+phố|khu\s+phố|ấp|khóm|tổ|hẻm|ngõ|ngách|kiệt)\s+(?:số\s+)?\d+[\w/]*"
    r"|số\s+\d+[\w/]*\s*,?\s+(?:đường|phố)\s+\w+)",
    re.IGNORECASE,
)
_HAMLET = _starting("ấk", r"(?<!\w)(?:ấp|khóm)\s+(?P<rest>[^\W\d_]+(?:\s+[^\W\d_]+){0,2})", re.IGNORECASE)

_TITLE_WORDS = {
    "Trưởng", "Phó", "Chánh", "Giám", "Chủ", "Bí", "Tổng", "Thanh", "Việt", "Ban", "Phòng", "Văn", "Ủy", "Uỷ",
    "Hội", "Đội", "Tổ", "Thủ", "Cục", "Vụ", "Kế", "Chuyên", "Thư", "Công", "Đại", "Người", "Nhà", "Doanh",
    "Cán", "Viên", "Đảng", "Nhân", "Trung", "Tỉnh", "Huyện", "Xã", "Phường", "Thành", "Sở", "Bộ", "Hiệu",
    "Kiểm", "Điều", "Luật", "Nam", "Nữ", "Lãnh", "Đoàn", "Ủy-ban", "Chi", "Trợ",
}  # fmt: skip
_PLACE_AFTER_HONORIFIC = {"Rịa", "Đen", "Chiểu", "Triệu", "Điểm", "Hạt", "Quẹo"}

_DIGIT_OR_AT = re.compile(r"[\d@]")
"""Every hit of :func:`find` outside the strictest rule holds one of these (an e-mail's
'@', the digits of a number or a date); names and addresses need not."""

_KIND_LABELS = {
    "cccd": "số căn cước công dân",
    "cmnd": "số chứng minh nhân dân",
    "phone": "số điện thoại",
    "email": "địa chỉ thư điện tử",
    "dob": "ngày sinh",
    "name": "họ tên người",
    "address": "địa chỉ",
}


# --- allow-list -----------------------------------------------------------------------


def phone_digits(text: str) -> str:
    """The national form of a phone number's digits: ``+84 296 3123 456`` -> ``02963123456``."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0084"):
        return "0" + digits[4:]
    if text.lstrip().startswith(("+84", "(+84)")):
        return "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class Allow:
    """Values that may be published: the office's own numbers and e-mail addresses."""

    numbers: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def for_settings(cls, settings: Any) -> Allow:
        """The configured allow-list plus the site's own host (``…@<host of site_url>``
        are identifiers such as calendar UIDs, not someone's mailbox)."""
        host = urlsplit(settings.site_url or "").hostname
        return cls.of([*settings.privacy_allow, *([f"@{host}"] if host else [])])

    @classmethod
    def of(cls, entries: Iterable[str]) -> Allow:
        numbers, emails, domains = set(), set(), set()
        for entry in entries:
            entry = unicodedata.normalize("NFC", str(entry)).strip()
            if entry.startswith("@"):
                domains.add(entry[1:].lower())
            elif "@" in entry:
                emails.add(entry.lower())
            elif re.sub(r"\D", "", entry):
                numbers.add(phone_digits(entry))
        return cls(frozenset(numbers), frozenset(emails), frozenset(domains))

    def allows(self, kind: str, value: str) -> bool:
        if kind == "email":
            low = value.lower()
            return low in self.emails or low.rsplit("@", 1)[-1] in self.domains
        if kind in ("phone", "cccd", "cmnd"):
            return phone_digits(value) in self.numbers
        return False

    def only(self, values: Iterable[str]) -> Allow:
        """The part of this allow-list that is among ``values`` (no domain entries)."""
        picked = Allow.of(values)
        return Allow(self.numbers & picked.numbers, self.emails & picked.emails, frozenset())


# --- finding and masking --------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    kind: str
    start: int
    end: int
    masked: str

    @property
    def label(self) -> str:
        return _KIND_LABELS[self.kind]


def mask(kind: str, value: str) -> str:
    """Show enough to find the value, never the value: ``0912 345 678`` -> ``0912 *** ***``,
    ``nguyen@gmail.com`` -> ``n***@***.com``, names -> initials, dates -> ``**/**/****``."""
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@***.{domain.rsplit('.', 1)[-1]}"
    if kind in ("phone", "cccd", "cmnd"):
        return value[:4] + "".join("*" if c.isdigit() else c for c in value[4:])
    if kind == "dob":
        return "".join("*" if c.isdigit() else c for c in value)
    # names and addresses: keep the leading keyword words in lower case, initials of the rest
    out = []
    for word in value.split():
        if word[:1].isupper() or any(c.isdigit() for c in word):
            out.append(word[:1] + "***" if word[:1].isalpha() else "*" * len(word))
        else:
            out.append(word)
    return " ".join(out)


def _capitalised(rest: str) -> list[str]:
    words = []
    for word in rest.split():
        if not word[:1].isupper():
            break
        words.append(word)
    return words


def _sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t")
    return not before or before[-1] in ".!?:;\n-–(\"'*"


def find(text: str, allow: Allow = Allow(), strict: bool = False, today: dt.date | None = None) -> list[Hit]:
    """Personal data in ``text`` (NFC), not covered by ``allow``; ``strict`` adds names and
    addresses. Overlapping hits are reported once (the first, longest)."""
    text = unicodedata.normalize("NFC", text)
    if not strict and not _DIGIT_OR_AT.search(text):
        return []  # every hit outside the strictest rule holds a digit or an '@'
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, masked: str | None = None) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        taken.append((start, end))
        hits.append(Hit(kind, start, end, masked or mask(kind, text[start:end])))

    for match in _EMAIL.finditer(text) if "@" in text else ():
        if not allow.allows("email", match.group()):
            add("email", match.start(), match.end())
    for kind, pattern in (("phone", _PHONE), ("cccd", _CCCD), ("cmnd", _CMND)):
        for match in pattern.finditer(text):
            value = match.group()
            if (
                not strict
                and len(re.sub(r"\D", "", value)) == 10
                and _BUSINESS_CODE.search(text, max(0, match.start() - 40), match.start())
            ):
                continue  # an enterprise's tax code in a procurement result, not a phone
            if kind != "phone" and (
                _CURRENCY.match(text, match.end())
                or len(re.sub(r"\D", "", value)) != (12 if kind == "cccd" else 9)
                or value.endswith("00000")
            ):
                continue
            if not allow.allows(kind, value):
                add(kind, match.start(), match.end())
    for match in _DOB_KEYWORD.finditer(text):
        start = match.start("value")
        add("dob", match.start(), match.end(), text[match.start() : start] + mask("dob", match["value"]))
    year_limit = (today or office_today()).year - 14
    for match in _NAME_DATE.finditer(text):
        if match["name"].startswith("Hồ Chí Minh") or int(match["value"][-4:]) > year_limit:
            continue
        add("dob", match.start(), match.end(), mask("name", match["name"]) + ", " + mask("dob", match["value"]))
    if strict:
        for match in _HONORIFIC.finditer(text):
            key = match["key"]
            if key[0].isupper() and not _sentence_start(text, match.start()):
                continue  # "Bà Rịa", a capitalised place or title mid-sentence
            words = _capitalised(match["rest"])
            if not words or words[0] in _TITLE_WORDS or words[0] in _PLACE_AFTER_HONORIFIC:
                continue
            end = match.start("rest") + len(" ".join(words))
            add("name", match.start(), end, key + " " + mask("name", " ".join(words)))
        for match in _FAMILY_NAME.finditer(text):
            add("name", match.start(), match.end())
        for match in _ADDRESS.finditer(text):
            add("address", match.start(), match.end())
        for match in _HAMLET.finditer(text):
            words = _capitalised(match["rest"])
            if words:
                end = match.start("rest") + len(" ".join(words))
                add("address", match.start(), end)
    return sorted(hits, key=lambda h: h.start)


def message(hit: Hit, strict: bool) -> str:
    """The Vietnamese message for one hit (masked value only)."""
    if strict:
        return (
            f"có {hit.label} {hit.masked}; biên bản tiếp công dân và hồ sơ phòng, chống tham nhũng phải giữ bí mật "
            f"danh tính công dân, người tố cáo ({STRICT_LAW}): chỉ ghi số đường dây nóng chính thức, không ghi tên, "
            "số giấy tờ, điện thoại, địa chỉ"
        )
    text = f"có {hit.label} {hit.masked}; thông tin cá nhân không được công khai ({LAW}): hãy xóa"
    if hit.kind in ("phone", "email"):
        text += ", hoặc nếu là số điện thoại, thư điện tử chính thức của cơ quan thì thêm vào privacy_allow trong mkdocs.yml"
    return text


# --- records --------------------------------------------------------------------------


def is_strict(record: Record) -> bool:
    """Records held to the strictest rule, as their category says (``privacy:`` of the
    category file): reception minutes, anti-corruption records."""
    return record.category.is_strict(record.kind)


def strings(value: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every text value inside a record's data, with its field path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from strings(sub, (*path, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from strings(sub, (*path, index))


def text_line(first: int, text: str, pos: int, block: bool) -> int:
    """The line of ``pos`` in a value that starts on line ``first`` (``block``: the text
    starts on the line after its key, as a ``|`` block or a Markdown body)."""
    newlines = text.count("\n", 0, pos)
    return first + newlines + (1 if block and "\n" in text.rstrip("\n") else 0)


def hotline_values(records: Iterable[Record]) -> list[str]:
    """Phones and e-mails published by public records of hotline categories."""
    values = []
    for record in records:
        contact = record.category.contact(record.data) if record.public else None
        if contact is not None:
            values += contact.values
    return values


STRICT_BORDER = "\n<\n"
"""Joins a strict record's values for one call of :func:`find` with ``strict``: no pattern
crosses a '<' (names and addresses are letters, digits and spaces), every look-around
treats the line ends around it as it treats the ends of a text, and a line end starts a
sentence as the start of a text does; so the joined text has exactly the hits of the
values, each alone (``tests/test_privacy_scan.py`` checks it on random text)."""


def record_problems(record: Record, allow: Allow, strict_allow: Allow, today: dt.date | None = None) -> list[Problem]:
    """Personal data in a public record's values and body."""
    strict = is_strict(record)
    use = strict_allow if strict else allow
    # every value looked at in one call; each one alone only when that call finds something
    values = [value for path, value in strings(record.data) if path != ("body",)] + [record.body or ""]
    if strict:
        if not find(STRICT_BORDER.join(values), use, True, today):
            return []
    else:  # most records (see SiteScanner)
        holding = [value for value in values if _DIGIT_OR_AT.search(value) is not None]
        if not holding or not find("<".join(holding), use, False, today):
            return []
    problems = []
    for path, value in strings(record.data):
        if path == ("body",):
            continue
        for hit in find(value, use, strict, today):
            line = text_line(record.line(path), value, hit.start, "\n" in value)
            problems.append(Problem(record.relpath, line, field_name(path), message(hit, strict)))
    if record.body:
        for hit in find(record.body, use, strict, today):
            line = record.body_line + record.body.count("\n", 0, hit.start)
            problems.append(Problem(record.relpath, line, "body", message(hit, strict)))
    return problems


_ASSET_TITLE = [
    re.compile(r"^\W*(?:công\s+khai\s+|niêm\s+yết\s+|đăng\s+)?(?:các\s+|toàn\s+bộ\s+)?bản\s+kê\s+khai", re.I),
    re.compile(r"danh\s+sách[^.;\n]{0,80}kê\s+khai\s+tài\s+sản", re.I),
    re.compile(r"kê\s+khai\s+tài\s+sản[^.;\n]{0,60}\bcủa\s+(?:ông|bà|đồng\s+chí|anh|chị|các\s+ông|người)\b", re.I),
    re.compile(r"(?:kết\s+quả|biên\s+bản|thông\s+báo)\s+(?:việc\s+)?niêm\s+yết[^.;\n]{0,60}bản\s+kê\s+khai", re.I),
]
_ASSET_FORM = [
    r"quyền\s+sử\s+dụng\s+(?:thực\s+tế\s+)?(?:đối\s+với\s+)?đất",
    r"nhà\s+ở,?\s+công\s+trình\s+xây\s+dựng",
    r"kim\s+khí\s+quý|đá\s+quý",
    r"tiền\s*\(tiền\s+việt\s+nam|ngoại\s+tệ",
    r"tài\s+khoản\s+ở\s+nước\s+ngoài|tài\s+sản\s+ở\s+nước\s+ngoài",
    r"tổng\s+thu\s+nhập\s+giữa\s+hai\s+lần\s+kê\s+khai",
    r"cổ\s+phiếu,?\s+trái\s+phiếu",
]
_PERSON_COLUMN = re.compile(r"họ\s+(?:và\s+)?tên", re.I)

ASSET_MESSAGE = (
    "có vẻ là bản kê khai tài sản, thu nhập ({why}); theo Điều 11 Nghị định 130/2020/NĐ-CP bản kê khai chỉ được "
    "niêm yết tại cơ quan hoặc công bố tại cuộc họp, không đăng trên trang thông tin điện tử. Hãy đặt "
    "visibility: internal và chỉ ghi việc niêm yết (ngày, số bản, biên bản)"
)


def asset_declaration_problems(record: Record) -> list[Problem]:
    """A public record that looks like a published asset declaration (see module doc)."""
    for name in ("title", "summary"):
        value = record.data.get(name)
        if isinstance(value, str) and any(p.search(value) for p in _ASSET_TITLE):
            return [record.problem((name,), ASSET_MESSAGE.format(why=f"{name} nói về các bản kê khai"))]
    if record.kind and "ke-khai" in record.kind:
        return [record.problem(("kind",), ASSET_MESSAGE.format(why=f"loại '{record.kind}'"))]
    body = record.body or ""
    if re.search(r"kê\s+khai", body, re.I):
        form = sum(1 for p in _ASSET_FORM if re.search(p, body, re.I))
        if _PERSON_COLUMN.search(body) or form >= 2:
            why = (
                "nội dung có họ tên người kê khai"
                if _PERSON_COLUMN.search(body)
                else "nội dung có các mục của mẫu kê khai"
            )
            return [Problem(record.relpath, record.body_line, "body", ASSET_MESSAGE.format(why=why))]
    return []


def content_problems(docs_dir: Path, root: Path, allow: Allow, today: dt.date | None = None) -> list[Problem]:
    """Personal data in the hand-written pages (``content/**/*.md``)."""
    problems = []
    if not docs_dir.is_dir():
        return problems
    for path in sorted(docs_dir.rglob("*.md")):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # the site engine reports unreadable pages
        rel = paths.relpath(path, root)
        for hit in find(text, allow, False, today):
            line = text.count("\n", 0, hit.start) + 1
            problems.append(Problem(rel, line, "trang", message(hit, False)))
    return problems


def category_file_problems(disclosures: Path, root: Path, allow: Allow, today: dt.date | None = None) -> list[Problem]:
    """Personal data in an office's category files (``<slug>/_category.yml``): their
    titles, labels and help reach every page's menu and the staff guide."""
    problems = []
    for path in sorted(disclosures.glob(f"*/{CATEGORY_FILE}")) if disclosures.is_dir() else []:
        rel = paths.relpath(path, root)
        value, lines, _ = read_yaml(path.read_text(encoding="utf-8-sig", errors="replace"), rel)
        for where, text in strings(value):
            for hit in find(text, allow, False, today):
                line = text_line(_field_line(lines, where), text, hit.start, False)
                problems.append(Problem(rel, line, field_name(where), message(hit, False)))
    return problems


def _field_line(lines: dict[FieldPath, int], path: FieldPath) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


# --- the built site -------------------------------------------------------------------

_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL | re.IGNORECASE)


def site_text(path: Path) -> str:
    """A built file's text as it is scanned: icons (inline ``<svg>``) blanked in HTML,
    entities decoded in HTML and XML, folded lines joined in iCalendar files."""
    return file_text(path.read_bytes(), path.suffix)


def file_text(data: bytes, suffix: str) -> str:
    """:func:`site_text` of a file whose bytes are ``data`` (a file being written): decoded
    as Python reads a text file (UTF-8, bad bytes replaced, every line end made ``\\n``)."""
    text = data.decode("utf-8", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return built_text(text, suffix)


def built_text(text: str, suffix: str) -> str:
    """:func:`site_text` of a file's text already in hand (a page as the engine writes it)."""
    suffix = suffix.lower()
    if suffix == ".html":
        text = _SVG.sub(lambda m: "\n" * m.group().count("\n"), text)
    if suffix in (".html", ".xml"):
        text = html.unescape(text)
    if suffix == ".ics":  # unfold long lines, or a number could hide across a fold
        text = re.sub(r"\r?\n[ \t]", "", text).replace("\r\n", "\n")
    return text


def made_problems(scanner: SiteScanner, content: str | bytes, suffix: str, shown_as: str) -> list[Problem]:
    """The problems of one built file as it is written: ``content`` is its text as the
    engine writes it (a page) or its bytes, read as :func:`site_text` would read the file
    back; ``shown_as`` names it in the messages. The one scan of a made file, for the build's
    pages, its other files and the preview's pages alike."""
    text = built_text(content, suffix) if isinstance(content, str) else file_text(content, suffix)
    return [
        Problem(shown_as, text.count("\n", 0, hit.start) + 1, "trang đã dựng", message(hit, False))
        for hit in scanner.find(text)
    ]


def text_problems(scanner: SiteScanner, content: str | bytes, path: Path, root: Path) -> list[Problem]:
    """:func:`made_problems` of the file written at ``path``, named as below ``root``."""
    return made_problems(scanner, content, path.suffix, paths.relpath(path, root))


def site_problems(
    site_dir: Path,
    allow: Allow,
    root: Path,
    today: dt.date | None = None,
    scanned: dict[str, list[Problem]] | None = None,
) -> list[Problem]:
    """Personal data in any text file of a built site. Icons (inline ``<svg>``) are
    skipped: their geometry is numbers, not text. Entities are decoded in HTML and XML,
    folded lines joined in iCalendar files. ``scanned``: files already scanned as they were
    written (their path -> their problems), not read again."""
    scanned = scanned or {}
    files = [p for p in sorted(site_dir.rglob("*")) if p.suffix.lower() in SITE_SUFFIXES and p.is_file()]
    unread = [p for p in files if str(p) not in scanned]

    def scan(chunk: Sequence[Path]) -> list[list[Problem]]:
        scanner = SiteScanner(allow, today)
        return [text_problems(scanner, site_text(path), path, root) for path in chunk]

    found = dict(scanned)
    workers = parallel.pays(len(unread), PARALLEL_FROM)
    chunks = parallel.chunks(unread, workers) if workers else [unread]
    with parallel.fork_map(scan, chunks, workers) as results:
        for chunk, each in zip(chunks, results, strict=True):
            found.update(zip(map(str, chunk), each, strict=True))
    return [problem for path in files for problem in found[str(path)]]


_DIGIT_OR_AT = re.compile(r"[\d@]")
_PIECE = re.compile(r'(?<![^<>"])[^<>"]*?[\d@][^<>"]*')
"""A piece of text between two of ``<``, ``>``, ``"`` (or the ends) that holds a digit or
an '@'. No pattern of :func:`find` outside the strictest rule consumes one of these three
characters, and none of its look-arounds tells one of them from the end of the text, so a
hit never spans two pieces and a piece gives the same hits alone as inside the page.
(Whitespace is not a border: ``\\s`` can match a line end, so a number, a date of birth
or the words before an enterprise code may run over several lines.) The lazy scan stops
at the first digit or '@', and the look-behind fails at once inside a piece, so finding
the pieces is linear in the text."""


CLEAN_KEPT = 50_000


class SiteScanner:
    """:func:`find` (not strict) over many pages with the same allow-list: each page is
    cut into :data:`_PIECE` pieces and each distinct piece is looked at once (the theme's
    header, menu and footer repeat on every page). Same hits, same order, as
    ``find(text, allow, False, today)`` on the whole page.

    A page is first cut at every border (``<``, ``>``, ``"``); when each stretch is already
    known clean, or holds no digit nor '@', or is a piece with no hit, the page has no hit
    and that is the answer. Only a page with a hit is walked piece by piece for the hits'
    places."""

    def __init__(self, allow: Allow, today: dt.date | None = None):
        self.allow = allow
        self.today = today or office_today()
        self.seen: dict[str, list[Hit]] = {}
        self.clean: set[str] = set()
        """Stretches between two borders known to hold nothing: a page made only of these
        (most of a page is the theme's, the same on every page) is passed with set
        operations in C, without a regular expression over the whole of it. Emptied when it
        holds :data:`CLEAN_KEPT` of them, so that a build of many pages keeps little."""

    def find(self, text: str) -> list[Hit]:
        text = unicodedata.normalize("NFC", text)
        unknown = set(text.replace(">", "<").replace('"', "<").split("<"))  # cut at every border, in C
        unknown -= self.clean
        new: list[str] = []
        for piece in unknown:
            if _DIGIT_OR_AT.search(piece) is None:
                self.clean.add(piece)
            elif piece not in self.seen:
                new.append(piece)
            elif self.seen[piece]:
                return self._hits(text)
            else:
                self.clean.add(piece)
        # the new pieces looked at in one call: joined by a border, which no hit spans, they
        # hold the hits of each piece alone; none (nearly always): all clean
        if new and find("<".join(new), self.allow, False, self.today):
            for piece in new:
                self.seen[piece] = find(piece, self.allow, False, self.today)
            return self._hits(text)
        self.clean.update(new)
        if len(self.clean) > CLEAN_KEPT:
            self.clean.clear()
        return []

    def _hits(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        for match in _PIECE.finditer(text):
            piece = match.group()
            found = self.seen.get(piece)
            if found is None:
                if not unicodedata.is_normalized("NFC", piece):  # cannot happen (the page is NFC)
                    return find(text, self.allow, False, self.today)
                found = self.seen[piece] = find(piece, self.allow, False, self.today)
            offset = match.start()
            hits += [Hit(h.kind, h.start + offset, h.end + offset, h.masked) for h in found]
        return hits


PARALLEL_FROM = 500
"""Fewer public records than this are checked in the process itself."""


@dataclass
class Guard:
    """The allow-lists for one project."""

    allow: Allow
    strict_allow: Allow
    today: dt.date | None = field(default=None)

    @classmethod
    def for_records(cls, settings: Any, records: Iterable[Record], today: dt.date | None = None) -> Guard:
        allow = Allow.for_settings(settings)
        return cls(allow, allow.only(hotline_values(records)), today)

    def check(self, records: Iterable[Record], memo: dict[int, Any] | None = None) -> list[Problem]:
        """The problems of every public record, in the order of ``records``; from
        :data:`PARALLEL_FROM` public records on, shared among processes
        (:mod:`generator.core.parallel`). ``memo`` (kept by the preview between loads): a record
        object already checked with the same allow-lists and day is not checked again."""
        records = list(records)
        public = [record for record in records if record.public]
        key = (self.allow, self.strict_allow, self.today)
        known = {}
        if memo is not None:
            for record in public:
                entry = memo.get(id(record))
                if entry is not None and entry[0] is record and entry[1] == key:
                    known[id(record)] = entry[2]
        unknown = [record for record in public if id(record) not in known]
        with parallel.fork_map(self._record, unknown, parallel.pays(len(unknown), PARALLEL_FROM)) as found:
            for record, each in zip(unknown, found, strict=True):
                known[id(record)] = each
                if memo is not None:
                    memo[id(record)] = (record, key, each)
        if memo is not None:  # forget records that are gone
            for gone in memo.keys() - {id(r) for r in records}:
                del memo[gone]
        problems = []
        for record in public:
            problems += known[id(record)]
        return problems

    def _record(self, record: Record) -> list[Problem]:
        return record_problems(record, self.allow, self.strict_allow, self.today) + asset_declaration_problems(record)
