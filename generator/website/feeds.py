"""Atom feeds and the iCalendar file of citizen-reception sessions.

Feeds are made from the publication log, not from the records' own dates: an entry's
``published`` is when the record first went up and ``updated`` when its latest logged
version did, so a feed reader sees the same dates an auditor sees. Records that were never
published (a preview build) are not in the feeds. Withdrawn records stay in the feeds,
titled "Đã thu hồi: …", at the time they were withdrawn.

- ``atom.xml`` at the site root: the newest :data:`FEED_SIZE` entries of the whole site;
- ``<category>/atom.xml``: the same for one category;
- ``<category>/lich.ics`` for each category with a ``calendar:`` (the field holding the
  sessions, the kinds that have it: :meth:`Category.sessions`) and at least one public
  record with sessions (the reception schedules): one event per session dated from :data:`CALENDAR_PAST_DAYS` days before the
  build onwards, in the office's time zone with its VTIMEZONE, a UID per session made from
  the session's own identity (:func:`session_uid`: record, date, start), so that adding or
  removing a session leaves the others' UIDs as they were, ``STATUS:CANCELLED`` when the
  schedule was withdrawn;
- ``<record>/buoi-<date>-<start>.ics`` beside each such record's page: one session alone
  (:func:`session_file`), with the same UID as in the whole calendar, for "add the next
  session to my calendar".

Atom is written by feedgen and iCalendar by icalendar; no MkDocs import.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event, Timezone

from generator.core import paths
from generator.core.values import parse_instant

if TYPE_CHECKING:
    from generator.records.record import Record
    from generator.website.site import Site

FEED_SIZE = 50
"""Entries per feed: the newest changes; older ones are in the log and the catalogue."""
CALENDAR_PAST_DAYS = 62
"""Sessions this many days before the build stay in the calendar (last two months)."""
SITE_FEED = "atom.xml"
CALENDAR_NAME = "lich.ics"


def _latest_entries(site: Site, records: list[Record]) -> list[tuple[str, Record]]:
    """``(time of latest logged event, record)`` for logged records, newest first."""
    out = []
    for record in records:
        history = site.history(record)
        if history is not None:
            out.append((history.latest["at"], record))
    out.sort(key=lambda item: (parse_instant(item[0]), item[1].key), reverse=True)
    return out[:FEED_SIZE]


def atom_feed(site: Site, category: str | None = None) -> bytes:
    """The Atom feed of the site or of one category (UTF-8 XML)."""
    settings = site.settings
    records = (
        site.public_records if category is None else [r for r in site.public_records if r.category.slug == category]
    )
    entries = _latest_entries(site, records)
    title = settings.site_name or settings.agency
    if category is not None:
        title = f"{site.categories[category].title} – {title}"
    here = settings.url_for(paths.feed(category))
    fg = FeedGenerator()
    fg.id(here)
    fg.title(title)
    fg.subtitle(f"Thông tin được công bố và cập nhật trên trang công khai của {settings.agency}")
    fg.author({"name": settings.agency or title})
    fg.language("vi")
    fg.link(href=here, rel="self", type="application/atom+xml")
    fg.link(href=settings.url_for(category + "/" if category else ""), rel="alternate", type="text/html")
    fg.generator("congkhai")
    newest = [parse_instant(at) for at, _ in entries] or [_epoch(site)]
    fg.updated(max(newest))
    for at, record in reversed(entries):  # feedgen prepends: add oldest first
        history = site.history(record)
        assert history is not None
        entry = fg.add_entry()
        permalink = settings.url_for(record.url_path)
        entry.id(permalink)
        withdrawn = history.withdrawn
        entry.title(("Đã thu hồi: " if withdrawn else "") + record.title)
        entry.link(href=permalink, rel="alternate", type="text/html")
        entry.published(parse_instant(history.first_published))
        entry.updated(parse_instant(at))
        entry.category(term=record.category.slug, label=record.category.title)
        entry.summary(_summary(record, history.latest))
    return fg.atom_str(pretty=True)


def _summary(record: Record, latest: dict) -> str:
    parts = []
    number = record.document.get("number")
    if number:
        parts.append(f"Số {number}.")
    if record.data.get("summary"):
        parts.append(record.data["summary"])
    if latest["event"] == "updated":
        note = latest.get("change_note")
        parts.append(f"Cập nhật (phiên bản {latest['version']})" + (f": {note}" if note else "."))
    if latest["event"] == "withdrawn":
        parts.append(f"Đã thu hồi: {latest.get('reason', '')}")
    return " ".join(parts) or record.title


def _epoch(site: Site) -> dt.datetime:
    """The feed's ``updated`` when nothing is logged yet: midnight of the build day."""
    return dt.datetime.combine(site.today, dt.time(), ZoneInfo(site.settings.timezone))


