"""Attested time from real TSAs on 127.0.0.1 (tests/tsa.py): publish with timestamps, a TSA
down then ``congkhai timestamp``, a backdated publish, a token from another TSA."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import yaml

from generator import pipeline
from generator.cli import _build_site, _settings
from generator.publish import publish as publish_api
from generator.timestamps import openssl_verify_command
from tests.conftest import run_cli

STORE = "publication-log.checkpoints"
LOG = "publication-log.jsonl"


def with_tsas(root: Path, *servers) -> None:
    """Add the ``timestamping`` option for ``(name, server)`` pairs to mkdocs.yml."""
    entries = [{"name": name, "url": server.url, "ca": str(server.ca_pem)} for name, server in servers]
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    option = "      timestamping: " + json.dumps(entries) + "\n"
    config.write_text(text.replace("      agency:", option + "      agency:"), encoding="utf-8")
    assert yaml.safe_load(config.read_text(encoding="utf-8"))  # still YAML


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
        "từ chối kết nối); chạy congkhai timestamp để lấy dấu thời gian sau."
    ) in result.output.splitlines()
    size = size_of(root)
    assert not (root / STORE / f"{size}.openssl.tsr").exists()
    result = run_cli(root, "verify")
    assert result.exit_code == 1
    assert (
        f"{LOG}:1: at: seq 1: chưa có dấu thời gian nào bao gồm sự kiện này; chạy congkhai timestamp"
        in result.output.splitlines()
    )
    result = run_cli(root, "timestamp")
    assert result.exit_code == 1
    tsa.restart()
    result = run_cli(root, "timestamp")
    assert result.exit_code == 0, result.output
    assert f"Đã lấy checkpoint {size}: dấu thời gian của openssl." in result.output
    assert (root / STORE / f"{size}.openssl.tsr").is_file()
    assert run_cli(root, "verify").exit_code == 0
    assert run_cli(root, "timestamp").output.strip() == "Mọi checkpoint đã có đủ dấu thời gian."


def test_a_backdated_publish_is_caught_by_its_attested_time(make_project, certomancer_tsa):
    """The office sets its clock back (events dated 26/01/2026); the TSA's clock says
    when the checkpoint really existed."""
    root = make_project()
    with_tsas(root, ("certo", certomancer_tsa))
    certomancer_tsa.set_time(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    settings = _settings(str(root / "mkdocs.yml"))
    from generator import attest

    publish_api(
        settings,
        lambda site, out: _build_site(str(root / "mkdocs.yml"), out, site),
        root / "www",
        allow_sample=True,
        at="2026-01-26T08:30:00+07:00",
        stamp=lambda note: attest.stamp(settings, note),
    )
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
    settings = _settings(str(root / "mkdocs.yml"))
    from generator import attest

    publish_api(
        settings,
        lambda site, out: _build_site(str(root / "mkdocs.yml"), out, site),
        root / "www",
        allow_sample=True,
        at="2026-06-05T08:30:00+07:00",
        stamp=lambda note: attest.stamp(settings, note),
    )
    result = run_cli(root, "verify")
    assert (
        f"{LOG}:1: at: seq 1: 2026-06-05T08:30:00+07:00 muộn hơn thời điểm được chứng thực 01/01/2026 07:00 (certo, checkpoint {size_of(root)})"
        in result.output.splitlines()
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
