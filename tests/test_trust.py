"""Trust on the checker's side (SPEC §4c): ``verify --trust trust.yml`` takes every TSA root,
tolerance and the office's verifier key from the inspectorate's policy, never from the
office's own ``mkdocs.yml``. Each attack of a hostile office is run for real (real TSAs on
127.0.0.1, real Ed25519 keys, real nginx) and must be reported."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from generator.core.errors import CongkhaiError
from generator.ledger import checkpoints, cosign, merkle
from generator.ledger.trust import load_policy
from tests.conftest import BASE_FILES, run_cli, write_files
from tests.servers import nginx
from tests.test_attested import publish_at, with_tsas

LOG = "publication-log.jsonl"
STORE = "publication-log.checkpoints"
ORIGIN = "congkhai.example.gov.vn/nhat-ky-cong-khai"
NOT_INDEPENDENT = "không phải bằng chứng độc lập"
BIEN_BAN = "disclosures/tiep-cong-dan/2026/bien-ban-thang-04.md"


@pytest.fixture(autouse=True)
def _no_key_from_the_environment(monkeypatch):
    monkeypatch.delenv(checkpoints.KEY_ENV, raising=False)


def with_option(root: Path, line: str) -> None:
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("      agency:", f"      {line}\n      agency:"), encoding="utf-8")
    assert yaml.safe_load(config.read_text(encoding="utf-8"))


def without_option(root: Path, name: str) -> None:
    config = root / "mkdocs.yml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(line for line in lines if not line.strip().startswith(f"{name}:")), encoding="utf-8")


def signing(root: Path, folder: Path) -> str:
    """Give the project an Ed25519 key outside it; return its vkey."""
    folder.mkdir(parents=True, exist_ok=True)
    key = checkpoints.create_signing_key(folder / "khoa.pem")
    with_option(root, f"signing_key: {folder / 'khoa.pem'}")
    return checkpoints.verifier_key(ORIGIN, key.public_key())


def write_policy(path: Path, vkey: str, tsas: list[tuple[str, object]], **extra: object) -> Path:
    policy = {
        "tsas": [{"name": name, "root": str(server.ca_pem)} for name, server in tsas],
        "offices": [
            {"name": "Ban Quản lý Khu kinh tế tỉnh An Giang", "url": "https://congkhai.example.gov.vn/", "key": vkey}
        ],
        "max_timestamp_delay": 24,
        "clock_skew": 300,
        "require": {"timestamps": bool(tsas), "cosignatures": 0},
        **extra,
    }
    path.write_text(yaml.safe_dump(policy, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def lines(result) -> list[str]:
    return result.output.splitlines()


# --- the honest office --------------------------------------------------------------------


def test_an_honest_office_from_init_verifies_under_the_policy(tmp_path, monkeypatch, openssl_tsa):
    """init -> publish (signed with no extra step, a real TSA) -> verify --trust on the
    repository, the built folder and the site served by nginx: no problem."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    root = tmp_path / "ban-qlkkt"
    made = run_cli(
        tmp_path,
        "init",
        str(root),
        "--agency",
        "Ban Quản lý Khu kinh tế",
        "--site-url",
        "https://congkhai.example.gov.vn/",
    )
    assert made.exit_code == 0, made.output
    vkey = re.search(r"^  (congkhai\.example\.gov\.vn/nhat-ky-cong-khai\+\S+)$", made.output, re.M).group(1)
    assert run_cli(root, "key").output.strip() == vkey
    write_files(root, {BIEN_BAN: BASE_FILES[BIEN_BAN]})
    with_tsas(root, ("tsa-tinh", openssl_tsa))
    published = run_cli(root, "publish", "--deploy-to", str(root / "www"))
    assert published.exit_code == 0, published.output
    size = len((root / LOG).read_bytes().splitlines())
    note = checkpoints.parse((root / STORE / str(size)).read_bytes())
    name, public = checkpoints.parse_verifier_key(vkey)
    assert checkpoints.signed_by(note, name, public)  # signed with no step beyond init
    served = root / "www/nhat-ky-cong-khai/khoa-xac-minh.txt"
    assert served.read_text("ascii") == vkey + "\n"
    page = (root / "www/nhat-ky-cong-khai/index.html").read_text("utf-8")
    assert vkey in page and "Khóa xác minh của cơ quan" in page and "congkhai verify --trust" in page
    policy = write_policy(tmp_path / "trust.yml", vkey, [("tsa-tinh", openssl_tsa)])
    for extra in ([], ["--site", str(root / "www")]):
        result = run_cli(root, "verify", "--trust", str(policy), *extra)
        assert result.exit_code == 0, result.output
        assert f"kiểm tra theo chính sách tin cậy {policy}" in result.output and NOT_INDEPENDENT not in result.output
    with nginx(root / "www", tmp_path / "nginx") as url:
        answer = httpx.get(url + "nhat-ky-cong-khai/khoa-xac-minh.txt")
        assert answer.text == vkey + "\n" and answer.headers["content-type"].startswith("text/plain")
        result = run_cli(root, "verify", "--trust", str(policy), "--url", url)
        assert result.exit_code == 0, result.output
        # the served key is all an auditor without the office's private key needs
        (tmp_path / "home/.config/congkhai/congkhai-example-gov-vn.pem").rename(tmp_path / "elsewhere.pem")
        result = run_cli(root, "verify", "--url", url)
        assert result.exit_code == 0, result.output
        assert NOT_INDEPENDENT in result.output


