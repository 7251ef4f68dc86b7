"""The publication log: publish, the pages it drives, tampering, crashes, verify."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import csv_to_xlsx, run_cli

LICH = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"


def events_of(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()]


def article(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find("article")


def publish(root: Path, *extra: str):
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"), *extra)
    assert result.exit_code == 0, result.output
    return result


def independent_hash(event: dict) -> str:
    """The SPEC's rule, written again here without the project's code."""
    body = {k: v for k, v in event.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_publish_edit_publish_withdraw(make_project):
    root = make_project()
    publish(root)
    first = events_of(root)
    assert [e["event"] for e in first] == ["published"] * 4
    assert {e["id"] for e in first} == {
        "duong-day-nong/2026/duong-day-nong",
        "tiep-cong-dan/2026/lich-thang-05",
        "tiep-cong-dan/2026/bien-ban-thang-04",
        "tiep-cong-dan/2025/lich-thang-12",
    }  # the internal record is never logged
    lich = next(e for e in first if e["id"] == "tiep-cong-dan/2026/lich-thang-05")
    assert lich["url"] == "https://congkhai.example.gov.vn/tiep-cong-dan/2026/lich-thang-05/"
    assert lich["document_number"] == "45/TB-BQLKKT" and lich["version"] == 1
    assert lich["attachments"] == [
        {"file": "thong-bao.pdf", "sha256": hashlib.sha256(b"%PDF-1.4 sample\n").hexdigest()}
    ]
    page = article(root / "www/tiep-cong-dan/2026/lich-thang-05/index.html")
    text = page.get_text(" ", strip=True)
    assert page.select_one(".ck-content-hash").get_text() == lich["content_sha256"]
    assert "Chưa công bố" not in text and "Phiên bản 1" in text

    # publishing again without change appends nothing
    result = publish(root)
    assert "Không có thay đổi nào" in result.output and len(events_of(root)) == 4

    path = root / LICH
    path.write_text(
        path.read_text(encoding="utf-8").replace("07:30", "08:00") + "change_note: Đổi giờ bắt đầu\n", encoding="utf-8"
    )
    publish(root)
    updated = events_of(root)[-1]
    assert (updated["event"], updated["version"], updated["change_note"]) == ("updated", 2, "Đổi giờ bắt đầu")
    assert updated["content_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    history = [
        li.get_text(" ", strip=True)
        for li in article(root / "www/tiep-cong-dan/2026/lich-thang-05/index.html").select("ol.ck-history li")
    ]
    assert (
        len(history) == 2
        and "Cập nhật, phiên bản 2: Đổi giờ bắt đầu" in history[0]
        and "Công bố, phiên bản 1" in history[1]
    )

    path.write_text(
        path.read_text(encoding="utf-8") + "withdrawn:\n  date: 2026-06-01\n  reason: Lịch bị hủy do trùng lịch họp\n",
        encoding="utf-8",
    )
    publish(root)
    withdrawn = events_of(root)[-1]
    assert (withdrawn["event"], withdrawn["version"], withdrawn["reason"]) == (
        "withdrawn",
        3,
        "Lịch bị hủy do trùng lịch họp",
    )
    banner = article(root / "www/tiep-cong-dan/2026/lich-thang-05/index.html").select_one(".ck-banner--withdrawn")
    assert banner.get_text(" ", strip=True) == "Đã thu hồi ngày 01/06/2026: Lịch bị hủy do trùng lịch họp"

    # the chain, recomputed independently, and the head in every page's footer
    events = events_of(root)
    prev = "0" * 64
    for seq, event in enumerate(events, start=1):
        assert event["seq"] == seq and event["prev"] == prev
        assert event["hash"] == independent_hash(event)
        prev = event["hash"]
    footer = BeautifulSoup((root / "www/gioi-thieu/index.html").read_text(encoding="utf-8"), "html.parser")
    assert footer.select_one(".ck-loghead__hash").get_text() == events[-1]["hash"]
    assert footer.select_one(".ck-loghead__seq").get_text() == str(len(events))
    result = run_cli(root, "verify", "--site", str(root / "www"))
    assert result.exit_code == 0, result.output


def test_preview_says_not_yet_published(built):
    _, site = built
    text = article(site / "tiep-cong-dan/2026/lich-thang-05/index.html").get_text(" ", strip=True)
    assert "Tình trạng Chưa công bố" in text
    assert "Đường dẫn vĩnh viễn https://congkhai.example.gov.vn/tiep-cong-dan/2026/lich-thang-05/" in text


def test_publish_refuses_sample_records_unless_told(make_project):
    root = make_project()
    result = run_cli(root, "publish")
    assert result.exit_code == 1
    assert "không công bố dữ liệu mẫu" in result.output and "--allow-sample" in result.output
    assert not (root / "publication-log.jsonl").exists()


def test_published_url_is_permanent(make_project):
    root = make_project()
    publish(root)
    (root / "disclosures/tiep-cong-dan/2025/lich-thang-12.yml").unlink()
    result = run_cli(root, "check")
    assert result.exit_code == 1
    line = result.output.splitlines()[0]
    assert line.startswith("publication-log.jsonl:")
    assert (
        "'tiep-cong-dan/2025/lich-thang-12' đã công bố ngày" in line
        and "thêm withdrawn: {date: …, reason: …} để thu hồi" in line
    )
    # renaming the file changes its URL: refused the same way, by build too
    make = root / "disclosures/tiep-cong-dan/2026/bien-ban-thang-04.md"
    make.rename(make.with_name("bien-ban-4.md"))
    result = run_cli(root, "build", "--site-dir", str(root / "site"))
    assert result.exit_code == 1 and "'tiep-cong-dan/2026/bien-ban-thang-04' đã công bố" in result.output


def _tamper_cases(lines: list[str]) -> dict[str, list[str]]:
    def edit(index: int, **changes) -> list[str]:
        out = list(lines)
        event = json.loads(out[index])
        event.update(changes)
        out[index] = json.dumps(event, ensure_ascii=False)
        return out

    def rechain(events: list[dict]) -> list[str]:
        prev = "0" * 64
        for event in events:
            event["prev"] = prev
            event["hash"] = independent_hash(event)
            prev = event["hash"]
        return [json.dumps(e, ensure_ascii=False) for e in events]

    backdated = [json.loads(line) for line in lines]
    backdated[2]["at"] = "2020-01-01T08:00:00+07:00"
    return {
        "edit-title": edit(1, title="Tiêu đề đã bị sửa"),
        "delete-line": lines[:1] + lines[2:],
        "swap-lines": [lines[0], lines[2], lines[1], *lines[3:]],
        "backdate-at": edit(2, at="2020-01-01T08:00:00+07:00"),
        "backdate-at-and-rechain": rechain(backdated),
    }


EXPECTED_TAMPER = {
    "edit-title": "publication-log.jsonl:2: hash: seq 2: không khớp nội dung (dòng đã bị sửa)",
    "delete-line": "publication-log.jsonl:2: seq: seq 3: số thứ tự sai, phải là 2 (thiếu, thừa hoặc đảo dòng)",
    "swap-lines": "publication-log.jsonl:2: seq: seq 3: số thứ tự sai, phải là 2 (thiếu, thừa hoặc đảo dòng)",
    "backdate-at": "publication-log.jsonl:3: hash: seq 3: không khớp nội dung (dòng đã bị sửa)",
    "backdate-at-and-rechain": "publication-log.jsonl:3: at: seq 3: 2020-01-01T08:00:00+07:00 sớm hơn sự kiện trước",
}


def about(root: Path, key: str, field: str, text: str) -> str:
    """The line ``verify`` prints about the latest logged event of record ``key``: it names
    the log line of that event (one event per line, so line = seq)."""
    seq = [e["seq"] for e in events_of(root) if e["id"] == key][-1]
    return f"publication-log.jsonl:{seq}: {field}: seq {seq}: {text}"


@pytest.mark.parametrize("case", list(EXPECTED_TAMPER))
def test_verify_detects_tampering(make_project, case):
    root = make_project()
    publish(root)
    log = root / "publication-log.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    log.write_text("\n".join(_tamper_cases(lines)[case]) + "\n", encoding="utf-8")
    result = run_cli(root, "verify")
    assert result.exit_code == 1
    assert EXPECTED_TAMPER[case] in result.output.splitlines()
    # and publish refuses to extend a broken chain
    result = run_cli(root, "publish", "--allow-sample")
    assert result.exit_code == 1
    assert EXPECTED_TAMPER[case] in result.output.splitlines()
    assert "publication-log.jsonl:1: log: nhật ký không hợp lệ, không ghi thêm sự kiện" in result.output.splitlines()


def test_verify_detects_a_changed_file_and_a_page_not_served(make_project):
    root = make_project()
    publish(root)
    path = root / LICH
    path.write_text(path.read_text(encoding="utf-8").replace("Trụ sở Ban", "Hội trường"), encoding="utf-8")
    shutil.rmtree(root / "www/tiep-cong-dan/2025")
    served = root / "www/tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf"
    served.write_bytes(b"%PDF-1.4 a different scan\n")
    result = run_cli(root, "verify", "--site", str(root / "www"))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    changed = hashlib.sha256(b"%PDF-1.4 a different scan\n").hexdigest()
    logged = hashlib.sha256(b"%PDF-1.4 sample\n").hexdigest()
    assert (
        about(
            root,
            "tiep-cong-dan/2026/lich-thang-05",
            "attachments[1].sha256",
            "https://congkhai.example.gov.vn/tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf: tệp đính kèm được phục vụ "
            f"có mã SHA-256 {changed}, khác mã {logged} đã ghi trong nhật ký",
        )
        in lines
    )
    # the edited file is an edit not yet published: a note, not a problem of the evidence
    note = about(
        root,
        "tiep-cong-dan/2026/lich-thang-05",
        "content_sha256",
        "tiep-cong-dan/2026/lich-thang-05: tệp disclosures/tiep-cong-dan/2026/lich-thang-05.yml đã sửa sau phiên bản "
        "đã công bố; thay đổi này chưa công bố",
    )
    assert f"Ghi chú: {note}" in lines
    assert note not in lines
    assert (
        about(
            root,
            "tiep-cong-dan/2025/lich-thang-12",
            "url",
            "https://congkhai.example.gov.vn/tiep-cong-dan/2025/lich-thang-12/: không có trong thư mục trang",
        )
        in lines
    )


def test_verify_in_workers_reports_what_one_process_reports(make_project, monkeypatch):
    """``CONGKHAI_JOBS``: the served pages checked by forked workers give the same lines,
    in the same order, as in one process. Each verify runs in a process of its own: this one
    may hold threads of other tests' servers, and a process with other threads never forks
    (``parallel.pays``)."""
    root = make_project()
    publish(root)
    www = root / "www"
    page = www / "tiep-cong-dan/2026/lich-thang-05/index.html"
    text = page.read_text(encoding="utf-8")
    assert "05/05/2026" in text
    page.write_text(text.replace("05/05/2026", "06/05/2026"), encoding="utf-8")
    (www / "tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf").write_bytes(b"%PDF-1.4 another\n")
    shutil.rmtree(www / "tiep-cong-dan/2025")
    outputs = {}
    for jobs in ("1", "2", "3"):
        result = subprocess.run(
            [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), "verify", "--site", str(www)],
            env={**os.environ, "CONGKHAI_JOBS": jobs},
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 1
        outputs[jobs] = result.stdout + result.stderr
    assert outputs["1"] == outputs["2"] == outputs["3"]
    lines = outputs["1"].splitlines()
    assert any("06/05/2026" in line and "trang khác phiên bản đã ghi trong nhật ký" in line for line in lines)
    assert any("attachments[1].sha256" in line for line in lines)
    assert any("lich-thang-12/: không có trong thư mục trang" in line for line in lines)
    monkeypatch.setenv("CONGKHAI_JOBS", "0")
    result = run_cli(root, "verify", "--site", str(www))
    assert result.exit_code == 1
    assert "biến môi trường CONGKHAI_JOBS='0' không hợp lệ" in result.output


def test_log_page_and_downloads(make_project):
    root = make_project()
    publish(root)
    www = root / "www"
    assert (www / "nhat-ky-cong-khai/publication-log.jsonl").read_bytes() == (
        root / "publication-log.jsonl"
    ).read_bytes()
    csv_bytes = (www / "nhat-ky-cong-khai/publication-log.csv").read_bytes()
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    assert "Thông báo lịch tiếp công dân tháng 5/2026" in csv_bytes.decode("utf-8-sig")
    page = article(www / "nhat-ky-cong-khai/index.html")
    rows = page.select("table.ck-log tbody tr")
    assert len(rows) == 4 and {r["data-year"] for r in rows} == {time.strftime("%Y")}
    assert page.select_one("#ck-category") is not None
    catalogue = article(www / "danh-muc-thong-tin/index.html")
    cells = [
        td.get_text(strip=True)
        for td in catalogue.find(string="Thông báo lịch tiếp công dân tháng 5/2026").find_parent("tr").find_all("td")
    ]
    assert cells[1:3] == ["45/TB-BQLKKT", "05/05/2026"] and cells[3] == "Trang thông tin điện tử"
    assert cells[4] != "Chưa công bố" and cells[5] == "/tiep-cong-dan/2026/lich-thang-05/"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_log_csv_opens_in_libreoffice_with_vietnamese(make_project, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    root = make_project()
    publish(root)
    src = root / "www/nhat-ky-cong-khai/publication-log.csv"
    sheet = openpyxl.load_workbook(csv_to_xlsx(src, tmp_path)).active
    titles = [row[6] for row in sheet.iter_rows(values_only=True)]
    assert "Thông báo lịch tiếp công dân tháng 5/2026" in titles


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(www: Path, tmp_path: Path):
    """nginx when installed, else Python's http.server, on 127.0.0.1."""
    port = _free_port()
    if shutil.which("nginx"):
        conf = tmp_path / "nginx.conf"
        user = "user root;" if os.geteuid() == 0 else ""  # workers must read the 0700 tmp_path
        conf.write_text(f"""
{user}
daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;
events {{}}
http {{
  access_log off; client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
  server {{ listen 127.0.0.1:{port}; root {www}; index index.html; }}
}}
""")
        proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path)])
    else:
        proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(www)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}/"


