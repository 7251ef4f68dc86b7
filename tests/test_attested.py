"""Attested time from real TSAs on 127.0.0.1 (tests/tsa.py): publish with timestamps, a TSA
down then ``congkhai timestamp``, a backdated publish, a token from another TSA."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import time
from pathlib import Path

import yaml

from generator.cli import _build_site, _settings
from generator.ledger import attest
from generator.ledger.timestamps import openssl_verify_command
from generator.publish.publisher import publish as publish_api
from generator.website import pipeline
from tests.conftest import run_cli

STORE = "publication-log.checkpoints"
LOG = "publication-log.jsonl"


def with_tsas(root: Path, *servers) -> None:
    """Add the ``timestamping`` option for ``(name, server)`` pairs (or ``(name, server,
    more keys)``) to mkdocs.yml."""
    entries = [
        {"name": name, "url": server.url, "ca": str(server.ca_pem), **(more[0] if more else {})}
        for name, server, *more in servers
    ]
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    option = "      timestamping: " + json.dumps(entries) + "\n"
    config.write_text(text.replace("      agency:", option + "      agency:"), encoding="utf-8")
    assert yaml.safe_load(config.read_text(encoding="utf-8"))  # still YAML


def publish_at(root: Path, at: str) -> None:
    """Publish with the office's clock saying ``at`` (the TSAs keep their own clocks)."""
    settings = _settings(str(root / "mkdocs.yml"))
    publish_api(
        settings,
        lambda site, out: _build_site(str(root / "mkdocs.yml"), out, site),
        root / "www",
        allow_sample=True,
        at=at,
        stamp=lambda note: attest.stamp(settings, note),
    )


def size_of(root: Path) -> int:
    return len((root / LOG).read_bytes().splitlines())


def test_publish_gets_a_token_from_each_tsa(make_project, openssl_tsa, certomancer_tsa):
    root = make_project()
    with_tsas(root, ("openssl", openssl_tsa), ("certo", certomancer_tsa))
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    size = size_of(root)
    for name, server in (("openssl", openssl_tsa), ("certo", certomancer_tsa)):
        token = root / STORE / f"{size}.{name}.tsr"
        served = root / f"www/nhat-ky-cong-khai/checkpoints/{size}.{name}.tsr"
        assert served.read_bytes() == token.read_bytes()
        # the auditor's command, on the served files
        command = openssl_verify_command(
            str(served), str(root / f"www/nhat-ky-cong-khai/checkpoints/{size}"), str(server.ca_pem)
        )
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr
    page = (root / "www/tiep-cong-dan/2026/lich-thang-05/index.html").read_text(encoding="utf-8")
    assert f'checkpoints/{size}.openssl.tsr" download>dấu thời gian openssl' in page
    result = run_cli(root, "verify", "--site", str(root / "www"))
    assert result.exit_code == 0, result.output


def test_a_tsa_down_never_blocks_a_publish_and_timestamp_fills_it_later(make_project, make_openssl_tsa):
    tsa = make_openssl_tsa()
    root = make_project()
    with_tsas(root, ("openssl", tsa))
    tsa.stop()
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    assert (
        f"Cảnh báo: Đơn vị cấp dấu thời gian openssl ({tsa.url}): không kết nối được (máy chủ không trả lời hoặc "
        "từ chối kết nối) (sau 3 lần thử); chạy congkhai timestamp để lấy dấu thời gian sau."
    ) in result.output.splitlines()  # a TSA down is asked again twice (retries) before it is given up
    size = size_of(root)
    assert not (root / STORE / f"{size}.openssl.tsr").exists()
    result = run_cli(root, "verify")
    assert result.exit_code == 1
    assert (
        f"{LOG}:1: at: seq 1: chưa có dấu thời gian nào bao gồm sự kiện này; chạy congkhai timestamp"
        in result.output.splitlines()
    )
    status = run_cli(root, "status")
    assert f"Checkpoint chưa có dấu thời gian (1): {size}" in status.output.splitlines()
    assert "(chỉ theo đồng hồ của cơ quan)" in status.output
    result = run_cli(root, "timestamp")
    assert result.exit_code == 1
    tsa.restart()
    result = run_cli(root, "timestamp")
    assert result.exit_code == 0, result.output
    assert f"Đã lấy checkpoint {size}: dấu thời gian của openssl." in result.output
    assert (root / STORE / f"{size}.openssl.tsr").is_file()
    assert run_cli(root, "verify").exit_code == 0
    assert run_cli(root, "timestamp").output.strip() == "Mọi checkpoint đã có đủ dấu thời gian."
    status = run_cli(root, "status")
    assert "Checkpoint chưa có dấu thời gian" not in status.output
    assert "(theo dấu thời gian openssl)" in status.output


