"""SimulEval's files: `instances.log` (one JSON object per line), `config.yaml` and `scores.tsv`.

We read and write them in SimulEval 1.1.4's exact formats so logs move freely between the two tools:

- text output: `index, prediction, delays, elapsed, prediction_length, reference, source, source_length`;
- speech output adds `durations, prediction_offset, intervals` (and `prediction` is the path of the output wav).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulagent.errors import UserError

__all__ = [
    "EvalError",
    "InstanceLog",
    "RunConfig",
    "append_instance",
    "read_config",
    "read_instances",
    "reference_length",
    "write_config",
    "write_scores",
]

LatencyUnit = Literal["word", "char", "spm"]
DataType = Literal["text", "speech"]


class EvalError(UserError):
    """An evaluation input (log, config, references, sources) is missing or malformed."""


@dataclass(frozen=True)
class InstanceLog:
    """One line of `instances.log`.

    Attributes:
        index: position of the instance in the corpus.
        prediction: the output text (or the output wav's path for speech output).
        delays: source consumed (words, or ms) when each output unit was emitted.
        elapsed: `delays` plus wall-clock computation time (ms), for computation-aware latency; may be empty.
        prediction_length: number of output units (seconds of audio for speech output).
        reference: the reference translation ("" when none).
        source: the source (words joined by spaces, or the audio file / its description).
        source_length: source length (words, or ms).
        durations: speech output only: duration of each output segment (ms).
        intervals: speech output only: [start_ms, duration_ms] of each segment as played.
        prediction_offset: speech output only: when the output starts (ms).
        extra: any other fields found in the line, kept so rewriting a log loses nothing.
    """

    index: int
    prediction: str
    delays: tuple[float, ...]
    elapsed: tuple[float, ...] = ()
    prediction_length: float = 0
    reference: str = ""
    source: Any = ""
    source_length: float = 0.0
    durations: tuple[float, ...] = ()
    intervals: tuple[tuple[float, float], ...] = ()
    prediction_offset: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_speech_output(self) -> bool:
        return bool(self.durations) or bool(self.intervals)

    @classmethod
    def from_json(cls, line: str, where: str = "") -> InstanceLog:
        """Parse one line; `where` ("file:line") prefixes any error."""
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{where}: not a JSON line ({exc.msg})") from None
        if not isinstance(data, dict):
            raise EvalError(f"{where}: expected a JSON object")
        for key in ("index", "prediction", "delays", "source_length"):
            if key not in data:
                raise EvalError(f"{where}: missing field {key!r}")
        try:
            known = {
                "index": int(data["index"]),
                "prediction": str(data["prediction"]),
                "delays": tuple(float(d) for d in data["delays"] or ()),
                "elapsed": tuple(float(d) for d in data.get("elapsed") or ()),
                "prediction_length": data.get("prediction_length", 0),
                "reference": data.get("reference") or "",
                "source": data.get("source", ""),
                "source_length": float(data["source_length"]),
                "durations": tuple(float(d) for d in data.get("durations") or ()),
                "intervals": tuple((float(a), float(b)) for a, b in data.get("intervals") or ()),
                "prediction_offset": data.get("prediction_offset"),
            }
        except (TypeError, ValueError) as exc:
            raise EvalError(f"{where}: a field has the wrong type ({exc})") from None
        extra = {k: v for k, v in data.items() if k not in known and k != "metric"}
        return cls(**known, extra=extra)

    def to_json(self) -> str:
        """The line as SimulEval writes it (integers stay integers)."""
        data: dict[str, Any] = {
            "index": self.index,
            "prediction": self.prediction,
            "delays": [_plain(d) for d in self.delays],
            "elapsed": [_plain(d) for d in self.elapsed],
            "prediction_length": self.prediction_length,
            "reference": self.reference,
            "source": self.source,
            "source_length": _plain(self.source_length),
        }
        if self.is_speech_output:
            data["durations"] = [_plain(d) for d in self.durations]
            data["prediction_offset"] = self.prediction_offset
            data["intervals"] = [[_plain(a), _plain(b)] for a, b in self.intervals]
        data.update(self.extra)
        return json.dumps(data, ensure_ascii=False)


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def reference_length(reference: str, unit: LatencyUnit, spm_model: Any = None) -> int:
    """|Y| of a reference in the latency unit, exactly as SimulEval counts it.

    Words are counted by splitting on single spaces (so "" counts 1 and double spaces count extra), characters
    exclude surrounding white space, spm pieces come from the given sentencepiece model.
    """
    if unit == "word":
        return len(reference.split(" "))
    if unit == "char":
        return len(reference.strip())
    if spm_model is None:
        raise EvalError("--eval-latency-unit spm needs --eval-latency-spm-model")
    return len(spm_model.encode(reference, out_type=str))


def read_instances(path: Path) -> list[InstanceLog]:
    """Read `instances.log`; a half-written last line (an interrupted run) is ignored."""
    if not path.is_file():
        raise EvalError(f"{path}: no such instances log")
    lines = path.read_text(encoding="utf-8").splitlines()
    instances: list[InstanceLog] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            instances.append(InstanceLog.from_json(line, f"{path}:{number}"))
        except EvalError:
            if number == len(lines):
                break  # the run was killed mid-write: the instance will be redone
            raise
    return instances


def append_instance(path: Path, instance: InstanceLog) -> None:
    """Append one instance and flush it to disk, so an interrupted run keeps every finished instance."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(instance.to_json() + "\n")
        handle.flush()


@dataclass(frozen=True)
class RunConfig:
    """What `config.yaml` must say for scoring: the stream types (and whatever else it holds, kept as is)."""

    source_type: DataType
    target_type: DataType
    extra: dict[str, Any] = field(default_factory=dict)


def read_config(path: Path) -> RunConfig:
    import yaml

    if not path.is_file():
        raise EvalError(f"{path}: no such config (scoring needs the config.yaml written by the run)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise EvalError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise EvalError(f"{path}: expected a mapping")
    source_type, target_type = data.get("source_type"), data.get("target_type")
    for name, value in (("source_type", source_type), ("target_type", target_type)):
        if value not in ("text", "speech"):
            raise EvalError(f"{path}: {name} must be text or speech; got {value!r}")
    extra = {k: v for k, v in data.items() if k not in ("source_type", "target_type")}
    return RunConfig(source_type, target_type, extra)  # type: ignore[arg-type]


def write_config(path: Path, config: RunConfig) -> None:
    import yaml

    data = {"source_type": config.source_type, "target_type": config.target_type, **config.extra}
    path.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")


def write_scores(path: Path, scores: dict[str, float]) -> None:
    """`scores.tsv`: a header of metric names and one line of values at full precision, tab-separated."""
    names = list(scores)
    values = ["nan" if isinstance(v, float) and math.isnan(v) else repr(float(v)) for v in scores.values()]
    path.write_text("\t".join(names) + "\n" + "\t".join(values) + "\n", encoding="utf-8")


def read_lines(path: Path, what: str) -> list[str]:
    """Lines of a source/target/list file, with a clear error when it is missing."""
    if not path.is_file():
        raise EvalError(f"{path}: no such {what} file")
    return path.read_text(encoding="utf-8").splitlines()


def check_counts(
    sources: Sequence[str], targets: Sequence[str] | None, source_path: Path, target_path: Path | None
) -> None:
    if targets is not None and len(sources) != len(targets):
        raise EvalError(
            f"{source_path} has {len(sources)} lines but {target_path} has {len(targets)}: sources and references "
            "must pair up line by line"
        )


def indices(instances: Iterable[InstanceLog]) -> set[int]:
    return {ins.index for ins in instances}