def test_verify_url_against_a_real_server(make_project, tmp_path):
    root = make_project()
    publish(root)
    proc, url = _serve(root / "www", tmp_path)
    try:
        result = run_cli(root, "verify", "--url", url)
        assert result.exit_code == 0, result.output
        assert f"các trang đang phục vụ khớp ({url})" in result.output
        # a page that changed after publishing no longer shows the logged hash
        page = root / "www/tiep-cong-dan/2025/lich-thang-12/index.html"
        events = events_of(root)
        logged = next(e for e in events if e["id"] == "tiep-cong-dan/2025/lich-thang-12")["content_sha256"]
        page.write_text(page.read_text(encoding="utf-8").replace(logged, "0" * 64), encoding="utf-8")
        shutil.rmtree(root / "www/tiep-cong-dan/2026/bien-ban-thang-04")
        result = run_cli(root, "verify", "--url", url)
        assert result.exit_code == 1
        lines = result.output.splitlines()
        assert (
            about(
                root,
                "tiep-cong-dan/2025/lich-thang-12",
                "content_sha256",
                f"{url}tiep-cong-dan/2025/lich-thang-12/: trang không hiển thị mã SHA-256 {logged} đã ghi trong nhật ký",
            )
            in lines
        )
        assert (
            about(
                root,
                "tiep-cong-dan/2026/bien-ban-thang-04",
                "url",
                f"{url}tiep-cong-dan/2026/bien-ban-thang-04/: máy chủ trả về lỗi 404",
            )
            in lines
        )
        (root / "www/tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf").unlink()
        lines = run_cli(root, "verify", "--url", url).output.splitlines()
        assert (
            about(
                root,
                "tiep-cong-dan/2026/lich-thang-05",
                "attachments[1].sha256",
                f"{url}tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf: máy chủ trả về lỗi 404",
            )
            in lines
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _publish_subprocess(root: Path, crash_at: int | None) -> int:
    env = {**os.environ}
    env.pop("CONGKHAI_CRASH_AT", None)
    if crash_at is not None:
        env["CONGKHAI_CRASH_AT"] = str(crash_at)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "-f",
            str(root / "mkdocs.yml"),
            "publish",
            "--allow-sample",
            "--deploy-to",
            str(root / "www"),
        ],
        env=env,
        capture_output=True,
        timeout=120,
    )
    return proc.returncode


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_publish_killed_at_every_point_leaves_old_or_new(make_project, tmp_path):
    from generator.ledger.log import chain_problems, read_log

    root = make_project()
    assert _publish_subprocess(root, None) == 0
    old_log = (root / "publication-log.jsonl").read_bytes()
    old_site = _tree(root / "www")
    path = root / LICH
    path.write_text(path.read_text(encoding="utf-8") + "change_note: Sửa địa điểm\n", encoding="utf-8")
    # a reference run on a copy gives the number of kill points and the new site
    reference = tmp_path / "reference"
    shutil.copytree(root, reference, symlinks=True)
    assert _publish_subprocess(reference, None) == 0
    new_pages = {k for k in _tree(reference / "www")}
    killed = 0
    downloads = []  # what an auditor could have downloaded from the served site after each kill
    for point in range(1, 200):
        code = _publish_subprocess(root, point)
        served = root / "www/nhat-ky-cong-khai/publication-log.jsonl"
        downloads.append(served.read_bytes())
        log = read_log(root / "publication-log.jsonl")
        assert chain_problems(log) == [], point
        current = (root / "publication-log.jsonl").read_bytes()
        site = _tree(root / "www")
        if code == 0:
            break
        killed += 1
        assert code == -9, point
        if current != old_log:  # killed after the log was final: it holds the whole new event
            assert current.startswith(old_log) and len(current.splitlines()) == len(old_log.splitlines()) + 1, point
            assert site != old_site, point  # and the new site was deployed before
        if site != old_site:  # the served site is the whole old one or the whole new one
            assert set(site) == new_pages, point
            served_log = site["nhat-ky-cong-khai/publication-log.jsonl"].decode().splitlines()
            assert len(served_log) == len(old_log.splitlines()) + 1, point
            assert all(site[name].rstrip().endswith(b"</html>") for name in site if name.endswith(".html")), point
        if current != old_log:
            break
        assert (root / "www/index.html").is_file()
    assert killed >= 20, killed
    # whatever the kill point, one more publish completes the work exactly once, and the log
    # extends every copy that was served on the way (no fork)
    assert _publish_subprocess(root, None) == 0
    final = (root / "publication-log.jsonl").read_bytes()
    assert all(final.startswith(download) for download in downloads)
    assert len(read_log(root / "publication-log.jsonl").events) == len(
        read_log(reference / "publication-log.jsonl").events
    )
    result = run_cli(root, "verify", "--site", str(root / "www"))
    assert result.exit_code == 0, result.output


