"""What the command line asks of the site engine, in one typed door: load the
configuration (:func:`load_config`, :func:`load_settings`), build the site
(:func:`build_site`), set up the engine's log (:func:`setup_logging`).

The command line imports no MkDocs module: everything it needs of MkDocs passes here, and
every problem comes out as one :class:`~generator.core.errors.CongkhaiError` (a record's
problem, raised by the plugin in any process of the build, carried by
:class:`~generator.mkdocs_plugin.plugin.ProblemsError`, is unwrapped here and only here).
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config import load_config as mkdocs_load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, BuildError, ConfigurationError, PluginError

from generator.core.config import Settings
from generator.core.errors import CongkhaiError
from generator.mkdocs_plugin.plugin import CongkhaiPlugin, ProblemsError, option_problems, settings_from
from generator.website.site import Site

LOGGER = "mkdocs"


def setup_logging(verbose: bool) -> None:
    """The engine's messages on standard error, as ``LEVEL: message`` (INFO with ``-v``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def load_config(config_file: str | Path, **overrides: Any) -> MkDocsConfig:
    """The site's configuration; our own options checked first with Vietnamese messages and
    their lines, then MkDocs' (its details are logged above the one-line summary)."""
    path = Path(config_file)
    if not path.is_file():
        raise CongkhaiError(
            f"không tìm thấy tệp cấu hình {config_file}; hãy chạy lệnh trong thư mục có mkdocs.yml hoặc dùng -f"
        )
    problems = option_problems(path)
    if problems:
        raise CongkhaiError(problems)
    try:
        return mkdocs_load_config(config_file=str(path), **overrides)
    except (ConfigurationError, Abort, PluginError) as exc:
        raise CongkhaiError(f"{path.name}: cấu hình không hợp lệ ({exc})") from None


def plugin_of(config: MkDocsConfig, config_file: str | Path) -> CongkhaiPlugin:
    """The congkhai plugin of a loaded configuration."""
    plugin = config.plugins.get("congkhai")
    if not isinstance(plugin, CongkhaiPlugin):
        raise CongkhaiError(f"{Path(config_file).name}: chưa khai báo plugin congkhai trong mục plugins")
    return plugin


def settings_of(config: MkDocsConfig, config_file: str | Path) -> Settings:
    """The core's settings of a loaded configuration."""
    return settings_from(config, plugin_of(config, config_file).config)


def load_settings(config_file: str | Path) -> Settings:
    """The core's settings (paths, site address, agency, log, TSAs) from ``mkdocs.yml``."""
    return settings_of(load_config(config_file), config_file)


_MKDOCS_PAGE_ERROR = re.compile(r"Error (?:reading|building) page '[^']*':")


class _HideProblems(logging.Filter):
    """Drop MkDocs' own log line of our problems: the command line prints them itself."""

    def __init__(self, plugin: CongkhaiPlugin):
        super().__init__()
        self.plugin = plugin

    def filter(self, record: logging.LogRecord) -> bool:
        error = self.plugin.error
        if error is None:
            return True
        text = record.getMessage()  # MkDocs also logs which page it was reading or building
        return not (text.endswith(str(error)) or _MKDOCS_PAGE_ERROR.fullmatch(text))


@dataclass(frozen=True)
class Built:
    site_dir: Path
    """Where the site was written."""
    site: Site | None
    """The site that was built (for its warnings)."""


def build_site(
    config_file: str | Path,
    site_dir: str | Path | None = None,
    site: Site | None = None,
    reuse: bool = False,
    previous: Path | None = None,
) -> Built:
    """The strict build (any warning fails it) of the site of ``config_file``, by
    :func:`generator.mkdocs_plugin.engine.build`. ``site``: already loaded and checked
    (``publish``: with the events it is about to log), rendered as it is. ``reuse``: pages
    whose inputs did not change since the last such build are taken from the project's page
    cache (:class:`generator.mkdocs_plugin.engine.PageCache`), the same bytes; with ``reuse``,
    ``previous`` (the release being served) lends its files that did not change, as hard links."""
    overrides: dict[str, Any] = {"strict": True}
    if site_dir:
        overrides["site_dir"] = str(Path(site_dir).resolve())
    from generator.mkdocs_plugin import engine  # MkDocs' build steps: only the commands that build load them

    config = load_config(config_file, **overrides)
    plugin = plugin_of(config, config_file)
    plugin.preloaded = site
    quiet = _HideProblems(plugin)
    handlers = logging.getLogger(LOGGER).handlers
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        root = Path(config.config_file_path).resolve().parent
        engine.build(config, cache_root=root if reuse else None, previous=previous if reuse else None)
    except ProblemsError as exc:
        raise exc.cause from None
    except (Abort, BuildError, PluginError) as exc:
        if plugin.error is not None:
            raise plugin.error.cause from None
        raise CongkhaiError(f"dựng trang thất bại: {exc}") from None
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)
    return Built(Path(config.site_dir), plugin.site)
