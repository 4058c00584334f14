"""A local HTTP server with scripted responses (no network), and a mixed zh/en document folder."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Route:
    status: int = 200
    body: str = ""
    content_type: str = "application/json"
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (e.g. Location)


class FakeWeb:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                web.requests.append(self.path)
                route = web.routes.get(self.path.split("?")[0], Route(404, "not found", "text/plain"))
                if route.delay_s:
                    time.sleep(route.delay_s)
                data = route.body.encode("utf-8")
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def fake_web() -> Iterator[FakeWeb]:
    web = FakeWeb()
    yield web
    web.server.shutdown()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tea.md").write_text(
        "# Green tea\n\nGreen tea is brewed at 80 degrees Celsius for two minutes. Boiling water makes it bitter.\n",
        encoding="utf-8",
    )
    (folder / "train.txt").write_text(
        "The night train to Vienna leaves platform 7 at 22:15. Tickets cost 59 euros.", encoding="utf-8"
    )
    (folder / "panda.html").write_text(
        "<html><head><title>大熊猫</title><script>var x=1;</script></head><body><p>大熊猫主要生活在四川的山区。"
        "它们每天吃大约十二公斤竹子。</p></body></html>",
        encoding="utf-8",
    )
    (folder / "weather.md").write_text(
        "# 上海天气\n\n上海的梅雨季节通常在六月中旬开始，持续大约一个月。", encoding="utf-8"
    )
    return folder