def test_a_backdated_publish_is_caught_by_its_attested_time(make_project, certomancer_tsa):
    """The office sets its clock back (events dated 26/01/2026); the TSA's clock says
    when the checkpoint really existed."""
    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    certomancer_tsa.set_time(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    publish_at(root, "2026-01-26T08:30:00+07:00")
    result = run_cli(root, "verify")
    assert result.exit_code == 1
    assert (
        f"{LOG}:1: at: seq 1: 2026-01-26T08:30:00+07:00 sớm hơn thời điểm được chứng thực 20/11/2026 16:00 (certo) "
        "7159 giờ, quá 24 giờ cho phép: ngày công bố chỉ là lời của cơ quan (có thể đã ghi lùi ngày)"
    ) in result.output.splitlines()


def test_an_event_dated_after_its_token_is_caught(make_project, certomancer_tsa):
    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    certomancer_tsa.set_time(dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC))
    publish_at(root, "2026-06-05T08:30:00+07:00")
    result = run_cli(root, "verify")
    assert (
        f"{LOG}:1: at: seq 1: 2026-06-05T08:30:00+07:00 muộn hơn thời điểm được chứng thực 01/01/2026 07:00 (certo, checkpoint {size_of(root)}) "
        "155 ngày 1 giờ, quá 5 phút cho phép (clock_skew)" in result.output.splitlines()
    )


def test_a_token_from_another_tsa_is_refused(make_project, openssl_tsa, certomancer_tsa):
    root = make_project()
    with_tsas(root, ("openssl", openssl_tsa), ("certo", certomancer_tsa))
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    size = size_of(root)
    # certomancer's token stored under openssl's name: it does not chain to openssl's root
    (root / STORE / f"{size}.openssl.tsr").write_bytes((root / STORE / f"{size}.certo.tsr").read_bytes())
    result = run_cli(root, "verify")
    assert result.exit_code == 1
    assert any(
        line.startswith(f"{STORE}/{size}.openssl.tsr:1: token: chứng thư số của đơn vị cấp dấu thời gian")
        and "không được cấp bởi chứng thư gốc đã khai báo" in line
        for line in result.output.splitlines()
    ), result.output
    site = pipeline.load(_settings(str(root / "mkdocs.yml")))
    assert set(site.anchors.tokens[size]) == {"openssl", "certo"}


