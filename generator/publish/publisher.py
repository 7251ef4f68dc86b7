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
import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from generator.core import paths
from generator.core.config import Settings
from generator.core.errors import CongkhaiError, Problem
from generator.core.faults import fault_point
from generator.core.values import now_rfc3339, parse_instant
from generator.ledger import checkpoints, cosign, merkle
from generator.ledger.anchors import Anchors
from generator.ledger.log import (
    chain_problems,
    commit_pending,
    fsync_dir,
    locked,
    parse_log,
    write_atomically,
    write_pending,
)
from generator.publish import remote
from generator.publish.remote import SshTarget
from generator.website import pipeline
from generator.website.site import Site

KEEP_RELEASES = 5
"""Deployed releases kept beside the deploy folder (the current one included)."""

Build = Callable[[Site, Path | None], Any]
"""``build(site as logged, out_dir or None for the configured one)``."""


class Stamping(Protocol):
    """Tokens being asked for over one checkpoint (:class:`generator.ledger.attest.Stamping`)."""

    @property
    def waiting(self) -> list[str]:
        """The TSAs that have not answered yet."""
        ...

    def early(self) -> tuple[dict[str, bytes], list[str]]:
        """The tokens that come within each TSA's short wait (published with the checkpoint)."""
        ...

    def late(self) -> tuple[dict[str, bytes], list[str]]:
        """The tokens of the TSAs still asked, once they have answered or given up."""
        ...

    def stop(self) -> None: ...


Stamp = Callable[[bytes], Stamping]
"""``stamp(checkpoint note)``: starts asking every TSA for a token over the note."""
Cosigners = Callable[[bytes, merkle.Tree, Anchors], tuple[dict[str, bytes], list[str]]]
"""``cosigners(checkpoint note, the logged tree, the anchors kept so far) -> (witness name ->
cosignature lines, messages of the witnesses that gave none)``."""
Target = Path | SshTarget
"""Where a publish deploys: a local folder, or a folder on a web server reached over SSH."""


@dataclass
class PublishResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    site_dir: Path | None = None
    """The release just built (None when it was built in a temporary folder and copied over SSH)."""
    deployed_to: Target | None = None
    completed: bool = False
    """An interrupted publish (deployed, log not yet final) was completed first."""
    checkpoint: int | None = None
    """The size of the new checkpoint, if one was written."""
    unstamped: list[str] = field(default_factory=list)
    """TSAs that gave no token for the new checkpoint (``congkhai timestamp`` asks again)."""
    waited: list[str] = field(default_factory=list)
    """TSAs that had not answered when the site was deployed (their tokens were waited for after)."""
    late: list[str] = field(default_factory=list)
    """TSAs whose token came after the deploy: stored beside the log, and the site deployed again with it."""
    late_problem: str | None = None
    """Why the site could not be deployed again with the late tokens (they are stored; the next publish serves them)."""
    clock_note: str | None = None
    """The office clock was behind the log's last event, within ``clock_skew``: what was done."""
    cosigned: list[str] = field(default_factory=list)
    """Witnesses that cosigned the new checkpoint (after the log was final; the site deployed again with it)."""
    uncosigned: list[str] = field(default_factory=list)
    """Witnesses that gave no cosignature on the new checkpoint (``congkhai timestamp`` asks again)."""


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
    fault_point("deploy-link-created")
    os.replace(link, target)
    fault_point("deploy-swapped")


def _prune(target: Path) -> None:
    folder = releases_dir(target)
    current = target.resolve()
    releases = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in releases[:-KEEP_RELEASES]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _disk_full(exc: OSError, where: Path) -> CongkhaiError:
    return CongkhaiError(
        f"không đủ chỗ trên đĩa để ghi {where} ({exc.strerror or exc}); hãy giải phóng dung lượng rồi chạy lại",
        "nhật ký công bố và trang đang phục vụ chưa thay đổi; bản dựng dở đã được xóa",
    )


def _deployed_log(deploy_to: Target | None) -> bytes | None:
    """The log the deployed site serves, if there is a deployed site (over SSH: read there;
    an unreachable server raises, and the ``.pending`` log is kept for the next try)."""
    if deploy_to is None:
        return None
    if isinstance(deploy_to, SshTarget):
        return remote.served_log(deploy_to)
    served = deploy_to.absolute() / paths.LOG_JSONL
    return served.read_bytes() if served.is_file() else None


