"""End to end in headless Chromium: the demo page captures a (fake) microphone fed from a wav file, streams it to the
server, and shows the committed output. Needs Debian's `chromium` and Playwright's Python package (no browser
download); skipped with the reason when either is missing."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulagent.agent.server import ServerOptions, create_app
from simulagent.agent.server.sessions import system_session_factory
from simulagent.audio import save_wav

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server_url(text_system: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    app = create_app(system_session_factory(text_system), ServerOptions())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_page_streams_the_microphone_and_shows_committed_text(server_url: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(16000 * 4) / 16000)).astype(np.float32)
    wav = save_wav(tmp_path / "mic.wav", tone, 16000)
    args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_page()
            page.goto(server_url + "/")
            page.select_option("#mode", "interpretation")
            page.click("#start")
            page.wait_for_function(
                "document.querySelector('#output .committed').textContent.includes('2s:')", timeout=60_000
            )
            status = page.text_content("#status") or ""
            sent_s = float(page.text_content("#sent") or "0")
            shot = tmp_path / "demo.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert status.startswith("listening")
    assert sent_s >= 2.0
    assert shot.stat().st_size > 1000
