"""HMT against wait-k on the synthetic reordering task: BLEU against AL, same model size, same data.

Trains `simulagent train hmt` at several latency weights and the same Transformer as wait-k at several k (two runs
at a time, one thread each), decodes the held-out test pairs simultaneously, and scores them: BLEU with sacrebleu,
AL (`simulagent.eval.latency.average_lagging`, in source tokens, with the hypothesis length as |Y|). Writes
`curve-hmt.tsv`, `curve-waitk.tsv` and a plot of both curves, and prints a markdown table. Runs resume from their
checkpoints, so an interrupted benchmark continues where it stopped.

Usage:
    python bench/hmt_vs_waitk.py [--out out/hmt] [--hmt-weights 0.1,0.5,2] [--waitk 1,2,3,5] [--steps 600]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sacrebleu

from simulagent.eval.latency import average_lagging
from simulagent.eval.sweep import plot_curves, write_curve

REPO_ROOT = Path(__file__).resolve().parent.parent


def _train(out: Path, extra: list[str], steps: int) -> float:
    """Run one `simulagent train hmt` in a child process with one thread; returns its wall time."""
    began = time.perf_counter()
    argv = [sys.executable, "-m", "simulagent.cli", "train", "hmt", "--out", str(out), "--steps", str(steps)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    subprocess.run([*argv, *extra, "--no-progress"], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def _score(results_path: Path, system: str, setting: str) -> dict[str, str | float]:
    results = json.loads(results_path.read_text(encoding="utf-8"))
    lags = [
        average_lagging([float(d) for d in delays], float(length), float(len(delays)))
        for delays, length in zip(results["delays"], results["source_lengths"], strict=True)
        if delays
    ]
    bleu = sacrebleu.corpus_bleu(results["hypotheses"], [results["references"]]).score
    return {"system": system, "setting": setting, "AL": sum(lags) / len(lags), "BLEU": bleu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "out" / "hmt")
    parser.add_argument("--hmt-weights", default="0.1,0.5,2", help="HMT latency weights")
    parser.add_argument("--waitk", default="1,2,3,5", help="wait-k lags")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--plot", type=Path, default=REPO_ROOT / "docs" / "img" / "hmt_vs_waitk.png")
    args = parser.parse_args()
    jobs = [(f"hmt_lw{w}", ["--latency-weight", w]) for w in args.hmt_weights.split(",")]
    jobs += [(f"waitk{k}", ["--mode", "waitk", "--k", k]) for k in args.waitk.split(",")]
    with ThreadPoolExecutor(max_workers=2) as pool:  # two one-thread trainings on two cores
        times = list(pool.map(lambda job: _train(args.out / job[0], job[1], args.steps), jobs))
    seconds = dict(zip([n for n, _ in jobs], times, strict=True))
    hmt = [_score(args.out / n / "results.json", "HMT", n.removeprefix("hmt_")) for n, _ in jobs if n.startswith("hmt")]
    waitk = [_score(args.out / n / "results.json", "wait-k", n.removeprefix("wait")) for n, _ in jobs if "waitk" in n]
    write_curve(args.out / "curve-hmt.tsv", hmt)
    write_curve(args.out / "curve-waitk.tsv", waitk)
    plot_curves([hmt, waitk], x="AL", y="BLEU", path=args.plot, title="Synthetic reordering task (test pairs)")
    print("| system | setting | AL (tokens) | BLEU | training wall time |")
    print("|---|---|---|---|---|")
    for row, (name, _) in zip([*hmt, *waitk], jobs, strict=True):
        print(f"| {row['system']} | {row['setting']} | {row['AL']:.2f} | {row['BLEU']:.2f} | {seconds[name]:.0f} s |")
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
