"""Incremental publish (issue 27): ``publish`` reuses the pages an earlier publish rendered
when nothing they are made from changed (``generator.mkdocs_plugin.engine.PageCache``), and
deploys byte for byte the site a full build of the same state gives."""

from __future__ import annotations

import datetime as dt
import filecmp
import shutil
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import BASE_FILES, MKDOCS_YML, run_cli, write_files
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from generator.mkdocs_plugin import engine
from generator.website import feeds

CATEGORY = "disclosures/doi-thoai/_category.yml"
CATEGORY_YML = (
    'title: Đối thoại doanh nghiệp\ndescription: {text}\norder: "8"\nkinds:\n  lich: Thông báo lịch đối thoại\n'
)
RECORDS = [
    "disclosures/tiep-cong-dan/2026/lich-thang-05.yml",
    "disclosures/tiep-cong-dan/2026/bien-ban-thang-04.md",
    "disclosures/tiep-cong-dan/2025/lich-thang-12.yml",
    "disclosures/duong-day-nong/2026/duong-day-nong.yml",  # its title is on its own page only
]


def _project(where: Path) -> Path:
    root = where / "project"
    root.mkdir()
    (root / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    write_files(root, {**BASE_FILES, CATEGORY: CATEGORY_YML.format(text="Lịch đối thoại.")})
    return root


def _publish(root: Path, *extra: str) -> None:
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"), *extra)
    assert result.exit_code == 0, result.output


def _differences(one: Path, two: Path) -> list[str]:
    """Paths that differ between two folders (missing on a side, or other bytes)."""
    out = []
    compared = filecmp.dircmp(one, two)
    out += [f"only in {one.name}: {p}" for p in compared.left_only]
    out += [f"only in {two.name}: {p}" for p in compared.right_only]
    _, mismatch, errors = filecmp.cmpfiles(one, two, compared.common_files, shallow=False)
    out += [f"differs: {p}" for p in mismatch + errors]
    for sub in compared.common_dirs:
        out += [f"{sub}/{d}" for d in _differences(one / sub, two / sub)]
    return out


def _full_build_matches(root: Path, name: str) -> None:
    full = root / f"full-{name}"
    result = run_cli(root, "build", "--site-dir", str(full))
    assert result.exit_code == 0, result.output
    assert _differences((root / "www").resolve(), full) == []
    shutil.rmtree(full)


def _change(root: Path, step: tuple[str, int], n: int) -> None:
    kind, which = step
    if kind == "edit":
        path = root / RECORDS[which]
        text = path.read_text(encoding="utf-8")
        title = next(line for line in text.splitlines() if line.startswith("title: "))
        path.write_text(text.replace(title, f"{title} (sửa {n})", 1), encoding="utf-8")
    elif kind == "new":
        write_files(
            root,
            {
                f"disclosures/tiep-cong-dan/2026/bien-ban-moi-{n}.md": f"""\
                ---
                title: Biên bản tiếp công dân bổ sung số {n}
                kind: bien-ban
                document: {{date: 2026-04-{10 + which:02d}}}
                session_date: 2026-04-{10 + which:02d}
                host: Phó trưởng ban
                visitors: 0
                no_visitors: true
                ---
                Không có công dân đến.
                """
            },
        )
    elif kind == "withdraw":
        path = root / RECORDS[which % 3]
        text = path.read_text(encoding="utf-8")
        if "withdrawn:" not in text:
            title = next(line for line in text.splitlines() if line.startswith("title: "))
            today = dt.date.today().isoformat()
            withdrawn = f"withdrawn: {{date: {today}, reason: Thay bằng văn bản khác}}"
            path.write_text(text.replace(title, f"{title}\n{withdrawn}", 1), encoding="utf-8")
    elif kind == "category":
        (root / CATEGORY).write_text(CATEGORY_YML.format(text=f"Lịch đối thoại, bản {n}."), encoding="utf-8")
    elif kind == "hotline":  # its phones are on every page: every page again
        path = root / RECORDS[3]
        text = path.read_text(encoding="utf-8")
        label = next(line for line in text.splitlines() if line.strip().startswith("label: "))
        path.write_text(text.replace(label, f"{label} lần {n}", 1), encoding="utf-8")
    elif kind == "page":
        page = root / "content/gioi-thieu.md"
        page.write_text(page.read_text(encoding="utf-8") + f"\nĐoạn thêm số {n}.\n", encoding="utf-8")


STEPS = st.tuples(st.sampled_from(["edit", "new", "withdraw", "category", "page", "hotline"]), st.integers(0, 3))


@seed(2027)
@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEPS, min_size=2, max_size=4))
@example(steps=[("edit", 1), ("hotline", 0), ("category", 0), ("new", 1), ("withdraw", 0), ("page", 0), ("edit", 2)])
def test_incremental_publish_deploys_what_a_full_build_deploys(steps, monkeypatch):
    """After every publish of a random sequence of edits, new records, withdrawals, a
    category-data edit and a hand-written page edit, the deployed site is byte for byte
    the full build of the same state (pages on two processes, so that workers reuse too)."""
    monkeypatch.setattr(engine, "MIN_PAGES_PER_JOB", 2)
    monkeypatch.setenv("CONGKHAI_JOBS", "2")
    where = Path(tempfile.mkdtemp(prefix="congkhai-incr-"))
    try:
        root = _project(where)
        _publish(root)
        for n, step in enumerate(steps, 1):
            _change(root, step, n)
            _publish(root)
            _full_build_matches(root, str(n))
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _cached(root: Path, text: str) -> Path:
    found = [p for p in (root / engine.PAGE_CACHE_DIR).rglob("*") if p.is_file() and text.encode() in p.read_bytes()]
    assert len(found) == 1, found
    return found[0]


