"""Real nginx on 127.0.0.1 with congkhai's configuration (``generator/publish/server/nginx.conf``),
for the tests and benchmarks that serve built sites: one server block (port) per site."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parent.parent / "generator" / "publish" / "server" / "nginx.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


@contextlib.contextmanager
def nginx_sites(
    roots: list[Path], work: Path, tls: tuple[Path, Path] | None = None, server_extra: str = "", http_extra: str = ""
) -> Iterator[list[str]]:
    """One real nginx, one server block (port) per site root; the roots are not resolved,
    so a publish that switches the deploy symlink is served at once. The access log
    (``access.log``: status, bytes sent, URI, Range) shows what was transferred. With
    ``tls`` (certificate, key) the sites are served over HTTPS; ``server_extra`` is added
    to each server block after congkhai's file (what an administrator adds there), and
    ``http_extra`` to the http block (another server, on a port of :func:`free_port`)."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is missing: scripts/setup installs it")
    work.mkdir(parents=True, exist_ok=True)
    ports = [free_port() for _ in roots]
    user = "user root;" if os.geteuid() == 0 else ""
    ssl = f" ssl; ssl_certificate {tls[0]}; ssl_certificate_key {tls[1]}" if tls else ""
    servers = "\n".join(
        f"  server {{ listen 127.0.0.1:{port}{ssl}; root {root}; include {CONFIG}; {server_extra} }}"
        for port, root in zip(ports, roots, strict=True)
    )
    conf = work / "nginx.conf"
    conf.write_text(f"""
{user}
daemon off; pid {work}/nginx.pid; error_log {work}/error.log;
events {{}}
http {{
  include {MIME_TYPES};
  default_type application/octet-stream;
  log_format witness '$server_port $status $body_bytes_sent $request_uri "$http_range"';
  access_log {work}/access.log witness;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
{servers}
{http_extra}
}}
""")
    check = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(work)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)])
    try:
        for port in ports:
            wait_for(port)
        yield [f"{'https' if tls else 'http'}://127.0.0.1:{port}/" for port in ports]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def nginx(root: Path, work: Path) -> Iterator[str]:
    """Real nginx on 127.0.0.1 serving one site ``root``."""
    with nginx_sites([root.resolve()], work) as urls:
        yield urls[0]
