"""Load test of `simulagent serve`: N concurrent streaming sessions on loopback, in real time, for a while.

Each session streams a recording in 100 ms PCM16 frames at real-time pace (looping it), and records, for every
committed-output event, the time from sending the frame that completed a second of audio to receiving the event.
At the end it prints per-chunk latency p50/p95, errors, dropped frames (from /metrics) and the server's peak RSS.

Usage:
    python bench/server_load.py --sessions 16 --minutes 10 --system simulagent.agent.server.diagnostic:AudioMeter
    python bench/server_load.py --sessions 16 --minutes 10 --system simulagent.models.<module>:make_system

The server runs in a child process (`simulagent serve --system ...`) so its memory is measured on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


async def _session(url: str, audio: np.ndarray, seconds: float, latencies: list[float], errors: list[str]) -> None:
    import websockets

    frame = 1600
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    async with websockets.connect(url, max_size=2**22) as ws:
        await ws.send(json.dumps({"type": "hello", "protocol": 1, "mode": "interpretation", "sample_rate_hz": 16000}))
        json.loads(await ws.recv())
        sent_at: list[float] = []

        async def reader() -> None:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue
                message = json.loads(raw)
                if message.get("type") == "error":
                    errors.append(message["code"])
                elif message.get("event") == "translation.committed" and sent_at:
                    latencies.append(time.perf_counter() - sent_at[-1])

        task = asyncio.create_task(reader())
        start = time.perf_counter()
        position = 0
        index = 0
        while time.perf_counter() - start < seconds:
            chunk = pcm[position : position + frame]
            if chunk.shape[0] < frame:
                position = 0
                continue
            position += frame
            await ws.send(chunk.tobytes())
            index += 1
            if index % 10 == 0:
                sent_at.append(time.perf_counter())
            target = start + index * 0.1
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
        await ws.send(json.dumps({"type": "end_of_audio"}))
        await asyncio.sleep(2.0)
        task.cancel()


async def _main(args: argparse.Namespace) -> None:
    import httpx

    port = args.port
    env = dict(os.environ)
    server = subprocess.Popen(
        [sys.executable, "-m", "simulagent", "serve", "--port", str(port), "--system", args.system], env=env
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                httpx.get(base + "/health", timeout=1.0)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
        if args.audio:
            from simulagent.audio import load_audio

            audio = load_audio(args.audio)
        else:
            audio = (0.2 * np.sin(2 * np.pi * 220 * np.arange(16000 * 5) / 16000)).astype(np.float32)
        latencies: list[float] = []
        errors: list[str] = []
        peak_mb = 0.0

        async def watch() -> None:
            nonlocal peak_mb
            while True:
                peak_mb = max(peak_mb, _rss_mb(server.pid))
                await asyncio.sleep(1.0)

        watcher = asyncio.create_task(watch())
        seconds = args.minutes * 60
        await asyncio.gather(
            *(_session(f"ws://127.0.0.1:{port}/ws", audio, seconds, latencies, errors) for _ in range(args.sessions))
        )
        watcher.cancel()
        metrics = httpx.get(base + "/metrics").text
        dropped = [line for line in metrics.splitlines() if line.startswith("simulagent_dropped_audio_frames_total")]
        q = statistics.quantiles(latencies, n=20) if len(latencies) >= 20 else [float("nan")] * 19
        print(f"sessions={args.sessions} minutes={args.minutes} system={args.system}")
        print(f"events={len(latencies)} errors={len(errors)} {dropped[0] if dropped else ''}")
        print(f"latency p50={statistics.median(latencies) * 1000:.1f} ms p95={q[18] * 1000:.1f} ms")
        print(f"server peak RSS={peak_mb:.0f} MB, final RSS={_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a saturated server may still be finishing queued updates
            server.kill()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--system", default="simulagent.agent.server.diagnostic:AudioMeter")
    parser.add_argument("--audio", default="")
    parser.add_argument("--port", type=int, default=8799)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
