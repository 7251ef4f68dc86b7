"""RFC 3161 timestamps (generator/ledger/timestamps.py) against real TSAs on 127.0.0.1:
OpenSSL's ``openssl ts -reply`` and certomancer (tests/tsa.py). Every token that
verifies is also checked with the exact ``openssl ts -verify`` command auditors run."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from pathlib import Path

import pytest
from asn1crypto import tsp
from rfc3161_client import decode_timestamp_response

from generator.core.errors import CongkhaiError
from generator.ledger.timestamps import (
    MAX_RESPONSE_BYTES,
    TSA,
    TimestampError,
    env_names,
    openssl_verify_command,
    parse_tsas,
    request_token,
    request_with_retries,
    token_accuracy,
    token_time,
    verify_token,
)
from tests.tsa import post_query

DATA = b"congkhai.example.gov.vn/nhat-ky-cong-khai\n42\nq2rKm1B7u0YxR2k7o0d1Yb1Yk8bZ3tq3d2f4yY4m2dE=\n"
OPENSSL_ROOT = "CN=Congkhai Test Root,O=Congkhai test PKI,C=VN"


def openssl_verify(tmp_path: Path, token: bytes, data: bytes, ca: Path, at: dt.datetime | None = None):
    token_file, data_file = tmp_path / "token.tsr", tmp_path / "data"
    token_file.write_bytes(token)
    data_file.write_bytes(data)
    command = openssl_verify_command(str(token_file), str(data_file), str(ca), at=at)
    return subprocess.run(command, capture_output=True, text=True, timeout=10)


def assert_openssl_ok(result) -> None:
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Verification: OK"


def assert_openssl_fails(result, reason: str) -> None:
    assert result.returncode == 1
    assert "Verification: FAILED" in result.stdout
    assert reason in result.stderr


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- tokens that verify ---------------------------------------------------------------


def test_openssl_tsa_token_verifies_with_verify_token_and_openssl(openssl_tsa, tmp_path):
    before = now().replace(microsecond=0)
    token = request_token(openssl_tsa.tsa("openssl"), DATA)
    gen_time = verify_token(token, DATA, openssl_tsa.ca_pem.read_bytes())
    assert gen_time.tzinfo is dt.UTC
    assert before - dt.timedelta(seconds=1) <= gen_time <= now() + dt.timedelta(seconds=1)
    assert token_time(token) == gen_time
    assert decode_timestamp_response(_sorted(token)).status == 0  # a whole TimeStampResp
    assert_openssl_ok(openssl_verify(tmp_path, token, DATA, openssl_tsa.ca_pem))
    assert_openssl_ok(openssl_verify(tmp_path, token, DATA, openssl_tsa.ca_pem, at=gen_time))


def test_certomancer_token_verifies_with_verify_token_and_openssl(certomancer_tsa, tmp_path):
    before = now().replace(microsecond=0)
    token = request_token(certomancer_tsa.tsa("certomancer"), DATA)
    gen_time = verify_token(token, DATA, certomancer_tsa.ca_pem.read_bytes())
    assert gen_time.tzinfo is dt.UTC
    assert before - dt.timedelta(seconds=1) <= gen_time <= now() + dt.timedelta(seconds=1)
    assert_openssl_ok(openssl_verify(tmp_path, token, DATA, certomancer_tsa.ca_pem))


def test_token_accuracy(openssl_tsa, certomancer_tsa):
    """OpenSSL's TSA states ``accuracy = secs:1`` (tests/tsa.py); certomancer states none."""
    assert token_accuracy(request_token(openssl_tsa.tsa("openssl"), DATA)) == dt.timedelta(seconds=1)
    assert token_accuracy(request_token(certomancer_tsa.tsa("certomancer"), DATA)) == dt.timedelta(0)


def test_certomancer_clock_in_the_past_gives_that_gen_time(certomancer_tsa, tmp_path):
    backdated = dt.datetime(2026, 1, 26, 1, 30, tzinfo=dt.UTC)
    certomancer_tsa.set_time(backdated)
    token = request_token(certomancer_tsa.tsa("certomancer"), DATA)
    assert verify_token(token, DATA, certomancer_tsa.ca_pem.read_bytes()) == backdated
    assert_openssl_ok(openssl_verify(tmp_path, token, DATA, certomancer_tsa.ca_pem))
    certomancer_tsa.set_time(None)
    fresh = verify_token(
        request_token(certomancer_tsa.tsa("certomancer"), DATA), DATA, certomancer_tsa.ca_pem.read_bytes()
    )
    assert fresh > now() - dt.timedelta(minutes=1)


