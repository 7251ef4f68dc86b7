"""Open data: every public record as JSON beside its page, and the site's catalogue as
DCAT-AP-style JSON-LD.

**A record's data** is at ``<category>/<id>/du-lieu.json`` (:func:`generator.core.paths.record_data`),
the page's permanent URL plus ``du-lieu.json``, and stays there for as long as the page does
(withdrawn records included: the file then carries the withdrawal, as the page carries the
banner). Its keys (format :data:`RECORD_FORMAT`):

- ``format``, ``id`` (``<category>/<id>``, the record's name in the log), ``url`` (the page),
  ``data_url`` (this file), ``category`` and ``kind`` (``slug`` and Vietnamese ``title``),
  ``title``, ``summary``, ``sample``;
- ``fields``: the published values under the record file's own keys, typed as the category
  data says: dates ``YYYY-MM-DD``, months ``YYYY-MM``, times ``HH:MM``, amounts, integers and
  years as numbers, true/false as booleans, choices as their slug; ``labels`` gives the
  Vietnamese label of each key shown. Fields marked ``private`` are not there (they are kept
  out of a record's data when it is read), nor ``visibility`` nor the attachments;
- ``body``: the record's Markdown text, or null;
- ``attachments``: ``file``, ``title``, ``kind`` (slug) and ``kind_title``, ``size`` (bytes),
  ``media_type``, ``url``, ``sha256``;
- ``content_sha256``: the SHA-256 of the record file as built; ``withdrawn``: ``date`` and
  ``reason``, or null;
- ``publication``: ``first_published``, ``last_updated``, ``version`` (from the log, null
  before the first publication) and ``events``: each logged event of the record (``seq``,
  ``event``, ``at``, ``version``, ``content_sha256``, ``change_note``, ``reason``, ``hash``)
  with ``proof`` (its C2SP tlog-proof file), ``checkpoint`` (the checkpoint the proof is
  against) and ``timestamps`` (that checkpoint's RFC 3161 tokens), once a checkpoint covers it.

**The catalogue** is at ``danh-muc-thong-tin/dcat.json`` (:data:`generator.core.paths.CATALOGUE_DATA`):
a ``dcat:Catalog`` in JSON-LD whose ``@context`` maps the prefixes ``dcat``, ``dct``,
``foaf``, ``vcard`` (and ``skos``, ``spdx``, ``adms``, ``xsd``); its publisher is the office
(``agency`` of the plugin), its contact point the current hotline; one ``dcat:Dataset`` per
public record (``dct:title``, ``dct:description``, ``dct:issued``/``dct:modified`` from the
log in ISO 8601 with the office's offset, ``dcat:theme`` its category and ``dcat:keyword``
the category, kind and tags, ``dcat:landingPage``, and as ``dcat:distribution`` its page
(``text/html``), its JSON (``application/json``) and each attachment with its size and
SHA-256); and one dataset "Nhật ký công bố" whose distributions are the log page, the log
(``.jsonl``, ``.csv``), the latest checkpoint, the verifier key, the feeds and the
calendars. It is served as ``application/json`` (the file's own ``@context`` makes it
JSON-LD, JSON-LD 1.1 §9), so the shipped web server configurations type it as every other
JSON file. Both files are made from the records and the log alone (no build time): the
same records and log give the same bytes. The privacy scan of every build reads them as it
reads the pages.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from generator.core import paths
from generator.core.values import local_time
from generator.ledger.checkpoints import office_verifier_key
from generator.website.feeds import calendar_categories

if TYPE_CHECKING:
    from generator.records.fields import Field
    from generator.records.record import Record
    from generator.website.site import Site

RECORD_FORMAT = "congkhai-du-lieu/1"
"""The value of a record file's ``format`` key; a later incompatible layout gets ``/2``."""
LEFT_OUT = ("attachments", "visibility")
"""Record keys not under ``fields``: the attachments have their own list (with sizes and
hashes); every record listed is public."""
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".odp": "application/vnd.oasis.opendocument.presentation",
}
"""The media type of each attachment type congkhai accepts (:mod:`generator.core.filetypes`),
fixed here rather than read from the machine's own table, so that every build says the same."""
IANA = "https://www.iana.org/assignments/media-types/"
LANGUAGE = "http://id.loc.gov/vocabulary/iso639-1/vi"
"""``dct:language``: Vietnamese (ISO 639-1 ``vi``)."""
WITHDRAWN_STATUS = "http://purl.org/adms/status/Withdrawn"

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "adms": "http://www.w3.org/ns/adms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "@language": "vi",
    "dct:issued": {"@type": "xsd:dateTime"},
    "dct:modified": {"@type": "xsd:dateTime"},
    "dcat:byteSize": {"@type": "xsd:nonNegativeInteger"},
    "dcat:accessURL": {"@type": "@id"},
    "dcat:downloadURL": {"@type": "@id"},
    "dcat:landingPage": {"@type": "@id"},
    "dcat:mediaType": {"@type": "@id"},
    "dcat:theme": {"@type": "@id"},
    "dcat:themeTaxonomy": {"@type": "@id"},
    "dct:language": {"@type": "@id"},
    "foaf:homepage": {"@type": "@id"},
    "skos:inScheme": {"@type": "@id"},
    "vcard:hasEmail": {"@type": "@id"},
    "vcard:hasTelephone": {"@type": "@id"},
    "adms:status": {"@type": "@id"},
    "spdx:algorithm": {"@type": "@id"},
    "dct:identifier": {"@language": None},
    "dct:format": {"@language": None},
    "spdx:checksumValue": {"@type": "xsd:hexBinary"},
}
"""The JSON-LD context: the prefixes, Vietnamese as the default language of texts, and the
keys whose values are IRIs or typed literals."""


