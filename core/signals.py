"""Protocols between areas: what a policy may ask of a model backend, and what one area needs of another.

Like `simulagent.types`, this module is light (standard library and numpy only) and every area may import it.
Areas never import one another: a backend in `simulagent.models` satisfies these protocols structurally
(`typing.Protocol`), and the code that wires a policy to a backend (the agent, the CLI) checks the fit.

Each section is owned by one area (named in its heading); keep each protocol small and documented.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar, runtime_checkable

from simulagent.types import Action, FloatArray

__all__ = [
    "AgreementPolicy",
    "AlignmentPolicy",
    "AttentionPolicy",
    "CTCPolicy",
    "ChatMessage",
    "ChatModel",
    "CountPolicy",
    "GenerationOptions",
    "TimedWord",
    "Transcriber",
    "WordPolicy",
]

StateT = TypeVar("StateT")


# --- eval: ASR-BLEU needs a speech recogniser (implemented in models/) --------------------------------------------


@runtime_checkable
class Transcriber(Protocol):
    """Turns speech into text (used by eval/ for ASR-BLEU of speech output)."""

    def transcribe(self, samples: FloatArray, sample_rate_hz: int, language: str = "en") -> str:
        """Transcribe mono float32 audio, shape (num_samples,)."""
        ...


# --- models/llm: the chat model interface (implemented in models/llm; used by policies, rag, verticals, agent) ----


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    """How to generate.

    Attributes:
        max_tokens: at most this many new tokens.
        temperature: 0 is greedy decoding.
        stop: generation ends before any of these strings.
        assistant_prefix: the answer is forced to start with this text (it is not repeated in the output); used to
            continue a committed translation.
        json_schema: a JSON Schema (as text) the output must satisfy, for backends that can constrain decoding.
    """

    max_tokens: int = 256
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    assistant_prefix: str = ""
    json_schema: str | None = None

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1; got {self.max_tokens}")
        if not 0.0 <= self.temperature <= 5.0:
            raise ValueError(f"temperature must be in [0, 5]; got {self.temperature}")


@runtime_checkable
class ChatModel(Protocol):
    """A chat model that streams its answer as text pieces.

    Closing the returned iterator (`close()`, or leaving a `for` loop early) cancels the generation: that is how
    barge-in stops an answer mid-stream.
    """

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> Iterator[str]: ...


# --- policies: decisions from counts (wait-k; the word policy of Agent-SiMT). Owned by policies/ ------------------


@runtime_checkable
class CountPolicy(Protocol[StateT]):
    """A policy that decides from how much source has been read and how much target written.

    The unit (words, tokens, audio chunks) is the caller's. `decide` returns `ReadAction` to wait for one more
    source unit, or `WriteAction` to emit one more target unit (its `content` is left for the caller to fill).
    """

    def new_state(self) -> StateT: ...

    def decide(self, state: StateT, num_source_read: int, source_finished: bool, num_target_written: int) -> Action: ...


@runtime_checkable
class WordPolicy(Protocol[StateT]):
    """A policy that decides from the words themselves: the source words read so far and the target words
    committed (Agent-SiMT's HMT word policy reads both with its own small model). Returns `ReadAction` or
    `WriteAction` as `CountPolicy.decide` does.
    """

    def new_state(self) -> StateT: ...

    def decide_words(
        self, state: StateT, source_words: Sequence[str], source_finished: bool, target_words: Sequence[str]
    ) -> Action: ...


# --- policies: signals of speech model backends (hypotheses with timestamps, attention, CTC). Owned by policies/ ---


@dataclass(frozen=True)
class TimedWord:
    """A hypothesis word placed on the source time line (from a backend's word timestamps)."""

    text: str
    start_ms: float
    end_ms: float
    probability: float = 1.0


@runtime_checkable
class AgreementPolicy(Protocol[StateT]):
    """LocalAgreement-style policies: how many leading words of the newest uncommitted hypothesis are stable.

    `hypothesis` holds the words after the committed text; the return value is how many of its first words to
    commit now (all of them once the source has finished). The policy forgets committed words from its history.
    """

    def new_state(self) -> StateT: ...

    def agree(self, state: StateT, hypothesis: Sequence[str], source_finished: bool) -> int: ...


@runtime_checkable
class AttentionPolicy(Protocol):
    """AlignAtt-style policies: how many new tokens to commit, from their cross-attention over the source frames.

    `attention` has shape (num_new_tokens, num_frames): row i is new token i's attention (averaged over the
    chosen heads) over the encoder frames of the audio available so far.
    """

    def num_to_commit(self, attention: FloatArray, source_finished: bool) -> int: ...


@runtime_checkable
class AlignmentPolicy(Protocol):
    """AlignAtt on word alignments: how many leading words of a hypothesis are stable, from where each word is aligned
    in the audio (the end time of its cross-attention peak, or the backend's word timestamp) and, when the backend
    knows it, how sure the model was of each word (`word_probability`, its mean token probability; None: unknown)."""

    def stable(
        self,
        word_end_ms: Sequence[float],
        audio_end_ms: float,
        source_finished: bool,
        word_probability: Sequence[float] | None = None,
    ) -> int: ...


@runtime_checkable
class CTCPolicy(Protocol[StateT]):
    """StreamSpeech-style policies: decide from the collapsed (greedy, blank-free) output lengths of a streaming
    encoder's source and target CTC heads. A `WriteAction`'s `content` says how many target tokens may be written."""

    def new_state(self) -> StateT: ...

    def decide(self, state: StateT, src_ctc_len: int, tgt_ctc_len: int, source_finished: bool) -> Action: ...
