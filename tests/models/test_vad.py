"""Silero VAD segmentation and the segment-at-pauses Whisper system."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest

from simulagent.models.asr import SileroVad, SpeechBackend, StreamingOptions, VadOptions, WhisperVadSystem
from simulagent.models.asr._vad import VadStreamState
from simulagent.types import FloatArray, StreamingSystem

from .conftest import ScriptedBackend
from .test_backends import word_error_rate
from .test_streaming import run, text_of


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    if importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("onnxruntime is not installed (pip install 'simulagent[speech]')")
    from simulagent.errors import UserError

    try:
        return SileroVad.bundled()
    except UserError as exc:
        pytest.skip(str(exc))


def test_vad_options_are_checked() -> None:
    with pytest.raises(ValueError, match="threshold"):
        VadOptions(threshold=1.5)
    with pytest.raises(ValueError, match="max_segment_ms"):
        VadOptions(max_segment_ms=60_000.0)


@pytest.mark.slow
def test_vad_frames_do_not_depend_on_how_audio_is_cut(vad: SileroVad, english_example: tuple[FloatArray, str]) -> None:
    audio = english_example[0][:48_000]
    whole = vad.probabilities(audio, VadStreamState())
    state = VadStreamState()
    pieces = np.concatenate([vad.probabilities(audio[i : i + 1234], state) for i in range(0, audio.shape[0], 1234)])
    np.testing.assert_allclose(pieces, whole, atol=1e-5)
    assert whole.max() > 0.5  # speech
    assert vad.probabilities(np.zeros(16_000, dtype=np.float32), VadStreamState()).max() < 0.5


@pytest.mark.slow
def test_segments_at_pauses_streaming_equals_offline(
    vad: SileroVad, tiny_backend: SpeechBackend, english_example: tuple[FloatArray, str]
) -> None:
    audio, transcript = english_example
    two_utterances = np.concatenate([audio, np.zeros(16_000, dtype=np.float32), audio])
    options = StreamingOptions(task="transcribe", source_lang="en", target_lang="en", encoder_context="audio")
    system = WhisperVadSystem(tiny_backend, options, vad=vad)
    assert isinstance(system, StreamingSystem)
    streaming = run(system, two_utterances, 250.0)
    # The first utterance is out before the second one has been read.
    assert streaming[0].content and not streaming[0].finished
    assert word_error_rate(f"{transcript} {transcript}", text_of(streaming)) < 0.35
    offline = run(system, two_utterances, chunk_ms=two_utterances.shape[0] / 16)
    assert text_of(offline) == text_of(streaming)


class _LoopingSegments(ScriptedBackend):
    """Says "I said my" for the first segment; later, "my my my my" while its prompt ends with "my" (a loop fed by the
    prompt), else "all good"."""

    def decode(self, samples: FloatArray, request: Any) -> Any:
        from simulagent.models.asr import Hypothesis

        self.calls.append(request)
        if len(self.calls) == 1:
            return Hypothesis("I said my")
        return Hypothesis("my my my my" if request.prompt.endswith("my") else "all good")


def test_a_segment_that_loops_on_its_prompt_is_cut_and_the_prompt_reset(
    vad: SileroVad, english_example: tuple[FloatArray, str]
) -> None:
    audio = english_example[0][:32_000]
    silence = np.zeros(16_000, dtype=np.float32)
    three_utterances = np.concatenate([audio, silence, audio, silence, audio, silence])
    backend = _LoopingSegments()
    options = StreamingOptions(task="transcribe", source_lang="en", target_lang="en", encoder_context="audio")
    text = text_of(run(WhisperVadSystem(backend, options, vad=vad), three_utterances, 250.0))
    assert [call.prompt for call in backend.calls] == ["", "I said my", ""]
    assert text == "I said my all good"
