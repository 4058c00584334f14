"""Memory of the default speech backend over many decodes of varied length: does RSS stay flat?

Decodes `--decodes` segments cut at random places and lengths (seeded) from the sentences of a synthetic speech set,
as a VAD system hands its segments to Whisper, and prints RSS every 25 decodes with the median decode time.
With `--batch N` each decode is a `decode_batch` of 1 to N segments with word timestamps, as a server's batched
streaming updates are.
Run it in a fresh process per setting; environment variables such as `ONEDNN_PRIMITIVE_CACHE_CAPACITY` or
`MKL_DISABLE_FAST_MM` apply to the run.

Usage:
    python bench/speech_sets.py de-en --num 100
    python bench/backend_memory.py out/speech_sets/de-en --decodes 200
    python bench/backend_memory.py out/speech_sets/de-en --decodes 200 --window-step-ms 20    # windows of any length
    python bench/backend_memory.py out/speech_sets/de-en --decodes 200 --trim-every 10        # malloc_trim too
    python bench/backend_memory.py out/speech_sets/de-en --decodes 150 --fixed-length-s 6
    python bench/backend_memory.py out/speech_sets/de-en --decodes 300 --batch 8 --trim-every 10  # a server's batches
"""

from __future__ import annotations

import argparse
import ctypes
import random
import statistics
import time
from pathlib import Path

import numpy as np


def rss_mb() -> float:
    """Current resident memory of this process (Linux), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("speech_set", type=Path, help="a folder written by bench/speech_sets.py")
    parser.add_argument("--decodes", type=int, default=200)
    parser.add_argument("--task", default="translate", choices=["transcribe", "translate"])
    parser.add_argument("--lang", default="de")
    parser.add_argument("--min-s", type=float, default=1.0, help="shortest segment")
    parser.add_argument("--max-s", type=float, default=14.0, help="longest segment")
    parser.add_argument("--fixed-length-s", type=float, default=0.0, help="every segment this long instead")
    parser.add_argument("--window-step-ms", type=float, default=0.0, help="override the encoder window rounding")
    parser.add_argument("--trim-every", type=int, default=0, help="malloc_trim(0) after every N decodes")
    parser.add_argument("--batch", type=int, default=0, help="decode batches of 1 to this many segments")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import soundfile as sf

    import simulagent.models.asr._ctranslate2 as ct2_backend
    from simulagent.models.asr import BackendOptions, DecodeRequest, load_backend

    if args.window_step_ms:
        ct2_backend._WINDOW_STEP_MS = args.window_step_ms  # to measure the windows of any length of before
    backend = load_backend(BackendOptions())
    paths = (args.speech_set / "source.txt").read_text().split()[:40]
    audio = np.concatenate([sf.read(path, dtype="float32")[0] for path in paths])
    libc = ctypes.CDLL("libc.so.6") if args.trim_every else None
    rng = random.Random(args.seed)
    request = DecodeRequest(
        task=args.task,
        language=args.lang,
        encoder_context="audio",
        min_encoder_context_ms=10_000.0,
        word_timestamps=args.batch > 0,
    )
    times: list[float] = []
    print(f"start: {rss_mb():.0f} MB", flush=True)
    for i in range(args.decodes):
        segments = []
        for _ in range(rng.randint(1, args.batch) if args.batch else 1):
            length_s = args.fixed_length_s or rng.uniform(args.min_s, args.max_s)
            start_s = rng.uniform(0.0, audio.shape[0] / 16_000 - length_s)
            segments.append(audio[int(start_s * 16_000) : int((start_s + length_s) * 16_000)])
        began = time.perf_counter()
        if args.batch:
            backend.decode_batch([(segment, request) for segment in segments])  # type: ignore[attr-defined]
        else:
            backend.decode(segments[0], request)
        times.append(time.perf_counter() - began)
        if libc is not None and (i + 1) % args.trim_every == 0:
            libc.malloc_trim(0)
        if (i + 1) % 25 == 0:
            recent = 1000 * statistics.median(times[-25:])
            print(f"{i + 1} decodes: {rss_mb():.0f} MB, median decode {recent:.0f} ms", flush=True)


if __name__ == "__main__":
    main()
