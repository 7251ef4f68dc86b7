"""The live preview (``congkhai serve``, :mod:`generator.mkdocs_plugin.preview`): each page rendered on
request must be the page a full build writes, after any series of changes."""

from __future__ import annotations

import html
import shutil
import threading
from pathlib import Path

import httpx
import pytest
from conftest import run_cli

from generator.mkdocs_plugin import preview
from generator.website import pipeline
from tests.servers import free_port

RECORD = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
HOTLINE = "disclosures/duong-day-nong/2026/duong-day-nong.yml"

PAGES = [
    "/",
    "/tiep-cong-dan/",
    "/tiep-cong-dan/2026/lich-thang-05/",
    "/tiep-cong-dan/2026/bien-ban-thang-04/",
    "/duong-day-nong/",
    "/nhat-ky-cong-khai/",
    "/danh-muc-thong-tin/",
    "/gioi-thieu/",
    "/tim-kiem/",
]


@pytest.fixture
def served(make_project, tmp_path):
    """A project, and its preview served over HTTP on 127.0.0.1."""
    root = make_project()
    state = preview.Preview(root / "mkdocs.yml", tmp_path / "preview")
    port = free_port()
    server = preview.make_server(state, "127.0.0.1", port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield root, state, client
    server.shutdown()
    server.server_close()


def _build(root: Path, out: Path) -> Path:
    shutil.rmtree(out, ignore_errors=True)
    result = run_cli(root, "build", "--site-dir", str(out))
    assert result.exit_code == 0, result.output
    return out


def _same_as_build(root: Path, client: httpx.Client, out: Path, pages: list[str]) -> None:
    site = _build(root, out)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:2000])
        assert preview.RELOAD_TAG in response.text  # the preview reloads itself
        built = (site / url.lstrip("/") / "index.html").read_bytes()
        assert preview.without_reload(response.content) == built, url


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_preview_equals_the_build_after_every_kind_of_change(served, tmp_path):
    root, state, client = served
    _same_as_build(root, client, tmp_path / "b0", PAGES)
    first = state.generation

    # an edit of a record: its page, its category, the home page and the catalogue change
    _edit(root / RECORD, "title: Thông báo lịch tiếp công dân tháng 5/2026", "title: Lịch tiếp dân tháng năm đã sửa")
    assert "Lịch tiếp dân tháng năm đã sửa" in client.get("/tiep-cong-dan/2026/lich-thang-05/").text
    _same_as_build(root, client, tmp_path / "b1", PAGES)
    assert state.generation > first

    # a new record
    new = root / "disclosures/tiep-cong-dan/2026/bien-ban-thang-05.md"
    new.write_text(
        "---\ntitle: Biên bản tiếp công dân tháng 5/2026\nkind: bien-ban\ndocument: {date: 2026-05-15}\n"
        "session_date: 2026-05-15\nhost: Trưởng ban\nvisitors: 0\nno_visitors: true\n---\n"
        "**Không có công dân đến.**\n",
        encoding="utf-8",
    )
    _same_as_build(root, client, tmp_path / "b2", [*PAGES, "/tiep-cong-dan/2026/bien-ban-thang-05/"])

    # a record deleted (never published): its page is gone from the preview too
    new.unlink()
    assert client.get("/tiep-cong-dan/2026/bien-ban-thang-05/").status_code == 404
    _same_as_build(root, client, tmp_path / "b3", PAGES)

    # the hotline, shown on every page
    _edit(root / HOTLINE, "label: Văn phòng Ban", "label: Chánh Văn phòng trực")
    assert "Chánh Văn phòng trực" in client.get("/gioi-thieu/").text
    _same_as_build(root, client, tmp_path / "b4", PAGES)

    # the log: a publish appends events and a checkpoint
    result = run_cli(root, "publish", "--allow-sample")
    assert result.exit_code == 0, result.output
    assert "Công bố" in client.get("/nhat-ky-cong-khai/").text
    _same_as_build(root, client, tmp_path / "b5", PAGES)

    # and the files made on request (feeds, search index, checkpoint, proofs) are the build's
    site = tmp_path / "b5"
    served_files = [
        p for p in site.rglob("*") if p.is_file() and p.suffix not in (".html", ".gz") and "assets" not in p.parts
    ]
    assert any(p.name == "checkpoint" for p in served_files)
    assert any(p.suffix == ".tlog-proof" for p in served_files)
    assert any(p.name == "atom.xml" for p in served_files)
    for path in served_files:
        rel = path.relative_to(site).as_posix()
        response = client.get("/" + rel)
        assert response.status_code == 200, rel
        assert response.content == path.read_bytes(), rel


