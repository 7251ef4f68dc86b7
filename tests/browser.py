"""Support for the end-to-end tests: a real HTTP server on 127.0.0.1 and Debian's Chromium
driven by Playwright (never a downloaded browser), plus the axe-core accessibility engine
from ``node_modules`` (``npm ci`` installs it; see ``package.json``).

Every page opened through :func:`open_page` records the hosts it asked for, so that a test
can assert that nothing left 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (free port) in a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Visit:
    """Hosts a page asked for while it was open."""

    hosts: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)
    """Requests that failed, or got an HTTP error status."""
    console_errors: list[str] = field(default_factory=list)


def open_page(browser, width: int = 1280, height: int = 900, javascript: bool = True):
    """A new page in a fresh context that records every request's host; returns (page, visit)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, java_script_enabled=javascript, locale="vi-VN"
    )
    page = context.new_page()
    visit = Visit()
    page.on("request", lambda request: visit.hosts.add(urlsplit(request.url).hostname or request.url))
    page.on("requestfailed", lambda request: visit.failed.append(request.url))
    page.on("response", lambda response: response.status >= 400 and visit.failed.append(response.url))
    page.on("console", lambda msg: msg.type == "error" and visit.console_errors.append(msg.text))
    return page, visit


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0, 2.1 and 2.2 A and AA rules, target-size included) on the page; return its violations."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
            resultTypes: ['violations'],
        })"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
