"""Categories of disclosures, defined as data.

A category is a YAML file: title, description, kinds, fields (with type, label, help,
required, kinds), and what Python would otherwise hard-code for it: deadline rules
(``rules``), cross-field checks with their messages (``checks``), which records make
calendar events (``calendar``), which fields hold the hotline's contact
(``hotline``/``hotline_fields``), whether the strictest privacy rule applies
(``privacy``) and the evidence an inspector expects per kind (``evidence``). Every block
is checked when the categories are loaded, and a mistake is reported at its line. Six ship in ``generator/records/category_data/``; an office
adds a seventh, or overrides a shipped one, by placing ``_category.yml`` in the
category's folder under ``disclosures/`` — no Python needed. ``_common.yml`` holds the
fields every record may carry.

From each category this module builds one JSON Schema per kind (draft 2020-12), run
with :mod:`jsonschema`; its errors become ``path:line: field: message`` problems.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

from generator.core import paths
from generator.core.errors import CongkhaiError, Problem
from generator.core.sanitize import html_problems
from generator.core.values import PARSERS, curly_quoted, fold
from generator.core.yamltext import Path as FieldPath
from generator.core.yamltext import field_name, read_yaml
from generator.records.deadline_rules import Rules, parse_rules

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
    max_length: int | None = None
    """For ``text``: the most characters a value may have (``max_length: "500"``)."""
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
            out: dict[str, Any] = {"type": "array", "items": items}
            if self.required:  # a required list needs an item: `sessions: []` says nothing
                out["minItems"] = 1
            return out
        if self.type == "enum":
            return {"type": "string", "enum": list(self.values)}
        out = _scalar_schema(self.type)
        if self.pattern:
            out["pattern"] = self.pattern
        if self.max_length:
            out["maxLength"] = self.max_length
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


_PYTHON_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str}
"""JSON Schema types as :mod:`jsonschema` checks them (``object`` is a ``dict``, …)."""
_QUICK_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "items", "minItems", "enum", "format", "pattern",
    "maxLength",
}  # fmt: skip


def quick_check(schema: Any) -> Callable[[Any], bool] | None:
    """A plain Python function that says whether an instance is valid against ``schema``,
    for the keywords :func:`_object_schema` writes (``type``, ``properties``, ``required``,
    ``additionalProperties: false``, ``items``, ``minItems``, ``enum`` of texts,
    ``format: ck-…``, ``pattern``, ``maxLength``), each as :mod:`jsonschema` applies it
    (``properties``, ``required`` and ``additionalProperties`` to maps only, ``items`` and
    ``minItems`` to lists only, ``format``, ``pattern`` and ``maxLength`` to texts only);
    ``None`` for a schema using anything else. Most records are valid: they are let
    through by this function alone, and only an instance it refuses goes through
    :mod:`jsonschema`'s ``iter_errors`` for the messages."""
    if not isinstance(schema, dict) or not set(schema) <= _QUICK_KEYWORDS:
        return None
    wanted: type | None = None
    if "type" in schema:
        if not isinstance(schema["type"], str) or schema["type"] not in _PYTHON_TYPES:
            return None
        wanted = _PYTHON_TYPES[schema["type"]]
    properties = {}
    for name, sub in schema.get("properties", {}).items():
        properties[name] = quick_check(sub)
        if properties[name] is None:
            return None
    required = schema.get("required", [])
    closed = schema.get("additionalProperties", True)
    item = quick_check(schema["items"]) if "items" in schema else None
    least = schema.get("minItems", 0)
    enum = schema.get("enum")
    longest = schema.get("maxLength")
    parse = search = None
    if (
        not isinstance(schema.get("properties", {}), dict)
        or not isinstance(required, list)
        or closed not in (True, False)
        or ("items" in schema and item is None)
        or type(least) is not int
        or (enum is not None and not (isinstance(enum, list) and all(type(v) is str for v in enum)))
        or (longest is not None and type(longest) is not int)
    ):
        return None
    if "format" in schema:
        name = schema["format"]
        if not (isinstance(name, str) and name.startswith("ck-") and name[3:] in PARSERS):
            return None
        parse = PARSERS[name[3:]]
    if "pattern" in schema:
        try:
            search = re.compile(schema["pattern"]).search
        except (re.error, TypeError):
            return None
    needed = frozenset(required)
    choices = None if enum is None else frozenset(enum)

    def check(instance: Any) -> bool:
        if wanted is not None and not isinstance(instance, wanted):
            return False
        if choices is not None and not (type(instance) is str and instance in choices):
            return False
        if isinstance(instance, dict):
            if not needed <= instance.keys():
                return False
            for key, value in instance.items():
                sub = properties.get(key)
                if sub is None:
                    if closed is False:
                        return False
                elif not sub(value):
                    return False
        elif isinstance(instance, list):
            if len(instance) < least:
                return False
            if item is not None:
                for value in instance:
                    if not item(value):
                        return False
        elif isinstance(instance, str):
            if longest is not None and len(instance) > longest:
                return False
            if search is not None and search(instance) is None:
                return False
            if parse is not None:
                try:
                    parse(instance)
                except ValueError:
                    return False
        return True

    return check


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


