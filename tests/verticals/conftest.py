"""Fixtures for the skills: a fixed clock, a temporary store, a calendar file, and every web provider's answers
served from 127.0.0.1 (by path, from `fixtures.py`), with switchable faults."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from simulagent.verticals.api import VerticalContext
from simulagent.verticals.store import LocalStore
from simulagent.verticals.web import DEFAULT_BASE_URLS, HTTP

from .fixtures import reply

NOW = datetime(2025, 6, 10, 8, 30, tzinfo=UTC)
CALENDAR = Path(__file__).parent / "data" / "agenda.ics"


class FixtureServer:
    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.mode == "timeout":
                    import time

                    time.sleep(1.0)
                parts = urlsplit(self.path)
                server.requests.append(self.path)
                status, ctype, body = reply(parts.path, dict(parse_qsl(parts.query)))
                if server.mode == "500":
                    status, body = 500, '{"error": true, "reason": "internal"}'
                elif server.mode == "malformed":
                    body = '{"daily": {"time": ['
                elif server.mode == "html":
                    ctype, body = "text/html", "<html><body>Checking your browser...</body></html>"
                elif server.mode == "quota":
                    body = '{"error": true, "reason": "Daily API request limit exceeded"}'
                elif server.mode == "missing":
                    body = '{"latitude": 1}'
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    server = FixtureServer()
    yield server
    server.httpd.shutdown()


@pytest.fixture
def ctx(tmp_path: Path, fixture_server: FixtureServer) -> Iterator[VerticalContext]:
    store = LocalStore(tmp_path / "store.sqlite")
    http = HTTP(timeout_s=0.5, retries=1, base_urls=dict.fromkeys(DEFAULT_BASE_URLS, fixture_server.url))
    yield VerticalContext(
        now=NOW,
        lang="en",
        time_zone="Asia/Shanghai",
        store=store,
        http=http,
        calendar_file=str(CALENDAR),
        extra={"seed": 1},
    )
    store.close()
