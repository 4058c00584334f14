"""Admission control of `simulagent serve`: whether one more session may start, from counts and the measured load.

`AdmissionPolicy` decides from the session counts and a `LoadSnapshot` alone (pure functions, tested without a
server). The rules, in order:

1. At most `max_sessions` sessions of any mode (`reason="max_sessions"`).
2. Streaming sessions share the one model worker. With `admission="measured"`, once the worker has processed
   `min_measured_audio_ms` of audio within the window, the real-time factor `rtf` (model seconds per audio second,
   across sessions) gives the measured limit `floor(max_model_load / rtf)` real-time streams; a new stream beyond it,
   or while the worker is already busier than `max_model_load - rtf` (no room for one more stream), is refused
   (`reason="load"`).
3. The first stream is always admitted: an idle server has room for one, whatever an old estimate says, and the
   backlog bound of each session (load shedding) protects memory if that stream is too heavy.

Before the load is measured (a cold start) streams are admitted up to `max_sessions`; the backlog bound is what keeps
memory flat if a burst of them overloads the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from simulagent.agent.server.options import ServerOptions
from simulagent.agent.server.worker import LoadSnapshot

__all__ = ["Admission", "AdmissionPolicy"]


@dataclass(frozen=True)
class Admission:
    """The answer to one session asking in.

    Attributes:
        admitted: True when the session may start.
        reason: why not ("ok" when admitted).
        message: for the refused client, naming the limit.
    """

    admitted: bool
    reason: Literal["ok", "max_sessions", "load"]
    message: str = ""


_OK = Admission(True, "ok")


class AdmissionPolicy:
    """Decides admissions from `ServerOptions`; see the module docstring for the rules."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options

    def real_time_factor(self, load: LoadSnapshot) -> float | None:
        return load.real_time_factor(self.options.min_measured_audio_ms)

    def measured_limit(self, load: LoadSnapshot) -> int | None:
        """Real-time streams that fit in `max_model_load` (at least 1), or None while the load is unmeasured or the
        limit is off."""
        if self.options.admission != "measured":
            return None
        rtf = self.real_time_factor(load)
        if rtf is None:
            return None
        if rtf <= 0:
            return self.options.max_sessions
        return max(1, min(self.options.max_sessions, math.floor(self.options.max_model_load / rtf)))

    def admit_connection(self, sessions: int) -> Admission:
        """May one more session of any mode start, with `sessions` open already?"""
        max_sessions = self.options.max_sessions
        if sessions >= max_sessions:
            return Admission(False, "max_sessions", f"the server is serving its maximum of {max_sessions} sessions")
        return _OK

    def admit_stream(self, streaming_sessions: int, load: LoadSnapshot) -> Admission:
        """May one more streaming session start, with `streaming_sessions` open on a worker with this `load`?"""
        if streaming_sessions == 0:
            return _OK
        limit = self.measured_limit(load)
        rtf = self.real_time_factor(load)
        if limit is None or rtf is None:
            return _OK
        budget = self.options.max_model_load
        if streaming_sessions >= limit:
            return Admission(
                False,
                "load",
                f"the model is at its measured capacity: {streaming_sessions} streams at a real-time factor of "
                f"{rtf:.2f} each fill {budget:.0%} of its time",
            )
        if load.busy_fraction + rtf > budget:
            return Admission(
                False,
                "load",
                f"the model is busy {load.busy_fraction:.0%} of the time; one more stream (real-time factor "
                f"{rtf:.2f}) would take it beyond {budget:.0%}",
            )
        return _OK
