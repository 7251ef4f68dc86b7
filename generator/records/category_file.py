"""Category files read and checked: the meta-schema of ``_category.yml`` and
``_common.yml``, the definition parser that turns a checked file into a
:class:`~generator.records.categories.Category` (every mistake at its line), and the
loading of the shipped and the office's categories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from generator.core import paths
from generator.core.errors import CongkhaiError, Problem
from generator.core.sanitize import html_problems
from generator.core.values import PARSERS
from generator.core.yamltext import Path as FieldPath
from generator.core.yamltext import field_name, read_yaml
from generator.records.categories import (
    SESSION_KEYS,
    CalendarSpec,
    Category,
    EvidenceItem,
    HotlineFields,
    attachment_kinds,
)
from generator.records.checks import CHECK_KEYS, ORDERED_TYPES, Check
from generator.records.deadline_rules import parse_rules
from generator.records.fields import Field
from generator.records.schema import _line_for, schema_problems

CATEGORY_FILE = "_category.yml"
DATA_DIR = Path(__file__).parent / "category_data"


_CATEGORY_META_SCHEMA: dict[str, Any] = {
    "$defs": {
        "field": {
            "type": "object",
            "required": ["type", "label"],
            "additionalProperties": False,
            "properties": {
                "type": {"enum": [*PARSERS, "enum", "list", "map"]},
                "label": {"type": "string"},
                "help": {"type": "string"},
                "required": {"enum": ["true", "false"]},
                "kinds": {"type": "array", "items": {"type": "string"}},
                "values": {"type": "object", "additionalProperties": {"type": "string"}},
                "of": {"enum": list(PARSERS)},
                "item": {"type": "object", "additionalProperties": {"$ref": "#/$defs/field"}},
                "fields": {"type": "object", "additionalProperties": {"$ref": "#/$defs/field"}},
                "pattern": {"type": "string"},
                "pattern_help": {"type": "string"},
                "max_length": {"type": "string", "pattern": "^[1-9][0-9]*$"},
                "notice": {"enum": ["true", "false"]},
                "private": {"enum": ["true", "false"]},
            },
        },
        "evidence_list": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["attachments"],
                "additionalProperties": False,
                "properties": {
                    "label": {"type": "string"},
                    "attachments": {"type": "array", "items": {"type": "string"}},
                    "if": {"type": "string"},
                    "unless": {"type": "string"},
                    "year_end": {"enum": ["true", "false"]},
                    "signed": {"enum": ["true", "false"]},
                },
            },
        },
    },
    "type": "object",
    "required": ["title"],
    "additionalProperties": False,
    "properties": {
        "slug": {"type": "string"},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "order": {"type": "string", "pattern": "^[0-9]+$"},
        "kinds": {"type": "object", "additionalProperties": {"type": "string"}},
        "document": {"enum": ["required", "optional"]},
        "sort_date": {"type": "array", "items": {"type": "string"}},
        "hotline": {"enum": ["true", "false"]},
        "fields": {"type": "object", "additionalProperties": {"$ref": "#/$defs/field"}},
        "rules": {"type": "object"},
        "privacy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "strict": {"enum": ["true", "false"]},
                "strict_kinds": {"type": "array", "items": {"type": "string"}},
            },
        },
        "checks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rule", "message"],
                "additionalProperties": False,
                "properties": {
                    "rule": {"enum": list(CHECK_KEYS)},
                    "message": {"type": "string"},
                    "warn": {"enum": ["true", "false"]},
                    **{key: {"type": "string"} for keys in CHECK_KEYS.values() for key in keys},
                },
            },
        },
        "calendar": {
            "type": "object",
            "required": ["field"],
            "additionalProperties": False,
            "properties": {
                "field": {"type": "string"},
                "kinds": {"type": "array", "items": {"type": "string"}},
                "summary": {"type": "string"},
                **{key: {"type": "string"} for key in SESSION_KEYS},
            },
        },
        "hotline_fields": {
            "type": "object",
            "additionalProperties": False,
            "properties": {key: {"type": "string"} for key in HotlineFields.__dataclass_fields__},
        },
        "evidence": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "default": {"$ref": "#/$defs/evidence_list"},
                "kinds": {"type": "object", "additionalProperties": {"$ref": "#/$defs/evidence_list"}},
            },
        },
    },
}
_COMMON_META_SCHEMA = {
    "$defs": _CATEGORY_META_SCHEMA["$defs"],
    "type": "object",
    "additionalProperties": {"$ref": "#/$defs/field"},
}


def _parse_field(name: str, raw: dict[str, Any]) -> Field:
    sub = raw.get("item") or raw.get("fields") or {}
    return Field(
        name=name,
        type=raw["type"],
        label=raw["label"],
        help=raw.get("help", ""),
        required=raw.get("required") == "true",
        kinds=raw.get("kinds"),
        values=raw.get("values") or {},
        of=raw.get("of"),
        fields={k: _parse_field(k, v) for k, v in sub.items()},
        pattern=raw.get("pattern"),
        pattern_help=raw.get("pattern_help"),
        max_length=int(raw["max_length"]) if raw.get("max_length") else None,
        notice=raw.get("notice") == "true",
        private=raw.get("private") == "true",
    )


def _read_definition(text: str, relpath: str, meta: dict[str, Any]) -> tuple[dict[str, Any], dict[FieldPath, int]]:
    value, lines, problems = read_yaml(text, relpath)
    if not problems:
        problems = schema_problems(Draft202012Validator(meta), value or {}, lines, relpath, None)
    if problems:
        raise CongkhaiError(problems)
    return value, lines


def load_common() -> dict[str, Field]:
    """The fields every record may carry (``_common.yml``)."""
    text = (DATA_DIR / "_common.yml").read_text("utf-8")
    raw, _ = _read_definition(text, "generator/records/category_data/_common.yml", _COMMON_META_SCHEMA)
    return {k: _parse_field(k, v) for k, v in raw.items()}


class _Definition:
    """Turns the checked text tree of one category file into a :class:`Category`,
    collecting every mistake the meta-schema cannot see, at its line."""

    def __init__(
        self, slug: str, raw: dict[str, Any], source: str, lines: dict[FieldPath, int], common: dict[str, Field]
    ):
        self.slug = slug
        self.raw = raw
        self.source = source
        self.lines = lines
        self.common = common
        self.kinds: dict[str, str] = raw.get("kinds") or {}
        self.fields = {k: _parse_field(k, v) for k, v in (raw.get("fields") or {}).items()}
        self.problems: list[Problem] = []

    def problem(self, path: FieldPath, message: str) -> None:
        self.problems.append(Problem(self.source, _line_for(self.lines, path), field_name(path), message))

    def html(self, value: Any, path: FieldPath) -> None:
        """Titles, labels, help and messages reach every page's menu and the staff guide:
        no HTML in them, as in a record."""
        if isinstance(value, str) and path[-1:] != ("pattern",):  # a regular expression
            for position, message in html_problems(value):
                line = _line_for(self.lines, path) + value.count("\n", 0, position)
                message = message.replace("bản ghi không được chứa HTML", "tệp chuyên mục không được chứa HTML")
                self.problems.append(Problem(self.source, line, field_name(path), message))
        elif isinstance(value, dict):
            for key, sub in value.items():
                self.html(sub, (*path, key))
        elif isinstance(value, list):
            for index, sub in enumerate(value):
                self.html(sub, (*path, index))

    def kind_list(self, names: list[str], path: FieldPath) -> tuple[str, ...]:
        for n, kind in enumerate(names):
            if kind not in self.kinds:
                self.problem((*path, n), f"loại '{kind}' không có trong kinds")
        return tuple(names)

    def lookup(self, dotted: str, path: FieldPath) -> tuple[Field | None, tuple[str, ...]]:
        """The field a dotted name (``sessions.date``) points at, and the lists of maps
        passed through; a problem at ``path`` when there is no such field."""
        scope = {**self.common, **self.fields}
        found: Field | None = None
        lists: list[str] = []
        parts = dotted.split(".")
        for n, part in enumerate(parts):
            found = scope.get(part)
            if found is None:
                self.problem(path, f"không có trường '{dotted}' trong chuyên mục")
                return None, ()
            if found.type == "list" and found.fields and n < len(parts) - 1:
                lists.append(".".join(parts[: n + 1]))
            scope = found.fields
        return found, tuple(lists)

    def typed(self, dotted: str, path: FieldPath, wanted: tuple[str, ...]) -> tuple[Field | None, tuple[str, ...]]:
        found, lists = self.lookup(dotted, path)
        if found is not None and _value_type(found) not in wanted:
            self.problem(path, f"trường '{dotted}' có kiểu {_value_type(found)}; cần kiểu {' hoặc '.join(wanted)}")
            return None, lists
        return found, lists

    def category(self) -> Category:
        raw = self.raw
        self.html(raw, ())
        for f in self.fields.values():
            self.kind_list(f.kinds or [], ("fields", f.name, "kinds"))
        deadlines, problems = parse_rules(raw.get("rules"), self.kinds, self.source, self.lines)
        self.problems += problems
        privacy = raw.get("privacy") or {}
        hotline = raw.get("hotline") == "true"
        category = Category(
            slug=self.slug,
            title=raw["title"],
            description=raw.get("description", ""),
            order=int(raw.get("order", "100")),
            kinds=self.kinds,
            fields=self.fields,
            document_required=raw.get("document") == "required",
            sort_date=raw.get("sort_date") or [],
            hotline=hotline,
            source=self.source,
            rules=raw.get("rules") or {},
            deadlines=deadlines,
            strict_all=privacy.get("strict") == "true",
            strict_kinds=self.kind_list(privacy.get("strict_kinds") or [], ("privacy", "strict_kinds")),
            checks=tuple(self.check(item, ("checks", n)) for n, item in enumerate(raw.get("checks") or [])),
            calendar=self.calendar(raw["calendar"]) if raw.get("calendar") is not None else None,
            hotline_fields=self.hotline_fields(raw.get("hotline_fields"), hotline),
            evidence=self.evidence(raw.get("evidence") or {}),
        )
        if self.problems:
            raise CongkhaiError(self.problems)
        return category

    def check(self, raw: dict[str, Any], path: FieldPath) -> Check:
        rule = raw["rule"]
        needed = CHECK_KEYS[rule]
        for key in raw:
            if key not in (*needed, "rule", "message", "warn"):
                self.problem((*path, key), f"khóa này không dùng cho rule: {rule}; dùng: {', '.join(needed)}")
        for key in needed:
            if raw.get(key) is None:
                self.problem((*path, key), "thiếu trường bắt buộc")
        warn = raw.get("warn") == "true"
        if any(raw.get(key) is None for key in needed):
            return Check(rule, raw["message"], warn=warn)
        if rule == "order":
            first, first_lists = self.typed(raw["first"], (*path, "first"), ORDERED_TYPES)
            then, then_lists = self.typed(raw["then"], (*path, "then"), ORDERED_TYPES)
            if first is not None and then is not None:
                if _value_type(first) != _value_type(then):
                    self.problem(
                        (*path, "then"),
                        f"trường '{raw['then']}' có kiểu {_value_type(then)}, khác kiểu "
                        f"{_value_type(first)} của '{raw['first']}'; không so sánh được",
                    )
                elif first_lists and then_lists != first_lists:
                    self.problem((*path, "then"), f"phải nằm trong cùng danh sách với '{raw['first']}'")
        elif rule == "in_month":
            self.typed(raw["field"], (*path, "field"), ("date",))
            _, lists = self.typed(raw["month"], (*path, "month"), ("month",))
            if lists:
                self.problem((*path, "month"), "trường tháng không được nằm trong danh sách")
        elif rule == "forbids":
            self.typed(raw["when"], (*path, "when"), ("bool",))
            self.lookup(raw["field"], (*path, "field"))
        elif rule == "near":
            first, lists = self.typed(raw["first"], (*path, "first"), ("date", "month", "year"))
            if lists:
                self.problem((*path, "first"), "trường mốc không được nằm trong danh sách")
            self.typed(raw["then"], (*path, "then"), ("date",))
            if not raw["years"].isascii() or not raw["years"].isdigit():
                self.problem((*path, "years"), f"'{raw['years']}' không phải là số nguyên không âm")
            unit = _value_type(first) if first is not None else ""
            return Check(rule, raw["message"], unit=unit, warn=warn, **{key: raw[key] for key in needed})
        elif rule == "min_days":
            self.typed(raw["first"], (*path, "first"), ("date",))
            self.typed(raw["then"], (*path, "then"), ("date",))
            if not raw["days"].isascii() or not raw["days"].isdigit():
                self.problem((*path, "days"), f"'{raw['days']}' không phải là số nguyên không âm")
        else:
            found, _ = self.lookup(raw["field"], (*path, "field"))
            if found is not None and found.type not in ("int", "list"):
                self.problem((*path, "field"), f"trường '{raw['field']}' có kiểu {found.type}; cần kiểu int hoặc list")
            self.typed(raw["needs"], (*path, "needs"), ("bool",))
        return Check(rule, raw["message"], warn=warn, **{key: raw[key] for key in needed})

    def calendar(self, raw: dict[str, Any]) -> CalendarSpec | None:
        holder = self.fields.get(raw["field"])
        if holder is None or holder.type != "list" or not holder.fields:
            self.problem(
                ("calendar", "field"),
                f"trường '{raw['field']}' phải là một danh sách các buổi (type: list với item) của chuyên mục",
            )
            return None
        wanted = {"date": ("date",), "start": ("time",), "end": ("time",)}
        names: dict[str, str | None] = {}
        for key in SESSION_KEYS:
            name = raw.get(key, "date" if key == "date" else None)
            names[key] = name
            if name is None:
                continue
            sub = holder.fields.get(name)
            if sub is None:
                self.problem(("calendar", key), f"không có trường '{name}' trong mỗi mục của '{raw['field']}'")
            elif key in wanted and _value_type(sub) not in wanted[key]:
                self.problem(
                    ("calendar", key), f"trường '{raw['field']}.{name}' có kiểu {sub.type}; cần kiểu {wanted[key][0]}"
                )
        kinds = raw.get("kinds")
        return CalendarSpec(
            field=raw["field"],
            kinds=self.kind_list(kinds, ("calendar", "kinds")) if kinds is not None else None,
            summary=raw.get("summary") or self.raw["title"],
            **names,  # type: ignore[arg-type]
        )

    def hotline_fields(self, raw: dict[str, str] | None, hotline: bool) -> HotlineFields:
        if raw is None:
            return HotlineFields()
        if not hotline:
            self.problem(("hotline_fields",), "chỉ dùng khi hotline: true")
        names = HotlineFields(**raw)
        shapes = {"phones": ("list",), "emails": ("list", "email"), "hours": None, "address": None}
        for key, types in shapes.items():
            if key not in raw:
                continue
            found = self.fields.get(raw[key])
            if found is None:
                self.problem(("hotline_fields", key), f"không có trường '{raw[key]}' trong fields của chuyên mục")
            elif types and found.type not in types:
                self.problem(
                    ("hotline_fields", key),
                    f"trường '{raw[key]}' có kiểu {found.type}; cần kiểu {' hoặc '.join(types)}",
                )
        phones = self.fields.get(names.phones)
        for key in ("number", "label"):
            if key in raw and phones is not None and phones.fields and raw[key] not in phones.fields:
                self.problem(
                    ("hotline_fields", key), f"không có trường '{raw[key]}' trong mỗi mục của '{names.phones}'"
                )
        return names

    def evidence(self, raw: dict[str, Any]) -> dict[str | None, tuple[EvidenceItem, ...]]:
        out: dict[str | None, tuple[EvidenceItem, ...]] = {}
        if "default" in raw:
            out[None] = self.evidence_items(raw["default"], ("evidence", "default"))
        for kind, items in (raw.get("kinds") or {}).items():
            if kind not in self.kinds:
                self.problem(("evidence", "kinds", kind), f"loại '{kind}' không có trong kinds")
            out[kind] = self.evidence_items(items, ("evidence", "kinds", kind))
        return out

    def evidence_items(self, raw: list[dict[str, Any]], path: FieldPath) -> tuple[EvidenceItem, ...]:
        known = attachment_kinds(self.common)
        items = []
        for n, item in enumerate(raw):
            where = (*path, n)
            for m, kind in enumerate(item["attachments"]):
                if kind not in known:
                    self.problem(
                        (*where, "attachments", m),
                        f"loại tài liệu '{kind}' không có trong attachments.kind của _common.yml; dùng một trong: "
                        + ", ".join(known),
                    )
            if not item["attachments"]:
                self.problem((*where, "attachments"), "cần ít nhất một loại tài liệu")
            for key in ("if", "unless"):
                if item.get(key) is not None:
                    self.typed(item[key], (*where, key), ("bool",))
            first = item["attachments"][0] if item["attachments"] else ""
            items.append(
                EvidenceItem(
                    label=item.get("label") or known.get(first, first),
                    attachments=tuple(item["attachments"]),
                    if_field=item.get("if"),
                    unless=item.get("unless"),
                    year_end=item.get("year_end") == "true",
                    signed=item.get("signed") == "true",
                )
            )
        return tuple(items)


def _value_type(spec: Field) -> str:
    """The type of each value a field holds (a ``list`` ``of: date`` holds dates)."""
    return spec.of or "text" if spec.type == "list" and not spec.fields else spec.type


def _make_category(
    slug: str, raw: dict[str, Any], source: str, lines: dict[FieldPath, int], common: dict[str, Field]
) -> Category:
    return _Definition(slug, raw, source, lines, common).category()


def load_categories(disclosures: Path, root: Path) -> dict[str, Category]:
    """The shipped categories, plus or overridden by ``<disclosures>/<slug>/_category.yml``.

    Returned in display order (``order``, then slug).
    """
    common = load_common()
    found: dict[str, Category] = {}
    for entry in sorted(DATA_DIR.glob("[!_]*.yml")):
        source = f"generator/records/category_data/{entry.name}"
        raw, lines = _read_definition(entry.read_text("utf-8"), source, _CATEGORY_META_SCHEMA)
        found[entry.stem] = _make_category(entry.stem, raw, source, lines, common)
    if disclosures.is_dir():
        for path in sorted(disclosures.glob(f"*/{CATEGORY_FILE}")):
            slug = path.parent.name
            source = path.relative_to(root).as_posix()
            raw, lines = _read_definition(_read_category_file(path, source), source, _CATEGORY_META_SCHEMA)
            found[slug] = _make_category(slug, raw, source, lines, common)
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def site_path_problems(categories: dict[str, Category], docs_dir: Path, root: Path) -> list[Problem]:
    """A category's folder name is the first part of its pages' addresses: it may not be a
    folder the site already uses (the log, the catalogue, search, the theme's assets, a
    hand-written page), or one would silently replace the other."""
    taken = {
        paths.LOG_PAGE.strip("/"): "trang nhật ký công khai",
        paths.CATALOGUE_PAGE.strip("/"): "trang danh mục thông tin",
        paths.SEARCH_PAGE.strip("/"): "trang tìm kiếm",
        paths.ASSETS_DIR.strip("/"): "thư mục giao diện (assets)",
        "search": "thư mục giao diện (search)",
    }
    if docs_dir.is_dir():
        for path in sorted(docs_dir.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(docs_dir).as_posix()
            top = paths.page_url(rel).split("/")[0] if rel.endswith(".md") else rel.split("/")[0]
            if top:
                taken.setdefault(top, f"trang viết tay {paths.relpath(path, root)}")
    problems = []
    for slug, category in categories.items():
        if slug not in taken:
            continue
        if not category.source.startswith("generator/"):
            problems.append(
                Problem(
                    category.source,
                    1,
                    "category",
                    f"tên thư mục chuyên mục '{slug}' trùng với đường dẫn /{slug}/ của {taken[slug]}; "
                    "hãy đổi tên thư mục chuyên mục",
                )
            )
        elif taken[slug].startswith("trang viết tay "):
            problems.append(
                Problem(
                    taken[slug].removeprefix("trang viết tay "),
                    1,
                    "trang",
                    f"đường dẫn /{slug}/ của trang này trùng với chuyên mục '{category.title}'; hãy đổi tên tệp hoặc thư mục",
                )
            )
    return problems


def _read_category_file(path: Path, source: str) -> str:
    """The text of an office's category file (UTF-8, BOM allowed), or a clear refusal."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CongkhaiError(
            [Problem(source, line, "category", "tệp không phải văn bản UTF-8; hãy lưu lại với bảng mã UTF-8")]
        ) from None
    if "\x00" in text:
        raise CongkhaiError([Problem(source, 1, "category", "tệp nhị phân hoặc UTF-16; hãy lưu lại với bảng mã UTF-8")])
    return text.replace("\r\n", "\n")
