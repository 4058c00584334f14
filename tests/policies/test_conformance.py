"""One conformance test over every registered policy: it reads before the source ends only as allowed, never
retracts what it wrote, finishes when the source finishes, reruns identically after a fresh state, and external
state gives the same decisions as internal state."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simulagent.cli import main
from simulagent.errors import UserError
from simulagent.policies.registry import POLICIES, make_policy
from simulagent.types import WriteAction

SOURCE_LEN = 7
TARGET_LEN = 6


def _drive(spec_name: str, policy: Any, state: Any) -> list[tuple[int, int]]:
    """Run a policy over a scripted stream of its signal; returns (source read, units written) at each write."""
    signal = POLICIES[spec_name].signal
    rng = np.random.default_rng(3)
    hmt_table = rng.random((TARGET_LEN, 16))
    read, written, trace = 0, 0, []
    committed: list[str] = []
    for _ in range(500):
        finished = read >= SOURCE_LEN
        if written >= TARGET_LEN:
            break
        if signal == "counts":
            action = policy.decide(state, read, finished, written)
            count = 1 if isinstance(action, WriteAction) else 0
        elif signal == "hmt-selection":
            action = policy.decide(state, list(hmt_table[written]), read, finished)
            count = 1 if isinstance(action, WriteAction) else 0
        elif signal == "hypotheses":
            hypothesis = [f"w{i}" for i in range(min(TARGET_LEN, read))]
            count = policy.agree(state, hypothesis[len(committed) :], finished)
            committed += hypothesis[len(committed) : len(committed) + count]
        elif signal == "attention":
            frames = read * 3
            attention = np.zeros((TARGET_LEN - written, max(frames, 1)), dtype=np.float32)
            for i in range(attention.shape[0]):
                attention[i, min(frames - 1, (written + i) * 3) if frames else 0] = 1.0
            count = policy.num_to_commit(attention, finished) if frames or finished else 0
        else:  # ctc
            action = policy.decide(state, read, min(TARGET_LEN, read), finished)
            count = int(action.content) if isinstance(action, WriteAction) else 0
        count = min(count, TARGET_LEN - written)
        assert count >= 0, "a policy never retracts"
        if count:
            written += count
            trace.append((read, written))
        elif finished:
            pytest.fail(f"{spec_name} did not write after the source finished")
        else:
            read += 1
    assert written == TARGET_LEN, f"{spec_name} did not finish when the source finished"
    return trace


@pytest.mark.parametrize("name", list(POLICIES))
def test_policy_conformance(name: str) -> None:
    policy = make_policy(name)
    first = _drive(name, policy, policy.new_state())
    assert first == _drive(name, policy, policy.new_state()), "a fresh state must give an identical rerun"
    other = make_policy(name)
    assert _drive(name, other, other.new_state()) == first, "decisions depend only on the explicit state"
    reads = [r for r, _ in first]
    assert reads == sorted(reads)


def test_every_policy_has_a_documented_knob() -> None:
    for spec in POLICIES.values():
        assert spec.knob and spec.paper and spec.signal
        assert isinstance(make_policy(spec.name, spec.default), type(make_policy(spec.name)))


def test_unknown_policy_and_bad_knob() -> None:
    with pytest.raises(UserError, match="unknown policy 'nope'"):
        make_policy("nope")
    with pytest.raises(UserError, match="k >= 1"):
        make_policy("wait-k", 0)


def test_cli_lists_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in POLICIES)
