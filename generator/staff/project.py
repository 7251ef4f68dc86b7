"""``congkhai init``: a new office's project that checks and builds at once (no MkDocs import).

The files come from package data (``generator/staff/project_template/``, ``generator/publish/server/``), so
an installed wheel writes the same project as a checkout. Dot-files are kept there without
their dot (``gitignore``, ``gitea/``, ``gitlab-ci.yml``): they are renamed when written.
Only ``--sample`` reads outside the package: the sample records of the source repository.
"""

from __future__ import annotations

import json
import os
import string
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from generator.core.errors import CongkhaiError
from generator.core.values import slugify
from generator.ledger import checkpoints
from generator.records.category_file import load_categories

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = PACKAGE / "staff" / "project_template"
SERVER_DIR = PACKAGE / "publish" / "server"
SOURCE_ROOT = PACKAGE.parent
SAMPLE_ROOTS = "chung-thu-goc"
"""The folder of the sample's test root (marked CHI-DE-THU): the sample's decisions are signed with it."""
"""The source repository when congkhai runs from a checkout: its ``disclosures/`` is the sample."""

DEFAULT_AGENCY = "Tên cơ quan"
DEFAULT_SITE_URL = "https://congkhai.example.gov.vn/"
SERVER_FOLDER = "may-chu"
"""Where the web server configuration goes in a new project."""

RENAMES = {"gitignore": ".gitignore", "gitlab-ci.yml": ".gitlab-ci.yml", "gitea": ".gitea"}
SUBSTITUTED = {"mkdocs.yml", "content/index.md", "content/gioi-thieu.md"}
"""Template files holding ``${agency}``-style placeholders; every other file is copied as is."""


@dataclass
class InitResult:
    folder: Path
    files: list[Path] = field(default_factory=list)
    samples: int = 0
    key_file: Path | None = None
    """The office's signing key (outside the project)."""
    key_created: bool = False
    """False when a key already there was kept."""
    vkey: str = ""
    """Its verifier key, for the inspectorate's trust policy."""


def key_folder() -> Path:
    """Where ``init`` keeps offices' signing keys: ``$XDG_CONFIG_HOME/congkhai`` or ``~/.config/congkhai``."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or "~/.config").expanduser() / "congkhai"


def default_key_file(folder: Path, site_url: str | None) -> Path:
    """``<key_folder>/<slug>.pem``: the slug of the site's host when given, else of the project folder."""
    host = urlsplit(site_url).hostname if site_url else None
    return key_folder() / f"{slugify(host or folder.resolve().name) or 'congkhai'}.pem"


def _as_configured(path: Path) -> str:
    """The key's path as written to ``signing_key``: ``~/…`` under the home folder (the
    same on every staff member's machine), absolute otherwise."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):
        return path.as_posix()


def check_site_url(url: str) -> str:
    """The site's permanent address, ending in ``/``; Vietnamese :class:`ValueError` otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(
            f"'{url}' không phải địa chỉ trang hợp lệ; cần địa chỉ bắt đầu bằng http:// hoặc https://, "
            "ví dụ https://congkhai.ten-co-quan.gov.vn/"
        )
    text = url.strip()
    return text if text.endswith("/") else text + "/"


