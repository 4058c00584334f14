"""Vertical skills: the plugin API (`simulagent.verticals.api`), the built-in skills and their registry.

Light on purpose: no torch, transformers or faiss here (import-linter checks it).
"""

from simulagent.verticals.api import (
    MissingSlotError,
    ProviderError,
    SlotSpec,
    Vertical,
    VerticalContext,
    VerticalError,
    VerticalResult,
    run_vertical,
)

__all__ = [
    "MissingSlotError",
    "ProviderError",
    "SlotSpec",
    "Vertical",
    "VerticalContext",
    "VerticalError",
    "VerticalResult",
    "run_vertical",
]
