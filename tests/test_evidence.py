"""Evidence that does not rest on the office's word (SPEC §4a, §4b): checkpoints, proofs,
signatures, outside copies, and what verify checks of a served site."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from generator.ledger import checkpoints, merkle
from generator.ledger.log import event_hash, serialise
from tests.conftest import run_cli

LICH = "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
LOG = "publication-log.jsonl"
STORE = "publication-log.checkpoints"


def publish(root: Path, *extra: str):
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"), *extra)
    assert result.exit_code == 0, result.output
    return result


def lines_of(root: Path) -> list[bytes]:
    return (root / LOG).read_bytes().splitlines()


def events_of(root: Path) -> list[dict]:
    return [json.loads(line) for line in lines_of(root)]


def rewrite(root: Path, events: list[dict]) -> None:
    """Regenerate the chain from ``events`` (as someone with the repository could)."""
    prev = "0" * 64
    out = []
    for seq, event in enumerate(events, start=1):
        event = {**event, "seq": seq, "prev": prev}
        event.pop("hash", None)
        event["hash"] = event_hash(event)
        prev = event["hash"]
        out.append(serialise(event))
    (root / LOG).write_bytes(b"".join(out))


def verify(root: Path, *args: str):
    return run_cli(root, "verify", *args)


def edit_lich(root: Path, note: str) -> None:
    path = root / LICH
    path.write_text(path.read_text(encoding="utf-8") + f"change_note: {note}\n", encoding="utf-8")


# --- checkpoints and proofs -----------------------------------------------------------


def test_each_publish_writes_a_checkpoint_of_the_log(make_project):
    root = make_project()
    result = publish(root)
    size = len(lines_of(root))
    assert f"Checkpoint mới: {size} sự kiện." in result.output
    note = (root / STORE / str(size)).read_bytes()
    head = merkle.root([merkle.leaf_hash(line) for line in lines_of(root)])
    assert note == f"congkhai.example.gov.vn/nhat-ky-cong-khai\n{size}\n{base64.b64encode(head).decode()}\n".encode()
    assert (root / "www/nhat-ky-cong-khai/checkpoint").read_bytes() == note
    assert (root / f"www/nhat-ky-cong-khai/checkpoints/{size}").read_bytes() == note
    # a second publish with a change: a new checkpoint; the old one stays, consistent
    edit_lich(root, "Sửa địa điểm")
    publish(root)
    bigger = len(lines_of(root))
    assert sorted(int(p.name) for p in (root / STORE).iterdir()) == [size, bigger]
    tree = merkle.Tree([merkle.leaf_hash(line) for line in lines_of(root)])
    old = checkpoints.parse(note)
    assert merkle.verify_consistency(size, bigger, old.root, tree.head(), tree.consistency_proof(size))
    assert verify(root, "--site", str(root / "www")).exit_code == 0


def test_every_event_has_a_proof_linked_from_its_page(make_project):
    root = make_project()
    publish(root)
    edit_lich(root, "Sửa địa điểm")
    publish(root)
    lines = lines_of(root)
    for seq, event in enumerate(events_of(root), start=1):
        folder = root / "www" / event["url"].split("gov.vn/", 1)[1]
        proof = (folder / f"proof-{seq}.tlog-proof").read_bytes()
        assert proof.startswith(b"c2sp.org/tlog-proof@v1\nindex %d\n" % (seq - 1))
        found = checkpoints.verify_proof(proof, lines[seq - 1])
        assert found.size >= seq  # the first checkpoint that holds the event
        assert f'href="proof-{seq}.tlog-proof"' in (folder / "index.html").read_text(encoding="utf-8")
        with pytest.raises(Exception, match="bằng chứng không khớp"):
            checkpoints.verify_proof(proof, lines[seq - 1] + b" ")


def test_signed_checkpoints(make_project, tmp_path):
    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "khoa-ky.pem"  # outside the project
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    root = make_project()
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("      agency:", f"      signing_key: {pem}\n      agency:"),
        encoding="utf-8",
    )
    publish(root)
    size = len(lines_of(root))
    note = (root / STORE / str(size)).read_bytes()
    origin = "congkhai.example.gov.vn/nhat-ky-cong-khai"
    parsed = checkpoints.parse(note)
    assert note.startswith(parsed.body + "\n\u2014 ".encode() + origin.encode())
    assert checkpoints.signed_by(parsed, origin, key.public_key())
    assert not checkpoints.signed_by(parsed, origin, Ed25519PrivateKey.generate().public_key())
    vkey = checkpoints.verifier_key(origin, key.public_key())
    assert re.fullmatch(re.escape(origin) + r"\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", vkey)
    assert verify(root).exit_code == 0
    # a checkpoint re-signed by another key is reported
    other = checkpoints.make(origin, size, parsed.root, Ed25519PrivateKey.generate())
    (root / STORE / str(size)).write_bytes(other)
    result = verify(root)
    assert result.exit_code == 1
    assert f"{STORE}/{size}:4: signature: không có chữ ký hợp lệ của cơ quan (khóa signing_key)" in result.output


def test_a_missing_signing_key_is_a_clear_error(make_project, tmp_path):
    root = make_project()
    config = root / "mkdocs.yml"
    missing = tmp_path / "khong-co.pem"
    config.write_text(
        config.read_text(encoding="utf-8").replace("      agency:", f"      signing_key: {missing}\n      agency:"),
        encoding="utf-8",
    )
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"không đọc được khóa ký checkpoint {missing}: No such file or directory" in result.output
    assert not (root / LOG).exists() and not (root / "www").exists()


# --- a regenerated chain no longer verifies -----------------------------------------------


def test_a_backdated_regenerated_chain_is_caught_by_the_checkpoints(make_project):
    root = make_project()
    publish(root)
    events = events_of(root)
    for event in events:
        event["at"] = event["at"].replace("T", "T").replace(event["at"][:4], str(int(event["at"][:4]) - 1))
    rewrite(root, events)
    result = verify(root)
    size = len(events)
    assert result.exit_code == 1
    assert (
        f"{LOG}:{size}: log: {size} sự kiện đầu của nhật ký không còn khớp checkpoint {STORE}/{size}: nhật ký đã bị viết lại"
        in result.output.splitlines()
    )


def test_dropped_events_are_caught(make_project):
    root = make_project()
    publish(root)
    size = len(lines_of(root))
    (root / LOG).write_bytes(b"".join(line + b"\n" for line in lines_of(root)[:-1]))
    result = verify(root)
    assert result.exit_code == 1
    assert (
        f"{LOG}:{size - 1}: log: checkpoint {size} có {size} sự kiện nhưng nhật ký chỉ còn {size - 1}: nhật ký đã bị cắt bớt"
        in result.output.splitlines()
    )


def test_outside_copies_pin_the_log(make_project, tmp_path):
    root = make_project()
    publish(root)
    download = tmp_path / "da-tai.jsonl"
    download.write_bytes((root / LOG).read_bytes())
    saved_checkpoint = tmp_path / "checkpoint"
    saved_checkpoint.write_bytes((root / "www/nhat-ky-cong-khai/checkpoint").read_bytes())
    head = events_of(root)[-1]
    pin = f"{head['seq']}:{head['hash']}"
    assert verify(root, "--pin", pin, "--since", str(download), "--since", str(saved_checkpoint)).exit_code == 0
    # the office regenerates everything: log, checkpoints (an attacker with the repository)
    events = events_of(root)
    events[0]["title"] = "Tiêu đề đã bị sửa"
    rewrite(root, events)
    shutil.rmtree(root / STORE)
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    result = verify(root, "--pin", pin, "--since", str(download), "--since", str(saved_checkpoint))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    new_head = events_of(root)[head["seq"] - 1]["hash"]
    assert new_head != head["hash"]
    assert (
        f"{LOG}:{head['seq']}: hash: seq {head['seq']}: khác mã băm đã ghim {head['hash']}: nhật ký đã bị viết lại"
        in lines
    )
    assert f"{LOG}:1: log: seq 1: khác dòng 1 của bản sao {download}: nhật ký đã bị viết lại" in lines
    size = head["seq"]
    assert (
        f"{LOG}:{size}: log: nhật ký không còn mở rộng checkpoint {saved_checkpoint} ({size} sự kiện): nhật ký đã bị viết lại"
        in lines
    )
    result = verify(root, "--pin", "12:abc")
    assert result.exit_code == 2
    assert "'12:abc' không đúng dạng SEQ:HASH (số thứ tự và 64 ký tự hex)" in result.output


# --- canonical lines ------------------------------------------------------------------


def test_a_duplicate_key_put_first_is_refused(make_project):
    root = make_project()
    publish(root)
    lines = lines_of(root)
    lines[0] = b'{"at":"2020-01-01T08:00:00+07:00",' + lines[0][1:]
    (root / LOG).write_bytes(b"".join(line + b"\n" for line in lines))
    result = verify(root)
    assert result.exit_code == 1
    assert f"{LOG}:1: log: seq 1: khóa at xuất hiện hai lần trong dòng (dòng đã bị sửa)" in result.output.splitlines()
    edit_lich(root, "Sửa")
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))
    assert result.exit_code == 1
    assert f"{LOG}:1: log: nhật ký không hợp lệ, không ghi thêm sự kiện" in result.output.splitlines()


def test_spaces_or_key_order_are_not_canonical(make_project):
    root = make_project()
    publish(root)
    lines = lines_of(root)
    lines[1] = json.dumps(json.loads(lines[1]), ensure_ascii=False).encode()  # ", " and ": "
    (root / LOG).write_bytes(b"".join(line + b"\n" for line in lines))
    result = verify(root)
    assert (
        f"{LOG}:2: log: seq 2: dòng không ở dạng chuẩn (khóa xếp theo thứ tự, không khoảng trắng); dòng đã bị sửa"
        in result.output.splitlines()
    )


# --- what is served ---------------------------------------------------------------------


def test_verify_site_checks_what_is_served(make_project, tmp_path):
    root = make_project()
    publish(root)
    www = root / "www"
    assert verify(root, "--site", str(www)).exit_code == 0
    events = events_of(root)
    lich = next(e for e in events if e["id"] == "tiep-cong-dan/2026/lich-thang-05")
    page = www / "tiep-cong-dan/2026/lich-thang-05/index.html"
    text = page.read_text(encoding="utf-8")
    # a date edited on the server
    assert "15/05/2026" in text
    page.write_text(text.replace("15/05/2026", "16/05/2026"), encoding="utf-8")
    # a different, valid log served
    served_log = www / "nhat-ky-cong-khai/publication-log.jsonl"
    other = tmp_path / "other"
    shutil.copytree(root, other, symlinks=False)
    served_log.unlink()
    served_log.write_bytes(b"".join(serialise(e) for e in events[:-1]))
    result = verify(root, "--site", str(www))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    size = len(events)
    assert (
        f"{LOG}:{size}: log: {lich['url'].split('/tiep')[0]}/nhat-ky-cong-khai/publication-log.jsonl: nhật ký đang phục vụ khác nhật ký trong kho (khác từng byte)"
        in lines
    )
    seq = lich["seq"]
    assert any(
        line.startswith(
            f"{LOG}:{seq}: content_sha256: seq {seq}: {lich['url']}: trang khác phiên bản đã ghi trong nhật ký ("
        )
        and "có thêm 16/05/2026" in line
        and "thiếu 15/05/2026" in line
        for line in lines
    ), lines


def test_footer_head_and_withdrawn_pages(make_project):
    root = make_project()
    publish(root)
    www = root / "www"
    events = events_of(root)
    bien_ban = next(e for e in events if e["id"] == "tiep-cong-dan/2026/bien-ban-thang-04")
    path = root / "disclosures/tiep-cong-dan/2026/bien-ban-thang-04.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "no_visitors: true\n", "no_visitors: true\nwithdrawn: {date: 2026-05-01, reason: Nhầm ngày}\n"
        ),
        encoding="utf-8",
    )
    publish(root)
    assert verify(root, "--site", str(www)).exit_code == 0
    page = www / "tiep-cong-dan/2026/bien-ban-thang-04/index.html"
    text = page.read_text(encoding="utf-8")
    head = events_of(root)[-1]
    page.write_text(text.replace(head["hash"], "f" * 64), encoding="utf-8")
    result = verify(root, "--site", str(www))
    seq = events_of(root)[-1]["seq"]
    assert (
        f"{LOG}:{seq}: hash: seq {seq}: {bien_ban['url']}: đầu chuỗi ở chân trang (seq {seq} {'f' * 64}) không phải một đầu chuỗi của nhật ký"
        in result.output.splitlines()
    )
    shutil.rmtree(page.parent)
    result = verify(root, "--site", str(www))
    assert f"{LOG}:{seq}: url: seq {seq}: {bien_ban['url']}: không có trong thư mục trang" in result.output.splitlines()


# --- a full disk --------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 300 KB tmpfs (needs root, as the CI runs)."""
    mount = tmp_path / "dia-nho"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0 or os.geteuid() != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_leaves_no_release_and_no_pending(make_project, small_disk):
    root = make_project()
    target = small_disk / "www"
    result = run_cli(root, "publish", "--allow-sample", "--deploy-to", str(target))
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.splitlines()
    assert any(line.startswith("không đủ chỗ trên đĩa để ghi ") and "No space left on device" in line for line in lines)
    assert lines[-1] == "Có 1 lỗi; nhật ký công bố và trang đang phục vụ chưa thay đổi; bản dựng dở đã được xóa."
    assert not target.exists()
    assert list((small_disk / ".www-releases").iterdir()) == []
    assert not (root / LOG).exists() and not (root / f"{LOG}.pending").exists()
    assert not list((root / STORE).glob("*")) if (root / STORE).exists() else True
