"""The log's outside anchors as kept beside it: its checkpoints and the RFC 3161 tokens
over them (SPEC 4a)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Anchors:
    """The log's checkpoints (note bytes by tree size) and the RFC 3161 tokens over them
    (``size -> tsa name -> token``), as kept beside the log."""

    notes: dict[int, bytes] = field(default_factory=dict)
    tokens: dict[int, dict[str, bytes]] = field(default_factory=dict)

    @property
    def latest(self) -> int | None:
        return max(self.notes) if self.notes else None

    def covering(self, seq: int) -> int | None:
        """The first checkpoint that contains event ``seq`` (its size), if any."""
        sizes = [size for size in self.notes if size >= seq]
        return min(sizes) if sizes else None

    def with_checkpoint(self, size: int, note: bytes, tokens: dict[str, bytes]) -> Anchors:
        return Anchors({**self.notes, size: note}, {**self.tokens, size: dict(tokens)})
