"""The log's outside anchors as kept beside it: its checkpoints, the RFC 3161 tokens over
them (SPEC 4a) and the witnesses' cosignatures on them (SPEC 4c)."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.ledger import cosign


@dataclass(frozen=True)
class Anchors:
    """The log's checkpoints (note bytes by tree size), the RFC 3161 tokens over them
    (``size -> tsa name -> token``) and the cosignature lines received
    (``size -> witness name -> lines``), as kept beside the log."""

    notes: dict[int, bytes] = field(default_factory=dict)
    tokens: dict[int, dict[str, bytes]] = field(default_factory=dict)
    cosignatures: dict[int, dict[str, bytes]] = field(default_factory=dict)

    @property
    def latest(self) -> int | None:
        return max(self.notes) if self.notes else None

    def covering(self, seq: int) -> int | None:
        """The first checkpoint that contains event ``seq`` (its size), if any."""
        sizes = [size for size in self.notes if size >= seq]
        return min(sizes) if sizes else None

    def served(self, size: int) -> bytes:
        """The checkpoint of ``size`` as served: the office's note (the bytes its tokens
        cover) with the cosignature lines received appended."""
        lines = [line for _, data in sorted(self.cosignatures.get(size, {}).items()) for line in cosign.lines_of(data)]
        return cosign.with_lines(self.notes[size], lines)

    def with_checkpoint(
        self, size: int, note: bytes, tokens: dict[str, bytes], cosignatures: dict[str, bytes] | None = None
    ) -> Anchors:
        return Anchors(
            {**self.notes, size: note},
            {**self.tokens, size: dict(tokens)},
            {**self.cosignatures, size: dict(cosignatures or {})},
        )
