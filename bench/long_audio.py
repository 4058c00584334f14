"""Streaming Whisper on one long recording: does a system keep up, keep its buffer short and its memory flat?

The recording is the sentences of a synthetic speech set (`bench/speech_sets.py`) played back to back as one
stream (each keeps its 200 ms of silence before and after), so a preset must trim its buffer and carry on for many
minutes. Audio is pushed in `--chunk-ms` pieces as a microphone would deliver it, as fast as the system takes it;
the wall-clock time spent in `push`/`pop` is what a real-time stream would have waited.

Reported per preset: quality of the whole transcript or translation (WER after normalisation, or BLEU, against
the concatenated references), RTF, the lag of each committed word per minute of audio: when it would appear on a
live stream (each chunk arrives in real time and waits for the system to finish the previous ones; SimulEval's
computation-aware delay instead adds all compute so far, which grows without bound on a long stream) minus the end
of the word in the audio, the longest buffer, and RSS at the start and end. A plot of lag
against stream time goes to `--plot`.

Usage:
    python bench/speech_sets.py en-asr --num 100
    HF_HUB_OFFLINE=1 python bench/long_audio.py out/speech_sets/en-asr --task transcribe --lang en \\
        --presets fast --minutes 10 --plot docs/img/long_audio_lag.png
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

MINUTE_MS = 60_000.0


def rss_mb() -> float:
    """Current resident memory of this process (Linux), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_stream(folder: Path, minutes: float) -> tuple[Any, str]:
    """The set's wavs back to back (at most `minutes`), 16 kHz, and the references joined by spaces."""
    from simulagent.audio import load_audio

    paths = (folder / "source.txt").read_text(encoding="utf-8").split("\n")
    references = (folder / "target.txt").read_text(encoding="utf-8").split("\n")
    pieces: list[Any] = []
    texts: list[str] = []
    total = 0
    for path, reference in zip(paths, references, strict=False):
        if not path.strip():
            continue
        audio = load_audio(path)
        if total + audio.shape[0] > minutes * MINUTE_MS * 16:
            break
        pieces.append(audio)
        texts.append(reference)
        total += audio.shape[0]
    if not pieces:
        sys.exit(f"{folder}: no audio (run bench/speech_sets.py first)")
    return np.concatenate(pieces), " ".join(texts)


def run(system: Any, samples: Any, chunk_ms: float) -> dict[str, Any]:
    from simulagent.audio import chunk_samples
    from simulagent.types import TextSegment

    state = system.new_state()
    compute_s = 0.0
    longest_buffer_ms = 0.0
    words: list[str] = []
    lags: list[tuple[float, float]] = []  # (word end in the audio, lag) in ms
    seen = 0
    finish_ms = 0.0  # wall clock of a live stream: when the system is done with the audio received so far
    rss_start = rss_mb()
    chunks = list(chunk_samples(samples, 16_000, chunk_ms))
    for i, chunk in enumerate(chunks):
        began = time.perf_counter()
        system.push(chunk.to_segment(finished=i == len(chunks) - 1), state)
        while True:
            out = system.pop(state)
            assert isinstance(out, TextSegment)
            words += out.content.split()
            if out.is_empty or out.finished:
                break
        step_s = time.perf_counter() - began
        compute_s += step_s
        # Live, this chunk arrives at chunk.end_ms and waits for the system to finish the previous ones.
        finish_ms = max(finish_ms, chunk.end_ms) + 1000.0 * step_s
        emitted_ms = finish_ms
        committed = getattr(state, "committed", [])
        for word in committed[seen:]:
            lags.append((word.end_ms, emitted_ms - word.end_ms))
        seen = len(committed)
        buffer = getattr(state, "buffer", None)
        if buffer is not None:
            longest_buffer_ms = max(longest_buffer_ms, 1000.0 * buffer.shape[0] / 16_000)
    return {
        "text": " ".join(words),
        "compute_s": compute_s,
        "audio_s": samples.shape[0] / 16_000,
        "lags": lags,
        "longest_buffer_ms": longest_buffer_ms,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_mb(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a folder made by bench/speech_sets.py")
    parser.add_argument("--task", choices=["transcribe", "translate"], default="transcribe")
    parser.add_argument("--lang", default="en", help="the spoken language")
    parser.add_argument("--presets", nargs="+", default=["fast"])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--chunk-ms", type=float, default=250.0)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="FIELD=VALUE", help="StreamingOptions overrides (floats), all presets"
    )
    args = parser.parse_args()

    from simulagent.eval.scorer import normalize_for_wer, word_error_rate
    from simulagent.presets import make_system

    samples, reference = load_stream(args.folder, args.minutes)
    print(f"{args.folder.name}: one stream of {samples.shape[0] / 16_000 / 60:.1f} min, chunk {args.chunk_ms:g} ms")
    results: dict[str, dict[str, Any]] = {}
    for preset in args.presets:
        target = "en" if args.task == "translate" else args.lang
        overrides = {k: float(v) for k, v in (item.split("=", 1) for item in args.set)}
        system = make_system(preset, task=args.task, source_lang=args.lang, target_lang=target, **overrides)
        result = run(system, samples, args.chunk_ms)
        results[preset] = result
        if args.task == "transcribe":
            quality = (
                f"WER_NORM {word_error_rate([normalize_for_wer(result['text'])], [normalize_for_wer(reference)]):.1f}"
            )
        else:
            import sacrebleu

            quality = f"BLEU {sacrebleu.corpus_bleu([result['text']], [[reference]]).score:.1f}"
        lags = result["lags"]
        per_minute = []
        for minute in range(int(result["audio_s"] // 60) + 1):
            inside = [lag for end, lag in lags if minute * MINUTE_MS <= end < (minute + 1) * MINUTE_MS]
            if inside:
                per_minute.append(f"{statistics.median(inside) / 1000:.1f}")
        all_lags = [lag for _, lag in lags] or [0.0]
        print(
            f"{preset}: {quality}, RTF {result['compute_s'] / result['audio_s']:.2f}, word lag median "
            f"{statistics.median(all_lags) / 1000:.2f} s, p95 {float(np.percentile(all_lags, 95)) / 1000:.2f} s, "
            f"max {max(all_lags) / 1000:.2f} s; longest buffer {result['longest_buffer_ms'] / 1000:.1f} s; "
            f"RSS {result['rss_start_mb']:.0f} -> {result['rss_end_mb']:.0f} MB"
        )
        print(f"  median lag per minute (s): {' '.join(per_minute)}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 3.5))
        for preset, result in results.items():
            ends = [end / MINUTE_MS for end, _ in result["lags"]]
            ax.plot(ends, [lag / 1000 for _, lag in result["lags"]], ".", markersize=3, label=preset)
        ax.set_xlabel("stream time (min)")
        ax.set_ylabel("word lag on a live stream (s)")
        ax.set_title(f"{args.folder.name}: one {samples.shape[0] / 16_000 / 60:.0f}-minute stream")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=120)
        print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
