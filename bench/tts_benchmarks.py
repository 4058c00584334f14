"""TTS benchmarks: time to first audio from the first text token, real-time factor, and how much earlier speech
starts with clause-level cutting than with sentence-level cutting on a paragraph streamed word by word.

Usage:
    python bench/tts_benchmarks.py [--backend piper|espeak] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from simulagent.models.tts import AggregatorOptions, SpeakableAggregator, make_tts_backend, synthesize_units

PARAGRAPH = (
    "The weather in Shanghai will be sunny tomorrow, with a high of twenty-eight degrees and a light breeze from the "
    "east. In the evening, clouds move in from the sea, and there is a small chance of rain after midnight, so take "
    "an umbrella if you are going out late."
)


def first_audio_s(backend: object, options: AggregatorOptions, words_per_s: float = 0.0) -> tuple[float, float]:
    """Seconds from the first word to the first audio chunk, and the total synthesis RTF."""
    aggregator = SpeakableAggregator(options)
    start = time.perf_counter()
    first = None
    audio_s = 0.0
    synth_s = 0.0
    words = PARAGRAPH.split(" ")
    for i, word in enumerate(words):
        if words_per_s:
            time.sleep(max(0.0, start + i / words_per_s - time.perf_counter()))
        units = aggregator.push(word + " ") if i < len(words) - 1 else [*aggregator.push(word), *aggregator.flush()]
        t0 = time.perf_counter()
        for chunk in synthesize_units(backend, units, "en"):  # type: ignore[arg-type]
            first = first if first is not None else time.perf_counter() - start
            audio_s += chunk.duration_ms / 1000
        synth_s += time.perf_counter() - t0
    return float(first or 0.0), synth_s / max(audio_s, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="piper", choices=["piper", "espeak"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    backend = make_tts_backend(args.backend, "en")
    list(synthesize_units(backend, ["Warm up."], "en"))
    for label, options in (
        ("clause cuts, first cut after 2 words", AggregatorOptions(first_cut_max_words=2)),
        ("clause cuts, first cut after 3 words", AggregatorOptions(first_cut_max_words=3)),
        ("clause cuts, first cut after 6 words", AggregatorOptions(first_cut_max_words=6)),
        ("sentence cuts only", AggregatorOptions(first_cut_max_words=0, clause_cuts=False)),
    ):
        instant = [first_audio_s(backend, options) for _ in range(args.repeats)]
        # Text arriving like LLM tokens at 4 words/s: the cut point, not synthesis, decides when speech starts.
        paced = [first_audio_s(backend, options, words_per_s=4.0)[0] for _ in range(max(1, args.repeats // 2))]
        ttfa = [t for t, _ in instant]
        rtf = [r for _, r in instant]
        print(
            f"{args.backend}, {label}: first audio {statistics.median(ttfa) * 1000:.0f} ms "
            f"[{min(ttfa) * 1000:.0f}-{max(ttfa) * 1000:.0f}] with all text at once, "
            f"{statistics.median(paced):.2f} s with text at 4 words/s; RTF {statistics.median(rtf):.3f}"
        )


if __name__ == "__main__":
    main()
