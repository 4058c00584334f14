"""Fixtures for the skills: a fixed clock, a temporary store, and Open-Meteo answers served from 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from simulagent.verticals.api import VerticalContext
from simulagent.verticals.store import LocalStore
from simulagent.verticals.web import HTTP

NOW = datetime(2025, 6, 10, 8, 30, tzinfo=UTC)


def open_meteo_forecast(start: date) -> dict[str, object]:
    """The shape of Open-Meteo's /v1/forecast answer (as its documentation shows), for 7 days from `start`."""
    days = [(start + timedelta(days=i)).isoformat() for i in range(7)]
    return {
        "latitude": 31.25,
        "longitude": 121.5,
        "timezone": "Asia/Shanghai",
        "current_units": {"temperature_2m": "°C"},
        "current": {
            "time": f"{start.isoformat()}T16:30",
            "interval": 900,
            "temperature_2m": 27.4,
            "weather_code": 2,
            "wind_speed_10m": 11.2,
        },
        "daily_units": {"temperature_2m_max": "°C"},
        "daily": {
            "time": days,
            "weather_code": [2, 61, 3, 0, 80, 95, 1],
            "temperature_2m_max": [29.1, 26.0, 28.3, 31.0, 27.5, 25.9, 30.2],
            "temperature_2m_min": [22.4, 21.8, 22.0, 23.1, 22.2, 21.0, 23.3],
            "precipitation_probability_max": [10, 80, 20, 0, 60, 90, 5],
        },
    }


class FixtureServer:
    def __init__(self) -> None:
        self.mode = "ok"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.mode == "timeout":
                    import time

                    time.sleep(1.0)
                status, ctype, body = 200, "application/json", json.dumps(open_meteo_forecast(NOW.date()))
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
    http = HTTP(timeout_s=0.5, retries=1, base_urls={"open-meteo": fixture_server.url})
    yield VerticalContext(now=NOW, lang="en", time_zone="Asia/Shanghai", store=store, http=http, extra={"seed": 1})
    store.close()
