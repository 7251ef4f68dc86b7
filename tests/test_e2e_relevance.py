"""End-to-end: the search relevance set through the real client on the published sample
site in Chromium, and the client's query analysis against the index's (Python)."""

from __future__ import annotations

import json

import pytest

from generator.website.search import INDEX_DIR, Synonyms, analyse
from tests.browser import open_page
from tests.relevance import DEPTH, answers, ask, load_questions, success_at


def test_relevance_set_success_at_5(chromium, site_url):
    questions = load_questions()
    assert len(questions) >= 40
    page, visit = open_page(chromium, width=375, height=800)
    found = answers(page, site_url, questions)
    misses = [(a.query, a.expected, a.found[:DEPTH]) for a in found if not a.ok]
    assert success_at(found) >= 0.95, misses
    assert visit.hosts == {"127.0.0.1"} and not visit.console_errors
    page.context.close()


@pytest.mark.parametrize(
    "query",
    [
        "lịch tiếp dân tháng 11 năm 2026",
        "LICH TIEP CONG DAN THANG12 NAM2026",
        "thứ Năm, ngày 16/11/2026, từ 07:30 đến 11:00",
        "quý III/2026 và quy 4, qui ii",
        "BQL-LD-01 hoặc 45/TB-BQLKKT",
        "hotline tố cáo tham nhũng tiếp dân",
        "6 tháng đầu năm; tháng 13; 45/2026; 2026-11-05",
        "Tuye\u0302\u0309n du\u0323ng",
    ],
)
def test_client_analyses_a_query_like_the_index(chromium, site_url, sample_site, query):
    manifest = json.loads(next((sample_site / INDEX_DIR).glob("manifest.*.json")).read_text("utf-8"))
    page, _ = open_page(chromium)
    page.goto(f"{site_url}tim-kiem/")
    client = page.evaluate(
        "([q, y]) => window.congkhaiSearch.analyse(q, y).map(item => item[0])", [query, manifest["y"]]
    )
    assert client == analyse(query, Synonyms(), query=True)
    page.context.close()


def test_some_words_matching_is_never_nothing_and_all_words_come_first(chromium, site_url):
    page, _ = open_page(chromium)
    found = ask(page, site_url, "tuyển dụng khongcotukhoanay")
    assert found and found[0] in ("tuyen-dung/", "tuyen-dung/2026/thong-bao-tuyen-dung-vien-chuc/"), found
    # "năm" alone is not the year: the November schedule (thứ Hai) before October's (thứ Năm)
    found = ask(page, site_url, "lịch tiếp dân tháng 11 năm 2026")
    assert found[0] == "tiep-cong-dan/2026/lich-thang-11/", found
    assert found.index("tiep-cong-dan/2026/lich-thang-10/") > 2, found
    page.context.close()
