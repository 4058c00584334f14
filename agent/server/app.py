"""The ASGI application of `simulagent serve`: WebSocket sessions, health, metrics and the browser demo page.

Security: a bearer token is required whenever the server binds beyond loopback (`check_bind` refuses to start
without one); browsers cannot set headers on a WebSocket, so the token may also come as `?token=`. Origins are
checked for browser connections. Control messages, audio frames and message rates are limited. Tokens never reach
the logs.

Back-pressure: each session has bounded queues. A client that does not read its events makes the session's sends
wait, which stops the session from reading that client's audio: memory stays bounded and nothing is dropped.

Admission control and load shedding: streaming sessions share one model worker (a thread per model replica),
which measures its load; a session beyond `max_sessions`, or a stream beyond the measured capacity, is refused with
`server_busy` and a retry-after hint (`admission.py`). An admitted stream that the model cannot keep up with skips
its oldest unprocessed audio beyond `max_backlog_ms` and is told so (`audio.skipped`), so memory stays flat even
when capacity is misjudged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import math
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simulagent.agent.server.admission import Admission, AdmissionPolicy
from simulagent.agent.server.metrics import ServerMetrics
from simulagent.agent.server.options import ServerOptions
from simulagent.agent.server.protocol import (
    MAX_AUDIO_FRAME_BYTES,
    PROTOCOL_VERSION,
    EndOfAudio,
    Hello,
    Interrupt,
    Ping,
    ProtocolError,
    TextInput,
    parse_client_message,
)
from simulagent.agent.server.session import AUDIO_SKIPPED, AudioOut, EventOut, ServerSession, SessionFactory
from simulagent.agent.server.worker import LoadSnapshot, ModelWorker, shared_worker
from simulagent.errors import UserError
from simulagent.types import AudioChunk

__all__ = ["ServerOptions", "check_bind", "create_app"]

log = logging.getLogger("simulagent.server")

STATIC_DIR = Path(__file__).parent / "static"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str) -> None:
    """Refuse to serve beyond loopback without a token."""
    if not is_loopback(host) and not token:
        raise UserError(
            f"refusing to listen on {host} without a token: set one with --token or $SIMULAGENT_TOKEN "
            "(loopback addresses need none)"
        )


class _RateLimiter:
    """Token bucket: `rate_per_s` messages per second, bursts up to twice that."""

    def __init__(self, rate_per_s: float) -> None:
        self._rate = rate_per_s
        self._capacity = 2.0 * rate_per_s
        self._tokens = self._capacity
        self._last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class _Capacity:
    """The open sessions of one app, and the admission decisions made from them and the worker's load."""

    def __init__(self, options: ServerOptions, worker: ModelWorker, metrics: ServerMetrics) -> None:
        self.options = options
        self.worker = worker
        self.metrics = metrics
        self.policy = AdmissionPolicy(options)
        self.sessions: set[str] = set()
        self.streams: set[str] = set()
        self._last_stream_admitted_s = -math.inf

    def load(self) -> LoadSnapshot:
        return self.worker.load.snapshot(self.options.load_window_s)

    def admit_connection(self, session_id: str) -> Admission:
        admission = self.policy.admit_connection(len(self.sessions))
        if admission.admitted:
            self.sessions.add(session_id)
        return admission

    def admit_stream(self, session_id: str) -> Admission:
        # No await between the decision and the bookkeeping: concurrent hellos cannot both take the last place.
        admission = self._judge_stream(self.load())
        if admission.admitted:
            self.streams.add(session_id)
            self._last_stream_admitted_s = self.worker.load.now()
        return admission

    def _judge_stream(self, load: LoadSnapshot) -> Admission:
        since_last_s = self.worker.load.now() - self._last_stream_admitted_s
        return self.policy.admit_stream(len(self.streams), load, since_last_s)

    def release(self, session_id: str) -> None:
        self.sessions.discard(session_id)
        self.streams.discard(session_id)

    def report(self) -> dict[str, Any]:
        """The capacity and load part of /health."""
        load = self.load()
        rtf = self.policy.real_time_factor(load)
        batches = self.worker.batch_sizes()
        accepting = self.policy.admit_connection(len(self.sessions)).admitted and self._judge_stream(load).admitted
        elastic = self.policy.elastic(len(self.streams), load)
        measured = self.options.admission == "measured"
        headroom = load.mean_step_headroom
        return {
            "streaming_sessions": len(self.streams),
            "capacity": {
                "admission": self.options.admission,
                "max_sessions": self.options.max_sessions,
                # Elastic streams may also come in past this limit while their steps have headroom (rule 5).
                "measured_limit": self.policy.measured_limit(load),
                "judged_by": (
                    "real_time_factor or step_headroom"
                    if elastic
                    else ("real_time_factor" if measured else "max_sessions")
                ),
                "min_step_headroom": self.options.min_step_headroom,
                "max_elastic_busy": self.options.max_elastic_busy,
                "max_model_load": self.options.max_model_load,
                "max_backlog_ms": self.options.max_backlog_ms,
                "accepting_streams": accepting,
            },
            "load": {
                "window_s": round(load.window_s, 3),
                "model_busy_fraction": round(load.busy_fraction, 4),
                "real_time_factor": None if rtf is None else round(rtf, 4),
                "audio_s": round(load.audio_ms / 1000.0, 3),
                "updates": load.updates,
                "skipped_s": round(load.skipped_ms / 1000.0, 3),
                "largest_backlog_s": round(load.largest_backlog_ms / 1000.0, 3),
                "adaptive_streams": load.adaptive_streams,
                "young_adaptive_streams": load.young_adaptive_streams,
                "longest_update_s": round(load.longest_update_s, 3),
                "mean_step_headroom": None if headroom is None else round(headroom, 3),
                "batch_size_mean": round(sum(batches) / len(batches), 2) if batches else None,
                "batch_size_max": max(batches, default=None),
            },
            "refused_sessions": {reason: self.metrics.refused(reason) for reason in ("max_sessions", "load")},
            "skipped_audio_s": round(self.metrics.skipped_audio_s(), 3),
        }


