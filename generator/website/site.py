"""The site as plain data: what a build is made from, and the questions asked of it.

A :class:`Site` is made by :func:`generator.website.pipeline.load` (which also checks it) and is
never changed afterwards: a publish that is about to append events gets a new ``Site``
from :meth:`Site.with_logged`, the loaded one stays as it was. Rendering, feeds, search,
the report and the status take a ``Site`` as input. No MkDocs import, and no import of
the modules that render it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from generator.core.config import Settings
from generator.core.values import today
from generator.ledger import merkle
from generator.ledger.anchors import Anchors
from generator.ledger.log import Log, RecordHistory
from generator.records.categories import Category
from generator.records.fields import Field
from generator.records.record import Record


@dataclass(frozen=True)
class Site:
    """Everything the site is built from: settings, categories, validated records and the
    publication log (as it will stand once the build is deployed)."""

    settings: Settings
    categories: dict[str, Category]
    common: dict[str, Field]
    records: list[Record]
    log: Log
    today: dt.date = field(default_factory=today)
    """The build day in the office's time zone ("next session", calendar window)."""
    anchors: Anchors = field(default_factory=Anchors)
    """Checkpoints and timestamps of the log."""

    def with_logged(
        self,
        events: list[dict[str, Any]],
        note: bytes | None = None,
        tokens: dict[str, bytes] | None = None,
        cosignatures: dict[str, bytes] | None = None,
    ) -> Site:
        """This site as it stands once ``events`` (sealed by a publish) are appended to the
        log, with the new checkpoint ``note``, its ``tokens`` and the witnesses'
        ``cosignatures``: a new ``Site``; this one and its log are unchanged."""
        log = self.log.extended(events)
        anchors = self.anchors
        if note is not None:
            anchors = anchors.with_checkpoint(len(log.events), note, tokens or {}, cosignatures)
        return dataclasses.replace(self, log=log, anchors=anchors)

    @cached_property
    def tree(self) -> merkle.Tree:
        """The Merkle tree over the log's lines."""
        return merkle.Tree(merkle.log_leaves(self.log.raw))

    @cached_property
    def histories(self) -> dict[str, RecordHistory]:
        """Every logged record's history, by ``<category>/<id>``."""
        return self.log.histories()

    def history(self, record: Record) -> RecordHistory | None:
        """What the publication log says about ``record`` (None: never published)."""
        return self.histories.get(record.key)

    @cached_property
    def public_records(self) -> list[Record]:
        """Records that appear on the site (``visibility: public``)."""
        return [r for r in self.records if r.public]

    @cached_property
    def _by_category(self) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = {slug: [] for slug in self.categories}
        for record in self.public_records:
            out.setdefault(record.category.slug, []).append(record)
        for items in out.values():
            items.sort(key=lambda r: (r.date or dt.date.min, r.id), reverse=True)
        return out

    def records_in(self, category: Category) -> list[Record]:
        """Public records of a category, newest first (undated last)."""
        return self._by_category.get(category.slug, [])

    def hotline(self) -> Record | None:
        """The current hotline: the newest public, not withdrawn, still valid record of a
        hotline category (``hotline: true``)."""
        candidates = [
            r
            for c in self.categories.values()
            if c.hotline
            for r in self.records_in(c)
            if not r.data.get("withdrawn")
            and (r.data.get("valid_until") is None or r.data["valid_until"] >= self.today)
            and (r.data.get("valid_from") is None or r.data["valid_from"] <= self.today)
        ]
        return candidates[0] if candidates else None
