"""Running a `StreamingSystem` over a corpus, SimulEval's `--agent` equivalent.

Text sources are fed one word at a time; speech sources in segments of `source_segment_size_ms`. After every
source segment the system's output is popped until it has nothing more to say; each output unit gets its delay
(source words read, or milliseconds of source read) and, for speech input, its elapsed time (delay plus the
wall-clock time spent since the instance started: computation-aware latency). Finished instances are appended to
`instances.log` at once, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal

import numpy as np

from simulagent.errors import AudioError
from simulagent.eval.instances import (
    EvalError,
    InstanceLog,
    RunConfig,
    append_instance,
    check_counts,
    read_config,
    read_instances,
    read_lines,
    write_config,
)
from simulagent.eval.reference import make_waitk_lookup
from simulagent.types import SpeechSegment, StreamingSystem, TextSegment

__all__ = ["BUILTIN_SYSTEMS", "RunOptions", "load_system", "run_system"]

BUILTIN_SYSTEMS: dict[str, Callable[..., Any]] = {"waitk-lookup": make_waitk_lookup}
ENTRY_POINT_GROUP = "simulagent.systems"
MAX_IDLE_POPS = 10_000  # pops without output after the source ended before a system is declared stuck


@dataclass(frozen=True)
class RunOptions:
    """One evaluation run.

    Attributes:
        source: text file of source sentences (text input) or of audio file paths (speech input), one per line.
        target: reference file, one per line (optional).
        output: folder for instances.log, config.yaml, scores.tsv and wavs/.
        source_type: "text" or "speech".
        target_type: "text" or "speech".
        source_segment_size_ms: speech input is fed in segments of this many milliseconds.
        start_index: first instance (0-based).
        end_index: one past the last instance; -1 = to the end.
        latency_unit: how text output is counted ("word" or "char"; "spm" counts words here and pieces at scoring).
        system_sample_rate_hz: speech is resampled to this rate before reaching the system (timing stays exact on
            the file's own rate); 0 passes the file's rate through.
        show_progress: draw a progress bar.
    """

    source: Path
    target: Path | None
    output: Path
    source_type: Literal["text", "speech"] = "text"
    target_type: Literal["text", "speech"] = "text"
    source_segment_size_ms: float = 320.0
    start_index: int = 0
    end_index: int = -1
    latency_unit: Literal["word", "char", "spm"] = "word"
    system_sample_rate_hz: int = 16_000
    show_progress: bool = True

    def __post_init__(self) -> None:
        if not self.source_segment_size_ms >= 1:
            raise EvalError(f"--source-segment-size must be at least 1 ms; got {self.source_segment_size_ms}")
        if self.start_index < 0 or (self.end_index >= 0 and self.end_index < self.start_index):
            raise EvalError(f"bad index range [{self.start_index}, {self.end_index})")
        if self.source_type == "text" and self.target_type == "speech":
            raise EvalError("text-to-speech runs are not supported: SimulEval defines speech output for speech input")


def load_system(name: str, kwargs: Mapping[str, str] | None = None) -> StreamingSystem[Any]:
    """Build a system from a built-in name, an entry point of group `simulagent.systems`, or `module:factory`."""
    kwargs = dict(kwargs or {})
    factory: Callable[..., Any] | None = BUILTIN_SYSTEMS.get(name)
    if factory is None and ":" not in name:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not found:
            known = sorted({*BUILTIN_SYSTEMS, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})
            raise EvalError(f"unknown system {name!r}; known: {', '.join(known)} (or give package.module:factory)")
        factory = found[0].load()
    if factory is None:
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise EvalError(f"cannot import {module_name!r} for --system ({exc})") from exc
        factory = getattr(module, attr, None)
        if factory is None:
            raise EvalError(f"{module_name!r} has no attribute {attr!r}")
    try:
        system = factory(**kwargs)
    except (TypeError, ValueError) as exc:  # a wrong or out-of-range --system-args setting
        raise EvalError(f"cannot build system {name!r} with {kwargs}: {exc}") from exc
    if not isinstance(system, StreamingSystem):
        raise EvalError(f"{name!r} did not build a StreamingSystem (got {type(system).__name__})")
    return system


def _units(text: str, unit: str) -> list[str]:
    return list(text.replace(" ", "")) if unit == "char" else text.strip().split()


def _join(units: list[str], unit: str) -> str:
    return "".join(units) if unit == "char" else " ".join(units)


@dataclass
class _Collected:
    units: list[str]
    delays: list[float]
    elapsed: list[float]
    audio: list[np.ndarray]
    durations: list[float]
    audio_rate_hz: int


def _collect(out: TextSegment | SpeechSegment, got: _Collected, delay: float, elapsed: float, unit: str) -> None:
    if isinstance(out, TextSegment):
        units = _units(out.content, unit)
        got.units += units
        got.delays += [delay] * len(units)
        got.elapsed += [elapsed] * len(units)
    elif out.num_samples:
        if got.audio_rate_hz and out.sample_rate_hz != got.audio_rate_hz:
            raise EvalError("a system changed its output sample rate mid-stream")
        got.audio_rate_hz = out.sample_rate_hz
        got.audio.append(out.samples)
        got.durations.append(out.duration_ms)
        got.delays.append(delay)
        got.elapsed.append(elapsed)


def _drain(
    system: StreamingSystem[Any],
    state: Any,
    got: _Collected,
    delay: float,
    elapsed: Callable[[], float],
    unit: str,
    source_done: bool,
) -> bool:
    """Pop until the system has nothing more to say; True once it declared its output finished."""
    idle = 0
    while True:
        out = system.pop(state)
        if out.is_empty and not out.finished:
            if not source_done:
                return False
            idle += 1
            if idle > MAX_IDLE_POPS:
                raise EvalError(f"system {system.spec.name!r} never finished after the source ended")
            continue
        _collect(out, got, delay, elapsed(), unit)
        if out.finished:
            return True


def _run_text(system: StreamingSystem[Any], words: list[str], unit: str) -> _Collected:
    state = system.new_state()
    got = _Collected([], [], [], [], [], 0)
    if not words:
        raise EvalError("an empty source sentence cannot be translated")
    for step, word in enumerate(words, 1):
        last = step == len(words)
        system.push(TextSegment(word, finished=last, index=step - 1), state)
        if _drain(system, state, got, float(step), lambda: 0.0, unit, source_done=last):
            break
    return got


def _load_source_audio(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    if not path.is_file():
        raise EvalError(f"{path}: no such audio file (listed in the source file)")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioError(f"{path}: cannot read it as audio ({exc})") from None
    if data.shape[0] == 0:
        raise AudioError(f"{path}: the file holds no samples")
    return data.mean(axis=1).astype(np.float32), int(rate)


def _run_speech(system: StreamingSystem[Any], path: Path, options: RunOptions) -> tuple[_Collected, float]:
    from simulagent.audio import check_samples, resample

    samples, rate = _load_source_audio(path)
    check_samples(samples, rate)
    system_rate = options.system_sample_rate_hz or rate
    fed = resample(samples, rate, system_rate) if system_rate != rate else samples
    source_length_ms = len(samples) * 1000.0 / rate
    step_samples = math.ceil(options.source_segment_size_ms / 1000.0 * rate)  # SimulEval's segment size
    state = system.new_state()
    got = _Collected([], [], [], [], [], 0)
    start = time.perf_counter()
    position = 0
    fed_position = 0
    while position < len(samples):
        end = min(len(samples), position + step_samples)
        fed_end = len(fed) if end == len(samples) else round(end * system_rate / rate)
        last = end == len(samples)
        delay_ms = end * 1000.0 / rate
        segment = SpeechSegment(
            np.ascontiguousarray(fed[fed_position:fed_end]),
            system_rate,
            offset_ms=fed_position * 1000.0 / system_rate,
            finished=last,
        )
        system.push(segment, state)
        position, fed_position = end, fed_end

        def elapsed(delay: float = delay_ms) -> float:
            return delay + (time.perf_counter() - start) * 1000.0

        if _drain(system, state, got, delay_ms, elapsed, options.latency_unit, source_done=last):
            break
    return got, source_length_ms


def _speech_output_log(
    index: int, got: _Collected, source_length_ms: float, options: RunOptions, reference: str, source: str
) -> InstanceLog:
    """Lay output segments on the time line as SimulEval does: each starts at max(its delay, previous end)."""
    from simulagent.audio import save_wav

    wav_path = (options.output / "wavs" / f"{index}_pred.wav").absolute()
    intervals: list[tuple[float, float]] = []
    pieces: list[np.ndarray] = []
    rate = got.audio_rate_hz or 16_000
    if got.audio:
        previous_end = got.delays[0]
        for delay, audio, duration in zip(got.delays, got.audio, got.durations, strict=True):
            start = max(previous_end, delay)
            if start > previous_end:
                pieces.append(np.zeros(int(rate * (start - previous_end) / 1000), dtype=np.float32))
            pieces.append(audio)
            previous_end = start + duration
            intervals.append((start, duration))
        all_samples = np.concatenate(pieces)
        save_wav(wav_path, all_samples, rate)
        offset = got.delays[0]
    else:
        all_samples = np.zeros(0, dtype=np.float32)
        offset = source_length_ms
    return InstanceLog(
        index=index,
        prediction=wav_path.as_posix(),
        delays=tuple(got.delays),
        elapsed=tuple(got.elapsed),
        prediction_length=len(all_samples) / rate,
        reference=reference,
        source=source,
        source_length=source_length_ms,
        durations=tuple(got.durations),
        intervals=tuple(intervals),
        prediction_offset=offset,
    )


def run_system(system: StreamingSystem[Any], options: RunOptions) -> list[InstanceLog]:
    """Run `system` over the corpus; returns every instance of the run (resumed ones included).

    Raises:
        EvalError: mismatched source/target counts, missing files, a config.yaml of another kind of run.
    """
    if system.spec.source_type != options.source_type or system.spec.target_type != options.target_type:
        raise EvalError(
            f"system {system.spec.name!r} is {system.spec.source_type}-to-{system.spec.target_type}, but the run "
            f"asks for {options.source_type}-to-{options.target_type}"
        )
    sources = read_lines(options.source, "source")
    targets = read_lines(options.target, "target") if options.target else None
    check_counts(sources, targets, options.source, options.target)
    end = len(sources) if options.end_index < 0 else min(options.end_index, len(sources))
    options.output.mkdir(parents=True, exist_ok=True)
    config_path = options.output / "config.yaml"
    config = RunConfig(
        options.source_type,
        options.target_type,
        {
            "source": str(options.source),
            "target": str(options.target) if options.target else None,
            "source_segment_size": options.source_segment_size_ms,
            "eval_latency_unit": options.latency_unit,
            "system": system.spec.name,
            "start_index": options.start_index,
            "end_index": options.end_index,
        },
    )
    log_path = options.output / "instances.log"
    done: dict[int, InstanceLog] = {}
    if log_path.exists():
        if config_path.exists():
            previous = read_config(config_path)
            if (previous.source_type, previous.target_type) != (config.source_type, config.target_type):
                raise EvalError(f"{options.output} holds a {previous.source_type}-to-{previous.target_type} run")
        done = {ins.index: ins for ins in read_instances(log_path)}
        # Rewrite the log without a half-written last line, keeping every finished instance.
        log_path.write_text("".join(ins.to_json() + "\n" for ins in done.values()), encoding="utf-8")
    write_config(config_path, config)
    todo = [i for i in range(options.start_index, end) if i not in done]
    results = dict(done)
    from tqdm import tqdm

    base = options.source.parent
    for index in tqdm(todo, desc=f"eval {system.spec.name}", unit="sent", disable=not options.show_progress):
        reference = targets[index] if targets is not None else ""
        if options.source_type == "text":
            words = sources[index].split()
            got = _run_text(system, words, options.latency_unit)
            instance = InstanceLog(
                index=index,
                prediction=_join(got.units, options.latency_unit),
                delays=tuple(got.delays),
                elapsed=tuple(got.elapsed),
                prediction_length=len(got.units),
                reference=reference,
                source=sources[index],
                source_length=float(len(words)),
            )
        else:
            path = Path(sources[index].strip())
            path = path if path.is_absolute() else base / path
            got, source_length_ms = _run_speech(system, path, options)
            if options.target_type == "speech":
                instance = _speech_output_log(index, got, source_length_ms, options, reference, str(path))
            else:
                instance = InstanceLog(
                    index=index,
                    prediction=_join(got.units, options.latency_unit),
                    delays=tuple(got.delays),
                    elapsed=tuple(got.elapsed),
                    prediction_length=len(got.units),
                    reference=reference,
                    source=str(path),
                    source_length=source_length_ms,
                )
        append_instance(log_path, instance)
        results[index] = instance
    return [results[i] for i in sorted(results)]