def test_certificates_out_of_der_order_are_read(openssl_tsa):
    """OpenSSL writes SignedData's SET OF certificates unsorted; rfc3161-client's parser
    is strict DER. Both orders of the same token must verify (the signature does not
    cover the order)."""
    token = request_token(openssl_tsa.tsa("openssl"), DATA)
    ordered, reversed_ = _sorted(token), _sorted(token, reverse=True)
    assert ordered != reversed_
    with pytest.raises(ValueError, match="InvalidSetOrdering"):
        decode_timestamp_response(reversed_)
    ca = openssl_tsa.ca_pem.read_bytes()
    assert verify_token(reversed_, DATA, ca) == verify_token(ordered, DATA, ca) == verify_token(token, DATA, ca)


def _sorted(token: bytes, reverse: bool = False) -> bytes:
    """The token with its two certificates in DER order, or in the reverse order (the
    two encodings swapped in place: same length, nothing else changes)."""
    signed = tsp.TimeStampResp.load(token)["time_stamp_token"]["content"]
    certs = [c.dump() for c in signed["certificates"]]
    assert len(certs) == 2  # the TSA certificate and the root (openssl.cnf: certs)
    ordered = sorted(certs, key=lambda d: d.ljust(1 << 16, b"\0"), reverse=reverse)
    together = certs[0] + certs[1]
    assert token.count(together) == 1
    return token.replace(together, ordered[0] + ordered[1])


# --- tokens that do not verify --------------------------------------------------------


def test_data_not_matching(openssl_tsa, tmp_path):
    token = request_token(openssl_tsa.tsa("openssl"), DATA)
    import hashlib

    with pytest.raises(TimestampError) as caught:
        verify_token(token, DATA + b"x", openssl_tsa.ca_pem.read_bytes())
    assert str(caught.value) == (
        "Dấu thời gian không hợp lệ: không khớp với dữ liệu: dấu thời gian cấp cho SHA-256 "
        f"{hashlib.sha256(DATA).hexdigest()}, dữ liệu có SHA-256 {hashlib.sha256(DATA + b'x').hexdigest()}"
    )
    assert_openssl_fails(openssl_verify(tmp_path, token, DATA + b"x", openssl_tsa.ca_pem), "message imprint mismatch")


def test_tsa_certificate_without_timestamping_usage(certomancer_tsa, tmp_path):
    no_eku = certomancer_tsa.with_label("tsa-no-eku")
    reason = (
        "chứng thư số của đơn vị cấp dấu thời gian (CN=Certomancer TSA without timeStamping,"
        "O=Certomancer test PKI,C=VN) không có mục đích sử dụng timeStamping (extendedKeyUsage)"
    )
    with pytest.raises(TimestampError) as caught:
        request_token(no_eku.tsa("no-eku"), DATA)
    assert str(caught.value) == f"Đơn vị cấp dấu thời gian no-eku ({no_eku.url}): {reason}"
    status, token = post_query(no_eku.url, DATA)
    assert status == 200
    with pytest.raises(TimestampError) as caught:
        verify_token(token, DATA, no_eku.ca_pem.read_bytes())
    assert str(caught.value) == f"Dấu thời gian không hợp lệ: {reason}"
    assert_openssl_fails(openssl_verify(tmp_path, token, DATA, no_eku.ca_pem), "unsuitable certificate purpose")


def test_openssl_refuses_to_sign_without_timestamping_usage(make_openssl_tsa):
    """OpenSSL's TSA will not sign with such a certificate (so the token without the usage
    comes from certomancer, above)."""
    server = make_openssl_tsa("no_eku")
    status, body = post_query(server.url, DATA)
    assert status == 500
    assert b"invalid signer certificate purpose" in body
    with pytest.raises(TimestampError, match=r"^Đơn vị cấp dấu thời gian x \(.*\): máy chủ trả lời lỗi HTTP 500$"):
        request_token(server.tsa("x"), DATA)