def test_the_report_judges_by_attested_time_and_says_whose_clock(make_project, certomancer_tsa, tmp_path):
    import csv
    import io

    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    certomancer_tsa.set_time(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
    publish_at(root, "2026-05-06T08:30:00+07:00")
    out = tmp_path / "bao-cao"
    result = run_cli(root, "report", "--year", "2026", "--format", "csv,html", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = (out / "bao-cao-b1-2026.csv").read_bytes().decode("utf-8-sig")
    rows = {r["Tên thông tin"]: r for r in csv.DictReader(io.StringIO(text))}
    lich = rows["Thông báo lịch tiếp công dân tháng 5/2026"]
    event = next(json.loads(line) for line in (root / LOG).read_text().splitlines() if "lich-thang-05" in line)
    assert lich["Sự kiện nhật ký"] == str(event["seq"]) and lich["Mã băm sự kiện"] == event["hash"]
    assert lich["Nguồn thời điểm công bố"] == "Dấu thời gian certo (20/11/2026 09:00)"
    assert lich["Công bố lần đầu"] == "20/11/2026"  # not the office's 06/05/2026
    assert lich["Đúng hạn"].startswith("Trễ ")
    pdf = hashlib.sha256((root / "disclosures/tiep-cong-dan/2026/thong-bao.pdf").read_bytes()).hexdigest()
    assert lich["Tệp minh chứng (SHA-256)"] == (
        f"thong-bao.pdf https://congkhai.example.gov.vn/tiep-cong-dan/2026/lich-thang-05/thong-bao.pdf {pdf}"
    )
    page = (out / "bao-cao-b1-2026.html").read_text(encoding="utf-8")
    assert "Kết quả congkhai verify" in page and "sha256sum -c bao-cao-b1-2026.sha256" in page


def _skewed(root: Path, certomancer_tsa, office_ahead: dt.timedelta):
    """Publish with the office's clock ``office_ahead`` of the TSA's (the TSA's clock is set
    that far behind the real one, which is the office's)."""
    certomancer_tsa.set_time(dt.datetime.now(dt.UTC) - office_ahead)
    return run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))


def test_an_office_clock_two_minutes_ahead_is_tolerated(make_project, certomancer_tsa):
    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    result = _skewed(root, certomancer_tsa, dt.timedelta(minutes=2))
    assert result.exit_code == 0, result.output
    assert "đồng hồ" not in result.output
    for args in (("verify",), ("verify", "--site", str(root / "www"))):
        result = run_cli(root, *args)
        assert result.exit_code == 0, result.output
        assert "vấn đề" not in result.output


def test_an_office_clock_an_hour_ahead_is_warned_at_publish_and_reported(make_project, certomancer_tsa):
    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    result = _skewed(root, certomancer_tsa, dt.timedelta(hours=1))
    assert result.exit_code == 0, result.output  # the site is up; the office is told at once
    warnings = [line for line in result.output.splitlines() if line.startswith("Cảnh báo: đồng hồ")]
    assert len(warnings) == 1, result.output
    assert warnings[0].startswith(
        "Cảnh báo: đồng hồ máy này nhanh hơn đồng hồ của đơn vị cấp dấu thời gian certo 1 giờ"
    )
    assert "quá 5 phút cho phép (clock_skew)" in warnings[0]
    assert "congkhai verify sẽ báo" in warnings[0]
    result = run_cli(root, "verify")
    assert result.exit_code == 1
    late = [line for line in result.output.splitlines() if "muộn hơn thời điểm được chứng thực" in line]
    assert len(late) == size_of(root), result.output
    assert late[0].startswith(f"{LOG}:1: at: seq 1: ")
    assert re.search(r"\(certo, checkpoint \d+\) 1 giờ( \d+ phút)?, quá 5 phút cho phép \(clock_skew\)$", late[0]), (
        late[0]
    )


def test_an_office_clock_an_hour_behind_is_warned_at_publish(make_project, certomancer_tsa):
    """Events dated an hour before their token still verify (within max_timestamp_delay),
    but the office is told its clock is off."""
    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    result = _skewed(root, certomancer_tsa, -dt.timedelta(hours=1))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("Cảnh báo: đồng hồ")]
    assert len(warnings) == 1 and "chậm hơn đồng hồ của đơn vị cấp dấu thời gian certo 59 phút" in warnings[0], (
        result.output
    )
    assert run_cli(root, "verify").exit_code == 0


