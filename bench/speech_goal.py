"""The speech core's goal, read off eval runs: quality, LAAL, computation-aware LAAL against the baseline's, and the
real-time factor (compute time over audio time), as a markdown table and a latency-quality plot.

Each argument is `label=FOLDER`, a folder written by `simulagent eval run ... --computation-aware`; the first one is
the reference the LAAL_CA ratio is taken against (the LocalAgreement-2 baseline). The compute time of a sentence is
its last word's computation-aware delay minus its plain delay (eval adds the time spent in the system to each
delay), so RTF is their sum over the audio's length.

Usage:
    python bench/speech_goal.py baseline=out/final/en100-baseline alignatt=out/final/en100-aa-f75 \
        --metric WER_NORM --plot docs/img/en_asr_goal.png
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def real_time_factor(instances: list[Any]) -> float:
    """Compute time over audio time, from `simulagent.eval.instances.InstanceLog`s of a computation-aware run."""
    audio_ms = sum(float(ins.source_length) for ins in instances)
    compute_ms = sum(float(ins.elapsed[-1]) - float(ins.delays[-1]) for ins in instances if ins.elapsed)
    return compute_ms / audio_ms if audio_ms else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="LABEL=FOLDER")
    parser.add_argument("--metric", default="WER_NORM", help="quality metric (WER_NORM, WER, BLEU, ...)")
    parser.add_argument("--plot", type=Path, default=None, help="write LAAL_CA against the metric here")
    parser.add_argument("--title", default="")
    args = parser.parse_args()

    from simulagent.eval.instances import read_config, read_instances
    from simulagent.eval.scorer import ScoreOptions, score_instances

    options = ScoreOptions(latency_metrics=("LAAL",), quality_metrics=(args.metric,), computation_aware=True)
    rows: list[tuple[str, float, float, float, float]] = []
    for spec in args.runs:
        label, sep, folder_name = spec.partition("=")
        if not sep:
            parser.error(f"{spec!r}: expected LABEL=FOLDER")
        folder = Path(folder_name)
        if not (folder / "instances.log").is_file():
            parser.error(f"{folder}: no instances.log (run simulagent eval run --computation-aware first)")
        instances = read_instances(folder / "instances.log")
        corpus = score_instances(instances, read_config(folder / "config.yaml"), options).corpus
        rows.append((label, corpus[args.metric], corpus["LAAL"], corpus["LAAL_CA"], real_time_factor(instances)))

    reference_ca = rows[0][3]
    print(f"| system | {args.metric} | LAAL | LAAL_CA | LAAL_CA vs {rows[0][0]} | RTF |")
    print("|---|---|---|---|---|---|")
    for label, quality, laal, laal_ca, rtf in rows:
        print(f"| {label} | {quality:.2f} | {laal:.0f} | {laal_ca:.0f} | {laal_ca / reference_ca:.2f}x | {rtf:.2f} |")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(figsize=(6.4, 4.2))
        for label, quality, _laal, laal_ca, rtf in rows:
            axes.scatter([laal_ca], [quality], s=40)
            axes.annotate(f"{label} (RTF {rtf:.2f})", (laal_ca, quality), textcoords="offset points", xytext=(6, 4))
        axes.axvline(0.6 * reference_ca, linestyle="--", color="grey", linewidth=1)
        axes.text(0.6 * reference_ca, axes.get_ylim()[1], " 0.6x baseline", va="top", color="grey", fontsize=8)
        axes.set_xlabel("LAAL_CA (ms)")
        axes.set_ylabel(args.metric)
        axes.set_title(args.title or f"{args.metric} against computation-aware LAAL")
        axes.grid(alpha=0.3)
        figure.tight_layout()
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(args.plot, dpi=120)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