def test_expired_tsa_certificate(make_openssl_tsa, tsa_material, tmp_path):
    server = make_openssl_tsa("expired")
    status, token = post_query(server.url, DATA)
    assert status == 200
    gen_time = token_time(token)
    reason = (
        "chứng thư số của đơn vị cấp dấu thời gian (CN=TSA expired,O=Congkhai test PKI,C=VN) đã hết hạn lúc "
        f"2024-01-01 00:00:00 UTC, trước thời điểm cấp {gen_time:%Y-%m-%d %H:%M:%S} UTC"
    )
    with pytest.raises(TimestampError) as caught:
        verify_token(token, DATA, server.ca_pem.read_bytes())
    assert str(caught.value) == f"Dấu thời gian không hợp lệ: {reason}"
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("het-han"), DATA)
    assert caught.value.reason.startswith(reason[: reason.index("trước thời điểm cấp")])
    assert str(caught.value).startswith(f"Đơn vị cấp dấu thời gian het-han ({server.url}): ")
    assert_openssl_fails(openssl_verify(tmp_path, token, DATA, server.ca_pem), "certificate has expired")
    assert_openssl_fails(openssl_verify(tmp_path, token, DATA, server.ca_pem, at=gen_time), "certificate has expired")


def test_token_from_another_tsa(openssl_tsa, certomancer_tsa, tsa_material, tmp_path):
    token = request_token(certomancer_tsa.tsa("certomancer"), DATA)
    with pytest.raises(TimestampError) as caught:
        verify_token(token, DATA, openssl_tsa.ca_pem.read_bytes())
    assert str(caught.value) == (
        "Dấu thời gian không hợp lệ: chứng thư số của đơn vị cấp dấu thời gian (CN=Certomancer TSA,"
        f"O=Certomancer test PKI,C=VN) không được cấp bởi chứng thư gốc đã khai báo ({OPENSSL_ROOT})"
    )
    assert_openssl_fails(openssl_verify(tmp_path, token, DATA, openssl_tsa.ca_pem), "unable to get local issuer")
    # and the other way, through request_token: the OpenSSL TSA checked against another root
    wrong = TSA("openssl", openssl_tsa.url, tsa_material.other_ca.ca_pem)
    with pytest.raises(TimestampError) as caught:
        request_token(wrong, DATA)
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian openssl ({openssl_tsa.url}): chứng thư số của đơn vị cấp dấu thời gian "
        "(CN=TSA good,O=Congkhai test PKI,C=VN) không được cấp bởi chứng thư gốc đã khai báo "
        "(CN=Another Root,O=Congkhai test PKI,C=VN)"
    )


def test_edited_gen_time_breaks_the_signature(openssl_tsa, tmp_path):
    """A token whose genTime is moved a year back (same length) no longer verifies."""
    token = request_token(openssl_tsa.tsa("openssl"), DATA)
    info = tsp.TimeStampResp.load(token)["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    encoded = info["gen_time"].dump()
    year = info["gen_time"].native.year
    edited = token.replace(encoded, encoded.replace(str(year).encode(), str(year - 1).encode(), 1))
    assert edited != token and len(edited) == len(token)
    assert token_time(edited).year == year - 1
    with pytest.raises(TimestampError) as caught:
        verify_token(edited, DATA, openssl_tsa.ca_pem.read_bytes())
    assert str(caught.value) == (
        "Dấu thời gian không hợp lệ: chữ ký hoặc chuỗi chứng thư không hợp lệ "
        "(OpenSSL: digest failure; signature failure)"
    )
    assert_openssl_fails(openssl_verify(tmp_path, edited, DATA, openssl_tsa.ca_pem), "signature failure")


def test_not_a_token_and_not_a_certificate(openssl_tsa):
    with pytest.raises(TimestampError) as caught:
        verify_token(b"<html>", DATA, openssl_tsa.ca_pem.read_bytes())
    assert str(caught.value) == (
        "Dấu thời gian không hợp lệ: không đọc được: không phải là câu trả lời RFC 3161 (TimeStampResp) dạng DER"
    )
    token = request_token(openssl_tsa.tsa("openssl"), DATA)
    with pytest.raises(TimestampError) as caught:
        verify_token(token, DATA, b"not a PEM")
    assert str(caught.value) == "Dấu thời gian không hợp lệ: tệp chứng thư gốc không đọc được (cần chứng thư dạng PEM)"


# --- TSAs that misbehave --------------------------------------------------------------


def test_tsa_down_fails_quickly(make_openssl_tsa):
    server = make_openssl_tsa()
    tsa = server.tsa("openssl")
    server.stop()
    start = time.monotonic()
    with pytest.raises(TimestampError) as caught:
        request_token(tsa, DATA, timeout=5)
    assert time.monotonic() - start < 1.5  # refused at once, not after the 5 s timeout
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian openssl ({tsa.url}): không kết nối được (máy chủ không trả lời hoặc từ chối kết nối)"
    )
    server.restart()  # back on the same URL: the token can be had later
    assert server.url == tsa.url
    verify_token(request_token(tsa, DATA), DATA, server.ca_pem.read_bytes())