def test_two_publishes_cannot_interleave(make_project):
    from generator.core.errors import CongkhaiError
    from generator.ledger.log import locked

    root = make_project()
    log = root / "publication-log.jsonl"
    with locked(log), pytest.raises(CongkhaiError, match="một lần công bố khác đang chạy"), locked(log, wait=False):
        pass  # pragma: no cover - never entered


FAULT_POINTS = (
    "locked",
    "planned",
    "log-line-written",
    "log-flushed",
    "log-pending-synced",
    "page-written",
    "built",
    "deploy-link-created",
    "deploy-swapped",
    "log-before-rename",
    "log-renamed",
    "committed",
)
"""Every named point where ``publish`` may be killed, in the order a publish reaches them."""


def _many_records(count: int) -> dict[str, str]:
    """Records whose first events make the log larger than a write buffer (8 KiB)."""
    files = {}
    for n in range(count):
        year, month = 2023 + n // 12, n % 12 + 1
        files[f"disclosures/tiep-cong-dan/{year}/lich-thang-{month:02d}.yml"] = f"""\
            title: Thông báo lịch tiếp công dân định kỳ tháng {month}/{year} của Ban Quản lý Khu kinh tế
            kind: lich
            document: {{date: {year}-{month:02d}-01}}
            month: {year}-{month:02d}
            sessions:
              - {{date: {year}-{month:02d}-15, start: "07:30"}}
            """
    return files


