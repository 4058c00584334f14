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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from simulagent.agent.server.options import MAX_LOAD_WINDOW_S
from simulagent.memory import trim_now_and_then

__all__ = ["LoadMeter", "LoadSnapshot", "ModelWorker", "shared_worker"]

T = TypeVar("T")
ItemT = TypeVar("ItemT")

# Enough updates for 16 streams at 10 updates per second over the longest window; older ones fall off first.
_MAX_RECORDS = 50_000
# The speech backend's default CPU threads, each a model replica of its own (`simulagent.models.asr.BackendOptions`).
DEFAULT_THREADS = 2
# Most updates one batch takes. A batch of 4 decoded 1.49x faster per window than one by one, 8 1.65x
# (docs/benchmarks.md); each window's encoder still runs in turn, so larger batches mostly make their streams wait.
DEFAULT_MAX_BATCH = 8


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
        threads: the worker's threads.
        adaptive_streams: open streams of a system that adapts its step (`simulagent.types.AdaptiveStepSystem`).
        unmeasured_adaptive_streams: those of them admitted within the window that have not had their first update.
        young_adaptive_streams: those of them that started less than two windows ago. Their cost is still growing
            (the buffer and the step grow over a stream's first seconds), so the window's real-time factor
            understates what they will cost.
        mean_step_headroom: the mean `step_headroom` of the others, now (None when there are none).
        longest_update_s: the longest update of the window (a batch counts as one), a running one so far
            included (0 without any).
    """

    window_s: float
    busy_fraction: float
    audio_ms: float
    busy_s: float
    updates: int
    skipped_ms: float = 0.0
    largest_backlog_ms: float = 0.0
    threads: int = 1
    adaptive_streams: int = 0
    unmeasured_adaptive_streams: int = 0
    young_adaptive_streams: int = 0
    mean_step_headroom: float | None = None
    longest_update_s: float = 0.0

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
        self._headrooms: dict[int, tuple[float | None, float, float]] = {}  # (headroom, when reported, first report)

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
                self._headrooms.pop(id(stream), None)
            else:
                self._backlogs_ms[id(stream)] = backlog_ms

    def report_step_headroom(self, stream: object, headroom: float | None) -> None:
        """The step headroom of a stream whose system adapts its step (None: before its first update); forgotten
        with its backlog when the stream is gone."""
        now = self._clock()
        with self._lock:
            first = self._headrooms.get(id(stream), (None, now, now))[2]
            self._headrooms[id(stream)] = (headroom, now, first)

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
        busy_in_window = busy_s = audio_ms = longest_s = 0.0
        updates = 0
        with self._lock:
            # Records are appended in the order of their ends, so the window is a suffix.
            records = list(itertools.takewhile(lambda u: u.end_s > since, reversed(self._updates)))
            running = list(self._running)
            skipped_ms = sum(ms for at, ms in self._skips if at > since)
            largest_backlog_ms = max(self._backlogs_ms.values(), default=0.0)
            reports = list(self._headrooms.values())
        for update in records:
            busy_in_window += update.end_s - max(update.start_s, since)
            busy_s += update.end_s - update.start_s
            audio_ms += update.audio_ms
            updates += 1
            longest_s = max(longest_s, update.end_s - update.start_s)
        busy_in_window += sum(now - max(start, since) for start in running)
        longest_s = max([longest_s, *(now - start for start in running)])
        span = min(window_s, now - self._started_s)
        fraction = min(1.0, busy_in_window / (span * self._threads)) if span > 0 else 0.0
        measured = [h for h, _, _ in reports if h is not None]
        # A stream that sends no audio never has a first update: after a window it no longer counts as waiting for
        # one, so an idle client cannot hold the door shut.
        unmeasured = sum(1 for h, at, _ in reports if h is None and at > since)
        young = sum(1 for _, _, first in reports if first > now - 2 * window_s)
        return LoadSnapshot(
            window_s=span,
            busy_fraction=fraction,
            audio_ms=audio_ms,
            busy_s=busy_s,
            updates=updates,
            skipped_ms=skipped_ms,
            largest_backlog_ms=largest_backlog_ms,
            threads=self._threads,
            adaptive_streams=len(reports),
            unmeasured_adaptive_streams=unmeasured,
            young_adaptive_streams=young,
            mean_step_headroom=sum(measured) / len(measured) if measured else None,
            longest_update_s=longest_s,
        )


@dataclass(eq=False)
class _Waiting(Generic[ItemT, T]):
    item: ItemT
    audio_ms: float
    run_batch: Callable[[list[ItemT]], Sequence[T | Exception]]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop


class ModelWorker:
    """The threads that run every streaming session's updates, timing each.

    Updates come one at a time (`run`) or, for a system that can step several streams at once
    (`simulagent.types.BatchedStreamingSystem`), as items of a batch (`run_batched`): the updates that arrive while
    the threads are busy wait, and the next free thread runs up to `max_batch` of them of one system in one call.
    The load meter times that call as one update over all their audio, so its figures stay model time.

    Args:
        clock: monotonic seconds for the load meter; tests pass a fake one.
        threads: updates run at once; the speech backend's model replicas (its CPU threads, one per replica by
            default), so that each update runs on a replica of its own.
        max_batch: most updates of one batch.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        threads: int = DEFAULT_THREADS,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1; got {max_batch}")
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="simulagent-model")
        self.load = LoadMeter(clock, threads)
        self._max_batch = max_batch
        self._waiting: dict[object, deque[_Waiting[Any, Any]]] = {}
        self._waiting_lock = threading.Lock()
        self._batch_sizes: deque[int] = deque(maxlen=1_000)

    async def run(self, fn: Callable[[], T], audio_ms: float) -> T:
        """Run `fn` (one model update over `audio_ms` of source audio) on a worker thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._timed, fn, audio_ms)

    async def run_batched(
        self, key: object, item: ItemT, run_batch: Callable[[list[ItemT]], Sequence[T | Exception]], audio_ms: float
    ) -> T:
        """Queue one update (`item`, over `audio_ms` of audio) to run in a batch with others of the same `key`;
        `run_batch(items)` returns one result per item, in order, or the exception of an item that failed, which is
        raised here for that item alone. If `run_batch` itself raises, every item of the batch gets the error (it
        may have changed their state, so they are not run again)."""
        loop = asyncio.get_running_loop()
        waiting: _Waiting[ItemT, T] = _Waiting(item, audio_ms, run_batch, loop.create_future(), loop)
        with self._waiting_lock:
            self._waiting.setdefault(key, deque()).append(waiting)
        # One drain per update: a drain that finds its update already taken by an earlier batch returns at once.
        loop.run_in_executor(self._executor, self._drain, key)
        return await waiting.future

    def batch_sizes(self) -> list[int]:
        """Sizes of the most recent batches (for benchmarks)."""
        return list(self._batch_sizes)

    def _take(self, key: object, most: int) -> list[_Waiting[Any, Any]]:
        with self._waiting_lock:
            queue = self._waiting.get(key)
            taken = [queue.popleft() for _ in range(min(most, len(queue)))] if queue else []
            if queue is not None and not queue:
                del self._waiting[key]
        return taken

    def _drain(self, key: object) -> None:
        taken = self._take(key, self._max_batch)
        if not taken:
            return
        self._batch_sizes.append(len(taken))
        run_batch = taken[0].run_batch
        try:
            results = self._timed(lambda: run_batch([w.item for w in taken]), sum(w.audio_ms for w in taken))
            if len(results) != len(taken):
                raise RuntimeError(f"a batch of {len(taken)} updates gave {len(results)} results")
        except Exception as error:
            for waiting in taken:
                self._settle(waiting, error=error)
            return
        for waiting, result in zip(taken, results, strict=True):
            if isinstance(result, Exception):
                self._settle(waiting, error=result)
            else:
                self._settle(waiting, result)

    @staticmethod
    def _settle(waiting: _Waiting[Any, Any], result: object = None, error: BaseException | None = None) -> None:
        def settle() -> None:
            if waiting.future.done():  # cancelled: its session is gone
                return
            if error is not None:
                waiting.future.set_exception(error)
            else:
                waiting.future.set_result(result)

        waiting.loop.call_soon_threadsafe(settle)

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
