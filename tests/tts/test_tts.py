"""Streaming TTS: where text is cut, normalisation, synthesis with espeak-ng and the bundled Piper voice,
contiguous timestamps, barge-in, and speech-to-speech output that the evaluator accepts."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from simulagent.models.tts import (
    AggregatorOptions,
    SpeakableAggregator,
    SpeechToSpeechSystem,
    StreamingTTS,
    TTSCapabilities,
    normalize_for_speech,
    synthesize_units,
)
from simulagent.types import SpeechSegment, SystemSpec, TextSegment


def _feed(pieces: list[str], **options: int) -> list[str]:
    aggregator = SpeakableAggregator(AggregatorOptions(**options))
    units: list[str] = []
    for piece in pieces:
        units += aggregator.push(piece)
    return units + aggregator.flush()


def test_cuts_at_clauses_in_both_languages() -> None:
    assert _feed(["你好，", "今天天气", "很好。明天", "呢？"], first_cut_max_words=0) == [
        "你好，",
        "今天天气很好。",
        "明天呢？",
    ]
    assert _feed(["Hello, ", "how are", " you? Fine."], first_cut_max_words=0) == ["Hello,", "how are you?", "Fine."]


def test_never_cuts_numbers_abbreviations_or_urls() -> None:
    stream = [
        "It costs 3",
        ".",
        "5 euros",
        ", Dr",
        ". Smith said",
        ". See https://example",
        ".com/a.b for 1",
        ",000 more",
        ".",
    ]
    assert _feed(stream, first_cut_max_words=0) == [
        "It costs 3.5 euros,",
        "Dr. Smith said.",
        "See https://example.com/a.b for 1,000 more.",
    ]
    assert _feed(["价格是3", ".5元，", "好的。"], first_cut_max_words=0) == ["价格是3.5元，", "好的。"]


def test_first_unit_is_cut_early_without_punctuation() -> None:
    units = _feed(["so I was thinking that we could maybe go ", "to the park tomorrow and then"], first_cut_max_words=4)
    assert units[0] == "so I was thinking" and len(units) == 2
    assert _feed(["一二三四五六七八九十十一十二十三"], first_cut_max_words=3)[0] == "一二三四五六"


def test_normalisation() -> None:
    assert normalize_for_speech("It is 3.5% warmer, 25 km away, at 10:30 on 2024-05-01.", "en") == (
        "It is three point five percent warmer, twenty-five kilometers away, "
        "at ten thirty on May first, twenty twenty-four."
    )
    assert (
        normalize_for_speech("气温25.5度，涨了30%，2024-05-01 10:00", "zh")
        == "气温二十五点五度，涨了百分之三十，二零二四年五月一日 十点整"
    )
    assert normalize_for_speech("Bonjour 3", "fr") == "Bonjour 3"


class FakeVoice:
    """100 ms of audio per 10 characters, instantly."""

    capabilities = TTSCapabilities("fake", ("*",), 16_000)

    def synthesize(self, text: str, lang: str) -> Iterator[np.ndarray]:
        yield np.full(max(1, len(text) // 10) * 1600, 0.1, dtype=np.float32)


def test_chunks_are_contiguous_and_carry_their_words() -> None:
    chunks = list(synthesize_units(FakeVoice(), ["first unit here.", "second one, a bit longer."], "en"))
    assert [c.text for c in chunks] == ["first unit here.", "second one, a bit longer."]
    for a, b in itertools.pairwise(chunks):
        assert b.start_ms == pytest.approx(a.start_ms + a.duration_ms)


def test_barge_in_never_plays_a_dropped_chunk() -> None:
    tts = StreamingTTS(FakeVoice(), "en", AggregatorOptions(first_cut_max_words=0))
    for i in range(20):
        tts.push(f"Sentence number {i} is here. ")
    first = tts.next_chunk(timeout_s=5)
    second = tts.next_chunk(timeout_s=5)
    assert first is not None and second is not None
    heard = tts.stop()
    assert heard == "Sentence number 0 is here. Sentence number 1 is here."
    assert tts.next_chunk(timeout_s=0.2) is None
    tts.push("more text.")
    assert tts.next_chunk(timeout_s=0.2) is None


def test_streaming_finishes_with_everything_spoken() -> None:
    tts = StreamingTTS(FakeVoice(), "en")
    for word in ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten."]:
        tts.push(word + " ")
    tts.finish()
    chunks = list(tts.chunks())
    assert " ".join(c.text for c in chunks if c.text) == "one two three four five six seven eight nine ten."


def test_espeak_speaks_chinese_and_english() -> None:
    pytest.importorskip("espeakng_loader")
    from simulagent.models.tts.backends import EspeakBackend

    backend = EspeakBackend()
    zh = np.concatenate(list(backend.synthesize("你好，世界。", "zh")))
    en = np.concatenate(list(backend.synthesize("hello world", "en")))
    rate = backend.capabilities.sample_rate_hz
    assert 0.3 < zh.shape[0] / rate < 5 and 0.3 < en.shape[0] / rate < 5
    assert np.abs(zh).max() > 0.05


@pytest.mark.slow
def test_bundled_piper_voice() -> None:
    pytest.importorskip("piper")
    from simulagent.models.tts.backends import PiperBackend

    backend = PiperBackend()
    assert backend.capabilities.sample_rate_hz == 22_050
    start = time.perf_counter()
    audio = np.concatenate(list(backend.synthesize("The weather in Shanghai will be sunny tomorrow.", "en")))
    assert time.perf_counter() - start < 30
    assert 1.5 < audio.shape[0] / 22_050 < 6


class CountingWords:
    """Speech in; writes "wordN" for every 400 ms of audio."""

    spec = SystemSpec("counting", "speech", "text")

    def new_state(self) -> dict[str, float]:
        return {"ms": 0.0, "written": 0.0, "finished": 0.0, "done": 0.0}

    def reset(self, state: dict[str, float]) -> None:
        state.update(self.new_state())

    def push(self, segment: SpeechSegment | TextSegment, state: dict[str, float]) -> None:
        assert isinstance(segment, SpeechSegment)
        state["ms"] += segment.duration_ms
        state["finished"] = float(segment.finished)

    def pop(self, state: dict[str, float]) -> TextSegment:
        if state["done"]:
            return TextSegment(finished=True)
        if state["written"] < state["ms"] // 400:
            state["written"] += 1
            return TextSegment(f"word{int(state['written'])},")
        if state["finished"]:
            state["done"] = 1
            return TextSegment(finished=True)
        return TextSegment()


def test_speech_to_speech_output_is_scored_by_eval(tmp_path: Path) -> None:
    from simulagent.audio import save_wav
    from simulagent.eval.runner import RunOptions, run_system
    from simulagent.eval.scorer import ScoreOptions, score_output

    save_wav(tmp_path / "a.wav", np.full(16_000 * 2, 0.1, dtype=np.float32), 16_000)
    (tmp_path / "list.txt").write_text("a.wav\n")
    (tmp_path / "ref.txt").write_text("word1 word2 word3 word4 word5\n")
    system = SpeechToSpeechSystem(CountingWords(), FakeVoice(), "en", AggregatorOptions(first_cut_max_words=0))
    out = tmp_path / "out"
    instances = run_system(
        system,
        RunOptions(
            source=tmp_path / "list.txt",
            target=tmp_path / "ref.txt",
            output=out,
            source_type="speech",
            target_type="speech",
            show_progress=False,
        ),
    )
    assert len(instances[0].durations) >= 4 and Path(instances[0].prediction).is_file()
    assert instances[0].delays[0] < 1000  # speech starts while the source is still playing
    scores = score_output(
        out, ScoreOptions(latency_metrics=("StartOffset", "EndOffset", "AL", "LAAL", "ATD"), quality_metrics=())
    )
    assert scores.corpus["StartOffset"] < 1000 and scores.corpus["EndOffset"] > 0