def test_publish_reuses_the_pages_that_did_not_change(tmp_path):
    """A page whose inputs did not change is taken from the cache (a mark planted in the
    cached copy shows up in the deployed page), with the new log head; a changed record's
    page, and every page after a template-wide change (the hotline), are rendered again;
    ``--full`` renders every page."""
    root = _project(tmp_path)
    _publish(root)
    about = _cached(root, "Trang giới thiệu, không liên quan")
    about.write_bytes(
        about.read_bytes().replace(b"Trang gi\xe1\xbb\x9bi thi\xe1\xbb\x87u,", b"DAU-VET gi\xe1\xbb\x9bi,")
    )
    record = _cached(root, "Buổi tiếp diễn ra đúng lịch")
    record.write_bytes(record.read_bytes().replace("Buổi tiếp diễn".encode(), b"DAU-VET", 1))
    missing = _cached(root, "lỗi 404")  # the theme's 404 page too
    missing.write_bytes(missing.read_bytes().replace("lỗi 404".encode(), "lỗi 404 MARK-404".encode(), 1))

    _change(root, ("edit", 1), 1)  # the minutes of April: its page, lists, log… again
    _publish(root)
    www = (root / "www").resolve()
    about_page = (www / "gioi-thieu/index.html").read_text(encoding="utf-8")
    assert "DAU-VET" in about_page  # reused
    log = (root / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert '"seq":5' in log[-1] and log[-1].split('"hash":"')[1][:64] in about_page  # with the new head
    assert "DAU-VET" not in (www / "tiep-cong-dan/2026/bien-ban-thang-04/index.html").read_text(encoding="utf-8")
    missing = (www / "404.html").read_text(encoding="utf-8")
    assert "lỗi 404 MARK-404" in missing and log[-1].split('"hash":"')[1][:64] in missing

    about = _cached(root, "DAU-VET")
    _change(root, ("hotline", 0), 2)  # the hotline is on every page: nothing reused
    _publish(root)
    assert "DAU-VET" not in (root / "www/gioi-thieu/index.html").read_text(encoding="utf-8")
    assert "MARK-404" not in (root / "www/404.html").read_text(encoding="utf-8")
    assert not about.exists()  # pruned: the cache holds what the last build used

    about = _cached(root, "Trang giới thiệu, không liên quan")
    about.write_bytes(
        about.read_bytes().replace(b"Trang gi\xe1\xbb\x9bi thi\xe1\xbb\x87u,", b"DAU-VET gi\xe1\xbb\x9bi,")
    )
    _change(root, ("edit", 0), 3)
    _publish(root, "--full")
    assert "DAU-VET" not in (root / "www/gioi-thieu/index.html").read_text(encoding="utf-8")
    _full_build_matches(root, "last")


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York"])
def test_calendar_zones_are_those_icalendar_adds(zone):
    """The VTIMEZONE worked out once per process is the one ``add_missing_timezones`` adds,
    and the calendar's bytes with the zone's text spliced in (:func:`feeds.calendar_bytes`)
    are the bytes icalendar writes itself, with one event, two, or a whole-day one first."""

    def calendar(events: int = 1, whole_day_first: bool = False) -> Calendar:
        cal = Calendar()
        cal.add("prodid", "-//test//VI")
        if whole_day_first:
            first = Event()
            first.add("uid", "day@example")
            first.add("dtstart", dt.date(2026, 5, 14))
            cal.add_component(first)
        for n in range(events):
            event = Event()
            event.add("uid", f"a{n}@example")
            event.add("dtstart", dt.datetime(2026, 5, 15 + n, 7, 30, tzinfo=ZoneInfo(zone)))
            cal.add_component(event)
        return cal

    theirs, ours, again = calendar(), calendar(), calendar()
    theirs.add_missing_timezones()
    feeds.add_timezones(ours)
    feeds.add_timezones(again)
    assert theirs.to_ical() == ours.to_ical() == again.to_ical()
    for shape in ({"events": 1}, {"events": 2}, {"events": 1, "whole_day_first": True}, {"events": 0}):
        theirs = calendar(**shape)
        theirs.add_missing_timezones()
        assert feeds.calendar_bytes(calendar(**shape)) == theirs.to_ical(), shape


def test_deploy_links_the_files_that_did_not_change(tmp_path):
    """Files that are not pages and hold the bytes of the release served before are hard
    links to it; a changed file, or one altered in the old release, is written anew (and
    the release is byte for byte a full build)."""
    root = _project(tmp_path)
    _publish(root)
    old = (root / "www").resolve()
    data = "tiep-cong-dan/2026/lich-thang-05/du-lieu.json"
    tampered = (old / data).read_bytes()
    (old / data).unlink()  # altered on the server, its own inode
    (old / data).write_bytes(tampered.replace(b"45/TB-BQLKKT", b"46/TB-BQLKKT"))
    _change(root, ("edit", 1), 1)
    _publish(root)
    new = (root / "www").resolve()
    assert new != old

    def same_file(path: str) -> bool:
        return (old / path).stat().st_ino == (new / path).stat().st_ino

    assert same_file("tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf")  # an attachment
    assert same_file("tiep-cong-dan/2025/lich-thang-12/du-lieu.json")  # an unchanged record's data
    assert same_file(engine.paths.CSS)  # a theme asset
    assert not same_file("tiep-cong-dan/2026/bien-ban-thang-04/du-lieu.json")  # the changed record's
    assert not same_file(engine.paths.LOG_JSONL)
    assert not same_file(data) and (new / data).read_bytes() == tampered
    _full_build_matches(root, "links")
