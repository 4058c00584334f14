"""Speech recognition and speech-to-English translation on Whisper, offline and streaming.

Importing this package is cheap: faster-whisper and CTranslate2 load when a backend is first built.

Usage (the policy comes from simulagent.policies; `simulagent.presets.make_system` picks each preset's default):
    from simulagent.models.asr import make_system
    from simulagent.policies import LocalAgreement
    system = make_system("fast", task="translate", source_lang="fr", policy=LocalAgreement(2))  # speech -> English
"""

from simulagent.models.asr._agreement import (
    AgreementPolicy,
    AlignmentPolicy,
)
from simulagent.models.asr._bundled import BUNDLED_MODELS, BundledModel, ModelFiles, load_bundled, load_model_files
from simulagent.models.asr._registry import (
    BACKENDS,
    COMPUTE_TYPES,
    BackendOptions,
    default_compute_type,
    load_backend,
    single_stream_intra_threads,
)
from simulagent.models.asr._streaming import (
    StreamingOptions,
    WhisperStreamingState,
    WhisperStreamingSystem,
    check_language_pair,
)
from simulagent.models.asr._systems import (
    PRESETS,
    make_system,
)
from simulagent.models.asr._types import (
    SAMPLE_RATE_HZ,
    WHISPER_LANGUAGES,
    BackendCapabilities,
    DecodeRequest,
    Hypothesis,
    SpeechBackend,
    Task,
    Word,
    decode_all,
)
from simulagent.models.asr._vad import SileroVad, VadOptions, VadStreamState, WhisperVadState, WhisperVadSystem

__all__ = [
    "BACKENDS",
    "BUNDLED_MODELS",
    "COMPUTE_TYPES",
    "PRESETS",
    "SAMPLE_RATE_HZ",
    "WHISPER_LANGUAGES",
    "AgreementPolicy",
    "AlignmentPolicy",
    "BackendCapabilities",
    "BackendOptions",
    "BundledModel",
    "DecodeRequest",
    "Hypothesis",
    "ModelFiles",
    "SileroVad",
    "SpeechBackend",
    "StreamingOptions",
    "Task",
    "VadOptions",
    "VadStreamState",
    "WhisperStreamingState",
    "WhisperStreamingSystem",
    "WhisperVadState",
    "WhisperVadSystem",
    "Word",
    "check_language_pair",
    "decode_all",
    "default_compute_type",
    "load_backend",
    "load_bundled",
    "load_model_files",
    "make_system",
    "single_stream_intra_threads",
]
