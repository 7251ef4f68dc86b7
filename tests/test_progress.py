"""Progress shows on a terminal only: a build through a pseudo-terminal shows the counts
of records read and pages written; through CliRunner (not a terminal) not a word of it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

from tests.conftest import REPO, run_cli


def test_no_progress_when_output_is_not_a_terminal(make_project):
    root = make_project()
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 0, result.output
    assert "Dựng trang" not in result.output and "Đọc hồ sơ" not in result.output
    assert "\x1b[" not in result.output  # no cursor movement, no colours
    assert result.output.strip().splitlines()[-1].startswith("Đã dựng trang vào")


def test_progress_on_a_terminal(make_project):
    root = make_project()
    primary, secondary = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TERM": "xterm-256color", "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), "build", "--site-dir", str(root / "site")],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=root,
    )
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 1)
        if ready:
            try:
                data = os.read(primary, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(primary)
    assert process.wait(timeout=60) == 0
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "Đọc hồ sơ" in shown
    assert "Dựng trang" in shown
    pages = sum(1 for _ in (root / "site").rglob("index.html"))
    assert f"{pages}/{pages}" in shown  # the count of pages written, to the last
    assert "Đã dựng trang vào" in shown
