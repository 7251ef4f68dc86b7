"""Load disclosure records from ``disclosures/`` and validate them.

Pipeline: find files -> read bytes (UTF-8, BOM allowed, NFC) -> split front matter ->
YAML as text with lines -> JSON Schema of the category and kind -> typed values ->
rules across fields and files (attachments exist, ids unique, dates in order).
Every problem becomes ``path:line: field: message``; nothing here raises for bad input
except :class:`~generator.core.errors.CongkhaiError` carrying all the problems at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import os
import pickle
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from generator.core import filetypes, parallel, progress
from generator.core.errors import Problem
from generator.core.sanitize import html_problems
from generator.core.values import PARSERS, fold, human_size, slugify
from generator.core.values import today as office_today
from generator.core.yamltext import Path as FieldPath
from generator.core.yamltext import field_name, read_yaml
from generator.records.categories import Category
from generator.records.category_file import CATEGORY_FILE
from generator.records.checks import Check, run_checks
from generator.records.fields import Field
from generator.records.schema import validate_record
from generator.records.skeleton import PLACEHOLDER

RECORD_SUFFIXES = (".yml", ".yaml", ".md")
MAX_RECORD_BYTES = 1024 * 1024
"""A record file larger than this (1 MB) is refused before it is read."""
DEFAULT_MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024


@dataclass
class Attachment:
    """A file next to its record, published with it."""

    file: str
    title: str
    kind: str | None
    path: Path
    size: int
    sha256: str


@dataclass
class Record:
    """One disclosure: a validated record file."""

    category: Category
    id: str
    relpath: str
    path: Path
    data: dict[str, Any]
    body: str
    sha256: str
    lines: dict[FieldPath, int]
    attachments: list[Attachment] = field(default_factory=list)
    body_line: int = 1
    """The line of the record file where the body's first line is."""
    private: dict[str, Any] = field(default_factory=dict)
    """Values of fields marked ``private: true``: validated, never shown anywhere."""

    @property
    def key(self) -> str:
        """``<category>/<id>``, the record's name in the publication log."""
        return f"{self.category.slug}/{self.id}"

    @property
    def url_path(self) -> str:
        """The URL below the site root: ``<category>/<id>/``."""
        return f"{self.category.slug}/{self.id}/"

    @property
    def title(self) -> str:
        return self.data["title"]

    @property
    def kind(self) -> str | None:
        return self.data.get("kind")

    @property
    def public(self) -> bool:
        return self.data.get("visibility", "public") == "public"

    @property
    def sample(self) -> bool:
        return bool(self.data.get("sample"))

    @property
    def document(self) -> dict[str, Any]:
        return self.data.get("document") or {}

    @functools.cached_property
    def date(self) -> dt.date | None:
        """The date the record is filed under: the category's ``sort_date`` fields, then
        the document date, then ``valid_from`` (worked out once: a loaded record does not
        change)."""
        for name in [*self.category.sort_date, "document.date", "valid_from"]:
            value: Any = self.data
            for part in name.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, dt.date):
                return value
        return None

    def line(self, path: FieldPath) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: FieldPath, message: str) -> Problem:
        return Problem(self.relpath, self.line(path), field_name(path), message)


