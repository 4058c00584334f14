"""AlignAtt (Papi et al., Interspeech 2023): stop emitting at the first new token that attends to the end of the
audio.

For each new token of the current hypothesis, the frame it attends to most is its alignment; as long as that
frame lies before the last `frame_threshold` frames of the audio available, the token is safe to emit. The first
token aligned within the last f frames, and everything after it, waits for more audio. f is the latency knob: a
larger f holds more tokens back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulagent.types import FloatArray

__all__ = ["AlignAtt"]


@dataclass(frozen=True)
class AlignAtt:
    """Two forms of the same rule: `num_to_commit` reads cross-attention rows (the `AttentionPolicy` protocol);
    `stable` reads each word's aligned end time, as backends with word timestamps from alignment heads give it (the
    `AlignmentPolicy` protocol; the speech core's Whisper systems use this form).

    The word form can also let confident words through sooner: a word aligned within the last f frames, but not
    within the last `confident_frames`, is stable when the model gave it at least `min_probability`. What Whisper
    guesses at the cut edge of its window is mostly unsure; what it heard clearly rarely changes with more audio
    (on English speech this kept about the accuracy of a 75-frame guard at the latency of a 50-frame one,
    docs/benchmarks.md).

    Attributes:
        frame_threshold: f, in encoder frames (Whisper: 20 ms each); f >= 1.
        frame_ms: the length of one encoder frame.
        confident_frames: the shorter guard for confident words, in [0, f]; 0 turns the shortcut off.
        min_probability: the probability a word needs for the shorter guard, in (0, 1].
    """

    frame_threshold: int = 4
    frame_ms: float = 20.0
    confident_frames: int = 0
    min_probability: float = 1.0

    def __post_init__(self) -> None:
        if self.frame_threshold < 1:
            raise ValueError(f"AlignAtt needs frame_threshold >= 1; got {self.frame_threshold}")
        if not 0 <= self.confident_frames <= self.frame_threshold:
            raise ValueError(
                f"confident_frames must be in [0, frame_threshold={self.frame_threshold}]; got {self.confident_frames}"
            )
        if not 0.0 < self.min_probability <= 1.0:
            raise ValueError(f"min_probability must be in (0, 1]; got {self.min_probability}")

    def new_state(self) -> None:
        return None

    def stable(
        self,
        word_end_ms: Sequence[float],
        audio_end_ms: float,
        source_finished: bool,
        word_probability: Sequence[float] | None = None,
    ) -> int:
        """How many leading words end before the last f frames of the audio read, or before the last
        `confident_frames` with at least `min_probability` (all once the source finished)."""
        if source_finished:
            return len(word_end_ms)
        if word_probability is not None and len(word_probability) != len(word_end_ms):
            raise ValueError(f"{len(word_probability)} probabilities for {len(word_end_ms)} words")
        limit_ms = audio_end_ms - self.frame_threshold * self.frame_ms
        confident_limit_ms = audio_end_ms - self.confident_frames * self.frame_ms
        probabilities = word_probability if self.confident_frames > 0 else None
        for count, end_ms in enumerate(word_end_ms):
            if end_ms <= limit_ms:
                continue
            sure = probabilities is not None and probabilities[count] >= self.min_probability
            if not (sure and end_ms <= confident_limit_ms):
                return count
        return len(word_end_ms)

    def num_to_commit(self, attention: FloatArray, source_finished: bool) -> int:
        """Args:
        attention: shape (num_new_tokens, num_frames), each row a token's attention over the available frames.
        source_finished: then every token is emitted.
        """
        if attention.ndim != 2:
            raise ValueError(f"attention must have shape (tokens, frames); got {attention.shape}")
        num_tokens, num_frames = attention.shape
        if source_finished:
            return int(num_tokens)
        if num_frames == 0:
            return 0
        aligned = np.argmax(attention, axis=1)
        limit = num_frames - self.frame_threshold
        unsafe = np.nonzero(aligned >= limit)[0]
        return int(unsafe[0]) if unsafe.size else int(num_tokens)
