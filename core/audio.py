"""Audio loading, checking, resampling and chunking.

Every area hears audio the same way: mono float32 in [-1, 1] at 16 kHz (what Whisper and silero-vad expect), read
with libsndfile (wav, flac, ogg/vorbis/opus, mp3) through `soundfile` and resampled with `soxr`, a real band-limited
resampler. Bad input raises `AudioError` naming the file and the problem, never a bare library traceback.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from simulagent.errors import AudioError
from simulagent.types import AudioChunk, FloatArray

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "SAMPLE_RATE_HZ",
    "check_samples",
    "chunk_samples",
    "load_audio",
    "microphone",
    "play",
    "resample",
    "save_wav",
]

SAMPLE_RATE_HZ = 16_000
"""The rate every speech model of simulagent works at."""

DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024
"""Refuse files larger than this (about 4.6 hours of 16-bit stereo 16 kHz wav); an override exists for archives."""

MIN_SOURCE_RATE_HZ = 1_000
MAX_SOURCE_RATE_HZ = 384_000

_SUFFIXES = {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3"}


def load_audio(
    path: str | Path,
    *,
    sample_rate_hz: int = SAMPLE_RATE_HZ,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> FloatArray:
    """Read an audio file as mono float32 at `sample_rate_hz`.

    Stereo and multichannel audio is down-mixed by averaging the channels; integer PCM is scaled to [-1, 1].

    Args:
        path: a wav, flac, ogg (vorbis or opus) or mp3 file.
        sample_rate_hz: the rate to return, 16 kHz by default.
        max_file_bytes: files larger than this are refused.

    Returns:
        samples, shape (num_samples,), dtype float32.

    Raises:
        AudioError: the file is missing, too large, empty, of an unknown format, has an absurd sample rate, or
            holds NaN or infinite samples.
    """
    import soundfile as sf  # deferred: libsndfile is loaded only when audio is actually read

    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such audio file")
    if not path.is_file():
        raise AudioError(f"{path}: not a regular file")
    size_bytes = path.stat().st_size
    if size_bytes == 0:
        raise AudioError(f"{path}: the file is empty")
    if size_bytes > max_file_bytes:
        raise AudioError(
            f"{path}: the file has {size_bytes / 2**20:.0f} MiB, over the limit of {max_file_bytes / 2**20:.0f} MiB"
        )
    try:
        data, source_rate_hz = sf.read(str(path), dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:
        known = ", ".join(sorted(_SUFFIXES))
        raise AudioError(f"{path}: cannot read it as audio ({exc}); supported formats: {known}") from exc
    except (RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(f"{path}: cannot read it as audio ({exc})") from exc
    if data.shape[0] == 0:
        raise AudioError(f"{path}: the file holds no samples")
    mono = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    try:
        check_samples(mono, source_rate_hz)
    except AudioError as exc:
        raise AudioError(f"{path}: {exc}") from None
    return resample(mono, source_rate_hz, sample_rate_hz)


def check_samples(samples: FloatArray, sample_rate_hz: int) -> None:
    """Raise `AudioError` unless `samples` is usable mono audio.

    Args:
        samples: shape (num_samples,), float32.
        sample_rate_hz: its sample rate.
    """
    if not isinstance(samples, np.ndarray) or samples.ndim != 1:
        shape = getattr(samples, "shape", None)
        raise AudioError(f"expected mono audio as a 1-D array; got shape {shape}")
    if samples.shape[0] == 0:
        raise AudioError("the audio holds no samples")
    if not isinstance(sample_rate_hz, int | np.integer) or not (
        MIN_SOURCE_RATE_HZ <= sample_rate_hz <= MAX_SOURCE_RATE_HZ
    ):
        raise AudioError(
            f"absurd sample rate {sample_rate_hz} Hz (expected {MIN_SOURCE_RATE_HZ}..{MAX_SOURCE_RATE_HZ} Hz)"
        )
    if not np.isfinite(samples).all():
        bad = int((~np.isfinite(samples)).sum())
        raise AudioError(f"the audio holds {bad} NaN or infinite samples")


def resample(samples: FloatArray, from_rate_hz: int, to_rate_hz: int) -> FloatArray:
    """Resample mono float32 audio with soxr's high-quality band-limited resampler.

    Args:
        samples: shape (num_samples,).
        from_rate_hz: rate of `samples`.
        to_rate_hz: wanted rate.

    Returns:
        shape (round(num_samples * to_rate_hz / from_rate_hz),), float32.
    """
    if from_rate_hz == to_rate_hz:
        return np.ascontiguousarray(samples, dtype=np.float32)
    import soxr

    out = soxr.resample(np.ascontiguousarray(samples, dtype=np.float32), from_rate_hz, to_rate_hz, quality="HQ")
    return np.asarray(out, dtype=np.float32)


def chunk_samples(
    samples: FloatArray, sample_rate_hz: int, chunk_ms: float, start_ms: float = 0.0
) -> Iterator[AudioChunk]:
    """Cut audio into consecutive chunks of `chunk_ms` (the last one may be shorter), as a microphone delivers it.

    Chunk boundaries are computed from the chunk index, not accumulated, so 333 ms chunks at 22.05 kHz do not
    drift. Every sample appears in exactly one chunk.
    """
    if not math.isfinite(chunk_ms) or chunk_ms <= 0:
        raise AudioError(f"chunk size must be a positive number of milliseconds; got {chunk_ms!r}")
    total = int(samples.shape[0])
    index = 0
    begin = 0
    while begin < total:
        end = min(total, round((index + 1) * chunk_ms * sample_rate_hz / 1000.0))
        end = max(end, begin + 1)
        yield AudioChunk(
            np.ascontiguousarray(samples[begin:end], dtype=np.float32),
            sample_rate_hz,
            start_ms=start_ms + 1000.0 * begin / sample_rate_hz,
        )
        begin = end
        index += 1


def save_wav(path: str | Path, samples: FloatArray, sample_rate_hz: int) -> Path:
    """Write mono float audio as 16-bit PCM wav (clipped to [-1, 1]); parent folders are created."""
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(samples, -1.0, 1.0), sample_rate_hz, subtype="PCM_16")
    return path


def _sounddevice(what: str) -> Any:
    """The `sounddevice` module (extra `mic`), or a clear error naming what is missing."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: the PortAudio library itself is missing
        raise AudioError(
            f"no {what} ({exc}): pip install 'simulagent[mic]' and the PortAudio library (Debian: libportaudio2)"
        ) from None
    return sounddevice


