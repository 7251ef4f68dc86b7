"""The docs cannot drift from the code: everything a user can set or type is documented.

Each list is enumerated from the code, so a new option, command, field or category-file
key fails here until it is documented, and a documented name that no longer exists fails
too. Where each thing must be documented, and how the docs are read:

- plugin options (``CongkhaiConfig``): a row of the README table headed ``plugin option``
  (whoever edits ``mkdocs.yml`` reads the README);
- commands and their options (the click group ``generator.cli:main``): a row of the
  README table headed ``command`` and of the staff guide's table headed ``Lệnh`` (both
  audiences run commands). A row's first cell is ``congkhai [COMMAND] OPTIONS…`` in code;
  the options of the group itself (``-f/--config-file``…) sit in rows without a command;
- record fields (``load_common`` and every category's fields, sub-fields as
  ``document.number`` and ``attachments[].file``): a row of a table headed ``Trường`` in
  the staff guide, under the heading of that category (`` `slug` ``) or of the common
  fields (``chung``). The guide is read **as the build serves it**: its
  ``<!-- congkhai:fields -->`` marker is expanded by the same ``render.expand_markers`` the
  plugin calls, so the generated field reference counts, but only for the rows the
  generator really emits; a field it skipped, or a guide without the marker, fails;
- category-file keys (``_CATEGORY_META_SCHEMA``: its properties and those of every
  ``$defs`` entry, walked from the schema itself): a row of the README table headed
  ``category-file key`` or ``field key`` respectively.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import click
import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from generator.cli import main
from generator.mkdocs_plugin.plugin import CongkhaiConfig, settings_from
from generator.records.category_file import _CATEGORY_META_SCHEMA, load_categories, load_common
from generator.records.fields import Field
from generator.website import pipeline
from generator.website.render import FIELDS_MARKER, expand_markers
from tests.conftest import REPO

README = REPO / "README.md"
GUIDE = REPO / "content" / "huong-dan" / "dang-tai-cong-khai.md"
CODE = re.compile(r"`([^`]+)`")
OPTION = re.compile(r"(?<![\w-])--?[a-z][a-z0-9-]*")


def tables(markdown: str) -> list[tuple[str, str, list[str]]]:
    """Every Markdown table as (heading above it, header's first cell, first cells of rows)."""
    out: list[tuple[str, str, list[str]]] = []
    heading, block = "", []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line.split("|")[1].strip())
            continue
        if len(block) > 2:
            out.append((heading, block[0], block[2:]))
        block = []
        if line.startswith("#"):
            heading = line
    return out


def first_cells(markdown: str, header: str, heading: str | None = None) -> list[str]:
    """First cells of the rows of tables headed ``header`` (under a heading holding ``heading``)."""
    return [
        cell
        for above, head, cells in tables(markdown)
        if head == header and (heading is None or heading in above)
        for cell in cells
    ]


def spans(cells: list[str]) -> set[str]:
    return {span for cell in cells for span in CODE.findall(cell)}


# ---- plugin options ----------------------------------------------------------------

PLUGIN_OPTIONS = [name for name, _ in CongkhaiConfig._schema]


def readme_plugin_options() -> set[str]:
    return spans(first_cells(README.read_text("utf-8"), "plugin option"))


@pytest.mark.parametrize("option", PLUGIN_OPTIONS)
def test_plugin_option_is_in_the_readme(option):
    assert option in readme_plugin_options()


def test_readme_plugin_options_exist():
    assert sorted(readme_plugin_options() - set(PLUGIN_OPTIONS)) == []


# ---- commands ----------------------------------------------------------------------


def _spellings(command: click.Command) -> set[str]:
    """Every spelling of a command's options; its arguments as ``#1 CATEGORY``…: a doc
    names an argument by a placeholder of its own language, matched by position."""
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    words = {f"#{n} {a.human_readable_name}" for n, a in enumerate(arguments, 1)}
    return words | {w for p in command.params if isinstance(p, click.Option) for w in [*p.opts, *p.secondary_opts]}


def cli_words() -> dict[str, set[str]]:
    """Command name ("" for the group) -> its options and arguments."""
    ctx = main.make_context("congkhai", [], resilient_parsing=True)
    words = {"": _spellings(main) | set(main.get_help_option(ctx).opts)}
    for name, command in main.commands.items():
        words[name] = _spellings(command)
        for sub, subcommand in getattr(command, "commands", {}).items():  # a group: congkhai witness sync
            words[f"{name} {sub}"] = _spellings(subcommand)
    return words


CLI = cli_words()
GROUPS = {name for name, command in main.commands.items() if isinstance(command, click.Group)}
"""Groups (``witness``) are documented by their commands (``witness sync``)."""
CLI_ITEMS = [
    (command, word) for command, words in CLI.items() if command not in GROUPS for word in ["", *sorted(words)]
]


def documented_cli(path: Path, header: str) -> dict[str, set[str]]:
    """What a doc's command table shows: command ("" for none) -> option and argument words."""
    found: dict[str, set[str]] = {}
    for span in spans(first_cells(path.read_text("utf-8"), header)):
        words = span.split()
        if not words or words[0] != "congkhai":
            continue
        command = next((w for w in words[1:] if w in CLI and w), "")
        if command:
            rest = words[words.index(command) + 1 :]
            if rest and f"{command} {rest[0]}" in CLI:  # a group's command: congkhai witness sync
                command = f"{command} {rest[0]}"
        names = set(OPTION.findall(span))
        if command:  # placeholders right after the command: its arguments
            after = words[words.index(command.split()[-1]) + 1 :]
            for n, word in enumerate(after, 1):
                if word.startswith(("-", "[")) or not word.isupper():
                    break
                names.add(f"#{n}")
        found.setdefault(command, set()).update(names)
    return found


