"""Streaming Whisper systems from presets; `simulagent.presets` composes them with the policies (by name, for the
CLI and eval's runner).

Two presets over the same backend (LocalAgreement-2 by default):

- "baseline": whisper_streaming's configuration: 1 s steps, the zero-padded 30 s encoder window, 15 s buffer
  trimming at sentence ends, a 200-character prompt, one model replica on all the threads.
- "fast": the encoder runs over the buffered audio only (zero-padded to at least 10 s), the buffer is trimmed at
  committed sentence ends after 4 s (hard limit 8 s), and the update step grows when decoding would take more than
  half of it.

"alignatt": the fast preset gated by AlignAtt instead of LocalAgreement-2, with 1.5 s steps (the first after 3 s),
and a beam of 8 when it transcribes (the policy's guard frames are chosen by `simulagent.presets`).

And "vad": Silero VAD cuts the speech at pauses and each segment is decoded once (`WhisperVadSystem`); the policy
is not used.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from simulagent.models.asr._agreement import AgreementPolicy, AlignmentPolicy
from simulagent.models.asr._registry import BackendOptions, load_backend
from simulagent.models.asr._streaming import StreamingOptions, WhisperStreamingSystem, check_language_pair
from simulagent.models.asr._types import WHISPER_LANGUAGES, Task
from simulagent.models.asr._vad import WhisperVadSystem
from simulagent.signals import CountPolicy

__all__ = ["PRESETS", "make_system"]

# alignatt's beam when it transcribes. On one thread per replica a wider beam costs little: 8 took 0.66 WER points
# off on 100 English sentences for 0.03 of RTF, and fixed SimulEval's English clip; on translation it cost BLEU
# (German: 3.29 greedy, 2.69 with 4, 2.11 with 8), so translation stays greedy (docs/benchmarks.md).
_ALIGNATT_TRANSCRIBE_BEAM = 8

_FAST = StreamingOptions(
    step_ms=1000.0,
    encoder_context="audio",
    # Zero-padded to at least 10 s: an encoder window of only the few seconds buffered cost 8-10 WER points
    # on English (docs/benchmarks.md); 10 s recovers them at about twice a short window's encoder cost.
    min_encoder_context_ms=10_000.0,
    max_compute_ratio=0.5,
    trim_after_ms=4_000.0,
    max_buffer_ms=8_000.0,
)

PRESETS: dict[str, StreamingOptions] = {
    "baseline": StreamingOptions(step_ms=1000.0, encoder_context="full", trim_after_ms=15_000.0),
    "fast": _FAST,
    # AlignAtt commits from one hypothesis, not two: a longer step costs it less latency than LocalAgreement, and
    # 1.5 s steps with a 1.5 s guard were as accurate as the baseline at under half its cost (docs/benchmarks.md).
    # Its step grows once an update takes more than 0.3 of it, the goal's real-time factor: a no-op where updates
    # are fast, and on a slow CPU it kept BLEU and WER at RTF 0.27-0.30 with a lower LAAL_CA (docs/benchmarks.md).
    # Its first update waits for 3 s: at 1.5 s only a confident word ending by 1 s could pass the guard, and on 100
    # English sentences that update committed nothing in 86 of them while its compute delayed every later word.
    "alignatt": dataclasses.replace(_FAST, step_ms=1500.0, first_step_ms=3000.0, max_compute_ratio=0.3),
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
    intra_threads: int = 0,
    compute_type: str = "auto",
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
        policy: an agreement, count (wait-k) or alignment (AlignAtt) policy from `simulagent.policies` (not used by
            "vad"); `simulagent.presets.make_system` picks each preset's default.
        num_threads: CPU threads of the backend.
        intra_threads: threads per model replica (see `BackendOptions`); 0 picks what runs one stream fastest on
            this CPU, or all of `num_threads` for "baseline", as whisper_streaming runs faster-whisper. A server of
            many streams passes 1.
        compute_type: CTranslate2 compute type (see `BackendOptions`); "auto" picks int8 or float32 for this CPU.
        **overrides: any other `StreamingOptions` field (step_ms, trim_after_ms, ...).
    """
    if preset not in (*PRESETS, "vad"):
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(sorted([*PRESETS, 'vad']))}")
    if policy is None and preset != "vad":
        raise ValueError(
            f"preset {preset!r} needs a policy (e.g. simulagent.policies.LocalAgreement(2)); "
            "simulagent.presets.make_system fills in each preset's default"
        )
    target = target_lang or ("en" if task == "translate" else source_lang)
    base = PRESETS["fast" if preset == "vad" else preset]
    # eval's runner passes `--system-arg key=value` as strings: convert to each field's type.
    typed = {
        k: type(getattr(base, k))(v) if isinstance(v, str) and hasattr(base, k) else v for k, v in overrides.items()
    }
    if preset == "alignatt" and task == "transcribe":
        typed.setdefault("beam_size", _ALIGNATT_TRANSCRIBE_BEAM)
    options = dataclasses.replace(base, task=task, source_lang=source_lang, target_lang=target, **typed)
    # Check the pair before loading weights, so a wrong flag fails at once.
    check_language_pair(task, source_lang, target, WHISPER_LANGUAGES)
    threads = int(num_threads)
    per_replica = int(intra_threads) or (threads if preset == "baseline" else 0)
    speech_backend = load_backend(
        BackendOptions(
            backend=backend, model=model, num_threads=threads, intra_threads=per_replica, compute_type=compute_type
        )
    )
    if preset == "vad":
        return WhisperVadSystem(speech_backend, options, name="whisper-vad")
    assert policy is not None  # checked above, before any weights were loaded
    name = "whisper-alignatt" if preset == "alignatt" else f"whisper-la2-{preset}"
    return WhisperStreamingSystem(speech_backend, options, policy, name=name)
