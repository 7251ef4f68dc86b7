"""``congkhai witness``: three offices published with the real CLI and served by real nginx
on 127.0.0.1, hostile servers beside them; one office rewrites its log, one truncates it,
one keeps publishing honestly."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner

from generator.cli import main
from generator.core import paths
from generator.ledger import checkpoints
from generator.ledger import log as logmod
from generator.witness.config import load_config
from generator.witness.store import store_lock
from tests.browser import axe_violations, open_page, serve
from tests.conftest import BASE_FILES, MKDOCS_YML, REPO, run_cli, write_files
from tests.servers import nginx_sites
from tests.test_attested import with_tsas

LOG = "publication-log.jsonl"
NEW_MINUTES = """\
    ---
    title: Biên bản tiếp công dân tháng 5/2026
    kind: bien-ban
    document: {date: 2026-05-15}
    session_date: 2026-05-15
    host: Trưởng ban
    visitors: 0
    no_visitors: true
    ---
    Buổi tiếp diễn ra đúng lịch. **Không có công dân đến.**
    """


# --- hostile servers ---------------------------------------------------------------------


class _Hostile(http.server.BaseHTTPRequestHandler):
    mode = "html"
    site: Path | None = None

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        try:
            if mode == "slow":
                time.sleep(30)
            elif mode == "loop":
                self.send_response(302)
                self.send_header("Location", self.path + "x")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif mode == "html":
                body = "<!DOCTYPE html><html><body>Trang chủ cổng thông tin</body></html>".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif mode == "huge":  # 100 MB, no length announced
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                block = b"x" * (1024 * 1024)
                for _ in range(100):
                    self.wfile.write(block)
            elif mode == "truncated":  # announces more than it sends
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", "5000")
                self.end_headers()
                self.wfile.write(b"ab\n12\n")
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            elif mode == "bad-token":  # a real site whose tokens are not tokens
                site = self.server.site  # type: ignore[attr-defined]
                target = site / self.path.lstrip("/")
                body = b"not a token" if target.name.endswith(".tsr") else target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, FileNotFoundError, IsADirectoryError, OSError):
            pass


@contextlib.contextmanager
def hostile(mode: str, site: Path | None = None) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    server.block_on_close = False
    server.mode = mode  # type: ignore[attr-defined]
    server.site = site  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# --- offices -----------------------------------------------------------------------------


def make_office(base: Path, name: str, tsa) -> Path:
    root = base / name
    root.mkdir(parents=True)
    (root / "mkdocs.yml").write_text(
        MKDOCS_YML.replace("congkhai.example.gov.vn", f"{name}.example.gov.vn"), encoding="utf-8"
    )
    write_files(root, BASE_FILES)
    with_tsas(root, ("openssl", tsa))
    return root


def publish(root: Path) -> None:
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output


def events(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / LOG).read_text(encoding="utf-8").splitlines()]


def rewrite_backdated(root: Path) -> None:
    """The office rewrites its log: every date moved to January, the chain sealed again, the
    old checkpoints dropped, then a publish makes and serves a new checkpoint over it."""
    rewritten, prev = [], logmod.GENESIS
    for event in events(root):
        event = {k: v for k, v in event.items() if k != "hash"}
        event.update(at="2026-01-02T08:00:00+07:00", prev=prev)
        event["hash"] = logmod.event_hash(event)
        prev = event["hash"]
        rewritten.append(event)
    (root / LOG).write_bytes(b"".join(logmod.serialise(e) for e in rewritten))
    shutil.rmtree(root / "publication-log.checkpoints")
    write_files(root, {"disclosures/tiep-cong-dan/2026/bien-ban-thang-05.md": NEW_MINUTES})
    publish(root)


def truncate(root: Path) -> None:
    """The office drops its last events (and their records) and publishes again."""
    lines = (root / LOG).read_bytes().splitlines(keepends=True)
    for event in events(root)[2:]:
        for suffix in (".yml", ".md"):
            (root / "disclosures" / (event["id"] + suffix)).unlink(missing_ok=True)
    (root / LOG).write_bytes(b"".join(lines[:2]))
    shutil.rmtree(root / "publication-log.checkpoints")
    publish(root)
    assert len(events(root)) == 2


def witness(*args: str):
    return CliRunner().invoke(main, ["witness", *args], catch_exceptions=False)


def write_config(path: Path, agencies: list[tuple[str, str]], tsa, timeout: float = 2) -> None:
    lines = [f"timeout: {timeout}", "tsa:", f"  - {{name: openssl, ca: {tsa.ca_pem}}}", "agencies:"]
    for name, url in agencies:
        lines += [f"  - name: {name}", f"    url: {url}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def slug(url: str) -> str:
    return url.removeprefix("http://").rstrip("/").replace(".", "-").replace(":", "-")


def test_three_offices_one_rewrites_one_truncates_one_stays_honest(tmp_path, openssl_tsa, chromium):
    offices = [make_office(tmp_path, name, openssl_tsa) for name in ("office-a", "office-b", "office-c")]
    for root in offices:
        publish(root)
    store = tmp_path / "store"
    config = tmp_path / "witness.yml"
    with nginx_sites([root / "www" for root in offices], tmp_path / "nginx") as urls:
        names = ["Sở Tư pháp", "Ban Quản lý Khu kinh tế", "UBND xã Mỹ Hòa Hưng"]
        write_config(config, list(zip(names, urls, strict=True)), openssl_tsa)
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 0, result.output
        assert result.output.count("ĐẠT") == 3, result.output
        for root, url in zip(offices, urls, strict=True):
            folder = store / slug(url)
            assert (folder / "log.jsonl").read_bytes() == (root / LOG).read_bytes()
            size = len(events(root))
            assert (folder / "checkpoints" / str(size)).read_bytes() == (
                root / "publication-log.checkpoints" / str(size)
            ).read_bytes()
            assert (folder / "checkpoints" / f"{size}.openssl.tsr").is_file()
            seen = [json.loads(line) for line in (folder / "seen.jsonl").read_text().splitlines()]
            assert [s["size"] for s in seen] == [size] and seen[0]["seen_at"]
            state = json.loads((folder / "state.json").read_text())
            assert state["state"] == "ok" and state["last_ok"] and state["head"]["seq"] == size
        held = {url: (store / slug(url) / "log.jsonl").read_bytes() for url in urls}

        rewrite_backdated(offices[0])
        truncate(offices[1])
        before = len(events(offices[2]))
        write_files(offices[2], {"disclosures/tiep-cong-dan/2026/bien-ban-thang-05.md": NEW_MINUTES})
        publish(offices[2])
        (tmp_path / "nginx/access.log").write_text("")

        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        lines = result.output.splitlines()
        assert lines[0].startswith("XUNG ĐỘT  Sở Tư pháp") and "viết lại" in lines[0], lines[0]
        assert lines[1].startswith("XUNG ĐỘT  Ban Quản lý Khu kinh tế") and "ít hơn checkpoint" in lines[1], lines[1]
        assert lines[2].startswith("ĐẠT  UBND xã Mỹ Hòa Hưng") and "thêm 1" in lines[2], lines[2]
        for index in (0, 1):  # the held copy is kept; both checkpoints are the proof
            folder = store / slug(urls[index])
            assert (folder / "log.jsonl").read_bytes() == held[urls[index]]
            (conflict,) = sorted((folder / "conflicts").iterdir())
            files = sorted(p.name for p in conflict.iterdir())
            old_size = len(held[urls[index]].splitlines())
            new_size = len(events(offices[index]))
            assert f"checkpoint-da-thay-{old_size}" in files and f"checkpoint-dang-phuc-vu-{new_size}" in files
            assert f"checkpoint-da-thay-{old_size}.openssl.tsr" in files
            assert (conflict / f"checkpoint-dang-phuc-vu-{new_size}").read_bytes() == (
                offices[index] / "www/nhat-ky-cong-khai/checkpoint"
            ).read_bytes()
            assert (conflict / f"checkpoint-da-thay-{old_size}").read_bytes() == (
                folder / "checkpoints" / str(old_size)
            ).read_bytes()
            explanation = (conflict / "GIAI-THICH.txt").read_text(encoding="utf-8")
            assert "không thể cùng đúng" in explanation and names[index] in explanation
            state = json.loads((folder / "state.json").read_text())
            assert state["state"] == "conflict" and state["conflicts"] == [conflict.name]
        # the honest office: only the new bytes were transferred (206)
        folder = store / slug(urls[2])
        assert (folder / "log.jsonl").read_bytes() == (offices[2] / LOG).read_bytes()
        assert len(events(offices[2])) == before + 1
        port = urls[2].rstrip("/").rsplit(":", 1)[1]
        access = [line.split() for line in (tmp_path / "nginx/access.log").read_text().splitlines()]
        log_requests = [a for a in access if a[0] == port and a[3].endswith(LOG)]
        assert len(log_requests) == 1 and log_requests[0][1] == "206", access
        new_line = (offices[2] / LOG).read_bytes().splitlines(keepends=True)[-1]
        overlap = held[urls[2]].splitlines(keepends=True)[-1]  # the held last line, checked again in place
        assert int(log_requests[0][2]) == len(overlap) + len(new_line)
        seen = [json.loads(line) for line in (folder / "seen.jsonl").read_text().splitlines()]
        assert [s["size"] for s in seen] == [before, before + 1]

        # again: still reported, the same evidence, nothing accepted
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        assert result.output.count("XUNG ĐỘT") == 2 and "không có gì mới" in result.output
        for index in (0, 1):
            assert len(list((store / slug(urls[index]) / "conflicts").iterdir())) == 1

        # the overview
        out = tmp_path / "tong-quan"
        result = witness("report", "--store", str(store), "--out", str(out))
        assert result.exit_code == 0, result.output
        check_report(out, names)
        check_accessible(out, chromium)


def check_report(out: Path, names: list[str]) -> None:
    page = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
    rows = page.select("table.ck-witness tbody tr")
    assert [r.select_one("th").get_text(strip=True) for r in rows] == sorted(names)
    states = {r.select_one("th").get_text(strip=True): r.select_one("[data-state]")["data-state"] for r in rows}
    assert states == {names[0]: "conflict", names[1]: "conflict", names[2]: "ok"}
    assert page.find("html")["lang"] == "vi"
    for row in rows:
        link = row.select_one("th a")["href"]
        detail = BeautifulSoup((out / link).read_text(encoding="utf-8"), "html.parser")
        assert detail.select_one("h1").get_text(strip=True) == row.select_one("th").get_text(strip=True)
        assert detail.select("a[href$='publication-log.jsonl']")
        if row.select_one("th").get_text(strip=True) == names[2]:
            # deadlines by attested time: the tokens (today) say the 12/2025 schedule is late
            months = {m.select_one("th").get_text(strip=True): m for m in detail.select("table.ck-months tbody tr")}
            states = [s["data-state"] for s in months["12/2025"].select("[data-state]")]
            assert states == ["late", "missing"] and "dấu thời gian openssl" in months["12/2025"].get_text()
            assert [s["data-state"] for s in months["01/2026"].select("[data-state]")] == ["missing", "missing"]
            # the May minutes (session 15/05/2026) were due 5 working days after the session
            may = months["05/2026"].select("td")[1]
            assert may.select_one("[data-state]")["data-state"] == "late"
            assert "Biên bản tiếp công dân tháng 5/2026" in may.get_text() and "hạn 22/05/2026" in may.get_text()
    import csv

    with open(out / "tong-quan.csv", encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert sorted(r["co_quan"] for r in table) == sorted(names)
    assert (out / "tong-quan.xlsx").stat().st_size > 0


def test_hostile_servers_are_reported_each_for_itself(tmp_path, openssl_tsa):
    good = make_office(tmp_path, "office-good", openssl_tsa)
    publish(good)
    modes = ["slow", "loop", "html", "huge", "truncated"]
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(hostile(mode)) for mode in modes]
        urls.append(stack.enter_context(hostile("bad-token", good / "www")))
        urls.append("http://127.0.0.1:9/")  # nothing listens: down
        good_url = stack.enter_context(nginx_sites([good / "www"], tmp_path / "nginx"))[0]
        config = tmp_path / "witness.yml"
        names = [f"Cơ quan {mode}" for mode in [*modes, "bad-token", "down"]]
        write_config(config, [*zip(names, urls, strict=True), ("Cơ quan tốt", good_url)], openssl_tsa, timeout=1)
        started = time.monotonic()
        result = witness("sync", "--config", str(config), "--store", str(tmp_path / "store"))
        elapsed = time.monotonic() - started
    assert result.exit_code == 1
    lines = result.output.splitlines()
    by_name = {name: next(line for line in lines if f"  {name} (" in line) for name in [*names, "Cơ quan tốt"]}
    assert by_name["Cơ quan tốt"].startswith("ĐẠT"), by_name
    expected = {
        "slow": "không trả lời trong 1 giây",
        "loop": "chuyển hướng quá 3 lần",
        "html": "trang HTML thay vì tệp checkpoint",
        "huge": "tệp lớn hơn 64 KB",
        "truncated": "câu trả lời bị cắt",
        "bad-token": "dấu thời gian openssl của checkpoint",
        "down": "không truy cập được",
    }
    for mode, words in expected.items():
        line = by_name[f"Cơ quan {mode}"]
        assert line.startswith("LỖI") and words in line, line
    assert elapsed < 15, elapsed
    assert "Traceback" not in result.output


def test_bad_witness_yml_is_reported_with_lines(tmp_path):
    config = tmp_path / "witness.yml"
    config.write_text(
        "agencies:\n  - name: Sở Tư pháp\n    url: ftp://x\n  - {name: '', url: 'https://a.vn/'}\n"
        "tsa:\n  - {name: 'có dấu', ca: khong-co.pem}\ncolor: red\ntimeout: abc\n",
        encoding="utf-8",
    )
    result = witness("sync", "--config", str(config), "--store", str(tmp_path / "store"))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{config}:3: agencies[1].url: phải là địa chỉ gốc của trang, http:// hoặc https://" in lines
    assert any(line.startswith(f"{config}:4: agencies[2].name:") for line in lines), lines
    assert any(line.startswith(f"{config}:6: tsa[1].name:") for line in lines), lines
    assert any(line.startswith(f"{config}:7: color:") for line in lines), lines
    assert any(line.startswith(f"{config}:8: timeout:") for line in lines), lines
    assert "Traceback" not in result.output
    result = witness("sync", "--config", str(tmp_path / "missing.yml"))
    assert result.exit_code == 1 and "không tìm thấy tệp cấu hình giám sát" in result.output


def test_config_accepts_a_verifier_key(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from generator.ledger import checkpoints

    key = Ed25519PrivateKey.generate()
    vkey = checkpoints.verifier_key("a.example.gov.vn/nhat-ky-cong-khai", key.public_key())
    config = tmp_path / "witness.yml"
    config.write_text(f"agencies:\n  - {{name: A, url: 'https://a.example.gov.vn', key: '{vkey}'}}\n")
    loaded = load_config(config)
    assert loaded.agencies[0].key_name == "a.example.gov.vn/nhat-ky-cong-khai"
    assert loaded.agencies[0].slug == "a-example-gov-vn"


def check_accessible(out: Path, chromium) -> None:
    """The overview and every office page: no axe-core violation of serious or critical impact."""
    pages = ["index.html", *sorted(p.relative_to(out).as_posix() for p in out.glob("*/index.html"))]
    assert len(pages) > 1
    with serve(out) as url:
        page, visit = open_page(chromium)
        problems = {}
        for name in pages:
            assert page.goto(url + name).status == 200, name
            bad = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
            if bad:
                problems[name] = bad
        page.context.close()
    assert not problems, problems
    assert visit.hosts == {"127.0.0.1"}, visit.hosts


def minutes(month: int) -> str:
    return NEW_MINUTES.replace("tháng 5/2026", f"tháng {month}/2026").replace("2026-05-15", f"2026-{month:02d}-15")


def office_page(out: Path) -> BeautifulSoup:
    (page,) = out.glob("*/index.html")
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


SIGNED_DECEMBER = {
    "disclosures/tiep-cong-dan/2025/lich-thang-12.yml": """\
        title: Thông báo lịch tiếp công dân tháng 12/2025
        kind: lich
        document: {date: 2025-12-01}
        month: 2025-12
        sessions:
          - {date: 2025-12-15, start: "07:30"}
        attachments:
          - {file: lich-12-ky.pdf, title: Thông báo (bản chụp có chữ ký), kind: van-ban-goc}
        change_note: Thêm bản chụp có chữ ký.
        """,
    "disclosures/tiep-cong-dan/2025/lich-12-ky.pdf": "%PDF-1.4 signed scan\n",
}


def test_missing_evidence_by_kind_and_deadlines_from_category_data(tmp_path, openssl_tsa):
    office = make_office(tmp_path, "office-e", openssl_tsa)
    publish(office)
    store, config, out = tmp_path / "store", tmp_path / "witness.yml", tmp_path / "tong-quan"
    with nginx_sites([office / "www"], tmp_path / "nginx") as urls:
        write_config(config, [("Sở Tài chính", urls[0])], openssl_tsa)
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 0, result.output
        folder = store / slug(urls[0])
        kept = [json.loads(line) for line in (folder / "minh-chung.jsonl").read_text(encoding="utf-8").splitlines()]
        assert sorted(k["id"] for k in kept) == sorted(e["id"] for e in events(office))
        may = next(k for k in kept if k["id"] == "tiep-cong-dan/2026/lich-thang-05")
        assert may["kind"] == "lich" and [a["kind"] for a in may["attachments"]] == ["quyet-dinh"]
        assert may["fields"]["sessions.date"] == ["2026-05-15"]

        assert witness("report", "--store", str(store), "--out", str(out)).exit_code == 0
        page = office_page(out)
        lacking = {
            r.select_one("th").get_text(strip=True): r.select("td")[1].get_text(strip=True)
            for r in page.select("table.ck-lacking tbody tr")
        }
        assert lacking == {
            "Thông báo lịch tiếp công dân tháng 12/2025": "Thông báo lịch tiếp công dân (bản chụp có chữ ký)",
            "Biên bản tiếp công dân tháng 4/2026": "Biên bản tiếp công dân (bản chụp có chữ ký)",
        }
        kinds = {
            r.select_one("th").get_text(strip=True): r.get_text(" ", strip=True)
            for r in page.select("table.ck-kinds tbody tr")
        }
        assert kinds["Tiếp công dân / Thông báo lịch tiếp công dân"].startswith(
            "Tiếp công dân / Thông báo lịch tiếp công dân 2 1 "
        )
        months = {m.select_one("th").get_text(strip=True): m for m in page.select("table.ck-months tbody tr")}
        december = months["12/2025"].select("td")
        # the schedule: 5 working days before its session (15/12/2025); the minutes: 5 after it
        assert "hạn 08/12/2025" in december[0].get_text()
        assert "Biên bản buổi tiếp công dân ngày 15/12/2025: chưa có; hạn 22/12/2025" in december[1].get_text()
        assert "hạn 22/04/2026" in months["04/2026"].select("td")[1].get_text()
        index = BeautifulSoup((out / "index.html").read_text(encoding="utf-8"), "html.parser")
        assert index.select_one("[data-lacking]")["data-lacking"] == "2"

        # the office adds the December schedule's signed scan (a new version), and at the same
        # time serves facts that change what it said of versions already seen
        write_files(office, SIGNED_DECEMBER)
        publish(office)
        served = office / "www" / paths.EVIDENCE_FACTS
        text = served.read_text(encoding="utf-8")
        text = text.replace('"session_date":["2026-04-15"]', '"session_date":["2026-04-20"]')
        entry = next(line for line in text.splitlines() if '"id":"duong-day-nong/2026/duong-day-nong"' in line)
        logged = events(office)[0]["content_sha256"]
        text = text.replace(entry, entry.replace(logged, "0" * 64))
        served.unlink()
        served.write_text(text, encoding="utf-8")
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        line = result.output.splitlines()[0]
        assert line.startswith("LỖI  Sở Tài chính") and "thêm 1" in line, line
        assert "minh-chung.json không khớp nhật ký" in line
        assert "tiep-cong-dan/2026/bien-ban-thang-04 phiên bản 1: thông tin khác lần trước đã thấy" in line
        assert (
            "duong-day-nong/2026/duong-day-nong (sự kiện 1): phiên bản, mã băm hoặc tệp đính kèm khác nhật ký" in line
        )
        kept = [json.loads(line) for line in (folder / "minh-chung.jsonl").read_text(encoding="utf-8").splitlines()]
        april = [k for k in kept if k["id"] == "tiep-cong-dan/2026/bien-ban-thang-04"]
        assert len(april) == 1 and april[0]["fields"]["session_date"] == ["2026-04-15"]
        december = [k for k in kept if k["id"] == "tiep-cong-dan/2025/lich-thang-12"]
        assert [k["version"] for k in december] == [1, 2]

    assert witness("report", "--store", str(store), "--out", str(out)).exit_code == 0
    lacking = [r.select_one("th").get_text(strip=True) for r in office_page(out).select("table.ck-lacking tbody tr")]
    assert lacking == ["Biên bản tiếp công dân tháng 4/2026"]


def test_every_checkpoint_between_two_syncs_is_kept_and_checked(tmp_path, openssl_tsa):
    office = make_office(tmp_path, "office-f", openssl_tsa)
    publish(office)
    store, config = tmp_path / "store", tmp_path / "witness.yml"
    with nginx_sites([office / "www"], tmp_path / "nginx") as urls:
        write_config(config, [("UBND xã Mỹ Hòa Hưng", urls[0])], openssl_tsa)
        assert witness("sync", "--config", str(config), "--store", str(store)).exit_code == 0
        for month in (6, 7, 8):  # three publishes between two syncs
            write_files(office, {f"disclosures/tiep-cong-dan/2026/bien-ban-thang-{month:02d}.md": minutes(month)})
            publish(office)
        (tmp_path / "nginx/access.log").write_text("")
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 0, result.output
        assert "thêm 3" in result.output and "thêm 2 checkpoint trung gian" in result.output, result.output
        folder = store / slug(urls[0])
        seen = [json.loads(line)["size"] for line in (folder / "seen.jsonl").read_text().splitlines()]
        assert seen == [4, 5, 6, 7]
        for size in (5, 6, 7):
            assert (folder / "checkpoints" / str(size)).read_bytes() == (
                office / "publication-log.checkpoints" / str(size)
            ).read_bytes()
            assert (folder / "checkpoints" / f"{size}.openssl.tsr").is_file()
        access = [line.split() for line in (tmp_path / "nginx/access.log").read_text().splitlines()]
        assert [a[1] for a in access if a[3].endswith(LOG)] == ["206"], access
        state = json.loads((folder / "state.json").read_text())
        assert state["tree"]["size"] == 7 and state["head"]["seq"] == 7
        assert (folder / "log.jsonl").read_bytes() == (office / LOG).read_bytes()

        # two more publishes; the checkpoint the office serves for the first is not of this log
        for month in (9, 10):
            write_files(office, {f"disclosures/tiep-cong-dan/2026/bien-ban-thang-{month:02d}.md": minutes(month)})
            publish(office)
        served = office / "www" / paths.checkpoint_file(8)
        origin = checkpoints.parse(served.read_bytes()).origin
        served.unlink()
        served.write_bytes(checkpoints.make(origin, 8, bytes(32)))
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        assert (
            result.output.startswith("XUNG ĐỘT  UBND xã Mỹ Hòa Hưng")
            and "checkpoint 8 cơ quan đang phục vụ" in result.output
        )
        (conflict,) = (folder / "conflicts").iterdir()
        assert (conflict / "checkpoint-dang-phuc-vu-8").read_bytes() == served.read_bytes()
        assert (conflict / "checkpoint-dang-phuc-vu-9").read_bytes() == (
            office / "www/nhat-ky-cong-khai/checkpoint"
        ).read_bytes()
        assert len((folder / "log.jsonl").read_bytes().splitlines()) == 7  # nothing accepted

        # a store changed by hand is never trusted: the held log loses its last line
        held = (folder / "log.jsonl").read_bytes().splitlines(keepends=True)
        (folder / "log.jsonl").write_bytes(b"".join(held[:-1]))
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        assert "kho lưu: log.jsonl có 6 dòng, ít hơn checkpoint 7 đã lưu" in result.output, result.output


def test_a_second_sync_is_refused_while_one_runs(tmp_path):
    store, config = tmp_path / "store", tmp_path / "witness.yml"
    config.write_text("timeout: 1\nagencies:\n  - {name: Sở Xây dựng, url: 'http://127.0.0.1:9/'}\n", encoding="utf-8")
    lock = store / ".dong-bo.lock"
    with store_lock(store):
        result = witness("sync", "--config", str(config), "--store", str(store))
    assert result.exit_code == 1
    assert (
        f"một lần đồng bộ khác đang chạy trên kho {store} (tệp khóa {lock}; tiến trình {os.getpid()}, bắt đầu lúc "
        in result.output
    ), result.output
    assert "hãy chờ nó xong rồi chạy lại" in result.output and "Traceback" not in result.output
    assert not (store / "127-0-0-1-9").exists()  # nothing was written

    # a sync killed while it holds the lock leaves the file, but not the lock
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from generator.witness.store import store_lock\n"
            "with store_lock(Path(sys.argv[1])):\n    print('ok', flush=True); time.sleep(60)",
            str(store),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1 and f"tiến trình {holder.pid}," in result.output, result.output
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    assert lock.is_file()
    result = witness("sync", "--config", str(config), "--store", str(store))
    assert result.exit_code == 1 and result.output.startswith("LỖI  Sở Xây dựng"), result.output
    assert "không truy cập được" in result.output


def serve_instead(www: Path, rel: str, data: bytes) -> None:
    """The office's server serves ``data`` at ``rel`` (the deployed file may be a hard link
    to the project's own: replaced, never written through)."""
    target = www / rel
    target.unlink()
    target.write_bytes(data)


