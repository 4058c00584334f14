"""The stream types: the contract every area of simulagent shares.

Modelled on SimulEval's agent contract (`simuleval/agents/actions.py`, `simuleval/data/segments.py`) so its users
feel at home, with two differences: every message is a frozen, typed dataclass whose field names carry their units,
and the per-stream state is an explicit object passed to the system, so one system object can serve many streams.

Sources and targets move as *segments*:

- `TextSegment`: some text (a word, a few words, a sentence piece) of a stream.
- `SpeechSegment`: some mono float32 audio of a stream, with its sample rate and its offset on the stream's time line.
- `AudioChunk`: raw microphone or file audio before it becomes a segment (no end-of-stream flag).

A system decides, at each step, to `ReadAction` (wait for more source) or `WriteAction` (emit output). A
`StreamingSystem` is driven with `push` (a source segment arrives) and `pop` (take what it has to say now).

This module is light on purpose: numpy and the standard library only, so every area (and the CLI) may import it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeAlias, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "EMPTY_TEXT",
    "Action",
    "AdaptiveStepSystem",
    "AudioChunk",
    "BatchedStreamingSystem",
    "DataType",
    "FloatArray",
    "ReadAction",
    "Segment",
    "SpeechSegment",
    "StreamingSystem",
    "SystemSpec",
    "TextSegment",
    "TextStreamState",
    "WriteAction",
    "drain",
    "step",
]

DataType: TypeAlias = Literal["text", "speech"]
"""The kind of a stream, as SimulEval names it (`--source-type` / `--target-type`)."""

FloatArray: TypeAlias = npt.NDArray[np.float32]


def _check_samples(samples: FloatArray, sample_rate_hz: int, what: str) -> None:
    if not isinstance(samples, np.ndarray) or samples.dtype != np.float32 or samples.ndim != 1:
        raise TypeError(f"{what}.samples must be a 1-D float32 numpy array (mono); got {_describe(samples)}")
    if not isinstance(sample_rate_hz, int) or not 1_000 <= sample_rate_hz <= 384_000:
        raise ValueError(f"{what}.sample_rate_hz must be an int in [1000, 384000]; got {sample_rate_hz!r}")


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray(dtype={value.dtype}, shape={value.shape})"
    return type(value).__name__


@dataclass(frozen=True, eq=False)
class AudioChunk:
    """A piece of raw audio as it comes from a microphone or a file reader.

    Attributes:
        samples: mono float32 samples in [-1, 1], shape (num_samples,).
        sample_rate_hz: samples per second.
        start_ms: time of the first sample on the stream's time line, in milliseconds.
    """

    samples: FloatArray
    sample_rate_hz: int
    start_ms: float = 0.0

    def __post_init__(self) -> None:
        _check_samples(self.samples, self.sample_rate_hz, "AudioChunk")
        if not math.isfinite(self.start_ms) or self.start_ms < 0:
            raise ValueError(f"AudioChunk.start_ms must be finite and >= 0; got {self.start_ms!r}")

    @property
    def num_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_ms(self) -> float:
        return 1000.0 * self.num_samples / self.sample_rate_hz

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.duration_ms

    def to_segment(self, finished: bool = False) -> SpeechSegment:
        """This chunk as a source segment for a `StreamingSystem`."""
        return SpeechSegment(self.samples, self.sample_rate_hz, offset_ms=self.start_ms, finished=finished)


@dataclass(frozen=True)
class TextSegment:
    """Some text of a stream.

    Attributes:
        content: the text; may be empty (nothing to say yet).
        finished: True on the last segment of the stream (source) or of the output (target).
        index: position of this segment in its stream, counted from 0 (-1 when unknown).
        lang: BCP-47 code of the text's language, "" when unknown.
    """

    content: str = ""
    finished: bool = False
    index: int = -1
    lang: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.content

    @property
    def data_type(self) -> DataType:
        return "text"


EMPTY_TEXT = TextSegment()


@dataclass(frozen=True, eq=False)
class SpeechSegment:
    """Some speech of a stream.

    Attributes:
        samples: mono float32 samples in [-1, 1], shape (num_samples,).
        sample_rate_hz: samples per second.
        offset_ms: where the first sample lies on the stream's time line (for output speech: the source time at
            which it may start playing), in milliseconds.
        finished: True on the last segment of the stream.
        index: position of this segment in its stream, counted from 0 (-1 when unknown).
        text: the words this audio voices, when known (speech output of TTS), else "".
    """

    samples: FloatArray
    sample_rate_hz: int
    offset_ms: float = 0.0
    finished: bool = False
    index: int = -1
    text: str = ""

    def __post_init__(self) -> None:
        _check_samples(self.samples, self.sample_rate_hz, "SpeechSegment")
        if not math.isfinite(self.offset_ms):
            raise ValueError(f"SpeechSegment.offset_ms must be finite; got {self.offset_ms!r}")

    @property
    def num_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration_ms(self) -> float:
        return 1000.0 * self.num_samples / self.sample_rate_hz

    @property
    def is_empty(self) -> bool:
        return self.num_samples == 0

    @property
    def data_type(self) -> DataType:
        return "speech"

    @classmethod
    def empty(cls, sample_rate_hz: int = 16_000, finished: bool = False) -> SpeechSegment:
        return cls(np.zeros(0, dtype=np.float32), sample_rate_hz, finished=finished)


Segment: TypeAlias = TextSegment | SpeechSegment


@dataclass(frozen=True)
class ReadAction:
    """The system needs more source before it can say anything more."""


@dataclass(frozen=True)
class WriteAction:
    """The system emits `content` now.

    Attributes:
        content: the output: text (words joined by spaces for space-delimited languages) or a speech segment.
        finished: True when this is the last output for the current source stream.
    """

    content: str | SpeechSegment = ""
    finished: bool = False


Action: TypeAlias = ReadAction | WriteAction


@dataclass(frozen=True)
class SystemSpec:
    """What a streaming system consumes and produces.

    Attributes:
        name: a short identifier, used in logs and plots.
        source_type: "text" or "speech".
        target_type: "text" or "speech".
        source_lang: BCP-47 code of the source language ("" when any).
        target_lang: BCP-47 code of the target language ("" when any).
    """

    name: str
    source_type: DataType
    target_type: DataType
    source_lang: str = ""
    target_lang: str = ""


StateT = TypeVar("StateT")


@runtime_checkable
class StreamingSystem(Protocol[StateT]):
    """A simultaneous system, driven one source segment at a time.

    The evaluator, the agent and the server all drive systems through this protocol:

        state = system.new_state()
        for segment in source:
            system.push(segment, state)
            while not (out := system.pop(state)).is_empty:
                emit(out)
        # after the last segment (finished=True) keep popping until an output has finished=True

    `pop` returns an empty segment when the system would rather READ. Once the source has finished, repeated `pop`
    calls must eventually return a segment with `finished=True`. The state object holds everything that depends on
    the stream, so `reset(state)` (or a fresh `new_state()`) gives identical reruns.
    """

    @property
    def spec(self) -> SystemSpec: ...

    def new_state(self) -> StateT: ...

    def reset(self, state: StateT) -> None: ...

    def push(self, segment: Segment, state: StateT) -> None: ...

    def pop(self, state: StateT) -> Segment: ...


@runtime_checkable
class BatchedStreamingSystem(StreamingSystem[StateT], Protocol[StateT]):
    """A `StreamingSystem` that can also advance several streams in one call, batching their model work (a server
    steps its sessions this way).

    `step_batch(steps)` must give, for each `(segment, state)`, what `step(system, segment, state)` gives, each
    stream once per call, or the exception that stream's step raised (the other streams of the batch go on). How
    far a batch may change a stream's output (a model's batched arithmetic, a shared prompt length) is for the
    system to document.
    """

    def step_batch(self, steps: Sequence[tuple[Segment, StateT]]) -> list[list[Segment] | Exception]: ...


@runtime_checkable
class AdaptiveStepSystem(StreamingSystem[StateT], Protocol[StateT]):
    """A `StreamingSystem` whose update step grows when its updates take longer (a crowded model), so that its cost
    per second of audio falls as the load rises, down to what its longest step costs.

    A server reads `step_headroom` to know how much of that elasticity is left: a measured real-time factor
    understates the capacity of such a system (its streams take longer steps once more of them share the model).

    `adapts_step` is False when this instance keeps a fixed step (an option, or a policy that counts fixed steps);
    `step_headroom(state)` is the share of its step range the stream has not used, 1.0 at its shortest step and 0.0
    at its longest (it can shed no more load), or None before the stream's first update.
    """

    @property
    def adapts_step(self) -> bool: ...

    def step_headroom(self, state: StateT) -> float | None: ...


def drain(system: StreamingSystem[Any], state: Any) -> list[Segment]:
    """Pop until the system would READ (an empty, unfinished segment) or has finished; the outputs, in order."""
    outputs: list[Segment] = []
    while True:
        out = system.pop(state)
        if out.is_empty and not out.finished:
            return outputs
        outputs.append(out)
        if out.finished:
            return outputs


def step(system: StreamingSystem[Any], segment: Segment, state: Any) -> list[Segment]:
    """Push one source segment and drain what the system has to say now."""
    system.push(segment, state)
    return drain(system, state)


@dataclass
class TextStreamState:
    """A ready-made state for text-to-text systems: the source words read and the target words written so far.

    Mutable on purpose: it is the per-stream state a system updates in place.
    """

    source_words: list[str] = field(default_factory=list)
    target_words: list[str] = field(default_factory=list)
    source_finished: bool = False
    target_finished: bool = False

    def clear(self) -> None:
        self.source_words.clear()
        self.target_words.clear()
        self.source_finished = False
        self.target_finished = False