def create_app(
    session_factory: SessionFactory, options: ServerOptions | None = None, worker: ModelWorker | None = None
) -> Any:
    """Build the Starlette application.

    Args:
        session_factory: makes one `ServerSession` per connection (shares loaded models between sessions).
        options: security, limits, admission control and load shedding.
        worker: the model worker the factory's streaming sessions run on, whose load admission reads (default: the
            process-wide one, which `system_session_factory` also uses by default).
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocket

    opts = options or ServerOptions()
    metrics = ServerMetrics()
    capacity = _Capacity(opts, worker or shared_worker(), metrics)
    metrics.watch_load(lambda: capacity.load().busy_fraction, lambda: capacity.policy.real_time_factor(capacity.load()))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "sessions": len(capacity.sessions),
                "loaded_models": list(opts.loaded_models),
                "protocol": PROTOCOL_VERSION,
                **capacity.report(),
            }
        )

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    async def websocket_endpoint(websocket: WebSocket) -> None:
        if not _authorised(
            websocket.headers.get("authorization", ""), websocket.query_params.get("token", ""), opts.token
        ):
            await websocket.close(code=4401, reason="missing or wrong token")
            return
        origin = websocket.headers.get("origin")
        if origin is not None and not _origin_allowed(origin, websocket.headers.get("host", ""), opts.allowed_origins):
            log.warning("refused a WebSocket from origin %s", origin)
            await websocket.close(code=4403, reason="origin not allowed")
            return
        await websocket.accept()
        session_id = uuid.uuid4().hex
        admission = capacity.admit_connection(session_id)
        if not admission.admitted:
            await _refuse(websocket, metrics, admission, opts.retry_after_ms)
            return
        metrics.sessions_active.inc()
        metrics.sessions_total.inc()
        try:
            await _serve(websocket, session_id, session_factory, opts, metrics, capacity)
        finally:
            capacity.release(session_id)
            metrics.sessions_active.dec()

    routes = [
        Route("/", index),
        Route("/health", health),
        Route("/metrics", metrics_endpoint),
        WebSocketRoute("/ws", websocket_endpoint),
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.metrics = metrics
    return app


def _authorised(header: str, query_token: str, token: str) -> bool:
    if not token:
        return True
    presented = header[len("Bearer ") :] if header.startswith("Bearer ") else query_token
    return hmac.compare_digest(presented.encode(), token.encode())


def _origin_allowed(origin: str, host: str, allowed: Sequence[str]) -> bool:
    if origin in allowed:
        return True
    own = {f"http://{host}", f"https://{host}"}
    return origin in own


async def _send_error(websocket: Any, metrics: ServerMetrics, code: str, message: str, **extra: Any) -> None:
    metrics.errors.labels(code=code).inc()
    await websocket.send_text(json.dumps({"type": "error", "code": code, "message": message, **extra}))


async def _refuse(websocket: Any, metrics: ServerMetrics, admission: Admission, retry_after_ms: int) -> None:
    """Tell a client it was not admitted, with a retry-after hint, and close with 1013 (try again later)."""
    metrics.sessions_refused.labels(reason=admission.reason).inc()
    message = f"server busy: {admission.message}; try again in {retry_after_ms / 1000:g} s"
    try:
        await _send_error(
            websocket, metrics, "server_busy", message, reason=admission.reason, retry_after_ms=retry_after_ms
        )
    except Exception:  # the client left before hearing why: nothing left to tell it
        log.debug("could not send server_busy", exc_info=True)
    await _safe_close(websocket, 1013, "server busy")


async def _serve(
    websocket: Any,
    session_id: str,
    factory: SessionFactory,
    opts: ServerOptions,
    metrics: ServerMetrics,
    capacity: _Capacity,
) -> None:
    from starlette.websockets import WebSocketDisconnect

    limiter = _RateLimiter(opts.max_messages_per_s)
    try:
        first = await websocket.receive_text()
        hello = parse_client_message(first)
        if not isinstance(hello, Hello):
            raise ProtocolError("hello_first", 'the first message must be {"type": "hello", ...}')
    except ProtocolError as exc:
        await _send_error(websocket, metrics, exc.code, str(exc))
        await websocket.close(code=1008)
        return
    except (WebSocketDisconnect, KeyError, RuntimeError):
        # receive_text raises KeyError/RuntimeError when the first frame is binary or the socket closed.
        await _safe_close(websocket, 1008)
        return
    if hello.mode == "interpretation":  # a stream on the shared model worker
        admission = capacity.admit_stream(session_id)
        if not admission.admitted:
            log.info("refused a stream: %s", admission.message)
            await _refuse(websocket, metrics, admission, opts.retry_after_ms)
            return
        log.info("admitted a stream (%d open): %s", len(capacity.streams), admission.message or "room")
    try:
        session = factory(hello)
    except UserError as exc:
        await _send_error(websocket, metrics, "bad_hello", str(exc))
        await websocket.close(code=1008)
        return
    ready = {"type": "ready", "protocol": PROTOCOL_VERSION, "session_id": session_id, "mode": hello.mode}
    ready.update({"thread_id": hello.thread_id or session_id, **dict(session.describe())})
    await websocket.send_text(json.dumps(ready))
    sender = asyncio.create_task(_send_events(websocket, session, metrics))
    try:
        await _receive_loop(websocket, session, hello, limiter, metrics)
    except WebSocketDisconnect:
        pass
    finally:
        await session.close()
        try:
            await asyncio.wait_for(sender, timeout=30.0)
        except (TimeoutError, asyncio.CancelledError):
            sender.cancel()
        except Exception:  # the client went away mid-send: nothing left to tell it
            log.debug("sender ended with an error", exc_info=True)
        await _safe_close(websocket, 1000)


async def _receive_loop(
    websocket: Any, session: ServerSession, hello: Hello, limiter: _RateLimiter, metrics: ServerMetrics
) -> None:
    samples_received = 0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if not limiter.allow():
            await _send_error(websocket, metrics, "rate_limited", "too many messages; slow down")
            continue
        data = message.get("bytes")
        if data is not None:
            if len(data) == 0 or len(data) > MAX_AUDIO_FRAME_BYTES or len(data) % 2:
                metrics.dropped_frames.inc()
                await _send_error(
                    websocket,
                    metrics,
                    "bad_audio_frame",
                    f"audio frames are PCM16 mono, an even number of bytes up to {MAX_AUDIO_FRAME_BYTES}",
                )
                continue
            arrived = time.perf_counter()
            samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
            chunk = AudioChunk(samples, hello.sample_rate_hz, start_ms=1000.0 * samples_received / hello.sample_rate_hz)
            samples_received += samples.shape[0]
            metrics.audio_frames.inc()
            await session.push_audio(chunk)
            metrics.chunk_latency.observe(time.perf_counter() - arrived)
            continue
        try:
            parsed = parse_client_message(message.get("text") or "")
        except ProtocolError as exc:
            await _send_error(websocket, metrics, exc.code, str(exc))
            continue
        if isinstance(parsed, TextInput):
            await session.push_text(parsed.text)
        elif isinstance(parsed, Interrupt):
            await session.interrupt()
        elif isinstance(parsed, EndOfAudio):
            await session.end_audio()
        elif isinstance(parsed, Ping):
            await websocket.send_text('{"type": "pong"}')
        else:
            await _send_error(websocket, metrics, "hello_twice", "hello may only be the first message")


async def _send_events(websocket: Any, session: ServerSession, metrics: ServerMetrics) -> None:
    async for item in session.events():
        if isinstance(item, AudioOut):
            pcm = (np.clip(item.samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
            header = {
                "type": "audio",
                "sample_rate_hz": item.sample_rate_hz,
                "num_samples": int(item.samples.shape[0]),
                "start_ms": item.start_ms,
                "text": item.text,
            }
            await websocket.send_text(json.dumps(header))
            await websocket.send_bytes(pcm)
        elif isinstance(item, EventOut):
            if item.kind == AUDIO_SKIPPED:
                metrics.skipped_audio.inc(float(item.payload["skipped_ms"]) / 1000.0)
            await websocket.send_text(
                json.dumps({"type": "event", "event": item.kind, **dict(item.payload)}, default=str)
            )


async def _safe_close(websocket: Any, code: int, reason: str | None = None) -> None:
    from starlette.websockets import WebSocketDisconnect

    with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # already closed, or the client left first
        await websocket.close(code=code, reason=reason)
