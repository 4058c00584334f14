"""Protocols between areas: what a policy may ask of a model backend, and what one area needs of another.

Like `simulagent.types`, this module is light (standard library and numpy only) and every area may import it.
Areas never import one another: a backend in `simulagent.models` satisfies these protocols structurally
(`typing.Protocol`), and the code that wires a policy to a backend (the agent, the CLI) checks the fit.

Sections are owned by the area that consumes the protocol; keep each protocol small and documented.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from simulagent.types import FloatArray

__all__ = ["Transcriber"]


# --- eval: ASR-BLEU needs a speech recogniser -------------------------------------------------------------------


@runtime_checkable
class Transcriber(Protocol):
    """Turns speech into text (used by eval/ for ASR-BLEU of speech output)."""

    def transcribe(self, samples: FloatArray, sample_rate_hz: int, language: str = "en") -> str:
        """Transcribe mono float32 audio, shape (num_samples,)."""
        ...


# --- policies: model signals (owned by policies/; see policies/README or docs/policies.md) -----------------------

# --- models/llm: the chat model interface used by policies (Agent-SiMT), rag and the agent -----------------------
