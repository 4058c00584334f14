"""The CTC-based READ/WRITE rule of StreamSpeech (Zhang et al., ACL 2024), and its training-side signal.

At inference, a streaming speech encoder carries two CTC heads: one over the source transcript (ASR) and one over
the target (non-autoregressive translation). Their collapsed (greedy, de-duplicated, blank-free) output lengths
say how much the model has recognised and how much it could translate. The rule: READ unless both collapsed
lengths grew by at least `n` since the last WRITE; then write up to ⌊(tgt_ctc_len − k1)/n⌋·n − |committed| new
tokens (k1 holds back the last, least stable tokens).

For training, `new_token_probability` gives, frame by frame, the probability that a new CTC token starts there:
p_new(t) = 1 − p_t(blank) − Σ_v p_{t−1}(v) p_t(v) (a non-blank that is not a repeat of the previous frame's
label), whose running sum is the expected number of collapsed tokens; `policy_attention_mask` turns it into a
causal mask for cross-attention that lets target token i see the frames up to where i tokens are expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from simulagent.types import Action, FloatArray, ReadAction, WriteAction

if TYPE_CHECKING:
    import torch

__all__ = ["CTCRule", "CTCRuleState", "collapsed_length", "new_token_probability", "policy_attention_mask"]


def collapsed_length(frame_labels: np.ndarray | list[int], blank: int = 0) -> int:
    """Length of a greedy CTC output: repeats merged, blanks removed."""
    count = 0
    previous = None
    for label in frame_labels:
        if label != blank and label != previous:
            count += 1
        previous = label
    return count


@dataclass
class CTCRuleState:
    """Collapsed lengths at the last WRITE, and how many target tokens are committed."""

    src_len_at_write: int = 0
    tgt_len_at_write: int = 0
    committed: int = 0


@dataclass(frozen=True)
class CTCRule:
    """Attributes:
    n: growth (in collapsed CTC tokens) both heads need before a WRITE; the latency knob (chunk of tokens).
    k1: trailing target CTC tokens never written before the source ends.
    """

    n: int = 1
    k1: int = 0

    def __post_init__(self) -> None:
        if self.n < 1 or self.k1 < 0:
            raise ValueError(f"CTCRule needs n >= 1 and k1 >= 0; got n={self.n}, k1={self.k1}")

    def new_state(self) -> CTCRuleState:
        return CTCRuleState()

    def decide(self, state: CTCRuleState, src_ctc_len: int, tgt_ctc_len: int, source_finished: bool) -> Action:
        """READ, or WRITE with `content` = how many new target tokens may be written (as a decimal string)."""
        if source_finished:
            budget = max(0, tgt_ctc_len - state.committed)
        else:
            grew = src_ctc_len - state.src_len_at_write >= self.n and tgt_ctc_len - state.tgt_len_at_write >= self.n
            if not grew:
                return ReadAction()
            budget = ((tgt_ctc_len - self.k1) // self.n) * self.n - state.committed
            if budget <= 0:
                return ReadAction()
        state.src_len_at_write = src_ctc_len
        state.tgt_len_at_write = tgt_ctc_len
        state.committed += budget
        return WriteAction(str(budget), finished=source_finished)


def new_token_probability(probs: FloatArray | torch.Tensor, blank: int = 0) -> FloatArray | torch.Tensor:
    """p_new(t) = 1 − p_t(blank) − Σ_v p_{t−1}(v) p_t(v), with p_{−1} = 0 (the first frame starts a token unless
    blank).

    Args:
        probs: CTC posteriors (probabilities, not logs), shape (..., num_frames, vocab_size); numpy or torch.
    Returns:
        shape (..., num_frames).
    """
    same = probs[..., 1:, :] * probs[..., :-1, :]
    if isinstance(probs, np.ndarray):
        repeat = np.concatenate([np.zeros_like(probs[..., :1, 0]), same.sum(-1) - same[..., blank]], axis=-1)
        return 1.0 - probs[..., blank] - repeat
    import torch

    assert isinstance(probs, torch.Tensor) and isinstance(same, torch.Tensor)
    repeat_t = torch.cat([torch.zeros_like(probs[..., :1, 0]), same.sum(-1) - same[..., blank]], dim=-1)
    return 1.0 - probs[..., blank] - repeat_t


def policy_attention_mask(p_new: torch.Tensor, num_target: int, lag_tokens: int = 0) -> torch.Tensor:
    """A policy-aware causal cross-attention mask built from the expected number of source tokens.

    Target token i (0-based) may attend to frame t when fewer than i + 1 + lag_tokens source tokens are expected to
    have started before t: the frames a wait-style policy driven by the CTC head would have read when writing i.
    Frame 0 is always visible.

    Args:
        p_new: shape (num_frames,), from `new_token_probability`.
        num_target: number of target tokens.
        lag_tokens: extra source tokens each target token may look ahead (the training-time latency knob).
    Returns:
        bool tensor, shape (num_target, num_frames): True where attention is allowed.
    """
    import torch

    before = torch.cumsum(p_new, dim=-1) - p_new  # expected tokens started strictly before frame t
    limits = torch.arange(1, num_target + 1, dtype=p_new.dtype, device=p_new.device)[:, None] + lag_tokens
    mask = before[None, :] < limits
    mask[:, 0] = True
    return mask
