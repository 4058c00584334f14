"""Silence-based segmentation with Silero VAD, and a streaming system that decodes each spoken segment once.

The Silero model ships inside the `silero-vad` PyPI package; we run its ONNX file with onnxruntime and keep its
recurrent state in our per-stream state object, so one loaded model serves many streams (the package's own
wrappers keep that state inside the model object).
"""

from __future__ import annotations

import functools
import importlib.metadata
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulagent.audio import resample
from simulagent.errors import UserError
from simulagent.memory import trim_now_and_then
from simulagent.models.asr._streaming import StreamingOptions, check_language_pair, cut_word_loop
from simulagent.models.asr._types import SAMPLE_RATE_HZ, DecodeRequest, SpeechBackend
from simulagent.types import FloatArray, Segment, SpeechSegment, SystemSpec, TextSegment

__all__ = ["SileroVad", "VadOptions", "VadStreamState", "WhisperVadState", "WhisperVadSystem"]

FRAME_SAMPLES = 512  # Silero's frame at 16 kHz: 32 ms
_CONTEXT_SAMPLES = 64  # the previous frame's tail Silero expects in front of each frame
FRAME_MS = 1000.0 * FRAME_SAMPLES / SAMPLE_RATE_HZ


@dataclass(frozen=True)
class VadOptions:
    """How speech is cut into segments.

    Attributes:
        threshold: a frame is speech when Silero's probability reaches this.
        min_silence_ms: a segment ends after this much silence.
        pre_roll_ms: audio kept before the first speech frame (Silero reacts a frame or two late).
        max_segment_ms: a segment this long is decoded even without a pause (Whisper's window is 30 s).
    """

    threshold: float = 0.5
    min_silence_ms: float = 500.0
    pre_roll_ms: float = 200.0
    max_segment_ms: float = 20_000.0

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1); got {self.threshold}")
        if self.min_silence_ms < FRAME_MS or self.pre_roll_ms < 0:
            raise ValueError("min_silence_ms must cover at least one 32 ms frame and pre_roll_ms be >= 0")
        if not 1_000.0 <= self.max_segment_ms <= 29_000.0:
            raise ValueError(f"max_segment_ms must be in [1000, 29000]; got {self.max_segment_ms}")


@dataclass
class VadStreamState:
    """Silero's recurrent state for one stream, and the samples not yet making a whole frame."""

    rnn_state: np.ndarray = field(default_factory=lambda: np.zeros((2, 1, 128), dtype=np.float32))
    context: np.ndarray = field(default_factory=lambda: np.zeros((1, _CONTEXT_SAMPLES), dtype=np.float32))
    residual: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