def check_agency(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValueError("tên cơ quan không được để trống")
    return name


def _target_name(rel: str) -> str:
    first, _, rest = rel.partition("/")
    first = RENAMES.get(first, first)
    return f"{first}/{rest}" if rest else first


def _template_files() -> list[tuple[str, Path]]:
    """(path in the new project, template file), in a stable order."""
    out = []
    for path in sorted(TEMPLATE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            out.append((_target_name(path.relative_to(TEMPLATE_DIR).as_posix()), path))
    return out


def _sample_source() -> tuple[Path, list[str]]:
    """The source repository's sample records and the office numbers they need allowed (the
    sample's signed decisions come with the test root that signed them, :data:`SAMPLE_ROOTS`)."""
    disclosures = SOURCE_ROOT / "disclosures"
    config = SOURCE_ROOT / "mkdocs.yml"
    if not disclosures.is_dir() or not config.is_file():
        raise CongkhaiError(
            "bản cài đặt này không kèm dữ liệu mẫu (dữ liệu mẫu nằm trong mã nguồn congkhai, thư mục disclosures/); "
            "hãy chạy congkhai init --sample từ bản mã nguồn (git clone), hoặc bỏ --sample"
        )
    raw = yaml.safe_load(config.read_text("utf-8")) or {}
    allow: list[str] = []
    for plugin in raw.get("plugins") or []:
        if isinstance(plugin, dict) and isinstance(plugin.get("congkhai"), dict):
            allow = [str(v) for v in plugin["congkhai"].get("privacy_allow") or []]
    return disclosures, allow


def init_project(
    folder: Path,
    agency: str | None = None,
    site_url: str | None = None,
    sample: bool = False,
    force: bool = False,
    key_file: Path | None = None,
) -> InitResult:
    """Write a new project into ``folder`` (created if missing), with the office's Ed25519
    signing key created outside it (``key_file``, default :func:`default_key_file`; a key
    already there is kept) and named by ``signing_key``. Raises :class:`CongkhaiError`."""
    agency = check_agency(agency) if agency is not None else DEFAULT_AGENCY
    site_url = check_site_url(site_url) if site_url is not None else DEFAULT_SITE_URL
    if folder.exists() and not folder.is_dir():
        raise CongkhaiError(f"{folder} đã có và không phải là thư mục")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise CongkhaiError(
            f"thư mục {folder} không trống; congkhai init chỉ tạo dự án trong thư mục trống hoặc chưa có "
            "(dùng --force để ghi các tệp của dự án mới vào đó, ghi đè tệp cùng tên)"
        )
    sample_dir, allow = _sample_source() if sample else (None, [])
    key_file = (key_file.expanduser() if key_file else default_key_file(folder, site_url)).absolute()
    if key_file.is_relative_to(folder.absolute()):
        raise CongkhaiError(
            f"khóa ký {key_file} nằm trong thư mục dự án: khóa riêng không bao giờ được vào kho; chọn nơi khác với --key"
        )
    created = not key_file.exists()
    key = checkpoints.create_signing_key(key_file)
    values = {
        "agency": agency,
        "agency_yaml": json.dumps(agency, ensure_ascii=False),
        "site_name": json.dumps(f"Công khai thông tin – {agency}", ensure_ascii=False),
        "site_title": f"Công khai thông tin – {agency}",
        "site_url": site_url,
        "privacy_allow": json.dumps(allow, ensure_ascii=False),
        "signing_key": json.dumps(_as_configured(key_file), ensure_ascii=False),
        "signature_roots": json.dumps([f"{SAMPLE_ROOTS}/"] if sample_dir is not None else []),
    }
    origin = checkpoints.default_origin(site_url)
    result = InitResult(folder, key_file=key_file, key_created=created)
    result.vkey = checkpoints.verifier_key(origin, key.public_key())
    folder.mkdir(parents=True, exist_ok=True)

    def write(rel: str, data: bytes) -> None:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        result.files.append(target)

    for rel, source in _template_files():
        if rel in SUBSTITUTED:
            write(rel, string.Template(source.read_text("utf-8")).substitute(values).encode("utf-8"))
        else:
            write(rel, source.read_bytes())
    for conf in sorted(SERVER_DIR.iterdir()):
        if conf.is_file():
            write(f"{SERVER_FOLDER}/{conf.name}", conf.read_bytes())
    disclosures = folder / "disclosures"
    for slug in load_categories(disclosures, folder):
        (disclosures / slug).mkdir(parents=True, exist_ok=True)
        write(f"disclosures/{slug}/.gitkeep", b"")
    if sample_dir is not None:
        for path in sorted(sample_dir.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = path.relative_to(sample_dir)
                write(f"disclosures/{rel.as_posix()}", path.read_bytes())
                result.samples += path.suffix in (".yml", ".md") and not rel.name.startswith("_")
        for path in sorted((SOURCE_ROOT / SAMPLE_ROOTS).glob("*")):
            if path.is_file():
                write(f"{SAMPLE_ROOTS}/{path.name}", path.read_bytes())
    return result
