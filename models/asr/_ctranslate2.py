"""The default backend: Whisper on CTranslate2 (through faster-whisper's model loader, tokenizer and features).

Decoding is greedy at temperature 0 without conditioning on previous windows: on this kind of CPU, faster-whisper's
defaults (beam 5 with temperature fallback) were 4-6x slower and no better. `decode` talks to CTranslate2 directly
so the encoder can run over the buffered audio only (`encoder_context="audio"`, like whisper.cpp's audio_ctx)
instead of a zero-padded 30 s window: the encoder's cost grows with its input, so a 3 s buffer costs a tenth.

Those windows come in whole seconds. oneDNN, inside CTranslate2, caches a compiled convolution for every input
shape it meets (up to 1,024 of them), about 1 MB each: windows of every length (VAD segments, a buffer past its
usual size) grew a process by 190 MB over 200 decodes, while whole seconds keep it to at most 21 shapes. The cache
is also capped at 64 primitives (`ONEDNN_PRIMITIVE_CACHE_CAPACITY`, unless set already) for any other shapes.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from simulagent.audio import resample
from simulagent.models.asr._bundled import ModelFiles
from simulagent.models.asr._types import (
    SAMPLE_RATE_HZ,
    WHISPER_LANGUAGES,
    BackendCapabilities,
    DecodeRequest,
    Hypothesis,
    Word,
    whisper_tokenizer,
)
from simulagent.types import FloatArray

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

__all__ = ["CTranslate2Backend", "cut_repetition"]

_MAX_WINDOW_MS = 30_000.0
_FRAME_MS = 10.0  # one mel frame
_ENCODER_FRAME_MS = 20.0  # one encoder output position (the convolution stride is 2)
_NO_SPEECH_PROB = 0.6
_LOW_LOGPROB = -1.0
_TOKENS_BASE = 10
_TOKENS_PER_S = 10.0
_MIN_LOOP_TOKENS = 3
_WINDOW_STEP_MS = 1_000.0  # encoder windows are whole seconds (see the module's docstring)
_PRIMITIVE_CACHE_CAPACITY = "64"


def cut_repetition(tokens: list[int], min_span: int = _MIN_LOOP_TOKENS) -> list[int]:
    """Cut a decoding loop: keep tokens up to the first span (>= `min_span` tokens) repeated twice in a row.

    Args:
        tokens: generated token ids.
        min_span: shortest span that counts as a loop (shorter repeats, "very very", are real speech).

    Returns:
        the tokens before the second copy of the first looping span.
    """
    n = len(tokens)
    for end in range(2 * min_span, n + 1):
        for span in range(min_span, end // 2 + 1):
            if tokens[end - span : end] == tokens[end - 2 * span : end - span]:
                return tokens[: end - span]
    return tokens


class CTranslate2Backend:
    """Whisper on CTranslate2, int8 on CPU by default.

    Args:
        model: the model files in memory (see `load_model_files`).
        device: "cpu", "cuda" or "auto".
        compute_type: CTranslate2 compute type ("int8", "float32", ...).
        num_threads: CPU threads.
        intra_threads: threads per model replica on a CPU; `num_threads // intra_threads` replicas share the
            weights and run concurrent decodes side by side. On a GPU, `num_threads` are the intra-op threads of
            the one replica.
    """

    def __init__(
        self,
        model: ModelFiles,
        device: str = "cpu",
        compute_type: str = "int8",
        num_threads: int = 2,
        intra_threads: int = 1,
    ):
        # Read by oneDNN when it first builds a primitive: set before the model runs.
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", _PRIMITIVE_CACHE_CAPACITY)
        import ctranslate2
        from faster_whisper import WhisperModel

        on_cpu = device == "cpu" or (device == "auto" and ctranslate2.get_cuda_device_count() == 0)
        self.name = model.name
        # One thread per replica by default: greedy decoding at batch 1 is a chain of small matrix-vector products,
        # which two threads ran 2.3x slower than one (a hand-off on every op); a whole streaming update took 163-171
        # ms on one thread against 238-243 ms on two, and two replicas run two updates at once (docs/benchmarks.md).
        self._model: WhisperModel = WhisperModel(
            model.name,
            device=device,
            compute_type=compute_type,
            cpu_threads=intra_threads if on_cpu else num_threads,
            num_workers=max(1, num_threads // intra_threads) if on_cpu else 1,
            files=model.files,
        )
        self._multilingual = bool(self._model.model.is_multilingual)
        self._capabilities = BackendCapabilities(
            name="ctranslate2",
            languages=WHISPER_LANGUAGES if self._multilingual else frozenset({"en"}),
            translate_to_english=self._multilingual,
            word_timestamps=True,
            forced_prefix=True,
            variable_encoder_context=True,
            beam_search=True,
        )

    @property
    def capabilities(self) -> BackendCapabilities:
        return self._capabilities

    def _tokenizer(self, task: str, language: str) -> Any:
        return whisper_tokenizer(self._model.hf_tokenizer, self._capabilities, self.name, task, language)

    def decode(self, samples: FloatArray, request: DecodeRequest) -> Hypothesis:
        """Greedy decode of up to 30 s of 16 kHz mono audio, shape (num_samples,)."""
        import ctranslate2

        num_samples = int(samples.shape[0])
        if num_samples > _MAX_WINDOW_MS * SAMPLE_RATE_HZ / 1000:
            raise ValueError(f"decode takes at most 30 s of audio; got {num_samples / SAMPLE_RATE_HZ:.1f} s")
        tokenizer = self._tokenizer(request.task, request.language)
        audio_ms = 1000.0 * num_samples / SAMPLE_RATE_HZ
        if request.encoder_context == "full":
            window_ms = _MAX_WINDOW_MS
        else:
            # Leave a little silence after speech (Whisper was trained on windows where speech rarely runs to the
            # very edge), then round up to whole seconds (see the module's docstring).
            window_ms = max(request.min_encoder_context_ms, audio_ms + 400.0)
            window_ms = min(_MAX_WINDOW_MS, _WINDOW_STEP_MS * math.ceil(window_ms / _WINDOW_STEP_MS))
        num_window_samples = round(window_ms * SAMPLE_RATE_HZ / 1000)
        padded = np.zeros(num_window_samples, dtype=np.float32)
        padded[: min(num_samples, num_window_samples)] = samples[:num_window_samples]
        features = self._model.feature_extractor(padded)  # (n_mels, num_frames + 1)
        num_frames = 2 * int(window_ms // _ENCODER_FRAME_MS)
        features = np.ascontiguousarray(features[None, :, :num_frames], dtype=np.float32)
        content_frames = min(num_frames, math.ceil(audio_ms / _FRAME_MS))

        prompt: list[int] = []
        if request.prompt.strip():
            prompt_tokens = tokenizer.encode(" " + request.prompt.strip())
            prompt = [tokenizer.sot_prev, *prompt_tokens[-223:]]
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        prefix_tokens = tokenizer.encode(" " + request.prefix.strip()) if request.prefix.strip() else []
        full_prompt = [*prompt, *start, *prefix_tokens]
        # Whisper loops on short or truncated windows ("la salle de la salle de ..."): cap the tokens at a generous
        # speaking rate, and cut an immediately repeated span below.
        budget = min(request.max_new_tokens, math.ceil(_TOKENS_BASE + _TOKENS_PER_S * audio_ms / 1000.0))
        max_length = min(448, len(full_prompt) + budget)
        # No lock: CTranslate2 queues concurrent calls to its replicas, and the rest reads shared state only.
        encoded = self._model.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)
        result = self._model.model.generate(
            encoded,
            [full_prompt],
            beam_size=request.beam_size,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        # CTranslate2 returns the forced prefix as part of the sequence.
        if prefix_tokens and tokens[: len(prefix_tokens)] == prefix_tokens:
            tokens = tokens[len(prefix_tokens) :]
        tokens = cut_repetition(tokens)
        avg_logprob = float(result.scores[0]) if result.scores else 0.0
        no_speech = float(result.no_speech_prob)
        if no_speech > _NO_SPEECH_PROB and avg_logprob < _LOW_LOGPROB:
            return Hypothesis("", (), avg_logprob, no_speech)
        words: tuple[Word, ...] = ()
        if request.word_timestamps and tokens:
            words = self._align(tokenizer, encoded, prefix_tokens, tokens, content_frames)
        text = tokenizer.decode(tokens).strip()
        return Hypothesis(text, words, avg_logprob, no_speech)

    def _align(
        self,
        tokenizer: Any,
        encoded: Any,
        prefix_tokens: list[int],
        tokens: list[int],
        content_frames: int,
    ) -> tuple[Word, ...]:
        """Word times from the alignment heads' cross-attention (dynamic time warping inside CTranslate2)."""
        all_tokens = [*prefix_tokens, *tokens]
        result = self._model.model.align(
            encoded, list(tokenizer.sot_sequence), [all_tokens], max(1, content_frames), median_filter_width=7
        )[0]
        text_indices = np.array([pair[0] for pair in result.alignments])
        time_indices = np.array([pair[1] for pair in result.alignments])
        probs = np.asarray(result.text_token_probs, dtype=np.float64)
        word_texts, word_tokens = tokenizer.split_to_word_tokens([*all_tokens, tokenizer.eot])
        if len(word_tokens) <= 1 or text_indices.size == 0:
            return ()
        boundaries = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
        jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
        jump_times_ms = time_indices[jumps] * _ENCODER_FRAME_MS
        num_prefix = len(prefix_tokens)
        words: list[Word] = []
        for text, begin, end in zip(word_texts[:-1], boundaries[:-1], boundaries[1:], strict=True):
            if begin < num_prefix or end > jump_times_ms.shape[0]:
                continue  # words of the forced prefix are not part of this hypothesis
            start_ms = float(jump_times_ms[begin])
            end_ms = float(jump_times_ms[end]) if end < jump_times_ms.shape[0] else float(jump_times_ms[-1])
            stripped = text.strip()
            if not stripped:
                continue
            prob = float(np.mean(probs[begin:end])) if end > begin and probs.size >= end else 1.0
            if words and not text.startswith(" "):
                # A piece without a leading space (punctuation, "'ai" of "J'ai") belongs to the previous word.
                last = words[-1]
                words[-1] = Word(
                    last.text + stripped, last.start_ms, max(last.end_ms, end_ms), min(last.probability, prob)
                )
            else:
                words.append(Word(stripped, start_ms, max(start_ms, end_ms), prob))
        return tuple(words)

    def transcribe(self, samples: FloatArray, sample_rate_hz: int, language: str = "en") -> str:
        """Transcribe audio of any length, shape (num_samples,); satisfies `simulagent.signals.Transcriber`."""
        self._tokenizer("transcribe", language)  # checks the language
        audio = resample(samples, sample_rate_hz, SAMPLE_RATE_HZ)
        segments, _info = self._model.transcribe(
            audio,
            language=language,
            task="transcribe",
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()