def _copy_project(root: Path, to: Path) -> Path:
    """A copy of a published project whose deployed site points into the copy."""
    shutil.copytree(root, to, symlinks=True)
    www = to / "www"
    release = Path(os.readlink(www)).name
    www.unlink()
    os.symlink(to / ".www-releases" / release, www)
    return to


def _checkpoint_mismatches(root: Path) -> list[str]:
    """Checkpoints kept beside the log (final ones) that are not the log's tree at their size,
    computed here from the SPEC's rule (RFC 9162) without the project's code."""

    def mth(leaves: list[bytes]) -> bytes:
        if len(leaves) == 1:
            return leaves[0]
        k = 1 << ((len(leaves) - 1).bit_length() - 1)
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

    lines = (root / "publication-log.jsonl").read_bytes().splitlines()
    leaves = [hashlib.sha256(b"\x00" + line).digest() for line in lines]
    out = []
    for note in sorted((root / "publication-log.checkpoints").iterdir()):
        if not note.name.isdigit():
            continue
        _origin, size, root_b64 = note.read_text(encoding="utf-8").split("\n")[:3]
        if int(size) != int(note.name) or int(size) > len(leaves):
            out.append(f"{note.name}: size {size}, log {len(leaves)}")
        elif base64.b64decode(root_b64) != mth(leaves[: int(size)]):
            out.append(f"{note.name}: root differs from the log's first {size} lines")
    return out


