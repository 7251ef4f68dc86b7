"""Settings of a congkhai project, independent of the site engine.

The MkDocs plugin fills them from ``mkdocs.yml`` (``plugins: - congkhai: …``); another
engine's adapter would fill them from its own configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TIMEZONE = "Asia/Ho_Chi_Minh"
CLOCK_SKEW_MINUTES = 5
"""Default of ``clock_skew``: minutes the office's clock may be off a TSA's."""
MAX_ATTACHMENT_MB = 50
"""Default size limit of one attachment, in megabytes (``max_attachment_mb``)."""


@dataclass(frozen=True)
class Settings:
    """Where things are and what the site is called.

    ``root`` is the project folder (the one holding ``mkdocs.yml``); relative paths are
    taken from it.
    """

    root: Path
    disclosures_dir: Path
    docs_dir: Path
    log_path: Path
    site_url: str = ""
    site_name: str = ""
    agency: str = ""
    timezone: str = TIMEZONE
    privacy_allow: tuple[str, ...] = field(default_factory=tuple)
    """The office's own phone numbers and e-mail addresses (``@domain`` for a whole
    domain), which the privacy guard lets through (see :mod:`generator.records.privacy`)."""
    max_attachment_bytes: int = MAX_ATTACHMENT_MB * 1024 * 1024
    """Attachments larger than this are refused by ``check``."""
    log_origin: str = ""
    """The name of the log in its checkpoints (default: ``site_url``'s host and path +
    ``nhat-ky-cong-khai``)."""
    signing_key: str = ""
    """Path of the office's Ed25519 key (PEM) that signs checkpoints; empty: the variable
    ``CONGKHAI_SIGNING_KEY``, or unsigned checkpoints."""
    timestamping: tuple[dict[str, str], ...] = ()
    """The time-stamping authorities asked for an RFC 3161 token on every new checkpoint:
    ``{name, url, ca}`` each (``ca`` relative to the project)."""
    witnesses: tuple[dict[str, str], ...] = ()
    """The witnesses asked for a cosignature on every new checkpoint: ``{name, url, key}`` each
    (``key``: the witness's C2SP verifier key)."""
    max_timestamp_delay_hours: int = 24
    """``verify`` reports an event whose attested time is later than its ``at`` by more."""
    clock_skew_minutes: int = CLOCK_SKEW_MINUTES
    """How far the office's clock may be off a TSA's (see :func:`generator.ledger.attest.tolerances`)."""
    signature_roots: tuple[str, ...] = ()
    """Root certificates (PEM files or folders, relative to ``root``) that the digital signatures of PDF
    attachments must chain to (see :mod:`generator.records.signatures`)."""

    def url_for(self, url_path: str) -> str:
        """The absolute permanent URL of ``url_path`` (e.g. ``tiep-cong-dan/2026/x/``)."""
        base = self.site_url or "/"
        return base.rstrip("/") + "/" + url_path.lstrip("/")