def dumps(value: Any) -> bytes:
    """A record's JSON: UTF-8 (not escaped, so that the privacy scan reads the
    text as a reader does), two-space indents, a final line end."""
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- a record's data ------------------------------------------------------------------


def plain(spec: Field | None, value: Any) -> Any:
    """A typed value as JSON (see the module doc), by the type its field gives it."""
    kind = spec.type if spec is not None else None
    if isinstance(value, dict):
        subs = spec.fields if spec is not None else {}
        return {k: plain(subs.get(k), v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if spec is not None and spec.fields:
            return [plain(spec, item) if isinstance(item, dict) else plain(None, item) for item in value]
        of = spec.of if spec is not None else None
        return [plain(_scalar(spec, of), item) for item in value]
    if kind == "month" and isinstance(value, dt.date):
        return value.strftime("%Y-%m")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _scalar(spec: Field | None, of: str | None) -> Field | None:
    if spec is None:
        return None
    return type(spec)(name=spec.name, type=of or "text", label=spec.label)


def _instant(at: str, timezone: str) -> str:
    """A logged time in the office's time zone, ISO 8601 with its offset (``+07:00``)."""
    return local_time(at, timezone).isoformat(timespec="seconds")


def record_fields(site: Site, record: Record) -> tuple[dict[str, Any], dict[str, str]]:
    """``(fields, labels)`` of a record's data file."""
    specs = record.category.all_fields(site.common, record.kind)
    fields: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for name, value in record.data.items():
        if name in LEFT_OUT or name == "body" or value is None:
            continue
        spec = specs.get(name) or site.common.get(name)
        fields[name] = plain(spec, value)
        if spec is not None and spec.label:
            labels[name] = spec.label
    return fields, labels


def _events(site: Site, record: Record) -> list[dict[str, Any]]:
    history = site.history(record)
    if history is None:
        return []
    settings = site.settings
    anchors = site.anchors
    out = []
    for event in history.events:
        seq = event["seq"]
        item: dict[str, Any] = {
            "seq": seq,
            "event": event["event"],
            "at": event["at"],
            "version": event.get("version"),
            "content_sha256": event.get("content_sha256"),
            "change_note": event.get("change_note"),
            "reason": event.get("reason"),
            "hash": event.get("hash"),
            "proof": None,
            "checkpoint": None,
            "timestamps": [],
        }
        size = anchors.covering(seq)
        if size is not None and size <= site.tree.size:  # the proofs the build writes
            item["proof"] = settings.url_for(paths.proof_file(record.url_path, seq))
            item["checkpoint"] = settings.url_for(paths.checkpoint_file(size))
            item["timestamps"] = [
                settings.url_for(paths.token_file(size, tsa)) for tsa in sorted(anchors.tokens.get(size, {}))
            ]
        out.append(item)
    return out


def attachment_kind_title(site: Site, kind: str | None) -> str | None:
    spec = site.common.get("attachments")
    kinds = spec.fields.get("kind") if spec is not None else None
    return kinds.values.get(kind, kind) if kinds is not None and kind else None


def media_type(file: str) -> str:
    suffix = "." + file.rpartition(".")[2].lower() if "." in file else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


def record_json(site: Site, record: Record) -> dict[str, Any]:
    """The content of a record's data file (see the module doc)."""
    settings = site.settings
    fields, labels = record_fields(site, record)
    history = site.history(record)
    withdrawn = record.data.get("withdrawn")
    return {
        "format": RECORD_FORMAT,
        "id": record.key,
        "url": settings.url_for(record.url_path),
        "data_url": settings.url_for(paths.record_data(record.url_path)),
        "category": {"slug": record.category.slug, "title": record.category.title},
        "kind": {"slug": record.kind, "title": record.category.kind_label(record.kind)} if record.kind else None,
        "title": record.title,
        "summary": record.data.get("summary"),
        "sample": record.sample,
        "fields": fields,
        "labels": labels,
        "body": record.body or None,
        "attachments": [
            {
                "file": a.file,
                "title": a.title,
                "kind": a.kind,
                "kind_title": attachment_kind_title(site, a.kind),
                "size": a.size,
                "media_type": media_type(a.file),
                "url": settings.url_for(record.url_path + a.file),
                "sha256": a.sha256,
            }
            for a in record.attachments
        ],
        "content_sha256": record.sha256,
        "withdrawn": plain(site.common.get("withdrawn"), withdrawn) if withdrawn else None,
        "publication": {
            "first_published": history.first_published if history else None,
            "last_updated": history.last_updated if history else None,
            "version": history.version if history else None,
            "events": _events(site, record),
        },
    }


def record_data(site: Site, record: Record) -> bytes:
    """The bytes of ``<category>/<id>/du-lieu.json``."""
    return dumps(record_json(site, record))


# --- the catalogue --------------------------------------------------------------------


def _media(mime: str) -> dict[str, Any]:
    """``dcat:mediaType`` (an IANA media type IRI) or, for a type IANA does not register,
    ``dct:format`` as text."""
    if mime == "application/jsonl":
        return {"dct:format": mime}
    return {"dcat:mediaType": IANA + mime}


def _distribution(title: str, url: str, mime: str, download: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "dcat:Distribution", "dct:title": title, "dcat:accessURL": url}
    if download:
        out["dcat:downloadURL"] = url
    out.update(_media(mime))
    return out


def _dataset(site: Site, record: Record, publisher: str) -> dict[str, Any]:
    settings = site.settings
    page = settings.url_for(record.url_path)
    history = site.history(record)
    category = record.category
    withdrawn = record.data.get("withdrawn")
    description = record.data.get("summary") or f"{category.title}: {record.title}"
    number = record.document.get("number")
    if number:
        description = f"Số {number}. {description}"
    if withdrawn:
        description = f"Đã thu hồi: {withdrawn.get('reason', '')} {description}".replace("  ", " ")
    keywords = [category.title]
    if record.kind:
        keywords.append(category.kind_label(record.kind))
    for tag in record.data.get("tags") or []:
        if str(tag).casefold() not in {k.casefold() for k in keywords}:
            keywords.append(str(tag))
    out: dict[str, Any] = {
        "@id": page,
        "@type": "dcat:Dataset",
        "dct:identifier": record.key,
        "dct:title": record.title,
        "dct:description": description,
    }
    if history is not None:
        out["dct:issued"] = _instant(history.first_published, settings.timezone)
        out["dct:modified"] = _instant(history.last_updated, settings.timezone)
    out["dct:publisher"] = {"@id": publisher}
    out["dct:language"] = LANGUAGE
    out["dcat:theme"] = settings.url_for(paths.category_page(category.slug))
    out["dcat:keyword"] = keywords
    out["dcat:landingPage"] = page
    if withdrawn:
        out["adms:status"] = WITHDRAWN_STATUS
    distributions = [
        _distribution("Trang thông tin", page, "text/html"),
        _distribution(
            "Dữ liệu của bản ghi (JSON)", settings.url_for(paths.record_data(record.url_path)), "application/json", True
        ),
    ]
    for a in record.attachments:
        url = settings.url_for(record.url_path + a.file)
        item = _distribution(a.title, url, media_type(a.file), True)
        item["dcat:byteSize"] = a.size
        item["spdx:checksum"] = {
            "@type": "spdx:Checksum",
            "spdx:algorithm": "http://spdx.org/rdf/terms#checksumAlgorithm_sha256",
            "spdx:checksumValue": a.sha256,
        }
        distributions.append(item)
    out["dcat:distribution"] = distributions
    return out


def _log_dataset(site: Site, publisher: str) -> dict[str, Any]:
    settings = site.settings
    url = settings.url_for
    events = site.log.events
    out: dict[str, Any] = {
        "@id": url(paths.LOG_PAGE),
        "@type": "dcat:Dataset",
        "dct:identifier": paths.LOG_PAGE.rstrip("/"),
        "dct:title": "Nhật ký công bố",
        "dct:description": (
            f"Nhật ký công bố thông tin của {settings.agency or settings.site_name}: mỗi lần công bố, cập nhật, "
            "thu hồi là một sự kiện nối chuỗi băm, có checkpoint, dấu thời gian và bằng chứng để kiểm chứng; "
            "kèm các nguồn tin (Atom) và lịch tiếp công dân (iCalendar)."
        ),
    }
    if events:
        out["dct:issued"] = _instant(events[0]["at"], settings.timezone)
        out["dct:modified"] = _instant(events[-1]["at"], settings.timezone)
    out["dct:publisher"] = {"@id": publisher}
    out["dct:language"] = LANGUAGE
    out["dcat:keyword"] = ["nhật ký công bố", "minh bạch", "kiểm chứng"]
    out["dcat:landingPage"] = url(paths.LOG_PAGE)
    distributions = [
        _distribution("Nhật ký công bố (trang)", url(paths.LOG_PAGE), "text/html"),
        _distribution("Nhật ký công bố (JSON Lines)", url(paths.LOG_JSONL), "application/jsonl", True),
        _distribution("Nhật ký công bố (CSV)", url(paths.LOG_CSV), "text/csv", True),
    ]
    if site.anchors.latest is not None:
        distributions.append(_distribution("Checkpoint mới nhất", url(paths.CHECKPOINT), "text/plain", True))
    if office_verifier_key(settings) is not None:
        distributions.append(_distribution("Khóa xác minh", url(paths.VERIFIER_KEY), "text/plain", True))
    distributions.append(
        _distribution("Thông tin mới công khai (Atom)", url(paths.feed()), "application/atom+xml", True)
    )
    for slug, category in site.categories.items():
        distributions.append(
            _distribution(f"{category.title} (Atom)", url(paths.feed(slug)), "application/atom+xml", True)
        )
    for slug in calendar_categories(site):
        title = f"Lịch – {site.categories[slug].title} (iCalendar)"
        distributions.append(_distribution(title, url(paths.calendar(slug)), "text/calendar", True))
    out["dcat:distribution"] = distributions
    return out


def catalogue_json(site: Site) -> dict[str, Any]:
    """The content of ``danh-muc-thong-tin/dcat.json`` (see the module doc)."""
    settings = site.settings
    url = settings.url_for
    home = url("")
    publisher = home + "#co-quan"
    scheme = url(paths.CATALOGUE_PAGE) + "#chuyen-muc"
    agency = settings.agency or settings.site_name
    contact: dict[str, Any] = {"@type": "vcard:Organization", "vcard:fn": agency}
    hotline = site.hotline()
    if hotline is not None:
        phones = [p.get("number") for p in hotline.data.get("phones") or [] if isinstance(p, dict)]
        emails = [str(e) for e in hotline.data.get("emails") or []]
        if phones:
            contact["vcard:hasTelephone"] = [
                "tel:" + "".join(c for c in str(n) if c.isdigit() or c == "+") for n in phones if n
            ]
        if emails:
            contact["vcard:hasEmail"] = ["mailto:" + e for e in emails]
    events = site.log.events
    catalogue: dict[str, Any] = {
        "@context": CONTEXT,
        "@id": url(paths.CATALOGUE_DATA),
        "@type": "dcat:Catalog",
        "dct:title": f"Danh mục thông tin phải được công khai – {agency}",
        "dct:description": (
            "Danh mục thông tin phải được công khai theo Điều 19 Luật Tiếp cận thông tin năm 2016 và Điều 6 "
            "Nghị định số 13/2018/NĐ-CP, dạng dữ liệu (DCAT-AP, JSON-LD): mỗi thông tin là một tập dữ liệu "
            "với trang, dữ liệu JSON và tệp đính kèm."
        ),
        "dct:publisher": {"@id": publisher, "@type": "foaf:Organization", "foaf:name": agency},
        "dcat:contactPoint": contact,
        "dct:language": LANGUAGE,
        "foaf:homepage": home,
        "dcat:landingPage": url(paths.CATALOGUE_PAGE),
    }
    if events:
        catalogue["dct:issued"] = _instant(events[0]["at"], settings.timezone)
        catalogue["dct:modified"] = _instant(events[-1]["at"], settings.timezone)
    catalogue["dcat:themeTaxonomy"] = {
        "@id": scheme,
        "@type": "skos:ConceptScheme",
        "skos:prefLabel": "Chuyên mục",
        "skos:hasTopConcept": [
            {
                "@id": url(paths.category_page(slug)),
                "@type": "skos:Concept",
                "skos:prefLabel": category.title,
                "skos:inScheme": scheme,
            }
            for slug, category in site.categories.items()
        ],
    }
    records = sorted(site.public_records, key=lambda r: r.key)
    catalogue["dcat:dataset"] = [_log_dataset(site, publisher)] + [_dataset(site, r, publisher) for r in records]
    return catalogue


def catalogue_data(site: Site) -> bytes:
    """The bytes of ``danh-muc-thong-tin/dcat.json``: compact (no indents, one line per
    dataset), as it lists every record of the site."""
    catalogue = catalogue_json(site)
    datasets = catalogue.pop("dcat:dataset")
    head = json.dumps(catalogue, ensure_ascii=False, separators=(",", ":"))[:-1]
    lines = ",\n".join(json.dumps(d, ensure_ascii=False, separators=(",", ":")) for d in datasets)
    return f'{head},"dcat:dataset":[\n{lines}\n]}}\n'.encode()
