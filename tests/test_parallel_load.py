"""Records read on several cores (``generator.records.record._loading``) are exactly those read in
one process: the same records (each with the parent's category object), the same problems
in the same order, the same broken keys; and ``congkhai check`` prints the same lines with
the same exit status whatever ``CONGKHAI_JOBS`` says.

The project: the repository's sample records, each also copied under 14 other names (more
than :data:`~generator.records.record.PARALLEL_FROM` files, so the pool is used), plus every
record of the bad-input corpus, each in a folder of its own. The loads run in a fresh
Python process: the test process may run other threads, and then records are read in one
process only (forking a process with threads is not safe).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.core import parallel
from generator.core.errors import CongkhaiError
from generator.records import record as records
from generator.website.pipeline import RECORD_CACHE
from tests.conftest import REPO, copy_sample, run_cli
from tests.test_bad_inputs import CASES, _prepare

COPIES = 14


def _project(root: Path, bad: bool) -> Path:
    copy_sample(root)
    for path in sorted((root / "disclosures").rglob("*")):
        if path.suffix in (".yml", ".md") and not path.name.startswith("_"):
            for k in range(1, COPIES + 1):
                shutil.copyfile(path, path.with_name(f"{path.stem}-{k}{path.suffix}"))
    if bad:
        for k, case in enumerate(CASES.values()):
            parts = case["to"].split("/")
            if case.get("options") or parts[-1].startswith("_"):
                continue  # a changed mkdocs.yml or category file concerns the whole project
            if len(parts) >= 4:
                parts[2] = f"{parts[2]}-c{k}"
            else:
                parts[-1] = f"c{k}-{parts[-1]}"
            _prepare(root, {**case, "to": "/".join(parts)})
        # two files with the same address
        first = next(p for p in sorted((root / "disclosures").rglob("*.yml")) if not p.name.startswith("_"))
        shutil.copyfile(first, first.with_suffix(".yaml"))
    return root


def _run(argv: list[str], jobs: str | None, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("CONGKHAI_JOBS", None)
    if jobs is not None:
        env["CONGKHAI_JOBS"] = jobs
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


COMPARE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from generator.records import record as records
    from generator.records.category_file import load_categories, load_common

    root = Path(sys.argv[1])
    categories = load_categories(root / "disclosures", root)
    common = load_common()

    def load(jobs):
        return records.load_records(root / "disclosures", root, categories, common, jobs=jobs)

    calls = []
    unpickled = records._unpickled
    records._unpickled = lambda *args: calls.append(1) or unpickled(*args)
    one, problems, broken = load(1)
    assert not calls
    for jobs in (2, 3):
        many, many_problems, many_broken = load(jobs)
        assert calls, "the pool was not used"
        assert many_problems == problems
        assert many_broken == broken
        assert len(many) == len(one)
        for a, b in zip(one, many):
            assert b.category is a.category is categories[a.category.slug]
            assert {k: v for k, v in vars(a).items() if k != "category"} == {
                k: v for k, v in vars(b).items() if k != "category"
            }, a.relpath
        calls.clear()
    # the privacy guard over the public records, in one process and shared among two
    import os
    from generator.records import privacy
    public = [r for r in one if r.public]
    assert len(public) >= privacy.PARALLEL_FROM
    guard = privacy.Guard(privacy.Allow(), privacy.Allow().only(privacy.hotline_values(one)))
    os.environ["CONGKHAI_JOBS"] = "1"
    alone = guard.check(one)
    os.environ["CONGKHAI_JOBS"] = "2"
    assert guard.check(one) == alone
    print(len(one), len(problems), len(broken), len(alone))
    """
)


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    base = tmp_path_factory.mktemp("parallel")
    return _project(base / "good", bad=False), _project(base / "bad", bad=True)


def test_the_projects_are_large_enough_for_the_pool(projects):
    for root in projects:
        files = records.find_record_files(root / "disclosures")
        assert len(files) >= records.PARALLEL_FROM


def test_parallel_and_serial_loads_give_the_same_records_and_problems(projects):
    for root in projects:
        result = _run([sys.executable, "-c", COMPARE, str(root)], None, root)
        assert result.returncode == 0, result.stderr
        loaded, problems, broken, private = (int(x) for x in result.stdout.split())
        assert loaded >= records.PARALLEL_FROM
        if root.name == "bad":
            assert problems > 80 and broken > 50 and private > 10
        else:
            assert problems == broken == 0  # (privacy: the guard here has no allow-list of mkdocs.yml)