def test_the_served_log_is_checked_at_every_sync_and_a_stale_checkpoint_is_no_conflict(tmp_path, openssl_tsa):
    office = make_office(tmp_path, "office-g", openssl_tsa)
    publish(office)
    for month in (6, 7):
        write_files(office, {f"disclosures/tiep-cong-dan/2026/bien-ban-thang-{month:02d}.md": minutes(month)})
        publish(office)
    www = office / "www"
    log, served_checkpoint = www / paths.LOG_JSONL, www / paths.CHECKPOINT
    whole, latest = log.read_bytes(), served_checkpoint.read_bytes()
    size = len(whole.splitlines())
    store, config = tmp_path / "store", tmp_path / "witness.yml"
    with nginx_sites([www], tmp_path / "nginx") as urls:
        write_config(config, [("Sở Nội vụ", urls[0])], openssl_tsa)
        assert witness("sync", "--config", str(config), "--store", str(store)).exit_code == 0
        folder = store / slug(urls[0])

        # a stale checkpoint beside the full log, consistent with it: a warning, no accusation
        serve_instead(www, paths.CHECKPOINT, (www / paths.checkpoint_file(size - 1)).read_bytes())
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ĐẠT  Sở Nội vụ"), result.output
        assert f"cảnh báo: checkpoint đang phục vụ ({size - 1}) chậm hơn nhật ký ({size} sự kiện)" in result.output
        assert "không bị cắt bớt" in result.output and "XUNG ĐỘT" not in result.output
        assert not (folder / "conflicts").exists()
        serve_instead(www, paths.CHECKPOINT, latest)

        # the old checkpoint kept, the log cut under it: the served log is read again and reported
        cut = b"".join(whole.splitlines(keepends=True)[: size - 1])
        serve_instead(www, paths.LOG_JSONL, cut)
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        line = result.output.splitlines()[0]
        assert line.startswith("XUNG ĐỘT  Sở Nội vụ"), line
        assert f"chỉ còn {size - 1} dòng, ít hơn checkpoint {size} đã thấy: nhật ký đã bị cắt bớt" in line
        assert f"không khớp checkpoint {size} mà chính cơ quan đang phục vụ" in line
        (conflict,) = (folder / "conflicts").iterdir()
        assert (conflict / "nhat-ky-dang-phuc-vu.jsonl").read_bytes() == cut
        assert (conflict / f"checkpoint-da-thay-{size}").read_bytes() == latest
        assert "vẫn phục vụ đúng checkpoint đã thấy" in (conflict / "GIAI-THICH.txt").read_text(encoding="utf-8")
        assert (folder / "log.jsonl").read_bytes() == whole

        # the log served whole again: nothing to report
        serve_instead(www, paths.LOG_JSONL, whole)
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 0 and "không có gì mới" in result.output, result.output

        # regenerated (every date moved back, the chain sealed again), the same length, the old checkpoint kept
        rewritten, prev = [], logmod.GENESIS
        for event in (json.loads(line) for line in whole.splitlines()):
            event = {k: v for k, v in event.items() if k != "hash"}
            event.update(at=event["at"].replace("2026-", "2025-", 1), prev=prev)
            event["hash"] = logmod.event_hash(event)
            prev = event["hash"]
            rewritten.append(logmod.serialise(event))
        serve_instead(www, paths.LOG_JSONL, b"".join(rewritten))
        assert len(b"".join(rewritten)) == len(whole)
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        line = result.output.splitlines()[0]
        assert line.startswith("XUNG ĐỘT  Sở Nội vụ") and "nhật ký đã bị viết lại" in line, line
        assert len(list((folder / "conflicts").iterdir())) == 2
        assert (folder / "log.jsonl").read_bytes() == whole


