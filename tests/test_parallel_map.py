"""generator.core.parallel: :func:`fork_map` gives the results of one process, in order;
:func:`fork_call` runs one call in a process of its own while the caller goes on
(``verify --site`` checks the served pages with it while the records load, on a pool of
their own)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from generator.core import parallel
from generator.core.errors import CongkhaiError


def test_results_in_order_from_workers():
    parent = os.getpid()
    items = list(range(50))
    with parallel.fork_map(lambda i: (i * i, os.getpid()), items, 3) as results:
        found = list(results)
    assert [r for r, _ in found] == [i * i for i in items]
    assert all(pid != parent for _, pid in found)  # a closure, run by the workers


def test_one_worker_runs_here():
    parent = os.getpid()
    with parallel.fork_map(lambda i: os.getpid(), [1, 2, 3], 1) as results:
        assert set(results) == {parent}


def test_a_worker_error_is_raised_here():
    def fail(i: int) -> int:
        if i == 7:
            raise ValueError("seven")
        return i

    with pytest.raises(ValueError, match="seven"), parallel.fork_map(fail, list(range(10)), 2) as results:
        list(results)


def test_a_call_runs_in_a_process_of_its_own_while_this_one_may_still_fork():
    parent = os.getpid()

    def call() -> tuple[int, bool, int]:
        return os.getpid(), parallel.in_worker(), parallel.pays(1000, 2, workers=2)

    threads = threading.active_count()  # other tests may have left a thread of their own
    forked = parallel.fork_call(call)
    assert threading.active_count() == threads  # no thread started here: the caller may still fork
    with parallel.fork_map(lambda i: i + 1, list(range(20)), 2) as results:
        assert list(results) == list(range(1, 21))
    pid, marked, nested = forked.result()
    assert pid != parent and marked and nested == 0  # a worker starts no pool of its own
    assert not parallel.in_worker()


def test_a_call_that_raises_or_is_killed_gives_no_result():
    def fail() -> None:
        raise RuntimeError("hỏng")

    with pytest.raises(parallel.WorkerDied) as died:
        parallel.fork_call(fail).result()
    assert died.value.code == 1

    forked = parallel.fork_call(lambda: time.sleep(30))
    os.kill(forked.pid, signal.SIGKILL)
    with pytest.raises(parallel.WorkerDied) as died:
        forked.result()
    assert died.value.code == -signal.SIGKILL


def test_a_call_no_longer_wanted_is_stopped():
    forked = parallel.fork_call(lambda: time.sleep(30))
    pid = forked.pid
    started = time.monotonic()
    forked.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no process left behind


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_bad_count_is_refused(monkeypatch, value):
    monkeypatch.setenv(parallel.JOBS_VARIABLE, value)
    with pytest.raises(CongkhaiError, match="CONGKHAI_JOBS"):
        parallel.jobs()


def test_chunks_cover_every_item_once():
    items = list(range(1001))
    pieces = parallel.chunks(items, 2)
    assert [i for piece in pieces for i in piece] == items
    assert max(len(p) for p in pieces) <= 200 and len(pieces) >= 16
