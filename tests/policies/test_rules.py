"""wait-k, LocalAgreement, AlignAtt and StreamSpeech's CTC rule on scripted signals."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from simulagent.policies.alignatt import AlignAtt
from simulagent.policies.ctc_rule import CTCRule, collapsed_length, new_token_probability, policy_attention_mask
from simulagent.policies.local_agreement import LocalAgreement
from simulagent.policies.wait_k import BoundedPolicy, WaitK
from simulagent.signals import AgreementPolicy, AttentionPolicy, CountPolicy, TimedWord
from simulagent.types import ReadAction, WriteAction


def _schedule(policy: CountPolicy, source_len: int, target_len: int) -> list[int]:
    """g_j: source units read when target unit j is written."""
    state = policy.new_state()
    read, written, out = 0, 0, []
    while written < target_len:
        action = policy.decide(state, read, read >= source_len, written)
        if isinstance(action, WriteAction):
            out.append(read)
            written += 1
        else:
            read += 1
    return out


def test_wait_k_schedule() -> None:
    assert isinstance(WaitK(2), CountPolicy)
    assert _schedule(WaitK(2), 5, 6) == [2, 3, 4, 5, 5, 5]
    assert _schedule(WaitK(1), 3, 3) == [1, 2, 3]
    with pytest.raises(ValueError, match="k >= 1"):
        WaitK(0)


def test_agent_simt_bounds() -> None:
    # An inner policy that would read everything first is forced to write by j + 3.
    assert _schedule(BoundedPolicy(WaitK(100), 1, 3), 8, 5) == [3, 4, 5, 6, 7]
    # One that would write at once is held until j + 1.
    assert _schedule(BoundedPolicy(WaitK(1), 1, 3), 8, 3) == [1, 2, 3]
    for j, g in enumerate(_schedule(BoundedPolicy(WaitK(2), 1, 3), 10, 7)):
        assert j + 1 <= g <= j + 3


def test_local_agreement_commits_common_prefixes() -> None:
    policy = LocalAgreement(2)
    assert isinstance(policy, AgreementPolicy)
    state = policy.new_state()
    assert policy.agree(state, ["the", "cat"], False) == 0  # one hypothesis: nothing agreed yet
    assert policy.agree(state, ["The", "cat,", "sat"], False) == 2  # "the cat" agreed
    assert policy.agree(state, ["sat", "on"], False) == 1  # "sat"
    assert policy.agree(state, ["on", "the", "mat"], True) == 3  # source finished: everything


def test_local_agreement_with_timestamps_trims_and_deduplicates() -> None:
    policy = LocalAgreement(2)
    state = policy.new_state()

    def words(*items: tuple[str, float]) -> list[TimedWord]:
        return [TimedWord(t, s, s + 300) for t, s in items]

    assert policy.update(state, words(("hello", 0), ("world", 400)), False) == []
    committed = policy.update(state, words(("hello", 0), ("world", 400), ("how", 800)), False)
    assert [w.text for w in committed] == ["hello", "world"] and state.committed_end_ms == 700
    # The buffer was trimmed and restarted: the decode repeats "world" (starts 450 > 700 - 100? no: dropped by time)
    # and a restarted decode whose timestamps drifted repeats "world" after the commit: the 1-gram is removed.
    committed = policy.update(state, words(("world", 650), ("how", 800), ("are", 1100)), False)
    assert [w.text for w in committed] == ["how"]
    committed = policy.update(state, words(("hello", 100), ("how", 820), ("are", 1100), ("you", 1400)), True)
    assert [w.text for w in committed] == ["are", "you"]


def test_local_agreement_higher_n_never_commits_earlier() -> None:
    hypotheses = [["a", "b"], ["a", "b", "c"], ["a", "x", "c"], ["a", "x", "c", "d"], ["a", "x", "c", "d"]]
    first_commit: dict[int, list[int]] = {}
    for n in (1, 2, 3):
        policy, state, total, steps = LocalAgreement(n), LocalAgreement(n).new_state(), 0, []
        committed_words: list[str] = []
        for step, hyp in enumerate(hypotheses):
            count = policy.agree(state, hyp[len(committed_words) :], False)
            committed_words += hyp[len(committed_words) : len(committed_words) + count]
            total += count
            steps += [step] * count
        first_commit[n] = steps
    for low, high in ((1, 2), (2, 3)):
        for i in range(len(first_commit[high])):
            assert first_commit[high][i] >= first_commit[low][i]


def test_alignatt_scripted_rows_and_monotone_knob() -> None:
    assert isinstance(AlignAtt(2), AttentionPolicy)
    attention = np.zeros((4, 10), dtype=np.float32)
    for token, frame in enumerate([1, 4, 8, 5]):
        attention[token, frame] = 1.0
    # f = 2: frames 8 and 9 are the last two: token 2 (aligned to 8) stops emission -> 2 tokens.
    assert AlignAtt(2).num_to_commit(attention, False) == 2
    assert AlignAtt(6).num_to_commit(attention, False) == 1  # frames 4..9 unsafe: token 1 stops it
    assert AlignAtt(6).num_to_commit(attention, True) == 4
    rng = np.random.default_rng(0)
    for _ in range(50):
        rows = rng.random((6, 20)).astype(np.float32)
        counts = [AlignAtt(f).num_to_commit(rows, False) for f in range(1, 21)]
        assert all(a >= b for a, b in itertools.pairwise(counts))


def test_ctc_new_token_probability_equals_expected_collapsed_length() -> None:
    rng = np.random.default_rng(1)
    T, V = 4, 3
    probs = rng.random((T, V))
    probs /= probs.sum(axis=1, keepdims=True)
    expected = 0.0
    for path in itertools.product(range(V), repeat=T):
        p = float(np.prod([probs[t, v] for t, v in enumerate(path)]))
        expected += p * collapsed_length(list(path))
    assert float(new_token_probability(probs).sum()) == pytest.approx(expected, abs=1e-12)
    torch_value = new_token_probability(torch.tensor(probs))
    assert float(torch_value.sum()) == pytest.approx(expected, abs=1e-12)  # type: ignore[union-attr]
    mask = policy_attention_mask(torch.tensor(new_token_probability(probs)), 3)
    assert mask.shape == (3, T) and bool(mask[:, 0].all())
    assert all(int(mask[i].sum()) <= int(mask[i + 1].sum()) for i in range(2))


def test_ctc_rule_scripted_stream() -> None:
    rule = CTCRule(n=2, k1=1)
    state = rule.new_state()
    assert isinstance(rule.decide(state, 1, 1, False), ReadAction)  # neither grew by 2
    assert isinstance(rule.decide(state, 2, 1, False), ReadAction)  # target did not grow by 2
    action = rule.decide(state, 2, 3, False)  # both grew: floor((3 - 1) / 2) * 2 - 0 = 2 tokens
    assert isinstance(action, WriteAction) and action.content == "2"
    assert isinstance(rule.decide(state, 3, 4, False), ReadAction)  # grew by 1 only
    action = rule.decide(state, 4, 6, False)  # floor(5/2)*2 - 2 = 2
    assert isinstance(action, WriteAction) and action.content == "2"
    final = rule.decide(state, 5, 7, True)
    assert isinstance(final, WriteAction) and final.content == "3" and final.finished


def test_policies_satisfy_the_signal_protocols() -> None:
    from simulagent.policies import AlignAtt, CTCRule, LocalAgreement, WaitK
    from simulagent.signals import AgreementPolicy, AlignmentPolicy, AttentionPolicy, CountPolicy, CTCPolicy

    assert isinstance(CTCRule(), CTCPolicy)
    assert isinstance(AlignAtt(), AttentionPolicy) and isinstance(AlignAtt(), AlignmentPolicy)
    assert isinstance(LocalAgreement(), AgreementPolicy)
    assert isinstance(WaitK(3), CountPolicy)
