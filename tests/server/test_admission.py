"""Admission control and load shedding: the load meter, the admission rules, refusals with `server_busy`, and the
bounded backlog of a stream the model cannot keep up with (served by fakes that sleep; no model)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import math
import threading
import time
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from simulagent.agent.server import ServerOptions, StreamingSystemSession, create_app
from simulagent.agent.server.admission import AdmissionPolicy
from simulagent.agent.server.cli import register, server_options
from simulagent.agent.server.protocol import Hello
from simulagent.agent.server.sessions import system_session_factory
from simulagent.agent.server.worker import LoadMeter, LoadSnapshot, ModelWorker
from simulagent.config import Config
from simulagent.errors import UserError

HELLO = json.dumps({"type": "hello", "protocol": 1, "mode": "interpretation", "sample_rate_hz": 16000})
FRAME = b"\x00\x0c" * 1600  # 100 ms of 16 kHz PCM16 at about -30 dBFS


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _client(system: Any, options: ServerOptions, sessions: list[StreamingSystemSession] | None = None) -> TestClient:
    worker = ModelWorker(threads=1)  # the fakes' real-time factors are per update, as of one model replica
    make = system_session_factory(system, options, worker)

    def factory(hello: Hello) -> Any:
        session = make(hello)
        if sessions is not None:
            assert isinstance(session, StreamingSystemSession)
            sessions.append(session)
        return session

    return TestClient(create_app(factory, options, worker=worker))


def _until(ws: Any, stop: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        message = ws.receive_json()
        messages.append(message)
        if stop(message):
            return messages


def _turn_end(message: dict[str, Any]) -> bool:
    return message.get("event") == "turn.end"


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} is not in /metrics")


# The load meter and the admission rules, on a fake clock and hand-made snapshots.


def test_load_meter_measures_busy_fraction_and_real_time_factor() -> None:
    clock = _Clock()
    meter = LoadMeter(clock)
    for start in (1.0, 2.0):  # two updates of 0.5 s for 1 s of audio each
        clock.t = start
        begun = meter.begin()
        clock.t = start + 0.5
        meter.end(begun, 1000.0)
    clock.t = 4.0
    load = meter.snapshot(10.0)
    assert load.window_s == 4.0  # the meter is younger than the window
    assert load.busy_fraction == pytest.approx(0.25) and load.updates == 2
    assert load.real_time_factor(0.0) == pytest.approx(0.5)
    assert load.real_time_factor(3000.0) is None  # too little audio measured
    recent = meter.snapshot(2.0)  # only the second update ended within the last 2 s
    assert recent.updates == 1 and recent.busy_fraction == pytest.approx(0.25)
    assert load.longest_update_s == pytest.approx(0.5)
    assert meter.snapshot(1.0).longest_update_s == 0.0  # no update in the last second
    clock.t = 5.0
    meter.begin()  # an update still running counts as busy, and as long as it has run so far
    clock.t = 6.0
    assert meter.snapshot(2.0).busy_fraction == pytest.approx(0.5)
    clock.t = 6.75
    assert meter.snapshot(2.0).longest_update_s == pytest.approx(1.75)


def test_load_meter_counts_the_threads_of_a_worker() -> None:
    clock = _Clock()
    meter = LoadMeter(clock, threads=2)
    clock.t = 1.0
    first = meter.begin()
    second = meter.begin()  # two updates at once, one per thread
    clock.t = 2.0
    assert meter.snapshot(10.0).busy_fraction == pytest.approx(0.5)  # both threads busy for the last of 2 s
    meter.end(first, 1000.0)
    meter.end(second, 1000.0)
    clock.t = 4.0
    load = meter.snapshot(10.0)
    assert load.busy_fraction == pytest.approx(2.0 / 8.0) and load.updates == 2
    # 2 s of model time for 2 s of audio on 2 threads: a real-time stream takes half the worker.
    assert load.real_time_factor(0.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="threads"):
        LoadMeter(clock, threads=0)


def test_model_worker_runs_an_update_per_thread() -> None:
    worker = ModelWorker(threads=2)
    both_running = threading.Barrier(2, timeout=10.0)  # one thread only: the first update waits here in vain

    async def two_updates() -> list[int]:
        return list(await asyncio.gather(worker.run(both_running.wait, 500.0), worker.run(both_running.wait, 500.0)))

    assert sorted(asyncio.run(two_updates())) == [0, 1]
    assert worker.load.snapshot(60.0).updates == 2


def test_model_worker_batches_the_updates_that_wait_and_fails_only_their_own() -> None:
    """Updates queued while the thread is busy run as one batch, timed as one update over all their audio; an item
    the batch answers with an exception fails alone, and a batch that raises fails all of its items."""
    worker = ModelWorker(threads=1)
    busy, release = threading.Event(), threading.Event()
    batches: list[list[int]] = []

    def hold() -> None:
        busy.set()
        release.wait(timeout=10.0)

    def run_batch(items: list[int]) -> list[int | Exception]:
        batches.append(items)
        return [ValueError(f"item {i}") if i == 2 else 10 * i for i in items]

    def broken(items: list[int]) -> list[int]:
        raise RuntimeError("the batch itself failed")

    async def scenario() -> tuple[list[Any], list[Any]]:
        held = asyncio.ensure_future(worker.run(hold, 0.0))
        while not busy.is_set():
            await asyncio.sleep(0.01)
        waiting = [asyncio.ensure_future(worker.run_batched("system", i, run_batch, 100.0)) for i in range(4)]
        await asyncio.sleep(0.05)
        release.set()
        await held
        first = await asyncio.gather(*waiting, return_exceptions=True)
        second = await asyncio.gather(
            *(worker.run_batched("other", i, broken, 100.0) for i in range(2)), return_exceptions=True
        )
        return first, second

    first, second = asyncio.run(scenario())
    assert batches == [[0, 1, 2, 3]]
    assert first[:2] == [0, 10] and first[3] == 30
    assert isinstance(first[2], ValueError) and "item 2" in str(first[2])
    assert all(isinstance(r, RuntimeError) for r in second)
    assert worker.batch_sizes()[0] == 4
    snapshot = worker.load.snapshot(60.0)
    assert snapshot.audio_ms == 600.0  # the batch of four counts its 400 ms of audio once, as one update
    with pytest.raises(ValueError, match="max_batch"):
        ModelWorker(max_batch=0)


def test_sessions_of_a_batched_system_step_through_its_batches(text_system: Any) -> None:
    """A system with `step_batch` is stepped through it (one call for the updates that waited together), and its
    sessions read what they would alone."""
    from simulagent.types import step

    class BatchedMeter(type(text_system)):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.batch_sizes: list[int] = []

        def step_batch(self, steps: list[Any]) -> list[Any]:
            self.batch_sizes.append(len(steps))
            return [step(self, segment, state) for segment, state in steps]

    system = BatchedMeter()
    alone = _stream_one_second(type(text_system)())
    assert _stream_one_second(system) == alone and system.batch_sizes


def _stream_one_second(system: Any) -> list[str]:
    import numpy as np

    from simulagent.types import AudioChunk

    async def run() -> list[str]:
        session = StreamingSystemSession(system, Hello(mode="interpretation"), 64, worker=ModelWorker(threads=1))
        for i in range(10):
            await session.push_audio(AudioChunk(np.full(1600, 0.1, dtype=np.float32), 16000, start_ms=100.0 * i))
        await session.end_audio()
        events = []
        while not session._events.empty():
            events.append(session._events.get_nowait())
        return [e.payload.get("text", "") for e in events if getattr(e, "kind", "") == "translation.committed"]

    return asyncio.run(run())


def test_load_meter_reports_skipped_audio_and_the_longest_backlog() -> None:
    clock = _Clock()
    meter = LoadMeter(clock)
    one, two = object(), object()
    meter.report_backlog(one, 800.0)
    meter.report_backlog(two, 2600.0)
    clock.t = 1.0
    meter.record_skip(1500.0)
    clock.t = 5.0
    load = meter.snapshot(10.0)
    assert load.skipped_ms == 1500.0 and load.largest_backlog_ms == 2600.0
    meter.report_backlog(two, None)  # that stream ended
    clock.t = 12.0  # the skip is older than the window
    load = meter.snapshot(10.0)
    assert load.skipped_ms == 0.0 and load.largest_backlog_ms == 800.0


def test_load_meter_reports_the_step_headroom_of_adaptive_streams() -> None:
    clock = _Clock()
    meter = LoadMeter(clock)
    one, two, three = object(), object(), object()
    assert meter.snapshot(10.0).adaptive_streams == 0 and meter.snapshot(10.0).mean_step_headroom is None
    meter.report_step_headroom(one, 0.8)
    meter.report_step_headroom(two, 0.4)
    meter.report_step_headroom(three, None)  # admitted, no update yet
    load = meter.snapshot(10.0)
    assert (load.adaptive_streams, load.unmeasured_adaptive_streams) == (3, 1)
    assert load.mean_step_headroom == pytest.approx(0.6)
    meter.report_backlog(two, None)  # that stream ended: its headroom goes with it
    meter.report_step_headroom(three, 1.0)
    load = meter.snapshot(10.0)
    assert (load.adaptive_streams, load.unmeasured_adaptive_streams) == (2, 0)
    assert load.mean_step_headroom == pytest.approx(0.9)
    idle = object()  # a client that never sends audio has no first update: it stops counting after a window
    meter.report_step_headroom(idle, None)
    assert meter.snapshot(10.0).unmeasured_adaptive_streams == 1
    clock.t = 10.5
    load = meter.snapshot(10.0)
    assert (load.adaptive_streams, load.unmeasured_adaptive_streams) == (3, 0)
    assert load.young_adaptive_streams == 3  # all started less than two windows ago
    clock.t = 25.0
    meter.report_step_headroom(three, 0.9)  # a later report keeps the stream's start
    assert meter.snapshot(10.0).young_adaptive_streams == 0


def test_streams_that_lengthen_their_steps_are_judged_by_the_headroom_left() -> None:
    policy = AdmissionPolicy(ServerOptions(max_model_load=0.8, min_measured_audio_ms=1000.0, min_step_headroom=0.5))
    # 7 alignatt streams on a 2-core Xeon: RTF 0.107 each by the estimate, so 7 fill 80 % -- but their steps
    # still have most of their range to grow into, and 16 kept up there.
    crowded = dataclasses.replace(_load(0.75, 0.107), adaptive_streams=7, mean_step_headroom=0.8)
    assert policy.measured_limit(crowded) == 7
    admitted = policy.admit_stream(7, crowded, since_last_admission_s=3.0)
    assert admitted.admitted and "80% of their range left" in admitted.message  # logged by the server
    stretched = dataclasses.replace(crowded, mean_step_headroom=0.45)
    refused = policy.admit_stream(7, stretched)
    assert not refused.admitted and refused.reason == "load" and "55% of the way" in refused.message
    queued = dataclasses.replace(crowded, busy_fraction=0.99)  # headroom left, but updates wait for the worker
    refused = policy.admit_stream(7, queued)
    assert not refused.admitted and "busy 99%" in refused.message
    waiting = dataclasses.replace(crowded, adaptive_streams=8, unmeasured_adaptive_streams=1)
    refused = policy.admit_stream(8, waiting)
    assert not refused.admitted and "first update" in refused.message
    skipping = dataclasses.replace(crowded, skipped_ms=800.0)  # strain refuses whatever the headroom
    assert not policy.admit_stream(7, skipping).admitted
    mixed = dataclasses.replace(crowded, adaptive_streams=6)  # one stream of another system: the estimate decides
    assert not policy.elastic(7, mixed) and not policy.admit_stream(7, mixed).admitted
    assert policy.admit_stream(0, stretched).admitted  # the first stream always
    # A slow CPU (2-core AMD EPYC, a thread per stream): one alignatt stream's own update time already stretches
    # its step to the longest, yet by the estimate there is room for three.
    slow = dataclasses.replace(_load(0.24, 0.23), adaptive_streams=1, mean_step_headroom=0.0)
    admitted = policy.admit_stream(1, slow, since_last_admission_s=12.0)
    assert admitted.admitted and "within the measured limit of 3 streams" in admitted.message
    # But not by an estimate that a young stream is still growing into (its buffer and step are still short).
    young = dataclasses.replace(slow, young_adaptive_streams=1)
    refused = policy.admit_stream(1, young, since_last_admission_s=12.0)
    assert not refused.admitted and "100% of the way" in refused.message  # and the headroom has none left
    full = dataclasses.replace(_load(0.7, 0.23), adaptive_streams=3, mean_step_headroom=0.0)
    refused = policy.admit_stream(3, full, since_last_admission_s=12.0)
    assert not refused.admitted and "100% of the way" in refused.message
    fixed = AdmissionPolicy(ServerOptions(admission="fixed"))
    assert not fixed.elastic(7, crowded) and fixed.admit_stream(7, stretched).admitted


def test_streams_that_show_strain_refuse_newcomers_even_unmeasured() -> None:
    policy = AdmissionPolicy(ServerOptions(max_backlog_ms=5000.0, min_measured_audio_ms=1000.0))
    cheap = LoadSnapshot(10.0, 0.1, 20_000.0, 0.2, 10)  # RTF 0.01: room for 16 by the estimate
    assert policy.admit_stream(3, cheap).admitted
    skipping = dataclasses.replace(cheap, skipped_ms=1200.0)
    refused = policy.admit_stream(3, skipping)
    assert not refused.admitted and refused.reason == "load" and "skipped 1.2 s" in refused.message
    behind = dataclasses.replace(cheap, largest_backlog_ms=3000.0)  # more than half of max_backlog_ms waiting
    refused = policy.admit_stream(3, behind)
    assert not refused.admitted and "3.0 s of audio waiting" in refused.message
    assert policy.admit_stream(3, dataclasses.replace(cheap, largest_backlog_ms=2000.0)).admitted
    cold = LoadSnapshot(1.0, 0.0, 0.0, 0.0, 0, skipped_ms=500.0)  # nothing measured yet, but already skipping
    assert not policy.admit_stream(2, cold).admitted
    assert policy.admit_stream(0, skipping).admitted  # the first stream always
    fixed = AdmissionPolicy(ServerOptions(admission="fixed"))
    assert fixed.admit_stream(3, skipping).admitted


def test_past_half_the_budget_streams_come_in_one_per_window() -> None:
    policy = AdmissionPolicy(ServerOptions(max_model_load=0.8, load_window_s=10.0, min_measured_audio_ms=1000.0))
    vad = LoadSnapshot(10.0, 0.3, 20_000.0, 2.0, 20)  # RTF 0.1: 8 streams fit in 80 %
    assert policy.admit_stream(2, vad, since_last_admission_s=3.0).admitted  # 3 streams: 30 %, under half
    refused = policy.admit_stream(4, vad, since_last_admission_s=3.0)  # 5 streams: 50 %, past half of 80 %
    assert not refused.admitted and refused.reason == "load" and "one new stream per 10 s" in refused.message
    assert policy.admit_stream(4, vad, since_last_admission_s=10.5).admitted
    text = LoadSnapshot(10.0, 0.3, 0.0, 0.0, 20)  # updates without audio, a text system's: no slow start
    assert policy.admit_stream(9, text, since_last_admission_s=0.1).admitted


def _load(busy_fraction: float, rtf: float, audio_ms: float = 20_000.0) -> LoadSnapshot:
    return LoadSnapshot(10.0, busy_fraction, audio_ms, rtf * audio_ms / 1000.0, 50)


def test_admission_rules() -> None:
    policy = AdmissionPolicy(ServerOptions(max_sessions=16, max_model_load=0.8, min_measured_audio_ms=1000.0))
    assert policy.admit_connection(15).admitted
    refused = policy.admit_connection(16)
    assert not refused.admitted and refused.reason == "max_sessions" and "16 sessions" in refused.message
    # Unmeasured (a cold start: no update yet, or too little audio): one stream per worker thread.
    cold = dataclasses.replace(_load(0.9, 0.5, audio_ms=500.0), threads=2)
    assert policy.admit_stream(1, cold).admitted
    refused = policy.admit_stream(2, cold)
    assert not refused.admitted and refused.reason == "load" and "not measured yet" in refused.message
    assert not policy.admit_stream(2, LoadSnapshot(10.0, 0.0, 0.0, 0.0, 0, threads=2)).admitted
    assert policy.admit_stream(10, _load(0.0, 0.0, audio_ms=0.0)).admitted  # updates without audio: text
    assert AdmissionPolicy(ServerOptions(admission="fixed")).admit_stream(10, cold).admitted
    # Whisper base on 2 cores: RTF 0.25 leaves room for 3 real-time streams within 80 %.
    whisper = _load(0.5, 0.25)
    assert policy.measured_limit(whisper) == 3
    assert policy.admit_stream(2, whisper).admitted
    refused = policy.admit_stream(3, whisper)
    assert not refused.admitted and refused.reason == "load" and "real-time factor of 0.25" in refused.message
    # Busy beyond the budget (the estimate was optimistic): refused below the measured limit too.
    assert policy.measured_limit(_load(0.9, 0.1)) == 8
    assert not policy.admit_stream(2, _load(0.9, 0.1)).admitted
    # A model slower than real time still serves one stream; a fast one is limited by max_sessions only.
    assert policy.measured_limit(_load(1.0, 2.0)) == 1
    assert policy.admit_stream(0, _load(1.0, 2.0)).admitted
    assert not policy.admit_stream(1, _load(1.0, 2.0)).admitted
    assert policy.measured_limit(_load(0.001, 0.0001)) == 16
    assert policy.admit_stream(15, _load(0.001, 0.0001)).admitted
    fixed = AdmissionPolicy(ServerOptions(admission="fixed"))
    assert fixed.measured_limit(whisper) is None and fixed.admit_stream(15, _load(1.0, 2.0)).admitted


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("max_sessions", 0, "max_sessions must be >= 1"),
        ("admission", "guess", "admission must be"),
        ("max_model_load", 1.5, "max_model_load is a fraction"),
        ("max_model_load", 0.0, "max_model_load is a fraction"),
        ("load_window_s", 0.5, "load_window_s must be in"),
        ("min_measured_audio_ms", -1.0, "min_measured_audio_ms must be >= 0"),
        ("min_measured_audio_ms", 60_000.0, "cannot be reached within load_window_s"),
        ("max_backlog_ms", 10.0, "max_backlog_ms must be >= 100"),
        ("max_backlog_ms", math.inf, "max_backlog_ms must be >= 100"),
        ("retry_after_ms", -1, "retry_after_ms must be >= 0"),
        ("min_step_headroom", 1.5, "min_step_headroom is a share"),
        ("max_elastic_busy", 0.0, "max_elastic_busy is a fraction"),
        ("max_pending_events", 0, "max_pending_events must be >= 1"),
    ],
)
def test_options_name_the_bad_field(field: str, value: Any, words: str) -> None:
    with pytest.raises(UserError, match=words):
        ServerOptions(**{field: value})


def test_serve_flags_build_the_options() -> None:
    parser = argparse.ArgumentParser()
    register(parser)
    args = parser.parse_args(
        ["--max-sessions", "4", "--admission", "fixed", "--max-backlog-ms", "2000", "--retry-after-ms", "500"]
    )
    options = server_options(args, Config(), token="t")
    assert (options.max_sessions, options.admission, options.max_backlog_ms) == (4, "fixed", 2000.0)
    assert options.retry_after_ms == 500 and options.token == "t"
    assert options.max_model_load == ServerOptions().max_model_load  # not given: the default
    assert server_options(parser.parse_args(["--min-step-headroom", "0.3"]), Config()).min_step_headroom == 0.3
    assert server_options(parser.parse_args(["--max-elastic-busy", "0.9"]), Config()).max_elastic_busy == 0.9
    assert parser.parse_args(["--log-level", "info"]).log_level == "info"
    assert server_options(parser.parse_args([]), Config()).max_sessions == Config().server.max_sessions
    with pytest.raises(UserError, match="max_model_load"):
        server_options(parser.parse_args(["--max-model-load", "2"]), Config())
    assert parser.parse_args([]).max_batch == 8
    no_batch = parser.parse_args(["--max-batch", "0"])
    with pytest.raises(UserError, match="--max-batch"):  # refused before any model loads
        no_batch.func(no_batch, Config())


# End to end, over Starlette's test client.


def test_streams_beyond_the_measured_capacity_are_refused(slow_system: Any) -> None:
    # A model of real-time factor 0.5: within 80 % of the worker, one real-time stream fits.
    options = ServerOptions(max_model_load=0.8, min_measured_audio_ms=1000.0, retry_after_ms=5000)
    with _client(slow_system(0.5), options) as client:
        with client.websocket_connect("/ws") as first:
            first.send_text(HELLO)
            assert first.receive_json()["type"] == "ready"
            for _ in range(12):
                first.send_bytes(FRAME)
            first.send_text('{"type": "end_of_audio"}')
            _until(first, _turn_end)
            with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws") as second:
                second.send_text(HELLO)
                error = second.receive_json()
                second.receive_json()
            assert closed.value.code == 1013
            health = client.get("/health").json()
        with client.websocket_connect("/ws") as third:  # the first stream left: room again
            third.send_text(HELLO)
            assert third.receive_json()["type"] == "ready"
        text = client.get("/metrics").text
    assert error["type"] == "error" and error["code"] == "server_busy" and error["reason"] == "load"
    assert error["retry_after_ms"] == 5000 and "measured capacity" in error["message"]
    assert health["capacity"]["measured_limit"] == 1 and health["capacity"]["accepting_streams"] is False
    assert 0.4 < health["load"]["real_time_factor"] < 0.8
    assert health["streaming_sessions"] == 1 and health["refused_sessions"] == {"max_sessions": 0, "load": 1}
    assert _metric(text, 'simulagent_sessions_refused_total{reason="load"}') == 1.0
    assert _metric(text, 'simulagent_errors_total{code="server_busy"}') == 1.0
    assert 0.4 < _metric(text, "simulagent_model_real_time_factor") < 0.8


def test_streams_of_a_system_that_lengthens_its_steps_come_in_while_the_steps_have_headroom(
    slow_system: Any,
) -> None:
    class ElasticMeter(slow_system):  # type: ignore[misc,valid-type]
        """`SlowMeter` that reports a step headroom, as the alignatt preset does once it has had an update."""

        headroom = 0.9
        adapts_step = True

        def step_headroom(self, state: Any) -> float | None:
            return self.headroom if state.seconds or state.pending_samples else None

    system = ElasticMeter(0.5)  # RTF 0.5: by the estimate one stream fills the 80 % budget
    # The frames go in faster than real time, so the young worker is busy all the time: the busy guard is off here.
    options = ServerOptions(max_model_load=0.8, min_measured_audio_ms=1000.0, max_elastic_busy=1.0)
    with _client(system, options) as client, client.websocket_connect("/ws") as first:
        first.send_text(HELLO)
        assert first.receive_json()["type"] == "ready"
        for _ in range(12):
            first.send_bytes(FRAME)
        _until(first, lambda m: m.get("event") == "translation.committed")
        health = client.get("/health").json()
        capacity = health["capacity"]
        assert capacity["judged_by"] == "real_time_factor or step_headroom" and "measured_limit" in capacity
        assert health["load"]["adaptive_streams"] == 1 and health["load"]["mean_step_headroom"] == 0.9
        assert health["load"]["young_adaptive_streams"] == 1
        with client.websocket_connect("/ws") as second:  # admitted: the steps can still grow
            second.send_text(HELLO)
            assert second.receive_json()["type"] == "ready"
            # The newcomer has had no update: the next one waits for it.
            assert client.get("/health").json()["capacity"]["accepting_streams"] is False
            second.send_text('{"type": "end_of_audio"}')
            _until(second, _turn_end)
        for _ in range(100):  # the server releases the second stream once its socket is closed
            if client.get("/health").json()["streaming_sessions"] == 1:
                break
            time.sleep(0.05)
        system.headroom = 0.2
        for _ in range(2):
            first.send_bytes(FRAME)
        first.send_text('{"type": "end_of_audio"}')
        _until(first, _turn_end)
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws") as third:
            third.send_text(HELLO)
            error = third.receive_json()
            third.receive_json()
    assert error["code"] == "server_busy" and error["reason"] == "load" and "80% of the way" in error["message"]


def test_a_slow_stream_skips_its_oldest_audio_and_says_so(slow_system: Any) -> None:
    gate = threading.Event()  # holds the model until the client has sent everything
    options = ServerOptions(max_backlog_ms=1000.0, admission="fixed")
    sessions: list[StreamingSystemSession] = []
    with _client(slow_system(0.01, gate), options, sessions) as client:
        with client.websocket_connect("/ws") as ws:
            ws.send_text(HELLO)
            assert ws.receive_json()["max_backlog_ms"] == 1000.0
            for _ in range(30):
                ws.send_bytes(FRAME)
            ws.send_text('{"type": "ping"}')
            # Frames are handled in order, so at the pong all 30 were received while the model was held.
            messages = _until(ws, lambda m: m.get("type") == "pong")
            (session,) = sessions
            assert 0 < session.backlog_ms <= 1000.0
            gate.set()
            ws.send_text('{"type": "end_of_audio"}')
            messages += _until(ws, _turn_end)
        health = client.get("/health").json()
        text = client.get("/metrics").text
    skips = [m for m in messages if m.get("event") == "audio.skipped"]
    assert skips, "no audio.skipped event"
    skipped_ms = sum(s["skipped_ms"] for s in skips)
    assert skipped_ms == session.skipped_ms == skips[-1]["total_skipped_ms"]
    assert all(s["from_ms"] < s["to_ms"] and s["max_backlog_ms"] == 1000.0 for s in skips)
    assert all(a["to_ms"] <= b["from_ms"] for a, b in itertools.pairwise(skips))
    # The rest was translated: one report per started second of the audio that was not skipped.
    committed = [m for m in messages if m.get("event") == "translation.committed"]
    assert len(committed) == math.ceil((3000.0 - skipped_ms) / 1000.0)
    assert health["skipped_audio_s"] == pytest.approx(skipped_ms / 1000.0)
    assert _metric(text, "simulagent_skipped_audio_seconds_total") == pytest.approx(skipped_ms / 1000.0)
    assert _metric(text, "simulagent_dropped_audio_frames_total") == 0.0  # skipped audio is counted apart
    assert _metric(text, "simulagent_audio_frames_total") == 30.0


def test_a_stream_that_skips_audio_closes_the_door_to_newcomers(slow_system: Any) -> None:
    gate = threading.Event()  # holds the model: the first stream falls behind before anything is measured
    options = ServerOptions(max_backlog_ms=1000.0)
    with _client(slow_system(0.01, gate), options) as client, client.websocket_connect("/ws") as first:
        first.send_text(HELLO)
        first.receive_json()
        for _ in range(30):
            first.send_bytes(FRAME)
        first.send_text('{"type": "ping"}')
        _until(first, lambda m: m.get("type") == "pong")
        health = client.get("/health").json()
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws") as second:
            second.send_text(HELLO)
            error = second.receive_json()
            second.receive_json()
        gate.set()
        first.send_text('{"type": "end_of_audio"}')
        _until(first, _turn_end)
    assert error["code"] == "server_busy" and error["reason"] == "load" and "not keeping up" in error["message"]
    assert health["capacity"]["measured_limit"] is None  # nothing measured: the model was held all along
    assert health["load"]["skipped_s"] > 0 and health["capacity"]["accepting_streams"] is False


def test_fast_systems_are_never_refused(text_system: Any) -> None:
    options = ServerOptions(max_sessions=9, min_measured_audio_ms=500.0)
    with _client(text_system, options) as client, contextlib.ExitStack() as stack:
        sockets = []
        for _ in range(8):
            ws = stack.enter_context(client.websocket_connect("/ws"))
            ws.send_text(HELLO)
            assert ws.receive_json()["type"] == "ready"
            for _ in range(10):
                ws.send_bytes(FRAME)
            sockets.append(ws)
        for ws in sockets:
            ws.send_text('{"type": "end_of_audio"}')
            _until(ws, _turn_end)
        health = client.get("/health").json()
    assert health["streaming_sessions"] == 8 and health["capacity"]["accepting_streams"] is True
    assert health["capacity"]["measured_limit"] == 9  # measured, and limited by max_sessions only
    assert health["load"]["real_time_factor"] < 0.05
    assert health["refused_sessions"] == {"max_sessions": 0, "load": 0} and health["skipped_audio_s"] == 0.0


def test_a_session_whose_client_left_frees_the_model_and_its_place(slow_system: Any) -> None:
    import asyncio

    import numpy as np

    from simulagent.types import AudioChunk

    gate = threading.Event()
    system = slow_system(0.0, gate)
    pushed: list[float] = []
    real_push = system.push
    system.push = lambda segment, state: (pushed.append(segment.duration_ms), real_push(segment, state))

    async def run() -> StreamingSystemSession:
        session = StreamingSystemSession(system, Hello(mode="interpretation"), 1, worker=ModelWorker())
        for i in range(10):
            await session.push_audio(AudioChunk(np.zeros(1600, dtype=np.float32), 16000, start_ms=100.0 * i))
            if i == 0:
                await asyncio.sleep(0.05)  # the first update starts, and waits at the gate
        await session._events.put(object())  # the queue is full and nobody reads it
        await session.close()  # returns at once all the same
        gate.set()
        assert session._updating is not None
        await session._updating
        return session

    session = asyncio.run(run())
    assert pushed == [100.0]  # only the update already running when the client left
    assert session.backlog_ms == 0.0


def test_a_failing_system_is_reported_and_the_session_goes_on(speech_system: Any) -> None:
    import asyncio

    import numpy as np

    from simulagent.types import AudioChunk

    system = speech_system
    real_pop = system.pop
    calls = {"n": 0}

    def pop_failing_once(state: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("a fault inside the system")
        return real_pop(state)

    system.pop = pop_failing_once

    async def run() -> list[Any]:
        session = StreamingSystemSession(system, Hello(mode="interpretation"), 64, worker=ModelWorker())
        for i in range(3):
            await session.push_audio(AudioChunk(np.zeros(1600, dtype=np.float32), 16000, start_ms=100.0 * i))
            if session._updating is not None:
                await session._updating
        await session.end_audio()
        events = []
        while not session._events.empty():
            events.append(session._events.get_nowait())
        return events

    events = asyncio.run(run())
    names = [getattr(e, "kind", None) for e in events]
    errors = [e for e in events if getattr(e, "kind", None) == "error"]
    assert len(errors) == 1 and errors[0].payload["code"] == "system_error"
    assert "ValueError" in errors[0].payload["message"]
    assert names[-1] == "turn.end"  # the stream still finishes normally
