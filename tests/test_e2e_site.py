"""End-to-end: the published sample site in headless Chromium, served on 127.0.0.1."""

from __future__ import annotations

from tests.browser import axe_violations, open_page


def test_home_page_has_hotline_and_stays_on_localhost(chromium, site_url):
    page, visit = open_page(chromium, width=375, height=800)
    page.goto(site_url)
    link = page.locator(".ck-hotline a[href^='tel:']").first
    assert link.get_attribute("href").startswith("tel:")
    assert visit.hosts == {"127.0.0.1"}, visit.hosts
    print(axe_violations(page))
    page.context.close()
