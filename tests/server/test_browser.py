"""End to end in headless Chromium: the demo page captures a (fake) microphone fed from a wav file, streams it to the
server, and shows the committed output. Needs Debian's `chromium` and Playwright's Python package (no browser
download); skipped with the reason when either is missing."""

from __future__ import annotations

import contextlib
import os
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
    yield from _serve(create_app(system_session_factory(text_system), ServerOptions()))


def _serve(app: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
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


def _chromium_args(wav: Path) -> list[str]:
    return [
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


@contextlib.contextmanager
def _interpreting_page(
    sync_api: Any, url: str, wav: Path, source_lang: str = "", target_lang: str = ""
) -> Iterator[Any]:
    """The demo page in headless Chromium, its microphone fed by `wav`, started in interpretation mode."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=_chromium_args(wav))
        try:
            page = browser.new_page()
            page.goto(url + "/")
            page.select_option("#mode", "interpretation")
            if source_lang:
                page.fill("#source-lang", source_lang)
            if target_lang:
                page.fill("#target-lang", target_lang)
            page.click("#start")
            yield page
        finally:
            browser.close()


def test_page_streams_the_microphone_and_shows_committed_text(server_url: str, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(16000 * 4) / 16000)).astype(np.float32)
    wav = save_wav(tmp_path / "mic.wav", tone, 16000)
    shot = tmp_path / "demo.png"
    with _interpreting_page(sync_api, server_url, wav) as page:
        page.wait_for_function(
            "document.querySelector('#output .committed').textContent.includes('2s:')", timeout=60_000
        )
        status = page.text_content("#status") or ""
        sent_s = float(page.text_content("#sent") or "0")
        page.screenshot(path=str(shot), full_page=True)
    assert status.startswith("listening")
    assert sent_s >= 2.0
    assert shot.stat().st_size > 1000


FRENCH_CLIP = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cvss-fr-en-sample"


def test_page_translates_real_french_speech_with_the_default_server(tmp_path: Path) -> None:
    """The server as `simulagent serve` builds it (the bundled Whisper translator) and the page, end to end, on a
    real French recording played into the fake microphone."""
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("faster_whisper")
    clip = FRENCH_CLIP / "common_voice_fr_17301936.mp3"
    if not clip.is_file():
        pytest.skip(f"{clip} is not here")
    from simulagent.agent.server.sessions import build_session_factory
    from simulagent.audio import load_audio
    from simulagent.config import load_config

    # Two seconds of silence after the speech, so the translator commits before the recording loops.
    speech = load_audio(clip)
    wav = save_wav(tmp_path / "mic.wav", np.concatenate([speech, np.zeros(32000, dtype=np.float32)]), 16000)
    factory, _ = build_session_factory(load_config())
    served = _serve(create_app(factory, ServerOptions()))
    url = next(served)
    try:
        with _interpreting_page(sync_api, url, wav, source_lang="fr", target_lang="en") as page:
            # Wait for a content word of the reference, not a word count: the first words committed can be a
            # partial clause ("I have been experiencing") that is right but holds none of the reference's words.
            page.wait_for_function(
                "/experienc|year|word|later/i.test(document.querySelector('#output .committed').textContent)",
                timeout=120_000,
            )
            english = page.text_content("#output .committed") or ""
            # The picture in docs/protocol.md: SIMULAGENT_SCREENSHOT_DIR=docs/img pytest -k real_french
            folder = Path(os.environ.get("SIMULAGENT_SCREENSHOT_DIR") or tmp_path)
            page.screenshot(path=str(folder / "server-demo-translation.png"), full_page=True)
    finally:
        next(served, None)
    # The reference: "i therefore have the experience of the passed years i'll say a few words about that later".
    assert any(word in english.lower() for word in ("experienc", "year", "word", "later")), english
