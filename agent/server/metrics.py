"""Server metrics in the Prometheus text format (`GET /metrics`), one registry per server instance."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ServerMetrics"]

# Per-chunk processing latency buckets, in seconds: from a fast text step to a slow Whisper update.
_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class ServerMetrics:
    """Counters and histograms of one server; created in `create_app` so tests get a fresh registry."""

    registry: object = field(init=False)

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
        self.errors = Counter("simulagent_errors", "Errors sent to clients", ["code"], registry=registry)
        self.chunk_latency = Histogram(
            "simulagent_chunk_latency_seconds",
            "Time from an audio frame's arrival to the end of its processing",
            buckets=_LATENCY_BUCKETS_S,
            registry=registry,
        )

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return bytes(generate_latest(self.registry))  # type: ignore[arg-type]