def test_a_rewrite_signed_with_another_key_is_a_conflict_with_its_evidence(tmp_path, openssl_tsa):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def pem_of(key: Ed25519PrivateKey, name: str) -> Path:
        path = tmp_path / name
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return path

    office = make_office(tmp_path, "office-h", openssl_tsa)
    mkdocs = office / "mkdocs.yml"
    first, second = pem_of(Ed25519PrivateKey.generate(), "a.pem"), pem_of(Ed25519PrivateKey.generate(), "b.pem")
    text = mkdocs.read_text(encoding="utf-8")
    mkdocs.write_text(text.replace("      agency:", f"      signing_key: {first}\n      agency:"), encoding="utf-8")
    publish(office)
    origin = checkpoints.parse((office / "www" / paths.CHECKPOINT).read_bytes()).origin
    public = serialization.load_pem_private_key(first.read_bytes(), password=None).public_key()
    vkey = checkpoints.verifier_key(origin, public)
    store, config = tmp_path / "store", tmp_path / "witness.yml"
    with nginx_sites([office / "www"], tmp_path / "nginx") as urls:
        write_config(config, [("Sở Công Thương", urls[0])], openssl_tsa)
        config.write_text(config.read_text(encoding="utf-8") + f"    key: '{vkey}'\n", encoding="utf-8")
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 0, result.output
        folder = store / slug(urls[0])
        held = (folder / "log.jsonl").read_bytes()

        mkdocs.write_text(
            text.replace("      agency:", f"      signing_key: {second}\n      agency:"), encoding="utf-8"
        )
        rewrite_backdated(office)
        result = witness("sync", "--config", str(config), "--store", str(store))
        assert result.exit_code == 1
        line = result.output.splitlines()[0]
        assert line.startswith("XUNG ĐỘT  Sở Công Thương") and "viết lại" in line, line
        assert "không có chữ ký hợp lệ của cơ quan" in line
        (conflict,) = (folder / "conflicts").iterdir()
        size, new_size = len(held.splitlines()), len(events(office))
        assert (conflict / f"checkpoint-dang-phuc-vu-{new_size}").read_bytes() == (
            office / "www" / paths.CHECKPOINT
        ).read_bytes()
        assert (conflict / f"checkpoint-da-thay-{size}").read_bytes() == (
            folder / "checkpoints" / str(size)
        ).read_bytes()
        assert (conflict / "nhat-ky-dang-phuc-vu.jsonl").read_bytes() == (office / LOG).read_bytes()
        assert (folder / "log.jsonl").read_bytes() == held