def test_slow_tsa_times_out(make_openssl_tsa):
    server = make_openssl_tsa()
    server.mode, server.delay = "slow", 5
    start = time.monotonic()
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("cham"), DATA, timeout=0.5)
    assert time.monotonic() - start < 2  # 0.5 s, not the 5 s the TSA takes
    assert str(caught.value) == f"Đơn vị cấp dấu thời gian cham ({server.url}): không trả lời trong 0.5 giây"


def test_tsa_dripping_its_headers_times_out(make_openssl_tsa):
    server = make_openssl_tsa()
    server.mode = "drip"
    start = time.monotonic()
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("nho-giot"), DATA, timeout=0.5)
    assert time.monotonic() - start < 2  # the whole exchange is bounded, not each read
    assert str(caught.value) == f"Đơn vị cấp dấu thời gian nho-giot ({server.url}): không trả lời trong 0.5 giây"


def test_html_answer(make_openssl_tsa):
    server = make_openssl_tsa()
    server.mode = "html"
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("openssl"), DATA)
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian openssl ({server.url}): câu trả lời không phải là dấu thời gian RFC 3161 "
        "(Content-Type: text/html; charset=utf-8)"
    )


def test_http_error(make_openssl_tsa):
    server = make_openssl_tsa()
    server.mode = "error"
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("openssl"), DATA)
    assert str(caught.value) == f"Đơn vị cấp dấu thời gian openssl ({server.url}): máy chủ trả lời lỗi HTTP 503"


@pytest.mark.parametrize("mode", ["huge", "huge-stream"])
def test_oversize_answer(make_openssl_tsa, mode):
    server = make_openssl_tsa()
    server.mode = mode
    assert server.huge_size > MAX_RESPONSE_BYTES
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("openssl"), DATA)
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian openssl ({server.url}): câu trả lời lớn hơn 64 KiB, không phải là dấu thời gian"
    )


def test_rejected_request(make_openssl_tsa):
    server = make_openssl_tsa()
    server.mode = "reject"
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("openssl"), DATA)
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian openssl ({server.url}): yêu cầu bị từ chối "
        "(trạng thái 2: Message digest algorithm is not supported.)"
    )


def test_replayed_answer_is_refused_by_nonce(make_openssl_tsa):
    server = make_openssl_tsa()
    first = request_token(server.tsa("openssl"), DATA)
    verify_token(first, DATA, server.ca_pem.read_bytes())
    server.mode = "replay"
    with pytest.raises(TimestampError) as caught:
        request_token(server.tsa("openssl"), DATA)
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian openssl ({server.url}): nonce trong dấu thời gian không khớp với yêu cầu "
        "(câu trả lời cũ hoặc giả)"
    )


def test_missing_ca_file(openssl_tsa, tmp_path):
    tsa = TSA("openssl", openssl_tsa.url, tmp_path / "missing.pem")
    with pytest.raises(TimestampError) as caught:
        request_token(tsa, DATA)
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian openssl ({openssl_tsa.url}): không đọc được tệp chứng thư gốc "
        f"{tmp_path / 'missing.pem'} (No such file or directory)"
    )


# --- the auditor's command and the option ---------------------------------------------


def test_openssl_verify_command():
    assert openssl_verify_command("checkpoints/7.vnpt.tsr", "checkpoints/7", "vnpt-root.pem") == [
        "openssl", "ts", "-verify", "-in", "checkpoints/7.vnpt.tsr", "-data", "checkpoints/7", "-CAfile", "vnpt-root.pem",
    ]  # fmt: skip
    at = dt.datetime(2026, 6, 5, 1, 30, tzinfo=dt.UTC)
    assert openssl_verify_command("t", "d", "c", at=at)[-2:] == ["-attime", "1780623000"]


