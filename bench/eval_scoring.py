"""How long scoring takes: 10,000 synthetic speech-to-text instances, every latency metric (plain and
computation-aware) plus BLEU, by simulagent's scorer and, for comparison, by SimulEval 1.1.4's scorer classes.

Usage:
    python bench/eval_scoring.py [--instances 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from simulagent.eval.instances import InstanceLog, RunConfig
from simulagent.eval.scorer import LATENCY_METRICS, ScoreOptions, score_instances


def synthetic(n: int, seed: int = 0) -> list[InstanceLog]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(500)]
    out = []
    for index in range(n):
        source_ms = rng.uniform(2000, 12000)
        words = rng.randint(3, 30)
        delays = sorted(min(source_ms, rng.uniform(300, source_ms + 500)) for _ in range(words))
        delays = [round(d / 320) * 320.0 or 320.0 for d in delays]
        elapsed = [d + rng.uniform(50, 900) for d in delays]
        hyp = " ".join(rng.choice(vocab) for _ in range(words))
        ref = " ".join(rng.choice(vocab) for _ in range(rng.randint(3, 30)))
        out.append(InstanceLog(index, hyp, tuple(delays), tuple(elapsed), words, ref, "x.wav", source_ms))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    instances = synthetic(args.instances)
    options = ScoreOptions(latency_metrics=LATENCY_METRICS, quality_metrics=("BLEU",), computation_aware=True)
    ours = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        score_instances(instances, RunConfig("speech", "text"), options)
        ours.append(time.perf_counter() - start)
    print(
        f"simulagent: {args.instances} instances, {len(LATENCY_METRICS)} metrics x2 + BLEU: "
        f"median {statistics.median(ours):.2f} s (min {min(ours):.2f}, max {max(ours):.2f}) over {args.repeats} runs"
    )
    try:
        from simuleval.evaluator.instance import LogInstance
        from simuleval.evaluator.scorers.latency_scorer import LATENCY_SCORERS_DICT
    except ImportError:
        return
    theirs = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        logs = {i: LogInstance(ins.to_json(), "word") for i, ins in enumerate(instances)}
        for name in LATENCY_METRICS:
            for aware in (False, True):
                LATENCY_SCORERS_DICT[name](computation_aware=aware, use_ref_len=True)(logs)
        theirs.append(time.perf_counter() - start)
    print(
        f"simuleval 1.1.4 (latency only): median {statistics.median(theirs):.2f} s "
        f"(min {min(theirs):.2f}, max {max(theirs):.2f})"
    )


if __name__ == "__main__":
    main()