class SileroVad:
    """Silero VAD on onnxruntime; stateless itself (see `VadStreamState`)."""

    def __init__(self, model_path: Path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    @staticmethod
    @functools.cache
    def bundled() -> SileroVad:
        """The model shipped in the `silero-vad` package (loaded once per process)."""
        try:
            dist = importlib.metadata.distribution("silero-vad")
        except importlib.metadata.PackageNotFoundError:
            raise UserError("silence segmentation needs silero-vad: pip install 'simulagent[speech]'") from None
        path = Path(str(dist.locate_file("silero_vad/data/silero_vad.onnx")))
        if not path.is_file():
            raise UserError("the silero-vad package lacks silero_vad/data/silero_vad.onnx; reinstall it")
        return SileroVad(path)

    def probabilities(self, samples: FloatArray, state: VadStreamState) -> FloatArray:
        """Speech probability of each whole 32 ms frame of `state.residual` + `samples`.

        Args:
            samples: 16 kHz mono audio, shape (num_samples,).
            state: the stream's state, updated in place (leftover samples wait for the next call).

        Returns:
            shape (num_frames,).
        """
        audio = np.concatenate([state.residual, samples])
        num_frames = audio.shape[0] // FRAME_SAMPLES
        out = np.zeros(num_frames, dtype=np.float32)
        rate = np.array(SAMPLE_RATE_HZ, dtype=np.int64)
        for i in range(num_frames):
            frame = audio[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES][None, :]
            x = np.concatenate([state.context, frame], axis=1)
            prob, state.rnn_state = self._session.run(None, {"input": x, "state": state.rnn_state, "sr": rate})
            state.context = x[:, -_CONTEXT_SAMPLES:]
            out[i] = float(np.asarray(prob).reshape(-1)[0])
        state.residual = np.ascontiguousarray(audio[num_frames * FRAME_SAMPLES :])
        return out


@dataclass
class WhisperVadState:
    """Per-stream state of `WhisperVadSystem`.

    Attributes:
        vad: Silero's state.
        segment: audio of the current segment (pre-roll + speech so far), 16 kHz.
        segment_start_ms: stream time of `segment[0]`.
        in_speech: a speech frame has been seen in the current segment.
        silence_ms: silence since the last speech frame.
        ready: finished segments waiting to be decoded, with their start times.
        committed_text: everything emitted so far (its tail is the next prompt).
        prompt_from: index of the first text of `committed_text` that may be the prompt (a loop resets it).
        received_ms: source read so far.
    """

    vad: VadStreamState = field(default_factory=VadStreamState)
    segment: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    segment_start_ms: float = 0.0
    in_speech: bool = False
    silence_ms: float = 0.0
    ready: list[tuple[float, FloatArray]] = field(default_factory=list)
    committed_text: list[str] = field(default_factory=list)
    prompt_from: int = 0
    unstable: list[str] = field(default_factory=list)  # always empty: nothing is shown before it is decoded
    received_ms: float = 0.0
    source_finished: bool = False
    target_finished: bool = False
    final_popped: bool = False
    num_outputs: int = 0
    compute_s: float = 0.0


class WhisperVadSystem:
    """Speech -> text: Silero finds the pauses, Whisper decodes each spoken segment once, in full.

    Lower quality risk than re-decoding (each segment is decoded once, with all its context) at the price of
    latency: nothing is emitted before the speaker pauses.

    Args:
        backend: a `SpeechBackend`.
        options: task and languages (and the encoder context) as for `WhisperStreamingSystem`.
        vad_options: the segmentation settings.
        vad: the VAD model (the bundled Silero by default).
    """

    def __init__(
        self,
        backend: SpeechBackend,
        options: StreamingOptions,
        vad_options: VadOptions | None = None,
        vad: SileroVad | None = None,
        name: str = "whisper-vad",
    ):
        caps = backend.capabilities
        if options.task == "translate" and not caps.translate_to_english:
            raise UserError("this model cannot translate (it is English-only); use the multilingual bundled:base")
        check_language_pair(options.task, options.source_lang, options.target_lang, caps.languages)
        self._backend = backend
        self._options = options
        self._vad_options = vad_options or VadOptions()
        self._vad = vad if vad is not None else SileroVad.bundled()
        self._spec = SystemSpec(name, "speech", "text", options.source_lang, options.target_lang)

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> WhisperVadState:
        return WhisperVadState()

    def reset(self, state: WhisperVadState) -> None:
        state.__dict__.update(WhisperVadState().__dict__)

    def push(self, segment: Segment, state: WhisperVadState) -> None:
        if not isinstance(segment, SpeechSegment):
            raise TypeError(f"{self._spec.name} reads speech; got {type(segment).__name__}")
        if state.source_finished and not segment.is_empty:
            raise ValueError("audio pushed after the end of the stream")
        samples = resample(segment.samples, segment.sample_rate_hz, SAMPLE_RATE_HZ) if not segment.is_empty else None
        if samples is not None:
            began = time.perf_counter()
            frames_from = state.received_ms - 1000.0 * state.vad.residual.shape[0] / SAMPLE_RATE_HZ
            probs = self._vad.probabilities(samples, state.vad)
            state.compute_s += time.perf_counter() - began
            self._segment(state, samples, probs, frames_from)
            state.received_ms += 1000.0 * samples.shape[0] / SAMPLE_RATE_HZ
        if segment.finished and not state.source_finished:
            state.source_finished = True
            if state.in_speech:
                state.ready.append((state.segment_start_ms, state.segment))
            state.segment = np.zeros(0, dtype=np.float32)

    def _segment(self, state: WhisperVadState, samples: FloatArray, probs: FloatArray, frames_from_ms: float) -> None:
        """Append `samples` to the current segment, closing it at the first long enough pause."""
        opts = self._vad_options
        state.segment = np.concatenate([state.segment, samples])
        for i, prob in enumerate(probs):
            frame_end_ms = frames_from_ms + (i + 1) * FRAME_MS
            if prob >= opts.threshold:
                state.in_speech = True
                state.silence_ms = 0.0
            elif state.in_speech:
                state.silence_ms += FRAME_MS
            length_ms = frame_end_ms - state.segment_start_ms
            if state.in_speech and (state.silence_ms >= opts.min_silence_ms or length_ms >= opts.max_segment_ms):
                cut = max(0, round((frame_end_ms - state.segment_start_ms) * SAMPLE_RATE_HZ / 1000))
                state.ready.append((state.segment_start_ms, state.segment[:cut]))
                state.segment = state.segment[cut:]
                state.segment_start_ms += 1000.0 * cut / SAMPLE_RATE_HZ
                state.in_speech = False
                state.silence_ms = 0.0
            elif not state.in_speech:
                # Keep only a short pre-roll of silence in front of the next segment.
                keep_until_ms = frame_end_ms - opts.pre_roll_ms
                drop = round((keep_until_ms - state.segment_start_ms) * SAMPLE_RATE_HZ / 1000)
                if drop > 0:
                    state.segment = state.segment[drop:]
                    state.segment_start_ms += 1000.0 * drop / SAMPLE_RATE_HZ

    def pop(self, state: WhisperVadState) -> Segment:
        lang = self._options.target_lang
        if state.final_popped:
            return TextSegment("", finished=True, lang=lang)
        texts: list[str] = []
        began = time.perf_counter()
        while state.ready:
            _start_ms, audio = state.ready.pop(0)
            text = self._decode(audio, state)
            if text:
                texts.append(text)
                state.committed_text.append(text)
            if not state.source_finished:
                break  # one segment per pop keeps outputs as early as possible
        state.compute_s += time.perf_counter() - began
        finished = state.source_finished and not state.ready
        if not texts and not finished:
            return TextSegment("", lang=lang)
        state.target_finished = finished
        state.final_popped = finished
        index = state.num_outputs
        state.num_outputs += 1
        return TextSegment(" ".join(texts), finished=finished, index=index, lang=lang)

    def _decode(self, audio: FloatArray, state: WhisperVadState) -> str:
        trim_now_and_then()  # segments of every length fragment the heap (see simulagent.memory)
        opts = self._options
        said = " ".join(state.committed_text[state.prompt_from :])
        prompt = said[-opts.prompt_chars :] if opts.prompt_chars else ""
        request = DecodeRequest(
            task=opts.task,
            language=opts.source_lang,
            prompt=prompt,
            encoder_context=opts.encoder_context,
            min_encoder_context_ms=opts.min_encoder_context_ms,
            word_timestamps=False,
        )
        words = self._backend.decode(audio, request).text.split()
        loop_at = cut_word_loop(said.split(), words)
        if loop_at is not None:
            # As the streaming system does (`cut_word_loop`): keep the words before the loop, and decode the next
            # segments with none of the text before them as their prompt.
            words = words[:loop_at]
            state.prompt_from = len(state.committed_text)
        return " ".join(words)
