"""The explicit registry of speech backends, and a cache so one process loads each model once."""

from __future__ import annotations

import dataclasses
import functools
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulagent.config import COMPUTE_TYPES
from simulagent.errors import UserError
from simulagent.models.asr._bundled import load_model_files
from simulagent.models.asr._types import SpeechBackend

__all__ = [
    "BACKENDS",
    "COMPUTE_TYPES",
    "BackendOptions",
    "default_compute_type",
    "load_backend",
    "single_stream_intra_threads",
]


@dataclass(frozen=True)
class BackendOptions:
    """Which backend, which weights, where.

    Attributes:
        backend: a key of `BACKENDS`.
        model: "bundled:base", "bundled:tiny.en" or a local model folder.
        device: "cpu", "cuda" or "auto".
        compute_type: CTranslate2 compute type ("int8", "float32", ...); "auto", the default, picks the faster of
            int8 and float32 for this CPU and replica size (`default_compute_type`).
        num_threads: CPU threads the backend may use.
        intra_threads: threads per model replica on a CPU (ctranslate2: `num_threads // intra_threads` replicas
            share the weights, and concurrent decodes run side by side). 0, the default, picks what decodes one
            stream fastest on this CPU (`single_stream_intra_threads`); a server of many streams wants 1, one
            replica per thread. whisper_streaming runs one replica on all cores (`intra_threads == num_threads`).
    """

    backend: str = "ctranslate2"
    model: str = "bundled:base"
    device: str = "cpu"
    compute_type: str = "auto"
    num_threads: int = 2
    intra_threads: int = 0

    def __post_init__(self) -> None:
        if self.compute_type not in COMPUTE_TYPES:
            raise ValueError(f"compute_type must be one of {', '.join(COMPUTE_TYPES)}; got {self.compute_type!r}")
        if self.num_threads < 1:
            raise ValueError(f"num_threads must be >= 1; got {self.num_threads}")
        if not 0 <= self.intra_threads <= self.num_threads:
            raise ValueError(
                f"intra_threads must be in [0, num_threads={self.num_threads}] (0: this CPU's fastest); "
                f"got {self.intra_threads}"
            )


_CPUINFO = Path("/proc/cpuinfo")


