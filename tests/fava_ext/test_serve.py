"""`xtaccounts serve`: Fava with the pilot's pages, gzip, loopback by default, always read-only;
the pilot's extension refuses every write even in a bare read-write Fava."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.helpers import snapshot, start_server, stop_server, xt
from xtaccounts.core.errors import XtError
from xtaccounts.fava_ext import WRITE_REFUSED
from xtaccounts.fava_ext.serve import (
    GzipMiddleware,
    LoopbackHostsOnly,
    accepts_gzip,
    check_host,
    is_loopback,
    make_app,
)

# -- the gzip middleware ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("deflate", False),
        ("", False),
        ("*", True),
        ("*;q=0", False),
        ("identity", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def _app(body: bytes, content_type: str = "text/html; charset=utf-8", **extra: str):
    def app(environ, start_response):
        headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        headers += list(extra.items())
        start_response("200 OK", headers)
        return [body[: len(body) // 2], body[len(body) // 2 :]]

    return app


def _call(app, accept: str = "gzip", method: str = "GET"):
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)
        return lambda chunk: None

    body = b"".join(app({"REQUEST_METHOD": method, "HTTP_ACCEPT_ENCODING": accept}, start_response))
    return seen["status"], seen["headers"], body


PAGE = ("<p>统筹账户 余额 2883.08</p>\n" * 400).encode()


def test_gzip_compresses_a_large_page_and_it_decompresses_to_the_original() -> None:
    status, headers, body = _call(GzipMiddleware(_app(PAGE, ETag='"abc"')))
    assert status == "200 OK"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert headers["ETag"] == 'W/"abc"'
    assert int(headers["Content-Length"]) == len(body) < len(PAGE) / 5
    assert gzip.decompress(body) == PAGE


@pytest.mark.parametrize(
    ("accept", "method", "body", "content_type"),
    [
        ("deflate", "GET", PAGE, "text/html"),  # not accepted
        ("gzip;q=0", "GET", PAGE, "text/html"),
        ("gzip", "HEAD", PAGE, "text/html"),
        ("gzip", "GET", b"<p>short</p>", "text/html"),  # too small to be worth it
        ("gzip", "GET", PAGE, "image/png"),  # already compressed formats
        ("gzip", "GET", PAGE, "application/pdf"),
    ],
)
def test_gzip_leaves_other_responses_alone(accept, method, body, content_type) -> None:
    _, headers, out = _call(GzipMiddleware(_app(body, content_type)), accept, method)
    assert "Content-Encoding" not in headers
    assert out == body
    assert headers["Content-Length"] == str(len(body))


def test_gzip_keeps_an_existing_encoding_and_adds_to_vary() -> None:
    _, headers, out = _call(GzipMiddleware(_app(PAGE, **{"Content-Encoding": "br"})))
    assert headers["Content-Encoding"] == "br" and out == PAGE
    _, headers, out = _call(GzipMiddleware(_app(PAGE, Vary="Cookie")))
    assert headers["Vary"] == "Cookie, Accept-Encoding"


def test_gzip_drops_byte_ranges_of_the_identity_body() -> None:
    _, headers, _ = _call(GzipMiddleware(_app(PAGE, **{"Accept-Ranges": "bytes"})))
    assert headers["Content-Encoding"] == "gzip" and "Accept-Ranges" not in headers


@pytest.mark.parametrize(("accept", "method"), [("deflate", "GET"), ("gzip", "HEAD")])
def test_uncompressed_answers_of_a_compressible_page_still_vary(accept, method) -> None:
    _, headers, _ = _call(GzipMiddleware(_app(PAGE)), accept, method)
    assert "Content-Encoding" not in headers and headers["Vary"] == "Accept-Encoding"
    _, headers, _ = _call(GzipMiddleware(_app(PAGE, "image/png")), accept, method)
    assert "Vary" not in headers


class _Stream:
    """A WSGI body that starts the response on its first chunk and records what was read."""

    def __init__(self, start_response, content_type: str, chunks: list[bytes]) -> None:
        self.start_response, self.content_type, self.chunks = start_response, content_type, chunks
        self.read = 0
        self.closed = False

    def __iter__(self):
        self.start_response("200 OK", [("Content-Type", self.content_type)])
        for chunk in self.chunks:
            self.read += 1
            yield chunk

    def close(self) -> None:
        self.closed = True


def test_gzip_handles_a_lazily_started_streamed_body_and_closes_it() -> None:
    bodies: list[_Stream] = []

    def app(environ, start_response):
        bodies.append(_Stream(start_response, "text/html", [b"", PAGE[:2000], PAGE[2000:]]))
        return bodies[-1]

    status, headers, body = _call(GzipMiddleware(app))
    assert status == "200 OK" and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == PAGE and bodies[-1].closed


@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/event-stream"])
def test_gzip_does_not_buffer_what_it_does_not_compress(content_type: str) -> None:
    bodies: list[_Stream] = []

    def app(environ, start_response):
        bodies.append(_Stream(start_response, content_type, [b"a" * 2000] * 50))
        return bodies[-1]

    seen: dict = {}
    out = GzipMiddleware(app)(
        {"REQUEST_METHOD": "GET", "HTTP_ACCEPT_ENCODING": "gzip"},
        lambda status, headers, exc_info=None: seen.update(headers=dict(headers)),
    )
    assert "Content-Encoding" not in seen["headers"]
    assert bodies[-1].read <= 1  # only what it took to learn the headers
    assert b"".join(out) == b"a" * 100_000
    out.close()  # type: ignore[attr-defined]
    assert bodies[-1].closed


# -- the app on the demo books ---------------------------------------------------------------


@pytest.fixture(scope="module")
def served(demo_books: Path):
    app = make_app(demo_books)
    client = app.test_client()
    location = client.get("/").headers["Location"]
    client.slug = location.strip("/").split("/")[0]  # type: ignore[attr-defined]
    return client


def test_pages_are_gzipped_when_the_client_accepts_it(served) -> None:
    url = f"/{served.slug}/extension/PilotExtension/coverage?as_of=2025-12-31"
    plain = served.get(url)
    zipped = served.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(zipped.get_data()).decode()
    assert "<h2>保险覆盖率</h2>" in text and "71.43%" in text
    assert len(zipped.get_data()) < len(plain.get_data()) / 4
    sheet = served.get(f"/{served.slug}/api/balance_sheet", headers={"Accept-Encoding": "gzip"})
    assert sheet.headers["Content-Encoding"] == "gzip"
    tree = json.loads(gzip.decompress(sheet.get_data()))
    assert "Pool-统筹账户" in json.dumps(tree, ensure_ascii=False)


def test_static_files_revalidate_with_the_weak_etag_of_their_gzipped_copy(served) -> None:
    html = served.get(f"/{served.slug}/income_statement/").get_data(as_text=True)
    script = re.search(r'src="(/static/app\.js[^"]*)"', html).group(1)
    zipped = served.get(script, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    etag = zipped.headers["ETag"]
    assert etag.startswith('W/"') and "Accept-Ranges" not in zipped.headers
    again = served.get(script, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag and "Accept-Ranges" not in again.headers
    plain = served.get(script)
    assert "Content-Encoding" not in plain.headers and not plain.headers["ETag"].startswith("W/")
    assert plain.headers["Vary"] == "Accept-Encoding"


WRITES = [
    ("PUT", "api/source"),
    ("PUT", "api/source_slice"),
    ("DELETE", "api/source_slice"),
    ("PUT", "api/format_source"),
    ("PUT", "api/add_entries"),
    ("PUT", "api/move"),
    ("PUT", "api/upload_import_file"),
    ("PUT", "api/add_document"),
    ("PUT", "api/attach_document"),
    ("DELETE", "api/document"),
    ("POST", "extension/PilotExtension/pools"),
]


def _slug(client) -> str:
    return client.get("/").headers["Location"].strip("/").split("/")[0]


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_serve_refuses_every_write(served, method: str, path: str) -> None:
    """The extension answers first (403, its message); Fava's read-only mode is behind it."""
    response = served.open(f"/{served.slug}/{path}", method=method, json={})
    assert response.status_code == 403
    assert WRITE_REFUSED in response.get_json()["error"]