# --- the hostile office -------------------------------------------------------------------


def test_the_offices_own_tsa_and_backdated_tokens_are_not_accepted(
    make_project, tmp_path, openssl_tsa, certomancer_tsa
):
    """The office lists its own "TSA" in mkdocs.yml and has it date every token as it likes:
    its own verify says valid; the policy, which accepts only the province's TSA, does not."""
    root = make_project()
    vkey = signing(root, tmp_path / "keys")
    with_tsas(root, ("vnpt-ca", certomancer_tsa))  # the office's own, under the name of the real one
    certomancer_tsa.set_time(dt.datetime(2026, 1, 26, 1, 35, tzinfo=dt.UTC))
    publish_at(root, "2026-01-26T08:30:00+07:00")
    mine = run_cli(root, "verify")
    assert mine.exit_code == 0, mine.output  # the attack, as the office's configuration sees it
    assert NOT_INDEPENDENT in mine.output
    policy = write_policy(tmp_path / "trust.yml", vkey, [("vnpt-ca", openssl_tsa)])
    result = run_cli(root, "verify", "--trust", str(policy))
    assert result.exit_code == 1
    size = len((root / LOG).read_bytes().splitlines())
    assert any(
        line.startswith(f"{STORE}/{size}.vnpt-ca.tsr:1: token: ") and "không được cấp bởi chứng thư gốc" in line
        for line in lines(result)
    ), result.output
    for seq in range(1, size + 1):
        assert (
            f"{LOG}:{seq}: at: seq {seq}: không có dấu thời gian nào của đơn vị được chính sách tin cậy {policy} "
            "chấp nhận bao gồm sự kiện này: thời điểm ghi chỉ là lời của cơ quan"
        ) in lines(result)
    # under a name of its own, its tokens are reported as not accepted, never skipped
    for path in (root / STORE).glob("*.vnpt-ca.tsr"):
        path.rename(path.with_name(path.name.replace("vnpt-ca", "tsa-rieng")))
    result = run_cli(root, "verify", "--trust", str(policy))
    assert (
        f"{STORE}/{size}.tsa-rieng.tsr:1: token: đơn vị cấp dấu thời gian 'tsa-rieng' không có trong chính sách "
        f"tin cậy {policy}: dấu thời gian không được chấp nhận"
    ) in lines(result)