def test_parse_tsas(tmp_path, tsa_material):
    (tmp_path / "tsa").mkdir()
    (tmp_path / "tsa" / "vnpt.pem").write_bytes(tsa_material.ca.ca_pem.read_bytes())
    (tmp_path / "tsa" / "junk.pem").write_text("junk", encoding="utf-8")
    assert parse_tsas(None, tmp_path) == []
    assert parse_tsas([{"name": "vnpt", "url": "https://tsa.example.vn/", "ca": "tsa/vnpt.pem"}], tmp_path) == [
        TSA("vnpt", "https://tsa.example.vn/", (tmp_path / "tsa" / "vnpt.pem").resolve())
    ]
    raw = [
        {"name": "vnpt", "url": "https://tsa.example.vn/", "ca": "tsa/vnpt.pem"},
        {"name": "vnpt", "url": "ftp://x", "ca": "tsa/missing.pem"},
        {"name": "Viettel CA", "url": "http://tsa.example.vn", "ca": "tsa/junk.pem", "timeout": 3, "proxy": "x"},
        "vnpt",
        {"name": "ca-2", "url": "https://tsa.example.vn/", "ca": "tsa/vnpt.pem", "timeout": 0, "retries": 1.5},
        {"name": "ca-3", "url": "https://tsa.example.vn/", "ca": "tsa/vnpt.pem", "user": "u", "Password": "p"},
        {"name": "ca-4", "url": "https://u:p@tsa.example.vn/", "ca": "tsa/vnpt.pem", "wait": -1},
    ]
    with pytest.raises(CongkhaiError) as caught:
        parse_tsas(raw, tmp_path)
    assert str(caught.value).splitlines() == [
        "plugins.congkhai.timestamping[2].ca: tsa/missing.pem: không có tệp này",
        "plugins.congkhai.timestamping[2].name: tên 'vnpt' đã dùng cho một đơn vị cấp dấu thời gian khác",
        "plugins.congkhai.timestamping[2].url: phải là một địa chỉ http:// hoặc https://",
        "plugins.congkhai.timestamping[3].ca: tsa/junk.pem: không phải là chứng thư số dạng PEM",
        "plugins.congkhai.timestamping[3].name: phải là một tên gồm chữ cái không dấu, chữ số và dấu gạch ngang (ví dụ: vnpt)",
        "plugins.congkhai.timestamping[3].proxy: khóa không được hỗ trợ; chỉ dùng name, url, ca, timeout, retries, wait",
        "plugins.congkhai.timestamping[4]: phải có dạng {name: …, url: …, ca: …}",
        "plugins.congkhai.timestamping[5].retries: phải là một số nguyên từ 0 đến 10 (mặc định 2)",
        "plugins.congkhai.timestamping[5].timeout: phải là một số giây từ 1 đến 600 (mặc định 150)",
        "plugins.congkhai.timestamping[6].Password: không ghi tên đăng nhập hay mật khẩu trong mkdocs.yml (tệp này "
        "nằm trong kho, ai cũng đọc được); đặt chúng vào biến môi trường CONGKHAI_TSA_CA_3_USER và "
        "CONGKHAI_TSA_CA_3_PASSWORD",
        "plugins.congkhai.timestamping[6].user: không ghi tên đăng nhập hay mật khẩu trong mkdocs.yml (tệp này "
        "nằm trong kho, ai cũng đọc được); đặt chúng vào biến môi trường CONGKHAI_TSA_CA_3_USER và "
        "CONGKHAI_TSA_CA_3_PASSWORD",
        "plugins.congkhai.timestamping[7].url: không ghi tên đăng nhập hay mật khẩu trong địa chỉ; đặt chúng vào "
        "biến môi trường",
        "plugins.congkhai.timestamping[7].wait: phải là một số giây từ 0 đến 600 (mặc định 5)",
    ]
    tuned = {"name": "vnpt", "url": "https://tsa.example.vn/", "ca": "tsa/vnpt.pem", "timeout": 40, "retries": 0}
    assert parse_tsas([{**tuned, "wait": 2.5}], tmp_path)[0] == TSA(
        "vnpt", "https://tsa.example.vn/", (tmp_path / "tsa" / "vnpt.pem").resolve(), timeout=40, retries=0, wait=2.5
    )
    default = parse_tsas([{"name": "vnpt", "url": "https://tsa.example.vn/", "ca": "tsa/vnpt.pem"}], tmp_path)[0]
    assert (default.timeout, default.retries, default.wait) == (150, 2, 5)  # a 130 s answer is waited for
    with pytest.raises(CongkhaiError, match="phải là một danh sách"):
        parse_tsas({"name": "vnpt"}, tmp_path)


# --- real TSAs: credentials, retries ----------------------------------------------------

SECRET_USER, SECRET_PASSWORD = "ubnd-an-giang", "Mật-khẩu-9f3c"


