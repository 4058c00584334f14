"""Scoring of a finished run: latency and quality, SimulEval's `--score-only` equivalent.

`score_output(options)` reads `DIR/config.yaml` and `DIR/instances.log`, computes every requested metric, and
writes `DIR/scores.tsv` (full precision) and `DIR/instance_scores.jsonl` (one JSON line of latency values per
instance, to find the worst cases). Differences from SimulEval 1.1.4 are deliberate and listed in docs/eval.md.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulagent.eval import latency as lat
from simulagent.eval.instances import (
    EvalError,
    InstanceLog,
    RunConfig,
    read_config,
    read_instances,
    reference_length,
    write_scores,
)
from simulagent.signals import Transcriber

__all__ = [
    "LATENCY_METRICS",
    "QUALITY_METRICS",
    "ScoreOptions",
    "Scores",
    "normalize_for_wer",
    "score_instances",
    "score_output",
]

log = logging.getLogger("simulagent.eval")

LATENCY_METRICS = ("AL", "LAAL", "AP", "DAL", "ATD", "StartOffset", "EndOffset", "RTF", "NumChunks")
QUALITY_METRICS = ("BLEU", "chrF", "TER", "WER", "WER_NORM", "ASR_BLEU")
DEFAULT_LATENCY = ("LAAL", "AL", "AP", "DAL", "ATD")  # SimulEval's default list, in its order
DEFAULT_QUALITY = ("BLEU",)


@dataclass(frozen=True)
class ScoreOptions:
    """What to score and how (flags named as SimulEval names them).

    Attributes:
        latency_metrics: names from LATENCY_METRICS.
        quality_metrics: names from QUALITY_METRICS.
        latency_unit: unit of text latency: "word", "char" or "spm".
        spm_model: sentencepiece model file for the "spm" unit.
        use_ref_len: use the reference length as |Y| (SimulEval's default; --no-use-ref-len turns it off).
        computation_aware: also compute the `_CA` variants from elapsed times (plain metrics stay plain).
        sacrebleu_tokenizer: sacrebleu's tokenizer name ("13a", "zh", "ja-mecab", "none", ...).
    """

    latency_metrics: tuple[str, ...] = DEFAULT_LATENCY
    quality_metrics: tuple[str, ...] = DEFAULT_QUALITY
    latency_unit: Literal["word", "char", "spm"] = "word"
    spm_model: str = ""
    use_ref_len: bool = True
    computation_aware: bool = False
    sacrebleu_tokenizer: str = "13a"

    def __post_init__(self) -> None:
        for name in self.latency_metrics:
            if name not in LATENCY_METRICS:
                raise EvalError(f"unknown latency metric {name!r}; known: {', '.join(LATENCY_METRICS)}")
        for name in self.quality_metrics:
            if name not in QUALITY_METRICS:
                raise EvalError(f"unknown quality metric {name!r}; known: {', '.join(QUALITY_METRICS)}")
        if self.latency_unit == "spm" and not self.spm_model:
            raise EvalError("--eval-latency-unit spm needs --eval-latency-spm-model")


@dataclass(frozen=True)
class Scores:
    """Corpus scores (metric name -> value, in output order), per-instance latency, and sacrebleu's signatures."""

    corpus: dict[str, float]
    per_instance: list[dict[str, Any]] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)
    skipped: tuple[int, ...] = ()


def _load_spm(path: str) -> Any:
    try:
        import sentencepiece
    except ImportError:
        raise EvalError("the spm latency unit needs the sentencepiece package (pip install sentencepiece)") from None
    if not Path(path).is_file():
        raise EvalError(f"{path}: no such sentencepiece model")
    return sentencepiece.SentencePieceProcessor(model_file=path)


