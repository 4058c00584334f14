"""DiSeg: the expected mask and memberships against exact enumeration over all 2^(T-1) boundary vectors."""

from __future__ import annotations

import itertools

import pytest
import torch

from simulagent.policies.diseg import (
    WaitSeg,
    contrastive_loss,
    diseg_boundary_predictor,
    expected_membership,
    expected_segment_mask,
    segment_count_loss,
    segment_representations,
)
from simulagent.types import ReadAction, WriteAction


def _enumerate(alpha: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    T = alpha.shape[0]
    same = torch.zeros(T, T, dtype=torch.float64)
    member = torch.zeros(T, T, dtype=torch.float64)
    for bits in itertools.product((0, 1), repeat=T - 1):
        p = 1.0
        for m, b in enumerate(bits):
            p *= float(alpha[m]) if b else 1 - float(alpha[m])
        segment = [0]
        for b in bits:
            segment.append(segment[-1] + b)
        for q in range(T):
            member[q, segment[q]] += p
            for j in range(T):
                if segment[q] == segment[j]:
                    same[q, j] += p
    return same, member


@pytest.mark.parametrize("T", [1, 2, 4, 6])
def test_mask_and_membership_equal_enumeration(T: int) -> None:
    alpha = torch.rand(T, generator=torch.Generator().manual_seed(T), dtype=torch.float64)
    same, member = _enumerate(alpha)
    torch.testing.assert_close(expected_segment_mask(alpha), same, atol=1e-12, rtol=0)
    torch.testing.assert_close(expected_membership(alpha), member, atol=1e-12, rtol=0)


def test_hard_boundaries_give_block_mask_and_one_hot_membership() -> None:
    alpha = torch.tensor([0.0, 1.0, 0.0, 0.0, 1.0, 0.0], dtype=torch.float64)  # segments {0,1} {2,3,4} {5}
    segment = [0, 0, 1, 1, 1, 2]
    block = torch.tensor([[float(a == b) for b in segment] for a in segment], dtype=torch.float64)
    torch.testing.assert_close(expected_segment_mask(alpha), block)
    torch.testing.assert_close(
        expected_membership(alpha, max_segments=3), torch.nn.functional.one_hot(torch.tensor(segment), 3).double()
    )


def test_segment_representations_losses_and_gradients() -> None:
    torch.manual_seed(0)
    predictor = diseg_boundary_predictor(8)
    features = torch.randn(10, 8)
    alpha = predictor(features)
    membership = expected_membership(alpha, max_segments=4)
    reps = segment_representations(features, membership)
    assert reps.shape == (4, 8)
    loss = contrastive_loss(reps, torch.randn(3, 8)) + segment_count_loss(alpha, 3)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in predictor.parameters())
    with pytest.raises(ValueError, match="cannot match"):
        contrastive_loss(reps[:2], torch.randn(3, 8))


def test_wait_seg() -> None:
    policy = WaitSeg(k=2)
    assert isinstance(policy.decide(None, 1, False, 0), ReadAction)
    assert isinstance(policy.decide(None, 2, False, 0), WriteAction)
    assert isinstance(policy.decide(None, 2, False, 1), ReadAction)
    assert isinstance(policy.decide(None, 2, True, 5), WriteAction)
