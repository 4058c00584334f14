"""Where a place is: the offline gazetteer first, then Open-Meteo's keyless geocoding API for places it lacks."""

from __future__ import annotations

from typing import Any

from simulagent.verticals.api import ProviderError, VerticalContext
from simulagent.verticals.gazetteer import City, find_city
from simulagent.verticals.web import HTTP

__all__ = ["locate"]


def locate(name: str, ctx: VerticalContext) -> City:
    """A `City` for `name` (any language); `ProviderError` when neither the gazetteer nor the web knows it."""
    city = find_city(name)
    if city is not None:
        return city
    label = ctx.say("地名查询服务", "the geocoding service")
    http: HTTP = ctx.http or HTTP()
    data: Any = http.get_json(
        "open-meteo-geocoding", label, "/v1/search", {"name": name, "count": 1, "language": ctx.lang, "format": "json"}
    )
    results = data.get("results") if isinstance(data, dict) else None
    if not results:
        raise ProviderError(label, ctx.say(f"找不到{name}", f"I cannot find a place called {name}"))
    try:
        top = results[0]
        return City(
            name_en=str(top["name"]),
            name_zh=str(top["name"]),
            latitude=float(top["latitude"]),
            longitude=float(top["longitude"]),
            time_zone=str(top.get("timezone") or "UTC"),
            country=str(top.get("country_code", "")),
        )
    except (KeyError, TypeError, ValueError):
        raise ProviderError(label, "the answer was missing expected fields") from None