def session_records(site: Site, category: str) -> list[Record]:
    """Public records of ``category`` that list calendar sessions (its ``calendar:``)."""
    return [r for r in site.public_records if r.category.slug == category and r.category.sessions(r.data)]


def calendar_categories(site: Site) -> list[str]:
    """Categories that get a ``lich.ics``: those with at least one record with sessions."""
    return [slug for slug in site.categories if session_records(site, slug)]


def upcoming_sessions(site: Site, category: str | None = None) -> list[tuple[dt.date, dict, Record]]:
    """``(date, session, record)`` of sessions on or after the build day, soonest first,
    from schedules that are not withdrawn; a session is the map of
    :meth:`Category.sessions` (``date``, ``start``, ``end``, ``place``, ``host``)."""
    slugs = [category] if category else calendar_categories(site)
    out = [
        (s["date"], s, r)
        for slug in slugs
        for r in session_records(site, slug)
        if not r.data.get("withdrawn")
        for s in r.category.sessions(r.data)
        if s["date"] is not None and s["date"] >= site.today
    ]
    return sorted(out, key=lambda item: (item[0], item[1].get("start") or dt.time(), item[2].key))


def session_uid(record_key: str, day: dt.date, start: dt.time | None, host: str, repeat: int = 1) -> str:
    """The iCalendar UID of a session, made from what the session is (its record, its date,
    its start time), never from its place in the list: a calendar that subscribed keeps
    each event when another session is inserted before it. ``repeat`` tells apart sessions
    that share all three (the second one gets ``-2``). For example
    ``tiep-cong-dan.2026.lich-thang-05.20260515T0730@congkhai.example.gov.vn``."""
    when = day.strftime("%Y%m%d") + (start.strftime("T%H%M") if start else "")
    return f"{record_key.replace('/', '.')}.{when}{f'-{repeat}' if repeat > 1 else ''}@{host}"


@cache
def _vtimezone(tzid: str) -> Timezone | None:
    """The VTIMEZONE of ``tzid`` as icalendar makes it (None for a zone it does not know),
    once per process: icalendar walks the zone's offsets second by second over decades
    ("This can take some time. Please cache the results"), and a site has a calendar per
    session. Shared by every calendar, never changed after it is made."""
    try:
        return Timezone.from_tzid(tzid)
    except ValueError:
        return None


def add_timezones(cal: Calendar) -> None:
    """``cal.add_missing_timezones()``, the same components in the same places, each zone
    worked out once (:func:`_vtimezone`)."""
    count = len(cal.timezones)
    for tzid in cal.get_missing_tzids():
        zone = _vtimezone(tzid)
        if zone is not None:
            cal.subcomponents.insert(count, zone)
            count += 1


@functools.cache
def _vtimezone_ical(tzid: str) -> bytes:
    zone = _vtimezone(tzid)
    return b"" if zone is None else zone.to_ical()


def calendar_bytes(cal: Calendar) -> bytes:
    """``cal`` with its missing time zones (:func:`add_timezones`) as iCalendar bytes, each
    zone's text made once per process and put where :func:`add_timezones` puts the zone
    (after the zones already there, before every other component): a site writes a calendar
    per session, and the zone's text was most of each one's time."""
    missing = sorted(cal.get_missing_tzids())
    if not missing or cal.timezones:  # (congkhai's calendars have no zone of their own)
        add_timezones(cal)
        return cal.to_ical()
    body = cal.to_ical()
    first = cal.subcomponents[0].name.encode("ascii") if cal.subcomponents else b"END:VCALENDAR"
    start = body.index(b"\r\nBEGIN:" + first + b"\r\n" if cal.subcomponents else b"\r\n" + first) + 2
    return body[:start] + b"".join(_vtimezone_ical(tzid) for tzid in missing) + body[start:]


