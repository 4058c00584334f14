"""READ/WRITE policies of simultaneous translation, behind one small interface each.

A policy makes no model call (but for Agent-SiMT's HMT word policy, which carries its own small trained model): the
model signals it needs (read/written counts, hypotheses, cross-attention rows, CTC lengths, HMT selection probabilities,
segment boundaries) are its inputs, through the protocols in `simulagent.signals`. State is an explicit object from
`new_state()`.

- `WaitK`, `BoundedPolicy` (Agent-SiMT's bounds) — `simulagent.policies.wait_k`
- `LocalAgreement` — `simulagent.policies.local_agreement`
- `AlignAtt` — `simulagent.policies.alignatt`
- `CTCRule`, `new_token_probability` — `simulagent.policies.ctc_rule`
- HMT (trainable, torch) — `simulagent.policies.hmt`; Agent-SiMT's HMT word policy — `simulagent.policies.hmt_words`
- DiSeg (trainable, torch) and `WaitSeg` — `simulagent.policies.diseg`
- the registry: `POLICIES`, `make_policy` — `simulagent.policies.registry`
"""

from simulagent.policies.alignatt import AlignAtt
from simulagent.policies.ctc_rule import CTCRule
from simulagent.policies.diseg import WaitSeg
from simulagent.policies.hmt import HMTPolicy
from simulagent.policies.local_agreement import LocalAgreement
from simulagent.policies.registry import POLICIES, PolicySpec, make_policy
from simulagent.policies.wait_k import BoundedPolicy, WaitK

__all__ = [
    "POLICIES",
    "AlignAtt",
    "BoundedPolicy",
    "CTCRule",
    "HMTPolicy",
    "LocalAgreement",
    "PolicySpec",
    "WaitK",
    "WaitSeg",
    "make_policy",
]