def _cpu_fields() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo ("vendor_id", "cpu family", "model", ...); empty elsewhere."""
    fields: dict[str, str] = {}
    try:
        with _CPUINFO.open(encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def _cpu_vendor() -> str:
    return _cpu_fields().get("vendor_id") or platform.processor()


def _is_first_generation_zen() -> bool:
    """AMD Zen and Zen+ (family 23, models below 0x30; Zen 2 starts there), which split each 256-bit AVX2
    instruction into two 128-bit halves."""
    fields = _cpu_fields()
    try:
        family, model = int(fields.get("cpu family", "")), int(fields.get("model", ""))
    except ValueError:
        return False
    return fields.get("vendor_id") == "AuthenticAMD" and family == 23 and model < 0x30


def _gemm_on_mkl() -> bool:
    """Whether CTranslate2 runs its matrix products with Intel MKL here: its choice on Intel x86 CPUs, oneDNN's
    elsewhere, unless `CT2_USE_MKL` says otherwise."""
    forced = os.environ.get("CT2_USE_MKL")
    if forced is not None:
        return forced.strip().lower() not in ("", "0", "false")
    return platform.machine().lower() in ("x86_64", "amd64") and "intel" in _cpu_vendor().lower()


def _has_avx512_vnni() -> bool:
    return "avx512_vnni" in _cpu_fields().get("flags", "").split()


def single_stream_intra_threads(num_threads: int) -> int:
    """Threads per CTranslate2 replica that run one stream's updates fastest on this CPU.

    With Intel MKL, one thread: greedy decoding is a chain of small products that a second thread slows down (an
    alignatt update took 163-171 ms on one thread against 238-243 ms on two). With oneDNN, one replica on all the
    threads: on an AMD EPYC with AVX2 a decode took 619 ms against 809 ms on one thread; but where the CPU has
    AVX-512 VNNI (a Zen 5 EPYC) one thread again, as with MKL: int8 decoding of 8 forced and 9 new tokens took
    75-99 ms on one thread against 149-151 ms on two, and alignatt on 100 English sentences ran at RTF 0.22-0.23
    against 0.32-0.34 (docs/benchmarks.md). For concurrent streams one replica per thread is faster everywhere
    (2.26 against 1.62 decodes per second on the AVX2 EPYC).
    """
    return 1 if _gemm_on_mkl() or _has_avx512_vnni() else num_threads


def default_compute_type(device: str, intra_threads: int) -> str:
    """The CTranslate2 compute type "auto" stands for: int8, except for a replica of more than one thread on a
    first-generation AMD Zen CPU, where float32 is.

    There int8 hardly gains from a second thread (Whisper base's encoder on a 10 s window: 728 ms on one thread,
    673 ms on two) while float32 does (721 ms, 371 ms), and float32's greedy steps are faster too (87 against 121 ms
    for one token). On one thread int8 is as fast or faster, and so it is on the other CPUs measured: an AVX-512
    EPYC (float32's encoder 181-231 ms against int8's 84 ms) and Intel Xeons; on a Zen 5 EPYC the two tie
    (alignatt's updates 337-361 against 346-352 ms) and int8 holds a quarter of the weights (docs/benchmarks.md).
    """
    if device != "cuda" and intra_threads > 1 and _is_first_generation_zen():
        return "float32"
    return "int8"


def _ctranslate2(options: BackendOptions) -> SpeechBackend:
    try:
        from simulagent.models.asr._ctranslate2 import CTranslate2Backend
    except ImportError as exc:  # faster-whisper is an optional extra
        raise UserError(
            f"the ctranslate2 backend needs faster-whisper: pip install 'simulagent[speech]' ({exc})"
        ) from exc
    return CTranslate2Backend(
        load_model_files(options.model),
        options.device,
        options.compute_type,
        options.num_threads,
        intra_threads=options.intra_threads,
    )


def _transformers(options: BackendOptions) -> SpeechBackend:
    try:
        from simulagent.models.asr._transformers import TransformersBackend
    except ImportError as exc:  # the tokenizer and features come with the speech extra
        raise UserError(
            f"the transformers backend needs faster-whisper: pip install 'simulagent[speech]' ({exc})"
        ) from exc
    folder = Path(options.model).expanduser()
    is_hf = (
        not options.model.startswith("bundled:")
        and (folder / "config.json").is_file()
        and not (folder / "model.bin").is_file()
    )
    if is_hf:
        return TransformersBackend(folder, options.num_threads)
    return TransformersBackend(load_model_files(options.model), options.num_threads)


BACKENDS: dict[str, Callable[[BackendOptions], SpeechBackend]] = {
    "ctranslate2": _ctranslate2,
    "transformers": _transformers,
}
"""Backend name -> factory. The config's "faster-whisper" is an alias of "ctranslate2"."""

_ALIASES = {"faster-whisper": "ctranslate2"}


def load_backend(options: BackendOptions) -> SpeechBackend:
    """The backend for `options`, loaded once per process (models are large; backends hold no stream state)."""
    name = _ALIASES.get(options.backend, options.backend)
    if name not in BACKENDS:
        raise UserError(f"unknown speech backend {options.backend!r}; known: {', '.join(sorted(BACKENDS))}")
    # Resolved before the cache, so that 0 and "auto" and what they stand for share one loaded model.
    intra = options.intra_threads or single_stream_intra_threads(options.num_threads)
    compute_type = options.compute_type
    if compute_type == "auto":
        compute_type = default_compute_type(options.device, intra)
    return _load(dataclasses.replace(options, backend=name, intra_threads=intra, compute_type=compute_type))


@functools.lru_cache(maxsize=4)
def _load(options: BackendOptions) -> SpeechBackend:
    return BACKENDS[options.backend](options)


def default_transcriber() -> SpeechBackend:
    """The bundled Whisper base on CTranslate2: what eval's ASR-BLEU finds through the entry-point group
    `simulagent.transcribers` (the backend satisfies `simulagent.signals.Transcriber`)."""
    return load_backend(BackendOptions())
