"""`simulagent eval score|run|sweep|plot`: SimulEval-compatible evaluation from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simulagent.config import Config
from simulagent.errors import UserError


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="eval_command", metavar="ACTION")

    score = sub.add_parser("score", help="score a run's instances.log (SimulEval's --score-only)")
    score.add_argument("--output", required=True, type=Path, help="folder with config.yaml and instances.log")
    _add_score_args(score)
    score.set_defaults(func=_score)

    run = sub.add_parser("run", help="run a system over a corpus and score it (SimulEval's --agent)")
    _add_run_args(run)
    _add_score_args(run)
    run.set_defaults(func=_run)

    sweep = sub.add_parser("sweep", help="run a system at several settings: curve.tsv and a latency-quality plot")
    _add_run_args(sweep)
    sweep.add_argument("--vary", required=True, help="the setting to vary, e.g. k=1,3,5,7")
    _add_score_args(sweep)
    sweep.set_defaults(func=_sweep)

    plot = sub.add_parser("plot", help="plot one or more curve.tsv files on one figure")
    plot.add_argument("curves", nargs="+", type=Path)
    plot.add_argument("--x", default="LAAL", help="latency metric on the x axis (default LAAL)")
    plot.add_argument("--y", default="BLEU", help="quality metric on the y axis (default BLEU)")
    plot.add_argument("-o", "--out", type=Path, default=Path("curves.png"))
    plot.add_argument(
        "--label", action="append", default=[], help="legend label of each curve, in order (default: its system)"
    )
    plot.add_argument("--title", default="")
    plot.set_defaults(func=_plot)


def _add_score_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency-metrics", nargs="+", default=None, help="default: LAAL AL AP DAL ATD")
    parser.add_argument("--quality-metrics", nargs="+", default=None, help="default: BLEU")
    parser.add_argument("--eval-latency-unit", choices=["word", "char", "spm"], default=None)
    parser.add_argument("--eval-latency-spm-model", default="")
    parser.add_argument("--no-use-ref-len", action="store_true", help="use the hypothesis length as |Y|")
    parser.add_argument("--computation-aware", action="store_true", help="also report the _CA latency variants")
    parser.add_argument("--sacrebleu-tokenizer", default=None)
    parser.add_argument("--transcribe-lang", default="en", help="language of speech output, for ASR_BLEU")


def _add_run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--system", required=True, help="a built-in or registered name, or package.module:factory")
    parser.add_argument("--system-args", nargs="*", default=[], metavar="KEY=VALUE", help="keyword settings")
    parser.add_argument("--source", required=True, type=Path, help="source sentences, or audio paths, one per line")
    parser.add_argument("--target", type=Path, default=None, help="references, one per line")
    parser.add_argument("--source-type", choices=["text", "speech"], default="text")
    parser.add_argument("--target-type", choices=["text", "speech"], default="text")
    parser.add_argument("--source-segment-size", type=float, default=320.0, help="speech segment size in ms")
    parser.add_argument("--start-index", type=int, default=0)
    parser.add_argument("--end-index", type=int, default=-1)
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--no-progress-bar", action="store_true")


def _score_options(args: argparse.Namespace, config: Config) -> Any:
    from simulagent.eval.scorer import DEFAULT_LATENCY, DEFAULT_QUALITY, ScoreOptions

    return ScoreOptions(
        latency_metrics=tuple(args.latency_metrics or DEFAULT_LATENCY),
        quality_metrics=tuple(args.quality_metrics if args.quality_metrics is not None else DEFAULT_QUALITY),
        latency_unit=args.eval_latency_unit or config.eval.latency_unit,
        spm_model=args.eval_latency_spm_model,
        use_ref_len=not args.no_use_ref_len,
        computation_aware=args.computation_aware,
        sacrebleu_tokenizer=args.sacrebleu_tokenizer or config.eval.sacrebleu_tokenizer,
    )


def _system_args(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--system-args takes KEY=VALUE pairs; got {pair!r}")
        out[key] = value
    return out


def _run_options(args: argparse.Namespace, config: Config) -> Any:
    from simulagent.eval.runner import RunOptions

    return RunOptions(
        source=args.source,
        target=args.target,
        output=args.output,
        source_type=args.source_type,
        target_type=args.target_type,
        source_segment_size_ms=args.source_segment_size,
        start_index=args.start_index,
        end_index=args.end_index,
        latency_unit=args.eval_latency_unit or config.eval.latency_unit,
        show_progress=not args.no_progress_bar,
    )


def _print_scores(scores: Any, output: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"scores ({output / 'scores.tsv'})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in scores.corpus.items():
        table.add_row(name, f"{value:.3f}")
    console = Console()
    console.print(table)
    for name, signature in scores.signatures.items():
        console.print(f"{name} signature: {signature}")
    if scores.skipped:
        console.print(f"[yellow]skipped {len(scores.skipped)} instance(s) without output: {list(scores.skipped)[:10]}")


def _transcriber(options: Any) -> Any:
    if "ASR_BLEU" not in options.quality_metrics:
        return None
    try:
        from simulagent.eval._asr import default_transcriber
    except ImportError:  # pragma: no cover - the module is part of the package
        return None
    return default_transcriber()


def _score(args: argparse.Namespace, config: Config) -> int:
    from simulagent.eval.scorer import score_output

    options = _score_options(args, config)
    scores = score_output(args.output, options, _transcriber(options), args.transcribe_lang)
    _print_scores(scores, args.output)
    return 0


def _run(args: argparse.Namespace, config: Config) -> int:
    from simulagent.eval.runner import load_system, run_system
    from simulagent.eval.scorer import score_output

    score_options = _score_options(args, config)
    run_options = _run_options(args, config)
    system = load_system(args.system, _system_args(args.system_args))
    run_system(system, run_options)
    if args.target is None:
        print(f"wrote {args.output / 'instances.log'} (no references: not scored)")
        return 0
    scores = score_output(args.output, score_options, _transcriber(score_options), args.transcribe_lang)
    _print_scores(scores, args.output)
    return 0


def _sweep(args: argparse.Namespace, config: Config) -> int:
    from simulagent.eval.sweep import run_sweep, write_curve

    if args.target is None:
        raise UserError("a sweep needs references (--target) to score each point")
    rows = run_sweep(
        args.system, _system_args(args.system_args), args.vary, _run_options(args, config), _score_options(args, config)
    )
    write_curve(args.output / "curve.tsv", rows)
    print((args.output / "curve.tsv").read_text(encoding="utf-8"), end="")
    print(f"plot: {args.output / 'curve.png'}")
    return 0


def _plot(args: argparse.Namespace, config: Config) -> int:
    from simulagent.eval.sweep import plot_curves, read_curve

    if args.label and len(args.label) != len(args.curves):
        raise UserError(f"give one --label per curve: {len(args.curves)} curves, {len(args.label)} labels")
    curves = [read_curve(path) for path in args.curves]
    plot_curves(curves, x=args.x, y=args.y, path=args.out, title=args.title, labels=args.label or None)
    print(f"wrote {args.out}")
    return 0
