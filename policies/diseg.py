"""Differentiable segmentation, DiSeg (Zhang & Feng, Findings of ACL 2023): learn where to cut streaming speech.

A boundary predictor gives α_j, the probability that a segment ends after frame j. Everything downstream is an
expectation over the 2^(T−1) hard segmentations, computed in closed form so it is differentiable:

- the expected segmented attention mask φ_{q,j} = ∏_{m=min(q,j)}^{max(q,j)−1} (1 − α_m): the probability that frames
  q and j lie in one segment (1 on the diagonal);
- the expected membership p_j(n), the probability that frame j is in segment n, by the recursion
  p_j(n) = p_{j−1}(n)(1 − α_{j−1}) + p_{j−1}(n − 1) α_{j−1}, p_0(0) = 1;
- segment representations r_n = Σ_j p_j(n) h_j / Σ_j p_j(n);
- a word-level contrastive loss pulling r_n towards the embedding of the n-th target/transcript word and away from
  the others (InfoNCE), and a segment-count loss |Σ_j α_j − number of words|.

At inference, boundaries are hard (α ≥ 0.5) and the "wait-seg" policy writes target token i (0-based) once at least
i + k segments are closed (k ≥ 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulagent.types import Action, ReadAction, WriteAction

if TYPE_CHECKING:
    import torch

__all__ = [
    "WaitSeg",
    "contrastive_loss",
    "diseg_boundary_predictor",
    "expected_membership",
    "expected_segment_mask",
    "segment_count_loss",
    "segment_representations",
]


def expected_segment_mask(alpha: torch.Tensor) -> torch.Tensor:
    """φ, shape (T, T), from boundary probabilities `alpha` of shape (T,) (α_j: a boundary after frame j; the last
    entry is not used by φ)."""
    import torch

    T = alpha.shape[0]
    log_keep = torch.log1p(-alpha[: T - 1].clamp(max=1 - 1e-12)) if T > 1 else alpha.new_zeros(0)
    prefix = torch.cat([alpha.new_zeros(1), torch.cumsum(log_keep, dim=0)])  # prefix[m] = Σ_{l<m} log(1 − α_l)
    diff = prefix[None, :] - prefix[:, None]  # [q, j] = Σ_{m=q}^{j−1} log(1 − α_m) for j >= q
    upper = torch.triu(diff)
    both = upper + upper.transpose(0, 1)
    return torch.exp(both)


def expected_membership(alpha: torch.Tensor, max_segments: int | None = None) -> torch.Tensor:
    """p_j(n), shape (T, N) with N = max_segments (default T): row j is frame j's segment distribution."""
    import torch

    T = alpha.shape[0]
    N = T if max_segments is None else max_segments
    rows = [torch.nn.functional.one_hot(torch.tensor(0), N).to(alpha.dtype)]
    for j in range(1, T):
        previous = rows[-1]
        shifted = torch.cat([previous.new_zeros(1), previous[:-1]])
        rows.append(previous * (1 - alpha[j - 1]) + shifted * alpha[j - 1])
    return torch.stack(rows)


def segment_representations(features: torch.Tensor, membership: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """r_n = Σ_j p_j(n) h_j / Σ_j p_j(n); features (T, D), membership (T, N) -> (N, D)."""
    weights = membership.transpose(0, 1)  # (N, T)
    return (weights @ features) / (weights.sum(dim=1, keepdim=True) + eps)


def contrastive_loss(segments: torch.Tensor, words: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """InfoNCE between the first W segment representations and the W word embeddings (cosine similarity).

    Args:
        segments: (N, D), N >= W.
        words: (W, D).
    """
    import torch
    import torch.nn.functional as F

    W = words.shape[0]
    if segments.shape[0] < W:
        raise ValueError(f"{segments.shape[0]} segments cannot match {W} words")
    sim = F.normalize(segments[:W], dim=-1) @ F.normalize(words, dim=-1).transpose(0, 1) / temperature
    return F.cross_entropy(sim, torch.arange(W, device=sim.device))


def segment_count_loss(alpha: torch.Tensor, num_words: int) -> torch.Tensor:
    """|Σ_j α_j − number of words|: the expected number of boundaries should match the number of words."""
    return (alpha.sum() - num_words).abs()


def diseg_boundary_predictor(feature_dim: int, hidden_dim: int = 64) -> torch.nn.Module:
    """A small frame-wise boundary predictor: α_j = σ(MLP(h_j)), features (T, feature_dim) -> (T,).

    Built inside a function so that importing policies does not import torch.
    """
    import torch

    class _Predictor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(feature_dim, hidden_dim), torch.nn.GELU(), torch.nn.Linear(hidden_dim, 1)
            )

        def forward(self, features: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.net(features)).squeeze(-1)

    return _Predictor()


@dataclass(frozen=True)
class WaitSeg:
    """wait-seg: write target token i (0-based) once at least i + k segments are closed; a count policy whose
    source unit is the closed segment.

    Attributes:
        k: lag in segments (k >= 1).
    """

    k: int = 1

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"wait-seg needs k >= 1; got {self.k}")

    def new_state(self) -> None:
        return None

    def decide(self, state: None, num_source_read: int, source_finished: bool, num_target_written: int) -> Action:
        if source_finished or num_source_read >= num_target_written + self.k:
            return WriteAction()
        return ReadAction()
