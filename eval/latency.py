"""Latency metrics of simultaneous translation, as pure functions of one instance.

Conventions (SimulEval's): `delays[i]` is how much source had been read when target unit i was emitted — source
words for text input, milliseconds for speech input; `source_length` is in the same unit; `target_length` is the
reference length in the latency unit when references are used, else the number of emitted units. With
computation-aware scoring the caller passes the `elapsed` timestamps (source time plus wall-clock computation time)
instead of `delays`.

Every function reproduces SimulEval 1.1.4's arithmetic exactly (the cross-check tests compare to 1e-9); the few
places where SimulEval is wrong are handled by the scorer and listed in docs/eval.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

__all__ = [
    "ATD_SPEECH_TOKEN_MS",
    "average_lagging",
    "average_proportion",
    "average_token_delay",
    "differentiable_average_lagging",
    "end_offset",
    "length_adaptive_average_lagging",
    "num_chunks",
    "real_time_factor",
    "start_offset",
]

ATD_SPEECH_TOKEN_MS = 300.0
"""ATD cuts speech into virtual tokens of this many milliseconds (Kano et al., 2023)."""


def _check(delays: Sequence[float], source_length: float) -> None:
    if not delays:
        raise ValueError("latency needs at least one delay")
    if not source_length > 0:
        raise ValueError(f"source_length must be > 0; got {source_length}")


def average_lagging(delays: Sequence[float], source_length: float, target_length: float) -> float:
    r"""Average Lagging (Ma et al., 2019, "STACL", arXiv:1810.08398), SimulEval's variant.

    .. math:: AL = \frac{1}{\tau} \sum_{i=1}^{\tau} \Big(d_i - \frac{i-1}{\gamma}\Big), \quad
              \gamma = \frac{|Y|}{|X|}, \quad \tau = \min\{i : d_i \ge |X|\}

    Edge cases: if the first delay already exceeds the source (`d_1 > |X|`), AL is `d_1`; if no delay reaches
    `|X|`, tau is the number of delays. `|Y|` is the reference length when references are used.

    Args:
        delays: source consumed at each emitted target unit, shape (num_target_units,).
        source_length: |X| in the same unit.
        target_length: |Y|, the reference length (or the hypothesis length without references).
    """
    _check(delays, source_length)
    if delays[0] > source_length:
        return float(delays[0])
    gamma = target_length / source_length
    total = 0.0
    tau = 0
    for i, d in enumerate(delays):
        total += d - i / gamma
        tau = i + 1
        if d >= source_length:
            break
    return total / tau


def length_adaptive_average_lagging(delays: Sequence[float], source_length: float, target_length: float) -> float:
    r"""Length-Adaptive Average Lagging (Papi et al., 2022, arXiv:2206.05807; Polák et al., 2022).

    AL with :math:`\gamma = \max(|Y|, |Y^*|) / |X|`, where :math:`|Y^*|` is the hypothesis length, so that
    over-generation is not rewarded. Same edge cases as `average_lagging`.
    """
    return average_lagging(delays, source_length, max(len(delays), target_length))


def average_proportion(delays: Sequence[float], source_length: float, target_length: float) -> float:
    r"""Average Proportion (Cho & Esipova, 2016, arXiv:1606.02012).

    .. math:: AP = \frac{1}{|X|\,|Y|} \sum_{i=1}^{|Y|} d_i

    As SimulEval does, |Y| is the reference length when references are used.
    """
    _check(delays, source_length)
    return float(sum(delays)) / (source_length * target_length)


def differentiable_average_lagging(delays: Sequence[float], source_length: float) -> float:
    r"""Differentiable Average Lagging (Arivazhagan et al., 2019, arXiv:1906.05218).

    .. math:: d'_1 = d_1, \quad d'_i = \max(d_i, d'_{i-1} + 1/\gamma), \quad
              DAL = \frac{1}{|Y^*|} \sum_i \Big(d'_i - \frac{i-1}{\gamma}\Big), \quad \gamma = |Y^*| / |X|

    Uses the hypothesis length |Y*| (not the reference), as SimulEval does.
    """
    _check(delays, source_length)
    n = len(delays)
    gamma = n / source_length
    total = 0.0
    previous = 0.0
    for i, d in enumerate(delays):
        current = float(d) if i == 0 else max(float(d), previous + 1 / gamma)
        total += current - i / gamma
        previous = current
    return total / n


def start_offset(delays: Sequence[float]) -> float:
    """Source consumed before the first output (SimulEval's StartOffset)."""
    if not delays:
        raise ValueError("latency needs at least one delay")
    return float(delays[0])


def end_offset(
    delays: Sequence[float], source_length: float, intervals: Sequence[Sequence[float]] | None = None
) -> float:
    """How long after the source ends the output ends (SimulEval's EndOffset).

    For speech output, pass `intervals` ([start_ms, duration_ms] of each output segment as played): the output
    ends when the last segment finishes playing.
    """
    _check(delays, source_length)
    if intervals:
        last_start, last_duration = intervals[-1][0], intervals[-1][1]
        return float(last_start + last_duration) - source_length
    return float(delays[-1]) - source_length


def real_time_factor(
    delays: Sequence[float], source_length: float, intervals: Sequence[Sequence[float]] | None = None
) -> float:
    """Time at which the output ends divided by the source length (SimulEval's RTF).

    Meaningful with computation-aware timestamps; for speech output the end of the last played interval counts.
    """
    _check(delays, source_length)
    end = float(intervals[-1][0] + intervals[-1][1]) if intervals else float(delays[-1])
    return end / source_length


def num_chunks(delays: Sequence[float]) -> int:
    """Number of emitted target units (SimulEval's NumChunks)."""
    return len(delays)


@dataclass(frozen=True)
class _Chunks:
    """Tokens grouped into chunks: chunk sizes (index 0 is an empty dummy chunk), each token's chunk, end times."""

    sizes: list[int]
    token_chunk: list[int]
    token_end: list[float]


def _virtual_tokens(duration: float, token_len: float) -> list[float]:
    whole, rest = divmod(duration, token_len)
    return [token_len] * int(whole) + ([rest] if rest != 0 else [])


def average_token_delay(
    delays: Sequence[float],
    *,
    source_type: Literal["text", "speech"],
    target_type: Literal["text", "speech"],
    compute_times: Sequence[float] | None = None,
    durations: Sequence[float] | None = None,
) -> float:
    r"""Average Token Delay (Kano et al., 2023, arXiv:2211.13173), as SimulEval computes it.

    Source and target are cut into tokens: words for text input (each lasting one virtual time unit), 300 ms pieces
    of speech for speech input and speech output, zero-length tokens for text output from speech. Each target token
    is paired with the source token it translates under a chunk-wise monotonic alignment, and ATD is the mean of
    (target token end time - paired source token end time), where a target token starts no earlier than its delay
    and than the previous target token's end.

    Args:
        delays: source consumed at each output unit (words or ms), shape (num_outputs,).
        source_type: "text" or "speech".
        target_type: "text" or "speech".
        compute_times: per-output computation time in ms (computation-aware ATD), else zeros.
        durations: per-output speech duration in ms, required for speech output.
    """
    if not delays:
        raise ValueError("latency needs at least one delay")
    if target_type == "speech" and (durations is None or len(durations) != len(delays)):
        raise ValueError("ATD of speech output needs one duration per delay")
    if source_type == "text":
        src_token_len, tgt_token_len = 1.0, 1.0
    else:
        src_token_len = ATD_SPEECH_TOKEN_MS
        tgt_token_len = 0.0 if target_type == "text" else ATD_SPEECH_TOKEN_MS
    computes = list(compute_times) if compute_times is not None else [0.0] * len(delays)
    unique_delays = list(dict.fromkeys(delays))  # first occurrences, in order

    tgt_sizes = [0]
    tgt_chunk = [0]
    tgt_lens: list[float] = []
    token_delays: list[float] = []
    token_computes: list[float] = []
    if target_type == "text":
        previous: float | None = None
        for d in delays:
            if d != previous:
                tgt_sizes.append(1)
            else:
                tgt_sizes[-1] += 1
            previous = d
        for i, size in enumerate(tgt_sizes[1:], 1):
            tgt_chunk += [i] * size
        tgt_lens = [tgt_token_len] * len(delays)
        token_delays = list(delays)
        token_computes = computes
    else:
        assert durations is not None
        chunk_durations: list[float] = []
        chunk_computes: list[float] = []
        previous = None
        for d, compute, duration in zip(delays, computes, durations, strict=True):
            if d != previous:
                chunk_durations.append(duration)
                chunk_computes.append(compute)
            else:
                chunk_durations[-1] += duration
                chunk_computes[-1] += compute
            previous = d
        for i, duration in enumerate(chunk_durations, 1):
            pieces = _virtual_tokens(duration, tgt_token_len)
            tgt_sizes.append(len(pieces))
            if not pieces:
                continue  # a zero-length output chunk voices no token (SimulEval divides by zero here)
            tgt_lens += pieces
            tgt_chunk += [i] * len(pieces)
            token_delays += [unique_delays[i - 1]] * len(pieces)
            token_computes += [chunk_computes[i - 1] / len(pieces)] * len(pieces)

    src_sizes = [0]
    src_end = [0.0]
    src_increments = [b - a for a, b in zip([0, *unique_delays[:-1]], unique_delays, strict=True)]
    for increment in src_increments:
        if source_type == "text":
            pieces = [src_token_len] * int(increment)
        else:
            pieces = _virtual_tokens(increment, src_token_len)
        src_sizes.append(len(pieces))
        for piece in pieces:
            src_end.append(src_end[-1] + piece)

    tgt_end = [0.0]
    for d, compute, token_len in zip(token_delays, token_computes, tgt_lens, strict=False):
        tgt_end.append(max(d, tgt_end[-1]) + token_len + compute)

    src_prefix = list(accumulate(src_sizes))  # src_prefix[c] = sum(src_sizes[: c + 1])
    tgt_prefix = list(accumulate(tgt_sizes))
    gaps: list[float] = []
    for t in range(1, len(tgt_chunk)):
        chunk = tgt_chunk[t]
        read_before = src_prefix[chunk - 1] if chunk > 0 else 0
        written_before = tgt_prefix[chunk - 1] if chunk > 0 else 0
        paired = t - max(0, written_before - read_before)
        available = src_prefix[chunk] if chunk < len(src_prefix) else src_prefix[-1]
        source_token = paired if paired < available else available
        gaps.append(tgt_end[t] - src_end[source_token])
    if not gaps:
        return math.nan
    return float(sum(gaps) / len(gaps))