def _new_calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//congkhai//Lich tiep cong dan//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def record_sessions(record: Record) -> list[tuple[dt.date, dict, int]]:
    """``(date, session, repeat)`` of each dated session of ``record``, in its order;
    ``repeat`` tells apart sessions with the same date and start (see :func:`session_uid`)."""
    seen: dict[tuple[dt.date, dt.time | None], int] = {}
    out = []
    for session in record.category.sessions(record.data):
        day: dt.date | None = session["date"]
        if day is None:
            continue
        start = session.get("start")
        seen[day, start] = repeat = seen.get((day, start), 0) + 1
        out.append((day, session, repeat))
    return out


SESSION_FILE = re.compile(r"buoi-\d{8}(-\d{4})?(-\d+)?\.ics")
"""The name of a session's own calendar file (:func:`session_file`)."""


def session_file(record: Record, day: dt.date, start: dt.time | None, repeat: int = 1) -> str:
    """The site path of the iCalendar file of one session, beside the record's page:
    ``<record>/buoi-20260515-0730.ics`` (named, like its UID, from the session's date and
    start, so that the link of a session never changes)."""
    when = day.strftime("%Y%m%d") + (start.strftime("-%H%M") if start else "")
    return f"{record.url_path}buoi-{when}{f'-{repeat}' if repeat > 1 else ''}.ics"


def _session_event(site: Site, record: Record, day: dt.date, session: dict, repeat: int) -> Event:
    settings = site.settings
    zone = ZoneInfo(settings.timezone)
    host = urlsplit(settings.site_url).hostname or "congkhai.invalid"
    cat = record.category
    history = site.history(record)
    stamp = parse_instant(history.latest["at"]) if history else _epoch(site)
    start, end = session.get("start"), session.get("end")
    event = Event()
    event.add("uid", session_uid(record.key, day, start, host, repeat))
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("sequence", history.version if history else 0)
    if start:
        event.add("dtstart", dt.datetime.combine(day, start, zone))
        if end and end > start:
            event.add("dtend", dt.datetime.combine(day, end, zone))
    else:
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
    who = session.get("host")
    event.add("summary", cat.calendar.summary + (f" – {who}" if who else ""))
    if session.get("place"):
        event.add("location", session["place"])
    permalink = settings.url_for(record.url_path)
    event.add("url", permalink)
    number = record.document.get("number")
    event.add("description", f"{record.title}" + (f" (số {number})" if number else "") + f"\n{permalink}")
    event.add("status", "CANCELLED" if record.data.get("withdrawn") else "CONFIRMED")
    return event


def ics_calendar(site: Site, category: str) -> bytes:
    """The iCalendar file of the reception sessions of ``category``."""
    settings = site.settings
    cat = site.categories[category]
    cal = _new_calendar(f"{cat.title} – {settings.agency}")
    cal.add("x-wr-timezone", settings.timezone)
    since = site.today - dt.timedelta(days=CALENDAR_PAST_DAYS)
    for record in sorted(session_records(site, category), key=lambda r: r.key):
        for day, session, repeat in record_sessions(record):
            if day >= since:
                cal.add_component(_session_event(site, record, day, session, repeat))
    return calendar_bytes(cal)


def session_calendar(site: Site, record: Record, day: dt.date, session: dict, repeat: int) -> bytes:
    """The iCalendar file of one session (:func:`session_file`): the same event, with the
    same UID, as in the category's whole calendar, so that a calendar app that has both
    keeps one."""
    cal = _new_calendar(f"{record.category.title} – {site.settings.agency}")
    cal.add("x-wr-timezone", site.settings.timezone)
    cal.add_component(_session_event(site, record, day, session, repeat))
    return calendar_bytes(cal)


def session_calendars(site: Site) -> dict[str, bytes]:
    """One iCalendar file per session of every public record with sessions, past ones
    included (a link on a page never breaks): ``site path -> bytes``."""
    out = {}
    for slug in calendar_categories(site):
        for record in session_records(site, slug):
            for day, session, repeat in record_sessions(record):
                out[session_file(record, day, session.get("start"), repeat)] = session_calendar(
                    site, record, day, session, repeat
                )
    return out


def feed_files(site: Site) -> dict[str, bytes]:
    """Every feed and calendar: ``site path -> bytes``."""
    out = {paths.feed(): atom_feed(site)}
    for slug in site.categories:
        out[paths.feed(slug)] = atom_feed(site, slug)
    for slug in calendar_categories(site):
        out[paths.calendar(slug)] = ics_calendar(site, slug)
    out.update(session_calendars(site))
    return out
