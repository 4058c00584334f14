"""One conformance test run over every registered speech backend, plus the CTranslate2 backend's specifics."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulagent.errors import UserError
from simulagent.models.asr import (
    BACKENDS,
    BackendOptions,
    DecodeRequest,
    SpeechBackend,
    _registry,
    decode_all,
    default_compute_type,
    load_backend,
    single_stream_intra_threads,
)
from simulagent.models.asr._ctranslate2 import cut_repetition
from simulagent.signals import Transcriber
from simulagent.types import FloatArray


def word_error_rate(reference: str, hypothesis: str) -> float:
    import jiwer

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).strip()

    return float(jiwer.wer(norm(reference), norm(hypothesis)))


def test_cut_repetition_keeps_one_copy_of_a_loop() -> None:
    assert cut_repetition([1, 2, 3, 4, 2, 3, 4, 2, 3, 4, 2]) == [1, 2, 3, 4]
    assert cut_repetition([5, 5, 6, 7]) == [5, 5, 6, 7]  # short repeats are speech ("very very")
    assert cut_repetition([]) == []


def test_decode_request_checks_its_fields() -> None:
    bad_task: Any = "summarize"
    with pytest.raises(ValueError, match="task"):
        DecodeRequest(task=bad_task)
    with pytest.raises(ValueError, match="min_encoder_context_ms"):
        DecodeRequest(min_encoder_context_ms=40_000)
    with pytest.raises(ValueError, match="beam_size"):
        DecodeRequest(beam_size=0)


def test_backend_options_check_the_threads() -> None:
    with pytest.raises(ValueError, match="intra_threads"):
        BackendOptions(num_threads=2, intra_threads=3)
    with pytest.raises(ValueError, match="intra_threads"):
        BackendOptions(num_threads=2, intra_threads=-1)
    with pytest.raises(ValueError, match="num_threads"):
        BackendOptions(num_threads=0)


def test_single_stream_threads_follow_the_cpus_matrix_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One thread per replica where CTranslate2 uses Intel MKL, one replica on all threads with oneDNN unless the
    CPU has AVX-512 VNNI; the variable CTranslate2 itself reads decides the library when set."""
    cpuinfo = tmp_path / "cpuinfo"
    monkeypatch.setattr(_registry, "_CPUINFO", cpuinfo)
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 fma\n\n", encoding="utf-8")
    monkeypatch.setenv("CT2_USE_MKL", "1")
    assert single_stream_intra_threads(4) == 1
    monkeypatch.setenv("CT2_USE_MKL", "0")
    assert single_stream_intra_threads(4) == 4
    cpuinfo.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512f avx512_vnni\n\n", encoding="utf-8"
    )
    assert single_stream_intra_threads(4) == 1  # a Zen 5 EPYC: oneDNN's int8 decoding is faster on one thread


@pytest.mark.parametrize(
    ("vendor", "family", "model", "device", "intra_threads", "expected"),
    [
        ("AuthenticAMD", 23, 1, "cpu", 2, "float32"),  # Zen 1: int8 does not gain from the second thread
        ("AuthenticAMD", 23, 8, "cpu", 2, "float32"),  # Zen+
        ("AuthenticAMD", 23, 1, "cpu", 1, "int8"),  # one thread: int8 as fast, a quarter of the memory
        ("AuthenticAMD", 23, 1, "cuda", 2, "int8"),
        ("AuthenticAMD", 23, 0x31, "cpu", 2, "int8"),  # Zen 2
        ("AuthenticAMD", 25, 1, "cpu", 2, "int8"),  # Zen 3
        ("AuthenticAMD", 26, 2, "cpu", 2, "int8"),  # Zen 5: a tie, and int8 is a quarter of the memory
        ("GenuineIntel", 6, 143, "cpu", 2, "int8"),
    ],
)
def test_auto_compute_type_is_float32_only_where_int8_was_measured_slower(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    vendor: str,
    family: int,
    model: int,
    device: str,
    intra_threads: int,
    expected: str,
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        f"processor\t: 0\nvendor_id\t: {vendor}\ncpu family\t: {family}\nmodel\t\t: {model}\n\n"
        "processor\t: 1\nvendor_id\t: other\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(_registry, "_CPUINFO", cpuinfo)
    assert default_compute_type(device, intra_threads) == expected


@pytest.mark.slow
def test_ctranslate2_replicas_decode_side_by_side(
    tiny_backend: SpeechBackend, english_example: tuple[FloatArray, str]
) -> None:
    """Two replicas (the server's choice), no lock: concurrent decodes, as the server's sessions run them, give
    what one decode alone gives."""
    from concurrent.futures import ThreadPoolExecutor

    replicas = load_backend(BackendOptions(model="bundled:tiny.en", num_threads=2, intra_threads=1))
    auto = load_backend(BackendOptions(model="bundled:tiny.en", num_threads=2, intra_threads=0))
    # 0 is resolved before the cache: it is the backend of the count it stands for, loaded once.
    assert auto is load_backend(
        BackendOptions(model="bundled:tiny.en", num_threads=2, intra_threads=single_stream_intra_threads(2))
    )
    audio, _ = english_example
    request = DecodeRequest(language="en", prefix="This is")
    alone = replicas.decode(audio, request)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: replicas.decode(audio, request), range(4)))
    assert alone.text and all(r.text == alone.text and r.words == alone.words for r in results)


