"""Categories of disclosures, defined as data.

A category is a YAML file: title, description, kinds, fields (with type, label, help,
required, kinds), and optional rules. Six ship in ``generator/category_data/``; an office
adds a seventh, or overrides a shipped one, by placing ``_category.yml`` in the
category's folder under ``disclosures/`` — no Python needed. ``_common.yml`` holds the
fields every record may carry.

From each category this module builds one JSON Schema per kind (draft 2020-12), run
with :mod:`jsonschema`; its errors become ``path:line: field: message`` problems.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

from generator.errors import CongkhaiError, Problem
from generator.values import PARSERS
from generator.yamltext import Path as FieldPath
from generator.yamltext import field_name, read_yaml

CATEGORY_FILE = "_category.yml"
DATA_DIR = Path(__file__).parent / "category_data"

FORMAT_CHECKER = FormatChecker(formats=())


def _register(name: str, parser: Any) -> None:
    def check(instance: object) -> bool:
        if isinstance(instance, str):  # other types are reported by "type"
            parser(instance)
        return True

    FORMAT_CHECKER.checks(f"ck-{name}", raises=ValueError)(check)


for _name, _parser in PARSERS.items():
    _register(_name, _parser)


@dataclass
class Field:
    """One field of a record: its type and how it is shown."""

    name: str
    type: str
    label: str
    help: str = ""
    required: bool = False
    kinds: list[str] | None = None
    values: dict[str, str] = field(default_factory=dict)
    of: str | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    pattern: str | None = None
    pattern_help: str | None = None
    notice: bool = False
    """A ``bool`` field whose label is shown as a notice when true."""
    private: bool = False
    """Validated but never shown: kept out of ``Record.data`` (pages, feeds, search,
    catalogue) and in ``Record.private`` instead."""

    def applies_to(self, kind: str | None) -> bool:
        return self.kinds is None or kind in self.kinds

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of this field's value (scalars are text, checked by format)."""
        if self.type == "map":
            return _object_schema(self.fields.values())
        if self.type == "list":
            items = _object_schema(self.fields.values()) if self.fields else _scalar_schema(self.of or "text")
            return {"type": "array", "items": items}
        if self.type == "enum":
            return {"type": "string", "enum": list(self.values)}
        out = _scalar_schema(self.type)
        if self.pattern:
            out["pattern"] = self.pattern
        return out

    def convert(self, value: Any) -> Any:
        """Convert an already validated text value to its Python type."""
        if value is None:
            return None
        if self.type == "map":
            return {k: f.convert(value.get(k)) for k, f in self.fields.items() if value.get(k) is not None}
        if self.type == "list":
            if self.fields:
                return [
                    {k: f.convert(item.get(k)) for k, f in self.fields.items() if item.get(k) is not None}
                    for item in value
                ]
            parse = PARSERS[self.of or "text"]
            return [parse(item) for item in value]
        if self.type == "enum":
            return value
        return PARSERS[self.type](value)

    def find(self, path: FieldPath) -> Field | None:
        """The sub-field at ``path`` (list positions skipped)."""
        current: Field | None = self
        for part in path:
            if current is None or isinstance(part, int):
                continue
            current = current.fields.get(part)
        return current


def _scalar_schema(type_name: str) -> dict[str, Any]:
    if type_name == "markdown":
        return {"type": "string"}
    return {"type": "string", "format": f"ck-{type_name}"}


def _object_schema(fields: Any, extra_required: tuple[str, ...] = ()) -> dict[str, Any]:
    fields = list(fields)
    return {
        "type": "object",
        "properties": {f.name: f.schema() for f in fields},
        "required": [f.name for f in fields if f.required] + list(extra_required),
        "additionalProperties": False,
    }