def test_check_prints_the_same_whatever_the_jobs(projects):
    good, bad = projects
    for root, status in ((good, 0), (bad, 1)):
        argv = [sys.executable, "-m", "generator", "-f", str(root / "mkdocs.yml"), "check"]
        runs = []
        for jobs in ("1", None):  # each reads every file (the office's record cache emptied); None: every core
            (root / RECORD_CACHE).unlink(missing_ok=True)
            runs.append(_run(argv, jobs, root))
        runs.append(_run(argv, None, root))  # and once more from the record cache the last run kept
        assert (root / RECORD_CACHE).is_file() == (status == 0)  # a refused check writes nothing
        assert runs[0].returncode == status, runs[0].stderr[-2000:]
        assert "Traceback" not in runs[0].stderr
        for run in runs[1:]:
            assert (run.returncode, run.stdout, run.stderr) == (runs[0].returncode, runs[0].stdout, runs[0].stderr)


@pytest.mark.parametrize("value", ["0", "-1", "hai", "1.5", "２"])
def test_a_bad_jobs_value_is_refused(projects, monkeypatch, value):
    monkeypatch.setenv("CONGKHAI_JOBS", value)
    with pytest.raises(CongkhaiError, match=f"biến môi trường CONGKHAI_JOBS='{value}' không hợp lệ"):
        parallel.jobs()
    good, _ = projects
    result = run_cli(good, "check")
    assert result.exit_code == 1
    assert f"biến môi trường CONGKHAI_JOBS='{value}' không hợp lệ" in result.output


def test_jobs_default_to_the_usable_cores(monkeypatch):
    monkeypatch.delenv("CONGKHAI_JOBS", raising=False)
    assert parallel.jobs() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("CONGKHAI_JOBS", " 3 ")
    assert parallel.jobs() == 3


def _same(a: list[records.Record], b: list[records.Record]) -> None:
    assert [r.relpath for r in a] == [r.relpath for r in b]
    for x, y in zip(a, b, strict=True):
        assert x.category is y.category
        assert {k: v for k, v in vars(x).items() if k != "date"} == {k: v for k, v in vars(y).items() if k != "date"}
        assert x.date == y.date


def test_the_stored_record_cache_gives_what_reading_gives(tmp_path):
    """What ``check``, ``build`` and ``publish`` keep of each record file between commands
    (:class:`~generator.records.record.StoredRecordCache`) gives the records, problems and
    broken keys that reading every file gives: kept, after edits (a record changed, one
    removed, a file added beside a record, a bad record), with a changed category file (then
    nothing is reused), and from a damaged cache file."""
    from generator.core.config import Settings
    from generator.website import pipeline

    root = _project(tmp_path / "p", bad=True)
    disclosures = root / "disclosures"
    settings = Settings(root=root, disclosures_dir=disclosures, docs_dir=root / "content", log_path=root / "log.jsonl")
    today = records.dt.date(2026, 12, 1)
    store = root / RECORD_CACHE

    def both(expect_reused: bool | None = None) -> None:
        categories = pipeline.load_categories(disclosures, root)
        common = pipeline.load_common()
        salt = pipeline._record_salt(settings, today)
        cache = records.StoredRecordCache.open(store, salt, categories)
        kept = records.load_records(disclosures, root, categories, common, today=today, cache=cache, jobs=1)
        cache.save()
        read = records.load_records(disclosures, root, categories, common, today=today, jobs=1)
        _same(kept[0], read[0])
        assert kept[1:] == read[1:]
        if expect_reused is not None:
            assert (cache.reused > 0) is expect_reused
        return cache

    first = both(expect_reused=False)
    assert first.changed and store.is_file()
    again = both(expect_reused=True)
    assert again.reused == len(first._stored) and not again.changed

    files = sorted(p for p in disclosures.rglob("*.yml") if not p.name.startswith("_"))
    text = files[0].read_text(encoding="utf-8")
    files[0].write_text(text.replace("title:", "title: Đã sửa", 1), encoding="utf-8")
    files[1].unlink()
    (files[2].parent / "phu-luc-moi.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    files[3].write_text("title: [không đóng\n", encoding="utf-8")
    after = both(expect_reused=True)
    assert len(after._stored) == len(first._stored) - 1

    category = disclosures / "tiep-cong-dan" / "_category.yml"
    shutil.copy(REPO / "generator/records/category_data/tiep-cong-dan.yml", category)
    both(expect_reused=False)
    both(expect_reused=True)

    store.write_bytes(b"not a pickle")
    both(expect_reused=False)
