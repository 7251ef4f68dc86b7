"""The one Jinja2 environment of congkhai: generated pages, the search page and the report.

Every template autoescapes (HTML text and attributes), so a value from a record reaches
HTML only through an escaping filter or as :class:`~markupsafe.Markup` made here from
cleaned HTML. Templates share these filters and globals:

- filters ``date`` (dd/mm/yyyy), ``size`` (``12,3 KB``), ``tel`` (a ``tel:`` link),
  ``tojson_yaml`` (a JSON string inside YAML front matter), ``body`` (a Markdown body,
  cleaned by nh3);
- globals ``value`` (a typed field value as HTML), ``scalar_spec``, ``relative_url`` and
  ``paths`` (:mod:`generator.core.paths`, where every site path is defined).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from generator.core import paths
from generator.core.sanitize import markdown_page_part, markdown_to_html
from generator.core.values import format_date, format_money, human_size
from generator.records.fields import Field

TEMPLATES = Path(__file__).parent / "templates"


def tel_link(number: str) -> str:
    """``0296 3800 000`` -> ``tel:02963800000``."""
    return "tel:" + "".join(c for c in number if c.isdigit() or c == "+")


def format_value(spec: Field, value: Any) -> Markup:
    """One typed scalar value as safe HTML, in Vietnamese notation."""
    if spec.type == "date":
        return escape(format_date(value))
    if spec.type == "time":
        return escape(value.strftime("%H:%M"))
    if spec.type == "month":
        return escape(value.strftime("%m/%Y"))
    if spec.type == "bool":
        return escape("Có" if value else "Không")
    if spec.type == "money":
        return escape(format_money(value) + " đồng")
    if spec.type == "enum":
        return escape(spec.values.get(value, value))
    if spec.type == "url":
        return Markup('<a href="{0}">{0}</a>').format(value)
    if spec.type == "email":
        return Markup('<a href="mailto:{0}">{0}</a>').format(value)
    if spec.type == "phone":
        return Markup('<a href="{0}">{1}</a>').format(tel_link(value), value)
    if spec.type == "markdown":
        return Markup(markdown_to_html(str(value)))  # cleaned by nh3
    return escape(str(value))


def scalar_spec(spec: Field) -> Field:
    """The field of one item of a list of scalars."""
    return Field(name=spec.name, type=spec.of or "text", label=spec.label)


@functools.cache
def environment() -> Environment:
    """The shared environment (templates in ``generator/website/templates``)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(
        date=format_date,
        size=human_size,
        tel=tel_link,
        tojson_yaml=lambda v: Markup(json.dumps(v, ensure_ascii=False)),
        body=lambda text: Markup(markdown_page_part(text)),  # cleaned by nh3
    )
    env.globals.update(value=format_value, scalar_spec=scalar_spec, relative_url=paths.relative_url, paths=paths)
    return env


def render(template: str, **context: Any) -> str:
    """Render ``template`` (a file name in ``generator/website/templates``) with ``context``."""
    return environment().get_template(template).render(**context)