@dataclass
class Category:
    """A category of disclosures: a folder, a URL prefix and a navigation section."""

    slug: str
    title: str
    description: str
    order: int
    kinds: dict[str, str]
    fields: dict[str, Field]
    document_required: bool
    sort_date: list[str]
    hotline: bool
    source: str
    rules: dict[str, Any] = field(default_factory=dict)
    _validators: dict[str | None, Draft202012Validator] = field(default_factory=dict, repr=False)

    def kind_label(self, kind: str | None) -> str:
        return self.kinds.get(kind or "", "")

    def all_fields(self, common: dict[str, Field], kind: str | None) -> dict[str, Field]:
        """Common fields then this category's fields valid for ``kind``."""
        merged = dict(common)
        merged.update({n: f for n, f in self.fields.items() if f.applies_to(kind) or kind is None})
        return merged

    def validator(self, common: dict[str, Field], kind: str | None) -> Draft202012Validator:
        """The JSON Schema validator for records of ``kind`` (``None``: any kind)."""
        if kind not in self._validators:
            required = ["kind"] if self.kinds else []
            if self.document_required:
                required.append("document")
            fields = list(common.values()) + [f for f in self.fields.values() if kind is None or f.applies_to(kind)]
            schema = _object_schema(fields, tuple(required))
            if kind is None:  # kind unknown: do not demand kind-specific fields
                schema["required"] = [
                    n for n in schema["required"] if n in common or n not in self.fields or self.fields[n].kinds is None
                ]
            if self.kinds:
                schema["properties"]["kind"] = {"type": "string", "enum": list(self.kinds)}
            else:
                schema["properties"].pop("kind", None)
            self._validators[kind] = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
        return self._validators[kind]


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
                "notice": {"enum": ["true", "false"]},
                "private": {"enum": ["true", "false"]},
            },
        }
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
        notice=raw.get("notice") == "true",
        private=raw.get("private") == "true",
    )


def _read_definition(text: str, relpath: str, meta: dict[str, Any]) -> dict[str, Any]:
    value, lines, problems = read_yaml(text, relpath)
    if not problems:
        problems = schema_problems(Draft202012Validator(meta), value or {}, lines, relpath, None)
    if problems:
        raise CongkhaiError(problems)
    return value


def load_common() -> dict[str, Field]:
    """The fields every record may carry (``_common.yml``)."""
    text = (DATA_DIR / "_common.yml").read_text("utf-8")
    raw = _read_definition(text, "generator/category_data/_common.yml", _COMMON_META_SCHEMA)
    return {k: _parse_field(k, v) for k, v in raw.items()}


def _make_category(slug: str, raw: dict[str, Any], source: str) -> Category:
    kinds = raw.get("kinds") or {}
    fields = {k: _parse_field(k, v) for k, v in (raw.get("fields") or {}).items()}
    problems = []
    for f in fields.values():
        for kind in f.kinds or []:
            if kind not in kinds:
                problems.append(Problem(source, 1, f"fields.{f.name}.kinds", f"loại '{kind}' không có trong kinds"))
    if problems:
        raise CongkhaiError(problems)
    return Category(
        slug=slug,
        title=raw["title"],
        description=raw.get("description", ""),
        order=int(raw.get("order", "100")),
        kinds=kinds,
        fields=fields,
        document_required=raw.get("document") == "required",
        sort_date=raw.get("sort_date") or [],
        hotline=raw.get("hotline") == "true",
        source=source,
        rules=raw.get("rules") or {},
    )


def load_categories(disclosures: Path, root: Path) -> dict[str, Category]:
    """The shipped categories, plus or overridden by ``<disclosures>/<slug>/_category.yml``.

    Returned in display order (``order``, then slug).
    """
    found: dict[str, Category] = {}
    for entry in sorted(DATA_DIR.glob("[!_]*.yml")):
        source = f"generator/category_data/{entry.name}"
        raw = _read_definition(entry.read_text("utf-8"), source, _CATEGORY_META_SCHEMA)
        found[entry.stem] = _make_category(entry.stem, raw, source)
    if disclosures.is_dir():
        for path in sorted(disclosures.glob(f"*/{CATEGORY_FILE}")):
            slug = path.parent.name
            source = path.relative_to(root).as_posix()
            raw = _read_definition(path.read_text("utf-8-sig"), source, _CATEGORY_META_SCHEMA)
            found[slug] = _make_category(slug, raw, source)
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def _line_for(lines: dict[FieldPath, int], path: FieldPath) -> int:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


