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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from generator.core.yamltext import Path as FieldPath
from generator.records.checks import Check, run_checks
from generator.records.deadline_rules import Rules
from generator.records.fields import FORMAT_CHECKER, Field, _object_schema, quick_check


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
    signed: bool = False
    """Should be signed digitally (``signed: "true"``): ``check`` warns when such a PDF is not."""

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
