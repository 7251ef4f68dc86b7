"""End-to-end: the published sample site in headless Chromium (Debian's), served over HTTP on
127.0.0.1: accessibility (axe-core, WCAG 2.1 A and AA), a 375 px phone, the hotline, feeds and
calendar links, print, and a visit with JavaScript turned off."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import pytest
import vobject

from generator.records.category_file import load_categories
from tests.browser import axe_violations, open_page
from tests.conftest import REPO

CATEGORIES = list(load_categories(REPO / "disclosures", REPO))


def first_record(sample_site, category: str) -> str:
    """URL path of the first record listed on a category's index (read from the built HTML)."""
    from bs4 import BeautifulSoup

    html = (sample_site / category / "index.html").read_text(encoding="utf-8")
    href = BeautifulSoup(html, "html.parser").select_one("article .ck-list__title")["href"]
    return category + "/" + href


def pages_to_check(sample_site) -> list[str]:
    return [
        "",
        "tiep-cong-dan/",
        "tiep-cong-dan/2026/loai-bien-ban/",
        "nhat-ky-cong-khai/",
        "danh-muc-thong-tin/",
        "gioi-thieu/",
        "huong-dan/dang-tai-cong-khai/",  # the staff guide: wide generated field tables
        "404.html",
        *[first_record(sample_site, c) for c in CATEGORIES],
    ]


@pytest.mark.parametrize("width", [375, 1280])
def test_pages_pass_axe_fit_a_phone_and_stay_on_localhost(chromium, site_url, sample_site, width):
    page, visit = open_page(chromium, width=width, height=800)
    problems = {}
    for path in pages_to_check(sample_site):
        response = page.goto(site_url + path)
        assert response.status == 200, path
        violations = axe_violations(page)
        if violations:
            problems[path] = violations
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path}: {overflow}px of horizontal scrolling at {width}px"
        hotline = page.locator(".ck-hotline a[href^='tel:']").first
        assert hotline.is_visible(), path
        # on a phone the banner keeps the numbers and drops their labels (on the hotline page)
        assert page.locator(".ck-hotline__label").first.is_visible() == (width > 720), path
    assert problems == {}
    assert visit.hosts == {"127.0.0.1"}, visit.hosts  # fonts, scripts, styles: all self-hosted
    assert visit.failed == [] and visit.console_errors == []
    page.context.close()


def test_hotline_link_dials_the_published_number(chromium, site_url):
    page, _ = open_page(chromium, width=375)
    page.goto(site_url + "gioi-thieu/")
    link = page.locator(".ck-hotline a.ck-hotline__phone").first
    number = link.inner_text()
    assert link.get_attribute("href") == "tel:" + "".join(c for c in number if c.isdigit())
    page.locator(".ck-hotline a", has_text="Chi tiết").click()
    page.wait_for_load_state()
    assert page.url.startswith(site_url + "duong-day-nong/")
    assert number in page.locator("article").inner_text()
    page.context.close()


def test_feed_and_calendar_links_lead_to_valid_files(chromium, site_url):
    page, visit = open_page(chromium, width=375)
    page.goto(site_url)
    feed_href = page.locator("article a[type='application/atom+xml']").first.get_attribute("href")
    head_href = page.locator("head link[rel~='alternate'][type='application/atom+xml']").first.get_attribute("href")
    assert urljoin(site_url, feed_href) == urljoin(site_url, head_href) == site_url + "atom.xml"
    feed = page.request.get(urljoin(site_url, feed_href))
    assert feed.ok
    entries = ET.fromstring(feed.body()).findall("{http://www.w3.org/2005/Atom}entry")
    log = page.request.get(site_url + "nhat-ky-cong-khai/publication-log.jsonl").text().splitlines()
    logged = {json.loads(line)["url"] for line in log}
    ids = {e.find("{http://www.w3.org/2005/Atom}id").text for e in entries}
    assert ids == logged if len(logged) <= 50 else len(ids) == 50 and ids < logged
    ics_href = page.locator("article a[type='text/calendar']").first.get_attribute("href")
    assert urljoin(site_url, ics_href) == site_url + "tiep-cong-dan/lich.ics"
    calendar = page.request.get(urljoin(site_url, ics_href))
    assert calendar.ok
    parsed = vobject.readOne(calendar.text())
    assert parsed.name == "VCALENDAR"
    assert all(e.summary.value.startswith("Tiếp công dân") for e in parsed.contents.get("vevent", []))
    assert visit.hosts == {"127.0.0.1"}
    page.context.close()


