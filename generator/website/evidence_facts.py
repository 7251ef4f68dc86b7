"""``nhat-ky-cong-khai/minh-chung.json``: what the log does not say about each logged record,
for the inspectorate's witness (``congkhai witness``, SPEC §7).

The log names each version of a record by the SHA-256 of its file and of its attachments,
but not the record's kind, its attachments' kinds nor the dates its deadlines run from. The
witness needs them to say which evidence is missing and which deadlines were met. Rather
than add keys to the log's events (a permanent format, whose older events would never carry
them, and whose ``attachments`` a change would turn into an ``updated`` event for every
record), every build writes this file beside the log: for each public record **whose file is
exactly its latest logged version** (``content_sha256`` and attachments as logged), the
facts of that version:

``id``, ``seq`` (the record's latest event), ``version``, ``content_sha256``, ``category``,
``kind``, ``attachments`` (``file``, ``sha256`` as logged, and ``kind``),
``posting_minutes`` (the attachment named in ``posting.minutes``, or null), ``withdrawn``,
and ``fields``: the values of the fields the category data's deadline rules and evidence
conditions read (``document.date``, ``month``, ``sessions.date``, ``session_date``,
``fiscal_year``, ``period``, ``nil_report`` …), each as a list of text (dates ``YYYY-MM-DD``),
numbers and true/false.

A record with changes not yet published has no entry (its file is not the logged version).
Each entry is bound to the log by ``seq``, ``version`` and the hashes: the witness accepts
an entry only when the event ``seq`` of the log it holds names the same record, version and
hashes, keeps every entry it accepted, and reports an office whose facts about a version it
already saw change later. The facts are the office's word about that version, as its page
is; what the witness expects of them comes from its own category data.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from generator.records.deadline_rules import values_at

if TYPE_CHECKING:
    from generator.records.categories import Category
    from generator.records.record import Record
    from generator.website.site import Site

FORMAT = "congkhai-minh-chung/1"
"""The value of the file's ``format`` key; a later incompatible layout gets ``/2``."""
ALWAYS = ("document.date",)
"""Fields every entry carries when the record has them."""


def referenced_fields(category: Category) -> list[str]:
    """The fields a category's deadline rules and evidence conditions read, sorted."""
    rules = category.deadlines
    names: set[str] = set(ALWAYS)
    for rule in [rules.default, *rules.kinds.values()]:
        if rule is not None:
            names.update(a for a in rule.anchors if a != "period_end")
    if rules.periods is not None:
        names.update((rules.periods.field, rules.periods.year))
    for expectation in rules.expected:
        if expectation.field:
            names.add(expectation.field)
        if expectation.sessions is not None:
            names.add(expectation.sessions.field)
    for items in category.evidence.values():
        for item in items:
            names.update(name for name in (item.if_field, item.unless) if name)
    return sorted(names)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def record_facts(record: Record, event: dict[str, Any]) -> dict[str, Any]:
    """The entry of one record whose file is the version logged by ``event``."""
    fields: dict[str, list[Any]] = {}
    for name in referenced_fields(record.category):
        found = [_plain(v) for v in values_at(record.data, name) if v is not None]
        if found:
            fields[name] = found
    minutes = (record.data.get("posting") or {}).get("minutes")
    return {
        "id": record.key,
        "seq": event["seq"],
        "version": event["version"],
        "content_sha256": record.sha256,
        "category": record.category.slug,
        "kind": record.kind,
        "attachments": [{"file": a.file, "sha256": a.sha256, "kind": a.kind} for a in record.attachments],
        "posting_minutes": minutes if isinstance(minutes, str) else None,
        "withdrawn": event["event"] == "withdrawn",
        "fields": fields,
    }


def is_logged_version(record: Record, event: dict[str, Any]) -> bool:
    """The record's file and attachments are those ``event`` logged."""
    logged = [(a.get("file"), a.get("sha256")) for a in event.get("attachments") or []]
    return event.get("content_sha256") == record.sha256 and logged == [(a.file, a.sha256) for a in record.attachments]


def facts_file(site: Site) -> bytes:
    """The bytes of ``minh-chung.json`` for ``site``'s log (sorted keys, one entry per
    line, UTF-8), stable for the same records and log."""
    histories = site.histories
    entries = []
    for record in sorted(site.public_records, key=lambda r: r.key):
        history = histories.get(record.key)
        if history is None or not is_logged_version(record, history.latest):
            continue
        entries.append(record_facts(record, history.latest))
    head = site.log.head
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for e in entries]
    top = {
        "format": FORMAT,
        "log_size": len(site.log.events),
        "log_head": head["hash"] if head else None,
    }
    opening = json.dumps(top, ensure_ascii=False, sort_keys=True, separators=(",", ":"))[:-1]
    body = ",\n".join(lines)
    return f'{opening},"records":[\n{body}\n]}}\n'.encode()
