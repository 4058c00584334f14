"""Boundary accuracy metrics against hand counts, and CTC forced alignment on posteriors built by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulagent.eval.alignment import align_words
from simulagent.eval.instances import EvalError
from simulagent.eval.segmentation import boundary_scores, match_boundaries


def test_one_to_one_matching_within_tolerance() -> None:
    # 100 and 105 both near 110: only one may claim it; 300 is 30 ms off (outside 20 ms).
    assert match_boundaries([100, 105, 300], [110, 270], tolerance_ms=20) == 1
    assert match_boundaries([100, 200], [100, 200], tolerance_ms=0) == 2


def test_scores_by_hand() -> None:
    s = boundary_scores([[100, 105, 300, 500]], [[110, 270, 490]], tolerance_ms=20)
    assert (s.hits, s.num_predicted, s.num_reference) == (2, 4, 3)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert s.over_segmentation == pytest.approx(4 / 3 - 1)
    r1 = math.sqrt((1 - 2 / 3) ** 2 + (1 / 3) ** 2)
    r2 = (-(1 / 3) + 2 / 3 - 1) / math.sqrt(2)
    assert s.r_value == pytest.approx(1 - (abs(r1) + abs(r2)) / 2)


def test_perfect_and_corpus_level() -> None:
    perfect = boundary_scores([[10, 20], [5]], [[10, 20], [5]])
    assert perfect.f1 == 1.0 and perfect.r_value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="2 predicted utterances but 1"):
        boundary_scores([[1], [2]], [[1]])


def _posteriors(path: list[int], vocab_size: int) -> np.ndarray:
    probs = np.full((len(path), vocab_size), 0.01)
    for t, token in enumerate(path):
        probs[t, token] = 1.0
    probs /= probs.sum(axis=1, keepdims=True)
    return np.log(probs)


def test_ctc_alignment_places_words_where_the_posteriors_say() -> None:
    vocab = ["_", "a", "b", "c", " "]
    # frames (20 ms each): blanks 0-9, "ab" at 10-19, blanks 20-29, "c" at 30-34, blanks 35-39
    path = [0] * 10 + [1] * 5 + [2] * 5 + [0] * 10 + [3] * 5 + [0] * 5
    timings = align_words(_posteriors(path, len(vocab)), vocab, ["ab", "c"], frame_ms=20.0)
    assert [t.word for t in timings] == ["ab", "c"]
    assert timings[0].start_ms < timings[1].start_ms
    ab, c = timings  # the posteriors spell "ab" over 200-400 ms and "c" over 600-700 ms
    assert (ab.start_ms, ab.end_ms) == pytest.approx((200.0, 400.0))
    assert (c.start_ms, c.end_ms) == pytest.approx((600.0, 700.0))
    assert ab.confidence > -0.1 and c.confidence > -0.1


def test_alignment_errors() -> None:
    with pytest.raises(EvalError, match="none of the reference words can be spelled"):
        align_words(_posteriors([0, 1], 3), ["_", "a", "b"], ["zz"], frame_ms=20.0)
    with pytest.raises(EvalError, match="shape"):
        align_words(np.zeros((4, 2)), ["_", "a", "b"], ["a"], frame_ms=20.0)
