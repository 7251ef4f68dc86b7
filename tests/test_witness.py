"""``congkhai witness``: three offices published with the real CLI and served by real nginx
on 127.0.0.1, hostile servers beside them; one office rewrites its log, one truncates it,
one keeps publishing honestly."""

from __future__ import annotations

import contextlib
import http.server
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

from generator import log as logmod
from generator.cli import main
from generator.witness import load_config
from tests.conftest import BASE_FILES, MKDOCS_YML, run_cli, write_files
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


def test_three_offices_one_rewrites_one_truncates_one_stays_honest(tmp_path, openssl_tsa):
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
        assert int(log_requests[0][2]) == len(new_line)
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


def check_report(out: Path, names: list[str]) -> None:
    from bs4 import BeautifulSoup

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

    from generator import checkpoints

    key = Ed25519PrivateKey.generate()
    vkey = checkpoints.verifier_key("a.example.gov.vn/nhat-ky-cong-khai", key.public_key())
    config = tmp_path / "witness.yml"
    config.write_text(f"agencies:\n  - {{name: A, url: 'https://a.example.gov.vn', key: '{vkey}'}}\n")
    loaded = load_config(config)
    assert loaded.agencies[0].key_name == "a.example.gov.vn/nhat-ky-cong-khai"
    assert loaded.agencies[0].slug == "a-example-gov-vn"
