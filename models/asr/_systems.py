"""Ready-made streaming systems, by name, for the CLI and for eval's runner (`module:factory` strings).

Two presets over the same backend and policy (LocalAgreement-2):

- "baseline": whisper_streaming's configuration: 1 s steps, the zero-padded 30 s encoder window, 15 s buffer
  trimming at sentence ends, a 200-character prompt.
- "fast": the encoder runs over the buffered audio only, the buffer is trimmed after 8 s, and the update step grows
  when decoding would take more than half of it.

"alignatt": the fast preset gated by AlignAtt (4 frames, 80 ms) instead of LocalAgreement-2.

And "vad": Silero VAD cuts the speech at pauses and each segment is decoded once (`WhisperVadSystem`); the policy
is not used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from simulagent.models.asr._agreement import AgreementPolicy, AlignAtt, AlignmentPolicy
from simulagent.models.asr._registry import BackendOptions, load_backend
from simulagent.models.asr._streaming import StreamingOptions, WhisperStreamingSystem, check_language_pair
from simulagent.models.asr._types import WHISPER_LANGUAGES, Task
from simulagent.models.asr._vad import WhisperVadSystem
from simulagent.signals import CountPolicy

__all__ = ["PRESETS", "SYSTEM_FACTORIES", "make_alignatt", "make_baseline", "make_fast", "make_system", "make_vad"]

PRESETS: dict[str, StreamingOptions] = {
    "baseline": StreamingOptions(step_ms=1000.0, encoder_context="full", trim_after_ms=15_000.0),
    "fast": StreamingOptions(
        step_ms=1000.0,
        encoder_context="audio",
        max_compute_ratio=0.5,
        trim_after_ms=8_000.0,
        max_buffer_ms=16_000.0,
    ),
}


def make_system(
    preset: str = "fast",
    task: Task = "translate",
    source_lang: str = "fr",
    target_lang: str = "",
    model: str = "bundled:base",
    backend: str = "ctranslate2",
    policy: AgreementPolicy[Any] | CountPolicy[Any] | AlignmentPolicy | None = None,
    num_threads: int = 2,
    **overrides: Any,
) -> WhisperStreamingSystem | WhisperVadSystem:
    """A streaming Whisper system (speech -> text).

    Args:
        preset: a key of `PRESETS`.
        task: "transcribe" or "translate".
        source_lang: the spoken language.
        target_lang: "" picks "en" for translate and `source_lang` for transcribe.
        model: "bundled:base", "bundled:tiny.en" or a local CTranslate2 folder.
        backend: a speech backend name.
        policy: an agreement, count (wait-k) or alignment (AlignAtt) policy; None picks the preset's.
        num_threads: CPU threads of the backend.
        **overrides: any other `StreamingOptions` field (step_ms, trim_after_ms, ...).
    """
    if preset not in (*PRESETS, "vad", "alignatt"):
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(sorted([*PRESETS, 'vad', 'alignatt']))}")
    target = target_lang or ("en" if task == "translate" else source_lang)
    base = PRESETS["fast" if preset in ("vad", "alignatt") else preset]
    # eval's runner passes `--system-arg key=value` as strings: convert to each field's type.
    typed = {
        k: type(getattr(base, k))(v) if isinstance(v, str) and hasattr(base, k) else v for k, v in overrides.items()
    }
    options = dataclasses.replace(base, task=task, source_lang=source_lang, target_lang=target, **typed)
    # Check the pair before loading weights, so a wrong flag fails at once.
    check_language_pair(task, source_lang, target, WHISPER_LANGUAGES)
    speech_backend = load_backend(BackendOptions(backend=backend, model=model, num_threads=int(num_threads)))
    if preset == "vad":
        return WhisperVadSystem(speech_backend, options, name="whisper-vad")
    if preset == "alignatt":
        chosen = policy if policy is not None else AlignAtt(frames=4)
        return WhisperStreamingSystem(speech_backend, options, chosen, name="whisper-alignatt")
    return WhisperStreamingSystem(speech_backend, options, policy, name=f"whisper-la2-{preset}")


def make_baseline(**kwargs: Any) -> WhisperStreamingSystem | WhisperVadSystem:
    """LocalAgreement-2 configured as whisper_streaming configures it (see the module docstring)."""
    return make_system(preset="baseline", **kwargs)


def make_fast(**kwargs: Any) -> WhisperStreamingSystem | WhisperVadSystem:
    """LocalAgreement-2 with the short encoder window, aggressive trimming and the adaptive step."""
    return make_system(preset="fast", **kwargs)


def make_vad(**kwargs: Any) -> WhisperStreamingSystem | WhisperVadSystem:
    """Silero VAD segmentation, each segment decoded once with the short encoder window."""
    return make_system(preset="vad", **kwargs)


def make_alignatt(**kwargs: Any) -> WhisperStreamingSystem | WhisperVadSystem:
    """The fast preset gated by AlignAtt on the backend's attention-based word alignment."""
    return make_system(preset="alignatt", **kwargs)


SYSTEM_FACTORIES: dict[str, Callable[..., WhisperStreamingSystem | WhisperVadSystem]] = {
    "whisper-la2-baseline": make_baseline,
    "whisper-la2-fast": make_fast,
    "whisper-vad": make_vad,
    "whisper-alignatt": make_alignatt,
}
