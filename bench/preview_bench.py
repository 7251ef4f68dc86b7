"""Preview latency of ``congkhai serve``: from saving a file to the page showing the change.

For each size N it writes the synthetic project of ``build_bench.py`` (N records, no log),
starts ``python -m generator -f <project>/mkdocs.yml serve`` on a free 127.0.0.1 port and
measures, over HTTP only (so that it works with any preview: full rebuilds as in
``mkdocs serve``, or pages made on request):

- first page: from starting the process to the home page answering 200, then to one
  record page answering 200;
- for each kind of change, ``--repeat`` times (median reported), the time from just before
  the file is written to the first answer that shows the change, the page being polled
  every 50 ms (httpx; an answer that takes longer simply counts):

  ============  ================================================  ==========================================
  change        file written                                      page polled, until
  ============  ================================================  ==========================================
  title         one record's ``title`` (a new word added)         that record's page shows the new title
  new record    a new record file                                 its page answers 200 with its title
  delete        an unpublished record's file removed              its page answers 404 and its year's listing
                                                                  page no longer lists it
  hotline       the hotline record (phones swapped, label         another record's page shows the new label
                changed; its phone is in every page's banner)     in its banner
  log           one event appended to ``publication-log.jsonl``   the home page's footer shows the new head
  ============  ================================================  ==========================================

Before each change the bench waits until the server is idle (its processes, children
included, used under 5% of a CPU for half a second; ``--settle`` caps the wait), so that a
change never waits for the previous rebuild. Targets of issue 12: ≤ 1.5 s at 1,000 records,
≤ 3 s at 5,000.

Like ``build_bench.py``, ``generator/`` is copied once at start and the server imports the
copy (``--live``: the working tree). Linux only (the idle check reads ``/proc``).

    python bench/preview_bench.py --sizes 1000,5000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import os
import platform
import random
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_bench  # the synthetic project, the generator snapshot

ROOT = build_bench.ROOT
POLL = 0.05
TARGETS = {1000: 1.5, 5000: 3.0}
KINDS = ("title", "new record", "delete", "hotline", "log")


def machine() -> str:
    cpus = os.cpu_count()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{platform.platform()}, Python {platform.python_version()}, {cpus} CPU, load average {load}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def address_option(env: dict[str, str] | None) -> str:
    """The option of ``serve`` that takes ADDRESS:PORT (``--dev-addr`` today)."""
    out = subprocess.run(
        [sys.executable, "-m", "generator", "serve", "--help"], capture_output=True, text=True, env=env, cwd="/"
    ).stdout
    for option in ("--dev-addr", "--addr", "--address", "-a"):
        if option in out.split():
            return option
    return "--dev-addr"


# --------------------------------------------------------------------------- the server's CPU


_tree = build_bench._tree  # ``pid`` and its live descendants


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by ``pid`` and its live descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def wait_idle(pid: int, limit: float) -> float:
    """Wait until the server uses < 5% of a CPU over 0.5 s (at most ``limit`` s); the wait."""
    start = time.perf_counter()
    before = cpu_seconds(pid)
    while time.perf_counter() - start < limit:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - before < 0.025:
            break
        before = now
    return time.perf_counter() - start


# --------------------------------------------------------------------------- polling


def poll(client: httpx.Client, url: str, done: Any, start: float, timeout: float) -> float | None:
    """Seconds from ``start`` to the first answer of ``url`` for which ``done(status, text)``."""
    while True:
        try:
            response = client.get(url)
            if done(response.status_code, response.text):
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        if time.perf_counter() - start > timeout:
            return None
        time.sleep(POLL)


def dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=build_bench._Dumper, allow_unicode=True, sort_keys=False, width=1000)


def marker(rng: random.Random) -> str:
    return "ck" + "".join(rng.choice(string.ascii_lowercase) for _ in range(8))


def shows(text: str, page: str) -> bool:
    return html.escape(text, quote=False) in page or text in page


class Project:
    """The synthetic project being edited, and the pages to look at."""

    def __init__(self, root: Path, n: int, facts: dict[str, Any]):
        self.root, self.n = root, n
        self.disclosures = root / "disclosures"
        self.rng = random.Random(f"preview/{n}")
        self.files = sorted(p for p in self.disclosures.rglob("*.yml") if "duong-day-nong" not in p.parts)
        self.hotline = next((self.disclosures / "duong-day-nong").rglob("*.yml"))
        self.logged: set[str] = set()
        self.used: set[Path] = set()
        self.added = 0

    def url_of(self, path: Path) -> str:
        rel = path.relative_to(self.disclosures).with_suffix("")
        return rel.as_posix() + "/"

    def key_of(self, path: Path) -> str:
        return path.relative_to(self.disclosures).with_suffix("").as_posix()

    def pick(self, category: str | None = None) -> Path:
        """A record file not used by an earlier change."""
        candidates = [
            p
            for p in self.files
            if p not in self.used and self.key_of(p) not in self.logged and (category is None or category in p.parts)
        ]
        path = self.rng.choice(candidates)
        self.used.add(path)
        return path

    # each change: (page polled, done(status, text)) after writing the file

    def change_title(self) -> tuple[str, Any]:
        path = self.pick()
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        word = marker(self.rng)
        data["title"] = f"{data['title']} {word}"
        path.write_text(dump(data), encoding="utf-8")
        return self.url_of(path), lambda status, text: status == 200 and word in text

    def add_record(self) -> tuple[str, Any]:
        self.added += 1
        index = 90000 + self.added
        year, stem, data = build_bench.make_record("tuyen-dung", index, random.Random(f"preview/new/{index}"))
        word = marker(self.rng)
        data["title"] = f"{data['title']} {word}"
        folder = self.disclosures / "tuyen-dung" / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stem}.yml"
        path.write_text(dump(data), encoding="utf-8")
        self.used.add(path)
        return self.url_of(path), lambda status, text: status == 200 and word in text

    def delete_record(self, client: httpx.Client, base: str) -> tuple[str, Any]:
        path = self.pick("tuyen-dung")
        title = yaml.safe_load(path.read_text(encoding="utf-8"))["title"]
        url = self.url_of(path)
        year = path.parent.name
        client.get(base + url)  # the preview has shown it once
        listing = f"tuyen-dung/{year}/"
        path.unlink()

        def done(status: int, text: str) -> bool:
            if status != 404:
                return False
            page = client.get(base + listing)
            return page.status_code == 200 and not shows(title, page.text)

        return url, done

    def change_hotline(self) -> tuple[str, Any]:
        data = yaml.safe_load(self.hotline.read_text(encoding="utf-8"))
        word = marker(self.rng)
        phones = data["phones"]
        phones.reverse()
        phones[0]["label"] = f"Đường dây nóng {word}"
        self.hotline.write_text(dump(data), encoding="utf-8")
        other = self.url_of(self.pick())
        return other, lambda status, text: status == 200 and word in text

    def append_log(self) -> tuple[str, Any]:
        # the event is made and sealed with the project's own functions (chain, hash)
        if str(build_bench.SOURCE) not in sys.path:  # the generator measured, not the installed one
            sys.path.insert(0, str(build_bench.SOURCE))
        from generator.core.config import TIMEZONE
        from generator.core.values import now_rfc3339
        from generator.ledger.log import read_log, seal, serialise

        path = self.pick()
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        key = self.key_of(path)
        log_path = self.root / "publication-log.jsonl"
        log = read_log(log_path)
        at = now_rfc3339(TIMEZONE)
        if log.events and at < log.events[-1]["at"]:
            at = log.events[-1]["at"]
        event = {
            "at": at,
            "id": key,
            "category": key.split("/", 1)[0],
            "title": data["title"],
            "document_number": (data.get("document") or {}).get("number"),
            "url": build_bench.SITE_URL + self.url_of(path),
            "content_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "attachments": [],
            "commit": None,
            "event": "published",
            "version": 1,
        }
        (sealed,) = seal(log, [event])
        with log_path.open("ab") as handle:
            handle.write(serialise(sealed))
        self.logged.add(key)
        head = sealed["hash"]
        return "", lambda status, text: status == 200 and head in text


def bench_size(n: int, workdir: Path, repeat: int, timeout: float, settle: float) -> dict[str, Any]:
    project = workdir / f"n{n}"
    print(f"\n== N = {n}: {project}", flush=True)
    facts = build_bench.make_project(project, n)
    edit = Project(project, n, facts)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    option = address_option(build_bench.CHILD_ENV)
    argv = [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "serve", option, f"127.0.0.1:{port}"]
    print("   " + " ".join(argv[1:]), flush=True)
    result: dict[str, Any] = {"n": n, "command": argv[1:], "changes": {k: [] for k in KINDS}}
    log = (project / "serve.log").open("wb")
    start = time.perf_counter()
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=build_bench.CHILD_ENV, cwd=project)
    try:
        with httpx.Client(timeout=max(timeout, 30)) as client:
            first = poll(client, base, lambda s, t: s == 200, start, max(timeout, 600))
            record = facts["first_record_url"]["tiep-cong-dan"]
            first_record = poll(client, base + record, lambda s, t: s == 200, start, max(timeout, 600))
            result["first_page"], result["first_record_page"] = first, first_record
            print(
                f"   first page {first and round(first, 2)} s, first record page {first_record and round(first_record, 2)} s"
            )
            if first is None:
                raise RuntimeError("the server never answered; see serve.log")
            for attempt in range(repeat):
                for kind in KINDS:
                    waited = wait_idle(server.pid, settle)
                    t0 = time.perf_counter()
                    if kind == "title":
                        url, done = edit.change_title()
                    elif kind == "new record":
                        url, done = edit.add_record()
                    elif kind == "delete":
                        url, done = edit.delete_record(client, base)
                        t0 = time.perf_counter()  # the file is gone now; the page request before it does not count
                    elif kind == "hotline":
                        url, done = edit.change_hotline()
                    else:
                        url, done = edit.append_log()
                    seconds = poll(client, base + url, done, t0, timeout)
                    result["changes"][kind].append(seconds)
                    shown = "timeout" if seconds is None else f"{seconds:.2f} s"
                    print(f"   {attempt + 1}/{repeat} {kind:<10} {shown} (idle wait {waited:.1f} s) /{url}", flush=True)
                    if server.poll() is not None:
                        raise RuntimeError("the server stopped; see serve.log")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    result["medians"] = {
        kind: (statistics.median(v) if v and None not in v else None) for kind, v in result["changes"].items()
    }
    return result


def table(results: list[dict[str, Any]]) -> str:
    head = [
        "N",
        "first page (s)",
        "first record page (s)",
        *[f"{k} (s)" for k in KINDS],
        "target (s)",
        "worst ≤ target",
    ]
    rows = []
    for r in results:
        medians = [r["medians"][k] for k in KINDS]
        target = TARGETS.get(r["n"])
        worst = None if None in medians else max(medians)
        if target is None:
            ok = "-"
        elif worst is None:
            ok = "no (timeout)"
        else:
            ok = "yes" if worst <= target else "no"
        rows.append(
            [
                str(r["n"]),
                f"{r['first_page']:.2f}" if r.get("first_page") is not None else "-",
                f"{r['first_record_page']:.2f}" if r.get("first_record_page") is not None else "-",
                *["timeout" if m is None else f"{m:.2f}" for m in medians],
                "-" if target is None else f"{target:g}",
                ok,
            ]
        )
    return build_bench.markdown_table(head, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated record counts (default 1000,5000)")
    parser.add_argument("--repeat", type=int, default=3, help="changes of each kind per size (median reported)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for one change to show")
    parser.add_argument("--settle", type=float, default=60, help="longest wait for the server to be idle")
    parser.add_argument("--workdir", help="create the projects here (kept); default: a temporary folder")
    parser.add_argument("--live", action="store_true", help="run the working tree's generator/, not a copy")
    parser.add_argument("--json", dest="json_file", help="write every figure as JSON to this file")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    workdir = Path(args.workdir).resolve() if args.workdir else Path(tempfile.mkdtemp(prefix="congkhai-preview-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.live:
        build_bench.snapshot_generator(workdir)
    print(f"máy: {machine()}")
    print(f"lệnh: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"generator {build_bench.generator_fingerprint()} from {build_bench.SOURCE / 'generator'}", flush=True)
    results = []
    try:
        for n in sizes:
            results.append(bench_size(n, workdir, args.repeat, args.timeout, args.settle))
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(table(results))
    print(f"\nmedian of {args.repeat} changes of each kind; targets: ≤ 1.5 s at 1,000 records, ≤ 3 s at 5,000")
    print(f"máy sau khi đo: {machine()}")
    if args.json_file:
        meta = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine(), "argv": sys.argv}
        Path(args.json_file).write_text(json.dumps({"meta": meta, "results": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
