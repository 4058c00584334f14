"""The speech core takes its policies from simulagent.policies through the signals protocols."""

from __future__ import annotations

import pytest

from simulagent.models.asr import AgreementPolicy, AlignmentPolicy
from simulagent.models.asr._agreement import normalize_word
from simulagent.policies import AlignAtt, LocalAgreement, WaitK
from simulagent.signals import CountPolicy


def test_the_policies_fit_the_speech_core() -> None:
    assert isinstance(LocalAgreement(2), AgreementPolicy)
    assert isinstance(AlignAtt(frame_threshold=4), AlignmentPolicy)
    assert isinstance(WaitK(3), CountPolicy)


def test_alignatt_on_word_alignments() -> None:
    policy = AlignAtt(frame_threshold=5)  # 100 ms guard band
    assert policy.stable([100.0, 850.0, 950.0], audio_end_ms=1000.0, source_finished=False) == 2
    assert policy.stable([100.0, 850.0, 950.0], audio_end_ms=1100.0, source_finished=False) == 3
    assert policy.stable([100.0, 850.0, 950.0], audio_end_ms=1000.0, source_finished=True) == 3


def test_alignatt_lets_confident_words_through_a_shorter_guard() -> None:
    policy = AlignAtt(frame_threshold=50, confident_frames=10, min_probability=0.8)  # 1 s guard, 200 ms if sure
    ends = [100.0, 1500.0, 1700.0, 1900.0]  # audio up to 2000 ms: the last three lie within the long guard
    assert policy.stable(ends, 2000.0, False) == 1  # probabilities unknown: the long guard only
    assert policy.stable(ends, 2000.0, False, [0.5, 0.9, 0.95, 0.99]) == 3  # 1900 ends within the short guard too
    assert policy.stable(ends, 2000.0, False, [0.5, 0.9, 0.6, 0.99]) == 2  # an unsure word stops the run
    assert AlignAtt(frame_threshold=50).stable(ends, 2000.0, False, [1.0] * 4) == 1  # no shortcut by default
    with pytest.raises(ValueError, match="probabilities"):
        policy.stable(ends, 2000.0, False, [0.9])
    with pytest.raises(ValueError, match="confident_frames"):
        AlignAtt(frame_threshold=5, confident_frames=6)
    with pytest.raises(ValueError, match="min_probability"):
        AlignAtt(frame_threshold=5, confident_frames=2, min_probability=0.0)


def test_hypotheses_compare_without_case_and_punctuation() -> None:
    assert normalize_word("«Bonjour»") == "bonjour"
    assert normalize_word("Hello,") == normalize_word("hello")
