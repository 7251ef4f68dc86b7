"""The digital signatures of a dossier's attachments, rechecked by the inspector's installed
tool (``congkhai kiem-tra FOLDER --trust trust.yml``, SPEC §4c).

The dossier's own ``kiem-tra.py`` uses the standard library only and cannot read PAdES
signatures; the installed congkhai can (pyHanko). Each log event of the dossier that records
a verdict on an attachment's signatures (``attachments[].signature``) is rechecked on the
dossier's file of the logged SHA-256, against the **policy's** ``signature_roots`` only (the
office's roots are the thing checked, never a source of trust; a policy without them judges
only what needs no root: a broken signature, a file changed after signing, another signer).
A log that claims more than the recheck finds, a broken signature or a file changed after
signing is a problem; a logged file missing from the dossier is a problem too (the guide
lists it as evidence).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from generator.ledger.trust import TrustPolicy
from generator.records import signatures

LOG = "nhat-ky/publication-log.jsonl"
RECORDS = "ho-so"


def problems(root: Path, policy: TrustPolicy) -> list[tuple[str, int, str, str]]:
    """``(path, line, field, message)`` of each disagreement, in the log's order."""
    try:
        lines = (root / LOG).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []  # the checker itself reports a missing or unreadable log
    logged = []
    for number, line in enumerate(lines, start=1):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        for index, entry in enumerate(event.get("attachments") or [] if isinstance(event, dict) else []):
            if isinstance(entry, dict) and isinstance(entry.get("signature"), dict):
                logged.append((number, event, index, entry))
    if not logged:
        return []
    files: dict[str, Path] = {}
    folder = root / RECORDS
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file() and path.suffix.lower() == ".pdf" and path.name != "trang.pdf":
            files.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), path)
    roots = policy.signature_roots if policy.signature_roots is not None else signatures.NO_ROOTS
    basis = (
        f"gốc chứng thư của chính sách tin cậy {policy.source}"
        if policy.signature_roots is not None
        else f"chính sách tin cậy {policy.source}, không có signature_roots"
    )
    out: list[tuple[str, int, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for number, event, index, entry in logged:
        field = f"attachments[{index + 1}].signature"
        what = f"seq {event.get('seq')}: {event.get('id')}: tệp '{entry.get('file')}'"
        sha = str(entry.get("sha256"))
        key = (sha, json.dumps(entry["signature"], sort_keys=True))
        if key in seen:
            continue
        seen.add(key)
        path = files.get(sha)
        if path is None:
            out.append((LOG, number, field, f"{what}: hồ sơ không có tệp có mã SHA-256 đã ghi để kiểm tra chữ ký số"))
            continue
        result = signatures.check_file(path, roots, sha)
        if result is None:
            out.append((LOG, number, field, f"{what}: nhật ký ghi kết quả chữ ký số cho một tệp không phải PDF"))
            continue
        differs = signatures.disagreement(entry["signature"], result)
        broken = result.status in ("broken", "modified")
        if differs is not None and differs.trust_only and policy.signature_roots is None:
            continue
        if broken or (differs is not None and differs.claims_more):
            text = differs.text if differs is not None else f"chữ ký số: {signatures.LABELS[result.status]}"
            out.append((LOG, number, field, f"{what}: {text} (kiểm tra lại theo {basis})"))
    return out
