"""Load disclosure records from ``disclosures/`` and validate them.

Pipeline: find files -> read bytes (UTF-8, BOM allowed, NFC) -> split front matter ->
YAML as text with lines -> JSON Schema of the category and kind -> typed values ->
rules across fields and files (attachments exist, ids unique, dates in order).
Every problem becomes ``path:line: field: message``; nothing here raises for bad input
except :class:`~generator.errors.CongkhaiError` carrying all the problems at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.categories import CATEGORY_FILE, Category, Field, validate_record
from generator.errors import Problem
from generator.values import PARSERS
from generator.yamltext import Path as FieldPath
from generator.yamltext import field_name, read_yaml

RECORD_SUFFIXES = (".yml", ".yaml", ".md")


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

    @property
    def date(self) -> dt.date | None:
        """The date the record is filed under: the category's ``sort_date`` fields, then
        the document date, then ``valid_from``."""
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


def read_text(raw: bytes, relpath: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (with or without BOM), normalise line ends and Unicode to NFC."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(relpath, line, "record", "tệp không phải văn bản UTF-8; hãy lưu lại với bảng mã UTF-8")]
    if "\x00" in text:
        return None, [Problem(relpath, 1, "record", "tệp nhị phân, không phải bản ghi văn bản")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text), []


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


def slugify(text: str) -> str:
    """A URL-safe suggestion for a file name: Vietnamese letters lose their marks."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    out = "".join(c if c.isascii() and c.isalnum() else "-" for c in text)
    return "-".join(part for part in out.split("-") if part)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_record(
    path: Path, root: Path, category: Category, common: dict[str, Field], default_id: str
) -> tuple[Record | None, list[Problem]]:
    """Read and validate one record file."""
    relpath = path.relative_to(root).as_posix()
    raw = path.read_bytes()
    if not raw.strip():
        return None, [Problem(relpath, 1, "record", "tệp rỗng; một bản ghi phải có ít nhất trường title")]
    text, problems = read_text(raw, relpath)
    if text is None:
        return None, problems
    body = ""
    offset = 0
    if path.suffix == ".md":
        text, body, offset, problems = split_front_matter(text, relpath)
        if problems:
            return None, problems
    value, lines, problems = read_yaml(text, relpath, offset)
    if problems:
        return None, problems
    if value is None:
        return None, [Problem(relpath, 1, "record", "tệp rỗng; một bản ghi phải có ít nhất trường title")]
    if body and isinstance(value, dict) and "body" in value:
        line = lines.get(("body",), 1)
        return None, [
            Problem(relpath, line, "body", "tệp .md đã có nội dung sau khối ---; không khai báo thêm trường body")
        ]
    data, problems = validate_record(category, common, value, lines, relpath)
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
                    f"tên tệp '{path.name}' không dùng được làm đường dẫn; đổi tên tệp thành '{suggestion}{path.suffix}' hoặc khai báo id",
                )
            ]
    record = Record(
        category=category,
        id=record_id,
        relpath=relpath,
        path=path,
        data=data,
        body=body or data.get("body", ""),
        sha256=hashlib.sha256(raw).hexdigest(),
        lines=lines,
    )
    problems = _attach_files(record) + _check_rules(record)
    return (None if problems else record), problems


def _attach_files(record: Record) -> list[Problem]:
    problems = []
    folder = record.path.parent
    for index, item in enumerate(record.data.get("attachments", [])):
        where = ("attachments", index, "file")
        name = item["file"]
        target = (folder / name).resolve()
        if Path(name).is_absolute() or not target.is_relative_to(folder.resolve()):
            problems.append(
                record.problem(where, f"tệp '{name}' nằm ngoài thư mục của bản ghi; hãy đặt tệp cạnh bản ghi")
            )
        elif not target.is_file():
            problems.append(record.problem(where, f"không tìm thấy tệp '{name}' cạnh bản ghi"))
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


def _check_order(record: Record, first: FieldPath, second: FieldPath, message: str) -> list[Problem]:
    def get(path: FieldPath) -> Any:
        value: Any = record.data
        for part in path:
            value = (
                value[part] if isinstance(value, (dict, list)) and (isinstance(part, int) or part in value) else None
            )
        return value

    a, b = get(first), get(second)
    if a is not None and b is not None and b < a:
        return [record.problem(second, message)]
    return []


def _check_rules(record: Record) -> list[Problem]:
    """Rules across fields that a schema cannot say."""
    data = record.data
    problems = _check_order(record, ("valid_from",), ("valid_until",), "ngày hết hiệu lực trước ngày có hiệu lực")
    problems += _check_order(record, ("apply_from",), ("apply_until",), "ngày kết thúc nhận hồ sơ trước ngày bắt đầu")
    problems += _check_order(
        record, ("posting", "from"), ("posting", "to"), "ngày kết thúc niêm yết trước ngày bắt đầu"
    )
    for index, session in enumerate(data.get("sessions", [])):
        problems += _check_order(
            record, ("sessions", index, "start"), ("sessions", index, "end"), "giờ kết thúc trước giờ bắt đầu"
        )
        month = data.get("month")
        if month and (session["date"].year, session["date"].month) != (month.year, month.month):
            problems.append(record.problem(("sessions", index, "date"), f"ngày tiếp không thuộc tháng {month:%m/%Y}"))
    if data.get("no_visitors"):
        if data.get("visitors"):
            problems.append(
                record.problem(("visitors",), "no_visitors là true (không có công dân đến) nhưng visitors khác 0")
            )
        if data.get("cases"):
            problems.append(
                record.problem(("cases",), "no_visitors là true (không có công dân đến) nhưng có nội dung tiếp nhận")
            )
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


def load_records(
    disclosures: Path, root: Path, categories: dict[str, Category], common: dict[str, Field]
) -> tuple[list[Record], list[Problem], set[str]]:
    """Load every record; return the valid ones, every problem found, and the keys
    (``<category>/<path without extension>``) of files that exist but failed to load."""
    records: list[Record] = []
    problems: list[Problem] = []
    seen: dict[str, Record] = {}
    broken: set[str] = set()
    for path in find_record_files(disclosures):
        relpath = path.relative_to(root).as_posix()
        parts = path.relative_to(disclosures).parts
        if len(parts) < 2:
            problems.append(
                Problem(
                    relpath,
                    1,
                    "category",
                    "bản ghi phải nằm trong thư mục của một chuyên mục: " + ", ".join(categories),
                )
            )
            continue
        category = categories.get(parts[0])
        if category is None:
            problems.append(
                Problem(
                    relpath,
                    1,
                    "category",
                    f"thư mục '{parts[0]}' không phải là chuyên mục; dùng một trong: {', '.join(categories)} (hoặc khai báo chuyên mục mới bằng {parts[0]}/{CATEGORY_FILE})",
                )
            )
            continue
        default_id = Path(*parts[1:]).with_suffix("").as_posix()
        record, found = load_record(path, root, category, common, default_id)
        problems += found
        if record is None:
            broken.add(f"{category.slug}/{default_id}")
            continue
        other = seen.get(record.key)
        if other is not None:
            problems.append(record.problem(("id",), f"trùng đường dẫn /{record.url_path} với {other.relpath}"))
            continue
        seen[record.key] = record
        records.append(record)
    return records, problems, broken
