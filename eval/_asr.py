"""The speech recogniser ASR-BLEU uses: found through the entry-point group `simulagent.transcribers`, so eval/
never imports models/ (the speech extra registers its Whisper transcriber there)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from simulagent.eval.instances import EvalError

__all__ = ["default_transcriber"]


def default_transcriber(name: str = "") -> Any:
    """The first registered transcriber (or the one called `name`); EvalError when none is installed."""
    found = list(entry_points(group="simulagent.transcribers"))
    if name:
        found = [ep for ep in found if ep.name == name]
    if not found:
        raise EvalError("ASR_BLEU needs a speech recogniser: install simulagent[speech] (none is registered)")
    return found[0].load()()
