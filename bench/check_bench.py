#!/usr/bin/env python3
"""How long ``congkhai check`` takes on a large project (issue 12: 10,000 records ≤ 5 s).

For each size N it writes the synthetic project of ``build_bench.py`` (or takes an
existing one with ``--project``), then runs ``python -m generator -f <project>/mkdocs.yml
check`` ``--repeat`` times in its own subprocess for each ``--jobs`` value (``auto``:
``CONGKHAI_JOBS`` unset, every core the process may use; ``1``: no parallel reading), and
prints the median wall time, the runs, and the median CPU time (user + system of the child
and its workers, from ``os.wait4``). It also says whether every run printed exactly the
same output with the same exit status, and prints the machine: CPU model, cores, the cores
this process may use, memory and the load average before and after (the machine is shared:
a high load average means noisy times).

Usage::

    python bench/check_bench.py [--sizes 10000] [--repeat 3] [--jobs auto,1]
                                [--project DIR] [--workdir DIR] [--live]

As in ``build_bench.py``, ``generator/`` is copied first and the children import the copy
(``--live``: this checkout as it is).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import build_bench as bb


def machine() -> str:
    """CPU model, cores, the cores this process may run on, memory, Python and system."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " (" + line.split(":", 1)[1].strip() + ")"
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = f", {int(Path('/proc/meminfo').read_text().split()[1]) / 2**20:.1f} GB RAM"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPU{model}, "
        f"{usable} usable by this process{memory}"
    )


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "?"


def run_check(project: Path, jobs: str) -> tuple[float, float, int, bytes]:
    """One ``check``: wall seconds, CPU seconds (child and its reaped workers), exit status, output."""
    env = dict(bb.CHILD_ENV or os.environ)
    env.pop("CONGKHAI_JOBS", None)
    if jobs != "auto":
        env["CONGKHAI_JOBS"] = jobs
    argv = [sys.executable, "-m", "generator", "-f", str(project / "mkdocs.yml"), "check"]
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=project)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), out.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000", help="record counts, comma-separated (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size and jobs value; the median is reported")
    parser.add_argument(
        "--jobs", default="auto", help="CONGKHAI_JOBS values, comma-separated: auto (unset) or a number"
    )
    parser.add_argument("--project", help="check this existing project instead of writing one (--sizes is ignored)")
    parser.add_argument("--workdir", help="write the projects here and keep them (default: a temporary folder)")
    parser.add_argument("--live", action="store_true", help="import generator/ from this checkout, no snapshot")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        workdir = Path(args.workdir) if args.workdir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        workdir.mkdir(parents=True, exist_ok=True)
        if args.live:
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(bb.ROOT), env.get("PYTHONPATH")]))
            bb.CHILD_ENV = env
        else:
            bb.snapshot_generator(workdir)
        print(f"máy: {machine()}")
        print(f"mã đo: generator {bb.generator_fingerprint()}; tải trung bình lúc đầu: {load_average()}")
        projects: list[tuple[str, Path]] = []
        if args.project:
            project = Path(args.project).resolve()
            count = sum(1 for p in (project / "disclosures").rglob("*") if p.suffix in (".yml", ".yaml", ".md"))
            projects.append((f"{count} ({project.name})", project))
        else:
            for n in (int(s) for s in args.sizes.split(",")):
                project = workdir / f"p{n}"
                if not (project / "mkdocs.yml").is_file():
                    bb.make_project(project, n)
                projects.append((str(n), project))
        print()
        print("| N | jobs | check (s), median | the runs (s) | CPU (s), median | exit | same output |")
        print("|---:|---|---:|---|---:|---:|---|")
        for label, project in projects:
            outputs: set[tuple[int, bytes]] = set()
            for jobs in args.jobs.split(","):
                runs = [run_check(project, jobs.strip()) for _ in range(args.repeat)]
                walls = [r[0] for r in runs]
                outputs |= {(r[2], r[3]) for r in runs}
                print(
                    f"| {label} | {jobs} | {statistics.median(walls):.2f} | {', '.join(f'{w:.2f}' for w in walls)} | "
                    f"{statistics.median(r[1] for r in runs):.2f} | {','.join(sorted({str(r[2]) for r in runs}))} | "
                    f"{'yes' if len(outputs) == 1 else 'NO'} |",
                    flush=True,
                )
        print(f"\ntải trung bình lúc cuối: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
