"""A tiny Python client for `simulagent serve`: stream a recording, print the events.

Usage:
    python -m simulagent.agent.server.client ws://127.0.0.1:8765/ws recording.wav [--token T] [--mode interpretation]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from simulagent.audio import SAMPLE_RATE_HZ, chunk_samples, load_audio

__all__ = ["stream_file"]


async def stream_file(
    url: str,
    path: str,
    *,
    token: str = "",
    mode: str = "interpretation",
    source_lang: str = "",
    target_lang: str = "en",
    chunk_ms: int = 100,
    realtime: bool = False,
) -> AsyncIterator[dict[str, Any]]:
    """Send a recording as PCM16 frames and yield every JSON message the server sends back (audio headers included;
    the binary audio itself is attached to its header as `pcm16`)."""
    import websockets

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    samples = load_audio(path)
    async with websockets.connect(url, additional_headers=headers, max_size=2**22) as ws:
        hello = {"type": "hello", "protocol": 1, "mode": mode, "sample_rate_hz": SAMPLE_RATE_HZ}
        hello.update({"source_lang": source_lang, "target_lang": target_lang})
        await ws.send(json.dumps(hello))

        async def send() -> None:
            for chunk in chunk_samples(samples, SAMPLE_RATE_HZ, chunk_ms):
                await ws.send((np.clip(chunk.samples, -1, 1) * 32767).astype("<i2").tobytes())
                if realtime:
                    await asyncio.sleep(chunk.duration_ms / 1000.0)
            await ws.send(json.dumps({"type": "end_of_audio"}))

        sender = asyncio.create_task(send())
        pending_header: dict[str, Any] | None = None
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    if pending_header is not None:
                        pending_header["pcm16"] = raw
                        yield pending_header
                        pending_header = None
                    continue
                message = json.loads(raw)
                if message.get("type") == "audio":
                    pending_header = message
                    continue
                yield message
                if message.get("type") == "event" and message.get("event") == "turn.end" and sender.done():
                    return
        finally:
            sender.cancel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("file")
    parser.add_argument("--token", default="")
    parser.add_argument("--mode", default="interpretation", choices=["interpretation", "dialogue"])
    parser.add_argument("--source-lang", default="")
    parser.add_argument("--target-lang", default="en")
    args = parser.parse_args(argv)

    async def run() -> None:
        async for message in stream_file(
            args.url,
            args.file,
            token=args.token,
            mode=args.mode,
            source_lang=args.source_lang,
            target_lang=args.target_lang,
        ):
            message.pop("pcm16", None)
            print(json.dumps(message, ensure_ascii=False), flush=True)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
