"""Building a `VerticalContext` from the configuration (the CLI and the agent use this)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulagent.config import Config
from simulagent.errors import UserError
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
    http = HTTP(
        timeout_s=config.verticals.http_timeout_s,
        user_agent=config.verticals.user_agent,
        base_urls=_pairs(config.verticals.base_urls, "verticals.base_urls"),
    )
    return VerticalContext(
        now=datetime.now(UTC),
        lang=lang,
        time_zone=config.verticals.time_zone or _local_zone(),
        user_id=user_id,
        http=http,
        store=_STORE,
        translator=translator,
        home_city=config.verticals.home_city,
        calendar_file=config.verticals.calendar_file,
        news_feeds=_pairs(config.verticals.news_feeds, "verticals.news_feeds"),
    )


def _pairs(entries: tuple[str, ...], key: str) -> dict[str, str]:
    """("name=https://...", ...) -> {name: url}; a malformed entry is a configuration error naming the key."""
    out: dict[str, str] = {}
    for entry in entries:
        name, sep, url = entry.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise UserError(f"{key}: expected entries like 'name=https://...'; got {entry!r}")
        out[name.strip()] = url.strip()
    return out
