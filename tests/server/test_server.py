"""The WebSocket server: protocol, sessions, security limits, health and metrics (over Starlette's test client)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from simulagent.agent.server import PROTOCOL_SCHEMA, ServerOptions, check_bind, create_app
from simulagent.agent.server.protocol import ProtocolError, parse_client_message
from simulagent.agent.server.sessions import system_session_factory
from simulagent.agent.server.worker import ModelWorker
from simulagent.errors import UserError

HELLO = json.dumps({"type": "hello", "protocol": 1, "mode": "interpretation", "sample_rate_hz": 16000})


def _pcm(seconds: float) -> bytes:
    return (np.full(int(16000 * seconds), 0.1, dtype=np.float32) * 32767).astype("<i2").tobytes()


def _client(system: Any, **options: Any) -> TestClient:
    opts = ServerOptions(**options)
    worker = ModelWorker()  # a worker of its own: no load measured by another test
    return TestClient(create_app(system_session_factory(system, opts, worker), opts, worker=worker))


def _receive_until_turn_end(ws: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        raw = ws.receive()
        if raw.get("bytes") is not None:
            messages.append({"type": "pcm", "bytes": len(raw["bytes"])})
            continue
        message = json.loads(raw["text"])
        messages.append(message)
        if message.get("event") == "turn.end":
            return messages


def test_interpretation_session_end_to_end(text_system: Any) -> None:
    with _client(text_system) as client, client.websocket_connect("/ws") as ws:
        ws.send_text(HELLO)
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["protocol"] == 1 and ready["system"] == "audio-meter"
        for _ in range(5):
            ws.send_bytes(_pcm(0.5))
        ws.send_text(json.dumps({"type": "end_of_audio"}))
        messages = _receive_until_turn_end(ws)
    committed = [m["text"] for m in messages if m.get("event") == "translation.committed"]
    # 2.5 s of audio at -20 dBFS: two full seconds and the final half second.
    assert committed == ["1s:-20dB", "2s:-20dB", "3s:-20dB"]
    assert messages[-1]["text"] == " ".join(committed)


def test_speech_output_is_header_then_pcm(speech_system: Any) -> None:
    with _client(speech_system) as client, client.websocket_connect("/ws") as ws:
        ws.send_text(HELLO)
        ws.receive_json()
        ws.send_bytes(_pcm(1.0))
        ws.send_text(json.dumps({"type": "end_of_audio"}))
        messages = _receive_until_turn_end(ws)
    header_index = next(i for i, m in enumerate(messages) if m.get("type") == "audio")
    assert messages[header_index]["num_samples"] == 1600 and messages[header_index]["text"] == "1s:-20dB"
    assert messages[header_index + 1] == {"type": "pcm", "bytes": 3200}


def test_health_and_metrics(text_system: Any) -> None:
    with _client(text_system, loaded_models=("fake",)) as client:
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["loaded_models"] == ["fake"]
        assert health["capacity"]["accepting_streams"] is True and health["capacity"]["measured_limit"] is None
        assert health["load"]["real_time_factor"] is None and health["refused_sessions"]["load"] == 0
        with client.websocket_connect("/ws") as ws:
            ws.send_text(HELLO)
            ws.receive_json()
            ws.send_bytes(b"\x00")  # odd length: not PCM16
            assert ws.receive_json()["code"] == "bad_audio_frame"
            ws.send_bytes(_pcm(0.1))
            ws.send_text('{"type": "ping"}')
            assert ws.receive_json() == {"type": "pong"}
        text = client.get("/metrics").text
    assert "simulagent_sessions_total 1.0" in text
    assert "simulagent_dropped_audio_frames_total 1.0" in text
    assert "simulagent_audio_frames_total 1.0" in text
    assert "simulagent_chunk_latency_seconds_bucket" in text


def test_index_page_is_served(text_system: Any) -> None:
    with _client(text_system) as client:
        page = client.get("/")
        assert page.status_code == 200 and "app.js" in page.text
        assert "audioWorklet" in client.get("/static/app.js").text
        assert client.get("/static/pcm-worklet.js").status_code == 200


def test_first_message_must_be_hello(text_system: Any) -> None:
    with _client(text_system) as client, client.websocket_connect("/ws") as ws:
        ws.send_text('{"type": "ping"}')
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == "hello_first"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "hello", "sample_rate_hz": 12345}', "bad_audio_format"),
        ('{"type": "hello", "protocol": 7}', "bad_protocol"),
        ('{"type": "hello", "mode": "karaoke"}', "bad_hello"),
        ('{"type": "text", "text": ""}', "bad_text"),
        (json.dumps({"type": "text", "text": "x" * 5000}), "too_large"),
    ],
)
def test_malformed_messages_are_named(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_client_message(raw)
    assert info.value.code == code


def test_dialogue_mode_is_refused_by_a_system_server(text_system: Any) -> None:
    with _client(text_system) as client, client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "mode": "dialogue"}))
        error = ws.receive_json()
        assert error["code"] == "bad_hello" and "interpretation" in error["message"]


def test_token_is_required_when_set(text_system: Any) -> None:
    with _client(text_system, token="s3cret") as client:
        with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws") as ws:
            ws.receive_text()
        assert info.value.code == 4401
        with client.websocket_connect("/ws", headers={"Authorization": "Bearer s3cret"}) as ws:
            ws.send_text(HELLO)
            assert ws.receive_json()["type"] == "ready"
        with client.websocket_connect("/ws?token=s3cret") as ws:
            ws.send_text(HELLO)
            assert ws.receive_json()["type"] == "ready"


def test_foreign_origins_are_refused(text_system: Any) -> None:
    with _client(text_system, allowed_origins=("http://app.example",)) as client:
        with (
            pytest.raises(WebSocketDisconnect) as info,
            client.websocket_connect("/ws", headers={"Origin": "http://evil.example"}) as ws,
        ):
            ws.receive_text()
        assert info.value.code == 4403
        with client.websocket_connect("/ws", headers={"Origin": "http://app.example"}) as ws:
            ws.send_text(HELLO)
            assert ws.receive_json()["type"] == "ready"
        with client.websocket_connect("/ws", headers={"Origin": "http://testserver"}) as ws:
            ws.send_text(HELLO)
            assert ws.receive_json()["type"] == "ready"


def test_session_limit(text_system: Any) -> None:
    with _client(text_system, max_sessions=1, retry_after_ms=3000) as client:
        with client.websocket_connect("/ws") as first:
            first.send_text(HELLO)
            first.receive_json()
            with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws") as second:
                error = second.receive_json()
                second.receive_json()
            health = client.get("/health").json()
        text = client.get("/metrics").text
    assert error["code"] == "server_busy" and error["reason"] == "max_sessions" and error["retry_after_ms"] == 3000
    assert "maximum of 1 sessions" in error["message"]
    assert closed.value.code == 1013  # try again later
    assert health["capacity"]["accepting_streams"] is False and health["refused_sessions"]["max_sessions"] == 1
    assert 'simulagent_sessions_refused_total{reason="max_sessions"} 1.0' in text


def test_rate_limit(text_system: Any) -> None:
    with _client(text_system, max_messages_per_s=5) as client, client.websocket_connect("/ws") as ws:
        ws.send_text(HELLO)
        ws.receive_json()
        for _ in range(30):
            ws.send_text('{"type": "ping"}')
        replies = [ws.receive_json() for _ in range(30)]
    assert any(r.get("code") == "rate_limited" for r in replies)


def test_binding_beyond_loopback_needs_a_token() -> None:
    check_bind("127.0.0.1", "")
    check_bind("::1", "")
    check_bind("localhost", "")
    check_bind("0.0.0.0", "token")
    with pytest.raises(UserError, match=r"refusing to listen on 0\.0\.0\.0 without a token"):
        check_bind("0.0.0.0", "")


def test_schema_names_every_message() -> None:
    names = set(PROTOCOL_SCHEMA["$defs"])
    assert {"hello", "text", "interrupt", "end_of_audio", "ping", "ready", "event", "audio", "error", "pong"} <= names
    assert {"reason", "retry_after_ms"} <= set(PROTOCOL_SCHEMA["$defs"]["error"]["properties"])


def test_schema_file_is_generated_from_the_code() -> None:
    path = Path(__file__).parents[2] / "docs" / "protocol.schema.json"
    # After changing PROTOCOL_SCHEMA, write json.dumps(PROTOCOL_SCHEMA, indent=2) and a newline to that file.
    assert path.read_text(encoding="utf-8") == json.dumps(PROTOCOL_SCHEMA, indent=2) + "\n"


def test_dialogue_session_runs_the_agent(tmp_path: Any) -> None:
    from simulagent.agent.agent import Agent, AgentOptions
    from simulagent.agent.router import Router
    from simulagent.agent.server.agent_session import AgentSession
    from simulagent.rag.embedders import HashingEmbedder
    from simulagent.verticals.registry import load_registry

    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=HashingEmbedder().embed, default_threshold=0.7)

    def factory(hello: Any) -> AgentSession:
        agent = Agent(
            registry, router, options=AgentOptions(thread_id=hello.thread_id or "t"), folder=tmp_path / "agent"
        )
        return AgentSession(agent, hello)

    with TestClient(create_app(factory, ServerOptions())) as client, client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "mode": "dialogue", "thread_id": "abc"}))
        ready = ws.receive_json()
        assert ready["mode"] == "dialogue" and ready["thread_id"] == "abc"
        ws.send_text(json.dumps({"type": "text", "text": "12乘以8是多少"}))
        events = []
        while not events or events[-1].get("event") != "turn.end":
            events.append(ws.receive_json())
    kinds = [e["event"] for e in events]
    assert kinds[0] == "turn.start" and "tool.call" in kinds and "answer.done" in kinds
    done = next(e for e in events if e["event"] == "answer.done")
    assert done["text"] == "等于96。" and done["route"] == "vertical:calculator"


def test_dialogue_session_announces_due_reminders(tmp_path: Any) -> None:
    import time

    from simulagent.agent.agent import Agent, AgentOptions
    from simulagent.agent.router import Router
    from simulagent.agent.server.agent_session import AgentSession
    from simulagent.rag.embedders import HashingEmbedder
    from simulagent.verticals.registry import load_registry

    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=HashingEmbedder().embed, default_threshold=0.7)

    def factory(hello: Any) -> AgentSession:
        agent = Agent(registry, router, options=AgentOptions(), folder=tmp_path / "agent")
        agent.local_store.add("default", "reminder", "stretch your legs", due_at=time.time() - 1)
        return AgentSession(agent, hello, due_poll_s=0.05)

    with TestClient(create_app(factory, ServerOptions())) as client, client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "mode": "dialogue"}))
        assert ws.receive_json()["type"] == "ready"
        event = ws.receive_json()
    assert event["event"] == "reminder.due" and event["text"] == "Reminder: stretch your legs."


def test_a_system_factory_is_told_to_run_a_model_replica_per_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --system` passes `intra_threads=1` (the worker runs an update per replica, the fastest for concurrent
    streams on every CPU measured), `first_step_ms=0` (admission judges a stream by its first update) and
    `max_step_ms=8000` (steps stretch further under load) to a factory that takes them, only those it names unless
    it takes any keyword, and calls any other factory bare."""
    import sys
    import types

    from simulagent.agent.server.diagnostic import AudioMeter
    from simulagent.agent.server.sessions import build_session_factory
    from simulagent.config import Config

    seen: list[dict[str, Any]] = []

    def with_options(**kwargs: Any) -> AudioMeter:
        seen.append(kwargs)
        return AudioMeter()

    def threads_only(intra_threads: int = 0) -> AudioMeter:
        seen.append({"intra_threads": intra_threads})
        return AudioMeter()

    module: Any = types.ModuleType("simulagent_test_systems")
    module.with_options, module.threads_only, module.bare = with_options, threads_only, AudioMeter
    monkeypatch.setitem(sys.modules, "simulagent_test_systems", module)
    build_session_factory(Config(), "simulagent_test_systems:with_options")
    build_session_factory(Config(), "simulagent_test_systems:threads_only")
    assert seen == [{"intra_threads": 1, "first_step_ms": 0.0, "max_step_ms": 8000.0}, {"intra_threads": 1}]
    _, names = build_session_factory(Config(), "simulagent_test_systems:bare")
    assert names == (AudioMeter().spec.name,)
