"""The explicit registry of policies: a name, what kind of model signal the policy consumes, its latency knob,
and a factory from that knob.

`make_policy("wait-k", 3)` builds one; `POLICIES` lists them all; one conformance test runs over every entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from simulagent.errors import UserError
from simulagent.policies.alignatt import AlignAtt
from simulagent.policies.ctc_rule import CTCRule
from simulagent.policies.diseg import WaitSeg
from simulagent.policies.hmt import HMTPolicy
from simulagent.policies.local_agreement import LocalAgreement
from simulagent.policies.wait_k import BoundedPolicy, WaitK

__all__ = ["POLICIES", "PolicySpec", "make_policy"]

SignalKind = Literal["counts", "hypotheses", "attention", "ctc", "hmt-selection"]


@dataclass(frozen=True)
class PolicySpec:
    """One registered policy.

    Attributes:
        name: stable public name.
        signal: what the policy decides from ("counts": `simulagent.signals.CountPolicy`; "hypotheses":
            `AgreementPolicy`; "attention": `AttentionPolicy`; "ctc": StreamSpeech's CTC lengths; "hmt-selection":
            HMT's selection probabilities).
        knob: name of the latency knob and what raising it does.
        default: default knob value.
        factory: builds the policy from the knob.
        paper: where it comes from.
    """

    name: str
    signal: SignalKind
    knob: str
    default: float
    factory: Callable[[float], Any]
    paper: str


POLICIES: dict[str, PolicySpec] = {
    spec.name: spec
    for spec in (
        PolicySpec(
            "wait-k",
            "counts",
            "k: source units read before writing (higher = later)",
            3,
            lambda v: WaitK(int(v)),
            "Ma et al., ACL 2019",
        ),
        PolicySpec(
            "local-agreement",
            "hypotheses",
            "n: hypotheses that must agree (higher = later)",
            2,
            lambda v: LocalAgreement(int(v)),
            "Liu et al. 2020; Macháček et al. 2023",
        ),
        PolicySpec(
            "alignatt",
            "attention",
            "f: frames at the end of the audio a token may not attend to (higher = later)",
            4,
            lambda v: AlignAtt(int(v)),
            "Papi et al., Interspeech 2023",
        ),
        PolicySpec(
            "ctc-rule",
            "ctc",
            "n: CTC tokens both heads must grow by (higher = later)",
            1,
            lambda v: CTCRule(int(v)),
            "Zhang et al., ACL 2024 (StreamSpeech)",
        ),
        PolicySpec(
            "hmt",
            "hmt-selection",
            "L: lag of the first hidden state (higher = later)",
            1,
            lambda v: HMTPolicy(lower=int(v)),
            "Zhang & Feng, ICLR 2023",
        ),
        PolicySpec(
            "wait-seg",
            "counts",
            "k: closed segments before writing (higher = later)",
            1,
            lambda v: WaitSeg(int(v)),
            "Zhang & Feng, Findings ACL 2023 (DiSeg)",
        ),
        PolicySpec(
            "agent-simt-wait-k",
            "counts",
            "k: wait-k lag inside Agent-SiMT's bounds j+1 <= g_j <= j+3",
            2,
            lambda v: BoundedPolicy(WaitK(int(v)), 1, 3),
            "Guo et al., 2024 (Agent-SiMT)",
        ),
    )
}


def make_policy(name: str, latency: float | None = None) -> Any:
    """Build a registered policy with its latency knob (default when None)."""
    spec = POLICIES.get(name)
    if spec is None:
        raise UserError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}")
    value = spec.default if latency is None else latency
    try:
        return spec.factory(value)
    except ValueError as exc:
        raise UserError(f"policy {name!r}: {exc}") from None
