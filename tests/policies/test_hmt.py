"""HMT: the forward algorithm, marginals and latency loss against brute-force enumeration of all K^T state paths."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from simulagent.policies.hmt import (
    HMTPolicy,
    hmt_log_likelihood,
    hmt_losses,
    hmt_posterior_marginals,
    hmt_prior_marginals,
    read_table,
)
from simulagent.types import ReadAction, WriteAction


def _brute(
    logits: torch.Tensor, emissions: torch.Tensor, reads: torch.Tensor
) -> tuple[float, torch.Tensor, torch.Tensor]:
    """log-likelihood, prior marginals and posterior marginals by enumerating every path."""
    T, K = logits.shape
    c = torch.sigmoid(logits).clone()
    c[:, -1] = 1.0
    total = 0.0
    prior = torch.zeros(T, K, dtype=torch.float64)
    posterior = torch.zeros(T, K, dtype=torch.float64)
    for path in itertools.product(range(K), repeat=T):
        p_prior = 1.0
        ok = True
        for i, k in enumerate(path):
            floor = int(reads[i - 1, path[i - 1]]) if i else -1
            start = min(s for s in range(K) if int(reads[i, s]) >= floor)
            if k < start:
                ok = False
                break
            p = float(c[i, k])
            for m in range(start, k):
                p *= 1 - float(c[i, m])
            p_prior *= p
        if not ok:
            continue
        p_joint = p_prior * math.exp(sum(float(emissions[i, k]) for i, k in enumerate(path)))
        total += p_joint
        for i, k in enumerate(path):
            prior[i, k] += p_prior
            posterior[i, k] += p_joint
    return math.log(total), prior, posterior / total


@pytest.mark.parametrize(("T", "K", "X", "L"), [(1, 3, 4, 1), (3, 2, 5, 1), (4, 3, 5, 2), (3, 4, 3, 1)])
def test_forward_equals_enumeration(T: int, K: int, X: int, L: int) -> None:
    gen = torch.Generator().manual_seed(T * 100 + K * 10 + X)
    logits = torch.randn(T, K, generator=gen, dtype=torch.float64) * 2
    emissions = torch.log_softmax(torch.randn(T, K, 7, generator=gen, dtype=torch.float64), dim=-1)[..., 0]
    reads = read_table(T, K, X, lower=L)
    log_z, prior, posterior = _brute(logits, emissions, reads)
    assert float(hmt_log_likelihood(logits, emissions, reads)) == pytest.approx(log_z, abs=1e-9)
    ours_prior = hmt_prior_marginals(logits, reads)
    torch.testing.assert_close(ours_prior, prior, atol=1e-9, rtol=0)
    torch.testing.assert_close(ours_prior.sum(dim=1), torch.ones(T, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(hmt_posterior_marginals(logits, emissions, reads), posterior, atol=1e-9, rtol=0)
    losses = hmt_losses(logits, emissions, reads)
    extra = (reads - reads[:, :1]).double()
    assert float(losses.latency) == pytest.approx(float((posterior * extra).sum()) / T, abs=1e-9)
    assert float(losses.nll) == pytest.approx(-log_z / T, abs=1e-9)


def test_gradcheck() -> None:
    gen = torch.Generator().manual_seed(7)
    logits = torch.randn(3, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    emissions = (
        torch.log_softmax(torch.randn(3, 3, 5, generator=gen, dtype=torch.float64), -1)[..., 0]
        .detach()
        .requires_grad_()
    )
    reads = read_table(3, 3, 4)
    assert torch.autograd.gradcheck(lambda a, b: hmt_log_likelihood(a, b, reads), (logits, emissions))
    assert torch.autograd.gradcheck(lambda a, b: hmt_losses(a, b, reads).total, (logits, emissions))


def test_read_table() -> None:
    assert read_table(3, 3, 5, lower=2).tolist() == [[2, 3, 4], [3, 4, 5], [4, 5, 5]]
    with pytest.raises(ValueError, match="L >= 1"):
        read_table(2, 2, 3, lower=0)


def test_inference_follows_hand_scripted_selection_tables() -> None:
    policy = HMTPolicy(num_states=3, lower=1)
    state = policy.new_state()
    # token 0: states read 1, 2, 3; c = (0.2, 0.7, -): write at state 1 once 2 source words are read.
    assert isinstance(policy.decide(state, [0.2, 0.7, 1.0], 1, False), ReadAction)
    assert isinstance(policy.decide(state, [0.2, 0.7, 1.0], 2, False), WriteAction)
    assert state.chosen_states == [1]
    # token 1: states read 2, 3, 4; floor 2 -> start at state 0; c = (0.9, ...): write at once with 2 read.
    assert isinstance(policy.decide(state, [0.9, 0.1, 1.0], 2, False), WriteAction)
    # token 2: states read 3, 4, 5; all c low -> the last state (5 words) unless the source ends.
    assert isinstance(policy.decide(state, [0.1, 0.1, 1.0], 4, False), ReadAction)
    assert isinstance(policy.decide(state, [0.1, 0.1, 1.0], 4, True), WriteAction)
    assert state.chosen_states == [1, 0, 2]
