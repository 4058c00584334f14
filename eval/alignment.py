"""Word timings of references by CTC forced alignment (`ctc-segmentation`, Kürzinger et al., 2020).

Given the frame-wise CTC log-posteriors of an utterance (from any model backend with a CTC head) and its reference
words, place every word on the audio time line, so that latency can be measured against when words were spoken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simulagent.eval.instances import EvalError

__all__ = ["WordTiming", "align_words"]


@dataclass(frozen=True)
class WordTiming:
    """A reference word placed on the time line, with the alignment's confidence (a log-probability)."""

    word: str
    start_ms: float
    end_ms: float
    confidence: float


def align_words(
    log_probs: npt.NDArray[np.floating],
    vocabulary: Sequence[str],
    words: Sequence[str],
    frame_ms: float,
    blank_index: int = 0,
) -> list[WordTiming]:
    """Align `words` to CTC posteriors.

    Args:
        log_probs: CTC log-posteriors, shape (num_frames, vocab_size).
        vocabulary: the token of each output column (characters for character CTC); index `blank_index` is blank.
        words: the reference words; characters missing from the vocabulary are dropped.
        frame_ms: duration of one CTC frame.
        blank_index: column of the blank token.

    Raises:
        EvalError: no word can be spelled with the vocabulary, or the audio is too short for the words.
    """
    import ctc_segmentation as cs

    if log_probs.ndim != 2 or log_probs.shape[1] != len(vocabulary):
        raise EvalError(f"log_probs must have shape (frames, {len(vocabulary)}); got {log_probs.shape}")
    vocab = set(vocabulary)
    spelled = ["".join(ch for ch in word if ch in vocab) for word in words]
    kept = [(w, s) for w, s in zip(words, spelled, strict=True) if s]
    if not kept:
        raise EvalError("none of the reference words can be spelled with the model's vocabulary")
    char_list = list(vocabulary)
    config = cs.CtcSegmentationParameters(char_list=char_list)
    config.index_duration = frame_ms / 1000.0
    config.blank = blank_index
    config.excluded_characters = ""
    config.tokenized_meta_symbol = ""
    ground_truth_mat, utt_begin_indices = cs.prepare_text(config, [s for _, s in kept])
    if ground_truth_mat.shape[0] > log_probs.shape[0]:
        raise EvalError(f"{log_probs.shape[0]} frames cannot hold {ground_truth_mat.shape[0]} tokens")
    timings, char_probs, _ = cs.ctc_segmentation(config, np.asarray(log_probs, dtype=np.float64), ground_truth_mat)
    # Word i's tokens sit between the separators at utt_begin_indices[i] and [i + 1]: it starts when its first
    # token starts and ends when the separator after it starts.
    result: list[WordTiming] = []
    for i, (word, _) in enumerate(kept):
        first, separator = utt_begin_indices[i] + 1, utt_begin_indices[i + 1]
        confidence = float(
            np.mean(
                char_probs[
                    int(timings[first] / config.index_duration) : int(timings[separator] / config.index_duration) + 1
                ]
            )
        )
        result.append(WordTiming(word, 1000.0 * float(timings[first]), 1000.0 * float(timings[separator]), confidence))
    return result
