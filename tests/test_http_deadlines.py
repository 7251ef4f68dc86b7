"""Every request of congkhai's one HTTP client ends within its deadline, headers included, and
the witness gives each office a time budget per sync: real servers on 127.0.0.1 that drip
their answers or answer slowly, the real ``witness sync`` and ``verify --url`` commands."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.core import http
from tests.conftest import run_cli
from tests.servers import nginx_sites

DRIP_FOR = 25.0
"""Seconds a dripping server goes on (a client without a total deadline waits that long)."""


@contextlib.contextmanager
def dripping() -> Iterator[str]:
    """A server that answers every request with a status line and then one byte of header
    every 0.1 s, for :data:`DRIP_FOR` seconds: httpx's per-operation timeouts never trip."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                ends = time.monotonic() + DRIP_FOR
                while not stop.is_set() and time.monotonic() < ends:
                    conn.sendall(b"a")
                    time.sleep(0.1)
            except OSError:
                pass

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join()
        listener.close()


class _Slow(SimpleHTTPRequestHandler):
    """Serves a folder, each answer after ``delay`` seconds (each one well within the
    per-request deadline: only a budget per office bounds the whole visit)."""

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        super().do_GET()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # a client that gave up: not news
        pass


@contextlib.contextmanager
def slow_site(root: Path, delay: float) -> Iterator[str]:
    def handler(*args, **kwargs):
        return _Slow(*args, directory=str(root), **kwargs)

    server = _QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.delay = delay  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_request_ends_at_its_deadline_even_while_headers_drip():
    with dripping() as url, http.client(timeout=1) as client:
        started = time.monotonic()
        with pytest.raises(http.FetchError) as caught:
            http.get(client, url + "checkpoint", 1024, deadline=1.5)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5 + 0.5, elapsed
    assert caught.value.reason == "máy chủ trả lời quá chậm (hơn 1.5 giây)"
    assert caught.value.slow


def write_witness_yml(path: Path, agencies: list[tuple[str, str]], timeout: float, budget: float) -> None:
    lines = [f"timeout: {timeout}", f"budget: {budget}", "agencies:"]
    for name, url in agencies:
        lines += [f"  - name: {name}", f"    url: {url}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_witness_sync_gives_up_on_a_dripping_office_and_goes_on(tmp_path, sample_site):
    config = tmp_path / "witness.yml"
    with dripping() as drip, nginx_sites([sample_site], tmp_path / "nginx") as (good,):
        write_witness_yml(config, [("Sở Nhỏ giọt", drip), ("Sở Tốt", good)], timeout=1, budget=2)
        started = time.monotonic()
        result = CliRunner().invoke(
            main, ["witness", "sync", "--config", str(config), "--store", str(tmp_path / "store")]
        )
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("LỖI  Sở Nhỏ giọt") and "checkpoint: máy chủ trả lời quá chậm" in lines[0], lines
    assert lines[1].startswith("ĐẠT  Sở Tốt"), lines
    assert elapsed < 2 + 3, elapsed
    assert "Traceback" not in result.output


def test_each_office_has_a_time_budget_per_sync(tmp_path, sample_site):
    """Every answer comes in 0.9 s (never too slow by itself), but the visit has many
    requests: the office stops at its budget, the other office is done meanwhile."""
    config = tmp_path / "witness.yml"
    with slow_site(sample_site, 0.9) as slow, nginx_sites([sample_site], tmp_path / "nginx") as (good,):
        write_witness_yml(config, [("Sở Chậm", slow), ("Sở Tốt", good)], timeout=1, budget=2)
        started = time.monotonic()
        result = CliRunner().invoke(
            main, ["witness", "sync", "--config", str(config), "--store", str(tmp_path / "store")]
        )
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("LỖI  Sở Chậm") and "hết 2 giây dành cho cơ quan này" in lines[0], lines
    assert lines[1].startswith("ĐẠT  Sở Tốt"), lines
    assert elapsed < 2 + 2, elapsed


def test_verify_url_gives_up_on_a_dripping_server(tmp_path, sample_site, monkeypatch):
    monkeypatch.setenv("CONGKHAI_HTTP_DEADLINE", "2")
    with dripping() as drip:
        started = time.monotonic()
        result = run_cli(sample_site.parent, "verify", "--url", drip)
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    # the first file asked for is given up on at its deadline; every later one (the log
    # among them) is reported at once as not fetched, naming why
    assert "máy chủ trả lời quá chậm (hơn 2 giây)" in result.output
    assert any(
        "nhat-ky-cong-khai/publication-log.jsonl:" in line and "quá chậm" in line for line in result.output.splitlines()
    ), result.output
    assert "Traceback" not in result.output
    assert elapsed < 2 + 8, elapsed
