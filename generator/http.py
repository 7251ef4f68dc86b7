"""The one HTTP client of congkhai for reading served sites (``verify --url``, ``witness``).

Every request has timeouts (connecting, each read) and an overall deadline (a server that
drips its answer a byte at a time never holds a caller longer than that), a size limit
checked on the declared ``Content-Length`` and again while streaming (a huge answer is
never read whole), and a limited number of redirects. Failures are :class:`FetchError`
with a Vietnamese reason; nothing here raises httpx's own errors to the caller.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

TIMEOUT = 10.0
"""Seconds allowed to connect, and between two pieces of an answer."""
DEADLINE = 30.0
"""Seconds allowed for a whole request, headers and body."""
MAX_REDIRECTS = 5
USER_AGENT = "congkhai"


class FetchError(Exception):
    """A request that gave no usable answer; ``reason`` is one Vietnamese sentence."""

    def __init__(self, reason: str, status: int | None = None):
        self.reason = reason
        self.status = status
        super().__init__(reason)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: httpx.Headers
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def looks_like_html(self) -> bool:
        """An HTML page where a file was expected (an error page, a portal's front page)."""
        if self.content_type in ("text/html", "application/xhtml+xml"):
            return True
        start = self.body[:512].lstrip().lower()
        return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def client(timeout: float = TIMEOUT, max_redirects: int = MAX_REDIRECTS, connections: int = 16) -> httpx.Client:
    """A client to share between threads: timeouts, redirects followed up to a limit."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=max_redirects > 0,
        max_redirects=max_redirects,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
    )


def megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def get(
    http: httpx.Client,
    url: str,
    limit: int,
    headers: dict[str, str] | None = None,
    deadline: float = DEADLINE,
    ok: tuple[int, ...] = (200,),
) -> Response:
    """GET ``url``: the answer if its status is in ``ok`` and its body at most ``limit``
    bytes, within ``deadline`` seconds in all; :class:`FetchError` otherwise."""
    stop = time.monotonic() + deadline
    chunks: list[bytes] = []
    size = 0
    try:
        with http.stream("GET", url, headers=headers or {}) as answer:
            if answer.status_code not in ok:
                raise FetchError(f"máy chủ trả về lỗi {answer.status_code}", answer.status_code)
            declared = answer.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(f"tệp lớn hơn {megabytes(limit)} (máy chủ báo {megabytes(int(declared))})")
            for chunk in answer.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"tệp lớn hơn {megabytes(limit)}")
                if time.monotonic() > stop:
                    raise FetchError(f"máy chủ trả lời quá chậm (hơn {deadline:g} giây)")
                chunks.append(chunk)
            return Response(answer.status_code, b"".join(chunks), answer.headers, str(answer.url))
    except httpx.TooManyRedirects:
        raise FetchError(f"chuyển hướng quá {http.max_redirects} lần (có thể là vòng lặp)") from None
    except httpx.TimeoutException:
        raise FetchError(f"máy chủ không trả lời trong {http.timeout.read or TIMEOUT:g} giây") from None
    except httpx.RemoteProtocolError:
        raise FetchError("câu trả lời bị cắt hoặc sai giao thức HTTP (máy chủ đóng kết nối giữa chừng)") from None
    except httpx.InvalidURL:
        raise FetchError("địa chỉ không hợp lệ") from None
    except httpx.DecodingError:
        raise FetchError("câu trả lời không giải nén được") from None
    except (httpx.HTTPError, OSError) as exc:
        raise FetchError(f"không truy cập được ({exc.__class__.__name__}: {exc})") from None