def test_tsa_requiring_basic_credentials(make_openssl_tsa, monkeypatch):
    server = make_openssl_tsa()
    server.auth = (SECRET_USER, SECRET_PASSWORD)
    tsa = TSA("vnpt-ca", server.url, server.ca_pem, timeout=5)
    assert env_names("vnpt-ca") == ("CONGKHAI_TSA_VNPT_CA_USER", "CONGKHAI_TSA_VNPT_CA_PASSWORD")
    with pytest.raises(TimestampError) as caught:  # no credentials: 401, said once (a 4xx is not asked again)
        request_with_retries(tsa, DATA)
    assert server.requests == 1
    assert str(caught.value) == (
        f"Đơn vị cấp dấu thời gian vnpt-ca ({server.url}): máy chủ yêu cầu đăng nhập (HTTP 401): đặt tên đăng nhập "
        "và mật khẩu vào biến môi trường CONGKHAI_TSA_VNPT_CA_USER và CONGKHAI_TSA_VNPT_CA_PASSWORD"
    )
    monkeypatch.setenv("CONGKHAI_TSA_VNPT_CA_USER", SECRET_USER)
    with pytest.raises(TimestampError) as caught:  # one of the two only
        request_with_retries(tsa, DATA)
    assert (
        caught.value.reason == "có biến môi trường CONGKHAI_TSA_VNPT_CA_USER nhưng thiếu CONGKHAI_TSA_VNPT_CA_PASSWORD"
    )
    monkeypatch.setenv("CONGKHAI_TSA_VNPT_CA_PASSWORD", "sai")
    with pytest.raises(TimestampError) as caught:
        request_with_retries(tsa, DATA)
    assert caught.value.reason == (
        "máy chủ từ chối tên đăng nhập và mật khẩu trong CONGKHAI_TSA_VNPT_CA_USER và CONGKHAI_TSA_VNPT_CA_PASSWORD "
        "(HTTP 401)"
    )
    monkeypatch.setenv("CONGKHAI_TSA_VNPT_CA_PASSWORD", SECRET_PASSWORD)
    token = request_with_retries(tsa, DATA)
    verify_token(token, DATA, server.ca_pem.read_bytes())


def test_tsa_failing_twice_then_answering_is_retried(make_openssl_tsa):
    server = make_openssl_tsa()
    server.fail_first = 2  # HTTP 503 twice, then a token
    retried: list[tuple[str, float]] = []
    tsa = TSA("openssl", server.url, server.ca_pem, timeout=5, retries=2)
    token = request_with_retries(tsa, DATA, on_retry=lambda exc, pause: retried.append((exc.reason, pause)))
    verify_token(token, DATA, server.ca_pem.read_bytes())
    assert server.requests == 3
    assert [reason for reason, _ in retried] == ["máy chủ trả lời lỗi HTTP 503"] * 2
    first, second = (pause for _, pause in retried)
    assert 0.5 <= first <= 1 and 1 <= second <= 2  # exponential backoff, with jitter


def test_retries_run_out(make_openssl_tsa):
    server = make_openssl_tsa()
    server.fail_first = 5
    with pytest.raises(TimestampError) as caught:
        request_with_retries(TSA("openssl", server.url, server.ca_pem, timeout=5, retries=1), DATA)
    assert server.requests == 2
    assert caught.value.reason == "máy chủ trả lời lỗi HTTP 503 (sau 2 lần thử)"


@pytest.mark.parametrize("mode", ["bad-request", "html", "reject"])
def test_a_4xx_or_a_bad_answer_is_not_retried(make_openssl_tsa, mode):
    server = make_openssl_tsa()
    server.mode = mode
    with pytest.raises(TimestampError) as caught:
        request_with_retries(TSA("openssl", server.url, server.ca_pem, timeout=5, retries=2), DATA)
    assert server.requests == 1
    if mode == "bad-request":
        assert caught.value.reason == "máy chủ trả lời lỗi HTTP 400"


def test_a_tsa_timing_out_is_retried(make_openssl_tsa):
    server = make_openssl_tsa()
    server.mode, server.delay = "slow", 5
    with pytest.raises(TimestampError) as caught:
        request_with_retries(TSA("cham", server.url, server.ca_pem, timeout=0.5, retries=1), DATA)
    assert server.requests == 2
    assert caught.value.reason == "không trả lời trong 0.5 giây (sau 2 lần thử)"