@pytest.mark.parametrize("big", [False, True], ids=["small-log", "log-over-8KiB"])
def test_publish_killed_at_each_point_then_published_again(make_project, tmp_path, big):
    """Killed at any point, then published again: the log verifies, every checkpoint kept is
    the log's tree at its size, and the served site agrees with the log and its checkpoints.
    With a log larger than the write buffer, a kill after the old lines were written and before
    the new one was once left a pending log equal to the deployed one: it was taken for a
    deployed publish and its (stale) checkpoint made final."""
    root = make_project(_many_records(14) if big else None)
    assert _publish_subprocess(root, None) == 0
    old_log = (root / "publication-log.jsonl").read_bytes()
    assert (len(old_log) > 8192) == big
    path = root / LICH
    path.write_text(path.read_text(encoding="utf-8") + "change_note: Sửa địa điểm\n", encoding="utf-8")
    # a log over the write buffer changes only what a kill does while the log is written and
    # made final: the big log is killed at those points (the small one at every point)
    points = [p for p in FAULT_POINTS if p.startswith("log") or p == "deploy-swapped"] if big else FAULT_POINTS
    assert len(points) == (6 if big else len(FAULT_POINTS))
    for point in points:
        copy = _copy_project(root, tmp_path / point)
        assert _publish_subprocess(copy, point) == -9, point
        again = run_cli(copy, "publish", "--allow-sample", "--deploy-to", str(copy / "www"))
        assert again.exit_code == 0, (point, again.output)
        # only a publish killed once its site was served and before its log was final is completed
        completed = "Đã hoàn tất lần công bố trước" in again.output
        assert completed == (point in ("deploy-swapped", "log-before-rename")), (point, again.output)
        log = (copy / "publication-log.jsonl").read_bytes()
        assert log.startswith(old_log) and len(log.splitlines()) == len(old_log.splitlines()) + 1, point
        assert _checkpoint_mismatches(copy) == [], point
        assert not list((copy / "publication-log.checkpoints").glob("*.pending*")), point
        result = run_cli(copy, "verify")
        assert result.exit_code == 0, (point, result.output)
        result = run_cli(copy, "verify", "--site", str(copy / "www"))
        assert result.exit_code == 0, (point, result.output)
        shutil.rmtree(copy)