def test_serve_is_read_only_without_the_extension_too(tmp_path: Path, demo_books: Path) -> None:
    ledger = tmp_path / "ledger"
    shutil.copytree(demo_books.parent, ledger)
    main = ledger / "main.beancount"
    text = main.read_text("utf-8")
    main.write_text(text.replace('custom "fava-extension"', 'custom "not-an-extension"'), "utf-8")
    client = make_app(main).test_client()
    slug = _slug(client)
    assert client.get(f"/{slug}/extension/PilotExtension/").status_code == 404  # not loaded
    before = snapshot(ledger)
    for method, path in WRITES:
        assert client.open(f"/{slug}/{path}", method=method, json={}).status_code == 401
    assert snapshot(ledger) == before


def _fava(main: Path, *, read_only: bool):
    from fava.application import create_app

    return create_app([main], load=True, read_only=read_only).test_client()


def _put_source(client, slug: str, main: Path, source: str):
    """The request Fava's editor sends to save a file."""
    current = client.get(f"/{slug}/api/source", query_string={"filename": str(main)})
    assert current.status_code == 200
    sha256 = current.get_json()["data"]["sha256sum"]
    assert sha256 == hashlib.sha256(main.read_bytes()).hexdigest()
    return client.put(
        f"/{slug}/api/source",
        json={"file_path": str(main), "source": source, "sha256sum": sha256},
    )


