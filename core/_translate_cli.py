"""`simulagent translate FILE|- --from fr --to en`: speech in, committed English (or same-language) text out.

A composition root: it picks a policy and a streaming system from the areas (imported when the command runs) and
plays the audio through them as a stream. Committed text is printed as it is committed, with the source time at
which it was committed; on a terminal the not-yet-committed words are shown dimmed on the same line. A JSON log of
every output is written (`--log`).

Output goes to sinks (`_Sink`): the console, the JSON log, and with `--speak out.wav` a speech sink that voices
the committed text with streaming TTS while the source is still playing.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO

from simulagent.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from simulagent.config import Config
    from simulagent.types import AudioChunk, FloatArray

_PRESETS = ("fast", "baseline", "vad", "alignatt")
# Which kinds of policy (the registry's `signal`) the speech systems can feed: they re-decode and hand the policy
# counts or hypotheses; AlignAtt reads the backend's word alignments (CTranslate2 gives no raw attention).
_SPEECH_SIGNALS = ("counts", "hypotheses")
_SILENCE_PEAK = 1e-4


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input",
        metavar="FILE|-|mic",
        help="audio file (wav, flac, ogg, mp3), - for stdin, or mic for the microphone (Ctrl-C ends)",
    )
    parser.add_argument(
        "--seconds", type=float, default=0.0, help="with mic: stop after this many seconds (default: Ctrl-C)"
    )
    parser.add_argument("--from", dest="source_lang", default="en", metavar="LANG", help="spoken language (en)")
    parser.add_argument("--to", dest="target_lang", default="", metavar="LANG", help="output language (en)")
    parser.add_argument(
        "--task",
        choices=("translate", "transcribe"),
        default="",
        help="translate into English, or transcribe (default: transcribe when --from equals --to)",
    )
    parser.add_argument(
        "--policy", default=None, help="READ/WRITE policy: local-agreement (default), wait-k, alignatt, ..."
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=None,
        help="the policy's latency knob (n of LocalAgreement-n, k of wait-k, AlignAtt's guard frames)",
    )
    parser.add_argument(
        "--preset",
        choices=_PRESETS,
        default=None,
        help="alignatt (the default with the alignatt policy), fast (LocalAgreement-2, the default with any other "
        "policy), baseline (whisper_streaming), vad (decode at pauses)",
    )
    parser.add_argument("--model", default=None, help="bundled:base, bundled:tiny.en or a CTranslate2 folder")
    parser.add_argument("--chunk-ms", type=float, default=None, help="audio per update step, in ms")
    parser.add_argument("--log", metavar="PATH", default=None, help="JSON log path (default: <input>.translate.json)")
    parser.add_argument("--no-log", action="store_true", help="do not write the JSON log")
    parser.add_argument(
        "--speak",
        metavar="OUT.wav",
        default=None,
        help="also speak the output with streaming TTS (simultaneous speech-to-speech) into this wav file",
    )
    parser.set_defaults(func=_translate)


@dataclass(frozen=True)
class Commit:
    """One committed piece of output.

    Attributes:
        text: the committed words.
        source_ms: how much source audio had been read when it was committed.
        compute_ms: wall-clock time spent so far, from the start of the stream.
        finished: the last output of the stream.
    """

    text: str
    source_ms: float
    compute_ms: float
    finished: bool


class _Sink(Protocol):
    def on_commit(self, commit: Commit, unstable: str) -> None: ...

    def close(self) -> None: ...


class _ConsoleSink:
    """Prints committed text with its time; on a terminal, the unstable tail is shown dimmed and then replaced."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self._tty = stream.isatty()

    def on_commit(self, commit: Commit, unstable: str) -> None:
        if self._tty:
            self._stream.write("\r\033[K")
        if commit.text:
            self._stream.write(f"[{commit.source_ms / 1000:7.2f} s] {commit.text}\n")
        if self._tty and unstable and not commit.finished:
            self._stream.write(f"\033[2m{' ' * 12}{unstable}\033[0m")
        self._stream.flush()

    def close(self) -> None:
        if self._tty:
            self._stream.write("\r\033[K")
            self._stream.flush()


