"""Problems found in user input, reported as ``path:line: field: message``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input file.

    ``path`` is relative to the project root (POSIX separators), ``line`` is 1-based,
    ``field`` is the dotted field path (list positions written ``[n]``, counted from 1).
    """

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        if not self.path:  # a problem with no file (configuration, command line)
            return self.message
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class CongkhaiError(Exception):
    """The one error type the core raises for bad input or a failed check.

    It carries a list of :class:`Problem`; ``str()`` gives one line per problem.
    ``changed`` says what the failed command did change (None: nothing), so that the
    command line never claims that nothing changed when something did.
    """

    def __init__(self, problems: list[Problem] | Problem | str, changed: str | None = None):
        if isinstance(problems, str):
            problems = [Problem("", 0, "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = sorted(problems)
        self.changed = changed
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple:
        """Pickled whole (a build's worker process sends its problems to the parent)."""
        return (type(self), (self.problems, self.changed))
