"""AlignAtt (Papi et al., Interspeech 2023): stop emitting at the first new token that attends to the end of the
audio.

For each new token of the current hypothesis, the frame it attends to most is its alignment; as long as that
frame lies before the last `frame_threshold` frames of the audio available, the token is safe to emit. The first
token aligned within the last f frames, and everything after it, waits for more audio. f is the latency knob: a
larger f holds more tokens back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulagent.types import FloatArray

__all__ = ["AlignAtt"]


@dataclass(frozen=True)
class AlignAtt:
    """Attributes:
    frame_threshold: f, in encoder frames (Whisper: 20 ms each); f >= 1.
    """

    frame_threshold: int = 4

    def __post_init__(self) -> None:
        if self.frame_threshold < 1:
            raise ValueError(f"AlignAtt needs frame_threshold >= 1; got {self.frame_threshold}")

    def new_state(self) -> None:
        return None

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