def _pending_anchors(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pending")) if folder.is_dir() else []


def _extends(data: bytes, old: bytes, relpath: str) -> bool:
    """Does the pending log ``data`` hold the log ``old`` and at least one more event, whole
    and chained? (A pending log equal to the old one logs nothing: it is no publish.)"""
    if not data.startswith(old) or not data[len(old) :].strip() or not data.endswith(b"\n"):
        return False
    try:
        log = parse_log(Path(relpath), data, relpath)
    except CongkhaiError:
        return False
    return not chain_problems(log, relpath)


def _settle_anchors(folder: Path, log: bytes) -> None:
    """Make final each pending checkpoint that is the tree head of ``log`` (its size and its
    root), with the pending tokens over its exact bytes; delete every other pending file.
    A checkpoint that contradicts the log is never kept (a publish killed before its log was
    written leaves one for a tree that was never logged)."""
    anchors = _pending_anchors(folder)
    if not anchors:
        return
    leaves = merkle.log_leaves(log)
    kept: dict[str, bytes] = {}
    for path in anchors:
        name = path.name.removesuffix(".pending")
        if not name.isdigit():
            continue
        try:
            found = checkpoints.parse(path.read_bytes())
        except CongkhaiError:
            continue
        if found.size == int(name) == len(leaves) and found.root == merkle.root(leaves):
            kept[name] = found.note
    for path in anchors:
        name = path.name.removesuffix(".pending")
        size, _, rest = name.partition(".")
        keep = name in kept
        if not keep and size in kept and rest.endswith(".tsr"):
            from generator.ledger import timestamps  # the RFC 3161 libraries, only when a token is left over

            keep = timestamps.covers(path.read_bytes(), kept[size])
        if keep:
            os.replace(path, path.with_name(name))
        else:
            path.unlink()
    fsync_dir(folder)


def _finish_interrupted(log_path: Path, deploy_to: Target | None) -> bool:
    """A publish killed after its deploy and before its log was final left a ``.pending``
    log that the served site already shows: make it final now, so that the next events
    extend what readers and auditors saw (no fork). Only a pending log that really extends
    the log (one more event at least, whole, chained) and is byte for byte the served one is
    completed; any other is discarded. Then the pending checkpoint and tokens are made final
    only if they are the tree head of the log as it now stands (:func:`_settle_anchors`).
    Returns True when an interrupted publish was completed."""
    pending = log_path.with_name(log_path.name + ".pending")
    folder = checkpoints.store_dir(log_path)
    for partial in [
        pending.with_name(pending.name + ".tmp"),
        *(folder.glob("*.pending.tmp") if folder.is_dir() else []),
    ]:
        partial.unlink(missing_ok=True)  # files a killed publish was writing: never whole
    completed = False
    old = log_path.read_bytes() if log_path.exists() else b""
    if pending.exists():
        data = pending.read_bytes()
        if _extends(data, old, log_path.name) and data == _deployed_log(deploy_to):
            os.replace(pending, log_path)
            fsync_dir(log_path.parent)
            old, completed = data, True
        else:
            pending.unlink()
    _settle_anchors(folder, old)
    return completed


def _write_anchors(folder: Path, size: int, note: bytes, tokens: dict[str, bytes]) -> list[Path]:
    """Write the new checkpoint and its tokens as ``*.pending`` files (made final with the log),
    each whole or not at all (written as ``*.pending.tmp``, fsync-ed, renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {str(size): note, **{f"{size}.{tsa}.tsr": token for tsa, token in tokens.items()}}
    written = []
    for name, data in files.items():
        target = folder / f"{name}.pending"
        write_atomically(target, data)
        written.append(target)
    fsync_dir(folder)
    return written


def _publish_late(
    settings: Settings,
    site: Site,
    events: list[dict[str, Any]],
    note: bytes,
    tokens: dict[str, bytes],
    stamping: Stamping | None,
    cosigners: Cosigners | None,
    build: Build,
    deploy_to: Target | None,
    result: PublishResult,
) -> None:
    """After the deploy and the log: ask the witnesses for their cosignatures on the new
    checkpoint (the log has kept it: a witness never cosigns a tree that is not logged) and
    wait for the TSAs that had not answered; store what came beside the log (final, each
    whole or not at all), then build the same logged state again with it and deploy it the
    same atomic way. The served site is then what a full build of the log and its checkpoint
    store gives (the token and cosignature files, and every page that names them). A failed
    second deploy leaves them stored and the first site served (the next publish serves
    them), and says so."""
    folder = checkpoints.store_dir(settings.log_path)
    size = len(site.log.events) + len(events)
    cosigned: dict[str, bytes] = {}
    if cosigners is not None:
        logged_tree = site.with_logged(events, note, tokens).tree
        cosigned, result.uncosigned = cosigners(note, logged_tree, site.anchors)
        for name, lines in sorted(cosigned.items()):
            write_atomically(folder / cosign.file_name(size, name), lines)
        result.cosigned = sorted(cosigned)
    late: dict[str, bytes] = {}
    if stamping is not None:
        try:
            late, failures = stamping.late()
        finally:
            stamping.stop()
        result.unstamped += failures
        for tsa, token in sorted(late.items()):
            write_atomically(folder / f"{size}.{tsa}.tsr", token)
        result.late = sorted(late)
    if not late and not cosigned:
        return
    fsync_dir(folder)
    logged = site.with_logged(events, note, {**tokens, **late}, cosigned)
    try:
        release = _deploy_again(logged, build, deploy_to)
    except (CongkhaiError, OSError) as exc:
        result.late_problem = str(exc)
        return
    if release is not None:
        result.site_dir = release


def _deploy_again(logged: Site, build: Build, deploy_to: Target | None) -> Path | None:
    """Build ``logged`` and deploy it as :func:`publish` does (a new release, one atomic
    switch); the local release, if any."""
    if deploy_to is None:
        build(logged, None)
        return None
    name = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    if isinstance(deploy_to, SshTarget):
        current = remote.prepare(deploy_to)
        scratch = Path(tempfile.mkdtemp(prefix="congkhai-release-"))
        try:
            built = scratch / name
            built.mkdir(mode=0o755)
            built.chmod(0o755)
            build(logged, built)
            uploaded = deploy_to.releases / name
            remote.copy(built, deploy_to, uploaded, current)
            remote.switch(deploy_to, uploaded)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return None
    release = releases_dir(deploy_to) / name
    try:
        build(logged, release)
        deploy(release, deploy_to)
    except BaseException:
        if deploy_to.resolve() != release.resolve():
            shutil.rmtree(release, ignore_errors=True)
        raise
    return release


def publish(
    settings: Settings,
    build: Build,
    deploy_to: Target | None = None,
    allow_sample: bool = False,
    at: str | None = None,
    stamp: Stamp | None = None,
    cosigners: Cosigners | None = None,
) -> PublishResult:
    """Build, deploy, then append the new events and the new checkpoint. Raises
    :class:`CongkhaiError`. ``stamp(note)`` starts asking for the RFC 3161 tokens over a new
    checkpoint (none by default): those that come within each TSA's short wait are
    published with it; the others are waited for after the deploy and the log, then stored
    and deployed with the same site again (:func:`_publish_late`). ``cosigners(note, tree,
    anchors)`` asks the witnesses for their cosignatures, once the log is final: a witness
    never cosigns a tree the log did not keep (it would refuse every other tree of that size
    for ever); the cosignatures are stored and deployed with the late tokens."""
    settings.log_path.parent.mkdir(parents=True, exist_ok=True)
    with locked(settings.log_path):
        fault_point("locked")
        completed = _finish_interrupted(settings.log_path, deploy_to)
        site = pipeline.load(settings, stored=True)
        samples = [r.relpath for r in site.public_records if r.sample]
        if samples and not allow_sample:
            raise CongkhaiError(
                f"có {len(samples)} bản ghi là dữ liệu mẫu (sample: true), ví dụ {samples[0]}; không công bố dữ liệu mẫu. "
                "Hãy thay bằng thông tin thật và bỏ sample, hoặc dùng --allow-sample nếu chỉ chạy thử"
            )
        log = site.log
        problems = chain_problems(log, paths.relpath(settings.log_path, settings.root))
        if problems:
            name = problems[0].path
            raise CongkhaiError([*problems, Problem(name, 1, "log", "nhật ký không hợp lệ, không ghi thêm sự kiện")])
        at = at or now_rfc3339(settings.timezone)
        clock_note = None
        if log.events and parse_instant(at) < parse_instant(last := log.events[-1]["at"]):
            behind = parse_instant(last) - parse_instant(at)
            if behind > dt.timedelta(minutes=settings.clock_skew_minutes):
                raise CongkhaiError(f"thời điểm {at} sớm hơn sự kiện cuối của nhật ký ({last}); kiểm tra đồng hồ máy")
            # the clock was a little ahead at the last publish and has been set right since
            # (within clock_skew): the log stays in order, the new events take the last time
            clock_note = (
                f"đồng hồ máy ({at}) sớm hơn sự kiện cuối của nhật ký ({last}) "
                f"{int(behind.total_seconds())} giây, trong dung sai clock_skew: các sự kiện mới ghi thời điểm {last}"
            )
            at = last
        events = pipeline.plan(site, at, git_commit(settings.root))
        fault_point("planned")
        logged = site.with_logged(events)
        result = PublishResult(events, completed=completed, clock_note=clock_note)
        size = len(logged.log.events)
        anchors: list[Path] = []
        pending = settings.log_path.with_name(settings.log_path.name + ".pending")
        release: Path | None = None
        current = remote.prepare(deploy_to) if isinstance(deploy_to, SshTarget) else None
        scratch: Path | None = None  # the local build of a release copied over SSH
        uploaded: PurePosixPath | None = None
        switching = False
        stamping: Stamping | None = None
        note, tokens = b"", {}
        try:
            if size and logged.anchors.latest != size:  # a new checkpoint, with its tokens
                note = pipeline.checkpoint(logged)
                if stamp is not None:
                    stamping = stamp(note)  # every TSA at once; the slow ones are waited for after the deploy
                    tokens, result.unstamped = stamping.early()
                    result.waited = stamping.waiting
                logged = site.with_logged(events, note, tokens)
                anchors = _write_anchors(checkpoints.store_dir(settings.log_path), size, note, tokens)
                result.checkpoint = size
            pending = write_pending(log, events)
            if deploy_to is None:
                build(logged, None)
            elif isinstance(deploy_to, SshTarget):
                name = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
                scratch = Path(tempfile.mkdtemp(prefix="congkhai-release-"))
                built = scratch / name
                built.mkdir(mode=0o755)
                built.chmod(0o755)  # rsync -a gives the server's release folder these modes
                build(logged, built)
                fault_point("built")
                uploaded = deploy_to.releases / name
                remote.copy(built, deploy_to, uploaded, current)
                fault_point("copied")
                switching = True  # from here on, the server may show the new site
                remote.switch(deploy_to, uploaded)
                fault_point("deploy-swapped")
                result.deployed_to = deploy_to
            else:
                deploy_to = deploy_to.absolute()
                name = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
                release = releases_dir(deploy_to) / name
                release.parent.mkdir(parents=True, exist_ok=True)
                build(logged, release)
                fault_point("built")
                deploy(release, deploy_to)
                result.site_dir = release
                result.deployed_to = deploy_to
        except BaseException as exc:
            if stamping is not None:
                stamping.stop()
            if switching and result.deployed_to is None and isinstance(exc, CongkhaiError):
                # the switch over SSH failed without an answer: it may have happened. The
                # pending log is kept; the next publish compares it with the served log.
                exc.changed = (
                    f"chưa rõ máy chủ đã chuyển sang trang mới hay chưa; nhật ký chờ {pending.name} được giữ lại, "
                    "lần công bố sau sẽ đối chiếu với nhật ký trên máy chủ"
                )
                raise
            pending.unlink(missing_ok=True)
            for leftover in anchors:
                leftover.unlink(missing_ok=True)
            if release is not None and result.deployed_to is None:
                shutil.rmtree(release, ignore_errors=True)
            if uploaded is not None and isinstance(deploy_to, SshTarget) and not isinstance(exc, KeyboardInterrupt):
                remote.remove(deploy_to, uploaded)
            if isinstance(exc, OSError) and exc.errno in NO_SPACE:
                raise _disk_full(exc, Path(exc.filename or settings.log_path.parent)) from None
            if isinstance(exc, CongkhaiError):
                exc.changed = exc.changed or "nhật ký công bố và trang đang phục vụ chưa thay đổi"
            raise
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        try:
            commit_pending(log, pending)
            for leftover in anchors:
                os.replace(leftover, leftover.with_suffix(""))
            if anchors:
                fsync_dir(anchors[0].parent)
        except CongkhaiError as exc:  # the new site is already served: say so
            if stamping is not None:
                stamping.stop()
            exc.changed = f"trang mới đã được triển khai nhưng nhật ký chưa được ghi; tệp {pending.name} được giữ lại"
            raise
        fault_point("committed")
        if (stamping is not None and stamping.waiting) or (cosigners is not None and note):
            _publish_late(settings, site, events, note, tokens, stamping, cosigners, build, deploy_to, result)
    if isinstance(deploy_to, SshTarget):
        remote.prune(deploy_to, KEEP_RELEASES)
    elif deploy_to is not None:
        _prune(deploy_to)
    return result
