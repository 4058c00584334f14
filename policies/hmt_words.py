"""Agent-SiMT's word policy (Guo et al., 2024): a small HMT model, trained on parallel text by
`simulagent train hmt --data-source ... --data-target ...`, decides when the translator writes its next word.

Unlike the other policies this one carries a model: at each decision it encodes the source words read so far and
the target words the translator has committed (the LLM's words, not its own), takes the selection probabilities
c_{i,k} of the next target word under every hidden state, and applies HMT's inference rule (`HMTPolicy`). Its
latency knob at inference is the selection threshold (lower writes earlier); training sets the range through L, K
and the latency weight.

Usage:
    policy = HMTWordPolicy.load("runs/hmt-deen", threshold=0.5)
    state = policy.new_state()
    policy.decide_words(state, ["Ich", "trinke"], False, ["I"])   # ReadAction() or WriteAction()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulagent.errors import UserError
from simulagent.policies.hmt import HMTPolicy, HMTPolicyState
from simulagent.types import Action, ReadAction, WriteAction

__all__ = ["HMTWordPolicy", "HMTWordState"]


@dataclass
class HMTWordState:
    """HMT's rule state (the state that wrote the previous word) and the number of decisions that ran the model."""

    rule: HMTPolicyState = field(default_factory=HMTPolicyState)
    model_calls: int = 0


class HMTWordPolicy:
    """Args:
    model: a `SimulTransformer` trained in HMT mode.
    task: its vocabularies (`simulagent.policies.training.parallel.ParallelTask`).
    states, lower: the model's K and L.
    threshold: write at the first state with c >= threshold (0.5 in the paper).
    max_positions: the model's position table; a sentence longer than that is written at the last state's lag.
    """

    def __init__(
        self, model: Any, task: Any, states: int, lower: int, threshold: float = 0.5, max_positions: int = 256
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise UserError(f"the HMT threshold must be in (0, 1); got {threshold}")
        self.model = model
        self.task = task
        self.rule = HMTPolicy(num_states=states, lower=lower, stride=1, threshold=threshold)
        self.max_positions = max_positions

    @classmethod
    def load(cls, folder: str | Path, threshold: float = 0.5) -> HMTWordPolicy:
        """The model in `folder` (checkpoint.pt and vocab.json of `simulagent train hmt` on parallel text)."""
        from simulagent.policies.training.checkpoint import read_checkpoint
        from simulagent.policies.training.hmt_task import (
            CHECKPOINT_NAME,
            VOCAB_NAME,
            HMTTaskOptions,
            SimulTransformer,
        )
        from simulagent.policies.training.parallel import ParallelTask

        folder = Path(folder)
        checkpoint = folder / CHECKPOINT_NAME
        if not checkpoint.is_file():
            raise UserError(
                f"no HMT model in {folder}: train one with `simulagent train hmt --out {folder} "
                "--data-source SRC.txt --data-target TGT.txt`"
            )
        payload = read_checkpoint(checkpoint)
        stored = payload.get("options") or {}
        known = set(HMTTaskOptions.__dataclass_fields__)
        options = HMTTaskOptions(**{k: v for k, v in stored.items() if k in known})
        if options.mode != "hmt" or not options.parallel:
            raise UserError(f"{checkpoint} is not an HMT model trained on parallel text (mode {options.mode})")
        task = ParallelTask.load(folder / VOCAB_NAME)
        model = SimulTransformer(len(task.source_vocab), len(task.target_vocab), options)
        model.load_state_dict(payload["model"])
        model.eval()
        return cls(model, task, options.states, options.lower, threshold, options.max_positions())

    def new_state(self) -> HMTWordState:
        return HMTWordState()

    def selection_probabilities(self, source_words: Sequence[str], target_words: Sequence[str]) -> list[float]:
        """c_{i,k} of the next target word (i = len(target_words)) under each state k, each state seeing
        min(z_{i,k}, read) source words."""
        import torch

        from simulagent.policies.training.hmt_task import selection_probabilities

        source = torch.tensor([self.task.encode_source(list(source_words))])
        target_in = torch.tensor([[self.task.BOS, *self.task.encode_target_prefix(list(target_words))]])
        with torch.no_grad():
            memory = self.model.encode(source)
            return selection_probabilities(self.model, memory, target_in, len(source_words), self.rule)

    def decide_words(
        self, state: HMTWordState, source_words: Sequence[str], source_finished: bool, target_words: Sequence[str]
    ) -> Action:
        if source_finished:
            return WriteAction()
        read = len(source_words)
        if read == 0:
            return ReadAction()
        i = len(target_words)
        if max(read, i + 1) >= self.max_positions:
            # Past the model's positions: fall back to the last state's lag.
            return WriteAction() if read >= self.rule.reads(i, self.rule.num_states - 1) else ReadAction()
        # The rule counts the words it allowed; the translator may have written fewer (an empty continuation).
        state.rule.token = i
        if read < self.rule.reads(i, 0):
            return ReadAction()  # no state can write yet: skip the model call
        state.model_calls += 1
        return self.rule.decide(state.rule, self.selection_probabilities(source_words, target_words), read, False)
