"""LocalAgreement-n (Liu et al., 2020; Macháček et al., 2023, whisper_streaming).

After every update the backend re-decodes the audio buffer into a hypothesis; the words that the last n
hypotheses agree on (their longest common prefix, compared case- and punctuation-insensitively) are committed.

Two ways in:

- `agree(state, words, source_finished) -> int` (the `simulagent.signals.AgreementPolicy` protocol): the caller
  strips committed text itself and passes the new words.
- `update(state, hypothesis, source_finished) -> list[TimedWord]`, whisper_streaming's buffer: the hypothesis is
  the whole decode of the current audio buffer with word timestamps on the stream's time line. Words that end
  before the last committed time are dropped (timestamp trimming of the already committed part), and when the
  buffer restarts (the first new words repeat the tail of the committed text) the repeated 1..5-gram is removed.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field

from simulagent.signals import TimedWord

__all__ = ["LocalAgreement", "LocalAgreementState", "normalize_word"]

_STRIP = string.punctuation + "«»“”‘’¿¡…。，！？、；："
_TRIM_SLACK_MS = 100.0  # a word may start this much before the last commit and still be new (timestamp jitter)
_MAX_NGRAM = 5


def normalize_word(word: str) -> str:
    """The form hypotheses are compared in: "Hello," and "hello" agree."""
    return word.strip().strip(_STRIP).lower()


@dataclass
class LocalAgreementState:
    """Per-stream state.

    Attributes:
        history: the last n-1 uncommitted hypotheses (normalised words), oldest first.
        pending: the previous uncommitted timed hypothesis (for `update`).
        committed: every committed timed word (for `update`).
    """

    history: list[list[str]] = field(default_factory=list)
    pending: list[TimedWord] = field(default_factory=list)
    committed: list[TimedWord] = field(default_factory=list)

    @property
    def committed_end_ms(self) -> float:
        """Where the buffer may be trimmed: the end of the last committed word (0 before any)."""
        return self.committed[-1].end_ms if self.committed else 0.0


@dataclass(frozen=True)
class LocalAgreement:
    """Commit the longest common prefix of the last n hypotheses.

    Attributes:
        n: how many consecutive hypotheses must agree (2 in whisper_streaming); the latency knob.
    """

    n: int = 2

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"LocalAgreement needs n >= 1; got {self.n}")

    def new_state(self) -> LocalAgreementState:
        return LocalAgreementState()

    def agree(self, state: LocalAgreementState, hypothesis: Sequence[str], source_finished: bool) -> int:
        newest = [normalize_word(w) for w in hypothesis]
        if source_finished:
            state.history.clear()
            return len(newest)
        window = [*state.history, newest][-self.n :]
        count = 0
        if len(window) == self.n:
            shortest = min(len(h) for h in window)
            while count < shortest and all(h[count] == newest[count] for h in window):
                count += 1
        # Keep the n-1 newest hypotheses, minus what was just committed.
        state.history = [h[count:] for h in window][len(window) - (self.n - 1) :] if self.n > 1 else []
        return count

    def update(
        self, state: LocalAgreementState, hypothesis: Sequence[TimedWord], source_finished: bool
    ) -> list[TimedWord]:
        """Feed the decode of the whole buffer; returns the words committed now."""
        new = self._new_words(state, hypothesis)
        count = self.agree(state, [w.text for w in new], source_finished)
        committed = list(new[:count])
        state.committed.extend(committed)
        return committed

    def _new_words(self, state: LocalAgreementState, hypothesis: Sequence[TimedWord]) -> list[TimedWord]:
        last_ms = state.committed_end_ms
        words = (
            [w for w in hypothesis if w.start_ms > last_ms - _TRIM_SLACK_MS] if state.committed else list(hypothesis)
        )
        if state.committed and words:
            # A restarted buffer may decode the end of the committed text again: drop the longest repeated n-gram.
            tail = [normalize_word(w.text) for w in state.committed[-_MAX_NGRAM:]]
            head = [normalize_word(w.text) for w in words[:_MAX_NGRAM]]
            for size in range(min(len(tail), len(head)), 0, -1):
                if tail[-size:] == head[:size]:
                    words = words[size:]
                    break
        return words
