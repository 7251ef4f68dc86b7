"""A field of a record, defined as data: its type, label and help, the JSON Schema
(draft 2020-12) of its value, and the checks a value's text format gets (``ck-<type>``).
:func:`quick_check` is a hand-written fast path for the schemas made here."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import FormatChecker

from generator.core.values import PARSERS
from generator.core.yamltext import Path as FieldPath

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