def _instance_latency(
    ins: InstanceLog, name: str, config: RunConfig, options: ScoreOptions, ref_len: int, aware: bool
) -> float:
    timestamps = ins.elapsed if aware else ins.delays
    target_length = float(ref_len) if options.use_ref_len else float(len(timestamps))
    source_length = ins.source_length
    speech_out = config.target_type == "speech"
    intervals = [list(i) for i in ins.intervals] if speech_out else None
    if name == "AL":
        return lat.average_lagging(timestamps, source_length, target_length)
    if name == "LAAL":
        return lat.length_adaptive_average_lagging(timestamps, source_length, target_length)
    if name == "AP":
        return lat.average_proportion(timestamps, source_length, target_length)
    if name == "DAL":
        return lat.differentiable_average_lagging(timestamps, source_length)
    if name == "StartOffset":
        return lat.start_offset(timestamps)
    if name == "EndOffset":
        return lat.end_offset(timestamps, source_length, intervals)
    if name == "RTF":
        return lat.real_time_factor(timestamps, source_length, intervals)
    if name == "NumChunks":
        return float(lat.num_chunks(timestamps))
    if name == "ATD":
        compute_times = None
        if aware:
            # Computation time of each output: growth of (elapsed - delay) since the previous output.
            compute_elapsed = [e - d for e, d in zip(ins.elapsed, ins.delays, strict=True)]
            if any(ins.elapsed):
                compute_times = [c - p for c, p in zip(compute_elapsed, [0.0, *compute_elapsed[:-1]], strict=True)]
            else:
                compute_times = list(ins.elapsed)
        return lat.average_token_delay(
            ins.delays,
            source_type=config.source_type,
            target_type=config.target_type,
            compute_times=compute_times,
            durations=ins.durations if speech_out else None,
        )
    raise EvalError(f"unknown latency metric {name!r}")  # pragma: no cover - checked in ScoreOptions


def score_instances(
    instances: Sequence[InstanceLog],
    config: RunConfig,
    options: ScoreOptions,
    transcriber: Transcriber | None = None,
    transcribe_lang: str = "en",
) -> Scores:
    """Score instances already in memory (see `score_output` for files).

    Raises:
        EvalError: no instance has delays (nothing to score), or ASR-BLEU asked without a transcriber.
    """
    if options.computation_aware and config.source_type == "text":
        raise EvalError("computation-aware latency needs speech input (text input has no wall-clock time line)")
    spm = _load_spm(options.spm_model) if options.latency_unit == "spm" else None
    scorable = [ins for ins in instances if ins.delays]
    skipped = tuple(ins.index for ins in instances if not ins.delays)
    for index in skipped:
        log.warning("instance %d has no delays (empty output): skipped in latency scores", index)
    if options.latency_metrics and not scorable:
        raise EvalError(
            f"none of the {len(instances)} instances has any output delay (every prediction is empty): "
            "latency cannot be computed"
        )
    corpus: dict[str, float] = {}
    signatures: dict[str, str] = {}
    corpus.update(_quality(instances, config, options, signatures, transcriber, transcribe_lang))

    per_instance: list[dict[str, Any]] = [{"index": ins.index} for ins in scorable]
    variants = [(name, False) for name in options.latency_metrics]
    if options.computation_aware:
        variants += [(name, True) for name in options.latency_metrics]
    for name, aware in variants:
        key = f"{name}_CA" if aware else name
        values: list[float] = []
        for row, ins in zip(per_instance, scorable, strict=True):
            if aware and not ins.elapsed:
                log.warning("instance %d has no elapsed times: skipped in %s", ins.index, key)
                continue
            ref_len = reference_length(ins.reference, options.latency_unit, spm) if options.use_ref_len else 0
            value = _instance_latency(ins, name, config, options, ref_len, aware)
            row[key] = value
            values.append(value)
        corpus[key] = _mean(values)
    return Scores(corpus, per_instance, signatures, skipped)


def _mean(values: Sequence[float]) -> float:
    if not values:
        return math.nan
    return math.fsum(values) / len(values)


