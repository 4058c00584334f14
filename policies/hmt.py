"""Hidden Markov Transformer (Zhang & Feng, ICLR 2023): when to write, as hidden states trained by marginal
likelihood.

Each target token i (0-based) has K hidden states; state k means "token i is written after reading
z_{i,k} = min(L + i + k·S, |x|) source tokens" (L: the lower-bound lag, S: the stride; the authors use S = 1). The
model gives, for every token and state, a selection probability c_{i,k} (the last state's is forced to 1) and an
emission log-probability log p(y_i | x_{≤z_{i,k}}, y_{<i}). States move forward in reading: after state j for
token i−1, token i considers states k whose z_{i,k} ≥ z_{i−1,j}, from the lowest such s upward, and stops at state
k with probability c_{i,k} ∏_{l=s}^{k−1} (1 − c_{i,l}).

Training maximises the marginal likelihood over all state paths (a forward algorithm in log space), plus a latency
loss (the posterior expected extra reads beyond the lowest state) and a per-state cross-entropy that trains every
state's prediction. Inference (`HMTPolicy`) writes token i from the first state whose c ≥ 0.5, once that state's
source has been read.

Shapes: `selection_logits` and `emission_logprobs` are (T, K) tensors for one sentence pair; `reads` is the (T, K)
integer table z.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulagent.types import Action, ReadAction, WriteAction

if TYPE_CHECKING:
    import torch

__all__ = [
    "HMTLosses",
    "HMTPolicy",
    "HMTPolicyState",
    "hmt_log_likelihood",
    "hmt_losses",
    "hmt_posterior_marginals",
    "hmt_prior_marginals",
    "log_transitions",
    "read_table",
]


def read_table(num_target: int, num_states: int, source_length: int, lower: int = 1, stride: int = 1) -> torch.Tensor:
    """z_{i,k} = min(L + i + k·S, |x|), shape (T, K), dtype long."""
    import torch

    if lower < 1 or stride < 1 or num_states < 1:
        raise ValueError(f"need L >= 1, S >= 1, K >= 1; got L={lower}, S={stride}, K={num_states}")
    i = torch.arange(num_target)[:, None]
    k = torch.arange(num_states)[None, :]
    return torch.clamp(lower + i + k * stride, max=source_length)


def _log_select(selection_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log c and log(1 − c), with the last state's c forced to 1."""
    import torch
    import torch.nn.functional as F

    log_c = F.logsigmoid(selection_logits)
    log_not_c = F.logsigmoid(-selection_logits)
    log_c = torch.cat([log_c[..., :-1], torch.zeros_like(log_c[..., -1:])], dim=-1)
    return log_c, log_not_c