class _JsonLogSink:
    """Collects every commit and writes them with the run's settings as one JSON document."""

    def __init__(self, path: Path, settings: dict[str, Any]):
        self._path = path
        self._settings = settings
        self._commits: list[dict[str, Any]] = []

    def on_commit(self, commit: Commit, unstable: str) -> None:
        if commit.text or commit.finished:
            self._commits.append(asdict(commit))

    def close(self) -> None:
        document = {"settings": self._settings, "outputs": self._commits}
        try:
            self._path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write the log {self._path}: {exc}") from exc


class _SpeechSink:
    """Simultaneous speech-to-speech: committed text is cut into speakable units and synthesised at once; each
    unit starts playing at max(its commit's source time, the end of the previous unit), as SimulEval lays out
    speech output. The result is one wav file on the source's time line."""

    def __init__(self, path: Path, lang: str, config: Config):
        from simulagent.models.tts.aggregator import SpeakableAggregator
        from simulagent.models.tts.backends import make_tts_backend

        self._path = path
        self._lang = lang
        self._backend = make_tts_backend(config.tts.backend, lang, config.tts.voice)
        self._aggregator = SpeakableAggregator()
        self._pieces: list[tuple[float, FloatArray]] = []  # (start_ms, samples)
        self._end_ms = 0.0

    def _speak(self, units: list[str], source_ms: float) -> None:
        from simulagent.models.tts.streaming import synthesize_units

        rate = self._backend.capabilities.sample_rate_hz
        for chunk in synthesize_units(self._backend, units, self._lang):
            start = max(source_ms, self._end_ms)
            self._pieces.append((start, chunk.samples))
            self._end_ms = start + 1000.0 * chunk.samples.shape[0] / rate

    def on_commit(self, commit: Commit, unstable: str) -> None:
        units = self._aggregator.push(commit.text + " ") if commit.text else []
        if commit.finished:
            units += self._aggregator.flush()
        if units:
            self._speak(units, commit.source_ms)

    def close(self) -> None:
        import numpy as np

        from simulagent.audio import save_wav

        self._speak(self._aggregator.flush(), self._end_ms)
        rate = self._backend.capabilities.sample_rate_hz
        total = int(self._end_ms * rate / 1000) + 1
        out = np.zeros(total, dtype=np.float32)
        for start_ms, samples in self._pieces:
            at = int(start_ms * rate / 1000)
            out[at : at + samples.shape[0]] = samples[: max(0, total - at)]
        save_wav(self._path, out, rate)
        print(f"wrote {self._path} ({len(self._pieces)} speech chunks, {self._end_ms / 1000:.1f} s)", file=sys.stderr)


def _read_input(name: str) -> FloatArray:
    from simulagent.audio import SAMPLE_RATE_HZ, load_audio, resample

    if name != "-":
        return load_audio(name)
    import numpy as np
    import soundfile as sf

    data = sys.stdin.buffer.read()
    if not data:
        raise UserError("stdin is empty: pipe an audio file into `simulagent translate -`")
    try:
        samples, rate_hz = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise UserError(f"stdin: cannot read it as audio ({exc})") from exc
    mono = np.ascontiguousarray(samples.mean(axis=1, dtype=np.float32))
    if mono.shape[0] == 0:
        raise UserError("stdin: the audio holds no samples")
    return resample(mono, int(rate_hz), SAMPLE_RATE_HZ)


def _resolve_task(args: argparse.Namespace) -> tuple[Literal["transcribe", "translate"], str, str]:
    source = args.source_lang.strip().lower()
    target = (args.target_lang or ("en" if args.task != "transcribe" else source)).strip().lower()
    wanted = args.task or ("transcribe" if target == source else "translate")
    return ("transcribe" if wanted == "transcribe" else "translate"), source, target


def _make_sinks(args: argparse.Namespace, settings: dict[str, Any], config: Config) -> list[_Sink]:
    sinks: list[_Sink] = [_ConsoleSink(sys.stdout)]
    if not args.no_log:
        default = "stdin.translate.json" if args.input == "-" else f"{Path(args.input).stem}.translate.json"
        sinks.append(_JsonLogSink(Path(args.log or default), settings))
    if args.speak:
        sinks.append(_SpeechSink(Path(args.speak), args.target_lang or "en", config))
    return sinks