def test_clock_skew_is_an_option(make_project, certomancer_tsa):
    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    config = root / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("      agency:", "      clock_skew: 1\n      agency:"), "utf-8")
    result = _skewed(root, certomancer_tsa, dt.timedelta(minutes=2))
    assert "Cảnh báo: đồng hồ máy này nhanh hơn" in result.output and "quá 1 phút cho phép" in result.output
    result = run_cli(root, "verify")
    assert result.exit_code == 1 and "quá 1 phút cho phép (clock_skew)" in result.output, result.output


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_slow_tsa_never_blocks_the_deploy_and_one_with_credentials_answers(
    make_project, make_openssl_tsa, monkeypatch
):
    """A TSA answering in 20 s (a real one may take 130) and one that requires HTTP basic
    credentials: the site is deployed with the quick token at once, the slow token is
    waited for after the deploy and the same site is deployed again with it, exactly what
    a full build of the log and its store gives; no credential appears anywhere."""
    slow, guarded = make_openssl_tsa(), make_openssl_tsa()
    slow.mode, slow.delay = "slow", 20
    user, password = "ubnd-an-giang", "Mật-khẩu-9f3c"
    guarded.auth = (user, password)
    monkeypatch.setenv("CONGKHAI_TSA_CO_MAT_KHAU_USER", user)
    monkeypatch.setenv("CONGKHAI_TSA_CO_MAT_KHAU_PASSWORD", password)
    root = make_project()
    with_tsas(root, ("cham", slow, {"wait": 2, "timeout": 40}), ("co-mat-khau", guarded))
    start = time.monotonic()
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 0, result.output
    assert 20 <= time.monotonic() - start < 40
    assert (slow.requests, guarded.requests) == (1, 1)  # a slow answer is waited for, not asked again
    size = size_of(root)
    lines = result.output.splitlines()
    assert any(line.startswith("Trang đã triển khai; đang chờ dấu thời gian của cham (tối đa ") for line in lines), (
        result.output
    )
    assert "Dấu thời gian của cham đến sau khi triển khai: đã lưu cạnh nhật ký và triển khai lại trang có nó." in lines
    assert "Cảnh báo" not in result.output
    # first deployed without the slow token, then again with it
    first, second = sorted((root / ".www-releases").iterdir())
    served = "nhat-ky-cong-khai/checkpoints"
    assert (first / f"{served}/{size}.co-mat-khau.tsr").is_file()
    assert not (first / f"{served}/{size}.cham.tsr").exists()
    assert (root / "www").resolve() == second.resolve()
    for name in ("cham", "co-mat-khau"):
        assert (second / f"{served}/{size}.{name}.tsr").read_bytes() == (
            root / STORE / f"{size}.{name}.tsr"
        ).read_bytes()
    page = (root / "www/tiep-cong-dan/2026/lich-thang-05/index.html").read_text(encoding="utf-8")
    assert f'checkpoints/{size}.cham.tsr" download>dấu thời gian cham' in page
    # byte for byte what a full build of the same state gives
    assert run_cli(root, "build", "--site-dir", str(root / "full")).exit_code == 0
    assert files_of(root / "www") == files_of(root / "full")
    published = result.output
    result = run_cli(root, "verify", "--site", str(root / "www"))
    assert result.exit_code == 0, result.output
    # the credentials are in no message and no file
    for secret in (user, password):
        assert secret not in published
        assert not [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_credentials_in_mkdocs_yml_are_refused(make_project, openssl_tsa):
    root = make_project()
    with_tsas(root, ("vnpt-ca", openssl_tsa, {"user": "ubnd", "password": "bi-mat-123"}))
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 1
    assert (
        "plugins.congkhai.timestamping[1].password: không ghi tên đăng nhập hay mật khẩu trong mkdocs.yml (tệp này "
        "nằm trong kho, ai cũng đọc được); đặt chúng vào biến môi trường CONGKHAI_TSA_VNPT_CA_USER và "
        "CONGKHAI_TSA_VNPT_CA_PASSWORD"
    ) in result.output
    assert "bi-mat-123" not in result.output and "Traceback" not in result.output
    assert not (root / LOG).exists() and not (root / "www").exists()
