"""Serving the books in Fava: the app (with the pilot's pages), gzip, and the server.

`make_app` is Fava's own `create_app` on the books' main file, always in Fava's read-only mode,
wrapped in `GzipMiddleware` (Fava sends its pages uncompressed, and they grow with the number of
accounts). The books are written only by the command line, through the project's writer (lock,
validation, redo journal): Fava's editor and API write files directly, with none of these, so
`serve` never offers them. `Serving` binds cheroot, the WSGI server the `fava` command itself
runs, to loopback unless told otherwise: Fava has no login, so anyone who can reach the port
reads the books; a non-loopback address is served with a warning, and on loopback a request
naming another host (DNS rebinding) is refused (`LoopbackHostsOnly`).
"""

from __future__ import annotations

import gzip
import ipaddress
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xtaccounts.books.layout import require_ledger
from xtaccounts.core.errors import XtError

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
)
MIN_GZIP_SIZE = 1024


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header admits gzip (``gzip;q=0`` refuses it)."""
    star = None
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding in ("gzip", "x-gzip"):
            return q > 0
        if coding == "*":
            star = q > 0
    return bool(star)


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _with_vary(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` with Accept-Encoding in its Vary (one merged Vary header)."""
    values = [
        v.strip()
        for key, value in headers
        if key.lower() == "vary"
        for v in value.split(",")
        if v.strip()
    ]
    if "*" not in values and "accept-encoding" not in (v.lower() for v in values):
        values.append("Accept-Encoding")
    return [(k, v) for k, v in headers if k.lower() != "vary"] + [("Vary", ", ".join(values))]


class _Body:
    """An app's body after some of it was read ahead: those chunks, then the rest; closing it
    closes the app's own iterable (PEP 3333)."""

    def __init__(self, head: list[bytes], rest: Iterator[bytes], result: Iterable[bytes]) -> None:
        self.head, self.rest, self.result = head, rest, result

    def __iter__(self) -> Iterator[bytes]:
        yield from self.head
        yield from self.rest

    def close(self) -> None:
        close = getattr(self.result, "close", None)
        if close is not None:
            close()


class GzipMiddleware:
    """Compress a response with gzip when the client accepts it and it is worth it: a text
    type (HTML, JSON, JS, CSS, SVG; not an event stream), at least `min_size` bytes, not
    already encoded, not a partial or empty response. Such responses carry `Vary:
    Accept-Encoding` whether compressed or not (HEAD, a client without gzip), so that caches
    keep the two apart. Other responses pass through untouched and unbuffered."""

    def __init__(self, app: WSGIApp, *, level: int = 6, min_size: int = MIN_GZIP_SIZE) -> None:
        self.app = app
        self.level = level
        self.min_size = min_size

    def _compressible(self, status: str, headers: list[tuple[str, str]]) -> bool:
        code = status.split(" ", 1)[0]
        if code in ("204", "206", "304") or code.startswith("1"):
            return False
        if _header(headers, "content-encoding") or _header(headers, "content-range"):
            return False
        if "no-transform" in (_header(headers, "cache-control") or "").lower():
            return False
        content_type = (_header(headers, "content-type") or "").lower()
        if not content_type.startswith(COMPRESSIBLE_TYPES) or content_type.startswith(
            "text/event-stream"
        ):
            return False
        length = _header(headers, "content-length")
        return not (length is not None and length.isdigit() and int(length) < self.min_size)

    def _announcing(self, start_response: StartResponse) -> StartResponse:
        """`start_response` adding Vary: Accept-Encoding to what a gzip client gets gzipped."""

        def announce(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            if self._compressible(status, headers):
                headers = _with_vary(headers)
            return start_response(status, headers, exc_info)

        return announce

    @staticmethod
    def _revalidated(environ: Environ, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """A 304 to a client holding the gzipped variant (it sent back its weak ETag): the
        headers that variant had, since a cache updates the stored response with them."""
        etag = _header(headers, "etag")
        if not etag or etag.startswith("W/"):
            return headers
        if "W/" + etag not in environ.get("HTTP_IF_NONE_MATCH", ""):
            return headers
        weak = [
            (k, "W/" + v if k.lower() == "etag" else v)
            for k, v in headers
            if k.lower() != "accept-ranges"
        ]
        return _with_vary(weak)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "HEAD" or not accepts_gzip(
            environ.get("HTTP_ACCEPT_ENCODING", "")
        ):
            return self.app(environ, self._announcing(start_response))
        captured: dict[str, Any] = {}
        head: list[bytes] = []  # write() calls, then chunks read before the response started

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            if exc_info is not None and captured.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            captured["status"], captured["headers"] = status, headers
            return head.append

        result = self.app(environ, capture)
        rest = iter(result)
        try:
            while "status" not in captured:  # an app that starts the response lazily
                head.append(next(rest))
        except StopIteration:
            pass
        except BaseException:
            _Body([], rest, result).close()
            raise
        if "status" not in captured:
            _Body([], rest, result).close()
            raise RuntimeError("the application returned without calling start_response")
        status, headers = captured["status"], list(captured["headers"])
        if not self._compressible(status, headers):
            captured["sent"] = True
            if status.startswith("304"):
                headers = self._revalidated(environ, headers)
            start_response(status, headers)
            return _Body(head, rest, result)
        try:
            body = b"".join([*head, *rest])
        finally:
            _Body([], rest, result).close()
        captured["sent"] = True
        if len(body) < self.min_size:
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
            start_response(status, headers)
            return [body]
        compressed = gzip.compress(body, compresslevel=self.level, mtime=0)
        out = []
        for key, value in headers:
            lower = key.lower()
            # The length is the compressed one; byte ranges of the identity body do not apply.
            if lower in ("content-length", "accept-ranges"):
                continue
            if lower == "etag" and not value.startswith("W/"):
                value = "W/" + value  # not the same bytes as the identity response
            out.append((key, value))
        out += [("Content-Encoding", "gzip"), ("Content-Length", str(len(compressed)))]
        start_response(status, _with_vary(out))
        return [compressed]


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port: ``[::1]:5000`` → ``::1``."""
    host_header = host_header.strip()
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class LoopbackHostsOnly:
    """Refuse (403) a request that names a host other than loopback: on 127.0.0.1 the only
    browser pages with another Host are a DNS-rebinding attack, which would otherwise let any
    web site the user visits read the books through the user's browser (same origin, no CORS
    to stop it)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "")
        if not host or is_loopback(host_name(host)):
            return self.app(environ, start_response)
        body = b"Forbidden: the books are served to this machine's own address only\n"
        start_response(
            "403 Forbidden",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]