_TYPE_WORDS = {
    "object": "phải là một bảng các trường (khóa: giá trị), không phải {got}",
    "array": "phải là một danh sách (mỗi mục một dòng bắt đầu bằng '- '), không phải {got}",
    "string": "phải là một giá trị đơn, không phải {got}",
}


def _describe(value: Any) -> str:
    if value is None:
        return "giá trị rỗng"
    if isinstance(value, list):
        return "một danh sách"
    if isinstance(value, dict):
        return "một bảng các trường"
    return f"'{value}'"


def schema_problems(
    validator: Draft202012Validator,
    instance: Any,
    lines: dict[FieldPath, int],
    relpath: str,
    fields: dict[str, Field] | None,
    other_kind_fields: dict[str, list[str]] | None = None,
) -> list[Problem]:
    """Run ``validator`` and turn each error into one ``Problem`` in Vietnamese."""
    problems: set[Problem] = set()

    def label_of(path: FieldPath) -> str:
        if not fields or not path or not isinstance(path[0], str) or path[0] not in fields:
            return ""
        found = fields[path[0]].find(path[1:])
        return found.label if found else ""

    for error in validator.iter_errors(instance):
        path: FieldPath = tuple(error.absolute_path)
        line = _line_for(lines, path)
        kind = error.validator
        if kind == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    label = label_of(path + (name,))
                    message = "thiếu trường bắt buộc" + (f" ({label})" if label else "")
                    problems.add(Problem(relpath, line, field_name(path + (name,)), message))
        elif kind == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            for name in error.instance:
                if name in allowed:
                    continue
                sub = path + (name,)
                where = _line_for(lines, sub)
                if not path and other_kind_fields and name in other_kind_fields:
                    message = "trường này chỉ dùng cho loại: " + ", ".join(other_kind_fields[name])
                else:
                    message = "trường không được hỗ trợ"
                    close = difflib.get_close_matches(name, allowed, n=1)
                    if close:
                        message += f"; có phải ý bạn là '{close[0]}'?"
                problems.add(Problem(relpath, where, field_name(sub), message))
        elif kind == "type":
            if error.instance is None or error.instance == "":
                message = "không được để trống"
            else:
                expected = error.validator_value
                message = _TYPE_WORDS.get(expected, f"phải có kiểu {expected}").format(got=_describe(error.instance))
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "enum":
            choices = ", ".join(str(v) for v in error.validator_value)
            message = f"giá trị {_describe(error.instance)} không hợp lệ; chọn một trong: {choices}"
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "format":
            message = str(error.cause) if error.cause else error.message
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "pattern":
            spec = fields and path and isinstance(path[0], str) and fields.get(path[0])
            hint = spec.find(path[1:]).pattern_help if spec and spec.find(path[1:]) else None
            message = f"giá trị '{error.instance}' không hợp lệ" + (f"; {hint}" if hint else "")
            problems.add(Problem(relpath, line, field_name(path), message))
        else:  # pragma: no cover - schema keywords we generate are all handled above
            problems.add(Problem(relpath, line, field_name(path), error.message))
    return sorted(problems)


def validate_record(
    category: Category, common: dict[str, Field], data: Any, lines: dict[FieldPath, int], relpath: str
) -> tuple[dict[str, Any], list[Problem]]:
    """Validate one record's text tree against its category; return (typed data, problems)."""
    if not isinstance(data, dict):
        return {}, [
            Problem(
                relpath,
                1,
                "record",
                f"bản ghi phải là một bảng các trường (khóa: giá trị), không phải {_describe(data)}",
            )
        ]
    kind = data.get("kind") if isinstance(data.get("kind"), str) else None
    if kind not in category.kinds:
        kind = None
    fields = category.all_fields(common, kind)
    other_kind = {
        name: f.kinds for name, f in category.fields.items() if kind is not None and not f.applies_to(kind) and f.kinds
    }
    problems = schema_problems(category.validator(common, kind), data, lines, relpath, fields, other_kind)
    if problems:
        return {}, problems
    typed = {name: f.convert(data[name]) for name, f in fields.items() if data.get(name) is not None}
    return typed, []


__all__ = ["Category", "Field", "jsonschema", "load_categories", "load_common", "validate_record"]