def test_killed_publish_keeps_only_the_tokens_over_the_checkpoint_it_keeps(make_project, tmp_path, openssl_tsa):
    """With a TSA: a publish killed once its site is served is completed with its checkpoint and
    its token; a pending token that is not over that checkpoint is not kept. A publish killed
    before its log was written (a log over 8 KiB) leaves nothing: the next one stamps its own."""
    from generator.ledger.timestamps import covers
    from tests.test_attested import with_tsas

    root = make_project(_many_records(14))
    with_tsas(root, ("openssl", openssl_tsa))
    assert _publish_subprocess(root, None) == 0
    store = root / "publication-log.checkpoints"
    old_size = len((root / "publication-log.jsonl").read_bytes().splitlines())
    old_token = (store / f"{old_size}.openssl.tsr").read_bytes()
    path = root / LICH
    path.write_text(path.read_text(encoding="utf-8") + "change_note: Sửa địa điểm\n", encoding="utf-8")
    size = old_size + 1
    for point in ("deploy-swapped", "log-line-written"):
        copy = _copy_project(root, tmp_path / point)
        assert _publish_subprocess(copy, point) == -9, point
        kept = copy / "publication-log.checkpoints"
        assert (kept / f"{size}.openssl.tsr.pending").is_file(), point
        (kept / f"{size}.forged.tsr.pending").write_bytes(old_token)  # a token over another checkpoint
        again = run_cli(copy, "publish", "--allow-sample", "--deploy-to", str(copy / "www"))
        assert again.exit_code == 0, (point, again.output)
        assert ("Đã hoàn tất lần công bố trước" in again.output) == (point == "deploy-swapped"), again.output
        assert len((copy / "publication-log.jsonl").read_bytes().splitlines()) == size, point
        assert sorted(p.name for p in kept.iterdir() if p.name.startswith(f"{size}")) == [
            f"{size}",
            f"{size}.openssl.tsr",
        ], point
        assert covers((kept / f"{size}.openssl.tsr").read_bytes(), (kept / str(size)).read_bytes()), point
        assert _checkpoint_mismatches(copy) == [], point
        result = run_cli(copy, "verify", "--site", str(copy / "www"))
        assert result.exit_code == 0, (point, result.output)


