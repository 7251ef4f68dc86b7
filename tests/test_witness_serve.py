"""The inspectorate's witness (``congkhai witness serve``, C2SP tlog-witness) as a real process
behind a real nginx on 127.0.0.1, offices publishing to it, and cosignatures checked by a
verifier written here from the C2SP tlog-cosignature text (not by congkhai's own code)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from generator.ledger import checkpoints, merkle
from tests.conftest import run_cli, write_files
from tests.servers import free_port, wait_for

REPO = Path(__file__).resolve().parent.parent
STORE = "publication-log.checkpoints"
WITNESS_NAME = "thanhtra.angiang.example/witness"
DASH = "\u2014 "


# --- a cosignature check written from C2SP tlog-cosignature (Ed25519, cosignature/v1) ---------


def spec_vkey(name: str, public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + raw).digest()[:4]
    blob = base64.b64encode(b"\x04" + raw).decode()
    return f"{name}+{key_id.hex()}+{blob}"


def spec_cosigned_at(note: bytes, name: str, public: Ed25519PublicKey) -> int | None:
    """The timestamp of a valid cosignature/v1 of ``name`` on ``note``, else None."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + raw).digest()[:4]
    body, _, signatures = note.partition(b"\n\n")
    body += b"\n"
    for line in signatures.decode().split("\n"):
        if not line.startswith(DASH + name + " "):
            continue
        blob = base64.b64decode(line.rsplit(" ", 1)[1])
        if len(blob) != 4 + 8 + 64 or blob[:4] != key_id:
            continue
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        signed = b"cosignature/v1\n" + f"time {timestamp}\n".encode() + body
        try:
            public.verify(blob[12:], signed)
        except Exception:
            continue
        return timestamp
    return None


# --- the witness behind nginx ----------------------------------------------------------------


