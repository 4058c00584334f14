"""Incremental synthesis: text in as it arrives, timestamped audio chunks out, cancellable at once (barge-in).

`StreamingTTS` runs synthesis on a worker thread: `push(text)` returns immediately; speakable units (see
`SpeakableAggregator`) are normalised and synthesised as soon as they are complete; the player takes chunks with
`next_chunk()`. `stop()` drops queued text and audio at once and returns the text of the chunks already taken
(what the user actually heard), so the agent keeps only that in its history. `synthesize_units` is the same
pipeline without a thread, for offline use and for speech-to-speech evaluation.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulagent.models.tts.aggregator import AggregatorOptions, SpeakableAggregator
from simulagent.models.tts.backends import TTSBackend
from simulagent.models.tts.normalize import normalize_for_speech

__all__ = ["SpeechChunk", "StreamingTTS", "synthesize_units"]


@dataclass(frozen=True, eq=False)
class SpeechChunk:
    """Synthesised audio of one speakable unit (or a piece of it).

    Attributes:
        samples: mono float32, shape (num_samples,).
        sample_rate_hz: its rate.
        start_ms: where it starts on the output time line (chunks are contiguous: each starts where the last ended).
        text: the words this chunk voices (as written, before normalisation); "" for the later pieces of a unit.
        index: position in the stream.
    """

    samples: npt.NDArray[np.float32]
    sample_rate_hz: int
    start_ms: float
    text: str
    index: int

    @property
    def duration_ms(self) -> float:
        return 1000.0 * self.samples.shape[0] / self.sample_rate_hz


def synthesize_units(
    backend: TTSBackend, units: Iterable[str], lang: str, start_ms: float = 0.0, first_index: int = 0
) -> Iterator[SpeechChunk]:
    """Synthesise each unit in order, as contiguous timestamped chunks."""
    rate = backend.capabilities.sample_rate_hz
    position = start_ms
    index = first_index
    for unit in units:
        spoken = normalize_for_speech(unit, lang)
        first = True
        for samples in backend.synthesize(spoken, lang):
            if samples.size == 0:
                continue
            chunk = SpeechChunk(samples, rate, position, unit if first else "", index)
            first = False
            position += chunk.duration_ms
            index += 1
            yield chunk


_FINISH = object()


class StreamingTTS:
    """Threaded streaming synthesis; see the module docstring.

    Args:
        backend: the synthesiser.
        lang: language of the text.
        options: where to cut text.
        max_queued_chunks: bound of the audio queue (synthesis waits when the player lags).
    """

    def __init__(
        self, backend: TTSBackend, lang: str, options: AggregatorOptions | None = None, max_queued_chunks: int = 64
    ) -> None:
        self.backend = backend
        self.lang = lang
        self._aggregator = SpeakableAggregator(options or AggregatorOptions())
        self._text: queue.Queue[object] = queue.Queue()
        self._audio: queue.Queue[SpeechChunk | None] = queue.Queue(max_queued_chunks)
        self._stopped = threading.Event()
        self._played: list[str] = []
        self._position_ms = 0.0
        self._index = 0
        self._worker = threading.Thread(target=self._run, name="simulagent-tts", daemon=True)
        self._worker.start()

    def push(self, text: str) -> None:
        """Add text (a token, a word, a sentence); returns at once."""
        if not self._stopped.is_set():
            self._text.put(text)

    def finish(self) -> None:
        """No more text: speak what is left, then end the chunk stream."""
        self._text.put(_FINISH)

    def next_chunk(self, timeout_s: float | None = None) -> SpeechChunk | None:
        """The next chunk to play, or None at the end of the stream (or after `stop`)."""
        if self._stopped.is_set():
            return None
        try:
            chunk = self._audio.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if chunk is None or self._stopped.is_set():
            return None
        if chunk.text:
            self._played.append(chunk.text)
        return chunk

    def chunks(self) -> Iterator[SpeechChunk]:
        while (chunk := self.next_chunk()) is not None:
            yield chunk

    def stop(self) -> str:
        """Barge-in: drop queued text and audio now; returns the text of the chunks already played."""
        self._stopped.set()
        for q in (self._text, self._audio):
            while True:
                try:
                    q.get_nowait()
                except queue.Empty:
                    break
        self._text.put(_FINISH)
        with contextlib.suppress(queue.Full):
            self._audio.put_nowait(None)
        return " ".join(self._played)

    def _run(self) -> None:
        while True:
            item = self._text.get()
            if self._stopped.is_set():
                return
            units = self._aggregator.flush() if item is _FINISH else self._aggregator.push(str(item))
            for chunk in synthesize_units(self.backend, units, self.lang, self._position_ms, self._index):
                if self._stopped.is_set():
                    return
                self._position_ms = chunk.start_ms + chunk.duration_ms
                self._index = chunk.index + 1
                self._audio.put(chunk)
            if item is _FINISH:
                self._audio.put(None)
                return