def microphone(chunk_ms: float = 100.0, seconds: float = 0.0) -> Iterator[tuple[AudioChunk, bool]]:
    """Live 16 kHz chunks from the default input device, each with a flag set on the last one; ends after `seconds`
    (0: at Ctrl-C, with a final empty chunk so a streaming system can commit everything).

    The device is checked here, before any chunk is asked for (so a command fails before loading models).
    """
    sounddevice = _sounddevice("microphone access")
    block = int(SAMPLE_RATE_HZ * chunk_ms / 1000)
    try:
        stream = sounddevice.InputStream(samplerate=SAMPLE_RATE_HZ, channels=1, dtype="float32", blocksize=block)
    except Exception as exc:  # PortAudio reports a missing or busy device with its own error types
        raise AudioError(f"cannot open the microphone: {exc}") from None
    return _capture(stream, block, seconds)


def _capture(stream: Any, block: int, seconds: float) -> Iterator[tuple[AudioChunk, bool]]:
    position_ms = 0.0
    with stream:
        while True:
            try:
                data, _overflowed = stream.read(block)
            except KeyboardInterrupt:
                break
            samples = np.ascontiguousarray(np.asarray(data, dtype=np.float32).reshape(-1))
            chunk = AudioChunk(samples, SAMPLE_RATE_HZ, position_ms)
            position_ms += 1000.0 * samples.shape[0] / SAMPLE_RATE_HZ
            done = 0 < seconds <= position_ms / 1000.0
            yield chunk, done
            if done:
                return
    yield AudioChunk(np.zeros(0, dtype=np.float32), SAMPLE_RATE_HZ, position_ms), True


def play(samples: FloatArray, sample_rate_hz: int) -> None:
    """Play mono audio on the default output device and wait until it has been played."""
    sounddevice = _sounddevice("speaker access")
    sounddevice.play(samples, samplerate=sample_rate_hz)
    sounddevice.wait()
