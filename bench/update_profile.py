"""Where a streaming update's time goes: features, encoder, greedy decode and word alignment of the CTranslate2
backend, over the sentences of a synthetic speech set streamed one by one (200 ms chunks, as fast as the system
takes them).

Each CTranslate2 call of the backend is timed by wrapping the backend's model object for the run; the rest of an
update (policy, trimming, Python) is what is left of the compute time. Also reported: the tokens the decoder
returns per update (the forced prefix included) and the tokens of its prompt.

`--micro` times the parts on one 10 s window instead (median of 7 calls): the encoder, and `generate` for 1 to 9
new tokens after 0 or 8 forced ones, which separates the decoder's fixed cost from its cost per token.

Usage:
    python bench/speech_sets.py en-asr --num 100
    python bench/update_profile.py out/speech_sets/en-asr --task transcribe --lang en --num 10 --preset fast
    python bench/update_profile.py out/speech_sets/en-asr --micro
    python bench/update_profile.py out/speech_sets/en-asr --preset alignatt --intra-threads 2   # one 2-thread replica
    python bench/update_profile.py out/speech_sets/en-asr --preset alignatt --compute-type int8
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time
from pathlib import Path
from typing import Any

_TIMED = ("encode", "generate", "align")


class _TimedModel:
    """Forwards to the CTranslate2 Whisper object, timing encode/generate/align."""

    def __init__(
        self,
        inner: Any,
        spent: dict[str, float],
        counts: collections.Counter[str],
        calls: list[tuple[int, int, float]],
        no_timestamps_id: int,
    ) -> None:
        self._inner, self._spent, self._counts = inner, spent, counts
        self._calls, self._no_timestamps_id = calls, no_timestamps_id

    def __getattr__(self, name: str) -> Any:
        function = getattr(self._inner, name)
        if name not in _TIMED:
            return function

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            result = function(*args, **kwargs)
            self._spent[name] += time.perf_counter() - began
            self._counts[name] += 1
            if name == "generate":
                prompt = list(args[1][0])
                # The returned sequence starts with the forced prefix: the tokens after <|notimestamps|>.
                num_forced = len(prompt) - prompt.index(self._no_timestamps_id) - 1
                self._counts["prompt_tokens"] += len(prompt)
                num_new = len(result[0].sequences_ids[0]) - num_forced
                self._calls.append((num_forced, num_new, time.perf_counter() - began))
            return result

        return timed


def _median_ms(call: Any, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return 1000.0 * statistics.median(times)


def micro(speech_set: Path, task: str, lang: str, intra_threads: int, compute_type: str) -> None:
    import ctranslate2
    import numpy as np
    import soundfile as sf

    from simulagent.models.asr import BackendOptions, load_backend

    backend: Any = load_backend(BackendOptions(intra_threads=intra_threads, compute_type=compute_type))
    whisper = backend._model
    audio, rate = sf.read((speech_set / "source.txt").read_text().split()[0], dtype="float32")
    window = np.zeros(10 * rate, dtype=np.float32)
    window[: min(6 * rate, audio.shape[0])] = audio[: 6 * rate]
    features = np.ascontiguousarray(whisper.feature_extractor(window)[None, :, :1000], dtype=np.float32)

    def encode() -> Any:
        return whisper.model.encode(ctranslate2.StorageView.from_array(features), to_cpu=False)

    encoded = encode()
    tokenizer = backend._tokenizer(task, lang)
    start = [*tokenizer.sot_sequence, tokenizer.no_timestamps]
    hypothesis = whisper.model.generate(encoded, [start], beam_size=1, max_length=80)[0].sequences_ids[0]
    print(f"encoder, 10 s window: {_median_ms(encode):.0f} ms; the window's hypothesis has {len(hypothesis)} tokens")
    for forced in (0, 8):
        prompt = start + hypothesis[:forced]
        for new in (1, 2, 5, 9):
            ms = _median_ms(
                lambda p=prompt, n=new, f=forced: whisper.model.generate(
                    encoded,
                    [p],
                    beam_size=1,
                    max_length=_whisper_max_length(len(start) - 1, f + n),
                    return_scores=True,
                    return_no_speech_prob=True,
                )
            )
            print(f"generate: {forced} forced + {new} new tokens: {ms:.0f} ms")


def _whisper_max_length(num_prompt_pass: int, num_steps: int) -> int:
    """`max_length` for CTranslate2's Whisper `generate` that lets it run `num_steps` decoder steps (forced prefix
    included): it decodes at most min(max_length / 2, max_length - num_prompt_pass) of them, where
    `num_prompt_pass` is the prompt it reads in one pass (all but the last start token)."""
    return max(2 * num_steps, num_prompt_pass + num_steps)


def _fit_generate(calls: list[tuple[int, int, float]]) -> None:
    """Least squares of each `generate`'s time on its forced and new tokens: its fixed cost and the cost of a
    decoder step of each kind (CTranslate2 forces the prefix one step at a time, across the whole beam)."""
    import numpy as np

    if len(calls) < 3:
        return
    design = np.array([[1.0, forced, new] for forced, new, _ in calls])
    ms = 1000.0 * np.array([seconds for _, _, seconds in calls])
    (fixed, per_forced, per_new), *_ = np.linalg.lstsq(design, ms, rcond=None)
    print(
        f"generate: {fixed:.0f} ms + {per_forced:.1f} ms per forced token + {per_new:.1f} ms per new token "
        f"(least squares over {len(calls)} calls; {design[:, 1].mean():.1f} forced and {design[:, 2].mean():.1f} "
        "new tokens per call)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("speech_set", type=Path, help="a folder written by bench/speech_sets.py")
    parser.add_argument("--task", default="transcribe", choices=["transcribe", "translate"])
    parser.add_argument("--lang", default="en")
    parser.add_argument("--num", type=int, default=10, help="sentences")
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--micro", action="store_true", help="time encoder and decoder steps on one window")
    parser.add_argument(
        "--intra-threads",
        type=int,
        default=0,
        help="threads per model replica, of 2 (0: the preset's own: the fastest for one stream on this CPU, two for "
        "baseline, as whisper_streaming)",
    )
    parser.add_argument(
        "--compute-type", default="auto", help='CTranslate2 compute type (default "auto": the faster for this CPU)'
    )
    args = parser.parse_args()
    if args.micro:
        micro(args.speech_set, args.task, args.lang, args.intra_threads, args.compute_type)
        return

    import soundfile as sf

    from simulagent.presets import make_system
    from simulagent.types import SpeechSegment

    system: Any = make_system(
        args.preset,
        task=args.task,
        source_lang=args.lang,
        intra_threads=args.intra_threads,
        compute_type=args.compute_type,
    )
    whisper = system._backend._model  # faster-whisper's WhisperModel inside the backend
    spent: dict[str, float] = collections.defaultdict(float)
    counts: collections.Counter[str] = collections.Counter()
    generate_calls: list[tuple[int, int, float]] = []
    tokenizer = system._backend._tokenizer(args.task, args.lang)
    whisper.model = _TimedModel(whisper.model, spent, counts, generate_calls, tokenizer.no_timestamps)
    extract = whisper.feature_extractor

    def timed_features(*a: Any, **k: Any) -> Any:
        began = time.perf_counter()
        result = extract(*a, **k)
        spent["features"] += time.perf_counter() - began
        return result

    whisper.feature_extractor = timed_features
    paths = (args.speech_set / "source.txt").read_text().split()[: args.num]
    compute_s = audio_s = 0.0
    updates = 0
    for path in paths:
        audio, rate = sf.read(path, dtype="float32")
        audio_s += audio.shape[0] / rate
        state = system.new_state()
        chunk = rate // 5
        for start in range(0, audio.shape[0], chunk):
            last = start + chunk >= audio.shape[0]
            system.push(SpeechSegment(audio[start : start + chunk], rate, finished=last), state)
            began = time.perf_counter()
            while not (out := system.pop(state)).is_empty and not out.finished:
                pass
            compute_s += time.perf_counter() - began
        updates += state.num_updates
    per = 1000.0 / max(1, updates)
    rtf = compute_s / audio_s
    print(f"{len(paths)} sentences, {audio_s:.1f} s of audio, compute {compute_s:.1f} s (RTF {rtf:.2f})")
    print(f"{updates} updates, {compute_s * per:.0f} ms each:")
    for name in ("features", *_TIMED):
        print(f"  {name:9s} {spent[name] * per:6.0f} ms  ({100 * spent[name] / compute_s:.0f}%)")
    print(f"  {'other':9s} {(compute_s - sum(spent.values())) * per:6.0f} ms")
    calls = max(1, counts["generate"])
    print(
        f"decoder: {sum(f + n for f, n, _ in generate_calls) / calls:.1f} tokens returned per update (forced "
        "prefix included), "
        f"prompt {counts['prompt_tokens'] / calls:.1f} tokens"
    )
    _fit_generate(generate_calls)


if __name__ == "__main__":
    main()
