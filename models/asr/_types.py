"""The speech backend interface: what a Whisper backend declares it can do, what it is asked, what it answers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from simulagent.errors import UserError
from simulagent.types import FloatArray

__all__ = [
    "SAMPLE_RATE_HZ",
    "WHISPER_LANGUAGES",
    "BackendCapabilities",
    "DecodeRequest",
    "Hypothesis",
    "SpeechBackend",
    "Task",
    "Word",
    "decode_all",
]

SAMPLE_RATE_HZ = 16_000
"""Whisper hears 16 kHz mono."""

Task = Literal["transcribe", "translate"]

# The languages of multilingual Whisper (the tokenizer's language tokens), by ISO 639-1 code.
WHISPER_LANGUAGES: frozenset[str] = frozenset(
    (
        "en",
        "zh",
        "de",
        "es",
        "ru",
        "ko",
        "fr",
        "ja",
        "pt",
        "tr",
        "pl",
        "ca",
        "nl",
        "ar",
        "sv",
        "it",
        "id",
        "hi",
        "fi",
        "vi",
        "he",
        "uk",
        "el",
        "ms",
        "cs",
        "ro",
        "da",
        "hu",
        "ta",
        "no",
        "th",
        "ur",
        "hr",
        "bg",
        "lt",
        "la",
        "mi",
        "ml",
        "cy",
        "sk",
        "te",
        "fa",
        "lv",
        "bn",
        "sr",
        "az",
        "sl",
        "kn",
        "et",
        "mk",
        "br",
        "eu",
        "is",
        "hy",
        "ne",
        "mn",
        "bs",
        "kk",
        "sq",
        "sw",
        "gl",
        "mr",
        "pa",
        "si",
        "km",
        "sn",
        "yo",
        "so",
        "af",
        "oc",
        "ka",
        "be",
        "tg",
        "sd",
        "gu",
        "am",
        "yi",
        "lo",
        "uz",
        "fo",
        "ht",
        "ps",
        "tk",
        "nn",
        "mt",
        "sa",
        "lb",
        "my",
        "bo",
        "tl",
        "mg",
        "as",
        "tt",
        "haw",
        "ln",
        "ha",
        "ba",
        "jw",
        "su",
        "yue",
    )
)


@dataclass(frozen=True)
class BackendCapabilities:
    """What a backend can do; checked when a streaming system is wired to it.

    Attributes:
        name: the backend's registry name.
        languages: source languages it recognises.
        translate_to_english: it can translate speech of `languages` into English text.
        word_timestamps: hypotheses carry per-word start/end times.
        forced_prefix: a decode may be forced to start with given text.
        variable_encoder_context: the encoder may run over the buffered audio only, not a padded 30 s window.
        cross_attention: it exposes decoder cross-attention weights (AlignAtt).
        encoder_outputs: it exposes encoder outputs.
        beam_search: it decodes with a beam wider than 1 (`DecodeRequest.beam_size`).
        batched_decode: its `decode_batch` decodes several windows in one call, faster than one by one.
    """

    name: str
    languages: frozenset[str]
    translate_to_english: bool
    word_timestamps: bool
    forced_prefix: bool
    variable_encoder_context: bool
    cross_attention: bool = False
    encoder_outputs: bool = False
    beam_search: bool = False
    batched_decode: bool = False

    def __post_init__(self) -> None:
        if not self.languages:
            raise ValueError(f"backend {self.name!r} declares no language")


@dataclass(frozen=True)
class DecodeRequest:
    """One decoding call.

    Attributes:
        task: "transcribe" (same-language text) or "translate" (English text).
        language: the source language code.
        prompt: previous text to condition on (Whisper's `<|startofprev|>` context); "" for none.
        prefix: text the output is forced to begin with; it is not repeated in the hypothesis.
        encoder_context: "full" pads the audio to Whisper's 30 s window (as trained); "audio" runs the encoder only
            over the given audio, padded up to `min_encoder_context_ms` (much faster on short buffers).
        min_encoder_context_ms: lower bound of the encoder window for "audio" context.
        word_timestamps: align words to the audio.
        max_new_tokens: at most this many generated tokens.
        beam_size: 1 decodes greedily; wider beams need a backend with `beam_search`.
    """

    task: Task = "transcribe"
    language: str = "en"
    prompt: str = ""
    prefix: str = ""
    encoder_context: Literal["full", "audio"] = "full"
    min_encoder_context_ms: float = 0.0
    word_timestamps: bool = True
    max_new_tokens: int = 224
    beam_size: int = 1

    def __post_init__(self) -> None:
        if self.task not in ("transcribe", "translate"):
            raise ValueError(f"task must be 'transcribe' or 'translate'; got {self.task!r}")
        if self.encoder_context not in ("full", "audio"):
            raise ValueError(f"encoder_context must be 'full' or 'audio'; got {self.encoder_context!r}")
        if not 0.0 <= self.min_encoder_context_ms <= 30_000.0:
            raise ValueError(f"min_encoder_context_ms must be in [0, 30000]; got {self.min_encoder_context_ms}")
        if not 1 <= self.max_new_tokens <= 440:
            raise ValueError(f"max_new_tokens must be in [1, 440]; got {self.max_new_tokens}")
        if not 1 <= self.beam_size <= 16:
            raise ValueError(f"beam_size must be in [1, 16]; got {self.beam_size}")


@dataclass(frozen=True)
class Word:
    """A recognised word.

    Attributes:
        text: the word as Whisper spells it, without surrounding spaces.
        start_ms: start time, relative to the decoded audio.
        end_ms: end time, relative to the decoded audio.
        probability: mean token probability in [0, 1].
    """

    text: str
    start_ms: float
    end_ms: float
    probability: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_ms) and math.isfinite(self.end_ms)) or self.end_ms < self.start_ms:
            raise ValueError(f"Word {self.text!r}: bad times {self.start_ms}..{self.end_ms}")

    def shifted(self, offset_ms: float) -> Word:
        """This word with its times moved by `offset_ms` (buffer time -> stream time)."""
        return Word(self.text, self.start_ms + offset_ms, self.end_ms + offset_ms, self.probability)


@dataclass(frozen=True)
class Hypothesis:
    """A backend's answer for one decode.

    Attributes:
        text: the decoded text (after the forced prefix), stripped.
        words: the words with times (empty when word timestamps were not asked for).
        avg_logprob: mean log probability per generated token.
        no_speech_prob: probability of the no-speech token at the first step.
    """

    text: str
    words: tuple[Word, ...] = ()
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


@runtime_checkable
class SpeechBackend(Protocol):
    """A Whisper-like recogniser/translator. Backends also satisfy `simulagent.signals.Transcriber`."""

    @property
    def capabilities(self) -> BackendCapabilities: ...

    def decode(self, samples: FloatArray, request: DecodeRequest) -> Hypothesis:
        """Decode 16 kHz mono float32 audio, shape (num_samples,), at most 30 s long."""
        ...

    def transcribe(self, samples: FloatArray, sample_rate_hz: int, language: str = "en") -> str:
        """Transcribe audio of any length (long audio is decoded window by window)."""
        ...


def decode_all(backend: SpeechBackend, items: Sequence[tuple[FloatArray, DecodeRequest]]) -> list[Hypothesis]:
    """Decode several windows (of different streams): in one call where the backend declares `batched_decode`,
    one by one otherwise. A batch of one is a plain `decode`."""
    if len(items) > 1 and backend.capabilities.batched_decode:
        batch: Any = backend
        return list(batch.decode_batch(items))
    return [backend.decode(samples, request) for samples, request in items]


def whisper_tokenizer(
    hf_tokenizer: Any, capabilities: BackendCapabilities, model_name: str, task: str, language: str
) -> Any:
    """faster-whisper's task tokenizer, after checking that the model knows `language` and can do `task`."""
    from faster_whisper.tokenizer import Tokenizer

    if language not in capabilities.languages:
        raise UserError(f"the model {model_name} does not know the language {language!r}")
    if task == "translate" and not capabilities.translate_to_english:
        raise UserError(f"the model {model_name} is English-only and cannot translate; use bundled:base")
    return Tokenizer(hf_tokenizer, capabilities.translate_to_english, task=task, language=language)
