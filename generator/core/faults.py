"""Fault injection for crash tests of ``publish``.

When the environment variable ``CONGKHAI_CRASH_AT`` is ``N``, the N-th call to
:func:`fault_point` kills the process at once with SIGKILL (no clean-up, like a power
cut); when it is a name (``copied``), the first fault point of that name does. Unset,
:func:`fault_point` does nothing. The tests kill a publish at every point
and check that the log verifies and the deployed site is a whole old or whole new one.
"""

from __future__ import annotations

import os
import signal

_count = 0


def fault_point(name: str) -> None:
    """A point where a publish may be killed in a crash test."""
    global _count
    target = os.environ.get("CONGKHAI_CRASH_AT")
    if not target:
        return
    _count += 1
    if (_count == int(target)) if target.isdigit() else (name == target):
        os.kill(os.getpid(), signal.SIGKILL)
