"""How `simulagent serve` treats its clients: security, limits, admission control and load shedding.

Built once at the edge (the `serve` flags, a test) and handed to the app and to the session factory, which each read
the fields they need.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from simulagent.errors import UserError

__all__ = ["MAX_LOAD_WINDOW_S", "ServerOptions"]

# The load meter keeps this much history; longer windows would only smooth over the overloads they should catch.
MAX_LOAD_WINDOW_S = 300.0


@dataclass(frozen=True)
class ServerOptions:
    """How the server treats its clients.

    Attributes:
        token: bearer token clients must present ("" = none; only allowed on loopback).
        allowed_origins: browser origins allowed besides the server's own.
        max_sessions: concurrent sessions of any mode; more are refused with `server_busy`.
        max_messages_per_s: per-connection message rate (a burst of twice this is tolerated).
        max_pending_events: bound of each session's outgoing queue.
        loaded_models: names reported by /health.
        admission: "measured" also refuses streaming sessions beyond the capacity measured on the model worker;
            "fixed" admits up to `max_sessions` whatever the load.
        max_model_load: model-busy fraction the measured limit aims at; 1 - this is the headroom kept for bursts.
        load_window_s: how far back the load estimate looks.
        min_measured_audio_ms: audio the worker must have processed within the window before the measured limit
            applies (fewer updates give a noisy real-time factor).
        max_backlog_ms: unprocessed audio a streaming session may hold; beyond it the oldest is skipped and the
            client gets an `audio.skipped` event. 10 s: under load a stream's update can wait behind a batch on each
            worker thread (2-4 s each at 15 streams on 2 cores) besides its own, and the steps themselves reach 8 s;
            with 5 s, such moments made every stream skip 2.6 s at once (docs/benchmarks.md, server).
        retry_after_ms: how long a refused client is told to wait before trying again.
        min_step_headroom: for streams whose system adapts its step to the load (`simulagent.types.
            AdaptiveStepSystem`), the mean share of their step range left unused below which measured admission
            refuses newcomers (`simulagent.agent.server.admission`, rule 5). 0.4 of the server's 1.5-8 s range (a
            mean step of 4.1 s): on a 2-core Zen 4 EPYC it let 16 alignatt streams in, which skipped nothing over
            10 minutes; 0.5 stopped at 14 (docs/benchmarks.md, server).
        max_elastic_busy: for the same streams, the model-busy fraction beyond which newcomers are refused whatever
            the headroom: a worker busy nearly all the time makes updates queue, a wait their steps do not show.
    """

    token: str = ""
    allowed_origins: tuple[str, ...] = ()
    max_sessions: int = 16
    max_messages_per_s: float = 200.0
    max_pending_events: int = 256
    loaded_models: tuple[str, ...] = ()
    admission: Literal["measured", "fixed"] = "measured"
    max_model_load: float = 0.8
    load_window_s: float = 10.0
    min_measured_audio_ms: float = 2_000.0
    max_backlog_ms: float = 10_000.0
    retry_after_ms: int = 10_000
    min_step_headroom: float = 0.4
    max_elastic_busy: float = 0.95

    def __post_init__(self) -> None:
        if self.max_sessions < 1:
            raise UserError(f"max_sessions must be >= 1; got {self.max_sessions}")
        if not self.max_messages_per_s > 0:
            raise UserError(f"max_messages_per_s must be > 0; got {self.max_messages_per_s}")
        if self.max_pending_events < 1:
            raise UserError(f"max_pending_events must be >= 1; got {self.max_pending_events}")
        if self.admission not in ("measured", "fixed"):
            raise UserError(f'admission must be "measured" or "fixed"; got {self.admission!r}')
        if not 0.0 < self.max_model_load <= 1.0:
            raise UserError(
                f"max_model_load is a fraction of the model worker's time, in (0, 1]; got {self.max_model_load}"
            )
        if not 1.0 <= self.load_window_s <= MAX_LOAD_WINDOW_S:
            raise UserError(f"load_window_s must be in [1, {MAX_LOAD_WINDOW_S:g}] seconds; got {self.load_window_s}")
        if not (math.isfinite(self.min_measured_audio_ms) and self.min_measured_audio_ms >= 0):
            raise UserError(f"min_measured_audio_ms must be >= 0; got {self.min_measured_audio_ms}")
        if self.min_measured_audio_ms > 1000.0 * self.load_window_s:
            raise UserError(
                f"min_measured_audio_ms ({self.min_measured_audio_ms:g}) cannot be reached within load_window_s "
                f"({self.load_window_s:g} s) by one real-time stream; lower it or widen the window"
            )
        if not (math.isfinite(self.max_backlog_ms) and self.max_backlog_ms >= 100.0):
            # Below one typical 100 ms frame every frame would be skipped while an update runs.
            raise UserError(f"max_backlog_ms must be >= 100 (one audio frame); got {self.max_backlog_ms}")
        if not 0.0 <= self.min_step_headroom <= 1.0:
            raise UserError(f"min_step_headroom is a share of the step range, in [0, 1]; got {self.min_step_headroom}")
        if not 0.0 < self.max_elastic_busy <= 1.0:
            raise UserError(
                f"max_elastic_busy is a fraction of the model worker's time, in (0, 1]; got {self.max_elastic_busy}"
            )
        if self.retry_after_ms < 0:
            raise UserError(f"retry_after_ms must be >= 0; got {self.retry_after_ms}")