@pytest.mark.parametrize("ahead_minutes, refused", [(2, False), (10, True)])
def test_a_clock_set_right_after_a_publish_ahead(make_project, ahead_minutes, refused):
    """The office clock was a little ahead at a publish, then set right: the next publish is
    not refused while the difference is within clock_skew (5 minutes): its events take the
    last event's time, the log stays in order, and it says so; beyond, it is refused."""
    import datetime as dt

    from generator.cli import _build_site, _settings
    from generator.publish.publisher import publish as publish_api

    root = make_project()
    config = str(root / "mkdocs.yml")
    settings = _settings(config)
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=ahead_minutes)).astimezone().isoformat(timespec="seconds")
    publish_api(settings, lambda site, out: _build_site(config, out, site), root / "www", allow_sample=True, at=ahead)
    path = root / LICH
    path.write_text(path.read_text(encoding="utf-8").replace("Trụ sở Ban", "Hội trường"), encoding="utf-8")
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    lines = (root / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()
    if refused:
        assert result.exit_code == 1
        assert "sớm hơn sự kiện cuối của nhật ký" in result.output
        return
    assert result.exit_code == 0, result.output
    assert "trong dung sai clock_skew" in result.output
    last = json.loads(lines[-1])
    assert last["event"] == "updated" and last["at"] == json.loads(lines[-2])["at"]
    assert run_cli(root, "verify", "--site", str(root / "www")).exit_code == 0