def _make_policy(name: str, latency: float | None, config: Config) -> Any:
    """The policy `name` with its latency knob, from the policies registry."""
    if latency is None and name == config.policy.name and config.policy.latency:
        latency = config.policy.latency
    if name == "alignatt":
        from simulagent.presets import ALIGNATT_FRAMES, alignatt_policy

        return alignatt_policy(ALIGNATT_FRAMES if latency is None else latency, "--latency")
    from simulagent.policies.registry import POLICIES, make_policy

    spec = POLICIES.get(name)
    usable = sorted(n for n, s in POLICIES.items() if s.signal in _SPEECH_SIGNALS)
    if spec is None or spec.signal not in _SPEECH_SIGNALS:
        raise UserError(
            f"policy {name!r} cannot drive Whisper speech translation; use one of: {', '.join([*usable, 'alignatt'])}"
        )
    if latency is not None and latency != int(latency):
        raise UserError(f"--latency for {name} is an integer ({spec.knob}); got {latency}")
    return make_policy(name, latency)


def _translate(args: argparse.Namespace, config: Config) -> int:
    task, source, target = _resolve_task(args)
    from simulagent.presets import preset_step_ms

    if args.policy:
        policy_name = args.policy
    elif args.preset is None:
        policy_name = config.policy.name
    else:  # a preset alone runs with the policy it was measured with
        policy_name = "alignatt" if args.preset == "alignatt" else "local-agreement"
    preset = args.preset or ("alignatt" if policy_name == "alignatt" else "fast")
    policy = _make_policy(policy_name, args.latency, config)
    chunk_ms = float(args.chunk_ms if args.chunk_ms is not None else config.policy.chunk_ms or preset_step_ms(preset))
    if not 50 <= chunk_ms <= 10_000:
        raise UserError(f"--chunk-ms must be in [50, 10000]; got {chunk_ms:g}")
    model = args.model or config.models.whisper_model
    if task == "translate" and model == "bundled:tiny.en":
        raise UserError("bundled:tiny.en is English-only and cannot translate; use bundled:base")

    live = args.input == "mic"
    if live:
        from simulagent.audio import microphone

        chunk_source: Iterator[tuple[AudioChunk, bool]] = microphone(chunk_ms, args.seconds)
        print("listening: Ctrl-C ends", file=sys.stderr)
    else:
        samples = _read_input(args.input)
        import numpy as np

        if float(np.max(np.abs(samples))) < _SILENCE_PEAK:
            raise UserError(f"{args.input}: the audio is silent, there is no speech to {task}")

    from simulagent.audio import SAMPLE_RATE_HZ, chunk_samples
    from simulagent.presets import make_system
    from simulagent.types import StreamingSystem, TextSegment

    system: StreamingSystem[Any] = make_system(
        preset,
        task=task,
        source_lang=source,
        target_lang=target,
        model=model,
        backend=config.models.asr_backend,
        policy=policy,
        num_threads=config.models.num_threads,
        compute_type=config.models.compute_type,
        step_ms=chunk_ms,
    )
    settings = {
        "input": args.input,
        "task": task,
        "from": source,
        "to": target,
        "policy": policy_name,
        "latency": args.latency,
        "preset": preset,
        "model": model,
        "chunk_ms": chunk_ms,
        "duration_ms": None if live else 1000.0 * samples.shape[0] / SAMPLE_RATE_HZ,
    }
    sinks = _make_sinks(args, settings, config)
    # Both the re-decoding and the VAD systems' states carry `received_ms` and `unstable` for display.
    state = system.new_state()
    began = time.perf_counter()
    said = False
    if not live:
        chunks = list(chunk_samples(samples, SAMPLE_RATE_HZ, chunk_ms))
        chunk_source = ((chunk, i == len(chunks) - 1) for i, chunk in enumerate(chunks))
    try:
        for chunk, last in chunk_source:
            system.push(chunk.to_segment(finished=last), state)
            while True:
                out = system.pop(state)
                if out.is_empty and not out.finished:
                    break
                text = out.content if isinstance(out, TextSegment) else ""
                said = said or bool(text)
                commit = Commit(text, state.received_ms, 1000.0 * (time.perf_counter() - began), out.finished)
                for sink in sinks:
                    sink.on_commit(commit, " ".join(state.unstable))
                if out.finished:
                    break
    finally:
        for sink in sinks:
            sink.close()
    if not said:
        raise UserError(f"{args.input}: no speech recognised (is it {source!r} speech?)")
    return 0
