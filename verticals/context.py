"""Building a `VerticalContext` from the configuration (the CLI and the agent use this)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulagent.config import Config
from simulagent.verticals.api import Lang, VerticalContext
from simulagent.verticals.store import LocalStore
from simulagent.verticals.web import HTTP

__all__ = ["make_context"]

_STORE: LocalStore | None = None


def _local_zone() -> str:
    try:
        from pathlib import Path

        link = Path("/etc/localtime").resolve()
        if "zoneinfo" in link.parts:
            return "/".join(link.parts[link.parts.index("zoneinfo") + 1 :])
    except OSError:
        pass
    return "UTC"


def make_context(
    config: Config, lang: Lang = "en", user_id: str = "default", translator: Any = None
) -> VerticalContext:
    global _STORE
    if _STORE is None:
        _STORE = LocalStore()
    http = HTTP(timeout_s=config.verticals.http_timeout_s, user_agent=config.verticals.user_agent)
    return VerticalContext(
        now=datetime.now(UTC),
        lang=lang,
        time_zone=config.verticals.time_zone or _local_zone(),
        user_id=user_id,
        http=http,
        store=_STORE,
        translator=translator,
        home_city=config.verticals.home_city,
    )
