"""Server metrics in the Prometheus text format (`GET /metrics`), one registry per server instance."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["ServerMetrics"]

# Per-chunk processing latency buckets, in seconds: from a fast text step to a slow Whisper update.
_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class ServerMetrics:
    """Counters and histograms of one server; created in `create_app` so tests get a fresh registry."""

    registry: CollectorRegistry = field(init=False)

    def __post_init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        registry = CollectorRegistry()
        self.registry = registry
        self.sessions_active = Gauge("simulagent_sessions_active", "Open WebSocket sessions", registry=registry)
        self.sessions_total = Counter("simulagent_sessions", "Sessions opened", registry=registry)
        self.audio_frames = Counter("simulagent_audio_frames", "Audio frames received", registry=registry)
        self.dropped_frames = Counter(
            "simulagent_dropped_audio_frames", "Audio frames refused (bad format, size or rate)", registry=registry
        )
        self.sessions_refused = Counter(
            "simulagent_sessions_refused",
            "Sessions refused with server_busy, by reason (max_sessions, load)",
            ["reason"],
            registry=registry,
        )
        self.skipped_audio = Counter(
            "simulagent_skipped_audio_seconds",
            "Source audio skipped by load shedding (a stream's backlog beyond max_backlog_ms)",
            registry=registry,
        )
        self.model_busy = Gauge(
            "simulagent_model_busy_fraction", "Share of the load window the model worker was busy", registry=registry
        )
        self.model_rtf = Gauge(
            "simulagent_model_real_time_factor",
            "Model seconds per second of source audio across streams (NaN until measured)",
            registry=registry,
        )
        self.errors = Counter("simulagent_errors", "Errors sent to clients", ["code"], registry=registry)
        self.chunk_latency = Histogram(
            "simulagent_chunk_latency_seconds",
            "Time from an audio frame's arrival to the end of its processing",
            buckets=_LATENCY_BUCKETS_S,
            registry=registry,
        )

    def watch_load(self, busy_fraction: Callable[[], float], real_time_factor: Callable[[], float | None]) -> None:
        """Read the model worker's load when scraped."""
        self.model_busy.set_function(busy_fraction)
        self.model_rtf.set_function(lambda: _or_nan(real_time_factor()))

    def refused(self, reason: str) -> int:
        value = self.registry.get_sample_value("simulagent_sessions_refused_total", {"reason": reason})
        return int(value or 0)

    def skipped_audio_s(self) -> float:
        value = self.registry.get_sample_value("simulagent_skipped_audio_seconds_total")
        return float(value or 0.0)

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value