def test_a_bare_read_write_fava_cannot_write_the_books(demo_copy: Path) -> None:
    """`fava main.beancount` (read-write) loads the pilot's extension from main.beancount, and
    the extension refuses the editor's save, which Fava would otherwise write as asked."""
    ledger = demo_copy.parent
    client = _fava(demo_copy, read_only=False)
    slug = _slug(client)
    before = snapshot(ledger)
    evil = demo_copy.read_text("utf-8") + "\n2025-12-31 open Assets:Evil CNY\n"
    response = _put_source(client, slug, demo_copy, evil)
    assert response.status_code == 403
    assert response.get_json()["error"] == f"PUT /{unquote(slug)}/api/source：{WRITE_REFUSED}"
    entry = {
        "t": "Transaction",
        "date": "2025-12-31",
        "flag": "*",
        "payee": "",
        "narration": "x",
        "tags": [],
        "links": [],
        "meta": {},
        "postings": [
            {"account": "Assets:Bank-银行存款:ICBC-工商银行:Demand-活期8821", "amount": "1 CNY"},
            {"account": "Liabilities:Suspense-待查明款项", "amount": "-1 CNY"},
        ],
    }
    for method, path in WRITES:
        payload = {"entries": [entry]} if path == "api/add_entries" else {}
        response = client.open(f"/{slug}/{path}", method=method, json=payload)
        assert response.status_code == 403, (method, path)
    assert snapshot(ledger) == before
    # Reading is untouched.
    assert client.get(f"/{slug}/journal/").status_code == 200
    assert client.head(f"/{slug}/journal/").status_code == 200
    assert client.options(f"/{slug}/api/source").status_code == 200


def test_without_the_extension_a_bare_fava_would_write(demo_copy: Path) -> None:
    """What the extension stops: Fava's own save, past the writer (no lock, no check)."""
    main = demo_copy
    main.write_text(
        main.read_text("utf-8").replace('custom "fava-extension"', 'custom "not-an-extension"'),
        "utf-8",
    )
    client = _fava(main, read_only=False)
    evil = main.read_text("utf-8") + "\n2025-12-31 open Assets:Evil CNY\n"
    assert _put_source(client, _slug(client), main, evil).status_code == 200
    assert "Assets:Evil" in main.read_text("utf-8")


def test_make_app_takes_a_relative_path(demo_books: Path, monkeypatch) -> None:
    monkeypatch.chdir(demo_books.parent.parent)
    app = make_app(Path(demo_books.parent.name) / demo_books.name)
    assert app.test_client().get("/").status_code == 302


def test_make_app_refuses_a_missing_ledger(tmp_path: Path) -> None:
    with pytest.raises(XtError, match="no ledger here"):
        make_app(tmp_path / "main.beancount")


# -- where it listens ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "localhost", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    assert check_host(host) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "books.example"])
def test_other_hosts_warn(host: str) -> None:
    assert not is_loopback(host)
    (warning,) = check_host(host)
    assert "not a loopback address" in warning and "anyone who can reach" in warning


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:5000", True),
        ("localhost:5000", True),
        ("LOCALHOST", True),
        ("[::1]:5000", True),
        ("", True),  # HTTP/1.0 without Host: no browser page
        ("attacker.example", False),
        ("attacker.example:5000", False),
        ("127.0.0.1.attacker.example:5000", False),
        ("192.168.1.10:5000", False),
    ],
)
def test_a_loopback_server_answers_only_requests_naming_loopback(host: str, allowed: bool) -> None:
    guarded = LoopbackHostsOnly(_app(PAGE))
    seen: dict = {}
    body = b"".join(
        guarded(
            {"REQUEST_METHOD": "GET", "HTTP_HOST": host},
            lambda status, headers, exc_info=None: seen.update(status=status),
        )
    )
    assert seen["status"].startswith("200" if allowed else "403")
    assert (body == PAGE) is allowed