def test_a_raised_max_timestamp_delay_in_mkdocs_yml_does_not_count(make_project, tmp_path, certomancer_tsa):
    root = make_project()
    vkey = signing(root, tmp_path / "keys")
    with_tsas(root, ("tsa-tinh", certomancer_tsa))
    with_option(root, "max_timestamp_delay: 100000")
    certomancer_tsa.set_time(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC))
    publish_at(root, "2026-01-26T08:30:00+07:00")
    assert run_cli(root, "verify").exit_code == 0  # the office's own tolerance hides the backdating
    policy = write_policy(tmp_path / "trust.yml", vkey, [("tsa-tinh", certomancer_tsa)])
    result = run_cli(root, "verify", "--trust", str(policy))
    assert result.exit_code == 1
    assert (
        f"{LOG}:1: at: seq 1: 2026-01-26T08:30:00+07:00 sớm hơn thời điểm được chứng thực 20/11/2026 16:00 "
        "(tsa-tinh) 7159 giờ, quá 24 giờ cho phép: ngày công bố chỉ là lời của cơ quan (có thể đã ghi lùi ngày)"
    ) in lines(result)


def test_a_signing_key_dropped_after_signed_checkpoints_is_reported(make_project, tmp_path):
    root = make_project()
    vkey = signing(root, tmp_path / "keys")
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    first = len((root / LOG).read_bytes().splitlines())
    without_option(root, "signing_key")
    with (root / BIEN_BAN).open("a", encoding="utf-8") as record:
        record.write("\nBổ sung: biên bản đã được ký.\n")
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    second = len((root / LOG).read_bytes().splitlines())
    assert second > first and not checkpoints.parse((root / STORE / str(second)).read_bytes()).signatures
    dropped = (
        f"checkpoint này không có chữ ký nào dù checkpoint {first} trước nó đã được ký "
        "(khóa ký đã bị bỏ, hoặc checkpoint đã bị thay)"
    )
    result = run_cli(root, "verify")  # even on the office's own configuration
    assert result.exit_code == 1
    assert f"{STORE}/{second}:4: signature: {dropped}" in lines(result)
    policy = write_policy(tmp_path / "trust.yml", vkey, [])
    result = run_cli(root, "verify", "--trust", str(policy))
    assert result.exit_code == 1
    assert (
        f"{STORE}/{second}:4: signature: không có chữ ký hợp lệ của khóa của Ban Quản lý Khu kinh tế tỉnh An Giang "
        f"trong chính sách tin cậy ({vkey}); {dropped}"
    ) in lines(result)
    assert not any(line.startswith(f"{STORE}/{first}:") for line in lines(result))


def test_checkpoints_re_signed_with_a_new_key_are_reported(make_project, tmp_path):
    """The office rewrites its log, re-signs every checkpoint with a new key and configures
    it: on its own configuration all is well; the policy holds the key it had announced."""
    root = make_project()
    vkey = signing(root, tmp_path / "keys")
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    events = [json.loads(line) for line in (root / LOG).read_bytes().splitlines()]
    for event in events:  # a year earlier, chain regenerated
        event["at"] = event["at"].replace("2026-", "2025-", 1)
    prev = "0" * 64
    out = b""
    for event in events:
        event["prev"] = prev
        event.pop("hash")
        body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event["hash"] = prev = hashlib.sha256(body.encode()).hexdigest()
        out += json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    (root / LOG).write_bytes(out)
    new_key = checkpoints.create_signing_key(tmp_path / "new" / "khoa.pem")
    tree = merkle.Tree(merkle.log_leaves(out))
    for path in (root / STORE).iterdir():
        if path.name.isdigit():
            path.write_bytes(checkpoints.make(ORIGIN, int(path.name), tree.head(0, int(path.name)), new_key))
    without_option(root, "signing_key")
    with_option(root, f"signing_key: {tmp_path / 'new' / 'khoa.pem'}")
    mine = run_cli(root, "verify")
    assert mine.exit_code == 0, mine.output
    assert NOT_INDEPENDENT in mine.output
    policy = write_policy(tmp_path / "trust.yml", vkey, [])
    result = run_cli(root, "verify", "--trust", str(policy))
    assert result.exit_code == 1
    size = len(events)
    assert (
        f"{STORE}/{size}:4: signature: không có chữ ký hợp lệ của khóa của Ban Quản lý Khu kinh tế tỉnh An Giang "
        f"trong chính sách tin cậy ({vkey})"
    ) in lines(result)


