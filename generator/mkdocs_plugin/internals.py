"""Every use of MkDocs below its public plugin API, in one module.

MkDocs is pinned ``<2`` and ProperDocs 1.6 (the maintained 1.x fork, SPEC 5b) has the same
names; ``tests/test_engine.py`` compares ``congkhai build`` with ``mkdocs build`` byte for byte,
``tests/test_properdocs.py`` the sample built by ProperDocs with the one built by MkDocs, and
``tests/test_pipeline.py`` fails when one of these names is used anywhere else. Each name,
and why it is used:

- ``mkdocs.commands.build._populate_page``: reads one page's Markdown and converts it, as
  ``mkdocs build`` does; the engine calls it for one page at a time (the preview renders the
  page asked for; the full build shares the pages among processes).
- ``mkdocs.commands.build._build_page``, ``_build_template``, ``_build_theme_template``,
  ``_build_extra_template``: render and write a page, ``404.html``, the theme's static
  templates (``sitemap.xml``) and extra templates exactly as ``mkdocs build`` does, with the
  same events.
- ``mkdocs.structure.pages._RawHTMLPreprocessor``, ``_ExtractAnchorsTreeprocessor``,
  ``_RelativePathTreeprocessor``, ``_ExtractTitleTreeprocessor`` (with their ``_register``) and
  ``Page._title_from_render``: ``Page.render`` makes a new Python-Markdown converter for every
  page; :func:`convert_page` resets one converter per process instead (the same processors,
  the same fields set), which is about a tenth of a build.
- ``MkDocsConfig._current_page``: set while a page is rendered, as ``_build_page`` sets it
  (Material's templates and plugins read it).
- ``File._content``: the content of a generated file (:class:`LazyFile`) is made when MkDocs
  first reads it, not when the file is listed (the preview never makes a page nobody opens).
- ``BaseConfigOption``'s ``_type`` and ``Config._schema``: the plugin's options checked with
  Vietnamese messages and the line in ``mkdocs.yml`` (MkDocs' own messages are English).
"""

from __future__ import annotations

import logging
from typing import Any

import markdown
from mkdocs.commands import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure import pages as mkdocs_pages
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

populate_page = mkdocs_build._populate_page
"""``_populate_page(page, config, files)``: read and convert one page's Markdown."""
build_page = mkdocs_build._build_page
"""``_build_page(page, config, doc_files, nav, env, excluded=…)``: render and write one page."""


def build_template(name: str, template: Any, files: Files, config: MkDocsConfig, nav: Navigation) -> str:
    """A theme template of the site (``404.html``), rendered as ``mkdocs build`` renders it."""
    return mkdocs_build._build_template(name, template, files, config, nav)


def build_theme_template(name: str, env: Any, files: Files, config: MkDocsConfig, nav: Navigation) -> None:
    """Write one of the theme's static templates (``sitemap.xml``) as ``mkdocs build`` does."""
    mkdocs_build._build_theme_template(name, env, files, config, nav)


def build_extra_template(name: str, files: Files, config: MkDocsConfig, nav: Navigation) -> None:
    """Write one of the site's ``extra_templates`` as ``mkdocs build`` does."""
    mkdocs_build._build_extra_template(name, files, config, nav)


def set_current_page(config: MkDocsConfig, page: Page | None) -> None:
    """The page being rendered, where ``_build_page`` keeps it."""
    config._current_page = page


def convert_page(page: Page, md: markdown.Markdown, config: MkDocsConfig, files: Files) -> None:
    """``page.render(config, files)`` of MkDocs (``mkdocs.structure.pages.Page.render``) with
    one converter reset for each page instead of a new one: MkDocs' own processors made for
    the page and registered in place of the last page's (same names), then the same
    conversion and the same fields set."""
    if page.markdown is None:
        raise RuntimeError("`markdown` field hasn't been set (via `read_source`)")
    md.reset()
    raw_html = mkdocs_pages._RawHTMLPreprocessor()
    raw_html._register(md)
    anchors = mkdocs_pages._ExtractAnchorsTreeprocessor(page.file, files, config)
    anchors._register(md)
    relative = mkdocs_pages._RelativePathTreeprocessor(page.file, files, config)
    relative._register(md)
    title = mkdocs_pages._ExtractTitleTreeprocessor()
    title._register(md)
    page.content = md.convert(page.markdown)
    page.toc = get_toc(getattr(md, "toc_tokens", []))
    page._title_from_render = title.title
    page.present_anchor_ids = anchors.present_anchor_ids | raw_html.present_anchor_ids
    if mkdocs_pages.log.getEffectiveLevel() > logging.DEBUG:
        page.links_to_anchors = relative.links_to_anchors


class LazyFile(File):
    """A generated file whose content is made by :meth:`make` when MkDocs first reads it
    (``File._content``), unless MkDocs or a plugin set it."""

    _override: str | bytes | None = None

    def make(self) -> str | bytes:  # pragma: no cover - every subclass makes its content
        raise NotImplementedError

    @property  # type: ignore[override]
    def _content(self) -> str | bytes:
        if self._override is not None:
            return self._override
        return self.make()

    @_content.setter
    def _content(self, value: str | bytes | None) -> None:
        self._override = value

    @property
    def made(self) -> str | bytes:
        """The file's content, as MkDocs reads it."""
        return self._content


def option_types(option: Any) -> tuple[type, ...]:
    """The Python types a plugin option of type ``c.Type`` accepts."""
    kinds = option._type
    return kinds if isinstance(kinds, tuple) else (kinds,)


def config_schema(config_class: Any) -> dict[str, Any]:
    """A plugin configuration class's options, by name."""
    return dict(config_class._schema)


PRIVATE_NAMES = (
    "_populate_page",
    "_build_page",
    "_build_template",
    "_build_theme_template",
    "_build_extra_template",
    "_RawHTMLPreprocessor",
    "_ExtractAnchorsTreeprocessor",
    "_RelativePathTreeprocessor",
    "_ExtractTitleTreeprocessor",
    "_register",
    "_title_from_render",
    "_current_page",
    "_content",
    "_type",
    "_schema",
)
"""The names above; ``tests/test_pipeline.py`` finds none of them outside this module."""
