"""generator.parallel.start_map: forked workers started now, read later, give the results
of one process, in order (``verify --site`` checks pages with it while records load)."""

from __future__ import annotations

import os

import pytest

from generator import parallel
from generator.errors import CongkhaiError


def test_results_in_order_from_workers():
    parent = os.getpid()
    items = list(range(50))
    results = list(parallel.start_map(lambda i: (i * i, os.getpid()), items, 3))
    assert [r for r, _ in results] == [i * i for i in items]
    assert all(pid != parent for _, pid in results)  # a closure, run by the workers


def test_one_worker_runs_here_unless_in_background():
    parent = os.getpid()
    assert set(parallel.start_map(lambda i: os.getpid(), [1, 2, 3], 1)) == {parent}
    assert parent not in set(parallel.start_map(lambda i: os.getpid(), [1, 2, 3], 1, background=True))


def test_a_worker_error_is_raised_here():
    def fail(i: int) -> int:
        if i == 7:
            raise ValueError("seven")
        return i

    with pytest.raises(ValueError, match="seven"):
        list(parallel.start_map(fail, list(range(10)), 2))


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
