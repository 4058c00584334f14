"""Ready-made streaming speech systems, composed: the speech core's Whisper presets (`simulagent.models.asr`) with
the READ/WRITE policies of `simulagent.policies`. The areas do not import one another; this module is where they
meet, for the CLI, the agent, the server and eval's runner (entry points `simulagent.systems`).

- "fast" and "baseline": LocalAgreement-2 (whisper_streaming's policy);
- "alignatt": AlignAtt on the backend's word alignments, `ALIGNATT_FRAMES` guard frames (`ALIGNATT_CONFIDENT_FRAMES`
  for words of probability `ALIGNATT_MIN_PROBABILITY` or more), 1.5 s steps;
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
    "ALIGNATT_CONFIDENT_FRAMES",
    "ALIGNATT_FRAMES",
    "ALIGNATT_MIN_PROBABILITY",
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
# Words the model is sure of pass a shorter guard: 25 frames (0.5 s) at a probability of 0.8 or more. On 100 English
# sentences this cut LAAL by a fifth (2555 -> 2018 ms) at about the same word error rate (WER +0.13, WER without
# case and punctuation -0.22 points; docs/benchmarks.md).
ALIGNATT_CONFIDENT_FRAMES = 25
ALIGNATT_MIN_PROBABILITY = 0.8


def default_policy(preset: str) -> Any:
    """Each preset's policy: AlignAtt for "alignatt", none for "vad", LocalAgreement-2 otherwise."""
    from simulagent.policies import LocalAgreement

    if preset == "vad":
        return None
    return alignatt_policy(ALIGNATT_FRAMES, "frame_threshold") if preset == "alignatt" else LocalAgreement(2)


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


def make_alignatt(
    frame_threshold: int | str = ALIGNATT_FRAMES,
    confident_frames: int | str = ALIGNATT_CONFIDENT_FRAMES,
    min_probability: float | str = ALIGNATT_MIN_PROBABILITY,
    **kwargs: Any,
) -> StreamingSystem[Any]:
    """The fast preset gated by AlignAtt on the backend's attention-based word alignment.

    Args (strings from eval's `--system-args` too):
        frame_threshold: AlignAtt's f in 20 ms encoder frames: a word is committed once it is aligned at least this
            far before the newest audio.
        confident_frames: the shorter guard of words with at least `min_probability` (0: none).
        min_probability: see `confident_frames`.
    """
    policy = alignatt_policy(frame_threshold, "frame_threshold", confident_frames, min_probability)
    return make_system("alignatt", policy=policy, **kwargs)


def alignatt_policy(
    frames: float | str,
    knob: str,
    confident_frames: float | str = ALIGNATT_CONFIDENT_FRAMES,
    min_probability: float | str = ALIGNATT_MIN_PROBABILITY,
) -> Any:
    """AlignAtt with a guard of `frames` (a number, or a string from a command line), and the shorter guard of
    confident words (never longer than `frames`); `UserError` naming `knob` unless `frames` is an integer >= 1, or
    naming the bad one of the other two."""
    from simulagent.errors import UserError
    from simulagent.policies import AlignAtt

    guard = _whole_frames(frames, knob, minimum=1)
    confident = _whole_frames(confident_frames, "confident_frames", minimum=0)
    try:
        probability = float(min_probability)
    except ValueError:
        probability = -1.0
    if not 0.0 < probability <= 1.0:
        raise UserError(f"min_probability for alignatt is a probability in (0, 1]; got {min_probability!r}")
    return AlignAtt(frame_threshold=guard, confident_frames=min(confident, guard), min_probability=probability)


def _whole_frames(frames: float | str, knob: str, minimum: int) -> int:
    from simulagent.errors import UserError

    try:
        value = float(frames)
    except ValueError:
        value = -1.0
    if value < minimum or value != int(value):
        raise UserError(f"{knob} for alignatt is guard frames (20 ms each), an integer >= {minimum}; got {frames!r}")
    return int(value)


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
