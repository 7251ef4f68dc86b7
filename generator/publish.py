"""Publish and verify: the log-writing side of congkhai (no MkDocs import).

``publish`` reads top to bottom: lock -> load and check (once) -> plan events -> write the
pending log -> build the site as logged -> deploy atomically -> make the log final. If
anything before the last step fails, the log is unchanged. The site engine is passed in
as a ``build(site, out_dir)`` callable that renders exactly the ``Site`` it is given (the
one loaded here, with the planned events in its log): nothing is loaded twice, so a record
edited during the publish cannot be logged with one hash and shown from another file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from generator import pipeline
from generator.config import Settings
from generator.errors import CongkhaiError, Problem
from generator.faults import checkpoint
from generator.log import Log, chain_problems, commit_pending, line_of_seq, locked, read_log, write_pending
from generator.site import Site
from generator.values import now_rfc3339, parse_instant

KEEP_RELEASES = 5
"""Deployed releases kept beside the deploy folder (the current one included)."""

Build = Callable[[Site, Path | None], Any]
"""``build(site as logged, out_dir or None for the configured one)``."""


@dataclass
class PublishResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    site_dir: Path | None = None
    deployed_to: Path | None = None


def git_commit(root: Path) -> str | None:
    """The commit checked out at ``root``, or None outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def releases_dir(target: Path) -> Path:
    return target.parent / f".{target.name}-releases"


def deploy(release: Path, target: Path) -> None:
    """Point ``target`` at the fully built ``release`` with one atomic rename of a
    symlink: a reader of ``target`` sees the old site or the new one, never a mix.

    The very first deploy onto an existing real folder moves that folder into the
    releases folder first (the only moment ``target`` is briefly absent)."""
    if target.exists() and not target.is_symlink():
        if not target.is_dir():
            raise CongkhaiError(f"{target} không phải thư mục")
        os.replace(target, releases_dir(target) / "initial")
    link = target.parent / f".{target.name}.new-link"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(release, link)
    checkpoint("deploy-link-created")
    os.replace(link, target)
    checkpoint("deploy-swapped")


def _prune(target: Path) -> None:
    folder = releases_dir(target)
    current = target.resolve()
    releases = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in releases[:-KEEP_RELEASES]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


def publish(
    settings: Settings,
    build: Build,
    deploy_to: Path | None = None,
    allow_sample: bool = False,
    at: str | None = None,
) -> PublishResult:
    """Build, deploy, then append the new events. Raises :class:`CongkhaiError`."""
    settings.log_path.parent.mkdir(parents=True, exist_ok=True)
    with locked(settings.log_path):
        checkpoint("locked")
        site = pipeline.load(settings)
        samples = [r.relpath for r in site.public_records if r.sample]
        if samples and not allow_sample:
            raise CongkhaiError(
                f"có {len(samples)} bản ghi là dữ liệu mẫu (sample: true), ví dụ {samples[0]}; không công bố dữ liệu mẫu. "
                "Hãy thay bằng thông tin thật và bỏ sample, hoặc dùng --allow-sample nếu chỉ chạy thử"
            )
        log = site.log
        problems = chain_problems(log, pipeline.relpath(settings.log_path, settings.root))
        if problems:
            name = problems[0].path
            raise CongkhaiError([*problems, Problem(name, 1, "log", "nhật ký không hợp lệ, không ghi thêm sự kiện")])
        at = at or now_rfc3339(settings.timezone)
        if log.events and parse_instant(at) < parse_instant(log.events[-1]["at"]):
            raise CongkhaiError(
                f"thời điểm {at} sớm hơn sự kiện cuối của nhật ký ({log.events[-1]['at']}); kiểm tra đồng hồ máy"
            )
        events = pipeline.plan(site, at, git_commit(settings.root))
        checkpoint("planned")
        pending = write_pending(log, events)
        logged = site.with_logged(events)
        try:
            result = PublishResult(events)
            if deploy_to is None:
                build(logged, None)
            else:
                deploy_to = deploy_to.absolute()
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
                release = releases_dir(deploy_to) / stamp
                release.parent.mkdir(parents=True, exist_ok=True)
                build(logged, release)
                checkpoint("built")
                deploy(release, deploy_to)
                result.site_dir = release
                result.deployed_to = deploy_to
        except CongkhaiError as exc:
            pending.unlink(missing_ok=True)
            exc.changed = exc.changed or "nhật ký công bố và trang đang phục vụ chưa thay đổi"
            raise
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
        try:
            commit_pending(log, pending)
        except CongkhaiError as exc:  # the new site is already served: say so
            exc.changed = f"trang mới đã được triển khai nhưng nhật ký chưa được ghi; tệp {pending.name} được giữ lại"
            raise
        checkpoint("committed")
    if deploy_to is not None:
        _prune(deploy_to)
    return result