ORDERED_TYPES = ("date", "time", "month", "int", "year", "money")
"""Value types a ``checks`` rule of kind ``order`` can compare."""
CHECK_KEYS = {
    "order": ("first", "then"),
    "in_month": ("field", "month"),
    "forbids": ("when", "field"),
    "min_days": ("first", "then", "days"),
    "zero_needs": ("field", "needs"),
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
      be true (``visitors: 0`` needs ``no_visitors: true``).
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
        return out


def _indexes(path: FieldPath) -> tuple[int, ...]:
    return tuple(part for part in path if isinstance(part, int))


def run_checks(checks: Any, data: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Every ``(field path, message)`` of ``checks`` (a sequence of :class:`Check`)."""
    return [found for check in checks for found in check.problems(data)]


@dataclass(frozen=True)
class CalendarSpec:
    """Which records make calendar events (``calendar:`` of a category file): the list
    field holding the sessions, the kinds that have it, and the names of the sub-fields."""

    field: str
    kinds: tuple[str, ...] | None
    date: str
    start: str | None
    end: str | None
    place: str | None
    host: str | None
    summary: str
    """The events' title (``Tiếp công dân``), followed by `` – <host>`` when known."""


SESSION_KEYS = ("date", "start", "end", "place", "host")


@dataclass(frozen=True)
class HotlineFields:
    """Names of the fields that hold a hotline's contact (``hotline_fields:``)."""

    phones: str = "phones"
    number: str = "number"
    label: str = "label"
    emails: str = "emails"
    hours: str = "hours"
    address: str = "address"


@dataclass(frozen=True)
class Contact:
    """A hotline record's contact: ``phones`` are ``{"number", "label"}`` maps."""

    phones: list[dict[str, Any]]
    emails: list[str]
    hours: str | None = None
    address: str | None = None

    @property
    def values(self) -> list[str]:
        """The phone numbers and e-mail addresses."""
        return [p["number"] for p in self.phones if p.get("number")] + self.emails


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence an inspector expects (``evidence:``): satisfied by any
    attachment of one of ``attachments`` (kinds of ``_common.yml``)."""

    label: str
    attachments: tuple[str, ...]
    if_field: str | None = None
    """Expected only when this bool field is true (``if: nil_report``)."""
    unless: str | None = None
    """Not expected when this bool field is true (``unless: nil_report``)."""
    year_end: bool = False
    """Expected only once the year has closed (``year_end: true``)."""

    def applies(self, data: dict[str, Any], year_closed: bool = True) -> bool:
        if self.year_end and not year_closed:
            return False
        if self.if_field and data.get(self.if_field) is not True:
            return False
        return not (self.unless and data.get(self.unless) is True)


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
    """The ``rules:`` block as written (text); :attr:`deadlines` is its parsed form."""
    deadlines: Rules = field(default_factory=Rules)
    strict_all: bool = False
    strict_kinds: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    calendar: CalendarSpec | None = None
    hotline_fields: HotlineFields = field(default_factory=HotlineFields)
    evidence: dict[str | None, tuple[EvidenceItem, ...]] = field(default_factory=dict)
    """Expected evidence by kind; the key ``None`` is the category's default."""
    _validators: dict[str | None, Draft202012Validator] = field(default_factory=dict, repr=False)
    _quick: dict[str | None, Callable[[Any], bool] | None] = field(default_factory=dict, repr=False)

    def kind_label(self, kind: str | None) -> str:
        return self.kinds.get(kind or "", "")

    def is_strict(self, kind: str | None) -> bool:
        """Records of ``kind`` are held to the strictest privacy rule (``privacy:``)."""
        return self.strict_all or (kind is not None and kind in self.strict_kinds)

    def check(self, data: dict[str, Any]) -> list[tuple[FieldPath, str]]:
        """``(field path, message)`` for each of this category's ``checks`` a record's
        typed ``data`` breaks."""
        return run_checks(self.checks, data)

    def sessions(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """The calendar sessions of a record's typed ``data``, normalised to the keys
        ``date``, ``start``, ``end``, ``place``, ``host`` (None when absent), in the
        record's order; empty when the category or the record's kind has no calendar."""
        spec = self.calendar
        if spec is None or (spec.kinds is not None and data.get("kind") not in spec.kinds):
            return []
        out = []
        for item in data.get(spec.field) or []:
            if isinstance(item, dict):
                out.append({key: item.get(name) if name else None for key, name in _session_names(spec)})
        return out

    def contact(self, data: dict[str, Any]) -> Contact | None:
        """The contact a hotline record publishes (None: not a hotline category)."""
        if not self.hotline:
            return None
        names = self.hotline_fields
        phones = []
        for item in data.get(names.phones) or []:
            if isinstance(item, dict):
                phones.append({"number": item.get(names.number), "label": item.get(names.label)})
            elif isinstance(item, str):
                phones.append({"number": item, "label": None})
        emails = data.get(names.emails) or []
        emails = [emails] if isinstance(emails, str) else [e for e in emails if isinstance(e, str)]
        return Contact(phones, emails, data.get(names.hours), data.get(names.address))

    def expected_evidence(
        self, kind: str | None, data: dict[str, Any] | None = None, year_closed: bool = True
    ) -> list[EvidenceItem]:
        """What an inspector expects for a record of ``kind`` (its ``data`` decides the
        items with ``if``/``unless``; ``year_closed``: the record's year has ended)."""
        items = self.evidence[kind] if kind in self.evidence else self.evidence.get(None, ())
        return [item for item in items if item.applies(data or {}, year_closed)]

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

    def quick_check(self, common: dict[str, Field], kind: str | None) -> Callable[[Any], bool] | None:
        """:func:`quick_check` of :meth:`validator`'s schema, made once per kind."""
        if kind not in self._quick:
            self._quick[kind] = quick_check(self.validator(common, kind).schema)
        return self._quick[kind]


def _session_names(spec: CalendarSpec) -> list[tuple[str, str | None]]:
    return [(key, getattr(spec, key)) for key in SESSION_KEYS]


def evidence_kinds(categories: dict[str, Category], common: dict[str, Field]) -> dict[str, str]:
    """Attachment kinds some category expects as evidence, with their labels, in the
    order of ``_common.yml`` (the report's columns)."""
    used = {kind for c in categories.values() for items in c.evidence.values() for i in items for kind in i.attachments}
    return {kind: label for kind, label in attachment_kinds(common).items() if kind in used}


def attachment_kinds(common: dict[str, Field]) -> dict[str, str]:
    """``attachments[].kind`` values of ``_common.yml`` and their labels."""
    spec = common.get("attachments")
    kind = spec.fields.get("kind") if spec else None
    return dict(kind.values) if kind else {}


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
            if key not in (*needed, "rule", "message"):
                self.problem((*path, key), f"khóa này không dùng cho rule: {rule}; dùng: {', '.join(needed)}")
        for key in needed:
            if raw.get(key) is None:
                self.problem((*path, key), "thiếu trường bắt buộc")
        if any(raw.get(key) is None for key in needed):
            return Check(rule, raw["message"])
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
        return Check(rule, raw["message"], **{key: raw[key] for key in needed})

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
    meant: set[str] = set()
    """Fields written by their Vietnamese label: not also reported missing."""

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
                    scope = _scope(fields, path)
                    hint = _vietnamese_key(name, scope) if scope else None
                    close = difflib.get_close_matches(name, allowed, n=1)
                    if hint:
                        message += "; tên trường viết bằng tiếng Anh: " + hint[0]
                        meant.add(field_name((*path, hint[1])))
                    elif close:
                        message += f"; có phải ý bạn là '{close[0]}'?"
                problems.add(Problem(relpath, where, field_name(sub), message))
        elif kind == "type":
            if error.instance is None or error.instance == "":
                message = "không được để trống"
            else:
                expected = error.validator_value
                message = _TYPE_WORDS.get(expected, f"phải có kiểu {expected}").format(got=_describe(error.instance))
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind in ("enum", "format", "pattern") and isinstance(error.instance, str) and curly_quoted(error.instance):
            problems.add(Problem(relpath, line, field_name(path), curly_quoted(error.instance) or ""))
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
        elif kind == "minItems":
            label = label_of(path)
            message = "danh sách không được để trống" + (f" ({label})" if label else "") + "; thêm ít nhất một mục"
            problems.add(Problem(relpath, line, field_name(path), message))
        elif kind == "maxLength":
            message = (
                f"dài {len(error.instance)} ký tự, quá giới hạn {error.validator_value} ký tự; "
                "viết ngắn lại, đưa phần chi tiết vào summary hoặc nội dung (body)"
            )
            problems.add(Problem(relpath, line, field_name(path), message))
        else:  # pragma: no cover - schema keywords we generate are all handled above
            problems.add(Problem(relpath, line, field_name(path), error.message))
    return sorted(p for p in problems if not (p.field in meant and p.message.startswith("thiếu trường bắt buộc")))


def _scope(fields: dict[str, Field] | None, path: FieldPath) -> dict[str, Field]:
    """The fields allowed at ``path`` (list positions skipped): the record's, or a map's."""
    if not fields:
        return {}
    if not path:
        return fields
    if not isinstance(path[0], str) or path[0] not in fields:
        return {}
    found = fields[path[0]].find(path[1:])
    return found.fields if found else {}


def _vietnamese_key(name: str, scope: dict[str, Field]) -> tuple[str, str] | None:
    """A field written by its Vietnamese label (``đơn vị:``, ``Tiêu đề:``) instead of its key:
    the key whose label it is (diacritics and case aside; the start of a longer label
    counts: ``đơn vị`` for "Đơn vị chủ trì"), also one level down (``số ký hiệu`` is
    ``number`` in ``document``)."""
    if name.isascii() and " " not in name and "_" not in name:
        return None
    wanted = " ".join(fold(name).replace("_", " ").split())
    if not wanted:
        return None

    def matches(found: dict[str, Field]) -> list[Field]:
        exact = [f for f in found.values() if fold(f.label) == wanted]
        return exact or [f for f in found.values() if fold(f.label).startswith(wanted + " ")]

    here = matches(scope)
    if len(here) == 1:
        return f"có phải ý bạn là '{here[0].name}' ({here[0].label})?", here[0].name
    if here:
        return "có phải ý bạn là " + " hoặc ".join(f"'{f.name}' ({f.label})" for f in here) + "?", ""
    for parent in scope.values():
        below = matches(parent.fields) if parent.type == "map" else []
        if len(below) == 1:
            name = below[0].name
            return (
                f"có phải ý bạn là '{name}' ({below[0].label}) trong '{parent.name}', viết {parent.name}: {{{name}: …}}?",
                "",
            )
    labels = {fold(f.label): f for f in scope.values()}
    close = difflib.get_close_matches(wanted, list(labels), n=1, cutoff=0.75)
    if close:
        found = labels[close[0]]
        return f"có phải ý bạn là '{found.name}' ({found.label})?", found.name
    return None


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
    quick = category.quick_check(common, kind)
    if quick is not None and quick(data):
        problems = []  # valid: jsonschema would find no error either (tests/test_fast_paths.py)
    else:
        problems = schema_problems(category.validator(common, kind), data, lines, relpath, fields, other_kind)
    if problems:
        return {}, problems
    typed = {name: f.convert(data[name]) for name, f in fields.items() if data.get(name) is not None}
    return typed, []


__all__ = [
    "CalendarSpec",
    "Category",
    "Check",
    "Contact",
    "EvidenceItem",
    "Field",
    "HotlineFields",
    "evidence_kinds",
    "jsonschema",
    "load_categories",
    "load_common",
    "run_checks",
    "validate_record",
]
