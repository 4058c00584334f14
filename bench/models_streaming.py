"""Streaming Whisper on real speech: quality, latency (AL, LAAL and their computation-aware variants), RTF, memory.

Runs each preset of `simulagent.models.asr` over the French clips of cvss-fr-en-sample (speech -> English, BLEU
against the CVSS references) and SimulEval's English example (ASR, WER), feeding audio in `--chunk-ms` pieces
as eval's runner does, and timing every push/pop.

Latency follows SimulEval for speech input: the delay d_i of target word i is the source audio read (ms) when it
was emitted; its computation-aware variant adds the wall-clock time the system had spent so far. AL and LAAL are
eval's (`simulagent.eval.latency`), with the reference length as |Y|; scores are averaged over the clips.
RTF = decoding wall time / audio duration. Peak RSS is the whole process's.

Usage:
    HF_HUB_OFFLINE=1 python bench/models_streaming.py --repeats 3
    HF_HUB_OFFLINE=1 python bench/models_streaming.py --presets fast --chunk-ms 500 --repeats 1
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulagent.models.asr import Task
    from simulagent.types import FloatArray, StreamingSystem

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA = REPO_ROOT.parent / "shared" / "data"


@dataclass(frozen=True)
class Clip:
    """One utterance: 16 kHz audio, its language, and the reference text."""

    name: str
    samples: FloatArray
    source_lang: str
    task: Task
    reference: str


@dataclass(frozen=True)
class Run:
    """What one system produced on one clip."""

    text: str
    delays_ms: list[float]
    ca_delays_ms: list[float]
    source_ms: float
    compute_s: float


def load_clips() -> list[Clip]:
    from simulagent.audio import load_audio

    clips: list[Clip] = []
    cvss = DATA / "cvss-fr-en-sample"
    names = (cvss / "wav_list.txt").read_text().split()
    targets = (cvss / "target.txt").read_text().strip().splitlines()
    for name, target in zip(names, targets, strict=True):
        clips.append(Clip(name, load_audio(cvss / name), "fr", "translate", target))
    example = DATA / "simuleval-example"
    clips.append(
        Clip(
            "simuleval-test.wav",
            load_audio(example / "test.wav"),
            "en",
            "transcribe",
            (example / "transcript.txt").read_text().strip(),
        )
    )
    return clips


def run_clip(system: StreamingSystem[Any], clip: Clip, chunk_ms: float) -> Run:
    from simulagent.audio import chunk_samples
    from simulagent.types import TextSegment

    state = system.new_state()
    words: list[str] = []
    delays: list[float] = []
    ca_delays: list[float] = []
    compute_s = 0.0
    read_ms = 0.0
    chunks = list(chunk_samples(clip.samples, 16_000, chunk_ms))
    finished = False
    for i, chunk in enumerate(chunks):
        began = time.perf_counter()
        system.push(chunk.to_segment(finished=i == len(chunks) - 1), state)
        compute_s += time.perf_counter() - began
        read_ms = chunk.end_ms
        while not finished:
            began = time.perf_counter()
            out = system.pop(state)
            compute_s += time.perf_counter() - began
            assert isinstance(out, TextSegment)
            new = out.content.split()
            words += new
            delays += [read_ms] * len(new)
            ca_delays += [read_ms + 1000.0 * compute_s] * len(new)
            finished = out.finished
            if out.is_empty:
                break
    return Run(" ".join(words), delays, ca_delays, read_ms, compute_s)


def score(runs: list[tuple[Clip, Run]]) -> dict[str, float]:
    import jiwer
    import sacrebleu

    translate = [(c, r) for c, r in runs if c.task == "translate"]
    transcribe = [(c, r) for c, r in runs if c.task == "transcribe"]
    bleu = sacrebleu.corpus_bleu([r.text for _, r in translate], [[c.reference for c, _ in translate]]).score
    wer = jiwer.wer(
        [c.reference.lower() for c, _ in transcribe],
        [r.text.lower() for _, r in transcribe],
        reference_transform=_wer_norm(),
        hypothesis_transform=_wer_norm(),
    )

    def mean(values: list[float]) -> float:
        return statistics.fmean(values)

    from simulagent.eval.latency import average_lagging, length_adaptive_average_lagging

    def metric(fn: Any, ca: bool) -> float:
        values = []
        for c, r in runs:
            delays = r.ca_delays_ms if ca else r.delays_ms
            values.append(fn(delays, r.source_ms, len(c.reference.split())) if delays else r.source_ms)
        return mean(values)

    return {
        "BLEU": bleu,
        "WER": 100 * float(wer),
        "AL": metric(average_lagging, ca=False),
        "LAAL": metric(length_adaptive_average_lagging, ca=False),
        "AL_CA": metric(average_lagging, ca=True),
        "LAAL_CA": metric(length_adaptive_average_lagging, ca=True),
        "RTF": sum(r.compute_s for _, r in runs) / (sum(r.source_ms for _, r in runs) / 1000.0),
    }


def _wer_norm() -> Any:
    import jiwer

    return jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", nargs="+", default=["baseline", "fast"])
    parser.add_argument("--model", default="bundled:base")
    parser.add_argument("--chunk-ms", type=float, default=250.0, help="audio per push, as a microphone delivers it")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--set", nargs="*", default=[], metavar="FIELD=VALUE", help="StreamingOptions overrides (floats)"
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    from simulagent.presets import make_system

    overrides = {k: float(v) for k, v in (item.split("=", 1) for item in args.set)}
    clips = load_clips()
    print(f"clips: {len(clips)}, {sum(len(c.samples) for c in clips) / 16_000:.1f} s; chunk {args.chunk_ms:g} ms")
    for preset in args.presets:
        per_metric: dict[str, list[float]] = {}
        for _ in range(args.repeats):
            runs = []
            for clip in clips:
                target = "en" if clip.task == "translate" else clip.source_lang
                system = make_system(
                    preset,
                    task=clip.task,
                    source_lang=clip.source_lang,
                    target_lang=target,
                    **overrides,
                    model=args.model,
                )
                runs.append((clip, run_clip(system, clip, args.chunk_ms)))
            for key, value in score(runs).items():
                per_metric.setdefault(key, []).append(value)
        texts = " | ".join(r.text for _, r in runs)
        cells = ", ".join(
            f"{k} {statistics.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]"
            if k == "RTF"
            else f"{k} {statistics.median(v):.0f} [{min(v):.0f}-{max(v):.0f}]"
            for k, v in per_metric.items()
        )
        print(f"{preset}: {cells}")
        print(f"  last outputs: {texts}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
