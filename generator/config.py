"""Settings of a congkhai project, independent of the site engine.

The MkDocs plugin fills them from ``mkdocs.yml`` (``plugins: - congkhai: …``); another
engine's adapter would fill them from its own configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

TIMEZONE = "Asia/Ho_Chi_Minh"
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
    domain), which the privacy guard lets through (see :mod:`generator.privacy`)."""
    max_attachment_bytes: int = MAX_ATTACHMENT_MB * 1024 * 1024
    """Attachments larger than this are refused by ``check``."""

    def url_for(self, url_path: str) -> str:
        """The absolute permanent URL of ``url_path`` (e.g. ``tiep-cong-dan/2026/x/``)."""
        base = self.site_url or "/"
        return base.rstrip("/") + "/" + url_path.lstrip("/")
