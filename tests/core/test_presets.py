"""The composition of presets and policies (no model is loaded: `make_system` is replaced)."""

from __future__ import annotations

from typing import Any

import pytest

from simulagent import presets
from simulagent.errors import UserError
from simulagent.policies import AlignAtt


def _capture(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    captured: dict[str, Any] = {}

    def fake_make_system(preset: str, policy: Any = None, **kwargs: Any) -> str:
        captured.update(preset=preset, policy=policy, kwargs=kwargs)
        return "system"

    monkeypatch.setattr(presets, "make_system", fake_make_system)
    return captured


def test_alignatt_takes_its_guard_from_eval_system_args(monkeypatch: pytest.MonkeyPatch) -> None:
    captured = _capture(monkeypatch)
    # eval's runner passes --system-args as strings.
    presets.make_alignatt(frame_threshold="30", task="transcribe", step_ms="2000")
    assert captured["policy"] == AlignAtt(30, confident_frames=25, min_probability=presets.ALIGNATT_MIN_PROBABILITY)
    assert captured["kwargs"] == {"task": "transcribe", "step_ms": "2000"}
    presets.make_alignatt()
    assert captured["policy"] == AlignAtt(
        frame_threshold=presets.ALIGNATT_FRAMES,
        confident_frames=presets.ALIGNATT_CONFIDENT_FRAMES,
        min_probability=presets.ALIGNATT_MIN_PROBABILITY,
    )
    presets.make_alignatt(frame_threshold="10", confident_frames="0", min_probability="0.5")
    assert captured["policy"] == AlignAtt(10, confident_frames=0, min_probability=0.5)
    presets.make_alignatt(frame_threshold=10)  # the shorter guard is never longer than the guard
    assert captured["policy"].confident_frames == 10


@pytest.mark.parametrize("bad", ["abc", "0", -3])
def test_alignatt_refuses_a_guard_that_is_not_a_positive_integer(monkeypatch: pytest.MonkeyPatch, bad: Any) -> None:
    _capture(monkeypatch)
    with pytest.raises(UserError, match="frame_threshold"):
        presets.make_alignatt(frame_threshold=bad)
    with pytest.raises(UserError, match="confident_frames"):
        presets.make_alignatt(confident_frames="1.5")
    with pytest.raises(UserError, match="min_probability"):
        presets.make_alignatt(min_probability="1.2")