def pem(key: Ed25519PrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


class WitnessProcess:
    def __init__(self, work: Path, config: Path, key_file: Path):
        self.work, self.config, self.key_file = work, config, key_file
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "generator",
                "witness",
                "serve",
                "--config",
                str(self.config),
                "--store",
                str(self.work / "witness-store"),
                "--listen",
                f"127.0.0.1:{self.port}",
                "--key",
                str(self.key_file),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(self.port)
        assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.communicate(timeout=10)
            self.proc = None


def nginx_proxy(work: Path, upstream: int) -> tuple[subprocess.Popen, int]:
    """nginx on 127.0.0.1 passing ``/witness/`` to the witness (as the README shows)."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is missing: scripts/setup installs it")
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(f"""
{user}
daemon off; pid {work}/nginx.pid; error_log {work}/error.log;
events {{}}
http {{
  access_log {work}/access.log;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location /witness/ {{
      proxy_pass http://127.0.0.1:{upstream}/;
      proxy_set_header Host $host;
      client_max_body_size 64k;
      proxy_read_timeout 30s;
    }}
  }}
}}
""")
    check = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(work)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(work)])
    wait_for(port)
    return proc, port


@pytest.fixture
def province(make_project, tmp_path):
    """Two offices (own keys, own origins) listed in the witness's witness.yml, the witness
    process behind nginx; yields a namespace of everything."""
    witness_key = Ed25519PrivateKey.generate()
    offices = []
    base = make_project()
    for n, host in enumerate(["bqlkkt.example.gov.vn", "sotuphap.example.gov.vn"]):
        root = tmp_path / f"office{n}"
        shutil.copytree(base, root)
        key = Ed25519PrivateKey.generate()
        key_file = pem(key, tmp_path / f"office{n}.pem")
        origin = f"{host}/nhat-ky-cong-khai"
        offices.append({"root": root, "key": key, "origin": origin, "key_file": key_file, "host": host})
    config = tmp_path / "witness.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "name": WITNESS_NAME,
                "agencies": [
                    {
                        "name": f"Cơ quan {n}",
                        "url": f"https://{o['host']}/",
                        "key": checkpoints.verifier_key(o["origin"], o["key"].public_key()),
                    }
                    for n, o in enumerate(offices)
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    witness = WitnessProcess(tmp_path, config, pem(witness_key, tmp_path / "witness.pem"))
    witness.start()
    nginx, port = nginx_proxy(tmp_path / "nginx", witness.port)
    url = f"http://127.0.0.1:{port}/witness"
    vkey = spec_vkey(WITNESS_NAME, witness_key.public_key())
    for o in offices:
        mkdocs = o["root"] / "mkdocs.yml"
        text = mkdocs.read_text(encoding="utf-8").replace("congkhai.example.gov.vn", o["host"])
        option = (
            f"      signing_key: {o['key_file']}\n      witnesses: [{{name: thanh-tra, url: '{url}', key: '{vkey}'}}]\n"
        )
        mkdocs.write_text(text.replace("      agency:", option + "      agency:"), encoding="utf-8")
    try:
        yield type(
            "Province",
            (),
            {
                "offices": offices,
                "witness": witness,
                "key": witness_key,
                "url": url,
                "store": tmp_path / "witness-store",
            },
        )
    finally:
        witness.stop()
        nginx.terminate()
        nginx.wait(timeout=10)


def publish(root: Path):
    return run_cli(root, "publish", "--allow-sample", "--deploy-to", str(root / "www"))


def add_record(root: Path, name: str) -> None:
    write_files(
        root,
        {
            f"disclosures/duong-day-nong/2026/{name}.yml": f"""\
                title: Đường dây nóng {name}
                document: {{number: 0{len(name)}/TB-X, date: 2026-01-06}}
                phones:
                  - number: "0296 3800 000"
                    label: Văn phòng Ban
                hours: Giờ hành chính
                """
        },
    )


def post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url + "/add-checkpoint", content=body, timeout=10)


def body(old: int, proof: list[bytes], note: bytes) -> bytes:
    return ("\n".join([f"old {old}", *(base64.b64encode(h).decode() for h in proof)]) + "\n\n").encode() + note


def served(root: Path, rel: str) -> bytes:
    return (root / "www" / "nhat-ky-cong-khai" / rel).read_bytes()


# --- tests -----------------------------------------------------------------------------------


def test_two_offices_publish_and_their_served_checkpoints_carry_the_cosignature(province):
    public = province.key.public_key()
    for office in province.offices:
        root = office["root"]
        result = publish(root)
        assert result.exit_code == 0, result.output
        assert "lấy chữ ký xác nhận sau" not in result.output  # no warning: the witness answered
        assert "Đã có chữ ký xác nhận (cosignature) của thanh-tra" in result.output
        size = len((root / "publication-log.jsonl").read_bytes().splitlines())
        note = served(root, "checkpoint")
        assert note == served(root, f"checkpoints/{size}")
        before = time.time()
        when = spec_cosigned_at(note, WITNESS_NAME, public)
        assert when is not None and before - 120 < when <= before + 1
        # the office's own signature is still there, first, and the tokens' bytes are unchanged
        assert (root / STORE / str(size)).read_bytes() in note
        assert checkpoints.signed_by(checkpoints.parse(note), office["origin"], office["key"].public_key())
        proofs = sorted((root / "www").rglob("*.tlog-proof"))
        assert proofs and all(
            spec_cosigned_at(p.read_bytes().partition(b"\n\n")[2], WITNESS_NAME, public) for p in proofs
        )
        # what the witness kept is this tree
        kept = list(province.store.glob("*/cosigned-checkpoint"))
        assert any(checkpoints.parse(k.read_bytes()).origin == office["origin"] for k in kept)
        assert run_cli(root, "verify", "--site", str(root / "www")).exit_code == 0
        # the log page and the record pages say who cosigned
        page = (root / "www" / "nhat-ky-cong-khai" / "index.html").read_text(encoding="utf-8")
        assert "thanh-tra" in page and "ký xác nhận" in page

    # a second publish: the witness gets the consistency proof from the size it cosigned
    root = province.offices[0]["root"]
    add_record(root, "them-mot")
    result = publish(root)
    assert result.exit_code == 0, result.output
    size = len((root / "publication-log.jsonl").read_bytes().splitlines())
    assert spec_cosigned_at(served(root, f"checkpoints/{size}"), WITNESS_NAME, public)


def test_the_witness_refuses_a_fork_a_bad_proof_and_unknown_offices(province):
    office = province.offices[0]
    root = office["root"]
    assert publish(root).exit_code == 0
    raw = (root / "publication-log.jsonl").read_bytes()
    leaves = merkle.log_leaves(raw)
    size = len(leaves)
    kept = next(p for p in province.store.glob("*/cosigned-checkpoint") if office["origin"].encode() in p.read_bytes())
    before = kept.read_bytes()

    # another tree of the same size, signed by the office: refused with 409 and the size
    fork = checkpoints.make(office["origin"], size, hashlib.sha256(b"another log").digest(), office["key"])
    answer = post(province.url, body(size, [], fork))
    assert answer.status_code == 409
    assert answer.text == f"{size}\n" and answer.headers["content-type"] == "text/x.tlog.size"
    answer = post(province.url, body(0, [], fork))
    assert answer.status_code == 409 and answer.text == f"{size}\n"
    assert kept.read_bytes() == before

    # a bigger tree with a wrong consistency proof: 422, nothing cosigned
    grown = merkle.Tree([*leaves, merkle.leaf_hash(b'{"seq": 99}')])
    note = checkpoints.make(office["origin"], size + 1, grown.head(), office["key"])
    good = grown.consistency_proof(size)
    bad = [hashlib.sha256(b"x").digest(), *good[1:]]
    answer = post(province.url, body(size, bad, note))
    assert answer.status_code == 422
    assert kept.read_bytes() == before
    # the fork and the bad proof, signed by the office, are kept as evidence; the rest is not
    refused = kept.parent / "tu-choi"
    entries = [json.loads(line) for line in (kept.parent / "tu-choi.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["status"], e["size"]) for e in entries] == [(409, size), (409, size), (422, size + 1)]
    first = refused / entries[0]["folder"].split("/", 1)[1]
    assert (first / "yeu-cau.txt").read_bytes() == body(size, [], fork)
    assert (first / "checkpoint-da-ky-xac-nhan").read_bytes() == before
    assert "hai cây khác nhau cùng một kích thước" in (first / "GIAI-THICH.txt").read_text(encoding="utf-8")
    assert "không đúng" in entries[2]["reason"]
    # old larger than the checkpoint: 400; garbage: 400
    assert post(province.url, body(size + 5, [], note)).status_code == 400
    assert post(province.url, b"hello").status_code == 400
    # an unknown origin: 404; the known origin signed by another key: 403
    stranger = checkpoints.make("other.example/log", 1, hashlib.sha256(b"a").digest(), Ed25519PrivateKey.generate())
    assert post(province.url, body(0, [], stranger)).status_code == 404
    forged = checkpoints.make(office["origin"], size + 1, grown.head(), Ed25519PrivateKey.generate())
    assert post(province.url, body(size, good, forged)).status_code == 403
    assert kept.read_bytes() == before
    assert len((kept.parent / "tu-choi.jsonl").read_text(encoding="utf-8").splitlines()) == 3, "unsigned: not kept"
    # the good proof is cosigned (by the spec's check)
    answer = post(province.url, body(size, good, note))
    assert answer.status_code == 200, answer.text
    assert spec_cosigned_at(note + answer.content, WITNESS_NAME, province.key.public_key())
    assert checkpoints.parse(kept.read_bytes()).size == size + 1


def test_a_witness_down_never_blocks_a_publish_and_timestamp_fetches_it_later(province):
    root = province.offices[1]["root"]
    province.witness.stop()
    result = publish(root)
    assert result.exit_code == 0, result.output
    assert "chạy congkhai timestamp để lấy chữ ký xác nhận sau" in result.output
    size = len((root / "publication-log.jsonl").read_bytes().splitlines())
    assert spec_cosigned_at(served(root, "checkpoint"), WITNESS_NAME, province.key.public_key()) is None
    assert not (root / STORE / f"{size}.cosig.thanh-tra").exists()
    province.witness.start()
    result = run_cli(root, "timestamp")
    assert result.exit_code == 0, result.output
    assert "chữ ký xác nhận của nhân chứng thanh-tra" in result.output
    stored = (root / STORE / f"{size}.cosig.thanh-tra").read_bytes()
    note = (root / STORE / str(size)).read_bytes()
    assert spec_cosigned_at(note + stored, WITNESS_NAME, province.key.public_key())  # the office's note is signed
    # the next build serves it
    assert run_cli(root, "build", "--site-dir", str(root / "site")).exit_code == 0
    assert spec_cosigned_at(
        (root / "site" / "nhat-ky-cong-khai" / "checkpoint").read_bytes(), WITNESS_NAME, province.key.public_key()
    )


class _SplitView:
    """An office's web server showing one site to requests that name congkhai in their user
    agent and another to everyone else (a split view by user agent)."""

    def __init__(self, honest: Path, forged: Path):
        import http.server
        import threading

        class Handler(http.server.SimpleHTTPRequestHandler):
            def translate_path(self, path: str) -> str:
                root = honest if "congkhai" in self.headers.get("User-Agent", "") else forged
                self.directory = str(root)
                return super().translate_path(path)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_split_view_is_reported_by_verify_with_the_policy_and_by_the_witness(province, tmp_path):
    """The honest history (cosigned) is shown to congkhai's own user agent, a rewritten one,
    re-signed with the office's key but never shown to the witness, to everyone else."""
    import re

    office = province.offices[0]
    root = office["root"]
    assert publish(root).exit_code == 0
    forged = tmp_path / "forged"
    shutil.copytree(root, forged, ignore=shutil.ignore_patterns("www", "publication-log*"))
    mkdocs = forged / "mkdocs.yml"
    mkdocs.write_text(re.sub(r"      witnesses: \[.*\]\n", "", mkdocs.read_text(encoding="utf-8")), encoding="utf-8")
    add_record(forged, "khac")
    assert publish(forged).exit_code == 0
    honest_head = (root / "publication-log.jsonl").read_bytes()
    assert (forged / "publication-log.jsonl").read_bytes() != honest_head
    view = _SplitView(root / "www", forged / "www")
    try:
        assert b"thanh-tra" not in httpx.get(view.url + "nhat-ky-cong-khai/checkpoint", timeout=10).content
        witness_vkey = spec_vkey(WITNESS_NAME, province.key.public_key())
        policy = tmp_path / "trust.yml"
        policy.write_text(
            yaml.safe_dump(
                {
                    "offices": [
                        {
                            "name": "Cơ quan 0",
                            "url": f"https://{office['host']}/",
                            "key": checkpoints.verifier_key(office["origin"], office["key"].public_key()),
                        }
                    ],
                    "witnesses": [{"name": WITNESS_NAME, "key": witness_vkey}],
                    "require": {"timestamps": False, "cosignatures": 1},
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        # the auditor with the office's (rewritten) repository: verify asks as a browser does,
        # sees the rewritten log, and its checkpoint lacks the witness's cosignature
        result = run_cli(forged, "verify", "--url", view.url, "--trust", str(policy))
        assert result.exit_code == 1, result.output
        assert "cosignature: checkpoint chỉ có 0 chữ ký đồng xác nhận hợp lệ" in result.output
        # the honest repository against what the public is shown: not the logged log
        result = run_cli(root, "verify", "--url", view.url)
        assert result.exit_code == 1, result.output
        assert "nhật ký đang phục vụ khác nhật ký trong kho" in result.output
        # the witness asks as a browser does too: the served checkpoint lacks its cosignature
        config = tmp_path / "witness-sync.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "name": WITNESS_NAME,
                    "witnesses": [{"name": WITNESS_NAME, "key": witness_vkey}],
                    "agencies": [
                        {
                            "name": "Cơ quan 0",
                            "url": view.url,
                            "key": checkpoints.verifier_key(office["origin"], office["key"].public_key()),
                        }
                    ],
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        result = run_cli(root, "witness", "sync", "--config", str(config), "--store", str(tmp_path / "sync-store"))
        assert result.exit_code == 1, result.output
        assert "ĐẠT" not in result.output.split("Cơ quan 0", 1)[-1].splitlines()[0]
    finally:
        view.close()
