"""Keyless, swappable web search providers for time-sensitive questions: SearXNG's JSON API (self-hosted),
Wikipedia search and RSS/Atom feeds. Every response is validated: an HTML challenge page or a quota message served
with HTTP 200 is an error, never a passage."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from simulagent.errors import UserError
from simulagent.rag.extract import html_to_text

__all__ = ["RSSFeeds", "SearXNG", "WebError", "WebProvider", "WebResult", "Wikipedia", "fetch_json"]

USER_AGENT = "simulagent/0.1 (+https://github.com/simulagent/simulagent)"


class WebError(UserError):
    """A web provider is unreachable or answered something that is not what it promises."""


@dataclass(frozen=True)
class WebResult:
    title: str
    url: str
    text: str
    date: str = ""


@runtime_checkable
class WebProvider(Protocol):
    # Read-only, so frozen dataclasses (the providers here) satisfy it.
    @property
    def name(self) -> str: ...

    def search(self, query: str, k: int) -> list[WebResult]: ...


def _client(timeout_s: float) -> Any:
    import httpx

    return httpx.Client(timeout=timeout_s, headers={"User-Agent": USER_AGENT}, follow_redirects=True)


def _get(url: str, params: dict[str, str], timeout_s: float, retries: int, what: str) -> Any:
    import httpx

    last: Exception | None = None
    for _ in range(retries + 1):
        try:
            with _client(timeout_s) as client:
                response = client.get(url, params=params)
        except httpx.TimeoutException as exc:
            last = exc
            continue
        except httpx.HTTPError as exc:
            raise WebError(f"{what} is unreachable at {url} ({type(exc).__name__})") from None
        if response.status_code >= 500:
            last = WebError(f"{what} answered HTTP {response.status_code}")
            continue
        if response.status_code != 200:
            raise WebError(f"{what} answered HTTP {response.status_code}")
        return response
    if isinstance(last, WebError):
        raise last
    raise WebError(f"{what} did not answer within {timeout_s:g} s")


def fetch_json(url: str, params: dict[str, str], what: str, timeout_s: float = 8.0, retries: int = 1) -> Any:
    """GET a JSON API; WebError for network failures, 4xx/5xx, HTML or non-JSON bodies."""
    response = _get(url, params, timeout_s, retries, what)
    body = response.text.lstrip()
    if body.startswith("<") or "html" in response.headers.get("content-type", ""):
        raise WebError(f"{what} answered an HTML page instead of JSON (a challenge or an error page)")
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        snippet = re.sub(r"\s+", " ", body[:80])
        raise WebError(f"{what} answered something that is not JSON: {snippet!r}") from None


@dataclass(frozen=True)
class SearXNG:
    """A self-hosted SearXNG instance's JSON API (`/search?format=json`)."""

    base_url: str
    timeout_s: float = 8.0
    name: str = "searxng"

    def search(self, query: str, k: int) -> list[WebResult]:
        if not self.base_url:
            raise WebError("SearXNG has no base URL: set rag.searxng_url")
        data = fetch_json(
            self.base_url.rstrip("/") + "/search", {"q": query, "format": "json"}, "SearXNG", self.timeout_s
        )
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise WebError("SearXNG answered JSON without a results list")
        out = []
        for item in results[:k]:
            if isinstance(item, dict) and item.get("url"):
                out.append(
                    WebResult(
                        str(item.get("title", "")),
                        str(item["url"]),
                        str(item.get("content", "")),
                        str(item.get("publishedDate") or ""),
                    )
                )
        return out


@dataclass(frozen=True)
class Wikipedia:
    """Wikipedia's search API (`/w/api.php?action=query&list=search`); the base URL may point to a mirror."""

    base_url: str = "https://en.wikipedia.org"
    timeout_s: float = 8.0
    name: str = "wikipedia"

    def search(self, query: str, k: int) -> list[WebResult]:
        params = {
            "action": "query",
            "list": "search",
            "srsearch": query,
            "format": "json",
            "srlimit": str(k),
            "utf8": "1",
        }
        data = fetch_json(self.base_url.rstrip("/") + "/w/api.php", params, "Wikipedia", self.timeout_s)
        try:
            hits = data["query"]["search"]
        except (KeyError, TypeError):
            raise WebError("Wikipedia answered JSON without query.search") from None
        out = []
        for hit in hits[:k]:
            title = str(hit.get("title", ""))
            snippet = html_to_text(str(hit.get("snippet", ""))).text
            url = self.base_url.rstrip("/") + "/wiki/" + title.replace(" ", "_")
            out.append(WebResult(title, url, snippet, str(hit.get("timestamp", ""))[:10]))
        return out


@dataclass(frozen=True)
class RSSFeeds:
    """RSS 2.0 / Atom feeds; results are the items whose title or summary share words with the query (all items
    when `query` is empty), newest first as the feeds list them."""

    urls: tuple[str, ...]
    timeout_s: float = 8.0
    name: str = "rss"

    def search(self, query: str, k: int) -> list[WebResult]:
        items: list[WebResult] = []
        for url in self.urls:
            response = _get(url, {}, self.timeout_s, 1, f"the feed {url}")
            try:
                root = ET.fromstring(response.content)
            except ET.ParseError:
                raise WebError(f"the feed {url} is not XML") from None
            items += _feed_items(root)
        terms = {t for t in re.findall(r"\w+", query.lower()) if len(t) > 1}
        if terms:
            items = [i for i in items if terms & set(re.findall(r"\w+", (i.title + " " + i.text).lower()))] or items
        return items[:k]


def _feed_items(root: ET.Element) -> list[WebResult]:
    atom = "{http://www.w3.org/2005/Atom}"
    out: list[WebResult] = []
    for item in root.iter("item"):
        out.append(
            WebResult(
                (item.findtext("title") or "").strip(),
                (item.findtext("link") or "").strip(),
                html_to_text(item.findtext("description") or "").text,
                (item.findtext("pubDate") or "").strip(),
            )
        )
    for entry in root.iter(f"{atom}entry"):
        link = entry.find(f"{atom}link")
        out.append(
            WebResult(
                (entry.findtext(f"{atom}title") or "").strip(),
                link.get("href", "") if link is not None else "",
                html_to_text(entry.findtext(f"{atom}summary") or entry.findtext(f"{atom}content") or "").text,
                (entry.findtext(f"{atom}updated") or "").strip(),
            )
        )
    return out