def test_cli_refuses_a_busy_port(demo_books: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = xt(demo_books, "serve", "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_cli_refuses_a_missing_ledger(tmp_path: Path) -> None:
    result = xt(tmp_path / "main.beancount", "serve")
    assert result.returncode == 1 and "no ledger here" in result.stderr


@pytest.mark.parametrize("flags", [(), ("--read-only",)])
def test_serve_in_a_subprocess_read_only_with_gzip(demo_books: Path, flags) -> None:
    process, base = start_server(demo_books, *flags)
    try:
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base) as index:
            slug_url = index.geturl()
        pages = slug_url.rsplit("/", 2)[0] + "/extension/PilotExtension/"
        request = urllib.request.Request(
            pages + "?as_of=2025-12-31", headers={"Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            html = gzip.decompress(response.read()).decode()
        assert "<h2>统筹账户</h2>" in html and "2,883.08" in html
        put = urllib.request.Request(
            slug_url.rsplit("/", 2)[0] + "/api/source", data=b"{}", method="PUT"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(put)
        assert refused.value.code == 403
        assert WRITE_REFUSED in json.loads(refused.value.read())["error"]
        # A page of another site whose name was rebound to 127.0.0.1 sends its own Host.
        rebound = urllib.request.Request(base, headers={"Host": "attacker.example"})
        with pytest.raises(urllib.error.HTTPError) as forbidden:
            urllib.request.urlopen(rebound)
        assert forbidden.value.code == 403
    finally:
        stop_server(process)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def test_serve_on_ipv6_loopback_written_with_brackets(demo_books: Path) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    process, base = start_server(demo_books, "--host", "[::1]", "--read-only")
    try:
        assert base.startswith("http://[::1]:")
        with urllib.request.urlopen(base) as index:
            assert index.status == 200
    finally:
        stop_server(process)


@pytest.mark.parametrize("flags", [(), ("--read-only",)])
def test_cli_warns_on_a_network_address(demo_books: Path, flags) -> None:
    # 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes, then the bind
    # fails, so nothing listens beyond loopback during the test.
    result = xt(demo_books, "serve", "--host", "192.0.2.1", "--port", "0", *flags)
    assert "warning: serving on 192.0.2.1, which is not a loopback address" in result.stderr
    assert result.returncode == 1 and "cannot listen on 192.0.2.1:0" in result.stderr


@pytest.mark.parametrize("extension", [True, False], ids=["pilot-extension", "bare-fava"])
def test_the_books_history_is_never_served(demo_copy: Path, extension: bool) -> None:
    """Fava sends a file of an import folder (`fava-option "import-dirs"`): one naming the ledger
    directory would put the history's files (`.history/`) in reach; the pilot's extension
    answers 404 to any request naming a file there, and only a bare Fava would send it."""
    main = demo_copy
    text = main.read_text("utf-8") + '\n2000-01-01 custom "fava-option" "import-dirs" "."\n'
    if not extension:
        text = text.replace('custom "fava-extension"', 'custom "not-an-extension"')
    main.write_text(text, "utf-8")
    client = _fava(main, read_only=True)
    slug = _slug(client)
    head = main.parent / ".history" / "HEAD"
    assert head.is_file()
    for filename in (str(head), ".history/HEAD", f"{main.parent}/txns/../.history/HEAD"):
        response = client.get(f"/{slug}/document/", query_string={"filename": filename})
        if extension:
            assert response.status_code == 404, filename
        elif filename == str(head):
            assert response.status_code == 200 and b"refs/heads/main" in response.data
    # Other files of the import folder are still sent: the refusal is the history's alone.
    registry = main.parent / "registry" / "units.csv"
    response = client.get(f"/{slug}/document/", query_string={"filename": str(registry)})
    assert response.status_code == 200
