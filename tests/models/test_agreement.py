"""The speech core takes its policies from simulagent.policies through the signals protocols."""

from __future__ import annotations

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


def test_hypotheses_compare_without_case_and_punctuation() -> None:
    assert normalize_word("«Bonjour»") == "bonjour"
    assert normalize_word("Hello,") == normalize_word("hello")