def log_transitions(selection_logits: torch.Tensor, reads: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities of the first state and of every transition.

    Returns:
        initial: shape (K,), log P(k_0 = k).
        trans: shape (T − 1, K, K): trans[i − 1, j, k] = log P(k_i = k | k_{i−1} = j) (−inf where not allowed).
    """
    import torch

    log_c, log_not_c = _log_select(selection_logits)
    T, K = selection_logits.shape
    # prefix[i, m] = Σ_{l<m} log(1 − c_{i,l}); the last state's (1 − c) never enters a prefix of length <= K − 1.
    prefix = torch.cat([torch.zeros_like(log_not_c[:, :1]), torch.cumsum(log_not_c[:, :-1], dim=-1)], dim=-1)
    initial = log_c[0] + prefix[0]
    if T == 1:
        return initial, selection_logits.new_zeros((0, K, K))
    # start[i, j] = smallest k with z_{i,k} >= z_{i-1,j} (exists: k = j qualifies).
    ok = reads[1:, None, :] >= reads[:-1, :, None]  # (T-1, j, k)
    ks = torch.arange(K, device=reads.device)
    start = torch.where(ok, ks, K).min(dim=-1).values  # (T-1, j)
    allowed = ks[None, None, :] >= start[:, :, None]
    prefix_next = prefix[1:]  # (T-1, K)
    value = (
        log_c[1:, None, :] + prefix_next[:, None, :] - torch.gather(prefix_next, 1, start.clamp(max=K - 1))[:, :, None]
    )
    trans = torch.where(allowed, value, torch.full_like(value, float("-inf")))
    return initial, trans


def _forward(initial: torch.Tensor, trans: torch.Tensor, emissions: torch.Tensor) -> torch.Tensor:
    import torch

    alphas = [initial + emissions[0]]
    for i in range(1, emissions.shape[0]):
        alphas.append(torch.logsumexp(alphas[-1][:, None] + trans[i - 1], dim=0) + emissions[i])
    return torch.stack(alphas)


def hmt_log_likelihood(
    selection_logits: torch.Tensor, emission_logprobs: torch.Tensor, reads: torch.Tensor
) -> torch.Tensor:
    """log p(y | x) = log Σ over all state paths of ∏_i P(k_i | k_{i−1}) p(y_i | state k_i): a scalar."""
    import torch

    initial, trans = log_transitions(selection_logits, reads)
    return torch.logsumexp(_forward(initial, trans, emission_logprobs)[-1], dim=0)


def hmt_prior_marginals(selection_logits: torch.Tensor, reads: torch.Tensor) -> torch.Tensor:
    """P(k_i = k) under the state prior alone, shape (T, K); each row sums to 1."""
    import torch

    initial, trans = log_transitions(selection_logits, reads)
    return torch.exp(_forward(initial, trans, torch.zeros_like(selection_logits)))


def hmt_posterior_marginals(
    selection_logits: torch.Tensor, emission_logprobs: torch.Tensor, reads: torch.Tensor
) -> torch.Tensor:
    """P(k_i = k | x, y) by forward-backward, shape (T, K)."""
    import torch

    initial, trans = log_transitions(selection_logits, reads)
    alpha = _forward(initial, trans, emission_logprobs)
    T = emission_logprobs.shape[0]
    betas = [torch.zeros_like(alpha[-1])]
    for i in range(T - 1, 0, -1):
        betas.append(torch.logsumexp(trans[i - 1] + (emission_logprobs[i] + betas[-1])[None, :], dim=1))
    beta = torch.stack(betas[::-1])
    log_z = torch.logsumexp(alpha[-1], dim=0)
    return torch.exp(alpha + beta - log_z)


@dataclass(frozen=True)
class HMTLosses:
    """The terms of HMT's training loss for one sentence pair (scalars)."""

    total: torch.Tensor
    nll: torch.Tensor  # −log p(y | x) / T
    latency: torch.Tensor  # posterior expected extra reads per token, Σ γ_{i,k} (z_{i,k} − z_{i,0}) / T
    state_ce: torch.Tensor  # mean over tokens and states of −log p(y_i | state k)


def hmt_losses(
    selection_logits: torch.Tensor,
    emission_logprobs: torch.Tensor,
    reads: torch.Tensor,
    latency_weight: float = 1.0,
    state_weight: float = 1.0,
) -> HMTLosses:
    """HMT's loss: marginal NLL + latency_weight · latency + state_weight · per-state cross-entropy."""
    T = emission_logprobs.shape[0]
    nll = -hmt_log_likelihood(selection_logits, emission_logprobs, reads) / T
    posterior = hmt_posterior_marginals(selection_logits, emission_logprobs, reads)
    extra = (reads - reads[:, :1]).to(posterior.dtype)
    latency = (posterior * extra).sum() / T
    state_ce = -emission_logprobs.mean()
    total = nll + latency_weight * latency + state_weight * state_ce
    return HMTLosses(total, nll, latency, state_ce)


@dataclass
class HMTPolicyState:
    """The token about to be written and the state that wrote the previous one (-1 before the first)."""

    token: int = 0
    previous_state: int = -1
    chosen_states: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class HMTPolicy:
    """HMT's inference rule.

    At each step the model supplies the selection probabilities c_{i,k} of the token about to be written, for the
    states whose source has been read. Starting from the lowest state allowed after the previous token's state,
    the token is written at the first state with c >= threshold (the last state always qualifies), once its
    z_{i,k} source units are read; until then, READ.

    Attributes:
        num_states: K.
        lower: L, the lag of state 0.
        stride: S.
        threshold: 0.5 in the paper.
    """

    num_states: int = 6
    lower: int = 1
    stride: int = 1
    threshold: float = 0.5

    def new_state(self) -> HMTPolicyState:
        return HMTPolicyState()

    def reads(self, token: int, state: int) -> int:
        """z_{i,k} on a stream whose length is not known yet."""
        return self.lower + token + state * self.stride

    def decide(
        self,
        state: HMTPolicyState,
        selection_probs: list[float] | tuple[float, ...],
        num_source_read: int,
        source_finished: bool,
    ) -> Action:
        if len(selection_probs) < 1:
            raise ValueError("HMTPolicy needs the selection probabilities of the current token")
        i = state.token
        floor = self.reads(i - 1, state.previous_state) if state.previous_state >= 0 else 0
        k = 0
        while k < self.num_states - 1 and self.reads(i, k) < floor:
            k += 1
        while True:
            needed = self.reads(i, k)
            if needed > num_source_read and not source_finished:
                return ReadAction()
            last = k == self.num_states - 1
            probability = selection_probs[k] if k < len(selection_probs) else 1.0
            if last or probability >= self.threshold or (source_finished and needed > num_source_read):
                state.previous_state = k
                state.chosen_states.append(k)
                state.token += 1
                return WriteAction()
            k += 1
