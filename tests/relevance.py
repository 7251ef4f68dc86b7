"""The search relevance set (``tests/search_relevance.yml``) asked through the real search
client in a browser page: shared by ``tests/test_e2e_relevance.py`` and
``bench/search_relevance.py``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import yaml

QUESTIONS = Path(__file__).resolve().parent / "search_relevance.yml"
DEPTH = 5
"""A question succeeds when every page it names is among this many first results."""
DONE = """() => {
    const s = document.getElementById('ck-search-status');
    return s && s.textContent && !s.textContent.startsWith('Đang');
}"""


@dataclass
class Answer:
    query: str
    expected: list[str]
    found: list[str]
    """URL paths below the site root of the first results, best first."""
    absent: tuple[str, ...] = ()
    """URL paths that must not be among the results at all."""

    @property
    def ok(self) -> bool:
        return all(url in self.found[:DEPTH] for url in self.expected) and not set(self.absent) & set(self.found)


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def ask(page, base: str, query: str) -> list[str]:
    """Open the search page for ``query``; the result URLs (below ``base``), best first."""
    page.goto(f"{base}tim-kiem/?q={quote_plus(query)}")
    page.wait_for_function(DONE)
    hrefs = page.eval_on_selector_all(".ck-result__title", "links => links.map(a => a.href)")
    return [h.removeprefix(base) for h in hrefs]


def answers(page, base: str, questions: list[dict] | None = None) -> list[Answer]:
    return [
        Answer(q["q"], q["top"], ask(page, base, q["q"]), tuple(q.get("absent", ())))
        for q in questions or load_questions()
    ]


def success_at(found: list[Answer]) -> float:
    return sum(a.ok for a in found) / len(found)