def make_app(
    main: Path,
    *,
    gzip_responses: bool = True,
    loopback_hosts_only: bool = False,
) -> Any:
    """Fava's Flask app on the books at `main`, loaded now, read-only (Fava answers 401 to any
    request but GET: no editor saves, no API writes, no uploads), its WSGI app behind gzip (and,
    for a server on loopback, refusing requests that name another host)."""
    from fava.application import create_app

    layout = require_ledger(main)
    app = create_app([layout.main.resolve()], load=True, read_only=True)
    if gzip_responses:
        app.wsgi_app = GzipMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    if loopback_hosts_only:
        app.wsgi_app = LoopbackHostsOnly(app.wsgi_app)  # type: ignore[method-assign]
    return app


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and the name localhost."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str) -> list[str]:
    """Warnings for serving (read-only) on `host`."""
    if is_loopback(host):
        return []
    return [
        f"warning: serving on {host}, which is not a loopback address: Fava has no login, so "
        "anyone who can reach this port reads the books (read-only); put it behind a proxy "
        "with authentication or a firewall"
    ]


@dataclass
class Serving:
    """A cheroot server bound to (host, port) with the app; `port` is the bound one."""

    server: Any

    @property
    def host(self) -> str:
        return str(self.server.bind_addr[0])

    @property
    def port(self) -> int:
        return int(self.server.bind_addr[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve(self) -> None:
        """Serve until interrupted (Ctrl-C or SIGTERM), then stop cleanly. SIGTERM is handled
        here: a process started in the background has SIGINT ignored, and SIGTERM's default
        would end it without stopping the server."""

        def terminate(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, terminate)
        try:
            self.server.serve()
        except KeyboardInterrupt:
            pass
        finally:
            self.server.stop()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def bind(app: Any, host: str, port: int, *, threads: int = 10) -> Serving:
    """Bind the server now (port 0: a free one), so that a busy port fails here, clearly."""
    from cheroot.wsgi import Server

    address = "127.0.0.1" if host == "localhost" else host.strip("[]")  # [::1] is ::1
    server = Server((address, port), app, numthreads=threads)
    try:
        server.prepare()
    except OSError as exc:
        raise XtError(f"cannot listen on {address}:{port}: {exc}") from exc
    return Serving(server)