_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def read_text(raw: bytes, relpath: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (with or without BOM), normalise line ends and Unicode to NFC."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(relpath, 1, "record", "tệp được lưu bằng bảng mã UTF-16; hãy lưu lại với bảng mã UTF-8")]
    if b"\x00" in raw and _utf16_without_bom(raw):
        return None, [
            Problem(
                relpath, 1, "record", "tệp được lưu bằng bảng mã UTF-16 (không có BOM); hãy lưu lại với bảng mã UTF-8"
            )
        ]
    if b"\x00" in raw:
        return None, [Problem(relpath, 1, "record", "tệp nhị phân, không phải bản ghi văn bản")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(relpath, line, "record", "tệp không phải văn bản UTF-8; hãy lưu lại với bảng mã UTF-8")]
    if "\x00" in text:
        return None, [Problem(relpath, 1, "record", "tệp nhị phân, không phải bản ghi văn bản")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = _CONTROL.search(text)
    if control:
        char = control.group()
        line = text.count("\n", 0, control.start()) + 1
        return None, [
            Problem(
                relpath,
                line,
                "record",
                f"có ký tự điều khiển U+{ord(char):04X} (thường do dán từ Word hoặc bản quét); hãy xóa ký tự đó",
            )
        ]
    return unicodedata.normalize("NFC", text), []


def _utf16_without_bom(raw: bytes) -> bool:
    """Text saved as UTF-16 without its BOM (Notepad's "Unicode"): the high byte of most
    characters (ASCII, and Latin letters with accents) is zero, the low byte almost never,
    and it decodes to printable text."""
    head = raw[:4096]
    for offset, codec in ((1, "utf-16-le"), (0, "utf-16-be")):
        zeros = head[offset::2].count(0)
        if zeros * 2 >= len(head) // 2 and head[1 - offset :: 2].count(0) * 100 <= len(head) // 2:
            try:
                text = raw[: len(raw) // 2 * 2].decode(codec)
            except UnicodeDecodeError:
                return False
            return text.isprintable() or all(c.isprintable() or c in "\n\r\t" for c in text)
    return False


def split_front_matter(text: str, relpath: str) -> tuple[str, str, int, list[Problem]]:
    """Split a ``.md`` record into (front matter, body, line offset of the front matter)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return (
            "",
            "",
            0,
            [
                Problem(
                    relpath,
                    1,
                    "yaml",
                    "tệp .md phải bắt đầu bằng dòng --- rồi đến các trường YAML, kết thúc bằng dòng ---",
                )
            ],
        )
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "\n".join(lines[1:number]), "\n".join(lines[number + 1 :]).strip("\n"), 1, []
    return "", "", 0, [Problem(relpath, 1, "yaml", "thiếu dòng --- đóng phần đầu YAML")]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_record(
    path: Path,
    root: Path,
    category: Category,
    common: dict[str, Field],
    default_id: str,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    today: dt.date | None = None,
    others: dict[str, Category] | None = None,
) -> tuple[Record | None, list[Problem]]:
    """Read and validate one record file. ``others``: every category, to say which one a
    record put in the wrong folder belongs to; ``today``: for dates too far ahead."""
    relpath = unicodedata.normalize("NFC", path.relative_to(root).as_posix())
    size = path.stat().st_size
    if size > MAX_RECORD_BYTES:
        return None, [
            Problem(
                relpath,
                1,
                "record",
                f"tệp bản ghi quá lớn ({_kb(size)}, tối đa {_kb(MAX_RECORD_BYTES)}); văn bản dài hoặc bản quét hãy để thành tệp đính kèm",
            )
        ]
    raw = path.read_bytes()
    if not raw.strip():
        return None, [Problem(relpath, 1, "record", "tệp rỗng; một bản ghi phải có ít nhất trường title")]
    text, problems = read_text(raw, relpath)
    if text is None:
        return None, problems
    body = ""
    offset = 0
    body_line = 1
    if path.suffix == ".md":
        front, body, offset, problems = split_front_matter(text, relpath)
        if problems:
            return None, problems
        body_line = _body_line(text, front, body)
        text = front
    value, lines, problems = read_yaml(text, relpath, offset)
    if problems:
        return None, problems
    if _INVISIBLE.search(text):  # a pasted character: normalised in prose, refused elsewhere
        value = normalise_prose(value, _fields_of(category, common, value))
    body = prose_text(body)
    problems = invisible_problems(value, lines, relpath)
    if problems:
        return None, problems
    if value is None:
        return None, [Problem(relpath, 1, "record", "tệp rỗng; một bản ghi phải có ít nhất trường title")]
    if body and isinstance(value, dict) and "body" in value:
        line = lines.get(("body",), 1)
        return None, [
            Problem(relpath, line, "body", "tệp .md đã có nội dung sau khối ---; không khai báo thêm trường body")
        ]
    problems = unfilled_problems(value, body, lines, relpath, category, common, body_line)
    if problems:
        return None, problems
    data, problems = validate_record(category, common, value, lines, relpath)
    if problems and others:
        moved = _other_category(value, lines, relpath, category, others, common, default_id + path.suffix)
        if moved is not None:
            return None, [moved]
    if problems:
        return None, problems
    record_id = data.get("id", default_id)
    if "id" not in data:
        try:
            PARSERS["idpath"](default_id)
        except ValueError:
            suggestion = slugify(path.stem) or "ban-ghi"
            return None, [
                Problem(
                    relpath,
                    1,
                    "id",
                    f"tên tệp '{unicodedata.normalize('NFC', path.name)}' không dùng được làm đường dẫn; đổi tên tệp thành '{suggestion}{path.suffix}' hoặc khai báo id",
                )
            ]
    if not body and "body" in data:
        body_line = lines.get(("body",), 1) + (1 if "\n" in data["body"].rstrip("\n") else 0)
    data, private = split_private(category.all_fields(common, data.get("kind")), data)
    record = Record(
        category=category,
        id=record_id,
        relpath=relpath,
        path=path,
        data=data,
        body=body or data.get("body", ""),
        sha256=hashlib.sha256(raw).hexdigest(),
        lines=lines,
        body_line=body_line,
        private=private,
    )
    far = _far_dates(record, common, today or office_today())
    mistyped = {(p.line, p.field) for p in far}  # a year typed 2062 breaks other rules too: say it once
    checked = [p for p in _check_rules(record) if (p.line, p.field) not in mistyped]
    problems = _attach_files(record, max_attachment_bytes) + far + checked + _html_problems(record)
    problems += _pasted_tables(record)
    return (None if problems else record), problems


_PLACEHOLDERS = (PLACEHOLDER, "...")


def unfilled_problems(
    value: Any,
    body: str,
    lines: dict[FieldPath, int],
    relpath: str,
    category: Category,
    common: dict[str, Field],
    body_line: int = 1,
) -> list[Problem]:
    """A skeleton of ``congkhai new`` not filled in: a placeholder ``…`` left in a field or
    the text, or the title left as its own label (``title: Tiêu đề``)."""
    problems = []
    for path, text in _text_values(value):
        if text.strip() in _PLACEHOLDERS:
            problems.append(
                Problem(
                    relpath,
                    _line_in(lines, path),
                    field_name(path),
                    f"chưa điền: thay '{text.strip()}' bằng giá trị thật (ghi chú cuối dòng nói cần viết gì), "
                    "hoặc thêm dấu # ở đầu dòng nếu không dùng trường này",
                )
            )
    if body.strip() in _PLACEHOLDERS:
        problems.append(
            Problem(
                relpath, body_line, "body", f"chưa điền nội dung: thay '{body.strip()}' sau dòng --- bằng nội dung thật"
            )
        )
    if isinstance(value, dict):
        for name in ("title",):  # the title the skeleton once wrote: "Tiêu đề"
            spec = common.get(name)
            text = value.get(name)
            if spec is not None and isinstance(text, str) and fold(text.strip()) == fold(spec.label):
                problems.append(
                    Problem(
                        relpath,
                        _line_in(lines, (name,)),
                        name,
                        f"chưa điền: '{text.strip()}' là tên của trường ({spec.label}); hãy viết nội dung thật",
                    )
                )
    return problems


SPACES = {
    "\u00a0": "dấu cách không ngắt",
    "\u2007": "dấu cách chữ số",
    "\u2009": "dấu cách mảnh",
    "\u200a": "dấu cách rất mảnh",
    "\u202f": "dấu cách không ngắt hẹp",
}
"""Spaces other than the plain one that Word and web pages paste: in prose they are spaces."""
ZERO_WIDTH = {
    "\u200b": "dấu cách độ rộng 0",
    "\u200c": "ký tự nối độ rộng 0",
    "\u200d": "ký tự nối độ rộng 0",
    "\u2060": "ký tự nối từ ẩn",
    "\u00ad": "dấu gạch nối mềm",
    "\ufeff": "ký tự BOM",
}
"""Characters that show nothing (a soft hyphen shows only at a line break): in prose they go."""
INVISIBLE = {**SPACES, **ZERO_WIDTH}
"""Characters that Word and web pages paste invisibly. In a value that is not prose (a date, a
number, a code, a document number, a phone number, an e-mail, a URL, a file name) one of them
makes the value something else than it seems (a date followed by U+200B is not a date): the
record is refused. In prose they are normalised (:func:`prose_text`)."""
_INVISIBLE = re.compile("[" + "".join(INVISIBLE) + "]")
_SPACE = re.compile("[" + "".join(SPACES) + "]")
_ZERO_WIDTH = re.compile("[" + "".join(ZERO_WIDTH) + "]")
_LINE_EDGE = re.compile("^[ \t" + "".join(SPACES) + "]+|[ \t" + "".join(SPACES) + "]+$", re.MULTILINE)
IDENTIFIER_FIELDS = frozenset({"number", "code", "file", "minutes"})
"""Fields of type ``text`` that hold an identifier, not prose: a document number, a procedure
code, an attachment's file name."""


def prose_text(text: str) -> str:
    """Prose as a reader sees it: zero-width characters and soft hyphens removed, other spaces
    (U+00A0, U+202F…) made plain spaces; at the start or end of a line they are removed (so
    that pasted spaces never turn a Markdown line into code or a line break)."""
    text = _ZERO_WIDTH.sub("", text)
    if not _SPACE.search(text):
        return text
    text = _LINE_EDGE.sub(lambda edge: _SPACE.sub("", edge.group()), text)
    return _SPACE.sub(" ", text)


def is_prose(type_: str, name: str, pattern: str | None = None) -> bool:
    """Free text: ``markdown`` fields, and ``text`` fields without a ``pattern`` whose name is
    not one of :data:`IDENTIFIER_FIELDS` (items of ``list`` of ``text`` count as their list)."""
    return type_ == "markdown" or (type_ == "text" and not pattern and name not in IDENTIFIER_FIELDS)


def _fields_of(category: Category, common: dict[str, Field], value: Any) -> dict[str, Field]:
    """The fields of a record's category and kind (as :func:`validate_record` picks them)."""
    kind = value.get("kind") if isinstance(value, dict) and isinstance(value.get("kind"), str) else None
    return category.all_fields(common, kind if kind in category.kinds else None)


def _scalar_at(fields: dict[str, Field], path: FieldPath) -> tuple[str, str, str | None] | None:
    """``(type, field name, pattern)`` of the scalar field at ``path``; None when the path is
    not a scalar field of ``fields`` (an unknown field: validation reports it)."""
    spec: Field | None = None
    current: dict[str, Field] | None = fields
    name = ""
    for index, part in enumerate(path):
        if isinstance(part, str):
            spec = current.get(part) if current is not None else None
            if spec is None:
                return None
            name, current = part, (spec.fields if spec.type == "map" else None)
        elif spec is not None and spec.type == "list" and spec.fields:
            current, spec = spec.fields, None  # the next part names a field of the item
        elif spec is not None and spec.type == "list" and index == len(path) - 1:
            return spec.of or "text", name, None
        else:
            return None
    if spec is None or spec.type in ("map", "list"):
        return None
    return spec.type, name, spec.pattern


def normalise_prose(value: Any, fields: dict[str, Field], path: FieldPath = ()) -> Any:
    """``value`` with every prose value passed through :func:`prose_text` (a new tree; the
    record file is never changed, and its hash stays that of its bytes)."""
    if isinstance(value, str):
        if not _INVISIBLE.search(value):
            return value
        found = _scalar_at(fields, path)
        return prose_text(value) if found is not None and is_prose(*found) else value
    if isinstance(value, dict):
        return {key: normalise_prose(sub, fields, (*path, key)) for key, sub in value.items()}
    if isinstance(value, list):
        return [normalise_prose(sub, fields, (*path, index)) for index, sub in enumerate(value)]
    return value


def invisible_problems(value: Any, lines: dict[FieldPath, int], relpath: str) -> list[Problem]:
    """One message per value that holds an invisible character, naming it and where it is."""
    problems = []
    for path, text in _text_values(value):
        found = _INVISIBLE.search(text)  # the first one of the value
        if found is None:
            continue
        position, char = found.start(), found.group()
        before = text[max(0, position - 20) : position].rsplit("\n", 1)[-1]
        where = f"sau '{before}'" if before.strip() else "ở đầu giá trị"
        line = _line_in(lines, path) + text.count("\n", 0, position) + (1 if "\n" in text.rstrip("\n") else 0)
        problems.append(
            Problem(
                relpath,
                line,
                field_name(path),
                f"có ký tự ẩn U+{ord(char):04X} ({INVISIBLE[char]}, thường do dán từ Word) ở vị trí "
                f"{position + 1}, {where}; xóa ký tự đó hoặc gõ lại giá trị",
            )
        )
    return problems


def _line_in(lines: dict[FieldPath, int], path: FieldPath) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _kb(size: int) -> str:
    """Whole kilobytes, rounded up, with a thousands dot: close limits stay readable
    (``1.046 KB`` against ``1.024 KB``, where :func:`human_size` says 1,0 MB for both)."""
    return f"{-(-size // 1024):,} KB".replace(",", ".")


def _body_line(text: str, front: str, body: str) -> int:
    """The line of a ``.md`` record where its (stripped) body starts."""
    if not body:
        return 1
    start = text.find(body, len(front) + 4)
    return text.count("\n", 0, start) + 1 if start >= 0 else 1


def split_private(fields: dict[str, Field], data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Take the values of fields marked ``private`` out of ``data`` (also inside maps and
    lists of maps): (what may be shown, what may not)."""
    public: dict[str, Any] = {}
    private: dict[str, Any] = {}
    for name, value in data.items():
        spec = fields.get(name)
        if spec is not None and spec.private:
            private[name] = value
        elif spec is not None and spec.fields and isinstance(value, dict):
            shown, hidden = split_private(spec.fields, value)
            public[name] = shown
            if hidden:
                private[name] = hidden
        elif spec is not None and spec.fields and isinstance(value, list):
            pairs = [split_private(spec.fields, item) if isinstance(item, dict) else (item, {}) for item in value]
            public[name] = [shown for shown, _ in pairs]
            if any(hidden for _, hidden in pairs):
                private[name] = [hidden for _, hidden in pairs]
        else:
            public[name] = value
    return public, private


def _text_values(value: Any, path: FieldPath = ()) -> list[tuple[FieldPath, str]]:
    """Every text value inside ``value`` with its field path, in the order written."""
    out: list[tuple[FieldPath, str]] = []
    _add_text_values(value, path, out)
    return out


def _add_text_values(value: Any, path: FieldPath, out: list[tuple[FieldPath, str]]) -> None:
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, dict):
        for key, sub in value.items():
            _add_text_values(sub, (*path, key), out)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            _add_text_values(sub, (*path, index), out)


def _html_problems(record: Record) -> list[Problem]:
    """Raw HTML or dangerous links in any text value or the body (SPEC: no raw HTML)."""
    problems = []
    values = _text_values(record.data) + _text_values(record.private)
    for path, value in values:
        if path == ("body",):
            continue
        for position, message in html_problems(value):
            line = record.line(path) + value.count("\n", 0, position) + (1 if "\n" in value.rstrip("\n") else 0)
            problems.append(Problem(record.relpath, line, field_name(path), message))
    for position, message in html_problems(record.body) + _image_problems(record):
        problems.append(
            Problem(record.relpath, record.body_line + record.body.count("\n", 0, position), "body", message)
        )
    return problems


_LOCAL_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?(?![a-z][a-z0-9+.-]*:|//|#)([^)\s>]+)", re.IGNORECASE)


def _image_problems(record: Record) -> list[tuple[int, str]]:
    """An image in the body must be one of the record's attachments: only those are put
    on the site, next to the page (so ``![Sơ đồ](so-do.png)`` shows)."""
    files = {a.file for a in record.attachments}
    out = []
    for match in _LOCAL_IMAGE.finditer(record.body):
        name = unicodedata.normalize("NFC", unquote(match.group(1).split("?")[0].split("#")[0]))
        if name not in files:
            out.append(
                (
                    match.start(),
                    f"ảnh '{name}' không có trong attachments; đặt tệp cạnh bản ghi và khai báo trong attachments",
                )
            )
    return out


def _find_file(folder: Path, name: str) -> Path:
    """``folder / name``; if absent, a file whose name is the same text in another
    Unicode form (a Mac writes names in NFD, records are NFC)."""
    target = folder / name
    if target.exists() or target.is_symlink() or not target.parent.is_dir():
        return target
    wanted = unicodedata.normalize("NFC", target.name)
    for sibling in target.parent.iterdir():
        if unicodedata.normalize("NFC", sibling.name) == wanted:
            return sibling
    return target


def _attach_files(record: Record, max_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> list[Problem]:
    problems = []
    folder = record.path.parent
    for index, item in enumerate(record.data.get("attachments", [])):
        where = ("attachments", index, "file")
        name = item["file"]
        outside = Path(name).is_absolute() or ".." in Path(name).parts
        target = None if outside else _find_file(folder, name).resolve()
        if target is None or not target.is_relative_to(folder.resolve()):
            problems.append(
                record.problem(where, f"tệp '{name}' nằm ngoài thư mục của bản ghi; hãy đặt tệp cạnh bản ghi")
            )
        elif not target.is_file():
            problems.append(
                record.problem(where, f"không tìm thấy tệp '{name}' cạnh bản ghi" + _near_name(folder, name))
            )
        elif (badly := attachment_name_problem(name)) is not None:
            problems.append(record.problem(where, badly))
        elif target.stat().st_size > max_bytes:
            problems.append(
                record.problem(
                    where,
                    f"tệp '{name}' quá lớn ({human_size(target.stat().st_size)}, tối đa {human_size(max_bytes)}); hãy nén hoặc chia nhỏ, "
                    "hoặc tăng max_attachment_mb trong mkdocs.yml",
                )
            )
        elif (wrong := filetypes.problem(target, name)) is not None:
            problems.append(record.problem(where, wrong))
        else:
            record.attachments.append(
                Attachment(
                    name,
                    item.get("title") or name,
                    item.get("kind"),
                    target,
                    target.stat().st_size,
                    _sha256_file(target),
                )
            )
    names = {a["file"] for a in record.data.get("attachments", [])}
    minutes = (record.data.get("posting") or {}).get("minutes")
    if minutes and minutes not in names:
        problems.append(record.problem(("posting", "minutes"), f"'{minutes}' không có trong danh sách attachments"))
    return problems


_NAME_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")


def safe_attachment_name(name: str) -> str:
    """The name a file should have on the site: each part an ASCII slug, the extension in
    lower case (``Quyết định số 45.PDF`` -> ``quyet-dinh-so-45.pdf``)."""
    parts = name.split("/")
    last = PurePosixPath(parts[-1])
    stem = slugify(last.stem) or "tep"
    return "/".join([*(slugify(p) or p for p in parts[:-1]), stem + last.suffix.lower()])


def attachment_name_problem(name: str) -> str | None:
    """An attachment's name becomes part of its address: spaces, letters with diacritics,
    other signs and upper-case extensions are refused, with the name to rename it to."""
    text = unicodedata.normalize("NFC", name)
    reasons = []
    if " " in text:
        reasons.append("dấu cách")
    if any(not c.isascii() and c.isalpha() for c in text):
        reasons.append("chữ có dấu")
    if any(not c.isalpha() and c not in " /" and not _NAME_CHARS.match(c) for c in text):
        reasons.append("ký tự đặc biệt")
    suffix = PurePosixPath(text).suffix
    if suffix != suffix.lower():
        reasons.append("phần mở rộng viết hoa")
    if not reasons:
        return None
    wanted = safe_attachment_name(text)
    return f"tệp '{text}' có {', '.join(reasons)}; hãy đổi tên tệp thành '{wanted}' (và sửa trong attachments)"


def _near_name(folder: Path, name: str) -> str:
    """When a listed file is missing: a file next to the record whose name differs only in
    capitals (``QUYET-DINH.PDF`` for ``quyet-dinh.pdf``), or by spaces and diacritics."""
    target = folder / name
    if not target.parent.is_dir():
        return ""
    wanted = unicodedata.normalize("NFC", target.name)
    siblings = [unicodedata.normalize("NFC", s.name) for s in sorted(target.parent.iterdir()) if s.is_file()]
    for sibling in siblings:
        if sibling.lower() == wanted.lower():
            fix = safe_attachment_name(wanted)
            return (
                f"; có tệp '{sibling}' khác nhau chữ hoa, chữ thường (máy chủ web phân biệt chữ hoa): "
                f"đổi tên tệp thành '{fix}'" + ("" if fix == wanted else " và sửa trong attachments")
            )
    for sibling in siblings:
        if safe_attachment_name(sibling) == safe_attachment_name(wanted):
            fix = safe_attachment_name(wanted)
            return f"; có tệp '{sibling}' gần giống: đổi tên tệp thành '{fix}'" + (
                "" if fix == wanted else " và sửa trong attachments"
            )
    return ""


COMMON_CHECKS = (
    Check(
        "order",
        "Hiệu lực đến ngày (valid_until) trước Hiệu lực từ ngày (valid_from)",
        first="valid_from",
        then="valid_until",
    ),
    Check(
        "order",
        "Niêm yết đến ngày (posting.to) trước Niêm yết từ ngày (posting.from)",
        first="posting.from",
        then="posting.to",
    ),
)
"""Rules across the common fields (``_common.yml``) every record may carry; a category's
own rules are data (``checks:`` of its file, :meth:`Category.check`)."""


def _check_rules(record: Record) -> list[Problem]:
    """Rules across fields that a schema cannot say."""
    found = run_checks(COMMON_CHECKS, record.data) + record.category.check(record.data)
    return [record.problem(path, message) for path, message in found]


def _other_category(
    value: Any,
    lines: dict[FieldPath, int],
    relpath: str,
    category: Category,
    categories: dict[str, Category],
    common: dict[str, Field],
    below: str,
) -> Problem | None:
    """A record in the wrong category's folder (a reception schedule under ``tuyen-dung``)
    gets one message naming the category it looks like, instead of one per field."""
    if not isinstance(value, dict):
        return None
    kind = value.get("kind") if isinstance(value.get("kind"), str) else None
    unknown = [key for key in value if key not in common and key not in category.fields]
    if not unknown and (kind is None or kind in category.kinds or not category.kinds):
        return None
    for other in categories.values():
        if other.slug == category.slug:
            continue
        own = [key for key in value if key not in common]
        if any(key not in other.fields for key in own):
            continue
        if kind is not None and kind not in other.kinds:
            continue
        if kind is None and not own:
            continue
        where: FieldPath = ("kind",) if kind is not None else (unknown[0],)
        folder = relpath[: len(relpath) - len(below)].rstrip("/")
        target = folder[: len(folder) - len(category.slug)] + other.slug + "/" + below
        what = f"loại '{kind}' và các trường" if kind is not None else "các trường " + ", ".join(own)
        fix = f"chuyển tệp vào {target}"
        if kind is None and other.kinds:
            kinds = [k for k in other.kinds if all(other.fields[key].applies_to(k) for key in own)]
            if len(kinds) == 1:
                fix += f" và thêm kind: {kinds[0]}"
        return Problem(
            relpath,
            lines.get(where, 1),
            field_name(where),
            f"trông giống bản ghi của chuyên mục '{other.slug}' ({other.title}): {what} thuộc chuyên mục đó, "
            f"không thuộc '{category.slug}'; {fix}",
        )
    return None


_FAR_DAYS = 2 * 365
"""A date more than this many days (about 2 years) ahead of today is taken for a typo (2062 for 2026)."""
_FAR_END_DAYS = 10 * 365
"""The same for the end of a period (``valid_until``, ``apply_until``): a plan may run five years."""
_FAR_ISSUE_DAYS = 365
"""The same for the date a document was signed (``document.date``, ``approved.date``): at most a year ahead."""
_ISSUED = {"document.date", "approved.date"}
EARLIEST_DATE = dt.date(1945, 1, 1)
"""No record of the office is dated before 1945 (the state was founded on 2 September 1945):
an earlier date is a mistyped year (1906 for 2006 or 2026)."""


def _label(fields: dict[str, Field], path: FieldPath) -> str:
    """The form's label of the field at ``path`` and its name in the file: ``Ngày ban hành (document.date)``."""
    dotted = ".".join(part for part in path if isinstance(part, str))
    spec = fields.get(path[0]) if path and isinstance(path[0], str) else None
    found = spec.find(path[1:]) if spec is not None else None
    return f"{found.label} ({dotted})" if found is not None and found.label else dotted


def _far_dates(record: Record, common: dict[str, Field], today: dt.date) -> list[Problem]:
    """Dates years ahead of today, or before 1945: a mistyped year (``2062``, ``1906``) would
    otherwise put a session, a deadline or a document decades away without a word."""
    checks = (*COMMON_CHECKS, *record.category.checks)
    ends = {check.then for check in checks if check.rule in ("order", "min_days") and not check.warn}
    fields = record.category.all_fields(common, record.kind)
    found: list[tuple[FieldPath, dt.date, str]] = []
    for path, value in _dated(record.data):
        found.append((path, value, f"ngày {value:%d/%m/%Y}"))
    for name, spec in fields.items():
        if spec.type == "year" and isinstance(record.data.get(name), int) and 1 <= record.data[name] <= 9999:
            found.append(((name,), dt.date(record.data[name], 1, 1), f"năm {record.data[name]}"))
    for name, spec in fields.items():
        if spec.type == "month" and isinstance(record.data.get(name), dt.date):
            found = [(p, d, f"tháng {d:%m/%Y}" if p == (name,) else what) for p, d, what in found]
    problems = []
    years = [d.year for _, d, _ in found]
    for path, value, what in found:
        dotted = ".".join(part for part in path if isinstance(part, str))
        if value < EARLIEST_DATE:
            problems.append(
                record.problem(
                    path,
                    f"{_label(fields, path)} là {what}, trước năm {EARLIEST_DATE.year}; "
                    "có phải gõ nhầm năm? hãy kiểm tra lại",
                )
            )
            continue
        limit = _FAR_END_DAYS if dotted in ends else _FAR_ISSUE_DAYS if dotted in _ISSUED else _FAR_DAYS
        if (value - today).days <= limit:
            continue
        near = sorted({y for y in years if abs(y - today.year) <= 1} | {today.year})
        guess = next((y for y in near if sorted(str(y)) == sorted(str(value.year))), None)
        hint = f"có phải gõ nhầm năm {guess} thành {value.year}?" if guess else f"có phải gõ nhầm năm {value.year}?"
        problems.append(
            record.problem(
                path,
                f"{_label(fields, path)} là {what}, còn hơn {limit // 365} năm nữa mới tới; {hint} hãy kiểm tra lại",
            )
        )
    return problems


def _dated(value: Any, path: FieldPath = ()) -> list[tuple[FieldPath, dt.date]]:
    if isinstance(value, dt.date):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, sub in value.items() for found in _dated(sub, (*path, key))]
    if isinstance(value, list):
        return [found for index, sub in enumerate(value) for found in _dated(sub, (*path, index))]
    return []


_TABBED = re.compile(r"\S[^\n]*\t")


def _pasted_tables(record: Record) -> list[Problem]:
    """A table pasted from Excel (columns split by Tab) in the body: Markdown shows it as one
    run-on paragraph. Refused, with how to write it as a Markdown table."""
    if "\t" not in record.body:
        return []  # a row is a line with a Tab
    problems = []
    lines = record.body.split("\n")
    fenced = False
    run: list[int] = []
    for number, line in enumerate([*lines, ""]):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and _TABBED.search(line.rstrip()):
            run.append(number)
            continue
        if len(run) >= 2 or (run and lines[run[0]].strip().count("\t") >= 2):
            columns = max(len(lines[n].strip().split("\t")) for n in run)
            problems.append(
                Problem(
                    record.relpath,
                    record.body_line + run[0],
                    "body",
                    f"có bảng dán từ Excel ({len(run)} dòng, {columns} cột cách nhau bằng phím Tab): trên trang sẽ thành "
                    f"một đoạn chữ liền; viết lại thành bảng Markdown, mỗi hàng một dòng, các ô cách nhau bằng '|' "
                    "(ví dụ | STT | Vị trí |), dưới hàng đầu một dòng |---|---|, hoặc đính kèm tệp Excel (.xlsx)",
                )
            )
        run = []
    return problems


def find_record_files(disclosures: Path) -> list[Path]:
    """Every record file under ``disclosures/``, skipping hidden and ``_`` files."""
    found = []
    for path in disclosures.rglob("*"):
        rel = path.relative_to(disclosures).parts
        if any(p.startswith((".", "_")) for p in rel):
            continue
        if path.suffix.lower() in RECORD_SUFFIXES and path.is_file():
            found.append(path)
    return sorted(found)


def _links_out(disclosures: Path, root: Path) -> tuple[list[Problem], set[Path]]:
    """Symbolic links under ``disclosures/`` that lead outside it: refused, never read."""
    problems = []
    paths = set()
    inside = disclosures.resolve()
    for path in sorted(disclosures.rglob("*")):
        if path.is_symlink() and not path.resolve().is_relative_to(inside):
            relpath = unicodedata.normalize("NFC", path.relative_to(root).as_posix())
            problems.append(
                Problem(
                    relpath,
                    1,
                    "record",
                    "là liên kết tượng trưng (symlink) trỏ ra ngoài thư mục disclosures; hãy chép tệp thật vào đây",
                )
            )
            paths.add(path)
    return problems, paths


class RecordCache:
    """What :func:`load_records` read from each file, kept between loads (the preview
    reloads the site on every save). A file is read again when it, or any other file of
    its folder that is not a record (its attachments sit there), changed size or time;
    whoever keeps the cache clears it when anything else a record's checks depend on
    changes (the category files, the settings, the day)."""

    def __init__(self) -> None:
        self._known: dict[Path, tuple[Any, tuple[Record | None, list[Problem]]]] = {}
        self._folders: dict[Path, Any] = {}
        self.checked: dict[int, Any] = {}
        """The privacy guard's results by record (:meth:`generator.records.privacy.Guard.check`)."""

    def clear(self) -> None:
        self._known.clear()
        self.checked.clear()

    def start(self) -> None:
        """A new load: folders are looked at again."""
        self._folders.clear()

    def stamp(self, path: Path) -> Any:
        folder = path.parent
        if folder not in self._folders:
            with os.scandir(folder) as entries:
                self._folders[folder] = tuple(
                    sorted(
                        (e.name, e.stat().st_mtime_ns, e.stat().st_size)
                        for e in entries
                        if e.is_file() and not e.name.lower().endswith(RECORD_SUFFIXES)
                    )
                )
        own = path.stat()
        return own.st_mtime_ns, own.st_size, self._folders[folder]

    def get(self, path: Path, stamp: Any) -> tuple[Record | None, list[Problem]] | None:
        known = self._known.get(path)
        return known[1] if known is not None and known[0] == stamp else None

    def put(self, path: Path, stamp: Any, result: tuple[Record | None, list[Problem]]) -> None:
        self._known[path] = (stamp, result)


class StoredRecordCache(RecordCache):
    """A :class:`RecordCache` kept in one file between the office's own commands (``check``,
    ``build``, ``publish``): a clerk's next command reads again only the record files that
    changed (size or time of the file, or of a file of its folder that is not a record).

    The file holds a *salt*: the fingerprint of congkhai's code, of the category files of
    the project (``<disclosures>/*/_category.yml``), the day and the settings that records'
    checks read; a file made with another salt is ignored (everything is read again). Only
    the office's own commands use it: the auditor's ones (``verify``, ``evidence``) read every
    file, and never a file of the office's cache (it is Python's pickle: read only what the
    project itself wrote, like its ``mkdocs.yml`` hooks). Holds only the files of the last
    load; deleting it only makes the next command slower."""

    VERSION = 3

    def __init__(self, file: Path, salt: str, categories: dict[str, Category]):
        super().__init__()
        self.file = file
        self.salt = salt
        self.categories = categories
        self.changed = False
        self.reused = 0
        """Records this load took from the file."""
        self._stored: dict[str, tuple[Any, bytes]] = {}
        """File -> its stamp and what it gave (its record's attributes, with the name of its
        category and without its path, and its problems), pickled one file at a time: the
        cache is never one tree of objects in memory, nor one pickler's memo."""
        self._new: dict[str, tuple[Any, tuple[Record | None, list[Problem]]]] = {}
        """Files read by this load: pickled only when the cache is written, one at a time."""
        self._used: set[Path] = set()

    @classmethod
    def open(cls, file: Path, salt: str, categories: dict[str, Category]) -> StoredRecordCache:
        cache = cls(file, salt, categories)
        entries: dict[str, tuple[Any, bytes]] = {}
        with contextlib.suppress(Exception), file.open("rb") as handle:  # unreadable, older…: read all again
            reader = pickle.Unpickler(handle)
            version, stored_salt, count = reader.load()
            if version == cls.VERSION and stored_salt == salt:
                for _ in range(count):
                    key, stamp, blob = reader.load()
                    entries[key] = (stamp, blob)
                cache._stored = entries
        return cache

    def get(self, path: Path, stamp: Any) -> tuple[Record | None, list[Problem]] | None:
        self._used.add(path)
        known = super().get(path, stamp)
        if known is not None:
            return known
        entry = self._stored.get(str(path))
        if entry is None or entry[0] != stamp:
            return None
        try:
            state, found = pickle.loads(entry[1])
        except Exception:  # a damaged entry: the file is read again
            return None
        if state is not None and state["category"] not in self.categories:
            return None
        result = (_unpickled(state, path, self.categories), found)
        super().put(path, stamp, result)
        self.reused += 1
        return result

    def clear(self) -> None:
        super().clear()
        self._stored.clear()
        self._new.clear()

    def put(self, path: Path, stamp: Any, result: tuple[Record | None, list[Problem]]) -> None:
        super().put(path, stamp, result)
        self._used.add(path)
        self._new[str(path)] = (stamp, result)
        self._stored.pop(str(path), None)
        self.changed = True

    @staticmethod
    def _blob(result: tuple[Record | None, list[Problem]]) -> bytes:
        record, found = result
        state = None
        if record is not None:
            state = dict(vars(record))
            state["category"] = record.category.slug
            state.pop("path", None)
            state.pop("date", None)  # a cached property: worked out again
        return pickle.dumps((state, found), protocol=pickle.HIGHEST_PROTOCOL)

    def save(self) -> None:
        """Write the entries of the files this load looked at (atomically; a cache that
        cannot be written only makes the next command slower), one entry at a time."""
        kept = [k for k in self._stored if Path(k) in self._used]
        if not self.changed and len(kept) == len(self._stored):
            return
        with contextlib.suppress(OSError):
            self.file.parent.mkdir(parents=True, exist_ok=True)
            spare = self.file.with_name(f"{self.file.name}.{os.getpid()}.tmp")
            with spare.open("wb") as handle:
                writer = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
                writer.dump((self.VERSION, self.salt, len(kept) + len(self._new)))
                for key in kept:
                    writer.dump((key, *self._stored[key]))
                    writer.clear_memo()
                for key, (stamp, result) in self._new.items():
                    writer.dump((key, stamp, self._blob(result)))
                    writer.clear_memo()
            os.replace(spare, self.file)
        self._stored = {k: self._stored[k] for k in kept}
        self._stored.update({k: (stamp, b"") for k, (stamp, _) in self._new.items()})


def load_records(
    disclosures: Path,
    root: Path,
    categories: dict[str, Category],
    common: dict[str, Field],
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    today: dt.date | None = None,
    jobs: int | None = None,
    cache: RecordCache | None = None,
) -> tuple[list[Record], list[Problem], set[str]]:
    """Load every record; return the valid ones, every problem found, and the keys
    (``<category>/<path without extension>``) of files that exist but failed to load.
    ``jobs``: processes reading the files (default :func:`generator.core.parallel.jobs`; see :func:`_loading`).
    ``cache`` (the preview): files unchanged since the last load are not read again."""
    records: list[Record] = []
    problems, refused = _links_out(disclosures, root)
    seen: dict[str, Record] = {}
    broken: set[str] = set()
    files = find_record_files(disclosures)
    plan: list[Problem | tuple[Path, str, str]] = []
    """In file order: the problem of a file outside any category, or what to load."""
    for path in files:
        if path in refused:
            continue
        relpath = unicodedata.normalize("NFC", path.relative_to(root).as_posix())
        parts = path.relative_to(disclosures).parts
        if len(parts) < 2:
            plan.append(
                Problem(
                    relpath,
                    1,
                    "category",
                    "bản ghi phải nằm trong thư mục của một chuyên mục: " + ", ".join(categories),
                )
            )
        elif parts[0] not in categories:
            plan.append(
                Problem(
                    relpath,
                    1,
                    "category",
                    f"thư mục '{parts[0]}' không phải là chuyên mục; dùng một trong: {', '.join(categories)} (hoặc khai báo chuyên mục mới bằng {parts[0]}/{CATEGORY_FILE})",
                )
            )
        else:
            plan.append((path, parts[0], Path(*parts[1:]).with_suffix("").as_posix()))
    wanted = [item for item in plan if not isinstance(item, Problem)]
    known: dict[Path, tuple[Record | None, list[Problem]]] = {}
    stamps: dict[Path, Any] = {}
    if cache is not None:
        cache.start()
        with _collector_paused():  # records made from the cache: thousands of containers
            for path, _, _ in wanted:
                stamps[path] = cache.stamp(path)
                hit = cache.get(path, stamps[path])
                if hit is not None:
                    known[path] = hit
        wanted = [item for item in wanted if item[0] not in known]
    with (
        _collector_paused(),
        _loading(wanted, root, categories, common, max_attachment_bytes, today, jobs) as loaded,
        progress.task("Đọc hồ sơ", total=len(files)) as bar,
    ):
        bar.advance(len(files) - len(plan))
        for item in plan:
            bar.advance()
            if isinstance(item, Problem):
                problems.append(item)
                continue
            path, key, default_id = item
            if path in known:
                record, found = known[path]
            else:
                record, found = next(loaded)
                if cache is not None:
                    cache.put(path, stamps[path], (record, found))
            problems += found
            if record is None:
                broken.add(f"{categories[key].slug}/{default_id}")
                continue
            other = seen.get(record.key)
            if other is not None:
                problems.append(record.problem(("id",), f"trùng đường dẫn /{record.url_path} với {other.relpath}"))
                continue
            seen[record.key] = record
            records.append(record)
    return records, problems, broken


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the records are read: they are thousands of
    long-lived containers that it would walk again and again (about a tenth of the time
    at 10,000 records) without finding garbage. It runs as usual afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- reading the files on several cores ------------------------------------------------

PARALLEL_FROM = 500
"""Fewer record files than this are read in the process itself (see :mod:`generator.core.parallel`)."""


@contextmanager
def _loading(
    wanted: list[tuple[Path, str, str]],
    root: Path,
    categories: dict[str, Category],
    common: dict[str, Field],
    max_attachment_bytes: int,
    today: dt.date | None,
    jobs: int | None = None,
) -> Iterator[Iterator[tuple[Record | None, list[Problem]]]]:
    """:func:`load_record` of each ``(path, category, id)`` of ``wanted``, in that order.

    With :data:`PARALLEL_FROM` files or more, by forked processes when
    :func:`generator.core.parallel.pays`: a record comes back as its attributes, with the name of
    its category instead of the category and without its path, and gets this process's
    :class:`Category` object and path (:func:`_unpickled`), so the records and problems
    are the same as one process gives (tests/test_parallel_load.py)."""

    def load(item: tuple[Path, str, str]) -> tuple[Record | None, list[Problem]]:
        path, key, default_id = item
        return load_record(path, root, categories[key], common, default_id, max_attachment_bytes, today, categories)

    def shipped(item: tuple[Path, str, str]) -> tuple[dict[str, Any] | None, list[Problem]]:
        record, found = load(item)
        if record is None:
            return None, found
        state = dict(vars(record))
        state["category"] = item[1]
        del state["path"]
        return state, found

    workers = parallel.pays(len(wanted), PARALLEL_FROM, jobs)
    if not workers:
        yield (load(item) for item in wanted)
        return
    with parallel.fork_map(shipped, wanted, workers) as results:
        yield (
            (_unpickled(state, path, categories), found)
            for (path, _, _), (state, found) in zip(wanted, results, strict=True)
        )


def _unpickled(state: dict[str, Any] | None, path: Path, categories: dict[str, Category]) -> Record | None:
    """A record sent back by a worker, with this process's category object and path."""
    if state is None:
        return None
    record = object.__new__(Record)
    vars(record).update(state)
    record.category = categories[state["category"]]
    record.path = path
    return record