def _quality(
    instances: Sequence[InstanceLog],
    config: RunConfig,
    options: ScoreOptions,
    signatures: dict[str, str],
    transcriber: Transcriber | None,
    transcribe_lang: str,
) -> dict[str, float]:
    from sacrebleu.metrics import BLEU, CHRF, TER

    results: dict[str, float] = {}
    wanted = list(options.quality_metrics)
    if not wanted:
        return results
    refs = [ins.reference for ins in instances]
    if config.target_type == "speech":
        text_metrics = [m for m in wanted if m != "ASR_BLEU"]
        if text_metrics:
            raise EvalError(f"{', '.join(text_metrics)} need text output; for speech output use ASR_BLEU")
        if transcriber is None:
            raise EvalError("ASR_BLEU needs a speech recogniser (install the speech extra, or pass a transcriber)")
        hyps = [_transcribe(ins, transcriber, transcribe_lang) for ins in instances]
        bleu = BLEU(tokenize=options.sacrebleu_tokenizer)
        results["ASR_BLEU"] = float(bleu.corpus_score(hyps, [refs]).score)
        signatures["ASR_BLEU"] = str(bleu.get_signature())
        return results
    hyps = [ins.prediction for ins in instances]
    for name in wanted:
        if name == "BLEU":
            bleu = BLEU(tokenize=options.sacrebleu_tokenizer)
            results[name] = float(bleu.corpus_score(hyps, [refs]).score)
            signatures[name] = str(bleu.get_signature())
        elif name == "chrF":
            chrf = CHRF()
            results[name] = float(chrf.corpus_score(hyps, [refs]).score)
            signatures[name] = str(chrf.get_signature())
        elif name == "TER":
            ter = TER()
            results[name] = float(ter.corpus_score(hyps, [refs]).score)
            signatures[name] = str(ter.get_signature())
        elif name == "WER":
            results[name] = word_error_rate(hyps, refs)
        elif name == "WER_NORM":
            results[name] = word_error_rate([normalize_for_wer(h) for h in hyps], [normalize_for_wer(r) for r in refs])
        elif name == "ASR_BLEU":
            raise EvalError("ASR_BLEU is for speech output; this run has text output (use BLEU)")
    return results


def word_error_rate(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus WER in percent on raw whitespace-split words (as SimulEval's WER), computed with jiwer."""
    import jiwer

    pairs = [(h, r) for h, r in zip(hypotheses, references, strict=True) if r.split()]
    if not pairs:
        log.warning("every reference is empty: WER is 0")
        return 0.0
    # jiwer's default transform only splits on white space: no lower-casing, punctuation kept, as SimulEval does.
    out = jiwer.process_words([r for _, r in pairs], [h for h, _ in pairs])
    return 100.0 * float(out.wer)


def normalize_for_wer(text: str) -> str:
    """Lower-case, punctuation and symbols dropped (apostrophes inside words kept), spaces collapsed: the usual
    normalisation before an ASR WER (as whisper's basic normaliser), so "Hello, world." and "hello world" match.
    CJK text is split into characters, which makes the WER a character error rate there."""
    import unicodedata

    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text).lower():
        category = unicodedata.category(char)
        if char == "'" or category[0] in "LN":
            out.append(f" {char} " if _is_cjk(char) else char)
        else:
            out.append(" ")
    return " ".join("".join(out).replace(" '", " ").replace("' ", " ").split())


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xAC00 <= code <= 0xD7AF


def _transcribe(ins: InstanceLog, transcriber: Transcriber, lang: str) -> str:
    from simulagent.audio import SAMPLE_RATE_HZ, load_audio

    path = Path(ins.prediction)
    if not path.is_file():
        return ""  # an empty prediction has no wav
    return transcriber.transcribe(load_audio(path), SAMPLE_RATE_HZ, language=lang).strip()


def score_output(
    output_dir: Path, options: ScoreOptions, transcriber: Transcriber | None = None, transcribe_lang: str = "en"
) -> Scores:
    """Score `output_dir` (config.yaml + instances.log) and write scores.tsv and instance_scores.jsonl there."""
    config = read_config(output_dir / "config.yaml")
    instances = read_instances(output_dir / "instances.log")
    if not instances:
        raise EvalError(f"{output_dir / 'instances.log'} holds no instance")
    scores = score_instances(instances, config, options, transcriber, transcribe_lang)
    write_scores(output_dir / "scores.tsv", scores.corpus)
    with (output_dir / "instance_scores.jsonl").open("w", encoding="utf-8") as handle:
        for row in scores.per_instance:
            handle.write(json.dumps(row) + "\n")
    return scores
