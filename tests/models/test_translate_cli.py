"""`simulagent translate`: end to end on real audio with the bundled tiny.en, and its user errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulagent.audio import save_wav
from simulagent.cli import main

from .test_backends import word_error_rate

# tiny.en misses 6-7 of the 20 words of this synthetic clip (the reference itself misspells "speach").
TINY_EN_MAX_WER = 0.35


@pytest.fixture
def english_wav(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = shared_data / "simuleval-example" / "test.wav"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    # Fixed steps: the adaptive step follows the machine's speed, so on a busy machine the words (and when they
    # come) would depend on the load.
    import dataclasses

    from simulagent.models.asr import _systems

    fixed = dataclasses.replace(_systems.PRESETS["fast"], max_compute_ratio=0.0)
    monkeypatch.setitem(_systems.PRESETS, "fast", fixed)
    return path


@pytest.mark.slow
def test_transcribe_prints_commits_and_writes_a_log(
    english_wav: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("faster_whisper")
    log = tmp_path / "run.json"
    argv = ["translate", str(english_wav), "--from", "en", "--model", "bundled:tiny.en", "--log", str(log)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 2
    assert all(line.startswith("[") and " s] " in line for line in lines)
    document = json.loads(log.read_text())
    assert document["settings"]["task"] == "transcribe"
    outputs = document["outputs"]
    assert outputs[-1]["finished"]
    assert [o["source_ms"] for o in outputs] == sorted(o["source_ms"] for o in outputs)
    text = " ".join(o["text"] for o in outputs if o["text"])
    transcript = (english_wav.parent / "transcript.txt").read_text()
    assert word_error_rate(transcript, text) <= TINY_EN_MAX_WER


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "en", "--to", "de"], "into English only"),
        (["--from", "fr", "--model", "bundled:tiny.en"], "English-only"),
        (["--from", "en", "--policy", "wait-k", "--latency", "1.5"], "is an integer"),
        (["--from", "en", "--latency", "1.5"], "integer >= 1"),
        (["--from", "en", "--policy", "ctc-rule"], "cannot drive Whisper speech translation"),
        (["--from", "en", "--policy", "alignatt", "--latency", "-1"], "integer >= 1"),
        (["--from", "en", "--chunk-ms", "5"], "chunk-ms"),
        (["--from", "zz", "--to", "en"], "unsupported source language 'zz'"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audio = tmp_path / "tone.wav"
    t = np.arange(16_000, dtype=np.float32) / 16_000
    save_wav(audio, (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16_000)
    assert main(["translate", str(audio), "--no-log", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_silence_is_refused_before_any_model_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audio = tmp_path / "silence.wav"
    save_wav(audio, np.zeros(16_000, dtype=np.float32), 16_000)
    assert main(["translate", str(audio), "--from", "en", "--no-log"]) == 2
    assert "silent" in capsys.readouterr().err


def test_missing_file_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["translate", str(tmp_path / "nope.wav"), "--no-log"]) == 2
    assert "no such audio file" in capsys.readouterr().err


@pytest.mark.slow
def test_a_registry_count_policy_drives_the_system(english_wav: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("faster_whisper")
    argv = ["translate", str(english_wav), "--from", "en", "--model", "bundled:tiny.en", "--no-log"]
    assert main([*argv, "--policy", "wait-k", "--latency", "3", "--chunk-ms", "500"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("[   1.50 s]")  # wait-3 on 500 ms chunks: the first word after 1.5 s
    transcript = (english_wav.parent / "transcript.txt").read_text()
    assert word_error_rate(transcript, " ".join(line.split("] ", 1)[1] for line in lines)) <= TINY_EN_MAX_WER


@pytest.mark.slow
def test_speak_writes_simultaneous_speech(english_wav: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("espeakng_loader")
    import soundfile as sf

    monkeypatch.setenv("SIMULAGENT_TTS__BACKEND", "espeak")  # instant, so the test stays short
    out = tmp_path / "speech.wav"
    argv = [
        "translate",
        str(english_wav),
        "--from",
        "en",
        "--model",
        "bundled:tiny.en",
        "--no-log",
        "--speak",
        str(out),
    ]
    assert main(argv) == 0
    audio, rate = sf.read(str(out))
    assert rate == 22_050 and audio.shape[0] / rate > 2.0
    # Speech starts while the source (6.85 s) is still playing.
    first_sound = int(np.argmax(np.abs(audio) > 0.01))
    assert first_sound / rate < 6.85


class _FakeInputStream:
    """sounddevice.InputStream over a recording: what a microphone would deliver, block by block."""

    audio: np.ndarray = np.zeros(0, dtype=np.float32)

    def __init__(self, samplerate: int, channels: int, dtype: str, blocksize: int) -> None:
        assert (samplerate, channels, dtype) == (16_000, 1, "float32")
        self.position = 0

    def __enter__(self) -> _FakeInputStream:
        return self

    def __exit__(self, *args: object) -> None:
        pass

    def read(self, frames: int) -> tuple[np.ndarray, bool]:
        block = self.audio[self.position : self.position + frames]
        self.position += frames
        if block.size < frames:
            block = np.concatenate([block, np.zeros(frames - block.size, dtype=np.float32)])
        return block.reshape(-1, 1), False


def test_microphone_needs_sounddevice(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as if it were not installed
    assert main(["translate", "mic", "--from", "en", "--no-log"]) == 2
    assert "simulagent[mic]" in capsys.readouterr().err


@pytest.mark.slow
def test_microphone_input_is_transcribed_live(
    english_wav: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys
    import types

    from simulagent.audio import load_audio

    pytest.importorskip("faster_whisper")
    _FakeInputStream.audio = load_audio(english_wav)
    fake = types.ModuleType("sounddevice")
    fake.InputStream = _FakeInputStream  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "sounddevice", fake)
    seconds = _FakeInputStream.audio.shape[0] / 16_000 + 1.0
    argv = ["translate", "mic", "--seconds", f"{seconds:.1f}", "--from", "en", "--model", "bundled:tiny.en"]
    assert main([*argv, "--no-log"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    heard = " ".join(line.split("] ", 1)[-1] for line in lines)
    assert word_error_rate((english_wav.parent / "transcript.txt").read_text(), heard) <= TINY_EN_MAX_WER
