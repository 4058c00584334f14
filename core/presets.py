"""Ready-made streaming speech systems, composed: the speech core's Whisper presets (`simulagent.models.asr`) with
the READ/WRITE policies of `simulagent.policies`. The areas do not import one another; this module is where they
meet, for the CLI, the agent, the server and eval's runner (entry points `simulagent.systems`).

- "fast" and "baseline": LocalAgreement-2 (whisper_streaming's policy);
- "alignatt": AlignAtt on the backend's word alignments, `ALIGNATT_FRAMES` guard frames, 1.5 s steps;
- "vad": Silero VAD segmentation, each segment decoded once (no policy);
- `make_agent_simt`: the LLM translator of Agent-SiMT (text to text) under wait-k or the trained HMT word policy.

Usage:
    from simulagent.presets import make_system
    system = make_system("fast", task="translate", source_lang="fr")   # speech -> English text
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulagent.types import StreamingSystem

__all__ = [
    "ALIGNATT_FRAMES",
    "DEFAULT_PRESET",
    "PRESET_NAMES",
    "SYSTEM_FACTORIES",
    "alignatt_policy",
    "make_agent_simt",
    "make_alignatt",
    "make_baseline",
    "make_fast",
    "make_speech_to_speech",
    "make_system",
    "make_vad",
    "preset_step_ms",
]

PRESET_NAMES = ("fast", "baseline", "vad", "alignatt")
# The system of `simulagent translate`, the agent's interpreter and the server's interpretation sessions: on the
# bundled base model it matched the baseline's accuracy at a third of its cost (docs/benchmarks.md).
DEFAULT_PRESET = "alignatt"
# AlignAtt's guard for Whisper, in 20 ms encoder frames: a word is committed once its alignment ends 1.5 s before the
# newest audio. Shorter guards commit the guesses Whisper makes at the edge of a cut window: at 2 s steps on 30
# English sentences, 4 frames gave 2.7 WER points more than the baseline, 25 frames 1.5, 75 frames 0.5
# (docs/benchmarks.md).
ALIGNATT_FRAMES = 75


def default_policy(preset: str) -> Any:
    """Each preset's policy: AlignAtt for "alignatt", none for "vad", LocalAgreement-2 otherwise."""
    from simulagent.policies import AlignAtt, LocalAgreement

    if preset == "vad":
        return None
    return AlignAtt(frame_threshold=ALIGNATT_FRAMES) if preset == "alignatt" else LocalAgreement(2)


def make_system(preset: str = "fast", policy: Any = None, **kwargs: Any) -> StreamingSystem[Any]:
    """`simulagent.models.asr.make_system` with the preset's default policy when none is given."""
    from simulagent.models.asr import make_system as make_whisper_system

    if preset not in PRESET_NAMES:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESET_NAMES)}")
    return make_whisper_system(preset, policy=policy if policy is not None else default_policy(preset), **kwargs)


def preset_step_ms(preset: str) -> float:
    """The update step a preset runs with unless told otherwise ("vad" reads in the fast preset's steps)."""
    from simulagent.models.asr import PRESETS

    if preset not in PRESET_NAMES:
        raise ValueError(f"unknown preset {preset!r}; known: {', '.join(PRESET_NAMES)}")
    return PRESETS["fast" if preset == "vad" else preset].step_ms


def make_baseline(**kwargs: Any) -> StreamingSystem[Any]:
    """LocalAgreement-2 configured as whisper_streaming configures it."""
    return make_system("baseline", **kwargs)


def make_fast(**kwargs: Any) -> StreamingSystem[Any]:
    """LocalAgreement-2 with the short encoder window, aggressive trimming and the adaptive step."""
    return make_system("fast", **kwargs)


def make_vad(**kwargs: Any) -> StreamingSystem[Any]:
    """Silero VAD segmentation, each segment decoded once with the short encoder window."""
    return make_system("vad", **kwargs)


