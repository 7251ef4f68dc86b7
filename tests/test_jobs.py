"""generator.jobs: forked workers give the results of one process, in order."""

from __future__ import annotations

import os

import pytest

from generator import jobs
from generator.errors import CongkhaiError


def test_results_in_order_from_workers(monkeypatch):
    monkeypatch.setenv(jobs.ENV, "3")
    parent = os.getpid()
    items = list(range(50))
    results = list(jobs.fork_map(lambda i: (i * i, os.getpid()), items))
    assert [r for r, _ in results] == [i * i for i in items]
    assert all(pid != parent for _, pid in results)  # a closure, run by the workers


def test_one_job_runs_here_unless_in_background(monkeypatch):
    monkeypatch.setenv(jobs.ENV, "1")
    parent = os.getpid()
    assert {pid for pid in jobs.fork_map(lambda i: os.getpid(), [1, 2, 3])} == {parent}
    assert parent not in set(jobs.fork_map(lambda i: os.getpid(), [1, 2, 3], 1, background=True))


def test_a_worker_error_is_raised_here(monkeypatch):
    monkeypatch.setenv(jobs.ENV, "2")

    def fail(i: int) -> int:
        if i == 7:
            raise ValueError("seven")
        return i

    with pytest.raises(ValueError, match="seven"):
        list(jobs.fork_map(fail, list(range(10))))


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_bad_count_is_refused(monkeypatch, value):
    monkeypatch.setenv(jobs.ENV, value)
    with pytest.raises(CongkhaiError, match="CONGKHAI_JOBS"):
        jobs.count()


def test_chunks_cover_every_item_once():
    items = list(range(1001))
    pieces = jobs.chunks(items, 2)
    assert [i for piece in pieces for i in piece] == items
    assert max(len(p) for p in pieces) <= 200 and len(pieces) >= 16