def test_the_witness_takes_roots_keys_and_accuracy_from_the_trust_policy(tmp_path, openssl_tsa):
    """SPEC §4c: with ``trust:`` in witness.yml (or ``--trust``) the TSAs, the offices' keys and
    the accepted accuracy come from the inspectorate's policy; the offices of the policy are
    followed when witness.yml lists none; a second source of trust beside it is refused."""
    import yaml
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    office = make_office(tmp_path, "office-t", openssl_tsa)
    key_file = tmp_path / "office.pem"
    key = Ed25519PrivateKey.generate()
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    mkdocs = office / "mkdocs.yml"
    text = mkdocs.read_text(encoding="utf-8")
    mkdocs.write_text(text.replace("      agency:", f"      signing_key: {key_file}\n      agency:"), encoding="utf-8")
    publish(office)
    origin = checkpoints.parse((office / "www" / paths.CHECKPOINT).read_bytes()).origin
    vkey = checkpoints.verifier_key(origin, key.public_key())
    stranger = checkpoints.verifier_key(origin, Ed25519PrivateKey.generate().public_key())

    def policy(path: Path, office_key: str, accuracy: float | None = None) -> Path:
        tsa = {"name": "openssl", "root": str(openssl_tsa.ca_pem)}
        if accuracy is not None:
            tsa["accuracy"] = accuracy
        data = {"tsas": [tsa], "offices": [{"name": "Sở Xây dựng", "url": url, "key": office_key}]}
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    with nginx_sites([office / "www"], tmp_path / "nginx") as urls:
        url = urls[0]
        config = tmp_path / "witness.yml"
        config.write_text("timeout: 2\ntrust: trust.yml\n", encoding="utf-8")  # no agencies: the policy's
        policy(tmp_path / "trust.yml", vkey)
        result = witness("sync", "--config", str(config), "--store", str(tmp_path / "s1"))
        assert result.exit_code == 0, result.output
        assert result.output.startswith("ĐẠT  Sở Xây dựng"), result.output
        folder = tmp_path / "s1" / slug(url)
        assert list((folder / "checkpoints").glob("*.openssl.tsr")), "the policy's TSA root accepted the tokens"

        # The policy's key wins: with another key there, the office's checkpoints are not its.
        other = policy(tmp_path / "other.yml", stranger)
        result = witness("sync", "--config", str(config), "--store", str(tmp_path / "s2"), "--trust", str(other))
        assert result.exit_code == 1
        assert "không có chữ ký hợp lệ của cơ quan" in result.output, result.output

        # The accepted accuracy is the policy's: the test TSA states 1 s, the policy accepts 0.5 s.
        strict = policy(tmp_path / "strict.yml", vkey, accuracy=0.5)
        result = witness("sync", "--config", str(config), "--store", str(tmp_path / "s3"), "--trust", str(strict))
        assert result.exit_code == 1
        assert "độ chính xác" in result.output and "chính sách tin cậy chấp nhận" in result.output, result.output
        assert not list((tmp_path / "s3" / slug(url) / "checkpoints").glob("*.tsr"))

        # Two sources of trust are refused, at the line of the second one.
        config.write_text(
            f"trust: trust.yml\ntsa:\n  - {{name: openssl, ca: {openssl_tsa.ca_pem}}}\n"
            f"agencies:\n  - name: Sở Xây dựng\n    url: {url}\n    key: '{stranger}'\n",
            encoding="utf-8",
        )
        result = witness("sync", "--config", str(config), "--store", str(tmp_path / "s4"))
        assert result.exit_code != 0
        assert f"{config}:2: tsa:" in result.output, result.output
        assert f"{config}:7: agencies[1].key: khác khóa của cơ quan này" in result.output, result.output
