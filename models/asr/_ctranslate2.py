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

import dataclasses
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
# Prompts of at least this many tokens share a batch, cut to the shortest of them; shorter ones (a stream's first
# words) only batch with prompts of their own length, so that a batch never strips a long context to a few tokens.
_LONG_PROMPT_TOKENS = 16
# Windows of a batch at most this much longer than the shortest of their group are padded to share a decoder call.
_MAX_SHARED_PADDING_MS = 5_000.0


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


@dataclass(frozen=True, eq=False)
class _Prepared:
    """One window, ready for the model: its audio, the window it is encoded in, and its token sequences."""

    request: DecodeRequest
    tokenizer: Any
    samples: FloatArray  # (num_samples,), 16 kHz
    window_ms: float  # the encoder window: the audio, then zeros
    content_frames: int  # mel frames of audio, the rest is padding
    prompt: list[int]  # <|startofprev|> and previous text, or empty
    prefix: list[int]  # the forced start of the output
    budget: int  # most new tokens


def _batch_key(item: _Prepared) -> tuple[Any, ...]:
    """Windows of one key can share a decoder call once their windows are made one length (`_share_windows`):
    CTranslate2 batches one beam and one position of the start of transcript (prompts are cut to match, see
    `_LONG_PROMPT_TOKENS`)."""
    num_prompt = len(item.prompt)
    prompt_key = -1 if num_prompt >= _LONG_PROMPT_TOKENS else num_prompt
    return (item.request.beam_size, tuple(item.tokenizer.sot_sequence), prompt_key)


def _share_windows(prepared: Sequence[_Prepared]) -> list[list[int]]:
    """Group the windows of a batch into decoder calls: windows of one `_batch_key` whose lengths lie within
    `_MAX_SHARED_PADDING_MS` of the shortest of their group are padded to the longest of it, so they share one
    `generate` and one `align` (returns the indices of each group, longest window first).

    A server's streams buffer different lengths of audio (10-14 s windows, seldom more), so grouping by exact length
    split a batch of 5 into up to 4 calls, one after another. Padding costs each padded window a little more encoder
    time (the encoder's cost grows with its window) and changes a few of its words: 9 of 30 English windows of 9 s
    read differently in 13 s than in 10 s, as often better as worse (TER 22.4 against 21.8), about what a stream's
    own run-to-run changes of step do (docs/benchmarks.md).
    """
    by_key: dict[tuple[Any, ...], list[int]] = {}
    for index, item in enumerate(prepared):
        by_key.setdefault(_batch_key(item), []).append(index)
    groups: list[list[int]] = []
    for indices in by_key.values():
        group: list[int] = []
        for index in sorted(indices, key=lambda i: prepared[i].window_ms):
            if group and prepared[index].window_ms > prepared[group[0]].window_ms + _MAX_SHARED_PADDING_MS:
                groups.append(group[::-1])
                group = []
            group.append(index)
        groups.append(group[::-1])
    return groups