def _served(site_dir: Path | None, base_url: str | None, rel: str) -> tuple[bytes | None, str | None]:
    """(bytes, problem) of the file at ``rel`` below the served root; a path ending in
    ``/`` means that page's ``index.html``."""
    if site_dir is not None:
        target = site_dir / rel / "index.html" if rel.endswith("/") or not rel else site_dir / rel
        if not target.is_file():
            return None, "không có trong thư mục trang"
        return target.read_bytes(), None
    assert base_url is not None
    url = base_url.rstrip("/") + "/" + quote(rel)
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.read(), None
    except urllib.error.HTTPError as exc:
        return None, f"máy chủ trả về lỗi {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, f"không truy cập được ({exc})"


def verify(settings: Settings, site_dir: Path | None = None, url: str | None = None) -> tuple[list[Problem], Log]:
    """Check the log chain, the files in the repository and, given a site folder or
    URL, that every published, not withdrawn page is served and shows its logged hash.

    Returns (problems, log). Each problem names the log line of the event it concerns:
    ``<log>:<line>: <key>: seq N: …``."""
    name = pipeline.relpath(settings.log_path, settings.root)
    log = read_log(settings.log_path, name)
    problems = chain_problems(log, name)
    try:
        current = {r.key: r for r in pipeline.load(settings).records}
    except CongkhaiError as exc:
        problems += exc.problems
        current = {}
    base_path = urlsplit(settings.site_url or "/").path
    for key, history in sorted(log.histories().items()):
        latest = history.latest
        seq = latest["seq"]

        def fault(field: str, message: str, seq: int = seq) -> None:
            problems.append(Problem(name, line_of_seq(log, seq), field, f"seq {seq}: {message}"))

        record = current.get(key)
        if record is None:
            if current:
                fault("id", f"{key}: không còn bản ghi trong kho")
        elif record.sha256 != latest["content_sha256"]:
            fault(
                "content_sha256",
                f"{key}: tệp {record.relpath} khác nội dung đã ghi trong nhật ký (có thay đổi chưa công bố hoặc tệp bị sửa)",
            )
        if history.withdrawn or (site_dir is None and url is None):
            continue
        path = urlsplit(latest["url"]).path
        rel = path[len(base_path) :] if path.startswith(base_path) else path.lstrip("/")
        data, problem = _served(site_dir, url, rel)
        where = (url.rstrip("/") + "/" + rel) if url else latest["url"]
        if problem:
            fault("url", f"{where}: {problem}")
        elif latest["content_sha256"] not in data.decode("utf-8", errors="replace"):
            fault(
                "content_sha256",
                f"{where}: trang không hiển thị mã SHA-256 {latest['content_sha256']} đã ghi trong nhật ký",
            )
        for index, attachment in enumerate(latest.get("attachments") or [], start=1):
            data, problem = _served(site_dir, url, rel + attachment["file"])
            field = f"attachments[{index}].sha256"
            if problem:
                fault(field, f"{where}{attachment['file']}: {problem}")
            elif hashlib.sha256(data).hexdigest() != attachment["sha256"]:
                fault(
                    field,
                    f"{where}{attachment['file']}: tệp đính kèm được phục vụ có mã SHA-256 "
                    f"{hashlib.sha256(data).hexdigest()}, khác mã {attachment['sha256']} đã ghi trong nhật ký",
                )
    return problems, log
