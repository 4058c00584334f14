"""The model worker shared by every streaming session, and the load it measures.

All model work of the streaming sessions runs on a few threads, as many as the speech backend has model replicas
(one per CPU thread: `simulagent.models.asr.BackendOptions`), each running one update at a time: a thread per session
would oversubscribe the cores and starve the event loop (missed pings, dropped connections under load). Because
every update passes through this one place, the worker also knows how long each took and for how much audio:
`LoadMeter` keeps that history and `LoadSnapshot` summarises it (the busy fraction of the worker's threads and the
real-time factor across sessions), which admission control reads instead of guessing capacity.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from simulagent.agent.server.options import MAX_LOAD_WINDOW_S
from simulagent.memory import trim_now_and_then

__all__ = ["LoadMeter", "LoadSnapshot", "ModelWorker", "shared_worker"]

T = TypeVar("T")

# Enough updates for 16 streams at 10 updates per second over the longest window; older ones fall off first.
_MAX_RECORDS = 50_000
# The speech backend's default CPU threads, each a model replica of its own (`simulagent.models.asr.BackendOptions`).
DEFAULT_THREADS = 2


@dataclass(frozen=True, slots=True)
class _Update:
    start_s: float
    end_s: float
    audio_ms: float


@dataclass(frozen=True)
class LoadSnapshot:
    """The load of the model worker over the last `window_s` seconds.

    Attributes:
        window_s: the window the figures cover (shorter while the worker is younger than the window).
        busy_fraction: share of the window's thread time the worker spent running updates (running ones included),
            in [0, 1].
        audio_ms: source audio the updates of the window processed, all sessions together.
        busy_s: time those updates took, summed over the worker's threads.
        updates: how many updates ended within the window.
        skipped_ms: audio the streams skipped within the window to bound their backlogs (overload, now).
        largest_backlog_ms: the longest backlog of unprocessed audio of any open stream, now.
    """

    window_s: float
    busy_fraction: float
    audio_ms: float
    busy_s: float
    updates: int
    skipped_ms: float = 0.0
    largest_backlog_ms: float = 0.0
    threads: int = 1

    def real_time_factor(self, min_audio_ms: float) -> float | None:
        """Model seconds per second of source audio, across sessions, over the worker's threads; None until
        `min_audio_ms` were processed.

        A real-time stream keeps the worker busy this fraction of the time, so about `load / rtf` real-time streams
        fit in a load budget `load`.
        """
        if self.audio_ms <= 0 or self.audio_ms < min_audio_ms:
            return None
        return self.busy_s / (self.audio_ms / 1000.0) / self.threads


class LoadMeter:
    """History of the worker's updates (thread-safe: written by the worker thread, read by the event loop).

    Args:
        clock: monotonic seconds; tests pass a fake one.
        threads: the worker's threads (updates that may run at once).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1; got {threads}")
        self._clock = clock
        self._threads = threads
        self._lock = threading.Lock()
        self._updates: deque[_Update] = deque(maxlen=_MAX_RECORDS)
        self._started_s = clock()
        self._running: list[float] = []  # start times of the updates running now
        self._skips: deque[tuple[float, float]] = deque(maxlen=_MAX_RECORDS)
        self._backlogs_ms: dict[int, float] = {}

    def record_skip(self, skipped_ms: float) -> None:
        """A stream skipped `skipped_ms` of audio now: the worker could not keep up with it."""
        now = self._clock()
        with self._lock:
            self._skips.append((now, skipped_ms))
            while self._skips and self._skips[0][0] < now - MAX_LOAD_WINDOW_S:
                self._skips.popleft()

    def report_backlog(self, stream: object, backlog_ms: float | None) -> None:
        """The current backlog of one stream (None: the stream is gone)."""
        with self._lock:
            if backlog_ms is None:
                self._backlogs_ms.pop(id(stream), None)
            else:
                self._backlogs_ms[id(stream)] = backlog_ms

    def now(self) -> float:
        return self._clock()

    def begin(self) -> float:
        """An update starts now; returns its start time for `end`."""
        start = self._clock()
        with self._lock:
            self._running.append(start)
        return start

    def end(self, start_s: float, audio_ms: float) -> None:
        """The update begun at `start_s` is over; it processed `audio_ms` of source audio."""
        with self._lock:
            end = self._clock()  # read under the lock: records stay in the order of their ends
            if start_s in self._running:
                self._running.remove(start_s)
            self._updates.append(_Update(start_s, end, audio_ms))
            while self._updates and self._updates[0].end_s < end - MAX_LOAD_WINDOW_S:
                self._updates.popleft()

    def snapshot(self, window_s: float) -> LoadSnapshot:
        """Busy fraction and processed audio over the last `window_s` seconds."""
        now = self._clock()
        since = now - window_s
        busy_in_window = busy_s = audio_ms = 0.0
        updates = 0
        with self._lock:
            # Records are appended in the order of their ends, so the window is a suffix.
            records = list(itertools.takewhile(lambda u: u.end_s > since, reversed(self._updates)))
            running = list(self._running)
            skipped_ms = sum(ms for at, ms in self._skips if at > since)
            largest_backlog_ms = max(self._backlogs_ms.values(), default=0.0)
        for update in records:
            busy_in_window += update.end_s - max(update.start_s, since)
            busy_s += update.end_s - update.start_s
            audio_ms += update.audio_ms
            updates += 1
        busy_in_window += sum(now - max(start, since) for start in running)
        span = min(window_s, now - self._started_s)
        fraction = min(1.0, busy_in_window / (span * self._threads)) if span > 0 else 0.0
        return LoadSnapshot(
            window_s=span,
            busy_fraction=fraction,
            audio_ms=audio_ms,
            busy_s=busy_s,
            updates=updates,
            skipped_ms=skipped_ms,
            largest_backlog_ms=largest_backlog_ms,
            threads=self._threads,
        )


class ModelWorker:
    """The threads that run every streaming session's updates, timing each.

    Args:
        clock: monotonic seconds for the load meter; tests pass a fake one.
        threads: updates run at once; the speech backend's model replicas (its CPU threads, one per replica by
            default), so that each update runs on a replica of its own.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, threads: int = DEFAULT_THREADS) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="simulagent-model")
        self.load = LoadMeter(clock, threads)

    async def run(self, fn: Callable[[], T], audio_ms: float) -> T:
        """Run `fn` (one model update over `audio_ms` of source audio) on a worker thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._timed, fn, audio_ms)

    def _timed(self, fn: Callable[[], T], audio_ms: float) -> T:
        start = self.load.begin()
        try:
            return fn()
        finally:
            self.load.end(start, audio_ms)
            # Without it the server's RSS climbs for many minutes under streaming load (see simulagent.memory).
            trim_now_and_then()


_SHARED: ModelWorker | None = None
_SHARED_LOCK = threading.Lock()


def shared_worker() -> ModelWorker:
    """The process-wide worker, used when no other is given: models are shared by the whole process, so is their
    thread."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ModelWorker()
        return _SHARED
