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
date                           ``datetime``, ``YYYY-MM-DD``, no time
time, month, year              ``string`` with a pattern (``HH:mm``, ``YYYY-MM``, ``YYYY``)
int                            ``number`` (integer)
bool                           ``boolean``
enum                           ``select`` with the labels
markdown                       ``markdown``
list of maps / of scalars      ``list`` with ``fields`` (``summary``: the first field, as
                               ``Ngày: 2026-05-15``) / with one ``field``
map                            ``object``
attachments' ``file``          ``file`` (saved next to the record)
anything else                  ``string``
=============================  ==========================================================

Decap marks every field required unless told: optional fields say ``required: false``, and
a required field inside an optional map (``withdrawn.date``) is optional in the form (the
check after each save still reports it when the map is filled in).

Decap writes the YAML itself. congkhai reads every scalar as text (``generator.core.yamltext``),
so ``no``, ``on``, ``2026-05-01`` or ``0296…`` written unquoted are still read back as the
same text; what Decap does not keep is a comment (it rewrites the whole file).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import yaml

from generator.records.categories import Category
from generator.records.fields import Field

BACKENDS = {"gitea": ("gitea", "/api/v1"), "forgejo": ("gitea", "/api/v1"), "gitlab": ("gitlab", "/api/v4")}
"""``--backend`` name -> (Decap backend name, API path under the server's address)."""

PATTERNS = {
    "time": (r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "Giờ viết HH:mm, ví dụ 07:30"),
    "month": (r"^[0-9]{4}-(0[1-9]|1[0-2])$", "Tháng viết YYYY-MM, ví dụ 2026-05"),
    "year": (r"^[0-9]{4}$", "Năm viết 4 chữ số, ví dụ 2026"),
}
"""Text types the form checks with a pattern, and the message shown when it fails."""


def widget(spec: Field, required: bool = True, parent: str = "") -> dict[str, Any]:
    """The Decap field of one congkhai field (``required``: every enclosing map is required)."""
    out: dict[str, Any] = {"name": spec.name, "label": spec.label}
    if spec.help:
        out["hint"] = spec.help
    out["required"] = bool(spec.required and required)
    if spec.type == "date":
        out.update(widget="datetime", format="YYYY-MM-DD", date_format="YYYY-MM-DD", time_format=False)
    elif spec.type in PATTERNS:
        out.update(widget="string", pattern=list(PATTERNS[spec.type]))
    elif spec.type == "int":
        out.update(widget="number", value_type="int")
    elif spec.type == "bool":
        out.update(widget="boolean")
    elif spec.type == "enum":
        out.update(widget="select", options=[{"label": label, "value": value} for value, label in spec.values.items()])
    elif spec.type == "markdown":
        out.update(widget="markdown")
    elif spec.type == "map":
        out.update(widget="object", fields=[widget(f, out["required"]) for f in spec.fields.values()])
    elif spec.type == "list":
        out["widget"] = "list"
        if spec.fields:
            out["fields"] = [widget(f, True, spec.name) for f in spec.fields.values()]
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
    # the title first, the category's own fields before the common optional ones
    first = [f for f in out if f["name"] in ("title", "kind")]
    own = [f for f in out if f["name"] in category.fields]
    return first + own + [f for f in out if f not in first and f not in own]


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
                "summary": "{{title}}",
                "sortable_fields": ["title"],
            }
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
