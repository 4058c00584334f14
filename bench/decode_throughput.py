"""Decoding throughput of the CTranslate2 backend: model replicas and threads, and batched decoding.

Both modes decode the first 8 s of the sentences of a synthetic speech set with a 10 s encoder window and a prompt of
previous text, as a streaming update does.

- `replicas`: decodes per second from 1 or 2 calling threads, with one replica per CPU thread or one replica on all
  of them, for `--seconds` each. One caller is one stream (the CLI, eval); two callers are two streams of a server,
  whose worker has a thread per replica.
- `batch`: B windows of different sentences (each with a forced prefix of its own first words, as a streaming update
  has its committed words) decoded as one batch (`decode_batch`) and one by one, alternating, on one replica of one
  thread (as the server runs it); the median time per window of each way over `--repeats` runs, with the range.
  `--mixed` gives the windows different lengths, as a server's streams have (8 to 11 s of audio: 10 to 12 s windows).

Usage:
    python bench/speech_sets.py de-en --num 100
    python bench/decode_throughput.py replicas out/speech_sets/de-en --task translate --lang de
    python bench/decode_throughput.py batch out/speech_sets/de-en --task translate --lang de --sizes 1 2 4 8
    python bench/decode_throughput.py batch out/speech_sets/de-en --task translate --lang de --sizes 4 8 --mixed
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

_WINDOW_S = 8.0
_PROMPT = "What was said before, already committed, comes to the decoder as previous text."


def _rate(backend: Any, clips: list[Any], request: Any, callers: int, seconds: float) -> tuple[float, float]:
    """Decodes per second, and seconds per decode as each caller sees it."""
    done = [0] * callers
    stop = time.perf_counter() + seconds

    def work(caller: int) -> None:
        k = caller
        while time.perf_counter() < stop:
            backend.decode(clips[k % len(clips)], request)
            done[caller] += 1
            k += callers

    threads = [threading.Thread(target=work, args=(i,)) for i in range(callers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return sum(done) / elapsed, elapsed * callers / max(1, sum(done))


def replicas(clips: list[Any], request: Any, num_threads: int, seconds: float) -> None:
    from simulagent.models.asr import BackendOptions, load_backend

    for intra in sorted({1, num_threads}):
        backend = load_backend(BackendOptions(num_threads=num_threads, intra_threads=intra))
        backend.decode(clips[0], request)  # warm up
        for callers in (1, 2):
            rate, each_s = _rate(backend, clips, request, callers, seconds)
            print(
                f"{num_threads // intra} replica(s) of {intra} thread(s), {callers} caller(s): {rate:.2f} decodes/s, "
                f"{1000 * each_s:.0f} ms each",
                flush=True,
            )


def batches(clips: list[Any], request: Any, sizes: list[int], repeats: int) -> None:
    from simulagent.models.asr import BackendOptions, load_backend

    backend: Any = load_backend(BackendOptions(num_threads=1, intra_threads=1))
    # Each window's own first words as its forced prefix, as a streaming update forces its committed words.
    items = []
    for clip in clips[: max(sizes)]:
        first_words = " ".join(backend.decode(clip, request).text.split()[:4])
        items.append((clip, dataclasses.replace(request, prefix=first_words)))
    seconds = sorted({round(samples.shape[0] / 16_000, 1) for samples, _ in items})
    print(f"{len(items)} windows of {', '.join(f'{s:g}' for s in seconds)} s of audio, one replica of one thread")
    for size in sizes:
        batch = items[:size]
        together: list[float] = []
        alone: list[float] = []
        for _ in range(repeats):
            began = time.perf_counter()
            backend.decode_batch(batch)
            together.append((time.perf_counter() - began) / size)
            began = time.perf_counter()
            for samples, one in batch:
                backend.decode(samples, one)
            alone.append((time.perf_counter() - began) / size)
        print(
            f"B={size}: batched {1000 * statistics.median(together):.0f} ms per window "
            f"({1000 * min(together):.0f}-{1000 * max(together):.0f}), one by one "
            f"{1000 * statistics.median(alone):.0f} ms ({1000 * min(alone):.0f}-{1000 * max(alone):.0f}): "
            f"{statistics.median(alone) / statistics.median(together):.2f}x",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["replicas", "batch"])
    parser.add_argument("speech_set", type=Path, help="a folder written by bench/speech_sets.py")
    parser.add_argument("--task", default="translate", choices=["transcribe", "translate"])
    parser.add_argument("--lang", default="de")
    parser.add_argument("--threads", type=int, default=2, help="replicas: CPU threads of the backend")
    parser.add_argument("--seconds", type=float, default=20.0, help="replicas: how long each configuration decodes")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8], help="batch: batch sizes")
    parser.add_argument("--repeats", type=int, default=5, help="batch: runs of each way")
    parser.add_argument("--mixed", action="store_true", help="batch: windows of 8, 9, 10 and 11 s of audio in turn")
    args = parser.parse_args()

    from simulagent.audio import load_audio
    from simulagent.models.asr import DecodeRequest

    paths = [Path(line) for line in (args.speech_set / "source.txt").read_text().split()][:16]
    clips = [load_audio(path)[: int(_WINDOW_S * 16_000)] for path in paths]
    if args.mixed:
        # The sentences back to back, cut into pieces of 8, 9, 10 and 11 s in turn (most sentences are shorter).
        speech = np.concatenate([load_audio(path) for path in paths])
        starts = np.cumsum([0, *(int((_WINDOW_S + k % 4) * 16_000) for k in range(len(paths)))])
        clips = [speech[begin:end] for begin, end in itertools.pairwise(starts) if end <= len(speech)]
    request = DecodeRequest(
        args.task, args.lang, prompt=_PROMPT, encoder_context="audio", min_encoder_context_ms=10_000
    )
    if args.mode == "replicas":
        replicas(clips, request, args.threads, args.seconds)
    else:
        batches(clips, request, args.sizes, args.repeats)


if __name__ == "__main__":
    main()
