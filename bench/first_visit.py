#!/usr/bin/env python3
"""A citizen's cold first visit (issue 27: the home page ≤ 60 KB transferred).

Builds the sample project of this repository (or ``--project DIR``) with ``congkhai
build``, serves it with real nginx and congkhai's own server configuration
(``generator/publish/server/nginx.conf``: gzip as shipped, through ``tests/servers.py``),
then opens each page in Debian's Chromium (Playwright, a fresh context each time: empty
cache, no service worker, 375×812 like a phone) and waits until the network is idle.
For every response it adds the bytes on the wire (Playwright's ``request.sizes()``:
``responseBodySize``, compressed where nginx compresses, plus ``responseHeadersSize``)
and prints the total, the budget and each response, largest first.

Usage::

    python bench/first_visit.py [--project DIR] [--pages "" tiep-cong-dan/ ...] [--json out.json]

The pages are URL paths below the site root ("" is the home page, the default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.servers import nginx  # noqa: E402  (congkhai's nginx configuration, as the tests serve it)

BUDGET_KB = 60.0


def build(project: Path, site: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    run = subprocess.run(
        [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "build", "--site-dir", str(site)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if run.returncode != 0:
        raise SystemExit(f"congkhai build failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")


def visit(base: str, page: str) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        context = browser.new_context(viewport={"width": 375, "height": 812}, locale="vi-VN", service_workers="block")
        tab = context.new_page()
        requests = []
        tab.on("requestfinished", lambda request: requests.append(request))
        tab.goto(base + page, wait_until="networkidle")
        rows = []
        for request in requests:
            sizes = request.sizes()
            response = request.response()
            rows.append(
                {
                    "url": request.url.removeprefix(base) or "/",
                    "type": request.resource_type,
                    "status": response.status if response else None,
                    "encoding": (response.headers.get("content-encoding") if response else None) or "-",
                    "body": sizes["responseBodySize"],
                    "headers": sizes["responseHeadersSize"],
                }
            )
        browser.close()
    rows.sort(key=lambda r: -(r["body"] + r["headers"]))
    total = sum(r["body"] + r["headers"] for r in rows)
    return {"page": page or "/", "requests": len(rows), "total_kb": total / 1024, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=REPO)
    parser.add_argument("--pages", nargs="*", default=[""])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    print(f"máy: {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU")
    print(f"dự án: {args.project}")
    results = []
    with tempfile.TemporaryDirectory(prefix="congkhai-first-visit-") as work:
        site = Path(work) / "site"
        build(args.project, site)
        with nginx(site, Path(work) / "nginx") as base:
            for page in args.pages:
                result = visit(base, page)
                results.append(result)
                verdict = "đạt" if result["total_kb"] <= BUDGET_KB else "VƯỢT"
                print(
                    f"\n== /{page}: {result['total_kb']:.1f} KB qua mạng ({result['requests']} yêu cầu), "
                    f"ngân sách {BUDGET_KB:.0f} KB: {verdict} ({result['total_kb'] / BUDGET_KB:.2f}× ngân sách)"
                )
                print("| tệp | loại | mã | nén | thân (B) | đầu (B) |\n|---|---|---:|---|---:|---:|")
                for row in result["rows"]:
                    print(
                        f"| {row['url'][:70]} | {row['type']} | {row['status']} | {row['encoding']} "
                        f"| {row['body']} | {row['headers']} |"
                    )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if all(r["total_kb"] <= BUDGET_KB for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