def _words(tokenizer: Any, result: Any, all_tokens: list[int], num_prefix: int) -> tuple[Word, ...]:
    """The words of one alignment result, without those of the forced prefix."""
    text_indices = np.array([pair[0] for pair in result.alignments])
    time_indices = np.array([pair[1] for pair in result.alignments])
    probs = np.asarray(result.text_token_probs, dtype=np.float64)
    word_texts, word_tokens = tokenizer.split_to_word_tokens([*all_tokens, tokenizer.eot])
    if len(word_tokens) <= 1 or text_indices.size == 0:
        return ()
    boundaries = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    jumps = np.pad(np.diff(text_indices), (1, 0), constant_values=1).astype(bool)
    jump_times_ms = time_indices[jumps] * _ENCODER_FRAME_MS
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
            words[-1] = Word(last.text + stripped, last.start_ms, max(last.end_ms, end_ms), min(last.probability, prob))
        else:
            words.append(Word(stripped, start_ms, max(start_ms, end_ms), prob))
    return tuple(words)


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
        replicas = max(1, num_threads // intra_threads) if on_cpu else 1
        # The windows of a batch are encoded side by side, on whichever replicas are free: one after another they
        # would leave the other cores idle while the batch's stream waits.
        self._encoders = ThreadPoolExecutor(max_workers=replicas, thread_name_prefix="simulagent-encode")
        self._multilingual = bool(self._model.model.is_multilingual)
        self._capabilities = BackendCapabilities(
            name="ctranslate2",
            languages=WHISPER_LANGUAGES if self._multilingual else frozenset({"en"}),
            translate_to_english=self._multilingual,
            word_timestamps=True,
            forced_prefix=True,
            variable_encoder_context=True,
            beam_search=True,
            batched_decode=True,
        )

    @property
    def capabilities(self) -> BackendCapabilities:
        return self._capabilities

    def _tokenizer(self, task: str, language: str) -> Any:
        return whisper_tokenizer(self._model.hf_tokenizer, self._capabilities, self.name, task, language)

    def decode(self, samples: FloatArray, request: DecodeRequest) -> Hypothesis:
        """Greedy decode of up to 30 s of 16 kHz mono audio, shape (num_samples,)."""
        return self.decode_batch([(samples, request)])[0]

    def decode_batch(self, items: Sequence[tuple[FloatArray, DecodeRequest]]) -> list[Hypothesis]:
        """Decode windows of different streams together: each window is encoded on its own (a batch of encoder
        windows ran slower than one by one), and the windows that can share a decoder call (the same beam and start
        of transcript, window lengths within a few seconds, padded to one length: `_share_windows`) are decoded and
        aligned in one call each. At batch 1 a greedy step is a chain of matrix-vector products that reads every
        weight for one token; a batch reads them once for all its windows: on one thread, 8 windows took 645 ms
        each in a batch against 1062 ms one by one, the encoder included (docs/benchmarks.md)."""
        import ctranslate2

        prepared = [self._prepare(samples, request) for samples, request in items]
        groups = _share_windows(prepared)
        for group in groups:
            window_ms = prepared[group[0]].window_ms
            for index in group[1:]:
                prepared[index] = dataclasses.replace(prepared[index], window_ms=window_ms)

        # No lock: CTranslate2 queues concurrent calls to its replicas, and the rest reads shared state only.
        def encode(item: _Prepared) -> Any:
            features = ctranslate2.StorageView.from_array(self._features(item))
            return np.asarray(self._model.model.encode(features, to_cpu=True))

        encoded = list(self._encoders.map(encode, prepared)) if len(prepared) > 1 else [encode(prepared[0])]
        results: list[Hypothesis | None] = [None] * len(prepared)
        for group in groups:
            for index, hypothesis in zip(
                group, self._decode_group([prepared[i] for i in group], [encoded[i] for i in group]), strict=True
            ):
                results[index] = hypothesis
        return [r for r in results if r is not None]

    def _prepare(self, samples: FloatArray, request: DecodeRequest) -> _Prepared:
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
        prompt: list[int] = []
        if request.prompt.strip():
            prompt_tokens = tokenizer.encode(" " + request.prompt.strip())
            prompt = [tokenizer.sot_prev, *prompt_tokens[-223:]]
        # Whisper loops on short or truncated windows ("la salle de la salle de ..."): cap the tokens at a generous
        # speaking rate, and cut an immediately repeated span below.
        budget = min(request.max_new_tokens, math.ceil(_TOKENS_BASE + _TOKENS_PER_S * audio_ms / 1000.0))
        return _Prepared(
            request=request,
            tokenizer=tokenizer,
            samples=samples,
            window_ms=window_ms,
            content_frames=min(2 * int(window_ms // _ENCODER_FRAME_MS), math.ceil(audio_ms / _FRAME_MS)),
            prompt=prompt,
            prefix=tokenizer.encode(" " + request.prefix.strip()) if request.prefix.strip() else [],
            budget=budget,
        )

    def _features(self, item: _Prepared) -> FloatArray:
        """The log-mel features of the item's audio, zero-padded to its window, shape (1, n_mels, frames)."""
        num_window_samples = round(item.window_ms * SAMPLE_RATE_HZ / 1000)
        padded = np.zeros(num_window_samples, dtype=np.float32)
        num_samples = min(item.samples.shape[0], num_window_samples)
        padded[:num_samples] = item.samples[:num_samples]
        features = self._model.feature_extractor(padded)  # (n_mels, num_frames + 1)
        num_frames = 2 * int(item.window_ms // _ENCODER_FRAME_MS)
        return np.ascontiguousarray(features[None, :, :num_frames], dtype=np.float32)

    def _decode_group(self, group: list[_Prepared], encoded: list[Any]) -> list[Hypothesis]:
        """One `generate` (and one `align`) for windows of one `_batch_key` and one window length."""
        import ctranslate2

        # CTranslate2 needs the start of transcript at one position in the whole batch: previous-text prompts are
        # cut to the shortest of the batch, their oldest tokens first (a batch of one keeps its own).
        kept = min(len(p.prompt) for p in group)
        prompts = [[p.prompt[0], *p.prompt[len(p.prompt) - kept + 1 :]] if kept else [] for p in group]
        tokenizer = group[0].tokenizer
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        full_prompts = [[*prompt, *start, *p.prefix] for prompt, p in zip(prompts, group, strict=True)]
        max_lengths = [min(448, len(full) + p.budget) for full, p in zip(full_prompts, group, strict=True)]
        # What CTranslate2 decodes after the prompt it reads in one pass (all but the last start token), as tokens
        # of output, the forced prefix included, for a window decoded alone with its own max_length.
        start_step = kept + len(tokenizer.sot_sequence)
        output_caps = [min(length // 2, length - start_step) for length in max_lengths]
        features = ctranslate2.StorageView.from_array(np.concatenate(encoded) if len(encoded) > 1 else encoded[0])
        results = self._model.model.generate(
            features,
            full_prompts,
            beam_size=group[0].request.beam_size,
            max_length=max(max_lengths),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
        )
        hypotheses: list[Hypothesis | None] = [None] * len(group)
        to_align: list[tuple[int, list[int]]] = []
        for index, (item, result, cap) in enumerate(zip(group, results, output_caps, strict=True)):
            # Greedy decoding is causal: a window of a batch that ran longer reads as if it had stopped at its own
            # length.
            tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot][:cap]
            # CTranslate2 returns the forced prefix as part of the sequence.
            if item.prefix and tokens[: len(item.prefix)] == item.prefix:
                tokens = tokens[len(item.prefix) :]
            tokens = cut_repetition(tokens)
            avg_logprob = float(result.scores[0]) if result.scores else 0.0
            no_speech = float(result.no_speech_prob)
            if no_speech > _NO_SPEECH_PROB and avg_logprob < _LOW_LOGPROB:
                hypotheses[index] = Hypothesis("", (), avg_logprob, no_speech)
                continue
            text = tokenizer.decode(tokens).strip()
            hypotheses[index] = Hypothesis(text, (), avg_logprob, no_speech)
            if item.request.word_timestamps and tokens:
                to_align.append((index, tokens))
        if to_align:
            rows = [i for i, _ in to_align]
            aligned_features = ctranslate2.StorageView.from_array(
                np.concatenate([encoded[i] for i in rows]) if len(rows) > 1 else encoded[rows[0]]
            )
            words = self._align(
                tokenizer,
                aligned_features,
                [group[i].prefix for i in rows],
                [tokens for _, tokens in to_align],
                [group[i].content_frames for i in rows],
            )
            for (index, _), item_words in zip(to_align, words, strict=True):
                hypothesis = hypotheses[index]
                assert hypothesis is not None
                hypotheses[index] = dataclasses.replace(hypothesis, words=item_words)
        return [h for h in hypotheses if h is not None]

    def _align(
        self,
        tokenizer: Any,
        encoded: Any,
        prefixes: list[list[int]],
        token_lists: list[list[int]],
        content_frames: list[int],
    ) -> list[tuple[Word, ...]]:
        """Word times from the alignment heads' cross-attention (dynamic time warping inside CTranslate2), for a
        batch of windows that share their start of transcript."""
        all_tokens = [[*prefix, *tokens] for prefix, tokens in zip(prefixes, token_lists, strict=True)]
        results = self._model.model.align(
            encoded,
            list(tokenizer.sot_sequence),
            all_tokens,
            [max(1, frames) for frames in content_frames],
            median_filter_width=7,
        )
        return [
            _words(tokenizer, result, tokens, len(prefix))
            for result, tokens, prefix in zip(results, all_tokens, prefixes, strict=True)
        ]

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
