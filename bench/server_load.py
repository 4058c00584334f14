"""Load test of `simulagent serve`: N concurrent streaming sessions on loopback, in real time, for a while.

Sessions start `--ramp-s` apart (clients arrive one after another, so the server can measure its load before the
next one asks in). Each session streams a recording in 100 ms PCM16 frames at real-time pace (looping it), and
records, for every committed-output event, the time from sending the frame that completed a second of audio to
receiving the event. A session the server refuses (`server_busy`: beyond `max_sessions` or the measured capacity of
the model) ends there and is counted, or with `--retries N` tries again after the `retry_after_ms` the server
gave, as the protocol asks of a client, and streams its minutes from when it got in; an admitted one counts the
audio the server skipped to keep its backlog bounded (`audio.skipped` events, listed by session and time). At the
end it prints admitted and refused sessions, per-event latency p50/p95, other errors, dropped frames and skipped
audio (from /metrics), the server's capacity and load (from /health, read once every session has started), and its
RSS then, at its peak and at the end (flat memory: the three agree).

Usage:
    python bench/server_load.py --sessions 16 --minutes 10 --system simulagent.agent.server.diagnostic:AudioMeter
    python bench/server_load.py --sessions 16 --minutes 10 --system simulagent.presets:make_fast --ramp-s 3 \
        --audio out/speech_sets/de-en/source.txt --source-lang de      # bench/speech_sets.py writes that list
    python bench/server_load.py --minutes 0.5 --serve-arg=--admission=fixed --serve-arg=--max-backlog-ms=2000

The server runs in a child process (`simulagent serve --system ...`) so its memory is measured on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
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


@dataclass
class _Result:
    """What one session saw."""

    admitted: bool = False
    refused_reason: str = ""
    refused_message: str = ""
    retry_after_s: float = 10.0
    attempts: int = 1
    sent_ms: float = 0.0
    skips: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the session, seconds skipped)
    errors: list[str] = field(default_factory=list)

    @property
    def skipped_s(self) -> float:
        return sum(seconds for _, seconds in self.skips)


# Refusals a client waits out (a full server is not).
_RETRIED = ("load",)


async def _session(
    url: str,
    audio: np.ndarray,
    seconds: float,
    delay_s: float,
    latencies: list[float],
    source_lang: str,
    retries: int = 0,
) -> _Result:
    """One client: a refused one tries again after the server's `retry_after_ms`, up to `retries` times, as the
    protocol asks of a client (then streams its `seconds` from the time it got in)."""
    await asyncio.sleep(delay_s)
    result = await _stream(url, audio, seconds, latencies, source_lang)
    attempts = 1
    while not result.admitted and attempts <= retries and result.refused_reason in _RETRIED:
        await asyncio.sleep(result.retry_after_s)
        result = await _stream(url, audio, seconds, latencies, source_lang)
        attempts += 1
    result.attempts = attempts
    return result


async def _stream(url: str, audio: np.ndarray, seconds: float, latencies: list[float], source_lang: str) -> _Result:
    import websockets

    result = _Result()
    frame = 1600
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    async with websockets.connect(url, max_size=2**22) as ws:
        hello = {"type": "hello", "protocol": 1, "mode": "interpretation", "sample_rate_hz": 16000}
        if source_lang:
            hello["source_lang"] = source_lang
        await ws.send(json.dumps(hello))
        first = json.loads(await ws.recv())
        if first.get("type") == "error":
            result.refused_reason = first.get("reason", first.get("code", "?"))
            result.refused_message = first.get("message", "")
            result.retry_after_s = float(first.get("retry_after_ms", 10_000)) / 1000.0
            return result
        result.admitted = True
        sent_at: list[float] = []
        start = time.perf_counter()

        async def reader() -> None:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue
                message = json.loads(raw)
                if message.get("type") == "error":
                    result.errors.append(message["code"])
                elif message.get("event") == "audio.skipped":
                    result.skips.append((time.perf_counter() - start, float(message["skipped_ms"]) / 1000.0))
                elif message.get("event") == "translation.committed" and sent_at:
                    latencies.append(time.perf_counter() - sent_at[-1])

        task = asyncio.create_task(reader())
        position = 0
        index = 0
        while time.perf_counter() - start < seconds:
            chunk = pcm[position : position + frame]
            if chunk.shape[0] < frame:
                position = 0
                continue
            position += frame
            try:
                await ws.send(chunk.tobytes())
            except websockets.ConnectionClosed as closed:  # the server ended the session: count it, do not crash
                result.errors.append(f"closed {closed.rcvd.code if closed.rcvd else '?'}")
                break
            result.sent_ms += 100.0
            index += 1
            if index % 10 == 0:
                sent_at.append(time.perf_counter())
            target = start + index * 0.1
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(json.dumps({"type": "end_of_audio"}))
        await asyncio.sleep(2.0)
        task.cancel()
    return result


def _load_recordings(paths: list[str]) -> np.ndarray:
    """The recordings one after another with 0.5 s of silence between them; a .txt file lists recordings, one per
    line (like eval's source files). Many different sentences keep a looped stream from repeating itself within the
    translator's memory of committed words (which drops a continuation that repeats them)."""
    from simulagent.audio import load_audio

    files: list[str] = []
    for path in paths:
        files += Path(path).read_text().split() if path.endswith(".txt") else [path]
    gap = np.zeros(8000, dtype=np.float32)
    return np.concatenate([part for file in files for part in (load_audio(file), gap)])


def _metric(text: str, name: str) -> float:
    """Sum of a metric's samples in the Prometheus text (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + " ", name + "{")):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _main(args: argparse.Namespace) -> None:
    import httpx

    port = args.port
    env = dict(os.environ)
    command = [sys.executable, "-m", "simulagent", "serve", "--port", str(port), "--system", args.system]
    server = subprocess.Popen([*command, *args.serve_arg], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            try:
                httpx.get(base + "/health", timeout=1.0)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
        if args.audio:
            audio = _load_recordings(args.audio)
        else:
            audio = (0.2 * np.sin(2 * np.pi * 220 * np.arange(16000 * 5) / 16000)).astype(np.float32)
        latencies: list[float] = []
        peak_mb = 0.0
        # Clients that try again come in a retry_after_ms (10 s) or more later.
        ramp_end_s = args.ramp_s * max(0, args.sessions - 1) + 5.0 + 12.0 * args.retries
        after_ramp_mb: float | None = None
        loaded_health: dict[str, object] = {}
        per_minute_mb: list[float] = []  # RSS at the end of each minute: flat memory shows as a plateau

        async def watch() -> None:
            nonlocal peak_mb, after_ramp_mb
            started = time.monotonic()
            while True:
                rss = _rss_mb(server.pid)
                peak_mb = max(peak_mb, rss)
                if time.monotonic() - started >= 60.0 * (len(per_minute_mb) + 1):
                    per_minute_mb.append(rss)
                if after_ramp_mb is None and time.monotonic() - started >= ramp_end_s:
                    after_ramp_mb = rss
                    async with httpx.AsyncClient() as http:  # capacity and load while every session runs
                        loaded_health.update((await http.get(base + "/health", timeout=10.0)).json())
                await asyncio.sleep(1.0)

        watcher = asyncio.create_task(watch())
        seconds = args.minutes * 60
        url = f"ws://127.0.0.1:{port}/ws"
        results = await asyncio.gather(
            *(
                _session(
                    url,
                    np.roll(audio, -i * len(audio) // args.sessions),
                    seconds,
                    i * args.ramp_s,
                    latencies,
                    args.source_lang,
                    args.retries,
                )
                for i in range(args.sessions)
            )
        )
        watcher.cancel()
        metrics = httpx.get(base + "/metrics").text
        final_load = httpx.get(base + "/health", timeout=10.0).json().get("load")
        admitted = [r for r in results if r.admitted]
        refused: dict[str, int] = {}
        for r in results:
            if not r.admitted:
                refused[r.refused_reason] = refused.get(r.refused_reason, 0) + 1
        errors = [code for r in results for code in r.errors]
        sent_s = sum(r.sent_ms for r in admitted) / 1000.0
        skipped_s = sum(r.skipped_s for r in admitted)
        q = statistics.quantiles(latencies, n=20) if len(latencies) >= 20 else [float("nan")] * 19
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        print(f"sessions={args.sessions} minutes={args.minutes} ramp={args.ramp_s}s system={args.system}")
        print(f"admitted={len(admitted)} refused={sum(refused.values())} {refused or ''}")
        retried = [f"{i}:{r.attempts}" for i, r in enumerate(results) if r.attempts > 1]
        if retried:
            print(f"tries of the clients that tried again (session:tries): {' '.join(retried)}")
        for i, r in enumerate(results):
            if not r.admitted:
                print(f"  session {i} refused: {r.refused_message}")
        print(
            f"events={len(latencies)} errors={len(errors)} {sorted(set(errors)) or ''} "
            f"dropped_frames={_metric(metrics, 'simulagent_dropped_audio_frames_total'):.0f}"
        )
        share = f" ({100 * skipped_s / sent_s:.1f}% of {sent_s:.0f} s sent)" if sent_s else ""
        print(
            f"skipped audio={skipped_s:.1f} s{share}, "
            f"metric={_metric(metrics, 'simulagent_skipped_audio_seconds_total'):.1f} s"
        )
        # When and where audio was skipped tells a cold start (the first streams, the first seconds) from overload.
        skips = [f"{i}@{at:.0f}s:{sec:.1f}s" for i, r in enumerate(results) for at, sec in r.skips]
        if skips:
            print(f"skips (session@time into it:seconds): {' '.join(skips)}")
        print(f"latency p50={p50:.1f} ms p95={q[18] * 1000:.1f} ms")
        print(f"after the ramp: capacity={json.dumps(loaded_health.get('capacity'))}")
        print(f"after the ramp: load={json.dumps(loaded_health.get('load'))}")
        print(f"at the end: load={json.dumps(final_load)}")
        ramp_mb = "-" if after_ramp_mb is None else f"{after_ramp_mb:.0f}"
        print("server RSS per minute (MB): " + " ".join(f"{mb:.0f}" for mb in per_minute_mb))
        print(f"server RSS after ramp={ramp_mb} MB, peak={peak_mb:.0f} MB, final={_rss_mb(server.pid):.0f} MB")
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
    parser.add_argument(
        "--audio", nargs="*", default=[], help="recordings to stream (looped), or a .txt file listing them"
    )
    parser.add_argument("--source-lang", default="", help="the sessions' source language (default: the server's)")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--ramp-s", type=float, default=1.0, help="seconds between session starts")
    parser.add_argument(
        "--retries", type=int, default=0, help="times a client refused for load tries again after retry_after_ms"
    )
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="extra flag for `simulagent serve`, e.g. --serve-arg=--max-backlog-ms=2000 (repeatable)",
    )
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