def make_alignatt(frame_threshold: int | str = ALIGNATT_FRAMES, **kwargs: Any) -> StreamingSystem[Any]:
    """The fast preset gated by AlignAtt on the backend's attention-based word alignment.

    Args:
        frame_threshold: AlignAtt's f in 20 ms encoder frames (a string from eval's `--system-args` too): a word is
            committed once it is aligned at least this far before the newest audio.
    """
    return make_system("alignatt", policy=alignatt_policy(frame_threshold, "frame_threshold"), **kwargs)


def alignatt_policy(frames: float | str, knob: str) -> Any:
    """AlignAtt with a guard of `frames` (a number, or a string from a command line); `UserError` naming `knob`
    unless it is an integer >= 1."""
    from simulagent.errors import UserError
    from simulagent.policies import AlignAtt

    try:
        value = float(frames)
    except ValueError:
        value = 0.0
    if value < 1 or value != int(value):
        raise UserError(f"{knob} for alignatt is guard frames (20 ms each), an integer >= 1; got {frames!r}")
    return AlignAtt(frame_threshold=int(value))


def make_agent_simt(
    policy: str = "hmt",
    checkpoint: str = "",
    threshold: float | str = 0.5,
    k: int | str = 3,
    source_lang: str = "de",
    target_lang: str = "en",
) -> StreamingSystem[Any]:
    """Agent-SiMT: the configured LLM (the bundled one by default) translates the source read so far, word by word.

    Args:
        policy: "hmt" (the HMT word policy trained by `simulagent train hmt --data-source ... --out CHECKPOINT`),
            "wait-k", or "agent-simt" (wait-k inside Agent-SiMT's bounds j + 1 <= g_j <= j + 3).
        checkpoint: the HMT model's folder (policy "hmt").
        threshold: HMT's selection threshold (lower writes earlier); k: wait-k's lag.
    """
    from simulagent.config import load_config
    from simulagent.errors import UserError
    from simulagent.models.llm.factory import make_chat_model
    from simulagent.models.llm.simt import LLMTranslationSystem
    from simulagent.policies import BoundedPolicy, WaitK
    from simulagent.policies.hmt_words import HMTWordPolicy

    word_policy: Any
    if policy == "hmt":
        if not checkpoint:
            raise UserError("policy hmt needs checkpoint=FOLDER (a model from `simulagent train hmt --data-source`)")
        word_policy = HMTWordPolicy.load(checkpoint, float(threshold))
    elif policy in ("wait-k", "agent-simt"):
        word_policy = WaitK(int(k)) if policy == "wait-k" else BoundedPolicy(WaitK(int(k)), 1, 3)
    else:
        raise UserError(f"unknown Agent-SiMT policy {policy!r}; known: hmt, wait-k, agent-simt")
    llm = make_chat_model(load_config().llm)
    return LLMTranslationSystem(llm, word_policy, source_lang, target_lang)


def make_speech_to_speech(preset: str = "fast", tts: str = "auto", **kwargs: Any) -> StreamingSystem[Any]:
    """Simultaneous speech-to-speech: the preset's committed English voiced by streaming TTS as it is committed
    (Piper for English when installed, espeak-ng otherwise), with speech output that eval scores by ASR-BLEU."""
    from simulagent.models.tts.backends import make_tts_backend
    from simulagent.models.tts.s2st import SpeechToSpeechSystem

    inner = make_system(preset, **kwargs)
    lang = inner.spec.target_lang or "en"
    return SpeechToSpeechSystem(inner, make_tts_backend(tts, lang), lang)


SYSTEM_FACTORIES: dict[str, Callable[..., StreamingSystem[Any]]] = {
    "whisper-la2-baseline": make_baseline,
    "whisper-la2-fast": make_fast,
    "whisper-vad": make_vad,
    "whisper-alignatt": make_alignatt,
    "whisper-s2st": make_speech_to_speech,
}