@pytest.mark.slow
def test_ctranslate2_beam_search(tiny_backend: SpeechBackend, english_example: tuple[FloatArray, str]) -> None:
    audio, transcript = english_example
    assert tiny_backend.capabilities.beam_search
    wide = tiny_backend.decode(audio, DecodeRequest(language="en", beam_size=8))
    assert word_error_rate(transcript, wide.text) < 0.35 and wide.words


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_backend_conformance(name: str, english_example: tuple[FloatArray, str]) -> None:
    pytest.importorskip("faster_whisper")
    try:
        backend = load_backend(BackendOptions(backend=name, model="bundled:tiny.en"))
    except UserError as exc:
        pytest.skip(f"bundled tiny.en unavailable: {exc}")
    assert isinstance(backend, SpeechBackend)
    assert isinstance(backend, Transcriber)
    caps = backend.capabilities
    assert caps.name == name
    assert "en" in caps.languages
    assert not caps.translate_to_english  # tiny.en is English-only

    audio, transcript = english_example
    hypothesis = backend.decode(audio, DecodeRequest(language="en"))
    assert word_error_rate(transcript, hypothesis.text) < 0.35
    if caps.word_timestamps:
        times = [(w.start_ms, w.end_ms) for w in hypothesis.words]
        assert times, "word timestamps were asked for"
        starts = [s for s, _ in times]
        assert starts == sorted(starts)
        assert times[-1][1] <= 1000.0 * audio.shape[0] / 16_000 + 500.0
        assert " ".join(w.text for w in hypothesis.words) == hypothesis.text
    if caps.forced_prefix:
        head = " ".join(hypothesis.text.split()[:3])
        continued = backend.decode(audio, DecodeRequest(language="en", prefix=head))
        assert not continued.text.startswith(head)
        assert word_error_rate(transcript, f"{head} {continued.text}") < 0.35
    assert word_error_rate(transcript, backend.transcribe(audio, 16_000, "en")) < 0.35
    # decode_all is how streaming systems decode several streams: batched where declared, one by one otherwise.
    both = decode_all(
        backend, [(audio, DecodeRequest(language="en")), (audio[: 3 * 16_000], DecodeRequest(language="en"))]
    )
    assert both[0].text == hypothesis.text and len(both) == 2
    if caps.batched_decode:
        assert callable(getattr(backend, "decode_batch", None))
    with pytest.raises(UserError, match="cannot translate"):
        backend.decode(audio, DecodeRequest(task="translate", language="en"))
    with pytest.raises(UserError, match="language 'de'"):
        backend.decode(audio, DecodeRequest(language="de"))


@pytest.mark.slow
def test_short_encoder_context_reads_like_the_full_window(
    tiny_backend: SpeechBackend, english_example: tuple[FloatArray, str]
) -> None:
    audio = english_example[0]
    full = tiny_backend.decode(audio[:64_000], DecodeRequest(encoder_context="full", word_timestamps=False))
    short = tiny_backend.decode(audio[:64_000], DecodeRequest(encoder_context="audio", word_timestamps=False))
    assert word_error_rate(full.text, short.text) < 0.2
    assert short.words == ()


@pytest.mark.slow
def test_silence_gives_no_words(tiny_backend: SpeechBackend) -> None:
    hypothesis = tiny_backend.decode(np.zeros(32_000, dtype=np.float32), DecodeRequest(encoder_context="audio"))
    assert len(hypothesis.text.split()) <= 2


