#!/usr/bin/env python3
"""Witness benchmark: a province of offices followed by ``congkhai witness sync``.

Writes ``--offices`` offices (default 130) of ``--events`` events each (default 1,000):
for each, a log with a valid chain and its checkpoint (``checkpoint`` and
``checkpoints/<size>``), written directly as files (no site is built), all served by one
real nginx on 127.0.0.1 with congkhai's ``generator/publish/server/nginx.conf`` (office ``k`` is
``http://127.0.0.1:<port>/o<k>/``). A few hostile servers are listed beside them (slow,
redirect loop, HTML, 100 MB, truncated answer). Then it measures, in this process:

1. the first sync (every log downloaded whole, every chain and root checked);
2. a sync after each office added one event and a new checkpoint (Range requests);

and the peak resident memory of the process (``resource.getrusage``). The hostile
servers must be reported and every office accepted.

Usage::

    python bench/witness_bench.py [--offices 130] [--events 1000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.ledger import checkpoints, log, merkle
from generator.witness import config as witness_config
from generator.witness import sync as witness
from tests.servers import nginx_sites
from tests.test_witness import hostile

HOSTILE = ("slow", "loop", "html", "huge", "truncated")


def event(seq: int, prev: str, office: int) -> dict:
    e = {
        "seq": seq,
        "event": "published",
        "at": "2026-01-01T08:00:00+07:00",
        "id": f"tiep-cong-dan/2026/ban-ghi-{seq}",
        "category": "tiep-cong-dan",
        "title": f"Thông báo lịch tiếp công dân tháng {1 + seq % 12}/2026 số {seq}",
        "document_number": f"{seq}/TB-CQ{office}",
        "url": f"https://o{office}.example.gov.vn/tiep-cong-dan/2026/ban-ghi-{seq}/",
        "version": 1,
        "content_sha256": f"{seq:064x}",
        "attachments": [],
        "commit": None,
        "prev": prev,
    }
    e["hash"] = log.event_hash(e)
    return e


def write_office(folder: Path, office: int, count: int, start: int = 1, prev: str = log.GENESIS) -> str:
    base = folder / "nhat-ky-cong-khai"
    (base / "checkpoints").mkdir(parents=True, exist_ok=True)
    target = base / "publication-log.jsonl"
    with open(target, "ab") as handle:
        for seq in range(start, start + count):
            e = event(seq, prev, office)
            prev = e["hash"]
            handle.write(log.serialise(e))
    raw = target.read_bytes()
    leaves = merkle.log_leaves(raw)
    note = checkpoints.make(f"o{office}.example.gov.vn/nhat-ky-cong-khai", len(leaves), merkle.root(leaves))
    (base / "checkpoints" / str(len(leaves))).write_bytes(note)
    (base / "checkpoint").write_bytes(note)
    return prev


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.1f} GB RAM"
    return f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU ({model}){memory}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=130)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="witness-bench-"))
    sites = work / "sites"
    shutil.rmtree(work, ignore_errors=True)
    sites.mkdir(parents=True)
    started = time.monotonic()
    heads = [write_office(sites / f"o{k}", k, args.events) for k in range(args.offices)]
    generated = time.monotonic() - started
    print(f"$ python {' '.join(sys.argv)}")
    print(f"máy: {machine()}")
    print(f"sinh dữ liệu: {args.offices} cơ quan × {args.events} sự kiện trong {generated:.1f} s")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(nginx_sites([sites], work / "nginx"))[0]
        bad = [stack.enter_context(hostile(mode)) for mode in HOSTILE]
        agencies = [witness_config.Agency(f"Cơ quan {k}", f"{url}o{k}/", f"o{k}") for k in range(args.offices)]
        agencies += [
            witness_config.Agency(f"Máy chủ {mode}", u, f"hostile-{mode}") for mode, u in zip(HOSTILE, bad, strict=True)
        ]
        config = witness_config.Config(agencies, [], timeout=2.0)
        store = work / "store"
        for label in ("lần đầu", "mỗi cơ quan thêm 1 sự kiện"):
            if label != "lần đầu":
                for k in range(args.offices):
                    heads[k] = write_office(sites / f"o{k}", k, 1, args.events + 1, heads[k])
            began = time.monotonic()
            outcomes = witness.sync(config, store)
            took = time.monotonic() - began
            good = [o for o in outcomes[: args.offices] if o.state == witness_config.OK]
            reported = [o for o in outcomes[args.offices :] if o.state == witness_config.ERROR]
            ranged = sum(o.range_used for o in good)
            print(
                f"đồng bộ {label}: {took:.2f} s; {len(good)}/{args.offices} cơ quan khớp "
                f"({ranged} chỉ tải phần mới), {len(reported)}/{len(HOSTILE)} máy chủ xấu bị báo lỗi"
            )
            for o in outcomes[args.offices :]:
                print("   ", o.line())
            if len(good) != args.offices or len(reported) != len(HOSTILE):
                for o in outcomes[: args.offices]:
                    if o.state != witness_config.OK:
                        print("   ", o.line())
                sys.exit(1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bộ nhớ đỉnh (ru_maxrss của tiến trình): {peak:.0f} MB")
    size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file()) / 1024 / 1024
    print(f"kho lưu: {size:.1f} MB")
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
