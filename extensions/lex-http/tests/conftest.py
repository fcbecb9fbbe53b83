"""A real HTTP server on 127.0.0.1, in a thread, for the lex-http tests; nothing leaves the host."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


class Handler(BaseHTTPRequestHandler):
    """Routes by path; every route is written for one behaviour the tests check."""

    server_version = "lex-http-test"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.route()

    def do_POST(self) -> None:
        self.route()

    def do_PUT(self) -> None:
        self.route()

    def do_DELETE(self) -> None:
        self.route()

    def route(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        try:
            if parts.path == "/echo":
                self.echo(parts.path, query)
            elif parts.path == "/text":
                self.send_body(200, b"hello, world", "text/plain; charset=utf-8")
            elif parts.path == "/not-json":
                self.send_body(200, b"{oops", "application/json")
            elif parts.path == "/status":
                self.send_body(int(query["code"][0]), b'{"error": "as asked"}', "application/json")
            elif parts.path == "/bytes":
                self.fixed_bytes(int(query["n"][0]), announce="announce" in query)
            elif parts.path == "/endless":
                self.endless()
            elif parts.path == "/slow":
                time.sleep(float(query.get("s", ["2"])[0]))
                self.send_body(200, b"late", "text/plain")
            elif parts.path == "/drip":
                self.drip()
            elif parts.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/text")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif parts.path == "/redirect-file":
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_body(404, b"no such route", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose (size limit or timeout)

    def echo(self, path: str, query: dict[str, list[str]]) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        reply = {
            "method": self.command,
            "path": path,
            "query": query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        self.send_body(200, json.dumps(reply).encode(), "application/json")

    def fixed_bytes(self, n: int, *, announce: bool) -> None:
        """`n` bytes; without `announce` no Content-Length, so only counting can enforce a limit."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if announce:
            self.send_header("Content-Length", str(n))
        self.end_headers()
        chunk = b"x" * 65536
        left = n
        while left > 0:
            self.wfile.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)

    def endless(self) -> None:
        """A body that never ends: a client that buffers before checking the limit never returns."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        chunk = b"y" * 65536
        while True:
            self.wfile.write(chunk)

    def drip(self) -> None:
        """A byte every 0.1 s for 3 s: no single wait is long, but the whole answer is."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        for _ in range(30):
            self.wfile.write(b".")
            self.wfile.flush()
            time.sleep(0.1)

    def send_body(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up mid-answer are expected here


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of the test server, e.g. http://127.0.0.1:40123."""
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL whose port is bound but not listening, so connecting is refused, reliably."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        sock.close()
