"""Streaming text-to-speech: speakable-unit aggregation, zh/en normalisation, Piper and espeak-ng backends,
threaded incremental synthesis with barge-in, and simultaneous speech-to-speech translation."""

from simulagent.models.tts.aggregator import AggregatorOptions, SpeakableAggregator
from simulagent.models.tts.backends import (
    EspeakBackend,
    PiperBackend,
    TTSBackend,
    TTSCapabilities,
    TTSError,
    make_tts_backend,
)
from simulagent.models.tts.normalize import normalize_for_speech
from simulagent.models.tts.s2st import SpeechToSpeechSystem
from simulagent.models.tts.streaming import SpeechChunk, StreamingTTS, synthesize_units

__all__ = [
    "AggregatorOptions",
    "EspeakBackend",
    "PiperBackend",
    "SpeakableAggregator",
    "SpeechChunk",
    "SpeechToSpeechSystem",
    "StreamingTTS",
    "TTSBackend",
    "TTSCapabilities",
    "TTSError",
    "make_tts_backend",
    "normalize_for_speech",
    "synthesize_units",
]