def test_an_office_missing_from_the_policy_and_cosignatures_not_yet_checked(make_project, tmp_path):
    root = make_project()
    signing(root, tmp_path / "keys")
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    other = Ed25519PrivateKey.generate().public_key()
    policy = write_policy(tmp_path / "trust.yml", checkpoints.verifier_key("khac.gov.vn/nhat-ky-cong-khai", other), [])
    result = run_cli(root, "verify", "--trust", str(policy))
    assert result.exit_code == 1
    assert (
        f"cơ quan (nguồn nhật ký '{ORIGIN}') không có trong chính sách tin cậy {policy}: "
        "không có khóa xác minh nào để kiểm tra chữ ký của nó"
    ) in result.output
    witness = cosign.witness_vkey("thanhtra.example.gov.vn/witness", other)  # a cosignature/v1 key (0x04)
    policy = write_policy(
        tmp_path / "trust2.yml",
        run_cli(root, "key").output.strip(),
        [],
        witnesses=[{"name": "thanh-tra", "key": witness}],
        require={"timestamps": False, "cosignatures": 1},
    )
    result = run_cli(root, "verify", "--trust", str(policy))
    assert result.exit_code == 1
    assert "cosignature: checkpoint chỉ có 0 chữ ký đồng xác nhận hợp lệ" in result.output


# --- the policy file ----------------------------------------------------------------------


def test_a_bad_policy_gives_file_line_field_messages(tmp_path, openssl_tsa):
    policy = tmp_path / "trust.yml"
    policy.write_text(
        "tsas:\n"
        "  - name: vnpt ca\n"
        "    root: khong-co.pem\n"
        "    accuracy: -1\n"
        "offices:\n"
        "  - name: Ban\n"
        "    url: bqlkkt.angiang.gov.vn\n"
        "    key: bqlkkt.angiang.gov.vn/nhat-ky-cong-khai+00000000+AAAA\n"
        "witnesses: []\n"
        "clock_skew: -5\n"
        "require:\n"
        "  cosignatures: 2\n"
        "extra: 1\n",
        encoding="utf-8",
    )
    result = run_cli(tmp_path, "verify", "--trust", str(policy))
    assert result.exit_code == 1 and "Traceback" not in result.output
    expected = [
        f"{policy}:2: tsas[1].name: phải là tên gồm chữ cái không dấu, chữ số và dấu gạch ngang, như trong tên tệp .tsr",
        f"{policy}:3: tsas[1].root: khong-co.pem: không đọc được (No such file or directory)",
        f"{policy}:4: tsas[1].accuracy: phải là số giây không âm (độ chính xác lớn nhất được chấp nhận)",
        f"{policy}:7: offices[1].url: phải là địa chỉ gốc của trang, http:// hoặc https://",
        f"{policy}:8: offices[1].key: khóa kiểm tra chữ ký không hợp lệ: phải có dạng <tên>+<mã khóa 8 ký tự hex>+<base64 của khóa Ed25519>",
        f"{policy}:10: clock_skew: phải là số giây nguyên từ 0 đến 86400",
        f"{policy}:12: require.cosignatures: cần 2 chữ ký đồng xác nhận nhưng witnesses chỉ có 0 bên",
        (
            f"{policy}:13: extra: khóa không được hỗ trợ; chỉ dùng tsas, offices, witnesses, max_timestamp_delay, "
            "clock_skew, require, signature_roots"
        ),
    ]
    for line in expected:
        assert line in lines(result), result.output
    assert "Có 8 lỗi; chưa có gì được thay đổi." in result.output


