"""The runner (resume, errors), the scorer's deliberate fixes, sweeps and the `simulagent eval` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulagent.cli import main
from simulagent.eval.instances import EvalError, InstanceLog, RunConfig, read_instances
from simulagent.eval.reference import WaitKLookup, make_waitk_lookup
from simulagent.eval.runner import RunOptions, load_system, run_system
from simulagent.eval.scorer import ScoreOptions, score_instances

from .conftest import WordEvery, write_lines

SOURCES = ["a b c d e", "f g h", "i j k l"]
REFS = ["a b c d e", "f g h", "i j k l"]


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    return write_lines(tmp_path / "src.txt", SOURCES), write_lines(tmp_path / "ref.txt", REFS)


def test_wait_k_delays(tmp_path: Path) -> None:
    source, target = _corpus(tmp_path)
    instances = run_system(
        WaitKLookup(2), RunOptions(source=source, target=target, output=tmp_path / "o", show_progress=False)
    )
    assert instances[0].delays == (2, 3, 4, 5, 5)
    assert instances[0].prediction == "a b c d e" and instances[0].source_length == 5
    assert instances[0].elapsed == (0, 0, 0, 0, 0)


def test_interrupted_run_resumes_without_redoing_instances(tmp_path: Path) -> None:
    source, target = _corpus(tmp_path)
    out = tmp_path / "o"
    run_system(WaitKLookup(1), RunOptions(source=source, target=target, output=out, end_index=2, show_progress=False))
    with (out / "instances.log").open("a") as handle:
        handle.write('{"index": 2, "predic')  # killed mid-write
    calls: list[int] = []

    class Counting(WaitKLookup):
        def new_state(self):  # type: ignore[no-untyped-def]
            calls.append(1)
            return super().new_state()

    instances = run_system(Counting(1), RunOptions(source=source, target=target, output=out, show_progress=False))
    assert [ins.index for ins in instances] == [0, 1, 2]
    assert len(calls) == 1  # only the unfinished instance ran again
    assert [ins.index for ins in read_instances(out / "instances.log")] == [0, 1, 2]


def test_mismatched_counts_and_missing_files(tmp_path: Path) -> None:
    source, _ = _corpus(tmp_path)
    short = write_lines(tmp_path / "short.txt", ["A"])
    with pytest.raises(EvalError, match=r"has 3 lines but .*short\.txt has 1"):
        run_system(WaitKLookup(1), RunOptions(source=source, target=short, output=tmp_path / "o", show_progress=False))
    with pytest.raises(EvalError, match="no such source file"):
        run_system(
            WaitKLookup(1),
            RunOptions(source=tmp_path / "nope.txt", target=None, output=tmp_path / "o", show_progress=False),
        )
    wavs = write_lines(tmp_path / "wavs.txt", ["missing.wav"])
    with pytest.raises(EvalError, match=r"missing\.wav: no such audio file"):
        run_system(
            WordEvery(),
            RunOptions(source=wavs, target=None, output=tmp_path / "s", source_type="speech", show_progress=False),
        )


def test_system_type_must_match_the_run(tmp_path: Path) -> None:
    source, target = _corpus(tmp_path)
    with pytest.raises(EvalError, match="speech-to-text, but the run asks for text-to-text"):
        run_system(WordEvery(), RunOptions(source=source, target=target, output=tmp_path / "o", show_progress=False))


def test_load_system_by_name_and_path() -> None:
    assert load_system("waitk-lookup", {"k": "2"}).spec.name == "waitk-lookup-k2"
    assert load_system("simulagent.eval.reference:make_waitk_lookup", {"k": "4"}).spec.name == "waitk-lookup-k4"
    with pytest.raises(EvalError, match="unknown system 'nope'"):
        load_system("nope")
    with pytest.raises(EvalError, match="cannot import"):
        load_system("no_such_module_xyz:f")
    with pytest.raises(EvalError, match="k must be an integer"):
        make_waitk_lookup(k="two")
    with pytest.raises(EvalError, match=r"cannot build system 'whisper-alignatt'.*compute_type must be one of"):
        load_system("whisper-alignatt", {"compute_type": "int7"})


def test_atd_of_text_logs_uses_the_text_branch() -> None:
    ins = InstanceLog(
        index=0, prediction="a b c", delays=(1, 2, 3), elapsed=(0, 0, 0), reference="a b c", source_length=3
    )
    scores = score_instances(
        [ins], RunConfig("text", "text"), ScoreOptions(latency_metrics=("ATD",), quality_metrics=())
    )
    assert scores.corpus["ATD"] == pytest.approx(1.0)  # SimulEval 1.1.4 scores this log 0


def test_all_empty_predictions_is_a_clear_error() -> None:
    ins = InstanceLog(index=0, prediction="", delays=(), reference="a", source_length=3)
    with pytest.raises(EvalError, match="none of the 1 instances has any output delay"):
        score_instances([ins], RunConfig("text", "text"), ScoreOptions())


def test_computation_aware_needs_speech_input() -> None:
    ins = InstanceLog(index=0, prediction="a", delays=(1,), reference="a", source_length=1)
    with pytest.raises(EvalError, match="computation-aware latency needs speech input"):
        score_instances([ins], RunConfig("text", "text"), ScoreOptions(computation_aware=True))


def test_quality_metrics() -> None:
    good = InstanceLog(
        index=0,
        prediction="the cat sat on the mat",
        delays=(1,) * 6,
        reference="the cat sat on the mat",
        source_length=6,
    )
    bad = InstanceLog(index=1, prediction="a dog", delays=(1, 2), reference="the cat ran", source_length=3)
    scores = score_instances(
        [good, bad],
        RunConfig("text", "text"),
        ScoreOptions(latency_metrics=(), quality_metrics=("BLEU", "chrF", "TER", "WER")),
    )
    assert 0 < scores.corpus["BLEU"] < 100 and "tok:13a" in scores.signatures["BLEU"]
    assert scores.corpus["WER"] == pytest.approx(100.0 * 3 / 9)  # 2 substitutions + 1 deletion over 9 words
    assert scores.corpus["TER"] > 0 and scores.corpus["chrF"] > 0


def test_normalised_wer_ignores_case_and_punctuation() -> None:
    from simulagent.eval.scorer import normalize_for_wer

    assert normalize_for_wer("Hello, World! It's 3.5 km — 'quoted'.") == "hello world it's 3 5 km quoted"
    assert normalize_for_wer("今天，下雨。") == "今 天 下 雨"
    instance = InstanceLog(index=0, prediction="hello world", delays=(1, 2), reference="Hello, world.", source_length=2)
    scores = score_instances(
        [instance], RunConfig("text", "text"), ScoreOptions(latency_metrics=(), quality_metrics=("WER", "WER_NORM"))
    )
    assert scores.corpus["WER_NORM"] == 0.0 and scores.corpus["WER"] == 100.0


def test_asr_bleu_transcribes_speech_output(tmp_path: Path, speech_corpus: tuple[Path, Path]) -> None:
    source, target = speech_corpus
    out = tmp_path / "s2s"
    instances = run_system(
        WordEvery(600.0, speak=True),
        RunOptions(
            source=source, target=target, output=out, source_type="speech", target_type="speech", show_progress=False
        ),
    )

    class FakeASR:
        def transcribe(self, samples: object, sample_rate_hz: int, language: str = "en") -> str:
            return "w1.0 w2.0 w3.0 w4.0 w5.0 w6.0"

    scores = score_instances(
        instances,
        RunConfig("speech", "speech"),
        ScoreOptions(latency_metrics=("StartOffset",), quality_metrics=("ASR_BLEU",)),
        FakeASR(),
    )
    assert scores.corpus["ASR_BLEU"] > 0
    with pytest.raises(EvalError, match="need text output"):
        score_instances(instances, RunConfig("speech", "speech"), ScoreOptions(quality_metrics=("BLEU",)))


def test_cli_run_score_sweep_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = _corpus(tmp_path)
    out = tmp_path / "run"
    args = [
        "eval",
        "run",
        "--system",
        "waitk-lookup",
        "--system-args",
        "k=2",
        "--source",
        str(source),
        "--target",
        str(target),
        "--output",
        str(out),
        "--no-progress-bar",
    ]
    assert main(args) == 0
    header, values = (out / "scores.tsv").read_text().splitlines()
    assert header.split("\t") == ["BLEU", "LAAL", "AL", "AP", "DAL", "ATD"]
    assert float(values.split("\t")[0]) == pytest.approx(100.0)
    rows = [json.loads(line) for line in (out / "instance_scores.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and "AL" in rows[0]
    assert main(["eval", "score", "--output", str(out), "--latency-metrics", "AL", "--eval-latency-unit", "char"]) == 0
    sweep_out = tmp_path / "sweep"
    assert (
        main(
            [
                "eval",
                "sweep",
                "--system",
                "waitk-lookup",
                "--vary",
                "k=1,2,3",
                "--source",
                str(source),
                "--target",
                str(target),
                "--output",
                str(sweep_out),
                "--no-progress-bar",
            ]
        )
        == 0
    )
    curve = (sweep_out / "curve.tsv").read_text().splitlines()
    assert len(curve) == 4 and curve[1].startswith("waitk-lookup\tk=1")
    assert (sweep_out / "curve.png").stat().st_size > 1000
    assert (
        main(
            [
                "eval",
                "plot",
                str(sweep_out / "curve.tsv"),
                str(sweep_out / "curve.tsv"),
                "-o",
                str(tmp_path / "both.png"),
                "--label",
                "first",
                "--label",
                "second",
            ]
        )
        == 0
    )
    assert (tmp_path / "both.png").is_file()
    one_label = ["eval", "plot", str(sweep_out / "curve.tsv"), str(sweep_out / "curve.tsv"), "--label", "x"]
    assert main([*one_label, "-o", str(tmp_path / "bad.png")]) == 2
    assert "one --label per curve" in capsys.readouterr().err


def test_cli_user_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "score", "--output", str(tmp_path)]) == 2
    assert "no such config" in capsys.readouterr().err
    assert main(["eval", "score", "--output", str(tmp_path), "--latency-metrics", "XYZ"]) == 2
    assert "unknown latency metric 'XYZ'" in capsys.readouterr().err


@pytest.mark.slow
def test_registered_systems_and_transcriber(shared_data: Path) -> None:
    pytest.importorskip("faster_whisper")
    from simulagent.audio import load_audio
    from simulagent.eval._asr import default_transcriber
    from simulagent.signals import Transcriber

    system = load_system("whisper-fast", {"task": "translate", "source_lang": "fr"})
    assert system.spec.source_type == "speech" and system.spec.target_lang == "en"
    transcriber = default_transcriber()
    assert isinstance(transcriber, Transcriber)
    text = transcriber.transcribe(load_audio(shared_data / "simuleval-example" / "test.wav"), 16_000, "en")
    # "synthesized" is heard as "emphasized" on some CPUs (int8 kernels differ with AVX-512 VNNI): not checked.
    assert "audio file to test your simultaneous speech" in text.lower()