DOCS_CLI = [(README, "command"), (GUIDE, "Lệnh")]


@pytest.mark.parametrize(("path", "header"), DOCS_CLI, ids=["README", "guide"])
@pytest.mark.parametrize(("command", "word"), CLI_ITEMS, ids=[f"{c or 'congkhai'} {w}".strip() for c, w in CLI_ITEMS])
def test_command_and_option_are_documented(path, header, command, word):
    shown = documented_cli(path, header)
    assert command in shown, f"{path.name}: no row for congkhai {command}"
    if word:
        assert word.split()[0] in shown[command], f"{path.name}: congkhai {command} {word}"


@pytest.mark.parametrize(("path", "header"), DOCS_CLI, ids=["README", "guide"])
def test_documented_commands_and_options_exist(path, header):
    shown = documented_cli(path, header)
    known = {c: {w.split()[0] for w in words | CLI[""]} for c, words in CLI.items()}
    unknown = {f"{c} {w}".strip() for c, words in shown.items() for w in words if w not in known[c]}
    assert sorted(unknown) == []


# ---- record fields -----------------------------------------------------------------


def field_paths(fields: dict[str, Field], prefix: str = "") -> list[str]:
    """Dotted paths of fields and sub-fields, as the guide writes them."""
    out = []
    for name, spec in fields.items():
        out.append(prefix + name)
        if spec.fields:
            out += field_paths(spec.fields, f"{prefix}{name}[]." if spec.type == "list" else f"{prefix}{name}.")
    return out


CATEGORIES = load_categories(REPO / "disclosures", REPO)
FIELD_ITEMS = [("chung", path) for path in field_paths(load_common())] + [
    (f"`{slug}`", path) for slug, category in CATEGORIES.items() for path in field_paths(category.fields)
]


@pytest.fixture(scope="module")
def served_guide() -> str:
    """The staff guide's Markdown as the build serves it: markers expanded by the core."""
    text = GUIDE.read_text("utf-8")
    config = load_config(config_file=str(REPO / "mkdocs.yml"))
    site = pipeline.load(settings_from(config, config.plugins["congkhai"].config))
    return expand_markers(site, text, "huong-dan/dang-tai-cong-khai/")


def test_guide_holds_the_generated_field_reference():
    assert FIELDS_MARKER in GUIDE.read_text("utf-8").splitlines()


@pytest.mark.parametrize(("section", "path"), FIELD_ITEMS, ids=[f"{s.strip('`')}:{p}" for s, p in FIELD_ITEMS])
def test_record_field_is_in_the_guide(served_guide, section, path):
    assert path in spans(first_cells(served_guide, "Trường", section))


# ---- category-file keys ------------------------------------------------------------


def schema_keys() -> list[tuple[str, str]]:
    """(table, key) for the category file's own keys and those of every ``$defs`` entry."""
    keys = [("category-file key", key) for key in _CATEGORY_META_SCHEMA["properties"]]
    for name, definition in _CATEGORY_META_SCHEMA.get("$defs", {}).items():  # "field" -> table "field key"
        keys += [(f"{name} key", key) for key in definition.get("properties", {})]
    return keys


KEY_ITEMS = schema_keys()


@pytest.mark.parametrize(("table", "key"), KEY_ITEMS, ids=[f"{t.split()[0]}:{k}" for t, k in KEY_ITEMS])
def test_category_file_key_is_in_the_readme(table, key):
    assert key in spans(first_cells(README.read_text("utf-8"), table))


def test_readme_category_file_keys_exist():
    text = README.read_text("utf-8")
    shown = {(t, k) for t in {t for t, _ in KEY_ITEMS} for k in spans(first_cells(text, t))}
    assert sorted(shown - set(KEY_ITEMS)) == []


# ---- the plugin with its defaults --------------------------------------------------


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("theme", [None, "material"], ids=["mkdocs-theme", "material"])
def test_plugin_defaults_build_without_warning(tmp_path, theme):
    """``plugins: [congkhai]`` and nothing else: no error, not one warning."""
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Thử\n" + (f"theme: {theme}\n" if theme else "") + "plugins:\n  - congkhai\n", encoding="utf-8"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Trang chủ\n", encoding="utf-8")
    (tmp_path / "disclosures").mkdir()
    # MkDocs' own logger: the CLI tests may have stopped it propagating to the root
    # logger (and so to caplog), so listen on it directly.
    logger = logging.getLogger("mkdocs")
    collect, level = Collect(), logger.level
    logger.addHandler(collect)
    logger.setLevel(logging.WARNING)
    try:
        config = load_config(config_file=str(tmp_path / "mkdocs.yml"))
        assert dict(config.plugins["congkhai"].config) == {
            "disclosures_dir": "disclosures",
            "log": "publication-log.jsonl",
            "agency": "",
            "nav": True,
            "privacy_allow": [],
            "max_attachment_mb": 50,
            "log_origin": "",
            "signing_key": "",
            "timestamping": [],
            "witnesses": [],
            "max_timestamp_delay": 24,
            "clock_skew": 5,
            "signature_roots": [],
        }
        mkdocs_build(config)
    finally:
        logger.removeHandler(collect)
        logger.setLevel(level)
    assert [f"{r.levelname}: {r.getMessage()}" for r in collect.records] == []
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "tim-kiem" / "index.html").is_file()
