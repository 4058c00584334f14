"""LocalAgreement-n: commit the words that the last n hypotheses agree on (Liu et al., 2020; whisper_streaming).

The streaming system owns the model calls; the policy only sees word sequences (habit: a policy makes no model
call). Any `simulagent.signals.AgreementPolicy` works, so the policies area's LocalAgreement plugs in too; the one
here is the default, so the speech core runs on its own.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from simulagent.signals import AgreementPolicy

__all__ = ["AgreementPolicy", "AlignAtt", "AlignmentPolicy", "LocalAgreement", "LocalAgreementState", "normalize_word"]

_STRIP = string.punctuation + "«»“”‘’¿¡…"


def normalize_word(word: str) -> str:
    """Case- and punctuation-insensitive form used to compare hypotheses ("Hello," == "hello")."""
    return word.strip().strip(_STRIP).lower()


@dataclass
class LocalAgreementState:
    """The last n-1 uncommitted hypotheses, oldest first."""

    history: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class LocalAgreement:
    """Commit the longest common prefix of the last `n` hypotheses; everything once the source has finished.

    Attributes:
        n: how many consecutive hypotheses must agree (2 is whisper_streaming's setting).
    """

    n: int = 2

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"LocalAgreement.n must be >= 1; got {self.n}")

    def new_state(self) -> LocalAgreementState:
        return LocalAgreementState()

    def agree(self, state: LocalAgreementState, hypothesis: Sequence[str], source_finished: bool) -> int:
        newest = [normalize_word(w) for w in hypothesis]
        if source_finished:
            state.history.clear()
            return len(newest)
        window = [*state.history[-(self.n - 1) :], newest] if self.n > 1 else [newest]
        count = 0
        if len(window) == self.n:
            shortest = min(len(h) for h in window)
            while count < shortest and all(h[count] == newest[count] for h in window):
                count += 1
        state.history = [h[count:] for h in window[-(self.n - 1) :]] if self.n > 1 else []
        return count


@runtime_checkable
class AlignmentPolicy(Protocol):
    """Decides from where each hypothesis word is aligned in the audio (cross-attention), not from agreement."""

    def stable(self, word_end_ms: Sequence[float], audio_end_ms: float, source_finished: bool) -> int:
        """How many leading words to commit, given each word's aligned end time and the end of the audio read."""
        ...


@dataclass(frozen=True)
class AlignAtt:
    """AlignAtt (Papi et al., 2023): emit a word only while the model's attention for it stays clear of the last
    `frames` encoder frames; a word aligned to the newest audio may still change when more audio arrives.

    With the CTranslate2 backend the alignment comes from its alignment heads' attention (word timestamps); with the
    transformers backend from the raw cross-attention peaks.

    Attributes:
        frames: the guard band, in 20 ms encoder frames (the latency knob: larger is later and safer).
    """

    frames: int = 10
    frame_ms: float = 20.0

    def __post_init__(self) -> None:
        if self.frames < 0:
            raise ValueError(f"AlignAtt.frames must be >= 0; got {self.frames}")

    def stable(self, word_end_ms: Sequence[float], audio_end_ms: float, source_finished: bool) -> int:
        if source_finished:
            return len(word_end_ms)
        limit_ms = audio_end_ms - self.frames * self.frame_ms
        count = 0
        while count < len(word_end_ms) and word_end_ms[count] <= limit_ms:
            count += 1
        return count
