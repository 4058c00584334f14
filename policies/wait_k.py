"""wait-k (Ma et al., 2019, "STACL"): read k source units, then alternate one write and one read.

Target unit j (0-based) is written once min(k + j, |x|) source units have been read. The unit is the caller's:
words, subword tokens, or fixed audio chunks (then k counts chunks). Also the boundary constraint of Agent-SiMT's
word policy (Guo et al., 2024): whatever an inner policy says, target word j is written no earlier than after
j + 1 source words and no later than after j + 3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulagent.signals import CountPolicy
from simulagent.types import Action, ReadAction, WriteAction

__all__ = ["BoundedPolicy", "WaitK"]


@dataclass(frozen=True)
class WaitK:
    """wait-k; stateless (all it needs are the counts), so its state is None.

    Attributes:
        k: the lag, in source units (k >= 1).
    """

    k: int = 3

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"wait-k needs k >= 1; got {self.k}")

    def new_state(self) -> None:
        return None

    def decide(self, state: None, num_source_read: int, source_finished: bool, num_target_written: int) -> Action:
        if source_finished or num_source_read >= self.k + num_target_written:
            return WriteAction()
        return ReadAction()


@dataclass(frozen=True)
class BoundedPolicy:
    """Clamp an inner count policy to g_j in [j + min_lag, j + max_lag] (Agent-SiMT's j + 1 <= g_j <= j + 3).

    Attributes:
        inner: any `CountPolicy` (wait-k, or HMT decisions wrapped as one).
        min_lag: never write target unit j before j + min_lag source units are read.
        max_lag: always write target unit j once j + max_lag source units are read.
    """

    inner: CountPolicy[Any]
    min_lag: int = 1
    max_lag: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.min_lag <= self.max_lag:
            raise ValueError(f"need 0 <= min_lag <= max_lag; got {self.min_lag}, {self.max_lag}")

    def new_state(self) -> Any:
        return self.inner.new_state()

    def decide(self, state: Any, num_source_read: int, source_finished: bool, num_target_written: int) -> Action:
        if source_finished:
            return WriteAction()
        if num_source_read < num_target_written + self.min_lag:
            return ReadAction()
        if num_source_read >= num_target_written + self.max_lag:
            return WriteAction()
        return self.inner.decide(state, num_source_read, source_finished, num_target_written)
