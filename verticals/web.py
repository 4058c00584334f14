"""HTTP for web skills: httpx with timeouts, limited retries, a descriptive User-Agent, and validation of every
answer (an HTML challenge page or a quota message served with HTTP 200 is a failure, not data). Base URLs are
configurable per provider so a user can swap a provider that is blocked on their network."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from simulagent.verticals.api import ProviderError

__all__ = ["DEFAULT_BASE_URLS", "HTTP", "QUOTA_PHRASES"]

# Provider name -> base URL. Every web skill names its provider here, so one table shows what the skills reach.
DEFAULT_BASE_URLS = {
    "open-meteo": "https://api.open-meteo.com",
    "open-meteo-geocoding": "https://geocoding-api.open-meteo.com",
    "open-meteo-air-quality": "https://air-quality-api.open-meteo.com",
    "usgs": "https://earthquake.usgs.gov",
    "frankfurter": "https://api.frankfurter.dev",
    "yahoo-finance": "https://query1.finance.yahoo.com",
    "coingecko": "https://api.coingecko.com",
    "wikipedia-en": "https://en.wikipedia.org",
    "wikipedia-zh": "https://zh.wikipedia.org",
    "dictionaryapi": "https://api.dictionaryapi.dev",
    "mymemory": "https://api.mymemory.translated.net",
    "open-library": "https://openlibrary.org",
    "radio-browser": "https://de1.api.radio-browser.info",
    "osrm": "https://router.project-osrm.org",
    "opensky": "https://opensky-network.org",
    "news-en": "https://feeds.bbci.co.uk",
    "news-zh": "https://www.chinanews.com.cn",
}

# Phrases of quota or rate-limit pages that some keyless APIs serve with HTTP 200.
QUOTA_PHRASES = ("rate limit", "quota", "too many requests", "limit exceeded")


@dataclass
class HTTP:
    """Attributes:
    timeout_s: per request.
    retries: extra attempts on timeouts and 5xx.
    user_agent: sent with every request.
    base_urls: provider name -> base URL (overrides DEFAULT_BASE_URLS).
    """

    timeout_s: float = 8.0
    retries: int = 1
    user_agent: str = "simulagent/0.1 (+https://github.com/simulagent/simulagent)"
    base_urls: dict[str, str] = field(default_factory=dict)

    def base(self, provider: str) -> str:
        return self.base_urls.get(provider) or DEFAULT_BASE_URLS[provider]

    def get_text(self, provider: str, label: str, path: str, params: dict[str, Any] | None = None) -> str:
        """The body of a GET as text (feeds, CSV); a web page where data was expected is a `ProviderError`."""
        import httpx

        url = self.base(provider).rstrip("/") + path
        reason = "no answer"
        for _ in range(self.retries + 1):
            try:
                with httpx.Client(
                    timeout=self.timeout_s, headers={"User-Agent": self.user_agent}, follow_redirects=True
                ) as client:
                    response = client.get(url, params=params or {})
            except httpx.TimeoutException:
                reason = f"no answer within {self.timeout_s:g} seconds"
                continue
            except httpx.HTTPError:
                raise ProviderError(label, "the service is unreachable") from None
            if response.status_code >= 500:
                reason = f"the service failed (HTTP {response.status_code})"
                continue
            if response.status_code == 429:
                raise ProviderError(label, "the service's quota is used up")
            if response.status_code == 404:
                raise ProviderError(label, "it has nothing under that name")
            if response.status_code != 200:
                raise ProviderError(label, f"the service refused the request (HTTP {response.status_code})")
            body = response.text.lstrip()
            ctype = response.headers.get("content-type", "")
            if "text/html" in ctype or body[:15].lower().startswith(("<!doctype html", "<html")):
                raise ProviderError(label, "the service answered a web page instead of data")
            return body
        raise ProviderError(label, reason)

    def get_json(self, provider: str, label: str, path: str, params: dict[str, Any] | None = None) -> Any:
        """The body of a GET parsed as JSON; error objects and quota messages are `ProviderError`s."""
        body = self.get_text(provider, label, path, params)
        if body.startswith("<"):
            raise ProviderError(label, "the service answered a web page instead of data")
        try:
            data = json.loads(body)
        except json.JSONDecodeError:
            lowered = body[:200].lower()
            if any(phrase in lowered for phrase in QUOTA_PHRASES):
                raise ProviderError(label, "the service's quota is used up") from None
            raise ProviderError(label, "the service answered malformed data") from None
        if isinstance(data, dict) and data.get("error") is True:
            raise ProviderError(label, str(data.get("reason", "the service reported an error")))
        return data
