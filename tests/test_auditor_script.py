"""The README's thirty lines for auditors work on a real published log, and fail on a
rewritten one: the documentation an auditor relies on is tested like code."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, run_cli


def auditor_script() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Check the chain, a checkpoint and a proof yourself**") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run(script: Path, *args: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", str(script), *map(str, args)], capture_output=True, text=True)


def test_the_readme_script_checks_log_checkpoint_and_proofs(make_project, tmp_path):
    root = make_project()
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    path = root / "disclosures/tiep-cong-dan/2026/lich-thang-05.yml"
    path.write_text(path.read_text(encoding="utf-8") + "change_note: Sửa\n", encoding="utf-8")
    assert run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www")).exit_code == 0
    script = tmp_path / "check.py"
    script.write_text(auditor_script(), encoding="utf-8")
    served = root / "www/nhat-ky-cong-khai"
    log = served / "publication-log.jsonl"
    proofs = sorted((root / "www/tiep-cong-dan/2026/lich-thang-05").glob("proof-*.tlog-proof"))
    assert len(proofs) == 2
    done = run(script, log, served / "checkpoint", *proofs)
    assert done.returncode == 0, done.stderr
    size = len(log.read_bytes().splitlines())
    assert done.stdout.startswith(f"OK {size} events; checkpoint {size} holds; head ")
    # an older checkpoint is still a head of the log
    first = min(int(p.name) for p in (served / "checkpoints").iterdir() if p.name.isdigit())
    assert run(script, log, served / f"checkpoints/{first}").returncode == 0
    # a regenerated log (one title changed, chain recomputed) fails against the checkpoint
    lines = log.read_bytes().splitlines()
    prev, out = "0" * 64, []
    for n, line in enumerate(lines):
        event = json.loads(line)
        if n == 0:
            event["title"] = "Tiêu đề khác"
        event["prev"] = prev
        event.pop("hash")
        text = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        event["hash"] = prev = hashlib.sha256(text.encode()).hexdigest()
        out.append(json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    forged = tmp_path / "forged.jsonl"
    forged.write_bytes(b"\n".join(out) + b"\n")
    done = run(script, forged, served / "checkpoint")
    assert done.returncode != 0 and "the log does not extend this checkpoint" in done.stderr
    # a proof checked against another line of the log fails
    other = tmp_path / "proof.tlog-proof"
    data = proofs[0].read_bytes()
    index = int(re.search(rb"index (\d+)", data).group(1))
    other.write_bytes(data.replace(b"index %d" % index, b"index %d" % ((index + 1) % size)))
    done = run(script, log, served / "checkpoint", other)
    assert done.returncode != 0 and "not in its checkpoint" in done.stderr