def test_a_policy_by_url_needs_inline_roots_and_https(tmp_path, openssl_tsa):
    key = checkpoints.verifier_key(ORIGIN, Ed25519PrivateKey.generate().public_key())
    site = tmp_path / "thanh-tra"
    site.mkdir()
    inline = openssl_tsa.ca_pem.read_text("ascii")
    (site / "trust.yml").write_text(
        yaml.safe_dump(
            {
                "tsas": [{"name": "tsa-tinh", "root": inline, "accuracy": 60}],
                "offices": [{"name": "Ban", "url": "https://congkhai.example.gov.vn/", "key": key}],
            }
        ),
        encoding="utf-8",
    )
    (site / "path.yml").write_text(
        yaml.safe_dump({"tsas": [{"name": "tsa-tinh", "root": str(openssl_tsa.ca_pem)}]}), encoding="utf-8"
    )
    with nginx(site, tmp_path / "nginx") as url:
        policy = load_policy(url + "trust.yml")
        assert policy.tsas[0].root_pem.strip() == inline.strip().encode() and policy.tsas[0].accuracy_seconds == 60
        assert policy.office_for_origin(ORIGIN).key == key
        assert policy.office_for_url("HTTPS://congkhai.example.gov.vn:443") is not None
        assert policy.require_timestamps and policy.clock_skew_seconds == 300
        with pytest.raises(CongkhaiError) as refused:
            load_policy(url + "path.yml")
        assert f"{url}path.yml:3: tsas[1].root: chính sách tải từ URL phải viết thẳng chứng thư gốc dạng PEM" in str(
            refused.value
        )
    with pytest.raises(CongkhaiError, match="chính sách tin cậy phải tải qua https://"):
        load_policy("http://thanhtra.example.gov.vn/trust.yml")


def test_signature_roots_of_a_policy_give_file_line_field_messages(tmp_path, openssl_tsa):
    """Paths relative to the policy (a file, several PEM in one file, a folder) or inline
    PEM; each bad entry named by line; a policy by URL takes inline PEM only."""
    roots = tmp_path / "goc"
    roots.mkdir()
    ca = openssl_tsa.ca_pem.read_text("ascii")
    (roots / "hai.pem").write_text(ca + ca, encoding="ascii")
    (roots / "rong.pem").write_text("không phải chứng thư\n", encoding="utf-8")
    (tmp_path / "thu-muc").mkdir()
    (tmp_path / "thu-muc" / "a.pem").write_text(ca, encoding="ascii")
    (tmp_path / "trong").mkdir()
    good = tmp_path / "trust.yml"
    good.write_text(
        yaml.safe_dump({"signature_roots": ["goc/hai.pem", "thu-muc", ca]}, allow_unicode=True), encoding="utf-8"
    )
    assert len(load_policy(str(good)).signature_roots.certificates) == 4
    (tmp_path / "khong.yml").write_text("clock_skew: 60\n", encoding="utf-8")
    assert load_policy(str(tmp_path / "khong.yml")).signature_roots is None
    bad = tmp_path / "sai.yml"
    bad.write_text(
        "signature_roots:\n"
        "  - goc/khong-co.pem\n"
        "  - goc/rong.pem\n"
        "  - trong\n"
        "  - {file: a.pem}\n"
        "  - |\n"
        "    -----BEGIN CERTIFICATE-----\n"
        "    AAAA\n"
        "    -----END CERTIFICATE-----\n",
        encoding="utf-8",
    )
    with pytest.raises(CongkhaiError) as refused:
        load_policy(str(bad))
    assert [str(p) for p in refused.value.problems] == [
        f"{bad}:2: signature_roots[1]: goc/khong-co.pem: không đọc được (No such file or directory)",
        f"{bad}:3: signature_roots[2]: goc/rong.pem: không chứa chứng thư số (PEM hoặc DER) nào",
        f"{bad}:4: signature_roots[3]: trong: thư mục không có tệp chứng thư nào (.pem, .crt, .cer)",
        f"{bad}:5: signature_roots[4]: phải là danh sách chứng thư gốc cho chữ ký số: đường dẫn tệp PEM hoặc thư mục, "
        "hoặc PEM viết thẳng",
        f"{bad}:6: signature_roots[5]: PEM viết thẳng: không phải chứng thư số dạng PEM",
    ]
    site = tmp_path / "thanh-tra"
    site.mkdir()
    text = yaml.safe_dump({"signature_roots": [ca, "goc/hai.pem"]})
    (site / "trust.yml").write_text(text, encoding="utf-8")
    at = text.splitlines().index("- goc/hai.pem") + 1
    with nginx(site, tmp_path / "nginx") as url, pytest.raises(CongkhaiError) as refused:
        load_policy(url + "trust.yml")
    assert [str(p) for p in refused.value.problems] == [
        f"{url}trust.yml:{at}: signature_roots[2]: chính sách tải từ URL phải viết thẳng chứng thư gốc dạng PEM "
        "(-----BEGIN CERTIFICATE-----…)"
    ]
