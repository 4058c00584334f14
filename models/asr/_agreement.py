"""How the speech core compares hypotheses; the policies themselves (LocalAgreement, AlignAtt, wait-k) live in
`simulagent.policies` and reach the streaming systems as `simulagent.signals` protocols, passed in by the code that
composes a system (`simulagent.presets`)."""

from __future__ import annotations

import string

from simulagent.signals import AgreementPolicy, AlignmentPolicy

__all__ = ["AgreementPolicy", "AlignmentPolicy", "normalize_word"]

_STRIP = string.punctuation + "«»“”‘’¿¡…"


def normalize_word(word: str) -> str:
    """Case- and punctuation-insensitive form used to compare hypotheses ("Hello," == "hello")."""
    return word.strip().strip(_STRIP).lower()
