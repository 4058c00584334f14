"""Our scorer against SimulEval 1.1.4 on logs our runner wrote: its scorer classes to 1e-9 on unrounded values,
and its `simuleval --score-only` command on copies of the output folders (it rounds to 3 decimals)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulagent.eval.instances import InstanceLog, RunConfig
from simulagent.eval.reference import WaitKLookup
from simulagent.eval.runner import RunOptions, run_system
from simulagent.eval.scorer import ScoreOptions, score_instances, score_output

from .conftest import WordEvery, write_lines

simuleval_scorers = pytest.importorskip("simuleval.evaluator.scorers.latency_scorer")
simuleval_instance = pytest.importorskip("simuleval.evaluator.instance")

SIMULEVAL_RIGHT = ("AL", "LAAL", "AP", "DAL", "StartOffset", "EndOffset", "NumChunks")


def _simuleval_value(
    instances: list[InstanceLog], metric: str, unit: str, aware: bool, use_ref_len: bool = True
) -> float:
    logs = {i: simuleval_instance.LogInstance(ins.to_json(), unit) for i, ins in enumerate(instances)}
    scorer = simuleval_scorers.LATENCY_SCORERS_DICT[metric](computation_aware=aware, use_ref_len=use_ref_len)
    return float(scorer(logs))


def _text_run(tmp_path: Path, k: int, unit: str = "word") -> list[InstanceLog]:
    sources = ["a b c d e", "f g", "h i j k l m n o", "p"]
    refs = ["A B C D", "F G H", "H I J K L M N", "P Q"]
    run = RunOptions(
        source=write_lines(tmp_path / "src.txt", sources),
        target=write_lines(tmp_path / "ref.txt", refs),
        output=tmp_path / f"out-k{k}-{unit}",
        latency_unit=unit,  # type: ignore[arg-type]
        show_progress=False,
    )
    return run_system(WaitKLookup(k, {"a": "A", "b": "B"}), run)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("unit", ["word", "char"])
def test_text_to_text_matches_simuleval(tmp_path: Path, k: int, unit: str) -> None:
    instances = _text_run(tmp_path, k, unit)
    for use_ref_len in (True, False):
        options = ScoreOptions(
            latency_metrics=SIMULEVAL_RIGHT, quality_metrics=(), latency_unit=unit, use_ref_len=use_ref_len
        )  # type: ignore[arg-type]
        ours = score_instances(instances, RunConfig("text", "text"), options).corpus
        for metric in SIMULEVAL_RIGHT:
            assert ours[metric] == pytest.approx(
                _simuleval_value(instances, metric, unit, False, use_ref_len), abs=1e-9
            ), metric


@pytest.mark.parametrize(("segment_ms", "every_ms"), [(320.0, 500.0), (333.0, 450.0)])
def test_speech_to_text_matches_simuleval(
    tmp_path: Path, speech_corpus: tuple[Path, Path], segment_ms: float, every_ms: float
) -> None:
    source, target = speech_corpus
    run = RunOptions(
        source=source,
        target=target,
        output=tmp_path / "out",
        source_type="speech",
        source_segment_size_ms=segment_ms,
        show_progress=False,
    )
    instances = run_system(WordEvery(every_ms, words_per_unit=2), run)
    assert [ins.source_length for ins in instances] == pytest.approx([2100.0, 1700.0, 3050.0])
    metrics = (*SIMULEVAL_RIGHT, "ATD", "RTF")
    options = ScoreOptions(latency_metrics=metrics, quality_metrics=(), computation_aware=True)
    ours = score_instances(instances, RunConfig("speech", "text"), options).corpus
    for metric in metrics:
        assert ours[metric] == pytest.approx(_simuleval_value(instances, metric, "word", False), abs=1e-9), metric
        # Computation-aware variants: SimulEval's scorer with computation_aware=True.
        assert ours[f"{metric}_CA"] == pytest.approx(_simuleval_value(instances, metric, "word", True), abs=1e-9), (
            metric
        )
    # Plain metrics stay plain under --computation-aware (SimulEval 1.1.4 makes them computation-aware too).
    assert ours["AL"] != ours["AL_CA"]


def test_speech_to_speech_matches_simuleval(tmp_path: Path, speech_corpus: tuple[Path, Path]) -> None:
    source, target = speech_corpus
    run = RunOptions(
        source=source,
        target=target,
        output=tmp_path / "out",
        source_type="speech",
        target_type="speech",
        show_progress=False,
    )
    instances = run_system(WordEvery(600.0, speak=True), run)
    assert all(Path(ins.prediction).is_file() for ins in instances)
    assert all(len(ins.intervals) == len(ins.delays) == len(ins.durations) for ins in instances)
    metrics = ("AL", "LAAL", "AP", "DAL", "StartOffset", "EndOffset", "NumChunks")
    ours = score_instances(
        instances, RunConfig("speech", "speech"), ScoreOptions(latency_metrics=metrics, quality_metrics=())
    ).corpus
    for metric in metrics:
        assert ours[metric] == pytest.approx(_simuleval_value(instances, metric, "word", False), abs=1e-9), metric


def test_delays_beyond_the_source_and_empty_predictions(tmp_path: Path) -> None:
    lines = [
        {
            "index": 0,
            "prediction": "a b",
            "delays": [12, 14],
            "elapsed": [0, 0],
            "prediction_length": 2,
            "reference": "a b c",
            "source": "x",
            "source_length": 10,
        },
        {
            "index": 1,
            "prediction": "",
            "delays": [],
            "elapsed": [],
            "prediction_length": 0,
            "reference": "a",
            "source": "x",
            "source_length": 4,
        },
        {
            "index": 2,
            "prediction": "a b c",
            "delays": [1, 4, 9],
            "elapsed": [0, 0, 0],
            "prediction_length": 3,
            "reference": "a  b",
            "source": "x",
            "source_length": 4,
        },
    ]
    instances = [InstanceLog.from_json(json.dumps(line)) for line in lines]
    options = ScoreOptions(latency_metrics=SIMULEVAL_RIGHT, quality_metrics=())
    scores = score_instances(instances, RunConfig("text", "text"), options)
    assert scores.skipped == (1,)
    with_delays = [ins for ins in instances if ins.delays]
    for metric in SIMULEVAL_RIGHT:
        assert scores.corpus[metric] == pytest.approx(_simuleval_value(with_delays, metric, "word", False), abs=1e-9), (
            metric
        )
    # Instance 0: d_1 = 12 > |X| = 10, so AL = 12. Instance 2: "a  b" counts 3 words (split on single spaces,
    # as SimulEval does), gamma = 3/4, tau = 2: ((1 - 0) + (4 - 4/3)) / 2.
    assert scores.corpus["AL"] == pytest.approx((12 + ((1 - 0) + (4 - 4 / 3)) / 2) / 2)


def _simuleval_cli(output: Path, *extra: str) -> dict[str, float]:
    exe = Path(sys.executable).with_name("simuleval")
    result = subprocess.run(
        [str(exe), "--score-only", "--output", str(output), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # --score-only prints its results as a one-row pandas table: a header line, then "0  v1  v2 ...".
    header, values = [line for line in result.stdout.splitlines() if line.strip()][-2:]
    return {k: float(v) for k, v in zip(header.split(), values.split()[1:], strict=True)}


@pytest.mark.slow
def test_simuleval_accepts_our_logs(tmp_path: Path, speech_corpus: tuple[Path, Path]) -> None:
    source, target = speech_corpus
    # (folder, latency metrics, our quality metrics); SimulEval always scores BLEU (on wav paths for speech output,
    # a number we do not reproduce).
    runs: list[tuple[Path, tuple[str, ...], tuple[str, ...]]] = []
    t2t = tmp_path / "t2t"
    run_system(
        WaitKLookup(2),
        RunOptions(
            source=write_lines(tmp_path / "s.txt", ["a b c d", "e f g"]),
            target=write_lines(tmp_path / "t.txt", ["a b c d", "e f x"]),
            output=t2t,
            show_progress=False,
        ),
    )
    runs.append((t2t, ("AL", "LAAL", "AP", "DAL"), ("BLEU",)))
    s2t = tmp_path / "s2t"
    run_system(
        WordEvery(500.0),
        RunOptions(source=source, target=target, output=s2t, source_type="speech", show_progress=False),
    )
    runs.append((s2t, ("AL", "LAAL", "AP", "DAL", "ATD", "StartOffset", "EndOffset"), ("BLEU",)))
    s2s = tmp_path / "s2s"
    run_system(
        WordEvery(600.0, speak=True),
        RunOptions(
            source=source, target=target, output=s2s, source_type="speech", target_type="speech", show_progress=False
        ),
    )
    runs.append((s2s, ("AL", "LAAL", "StartOffset", "EndOffset"), ()))
    for output, metrics, quality in runs:
        copy = tmp_path / f"{output.name}-copy"
        shutil.copytree(output, copy)  # simuleval rewrites config.yaml: score a copy
        theirs = _simuleval_cli(copy, "--quality-metrics", "BLEU", "--latency-metrics", *metrics)
        ours = score_output(output, ScoreOptions(latency_metrics=metrics, quality_metrics=quality)).corpus
        for name in (*quality, *metrics):
            assert ours[name] == pytest.approx(theirs[name], abs=6e-4), (output.name, name)
        assert (output / "scores.tsv").read_text().splitlines()[0].split("\t") == [*quality, *metrics]
