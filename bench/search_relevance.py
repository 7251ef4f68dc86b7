#!/usr/bin/env python3
"""Search relevance benchmark: success@5 of the relevance set on the sample site.

Builds the repository's sample project (``mkdocs.yml``, ``content/``, ``disclosures/``)
into a temporary folder with ``python -m generator build``, serves it on 127.0.0.1 and asks
every question of ``tests/search_relevance.yml`` through the real search page in Debian's
Chromium (Playwright, 375x800). A question succeeds when every page it names is among the
first five results. Prints each failure with the first results, then success@5.

Usage::

    python bench/search_relevance.py [--site DIR] [--questions FILE] [--json out.json]

``--site`` asks an already built site instead of building one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402
from tests.relevance import DEPTH, QUESTIONS, answers, load_questions, success_at  # noqa: E402


def build_sample(workdir: Path) -> Path:
    for name in ("mkdocs.yml",):
        shutil.copy(REPO / name, workdir / name)
    for folder in ("content", "disclosures"):
        shutil.copytree(REPO / folder, workdir / folder)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    site = workdir / "site"
    subprocess.run(
        [sys.executable, "-m", "generator", "-f", str(workdir / "mkdocs.yml"), "build", "--site-dir", str(site)],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", help="an already built site to ask (default: build the sample)")
    parser.add_argument("--questions", default=str(QUESTIONS), help="the relevance set (YAML)")
    parser.add_argument("--json", dest="json_file", help="write every answer as JSON to this file")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    questions = load_questions(Path(args.questions))
    with tempfile.TemporaryDirectory(prefix="ck-relevance-") as tmp:
        site = Path(args.site) if args.site else build_sample(Path(tmp))
        with serve(site.resolve()) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
            found = answers(page, base, questions)
            browser.close()
    for a in found:
        if not a.ok:
            print(f"MISS {a.query!r}: want {a.expected}")
            for i, url in enumerate(a.found[:DEPTH], 1):
                print(f"       {i}. {url}")
    ok = sum(a.ok for a in found)
    print(f"success@{DEPTH}: {ok}/{len(found)} = {success_at(found):.1%}")
    if args.json_file:
        rows = [{"q": a.query, "top": a.expected, "found": a.found[:10], "ok": a.ok} for a in found]
        Path(args.json_file).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
