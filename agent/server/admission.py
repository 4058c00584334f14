"""Admission control of `simulagent serve`: whether one more session may start, from counts and the measured load.

`AdmissionPolicy` decides from the session counts and a `LoadSnapshot` alone (pure functions, tested without a
server). The rules, in order:

1. At most `max_sessions` sessions of any mode (`reason="max_sessions"`).
2. Streaming sessions share the one model worker. With `admission="measured"`, once the worker has processed
   `min_measured_audio_ms` of audio within the window, the real-time factor `rtf` (model seconds per audio second,
   across sessions) gives the measured limit `floor(max_model_load / rtf)` real-time streams; a new stream beyond it,
   or while the worker is already busier than `max_model_load - rtf` (no room for one more stream), is refused
   (`reason="load"`).
3. Also with `admission="measured"`, measured or not: a new stream is refused while the open ones show that the
   model is not keeping up: audio skipped within the window, or a stream with more than half of `max_backlog_ms`
   waiting. This catches what the capacity estimate misses: a system whose cost comes in bursts (decoding at
   pauses) looks cheap between the bursts, and a cold start has no estimate at all.
4. Slow start, with `admission="measured"`: once one more stream would take the measured load past half of
   `max_model_load`, streams are admitted one per `load_window_s`, so the window has seen the last newcomer's cost
   before the next is judged (streams arriving a few seconds apart would otherwise all be judged on an estimate
   that has not seen the newest ones yet).
5. Elastic systems, with `admission="measured"`: when every open stream belongs to a system that adapts its step
   to the model's speed (`simulagent.types.AdaptiveStepSystem`, such as the alignatt preset), the streams' step
   headroom is a second way in beside rules 2 and 4. Such streams take longer steps once more of them share the
   model, so each costs less than the real-time factor measured before the newcomer came (on a 2-core Xeon that
   estimate stopped at 7 alignatt streams where 16 kept up). A new stream that rules 2 and 4 would refuse is
   admitted while the mean headroom of the open streams is at least `min_step_headroom` (their steps have not yet
   grown most of the way to their longest). The headroom alone does not decide: where one stream's own update time
   already stretches its step to the longest (a slow CPU, with a thread per stream), the estimate still has room.
   The estimate does not admit while a stream that started less than two windows ago is still growing into its
   cost (`LoadSnapshot.young_adaptive_streams`).
   Either way, a new stream is refused while a stream admitted within the window has not had its first update (its
   cost is not in the steps yet; streams arriving together come in one after another), or while the worker is
   busier than `max_elastic_busy` (updates then wait in its queue, and a stream's step grows with its update's own
   time, not with the wait: the fast preset reached 21 streams with headroom to spare, the worker busy all the
   time, and skipped audio). Rule 3 still refuses on strain first.
6. The first stream is always admitted: an idle server has room for one, whatever an old estimate says, and the
   backlog bound of each session (load shedding) protects memory if that stream is too heavy.

Before the load is measured (a cold start: less than `min_measured_audio_ms` processed within the window), at most
one stream per worker thread is open; more come in once the estimate exists. Clients arriving in the same second
would otherwise all come in on no estimate at all (16 `vad` clients would all be admitted where about 4 fit), and
the backlog bound would be all that kept memory flat.
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

    def admit_stream(
        self, streaming_sessions: int, load: LoadSnapshot, since_last_admission_s: float = math.inf
    ) -> Admission:
        """May one more streaming session start, with `streaming_sessions` open on a worker with this `load`, the
        last stream admitted `since_last_admission_s` ago?"""
        if streaming_sessions == 0:
            return _OK
        if self.options.admission == "measured":
            strained = self._strain(load)
            if strained is not None:
                return strained
            if self.elastic(streaming_sessions, load):
                guarded = self._elastic_guard(load)
                if guarded is not None:
                    return guarded
                # Either way in suffices: room by the estimate (a slow CPU, where one stream's own update time
                # already stretches its step to the longest), or elasticity left in the steps (a fast one, where
                # the estimate made before the newcomer came overstates its cost).
                # The estimate only once no stream is still growing into its cost: on a 2-core Zen 1 EPYC it let a
                # third alignatt stream in 18 s after the first (RTF 0.15 then), and the three skipped 6% of their
                # audio at RTF 0.36.
                if not load.young_adaptive_streams:
                    by_estimate = self._by_real_time_factor(streaming_sessions, load, since_last_admission_s)
                    if by_estimate.admitted:
                        return by_estimate
                return self._by_step_headroom(load)
        return self._by_real_time_factor(streaming_sessions, load, since_last_admission_s)

    def _by_real_time_factor(
        self, streaming_sessions: int, load: LoadSnapshot, since_last_admission_s: float
    ) -> Admission:
        """Rules 2 and 4: the measured capacity estimate and slow start."""
        if self.options.admission != "measured":
            return _OK
        limit = self.measured_limit(load)
        rtf = self.real_time_factor(load)
        if limit is None or rtf is None:
            # A cold start: updates with too little audio, or none yet (updates without audio are a text system's).
            cold = load.audio_ms > 0 or load.updates == 0
            if cold and streaming_sessions >= load.threads:
                return Admission(
                    False,
                    "load",
                    f"the model's load is not measured yet: {streaming_sessions} stream(s) run, one per worker thread, "
                    "until it is",
                )
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
        if (streaming_sessions + 1) * rtf > budget / 2 and since_last_admission_s < self.options.load_window_s:
            return Admission(
                False,
                "load",
                f"past half its budget the model takes one new stream per {self.options.load_window_s:g} s, so that "
                f"each one's cost is measured before the next (the last came {since_last_admission_s:.1f} s ago)",
            )
        busy = load.busy_fraction
        room = f"within the measured limit of {limit} streams (real-time factor {rtf:.2f}, busy {busy:.0%})"
        return Admission(True, "ok", room)

    def elastic(self, streaming_sessions: int, load: LoadSnapshot) -> bool:
        """Whether rule 5 judges newcomers: measured admission, and every open stream adapts its step."""
        return self.options.admission == "measured" and 0 < streaming_sessions <= load.adaptive_streams

    def _elastic_guard(self, load: LoadSnapshot) -> Admission | None:
        """Rule 5's refusals whichever way in: a newcomer whose cost is not measured yet, or a queueing worker."""
        if load.unmeasured_adaptive_streams:
            return Admission(
                False,
                "load",
                f"{load.unmeasured_adaptive_streams} newly admitted stream(s) have not had their first update yet; the "
                "next one is judged once their cost shows in the streams' steps",
            )
        most_busy = self.options.max_elastic_busy
        if load.busy_fraction > most_busy:
            return Admission(
                False,
                "load",
                f"the model is busy {load.busy_fraction:.0%} of the time (more than {most_busy:.0%}): updates are "
                "waiting for it",
            )
        return None

    def _by_step_headroom(self, load: LoadSnapshot) -> Admission:
        headroom = load.mean_step_headroom
        least = self.options.min_step_headroom
        if headroom is not None and headroom < least:
            return Admission(
                False,
                "load",
                f"the model is crowded: the streams' steps have grown to {1 - headroom:.0%} of the way to their "
                f"longest (a new stream is admitted below {1 - least:.0%})",
            )
        if headroom is None:
            return _OK
        return Admission(True, "ok", f"the streams' steps have {headroom:.0%} of their range left")

    def _strain(self, load: LoadSnapshot) -> Admission | None:
        """Refusal when the open streams already show that the model is not keeping up, whatever the estimate of
        its capacity says (the estimate is low for a system whose cost comes in bursts, such as decoding at pauses):
        audio skipped within the window, or a stream halfway to skipping."""
        if load.skipped_ms > 0:
            return Admission(
                False,
                "load",
                f"the model is not keeping up: the open streams skipped {load.skipped_ms / 1000:.1f} s of audio in the "
                f"last {load.window_s:.0f} s",
            )
        if load.largest_backlog_ms > self.options.max_backlog_ms / 2:
            return Admission(
                False,
                "load",
                f"the model is not keeping up: a stream has {load.largest_backlog_ms / 1000:.1f} s of audio waiting",
            )
        return None
