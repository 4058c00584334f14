"""The transformers (torch) Whisper backend: any local Hugging Face Whisper checkpoint, or the bundled CTranslate2
weights converted in memory. It exposes what CTranslate2 hides: the decoder's cross-attention over the audio
(AlignAtt's signal) and the encoder outputs.

Decoding is a plain greedy loop with a key/value cache, with the same prompt layout, token suppression and forced
prefix as the CTranslate2 backend, so both give the same text on the same audio.
"""

from __future__ import annotations

import itertools
import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simulagent.audio import resample
from simulagent.errors import UserError
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
    import torch

__all__ = ["TransformersBackend"]

_WINDOW_SAMPLES = 30 * SAMPLE_RATE_HZ
_TOKENS_BASE = 10
_TOKENS_PER_S = 10.0
_ENCODER_FRAME_MS = 20.0


class TransformersBackend:
    """Whisper on torch.

    Args:
        model: CTranslate2 model files (converted) or a Hugging Face Whisper folder (config.json,
            model.safetensors, tokenizer.json).
        num_threads: torch intra-op threads.
    """

    def __init__(self, model: ModelFiles | Path, num_threads: int = 2):
        import tokenizers
        import torch
        from faster_whisper.feature_extractor import FeatureExtractor

        torch.set_num_threads(num_threads)
        if isinstance(model, ModelFiles):
            from simulagent.models.asr._ct2_convert import to_transformers

            self.name = f"{model.name} (converted)"
            self._model = to_transformers(model)
            tokenizer_json = model.files["tokenizer.json"].decode("utf-8")
        else:
            from transformers import WhisperForConditionalGeneration

            if not (model / "tokenizer.json").is_file():
                raise UserError(f"{model}: a Hugging Face Whisper folder needs tokenizer.json")
            self.name = str(model)
            self._model = WhisperForConditionalGeneration.from_pretrained(
                str(model), local_files_only=True, attn_implementation="eager"
            ).eval()
            tokenizer_json = (model / "tokenizer.json").read_text(encoding="utf-8")
        self._hf_tokenizer = tokenizers.Tokenizer.from_str(tokenizer_json)
        config = self._model.config
        self._multilingual = int(config.vocab_size) >= 51865
        self._features = FeatureExtractor(feature_size=int(config.num_mel_bins))
        self._suppress = [t for t in (config.suppress_tokens or []) if t >= 0]
        self._suppress_begin = list(config.begin_suppress_tokens or [])
        heads = getattr(config, "alignment_heads", None) or []
        self._alignment_heads: list[tuple[int, int]] = [(int(layer), int(head)) for layer, head in heads]
        self._lock = threading.Lock()
        self._capabilities = BackendCapabilities(
            name="transformers",
            languages=WHISPER_LANGUAGES if self._multilingual else frozenset({"en"}),
            translate_to_english=self._multilingual,
            word_timestamps=True,
            forced_prefix=True,
            variable_encoder_context=False,
            cross_attention=True,
            encoder_outputs=True,
        )

    @property
    def capabilities(self) -> BackendCapabilities:
        return self._capabilities

    def _tokenizer(self, task: str, language: str) -> Any:
        return whisper_tokenizer(self._hf_tokenizer, self._capabilities, self.name, task, language)

    def encode(self, samples: FloatArray) -> torch.Tensor:
        """Encoder outputs for up to 30 s of 16 kHz audio, shape (1, 1500, d_model)."""
        import torch

        padded = np.zeros(_WINDOW_SAMPLES, dtype=np.float32)
        padded[: min(samples.shape[0], _WINDOW_SAMPLES)] = samples[:_WINDOW_SAMPLES]
        features = self._features(padded)[:, : 2 * self._model.config.max_source_positions]
        with torch.inference_mode():
            encoder = self._model.get_encoder()
            return encoder(torch.from_numpy(np.ascontiguousarray(features[None]))).last_hidden_state

    def decode(self, samples: FloatArray, request: DecodeRequest) -> Hypothesis:
        hypothesis, _ = self.decode_with_attention(samples, request)
        return hypothesis

    def decode_with_attention(self, samples: FloatArray, request: DecodeRequest) -> tuple[Hypothesis, np.ndarray]:
        """Greedy decode, and the cross-attention of each generated token over the audio.

        Args:
            samples: 16 kHz mono audio, shape (num_samples,), at most 30 s.
            request: as for `decode`; `encoder_context` must be "full". Word times come from the attention peaks.

        Returns:
            the hypothesis, and the attention, shape (num_generated_tokens, num_encoder_frames), averaged over the
            model's alignment heads (all heads of the upper half of the decoder when it names none); one encoder
            frame is 20 ms.
        """
        import torch

        if request.encoder_context != "full":
            raise ValueError("the transformers backend runs the encoder on the full 30 s window only")
        if request.beam_size != 1:
            raise ValueError("the transformers backend decodes greedily only (beam_size 1)")
        if samples.shape[0] > _WINDOW_SAMPLES:
            raise ValueError(f"decode takes at most 30 s of audio; got {samples.shape[0] / SAMPLE_RATE_HZ:.1f} s")
        tokenizer = self._tokenizer(request.task, request.language)
        prompt: list[int] = []
        if request.prompt.strip():
            prompt = [tokenizer.sot_prev, *tokenizer.encode(" " + request.prompt.strip())[-223:]]
        start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        prefix = tokenizer.encode(" " + request.prefix.strip()) if request.prefix.strip() else []
        ids = [*prompt, *start, *prefix]
        audio_s = samples.shape[0] / SAMPLE_RATE_HZ
        budget = min(request.max_new_tokens, int(np.ceil(_TOKENS_BASE + _TOKENS_PER_S * audio_s)))
        budget = min(budget, self._model.config.max_target_positions - len(ids))
        generated: list[int] = []
        token_probs: list[float] = []
        attention_rows: list[np.ndarray] = []
        logprob_sum = 0.0
        no_speech = 0.0
        with self._lock, torch.inference_mode():
            encoded = self.encode(samples)
            past: Any = None
            step_ids = ids
            for step in range(max(0, budget)):
                out = self._model(
                    encoder_outputs=(encoded,),
                    decoder_input_ids=torch.tensor([step_ids]),
                    past_key_values=past,
                    use_cache=True,
                    output_attentions=True,
                )
                past = out.past_key_values
                logits = out.logits[0, -1].float()
                if step == 0:
                    sot_index = len(prompt) + len(tokenizer.sot_sequence) - 1
                    if not prefix and len(ids) - 1 >= sot_index:
                        first = out.logits[0, sot_index].float().log_softmax(-1)
                        no_speech = float(first[tokenizer.no_speech].exp()) if tokenizer.no_speech is not None else 0.0
                logits[self._suppress] = -np.inf
                logits[tokenizer.timestamp_begin :] = -np.inf
                logits[tokenizer.no_timestamps] = -np.inf
                if step == 0:  # as CTranslate2's suppress_blank: no blank and no end of text at the first step
                    logits[self._suppress_begin] = -np.inf
                logprobs = logits.log_softmax(-1)
                token = int(logprobs.argmax())
                attention_rows.append(self._cross_attention_row(out.cross_attentions))
                if token == tokenizer.eot:
                    break
                logprob_sum += float(logprobs[token])
                token_probs.append(math.exp(float(logprobs[token])))
                generated.append(token)
                step_ids = [token]
        from simulagent.models.asr._ctranslate2 import cut_repetition

        kept = cut_repetition(generated)
        text = tokenizer.decode(kept).strip()
        avg = logprob_sum / max(1, len(generated))
        attention = np.stack(attention_rows[: len(kept)]) if kept else np.zeros((0, encoded.shape[1]), np.float32)
        words = (
            self._words(tokenizer, kept, attention, 1000.0 * audio_s, token_probs[: len(kept)])
            if request.word_timestamps
            else ()
        )
        return Hypothesis(text, words, avg, no_speech), attention

    @staticmethod
    def _words(
        tokenizer: Any, tokens: list[int], attention: np.ndarray, audio_ms: float, token_probs: list[float]
    ) -> tuple[Word, ...]:
        """Word times from each token's attention peak (cruder than dynamic time warping, but monotonic).

        Args:
            tokens: generated token ids.
            attention: shape (len(tokens), num_encoder_frames).
            audio_ms: length of the audio; peaks in the padding after it are clamped to it.
            token_probs: each token's probability; a word's is the mean of its tokens'.
        """
        if not tokens:
            return ()
        peaks_ms = np.minimum(np.maximum.accumulate(attention.argmax(axis=1)) * _ENCODER_FRAME_MS, audio_ms)
        texts, groups = tokenizer.split_to_word_tokens([*tokens, tokenizer.eot])
        words: list[Word] = []
        begin = 0
        for text, group in zip(texts, groups, strict=True):
            end = begin + len(group)
            if end > len(tokens) or not text.strip():
                begin = end
                continue
            start_ms = float(peaks_ms[begin])
            end_ms = float(min(audio_ms, peaks_ms[end - 1] + _ENCODER_FRAME_MS))
            prob = float(np.mean(token_probs[begin:end]))
            if words and not text.startswith(" "):
                last = words[-1]
                words[-1] = Word(
                    last.text + text.strip(), last.start_ms, max(last.end_ms, end_ms), min(last.probability, prob)
                )
            else:
                words.append(Word(text.strip(), start_ms, max(start_ms, end_ms), prob))
            begin = end
        # A word lasts until the next one's peak: the peaks mark where each word is heard, not its edges.
        spread = [
            Word(w.text, w.start_ms, max(w.end_ms, n.start_ms), w.probability) for w, n in itertools.pairwise(words)
        ]
        return (*spread, *words[-1:])

    def _cross_attention_row(self, cross_attentions: Any) -> np.ndarray:
        """The last query position's attention over encoder frames, averaged over the alignment heads."""
        heads = self._alignment_heads
        if not heads:
            num_layers = len(cross_attentions)
            heads = [
                (layer, h) for layer in range(num_layers // 2, num_layers) for h in range(cross_attentions[0].shape[1])
            ]
        rows = [cross_attentions[layer][0, head, -1].float().numpy() for layer, head in heads]
        return np.mean(rows, axis=0).astype(np.float32)

    def transcribe(self, samples: FloatArray, sample_rate_hz: int, language: str = "en") -> str:
        """Transcribe audio of any length, window by window (30 s, no overlap)."""
        audio = resample(samples, sample_rate_hz, SAMPLE_RATE_HZ)
        pieces = [
            self.decode(audio[begin : begin + _WINDOW_SAMPLES], DecodeRequest(language=language)).text
            for begin in range(0, max(1, audio.shape[0]), _WINDOW_SAMPLES)
        ]
        return " ".join(p for p in pieces if p).strip()