def test_record_page_prints_as_evidence(chromium, site_url, sample_site):
    page, _ = open_page(chromium)
    path = first_record(sample_site, "tiep-cong-dan")
    page.goto(site_url + path)
    page.emulate_media(media="print")
    for chrome in (".md-header", ".md-sidebar--primary", ".md-footer", ".ck-hotline"):
        assert not page.locator(chrome).first.is_visible(), chrome
    permalink = page.locator("a.ck-permalink")
    assert permalink.is_visible()
    assert permalink.inner_text() == "https://congkhai.example.gov.vn/" + path
    assert page.locator(".ck-content-hash").is_visible()
    assert page.locator(".ck-publication").inner_text().count("/2026") >= 2  # first published, last updated
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pdf.startswith(b"%PDF") and 1 <= pages <= 3, pages  # an A4 evidence sheet, not a screen dump
    page.context.close()


def test_without_javascript_the_indexes_lead_everywhere(chromium, site_url):
    page, _ = open_page(chromium, width=375, javascript=False)
    page.goto(site_url)
    page.locator(".ck-home-categories a", has_text="Tiếp công dân").click()
    page.wait_for_load_state()
    assert page.url == site_url + "tiep-cong-dan/"
    page.locator("nav.ck-filter a", has_text="Biên bản tiếp công dân").click()
    page.wait_for_load_state()
    assert page.url == site_url + "tiep-cong-dan/loai-bien-ban/"
    metas = page.locator("article .ck-list__meta").all_inner_texts()
    assert metas and all(m.startswith("Biên bản tiếp công dân") for m in metas)
    first = page.locator("article .ck-list__title").first
    title = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == title
    page.context.close()


def test_home_page_skips_sessions_that_passed_since_the_build(chromium, make_project):
    """The site is built today; the reader's clock is moved past the first session."""
    import datetime as dt

    from tests.browser import serve
    from tests.conftest import run_cli
    from tests.test_public_pages import SOON, schedule

    later = SOON + dt.timedelta(days=30)
    root = make_project(
        {
            "content/index.md": "# Trang chủ\n\n<!-- congkhai:home -->\n",
            "disclosures/tiep-cong-dan/lich/sap-toi.yml": schedule(SOON, "90/TB-BQLKKT"),
            "disclosures/tiep-cong-dan/lich/sau-nua.yml": schedule(later, "92/TB-BQLKKT"),
        }
    )
    assert run_cli(root, "build", "--site-dir", str(root / "site")).exit_code == 0
    zone = dt.timezone(dt.timedelta(hours=7))
    with serve(root / "site") as url:
        for now, shown in [
            (dt.datetime.combine(SOON, dt.time(6), zone), f"ngày {SOON:%d/%m/%Y}"),
            (dt.datetime.combine(SOON + dt.timedelta(days=1), dt.time(6), zone), f"ngày {later:%d/%m/%Y}"),
            (dt.datetime.combine(later + dt.timedelta(days=1), dt.time(6), zone), "Chưa có lịch tiếp công dân"),
        ]:
            page, _ = open_page(chromium, width=375)
            page.clock.set_fixed_time(now)
            page.goto(url)
            visible = [p.inner_text() for p in page.locator(".ck-home-next p").all() if p.is_visible()]
            assert shown in visible[0], (now, visible)
            page.context.close()
