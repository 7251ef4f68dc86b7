"""The Decap CMS configuration (``config.yml``) of the browser form editor, generated from
the category data.

``congkhai edit`` serves it at ``/admin/config.yml`` with a ``local_backend`` (decap-server
in ``fs`` mode on 127.0.0.1); ``congkhai cms-config`` writes the same collections for an
office that edits on its own git server (``backend: gitea`` for Gitea and Forgejo,
``gitlab``).

One folder collection per category (``folder: disclosures/<slug>``); a category with kinds
gets one collection per kind, filtered on ``kind`` (a hidden field set to the kind), so
that each form shows exactly the fields of that kind and marks as required what ``check``
requires. Records are written as ``<year>/<slug>.yml`` (``path: "{{year}}/{{slug}}"``),
attachments next to the record (``media_folder: ""``). One widget per value type:

=============================  ==========================================================
type                           widget
=============================  ==========================================================
date                           ``ck-date``: typed ``3/12/2026``, ``03/12/2026`` or
                               ``2026-12-03`` (or picked), saved ``2026-12-03``
time                           ``ck-time``: ``7:30``, ``7h30``, ``07:30`` saved ``07:30``
month                          ``ck-month``: ``12/2026`` or ``2026-12`` saved ``2026-12``
year                           ``string`` with a pattern (``YYYY``)
int                            ``number`` (integer)
bool                           ``boolean``
enum                           ``select`` with the labels
markdown                       ``markdown``
list of maps / of scalars      ``list`` with ``fields`` (``summary``: the first field, as
                               ``Ngày: 2026-05-15``; items open, ``collapsed: false``; a
                               required list starts with one empty item, ``default: [{}]``)
                               / with one ``field``
map                            ``object``
attachments' ``file``          ``file`` (saved next to the record)
attachments' ``kind``          ``select`` starting as the first attachment kind the category's
                               ``evidence`` expects for the record's kind (``van-ban-goc``
                               for a schedule): the clerk attaching the signed scan opens no
                               list; the list itself starts empty (``default: []``)
anything else                  ``string``
=============================  ==========================================================

Decap marks every field required unless told: optional fields say ``required: false``, and
a required field inside an optional map (``withdrawn.date``) is optional in the form (the
check after each save still reports it when the map is filled in).

The ``ck-*`` widgets are registered by ``editor_assets/congkhai-editor.js`` (Decap's own
``datetime`` widget saves a typed ``03/12/2026`` as 1906-03-12, decap-cms#7939, and reads
mm/dd/yyyy in an English-language browser: no configuration makes it safe). They store the
text congkhai reads and refuse, in the form, what they cannot understand.

Decap writes the YAML itself; ``congkhai edit`` merges each save into the file on disk
(:mod:`generator.staff.roundtrip`), so that one field edited changes only its lines.
congkhai reads every scalar as text (``generator.core.yamltext``), so ``no``, ``on``,
``2026-05-01`` or ``0296…`` written unquoted are still read back as the same text.

The list of a collection shows each record's title with its date (``summary``) and sorts by
title or by that date, so that two records with one title are told apart.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml

from generator.records.categories import Category
from generator.records.fields import Field

BACKENDS = {"gitea": ("gitea", "/api/v1"), "forgejo": ("gitea", "/api/v1"), "gitlab": ("gitlab", "/api/v4")}
"""``--backend`` name -> (Decap backend name, API path under the server's address)."""

PATTERNS = {
    "year": (r"^[0-9]{4}$", "Năm viết 4 chữ số, ví dụ 2026"),
}
"""Text types the form checks with a pattern, and the message shown when it fails."""

WIDGETS = {"date": "ck-date", "time": "ck-time", "month": "ck-month"}
"""Types typed as a clerk types them, by the widgets of ``congkhai-editor.js``."""
TYPING = {
    "date": "Gõ ngày/tháng/năm, ví dụ 3/12/2026 hoặc 03/12/2026, hoặc bấm nút lịch để chọn.",
    "time": "Gõ giờ, ví dụ 7:30, 7h30 hoặc 07:30.",
    "month": "Gõ tháng/năm, ví dụ 12/2026.",
}
"""How each of those types may be typed: the end of the form's hint."""


def _hint(spec: Field) -> str:
    """The field's help as the form shows it: how to write the file's text (``viết "07:30"``,
    ``true khi``) becomes how to fill the form."""
    text = spec.help or ""
    if spec.type in TYPING:
        text = re.sub(r",?\s*viết\s.*$", "", text).rstrip(". ")
        return f"{text}. {TYPING[spec.type]}" if text else TYPING[spec.type]
    if spec.type == "bool":
        text = re.sub(r"^true khi", "Bật khi", text)
    return text


def widget(spec: Field, required: bool = True, parent: str = "") -> dict[str, Any]:
    """The Decap field of one congkhai field (``required``: every enclosing map is required)."""
    out: dict[str, Any] = {"name": spec.name, "label": spec.label}
    if _hint(spec):
        out["hint"] = _hint(spec)
    out["required"] = bool(spec.required and required)
    if spec.type in WIDGETS:
        out["widget"] = WIDGETS[spec.type]
    elif spec.type in PATTERNS:
        out.update(widget="string", pattern=list(PATTERNS[spec.type]))
    elif spec.type == "int":
        out.update(widget="number", value_type="int")
    elif spec.type == "bool":
        out.update(widget="boolean", default=False)
    elif spec.type == "enum":
        out.update(widget="select", options=[{"label": label, "value": value} for value, label in spec.values.items()])
    elif spec.type == "markdown":
        out.update(widget="markdown")
    elif spec.type == "map":
        out.update(widget="object", fields=[widget(f, out["required"]) for f in spec.fields.values()])
    elif spec.type == "list":
        out.update(widget="list", collapsed=False)
        if spec.fields:
            out["fields"] = [widget(f, True, spec.name) for f in spec.fields.values()]
            if out["required"]:  # a new record opens with the first item to fill in (no "add" click)
                out["default"] = [{}]
            first = next(iter(spec.fields.values()))  # a folded item reads "Ngày: 2026-05-15", not "No date"
            out["summary"] = f"{first.label}: {{{{fields.{first.name}}}}}"
        else:
            out["field"] = widget(Field(name=spec.name, type=spec.of or "text", label=spec.label, required=True))
    elif parent == "attachments" and spec.name == "file":
        out.update(widget="file", media_folder="", public_folder="", choose_url=False)
    else:
        out["widget"] = "string"
    return out


def _fields(category: Category, common: dict[str, Field], kind: str | None) -> list[dict[str, Any]]:
    out = []
    for name, spec in common.items():
        if name == "kind":
            if kind is not None:
                out.append({"name": "kind", "label": spec.label, "widget": "hidden", "default": kind})
            continue
        required = spec.required or (name == "document" and category.document_required)
        out.append(widget(dataclasses.replace(spec, required=required)))
    out += [widget(f) for f in category.fields.values() if kind is None or f.applies_to(kind)]
    _default_attachment_kind(out, category, kind)
    # the title first, the category's own fields before the common optional ones
    first = [f for f in out if f["name"] in ("title", "kind")]
    own = [f for f in out if f["name"] in category.fields]
    return first + own + [f for f in out if f not in first and f not in own]


def _default_attachment_kind(fields: list[dict[str, Any]], category: Category, kind: str | None) -> None:
    """A new attachment's "Loại tài liệu" starts as the kind of document the inspector
    expects first for this kind of record (the signed scan of a schedule or of minutes):
    the clerk attaching that document opens no list."""
    expected = [k for item in category.expected_evidence(kind) for k in item.attachments]
    for spec in fields:
        if spec["name"] == "attachments" and expected:
            for sub in spec.get("fields", []):
                values = {o["value"] for o in sub.get("options", [])}
                if sub["name"] == "kind" and expected[0] in values:
                    sub["default"] = expected[0]
                    spec["default"] = []  # else Decap starts a new record with one attachment, its file missing


def _dated(category: Category, common: dict[str, Field], kind: str | None) -> tuple[str, str] | None:
    """(field path, type) of the date a record of this kind is filed under: the category's
    ``sort_date`` fields, then the document's date."""
    for name in [*category.sort_date, "document.date"]:
        scope, spec = {**common, **category.fields}, None
        for part in name.split("."):
            spec = scope.get(part)
            scope = spec.fields if spec else {}
        if spec is not None and spec.type in ("date", "month") and (kind is None or spec.applies_to(kind)):
            return name, spec.type
    return None


def _summary(category: Category, common: dict[str, Field], kind: str | None) -> tuple[str, list[str]]:
    """The list's line for a record (its title, its date as written, its file's name) and its
    sort keys (Decap's ``date`` filter leaves a month or a text date empty)."""
    dated = _dated(category, common, kind)
    if dated is None:
        return "{{title}} · {{filename}}", ["title"]
    name, _type = dated
    return f"{{{{title}}}} · {{{{fields.{name}}}}} · {{{{filename}}}}", ["title", name]


def collections(categories: dict[str, Category], common: dict[str, Field], disclosures: str) -> list[dict[str, Any]]:
    """One folder collection per category, or per kind of a category with kinds."""
    out = []
    for slug, category in categories.items():
        for kind in list(category.kinds) or [None]:
            collection: dict[str, Any] = {
                "name": f"{slug}--{kind}" if kind else slug,
                "label": f"{category.title}: {category.kinds[kind]}" if kind else category.title,
                "label_singular": category.kinds[kind] if kind else category.title,
                "description": category.description,
                "folder": f"{disclosures}/{slug}",
                "path": "{{year}}/{{slug}}",
                "extension": "yml",
                "format": "yaml",
                "create": True,
                "identifier_field": "title",
                "slug": "{{title}}",
                "media_folder": "",
                "public_folder": "",
            }
            collection["summary"], collection["sortable_fields"] = _summary(category, common, kind)
            if kind:
                collection["filter"] = {"field": "kind", "value": kind}
            collection["fields"] = _fields(category, common, kind)
            out.append(collection)
    return out


def cms_config(
    categories: dict[str, Category],
    common: dict[str, Field],
    disclosures: str = "disclosures",
    local_backend: str | None = None,
    backend: str | None = None,
    repo: str = "",
    base_url: str = "",
    branch: str = "main",
) -> dict[str, Any]:
    """The whole ``config.yml`` as a dict.

    ``local_backend``: decap-server's API address (``http://127.0.0.1:<port>/api/v1``), for
    ``congkhai edit``. ``backend``: ``gitea``, ``forgejo`` or ``gitlab`` with the office's
    ``repo`` (``owner/name``) and the git server's ``base_url``, for editing there.
    """
    if backend:
        name, api = BACKENDS[backend]
        base = base_url.rstrip("/")
        backend_config: dict[str, Any] = {
            "name": name,
            "repo": repo,
            "branch": branch,
            "base_url": base,
            "api_root": base + api,
        }
    else:
        backend_config = {"name": "git-gateway"}  # never used: local_backend takes over on 127.0.0.1
    config: dict[str, Any] = {"backend": backend_config}
    if local_backend:
        config["local_backend"] = {"url": local_backend}
    config.update(
        {
            "locale": "vi",
            "media_folder": disclosures,
            "public_folder": "",
            "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
            "collections": collections(categories, common, disclosures),
        }
    )
    return config


def config_yaml(config: dict[str, Any]) -> str:
    """``config`` as YAML text (UTF-8, keys in the order written)."""
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=1000)
