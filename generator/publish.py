"""Publish and verify: the log-writing side of congkhai (no MkDocs import).

``publish`` reads top to bottom: lock -> load and check -> plan events -> write the
pending log -> build the site showing the new events -> deploy atomically -> make the
log final. If anything before the last step fails, the log is unchanged. The site
engine is passed in as a ``build(out_dir, pending_events)`` callable.
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
from zoneinfo import ZoneInfo

from generator.config import Settings
from generator.errors import CongkhaiError
from generator.faults import checkpoint
from generator.log import (
    chain_problems,
    commit_pending,
    locked,
    parse_time,
    plan_events,
    read_log,
    seal,
    write_pending,
)
from generator.site import load_site

KEEP_RELEASES = 5
"""Deployed releases kept beside the deploy folder (the current one included)."""

Build = Callable[[Path | None, list[dict[str, Any]]], None]
"""``build(out_dir or None for the configured one, pending events)``."""


@dataclass
class PublishResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    site_dir: Path | None = None
    deployed_to: Path | None = None


def now_rfc3339(timezone: str) -> str:
    """The current time, to the second, with the office's UTC offset."""
    return dt.datetime.now(ZoneInfo(timezone)).replace(microsecond=0).isoformat()


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
        site = load_site(settings)
        samples = [r.relpath for r in site.public_records if r.sample]
        if samples and not allow_sample:
            raise CongkhaiError(
                f"có {len(samples)} bản ghi là dữ liệu mẫu (sample: true), ví dụ {samples[0]}; không công bố dữ liệu mẫu. "
                "Hãy thay bằng thông tin thật và bỏ sample, hoặc dùng --allow-sample nếu chỉ chạy thử"
            )
        log = site.log
        problems = chain_problems(log)
        if problems:
            raise CongkhaiError("nhật ký không hợp lệ, không ghi thêm: " + "; ".join(problems))
        at = at or now_rfc3339(settings.timezone)
        if log.events and parse_time(at) < parse_time(log.events[-1]["at"]):
            raise CongkhaiError(
                f"thời điểm {at} sớm hơn sự kiện cuối của nhật ký ({log.events[-1]['at']}); kiểm tra đồng hồ máy"
            )
        events = seal(log, plan_events(site, log, at, git_commit(settings.root)))
        checkpoint("planned")
        pending = write_pending(log, events)
        try:
            result = PublishResult(events)
            if deploy_to is None:
                build(None, events)
            else:
                deploy_to = deploy_to.absolute()
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
                release = releases_dir(deploy_to) / stamp
                release.parent.mkdir(parents=True, exist_ok=True)
                build(release, events)
                checkpoint("built")
                deploy(release, deploy_to)
                result.site_dir = release
                result.deployed_to = deploy_to
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
        commit_pending(log, pending)
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


def verify(settings: Settings, site_dir: Path | None = None, url: str | None = None) -> tuple[list[str], Any]:
    """Check the log chain, the files in the repository and, given a site folder or
    URL, that every published, not withdrawn page is served and shows its logged hash.

    Returns (problems, log); one problem per line, naming the seq or the URL."""
    log = read_log(settings.log_path)
    problems = chain_problems(log)
    histories = log.histories()
    try:
        site = load_site(settings)
        current = {r.key: r for r in site.records}
    except CongkhaiError as exc:
        problems += [str(p) for p in exc.problems]
        current = {}
    base_path = urlsplit(settings.site_url or "/").path
    for key, history in sorted(histories.items()):
        latest = history.latest
        record = current.get(key)
        if record is None:
            if current:
                problems.append(f"seq {latest['seq']}: {key}: không còn bản ghi trong kho")
        elif record.sha256 != latest["content_sha256"]:
            problems.append(
                f"seq {latest['seq']}: {key}: tệp {record.relpath} khác nội dung đã ghi trong nhật ký (có thay đổi chưa công bố hoặc tệp bị sửa)"
            )
        if history.withdrawn or (site_dir is None and url is None):
            continue
        path = urlsplit(latest["url"]).path
        rel = path[len(base_path) :] if path.startswith(base_path) else path.lstrip("/")
        data, problem = _served(site_dir, url, rel)
        where = (url.rstrip("/") + "/" + rel) if url else latest["url"]
        if problem:
            problems.append(f"{where}: {problem}")
        elif latest["content_sha256"] not in data.decode("utf-8", errors="replace"):
            problems.append(f"{where}: trang không hiển thị mã SHA-256 {latest['content_sha256']} đã ghi trong nhật ký")
        for attachment in latest.get("attachments") or []:
            data, problem = _served(site_dir, url, rel + attachment["file"])
            if problem:
                problems.append(f"{where}{attachment['file']}: {problem}")
            elif hashlib.sha256(data).hexdigest() != attachment["sha256"]:
                problems.append(
                    f"{where}{attachment['file']}: tệp đính kèm được phục vụ có mã SHA-256 "
                    f"{hashlib.sha256(data).hexdigest()}, khác mã {attachment['sha256']} đã ghi trong nhật ký"
                )
    return problems, log