def test_a_record_with_an_error_is_shown_in_the_browser_in_vietnamese(served):
    root, _, client = served
    _edit(root / RECORD, "date: 2026-05-15", "date: 2026-05-45")
    response = client.get("/")
    assert response.status_code == 500
    assert f"{RECORD}:11: sessions[1].date: ngày" in html.unescape(response.text)
    check = run_cli(root, "check")  # the same messages as congkhai check, every one
    lines = [line for line in check.output.splitlines() if line.startswith(RECORD)]
    assert lines
    for line in lines:
        assert html.escape(line) in response.text
    assert preview.RELOAD_TAG in response.text
    _edit(root / RECORD, "date: 2026-05-45", "date: 2026-05-15")
    assert client.get("/").status_code == 200


def test_personal_data_on_a_page_is_refused_like_the_build_refuses_it(served):
    root, _, client = served
    page = root / "content/gioi-thieu.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n<!-- -->\nGọi 0913 123 456.\n", encoding="utf-8")
    response = client.get("/gioi-thieu/")
    assert response.status_code == 500
    assert "content/gioi-thieu.md" in response.text
    assert "0913 123 456" not in response.text  # the number is not repeated in the message


def test_the_version_changes_only_when_an_input_changes(served):
    root, _, client = served
    one = client.get(preview.VERSION_PATH).text
    assert client.get(preview.VERSION_PATH).text == one
    (root / "site").mkdir()  # the output of a build is not an input
    (root / "site" / "x.html").write_text("x", encoding="utf-8")
    assert client.get(preview.VERSION_PATH).text == one
    _edit(root / RECORD, "place: Trụ sở Ban", "place: Hội trường Ban")
    assert client.get(preview.VERSION_PATH).text != one
    assert client.get(preview.RELOAD_PATH).headers["content-type"].startswith("text/javascript")


def test_a_page_without_its_slash_is_redirected_and_unknown_paths_are_404(served):
    _, _, client = served
    response = client.get("/tiep-cong-dan")
    assert response.status_code == 301
    assert response.headers["location"] == "/tiep-cong-dan/"
    missing = client.get("/khong-co-trang-nay/")
    assert missing.status_code == 404
    assert "404" in missing.text


def test_every_bundle_says_which_paths_it_holds(make_project):
    root = make_project()
    assert run_cli(root, "publish", "--allow-sample").exit_code == 0
    from generator.cli import _settings

    site = pipeline.load(_settings(str(root / "mkdocs.yml")))
    planned, bundles = pipeline.plan_outputs(site)
    known = {o.path for o in planned}
    for bundle in bundles:
        assert bundle.outputs, bundle.name
        for output in bundle.outputs:
            assert bundle.holds(output.path), (bundle.name, output.path)
            assert output.path not in known
    for output in planned:  # no bundle claims a page or a file of known path
        assert not any(b.holds(output.path) for b in bundles), output.path


def test_congkhai_serve_serves_the_preview_and_stops_on_sigterm(make_project):
    """The command itself, as a clerk starts it: pages on 127.0.0.1, the problems of a bad
    record in the terminal too, a clean stop."""
    import signal
    import subprocess
    import sys
    import time

    root = make_project()
    _edit(root / RECORD, "date: 2026-05-15", "date: 2026-05-45")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), "serve", "-a", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        assert response.status_code == 500 and "sessions[1].date" in response.text
        _edit(root / RECORD, "date: 2026-05-45", "date: 2026-05-15")
        fixed = httpx.get(f"http://127.0.0.1:{port}/tiep-cong-dan/", timeout=30)
        assert fixed.status_code == 200 and preview.RELOAD_TAG in fixed.text
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0
    assert f"Xem trước: http://127.0.0.1:{port}/" in out
    assert f"{RECORD}:11: sessions[1].date:" in err
    assert "Traceback" not in err
