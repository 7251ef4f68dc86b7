"""The one HTTP client of congkhai for reading served sites (``verify --url``, ``witness``).

Every request has timeouts (connecting, each read) and one overall deadline covering the
connection, the headers and the body: a server that drips its headers or its body a byte at
a time never holds a caller longer than that. httpx's timeouts are per operation, so the
deadline is kept below them, at the socket: the client's connections go through a network
backend (:class:`_Backend`) whose every connect, read and write is given at most the time
left before the running request's deadline, and fails once it has passed. The environment
variable ``CONGKHAI_HTTP_DEADLINE`` (seconds) lowers every deadline. A size limit is checked
on the declared ``Content-Length`` and again while streaming (a huge answer is never read
whole), and redirects are limited. Failures are :class:`FetchError` with a Vietnamese
reason; nothing here raises httpx's own errors to the caller.
"""

from __future__ import annotations

import contextvars
import os
import time
import typing
from dataclasses import dataclass

import httpcore
import httpx

TIMEOUT = 10.0
"""Seconds allowed to connect, and between two pieces of an answer."""
DEADLINE = 30.0
"""Seconds allowed for a whole request, headers and body."""
MAX_REDIRECTS = 5
USER_AGENT = "congkhai"
"""How the witness and the office's own requests name themselves."""
BROWSER_AGENT = "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
"""How ``verify --url`` asks: as a citizen's phone browser does, so that an office cannot
serve the auditor another site than the public's (a split view by user agent)."""
DEADLINE_ENV = "CONGKHAI_HTTP_DEADLINE"
"""Environment variable: the longest any request may take, in seconds (lowers every deadline)."""


class FetchError(Exception):
    """A request that gave no usable answer; ``reason`` is one Vietnamese sentence;
    ``slow`` when the server was too slow (a timeout or the deadline), not refused."""

    def __init__(self, reason: str, status: int | None = None, slow: bool = False):
        self.reason = reason
        self.status = status
        self.slow = slow
        super().__init__(reason)


def capped(deadline: float) -> float:
    """``deadline``, lowered to ``CONGKHAI_HTTP_DEADLINE`` when that is set to a positive number."""
    try:
        cap = float(os.environ.get(DEADLINE_ENV, "") or "inf")
    except ValueError:
        return deadline
    return min(deadline, cap) if cap > 0 else deadline


# --- the deadline, kept at the socket ---------------------------------------------------------

_STOP: contextvars.ContextVar[float | None] = contextvars.ContextVar("congkhai_http_stop", default=None)
"""``time.monotonic()`` at which the request running in this thread must have ended."""


def _left(timeout: float | None, late: type[Exception]) -> float | None:
    """The operation's ``timeout``, lowered to the time left before the request's deadline;
    ``late`` is raised once the deadline has passed."""
    stop = _STOP.get()
    if stop is None:
        return timeout
    left = stop - time.monotonic()
    if left <= 0:
        raise late("deadline")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the running request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: typing.Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout))
        return _Stream(tls)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's own sockets, each operation bounded by the running request's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Any = None,
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, left, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Any = None
    ) -> httpcore.NetworkStream:
        left = _left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


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


def client(
    timeout: float = TIMEOUT, max_redirects: int = MAX_REDIRECTS, connections: int = 16, user_agent: str = USER_AGENT
) -> httpx.Client:
    """A client to share between threads: timeouts, redirects followed up to a limit, and
    connections through :class:`_Backend` (the deadline of :func:`get` holds at the socket).
    Proxies from the environment are not used: their connections would escape the deadline."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    transport = httpx.HTTPTransport(limits=limits)
    transport._pool = httpcore.ConnectionPool(  # httpx offers no public way to give its pool a backend
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_Backend(),
    )
    return httpx.Client(
        transport=transport,
        trust_env=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=max_redirects > 0,
        max_redirects=max_redirects,
        headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
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
    method: str = "GET",
    content: bytes | None = None,
) -> Response:
    """GET ``url``: the answer if its status is in ``ok`` and its body at most ``limit``
    bytes, within ``deadline`` seconds in all (connecting, waiting for a free connection,
    headers, body, redirects); :class:`FetchError` otherwise. ``method`` and ``content``
    send another request (a POST with a body) under the same limits."""
    deadline = capped(deadline)
    stop = time.monotonic() + deadline
    chunks: list[bytes] = []
    size = 0
    each = http.timeout
    timeout = httpx.Timeout(
        connect=min(each.connect or deadline, deadline),
        read=min(each.read or deadline, deadline),
        write=min(each.write or deadline, deadline),
        pool=min(each.pool or deadline, deadline),
    )
    token = _STOP.set(stop)
    try:
        with http.stream(method, url, headers=headers or {}, timeout=timeout, content=content) as answer:
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
                    raise FetchError(f"máy chủ trả lời quá chậm (hơn {deadline:g} giây)", slow=True)
                chunks.append(chunk)
            return Response(answer.status_code, b"".join(chunks), answer.headers, str(answer.url))
    except httpx.TooManyRedirects:
        raise FetchError(f"chuyển hướng quá {http.max_redirects} lần (có thể là vòng lặp)") from None
    except httpx.TimeoutException:
        if time.monotonic() >= stop - 0.05:
            raise FetchError(f"máy chủ trả lời quá chậm (hơn {deadline:g} giây)", slow=True) from None
        raise FetchError(f"máy chủ không trả lời trong {each.read or TIMEOUT:g} giây", slow=True) from None
    except httpx.RemoteProtocolError:
        raise FetchError("câu trả lời bị cắt hoặc sai giao thức HTTP (máy chủ đóng kết nối giữa chừng)") from None
    except httpx.InvalidURL:
        raise FetchError("địa chỉ không hợp lệ") from None
    except httpx.DecodingError:
        raise FetchError("câu trả lời không giải nén được") from None
    except (httpx.HTTPError, OSError) as exc:
        raise FetchError(f"không truy cập được ({exc.__class__.__name__}: {exc})") from None
    finally:
        _STOP.reset(token)
