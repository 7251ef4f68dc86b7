# ruff: noqa: F811  (the fixtures of tests/test_dossier.py are imported, then named as arguments)
"""Two more ways an office could forge its yearly dossier and reseal it with its own key, each
caught by the inspector's tool with the inspectorate's trust policy (SPEC §4c):

- every token replaced by one of the office's own TSA, whose clock was set a week back, with
  that TSA's root and fingerprint put in the dossier in place of the real one;
- the dossier regenerated with no token at all.

The dossier is the real one of ``tests/test_dossier.py`` (its fixtures, made once)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from generator.ledger import cosign
from generator.ledger.timestamps import request_token, token_time
from tests.test_dossier import _copy, check, dossier, inspect, office_key, reseal, trust  # noqa: F401 (fixtures)

CHECKPOINTS = "nhat-ky/checkpoints"


def _fingerprint(pem: Path) -> str:
    digest = x509.load_pem_x509_certificate(pem.read_bytes()).fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _verdict(done) -> str:
    return done.stdout.splitlines()[-1] if done.stdout else ""


def test_an_own_tsa_a_week_early_with_its_root_put_in_the_dossier_is_not_accepted(
    dossier, trust, office_key, tmp_path, certomancer_tsa, openssl_tsa
):
    _, out = dossier
    folder = _copy(out, tmp_path)
    week_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    certomancer_tsa.set_time(week_ago)
    own = certomancer_tsa.tsa("rieng")
    replaced = 0
    for token in sorted(folder.rglob("*.openssl.tsr")):
        if token.name.startswith("tong-kiem."):
            token.unlink()  # made again below, over the resealed manifest
            continue
        size = token.name.split(".")[0]
        note = (folder / CHECKPOINTS / size).read_bytes()
        forged = request_token(own, cosign.office_note(note))
        assert token_time(forged) < week_ago + dt.timedelta(minutes=1)
        token.with_name(f"{size}.rieng.tsr").write_bytes(forged)
        token.unlink()
        replaced += 1
    assert replaced >= 2
    roots = folder / "nhat-ky" / "tsa"
    (roots / "openssl.pem").unlink()
    (roots / "rieng.pem").write_bytes(certomancer_tsa.ca_pem.read_bytes())
    guide = folder / "HUONG-DAN-KIEM-TRA.md"
    text = guide.read_text(encoding="utf-8").replace(
        _fingerprint(openssl_tsa.ca_pem), _fingerprint(certomancer_tsa.ca_pem)
    )
    guide.write_text(re.sub(r"\bopenssl\.pem\b", "rieng.pem", text), encoding="utf-8")
    reseal(folder, office_key)
    manifest = (folder / "tong-kiem.sha256").read_bytes()
    (folder / "tong-kiem.rieng.tsr").write_bytes(request_token(own, manifest))

    done = inspect(folder, trust)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "đơn vị cấp dấu thời gian rieng không có trong chính sách tin cậy" in done.stdout, done.stdout
    assert _verdict(done).startswith("KẾT QUẢ: KHÔNG ĐẠT"), done.stdout
    # its own copy, with the roots it carries, never says ĐẠT either
    done = check(folder)
    assert done.returncode != 0 and "KẾT QUẢ: ĐẠT" not in done.stdout, done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_dossier_regenerated_without_tokens_is_never_pass(dossier, trust, office_key, tmp_path):
    _, out = dossier
    folder = _copy(out, tmp_path)
    for token in folder.rglob("*.tsr"):
        token.unlink()
    for root in (folder / "nhat-ky" / "tsa").glob("*.pem"):
        root.unlink()
    reseal(folder, office_key)

    done = inspect(folder, trust)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "chính sách tin cậy đòi dấu thời gian" in done.stdout, done.stdout
    assert _verdict(done).startswith("KẾT QUẢ: KHÔNG ĐẠT"), done.stdout
    assert "Traceback" not in done.stdout + done.stderr
