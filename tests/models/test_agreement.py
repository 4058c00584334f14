from __future__ import annotations

import pytest

from simulagent.models.asr import AgreementPolicy, LocalAgreement
from simulagent.models.asr._agreement import normalize_word


def test_local_agreement_2_commits_the_common_prefix_of_two_hypotheses() -> None:
    policy = LocalAgreement(2)
    state = policy.new_state()
    assert policy.agree(state, ["I", "have"], source_finished=False) == 0  # nothing to compare with yet
    assert policy.agree(state, ["I", "have", "been"], source_finished=False) == 2
    # The history keeps only the uncommitted tail: "been" vs "been", "here".
    assert policy.agree(state, ["been", "here"], source_finished=False) == 1
    assert policy.agree(state, ["there"], source_finished=False) == 0
    assert policy.agree(state, ["there", "now"], source_finished=True) == 2


def test_agreement_ignores_case_and_punctuation() -> None:
    policy = LocalAgreement(2)
    state = policy.new_state()
    policy.agree(state, ["Hello", "world"], source_finished=False)
    assert policy.agree(state, ["hello,", "World."], source_finished=False) == 2
    assert normalize_word("«Bonjour»") == "bonjour"


def test_local_agreement_1_commits_everything_and_3_waits_longer() -> None:
    one = LocalAgreement(1)
    assert one.agree(one.new_state(), ["a", "b"], source_finished=False) == 2
    three = LocalAgreement(3)
    state = three.new_state()
    assert three.agree(state, ["a"], False) == 0
    assert three.agree(state, ["a", "b"], False) == 0
    assert three.agree(state, ["a", "b"], False) == 1


def test_bad_n_is_refused() -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        LocalAgreement(0)


def test_local_agreement_satisfies_the_protocol() -> None:
    assert isinstance(LocalAgreement(), AgreementPolicy)
