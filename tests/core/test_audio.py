"""Audio loading: every supported format, down-mixing, scaling, resampling, and every error path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from simulagent.audio import SAMPLE_RATE_HZ, check_samples, chunk_samples, load_audio, resample, save_wav
from simulagent.errors import AudioError, UserError


def _tone(rate_hz: int, seconds: float = 0.5, freq_hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return (0.5 * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


@pytest.mark.parametrize(
    ("suffix", "fmt", "subtype"),
    [
        (".wav", "WAV", "PCM_16"),
        (".wav", "WAV", "PCM_24"),
        (".wav", "WAV", "FLOAT"),
        (".flac", "FLAC", "PCM_16"),
        (".ogg", "OGG", "VORBIS"),
        (".mp3", "MP3", "MPEG_LAYER_III"),
    ],
)
def test_loads_common_formats_to_16k_mono(tmp_path: Path, suffix: str, fmt: str, subtype: str) -> None:
    path = tmp_path / f"tone{suffix}"
    sf.write(str(path), _tone(44_100), 44_100, format=fmt, subtype=subtype)
    samples = load_audio(path)
    assert samples.dtype == np.float32 and samples.ndim == 1
    # Lossy codecs add priming/padding samples: allow a few tens of milliseconds.
    assert abs(samples.shape[0] - SAMPLE_RATE_HZ // 2) < 0.06 * SAMPLE_RATE_HZ
    rms = float(np.sqrt(np.mean(samples[2000:6000] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


def test_int_pcm_is_scaled(tmp_path: Path) -> None:
    path = tmp_path / "full.wav"
    sf.write(str(path), np.full(1600, 32767, dtype=np.int16), 16_000, subtype="PCM_16")
    samples = load_audio(path)
    assert samples.max() == pytest.approx(1.0, abs=1e-4)


def test_stereo_is_downmixed(tmp_path: Path) -> None:
    left = _tone(16_000)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    path = tmp_path / "stereo.wav"
    sf.write(str(path), stereo, 16_000, subtype="FLOAT")
    samples = load_audio(path)
    np.testing.assert_allclose(samples, left / 2, atol=1e-6)


def test_resampling_preserves_a_tone() -> None:
    out = resample(_tone(22_050, seconds=1.0), 22_050, 16_000)
    assert out.shape[0] == 16_000
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1  # 1 s at 16 kHz: bin index == frequency in Hz


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"nope\.wav: no such audio file"):
        load_audio(tmp_path / "nope.wav")


def test_directory_is_not_audio(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not a regular file"):
        load_audio(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.wav: the file is empty"):
        load_audio(path)


def test_wav_without_samples(tmp_path: Path) -> None:
    path = tmp_path / "nosamples.wav"
    sf.write(str(path), np.zeros(0, dtype=np.float32), 16_000)
    with pytest.raises(AudioError, match="no samples"):
        load_audio(path)


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio at all\n" * 20)
    with pytest.raises(AudioError, match=r"notes\.wav: cannot read it as audio.*supported formats"):
        load_audio(path)


def test_nan_samples(tmp_path: Path) -> None:
    samples = _tone(16_000)
    samples[100] = np.nan
    samples[200] = np.inf
    path = tmp_path / "nan.wav"
    sf.write(str(path), samples, 16_000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"nan\.wav: the audio holds 2 NaN or infinite samples"):
        load_audio(path)


def test_absurd_sample_rate(tmp_path: Path) -> None:
    path = tmp_path / "slow.wav"
    sf.write(str(path), np.zeros(100, dtype=np.float32), 100)
    with pytest.raises(AudioError, match=r"slow\.wav: absurd sample rate 100 Hz"):
        load_audio(path)


def test_file_over_size_limit(tmp_path: Path) -> None:
    path = save_wav(tmp_path / "big.wav", _tone(16_000), 16_000)
    with pytest.raises(AudioError, match=r"big\.wav: the file has .* over the limit"):
        load_audio(path, max_file_bytes=1000)


def test_audio_error_is_a_user_error() -> None:
    assert issubclass(AudioError, UserError)


@pytest.mark.parametrize(
    ("samples", "rate", "message"),
    [
        (np.zeros((2, 2), dtype=np.float32), 16_000, "1-D"),
        (np.zeros(0, dtype=np.float32), 16_000, "no samples"),
        (np.zeros(4, dtype=np.float32), 10**7, "absurd sample rate"),
        (np.array([0.0, np.nan], dtype=np.float32), 16_000, "NaN"),
    ],
)
def test_check_samples(samples: np.ndarray, rate: int, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        check_samples(samples, rate)


@pytest.mark.parametrize(("rate", "chunk_ms"), [(16_000, 320), (16_000, 333), (22_050, 333), (8_000, 1000)])
def test_chunking_covers_every_sample_without_drift(rate: int, chunk_ms: int) -> None:
    samples = np.arange(rate * 3 + 17, dtype=np.float32)
    chunks = list(chunk_samples(samples, rate, chunk_ms))
    np.testing.assert_array_equal(np.concatenate([c.samples for c in chunks]), samples)
    for i, chunk in enumerate(chunks):
        assert chunk.start_ms == pytest.approx(1000.0 * int(chunk.samples[0]) / rate)
        if i < len(chunks) - 1:
            assert abs(chunk.duration_ms - chunk_ms) <= 1000.0 / rate + 1e-9
    assert chunks[-1].end_ms == pytest.approx(1000.0 * samples.shape[0] / rate)


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(AudioError, match="chunk size"):
        list(chunk_samples(np.zeros(10, dtype=np.float32), 16_000, 0))


def test_loads_real_speech(shared_data: Path) -> None:
    samples = load_audio(shared_data / "simuleval-example" / "test.wav")
    assert samples.shape[0] > SAMPLE_RATE_HZ  # more than a second of speech
    mp3 = sorted((shared_data / "cvss-fr-en-sample").glob("*.mp3"))[0]
    assert load_audio(mp3).shape[0] > SAMPLE_RATE_HZ
