"""The published sample site held against a validator nobody on this project wrote: the Nu
Html Checker (``vnu-jar`` from npm, the W3C's checker; ``npm ci`` installs it, a Java
runtime runs it). It runs once over the whole site (about two seconds a run, most of it the
JVM starting) and must report no error on any page; its warnings are printed, not failed.

Also checked on the built files: the things accessibility checkers (pa11y, Lighthouse) asked
for that are plain markup: every page has a meta description, every form control a name,
the log filter a submit button, and the 404 page speaks Vietnamese."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import REPO

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

PAGE_TYPES = {
    "home": "index.html",
    "category list": "tiep-cong-dan/index.html",
    "category list by year and kind": "tai-chinh-ngan-sach/loai-mua-sam/index.html",
    "log page": "nhat-ky-cong-khai/index.html",
    "catalogue": "danh-muc-thong-tin/index.html",
    "search": "tim-kiem/index.html",
    "about": "gioi-thieu/index.html",
    "staff guide": "huong-dan/dang-tai-cong-khai/index.html",
    "404": "404.html",
    "hotline": "duong-day-nong/2026/duong-day-nong/index.html",
    "reception schedule": "tiep-cong-dan/2026/lich-thang-05/index.html",
    "reception minutes": "tiep-cong-dan/2026/bien-ban-thang-05/index.html",
    "procedure": "thu-tuc-hanh-chinh/2026/cap-giay-phep-moi-truong/index.html",
    "budget": "tai-chinh-ngan-sach/2026/du-toan-2026/index.html",
    "procurement": "tai-chinh-ngan-sach/2026/mua-sam-thiet-bi-van-phong/index.html",
    "anti-corruption plan": "phong-chong-tham-nhung/2026/ke-hoach-cai-thien-danh-gia-pctn/index.html",
}


def run_vnu(site: Path) -> list[dict]:
    """The checker's messages over every HTML file of ``site`` (one run)."""
    java = shutil.which("java")
    if java is None or not VNU.is_file():
        pytest.fail("the Nu Html Checker needs java and node_modules/vnu-jar (scripts/setup and npm ci install them)")
    result = subprocess.run(
        [java, "-jar", str(VNU), "--format", "json", "--skip-non-html", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(result.stderr or result.stdout)["messages"]


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_nu_html_checker_finds_no_error_on_any_page(sample_site):
    for kind, path in PAGE_TYPES.items():
        assert (sample_site / path).is_file(), (kind, path)
    messages = run_vnu(sample_site)
    errors = [m for m in messages if m["type"] == "error"]
    warnings = [m for m in messages if m["type"] != "error"]
    for m in warnings:
        print(f"vnu {m.get('subType', m['type'])}: {m['url']}: {m['message']}")
    shown = [f"{m.get('url', '')}:{m.get('lastLine', '')}: {m['message']} {m.get('extract', '')!r}" for m in errors]
    assert errors == [], f"{len(errors)} errors, e.g.\n" + "\n".join(shown[:10])
    assert len(html_files(sample_site)) > 50


def test_the_checker_is_not_blind(tmp_path):
    """The same run catches what the theme used to write (so a 0 above means something)."""
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>t</title></head><body>'
        '<input type="checkbox" id="x" autocomplete="off"><label for="__toc">Mục lục</label></body></html>',
        encoding="utf-8",
    )
    errors = [m["message"] for m in run_vnu(tmp_path) if m["type"] == "error"]
    assert len(errors) == 2, errors


def test_every_page_has_a_description_and_named_controls(sample_site):
    for path in html_files(sample_site):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        where = path.relative_to(sample_site).as_posix()
        description = soup.find("meta", attrs={"name": "description"})
        assert description is not None and description["content"].strip(), where
        for control in soup.select("input, select, textarea"):
            if control.get("type") == "hidden" or "md-toggle" in control.get("class", []):
                continue  # the theme's toggles are never shown (display: none); see the next test
            named = control.get("aria-label") or control.get("aria-labelledby") or control.get("title")
            if not named and control.get("id"):
                named = soup.find("label", attrs={"for": control["id"]}) is not None
            assert named, (where, str(control)[:120])
        assert not soup.select('input[type="checkbox"][autocomplete]'), where


def test_the_search_toggle_is_named_and_the_log_filter_has_a_button(sample_site):
    home = BeautifulSoup((sample_site / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert home.select_one("#__search")["aria-label"] == "Tìm kiếm"
    assert home.select_one("#__drawer")["aria-label"] == "Danh mục trang"
    log = BeautifulSoup((sample_site / "nhat-ky-cong-khai/index.html").read_text(encoding="utf-8"), "html.parser")
    button = log.select_one("form.ck-filter button[type=submit]")
    assert button is not None and button.get_text(strip=True) == "Lọc"


def test_the_404_page_speaks_vietnamese(sample_site):
    soup = BeautifulSoup((sample_site / "404.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article")
    assert article.h1.get_text(strip=True) == "Không tìm thấy trang"
    assert "Not found" not in soup.get_text()
    assert "Không tìm thấy trang" in soup.find("meta", attrs={"name": "description"})["content"]
    links = [a["href"] for a in article.select("a")]
    assert any(href.endswith("tim-kiem/") for href in links), links


def test_the_staff_guide_is_not_in_the_menu_but_is_served(sample_site):
    for page in ("index.html", "tiep-cong-dan/index.html", "tiep-cong-dan/2026/lich-thang-05/index.html"):
        soup = BeautifulSoup((sample_site / page).read_text(encoding="utf-8"), "html.parser")
        menu = [a["href"] for a in soup.select("nav.md-nav--primary a.md-nav__link")]
        assert menu and not [href for href in menu if "huong-dan" in href], (page, menu)
    guide = BeautifulSoup(
        (sample_site / "huong-dan/dang-tai-cong-khai/index.html").read_text(encoding="utf-8"), "html.parser"
    )
    assert guide.h1 is not None