@pytest.mark.slow
def test_converted_weights_decode_like_ctranslate2(english_example: tuple[FloatArray, str]) -> None:
    """The CTranslate2 -> Hugging Face conversion: same greedy text as CTranslate2 in float32, with a prefix too."""
    pytest.importorskip("faster_whisper")
    try:
        reference = load_backend(BackendOptions(model="bundled:tiny.en", compute_type="float32"))
        converted = load_backend(BackendOptions(backend="transformers", model="bundled:tiny.en"))
    except UserError as exc:
        pytest.skip(f"bundled tiny.en unavailable: {exc}")
    audio = english_example[0]
    for request in (DecodeRequest(word_timestamps=False), DecodeRequest(prefix="This is an", word_timestamps=False)):
        assert converted.decode(audio, request).text == reference.decode(audio, request).text


@pytest.mark.slow
def test_transformers_backend_exposes_monotonic_cross_attention(english_example: tuple[FloatArray, str]) -> None:
    from simulagent.models.asr._transformers import TransformersBackend

    backend = load_backend(BackendOptions(backend="transformers", model="bundled:tiny.en"))
    assert isinstance(backend, TransformersBackend) and backend.capabilities.cross_attention
    audio = english_example[0]
    hypothesis, attention = backend.decode_with_attention(audio, DecodeRequest())
    assert attention.shape[1] == 1500 and attention.shape[0] >= len(hypothesis.text.split())
    peaks = attention.argmax(axis=1)
    # Later tokens look later in the audio, and never past its end (6.85 s = 342 frames of 20 ms).
    assert peaks[-1] > peaks[0]
    assert np.all(peaks[:-1] <= 360)
    with pytest.raises(ValueError, match="full 30 s window"):
        backend.decode(audio, DecodeRequest(encoder_context="audio"))


@pytest.mark.slow
def test_encoder_windows_come_in_whole_seconds(tiny_backend: Any, english_example: tuple[FloatArray, str]) -> None:
    """Every window length is a shape oneDNN compiles and keeps: lengths of every size grew memory without end."""
    widths: list[int] = []
    inner = tiny_backend._model.model

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(inner, name)

        def encode(self, features: Any, **kwargs: Any) -> Any:
            widths.append(int(features.shape[-1]))
            return inner.encode(features, **kwargs)

    tiny_backend._model.model = Recording()
    try:
        for num_samples in (20_800, 43_200, 49_600, 64_000):  # 1.3 s, 2.7 s, 3.1 s, 4.0 s
            request = DecodeRequest(encoder_context="audio", word_timestamps=False)
            tiny_backend.decode(english_example[0][:num_samples], request)
    finally:
        tiny_backend._model.model = inner
    # 10 ms mel frames: 1.3 s + 0.4 s of trailing silence -> 2 s; 2.7 and 3.1 s -> 4 s; 4.0 s -> 5 s.
    assert widths == [200, 400, 400, 500]


@pytest.mark.slow
def test_ctranslate2_decodes_a_batch_as_it_decodes_each_window(
    tiny_backend: Any, english_example: tuple[FloatArray, str]
) -> None:
    """Windows with and without a forced prefix, of different lengths of audio and of windows up to 5 s apart share
    one decoder call, padded to the longest window, and read as each reads alone in that window; a window further
    apart gets a call of its own."""
    audio, _ = english_example
    base = DecodeRequest(language="en", encoder_context="audio", min_encoder_context_ms=10_000)
    items = [
        (audio, base),
        (audio[: 4 * 16_000], base),
        (audio, dataclasses.replace(base, prefix="This is a")),
        (audio, dataclasses.replace(base, min_encoder_context_ms=12_000)),
        (audio, dataclasses.replace(base, min_encoder_context_ms=20_000)),
    ]
    batch_sizes: list[int] = []
    inner = tiny_backend._model.model

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(inner, name)

        def generate(self, features: Any, prompts: Any, **kwargs: Any) -> Any:
            batch_sizes.append(len(prompts))
            return inner.generate(features, prompts, **kwargs)

    assert tiny_backend.capabilities.batched_decode
    tiny_backend._model.model = Recording()
    try:
        together = tiny_backend.decode_batch(items)
    finally:
        tiny_backend._model.model = inner
    assert sorted(batch_sizes) == [1, 4]
    # Alone, each window as the batch padded it: the first four to 12 s, the last one kept at 20 s.
    requests = [dataclasses.replace(request, min_encoder_context_ms=12_000) for _, request in items[:4]]
    requests.append(items[4][1])
    alone = [tiny_backend.decode(samples, request) for (samples, _), request in zip(items, requests, strict=True)]
    assert [h.text for h in together] == [h.text for h in alone]
    assert [h.words for h in together] == [h.words for h in alone]
    assert all(h.text for h in together)
