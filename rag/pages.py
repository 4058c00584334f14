"""Fetching the pages behind web search results, on the fly, and cleaning them to their main text.

A search snippet is a sentence or two; the answer is often further down the page. `fetch_pages` fetches a few
result pages concurrently within one wall-clock budget and returns their main text (`html_to_main_text`). It never
raises for a page: a page that fails (timeout, HTTP error, not HTML or text, too many redirects, a private address,
the budget spent) is logged and left out, and the caller keeps its snippet.

Guards: http(s) only; redirects followed by hand, at most `max_redirects`, each hop checked again; bodies read up
to `max_bytes` (the rest is ignored, the page is kept); by default no loopback, private, link-local or reserved
address, so a search result cannot make the agent read the user's router or a cloud metadata service (the name is
resolved before the request; a DNS answer that changes between the check and the connection is not defended
against).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from simulagent.rag.extract import Document, html_to_main_text
from simulagent.rag.web import USER_AGENT

__all__ = ["PageError", "PageFetchOptions", "fetch_page", "fetch_pages"]

log = logging.getLogger("simulagent.rag")

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain",)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


class PageError(Exception):
    """One page cannot be used; the message says why (logged, never shown to the caller as an error)."""


@dataclass(frozen=True)
class PageFetchOptions:
    """Attributes:
    max_pages: fetch the pages of at most this many results per provider (the best-ranked ones).
    timeout_s: connect/read timeout of one request.
    total_budget_s: wall-clock budget for all pages of one retrieval; pages not done by then keep their snippet.
    max_bytes: read at most this much of a body.
    max_redirects: redirects followed per page.
    concurrency: pages fetched at once.
    max_chunks_per_page: chunks of a page that are embedded and ranked (its first ones: main text comes first),
        which bounds the embedding time a long page costs.
    allow_private_hosts: also fetch loopback, private and link-local addresses (tests, intranet search).
    """

    max_pages: int = 3
    timeout_s: float = 4.0
    total_budget_s: float = 6.0
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 3
    concurrency: int = 3
    max_chunks_per_page: int = 20
    allow_private_hosts: bool = False

    def __post_init__(self) -> None:
        if self.max_pages < 1:
            raise ValueError(f"max_pages must be >= 1; got {self.max_pages}")
        if self.timeout_s <= 0 or self.total_budget_s <= 0:
            raise ValueError("timeout_s and total_budget_s must be > 0")
        if self.max_bytes < 1024:
            raise ValueError(f"max_bytes must be >= 1024; got {self.max_bytes}")
        if self.max_redirects < 0 or self.concurrency < 1 or self.max_chunks_per_page < 1:
            raise ValueError("max_redirects must be >= 0, concurrency and max_chunks_per_page >= 1")


def _check_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PageError(f"not an http(s) URL: {url[:100]!r}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 0, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise PageError(f"cannot resolve {parts.hostname} ({exc})") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise PageError(f"{parts.hostname} is a private or local address ({address}); not fetched")


def _charset(content_type: str, head: bytes) -> str:
    match = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
    if not match:
        meta = _META_CHARSET.search(head[:4096])
        return meta.group(1).decode("ascii") if meta else "utf-8"
    return match.group(1)


def fetch_page(url: str, options: PageFetchOptions, deadline: float | None = None) -> Document:
    """Fetch one page and return its main text; PageError for anything that makes it unusable.

    Args:
        url: the page.
        options: limits.
        deadline: `time.monotonic()` value by which the page must be read; None: `total_budget_s` from now.
    """
    import httpx

    deadline = time.monotonic() + options.total_budget_s if deadline is None else deadline
    # Redirects are followed by hand below, so that every hop is checked and counted.
    with httpx.Client(headers={"User-Agent": USER_AGENT}, follow_redirects=False) as client:
        return _fetch(client, url, options, deadline)


def _fetch(client: Any, url: str, options: PageFetchOptions, deadline: float) -> Document:
    import httpx

    for _ in range(options.max_redirects + 1):
        _check_url(url, options.allow_private_hosts)
        remaining_s = deadline - time.monotonic()
        if remaining_s <= 0:
            raise PageError("out of time")
        timeout = httpx.Timeout(min(options.timeout_s, remaining_s))
        try:
            with client.stream("GET", url, timeout=timeout) as response:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise PageError(f"HTTP {response.status_code} without a Location")
                    url = urljoin(url, location)
                    continue
                if response.status_code != 200:
                    raise PageError(f"HTTP {response.status_code}")
                content_type = response.headers.get("content-type", "").lower()
                kind = content_type.split(";")[0].strip()
                if kind not in _HTML_TYPES + _TEXT_TYPES:
                    raise PageError(f"content type {kind or 'missing'!r} is neither HTML nor text")
                body = bytearray()
                for block in response.iter_bytes():
                    body += block
                    if len(body) >= options.max_bytes:
                        del body[options.max_bytes :]
                        break
                    if time.monotonic() > deadline:
                        raise PageError("out of time while reading")
        except httpx.TimeoutException:
            raise PageError("timed out") from None
        except httpx.HTTPError as exc:
            raise PageError(f"unreachable ({type(exc).__name__})") from None
        text = bytes(body).decode(_charset(content_type, bytes(body)), errors="replace")
        if kind in _TEXT_TYPES:
            return Document("", text.strip())
        return html_to_main_text(text)
    raise PageError(f"more than {options.max_redirects} redirects")


def fetch_pages(urls: Sequence[str], options: PageFetchOptions) -> dict[str, Document]:
    """The main text of each page of `urls` that could be fetched within the budget (failures are logged and
    absent from the result; pages without text too)."""
    unique = list(dict.fromkeys(u for u in urls if u))
    if not unique:
        return {}
    deadline = time.monotonic() + options.total_budget_s
    pages: dict[str, Document] = {}
    pool = ThreadPoolExecutor(max_workers=min(options.concurrency, len(unique)), thread_name_prefix="rag-page")
    try:
        futures = {pool.submit(fetch_page, url, options, deadline): url for url in unique}
        done, pending = wait(futures, timeout=max(0.0, deadline - time.monotonic()) + 0.2)
        for future in done:
            url = futures[future]
            try:
                page = future.result()
            except PageError as exc:
                log.info("page %s not used (%s); its snippet stands in", url, exc)
                continue
            except Exception as exc:  # a parser or decoder bug must not cost the caller the other pages
                log.warning("page %s not used (%s: %s); its snippet stands in", url, type(exc).__name__, exc)
                continue
            if page.text.strip():
                pages[url] = page
            else:
                log.info("page %s has no main text; its snippet stands in", url)
        for future in pending:
            log.info("page %s not used (out of time); its snippet stands in", futures[future])
    finally:
        # Late workers end on their own within timeout_s (each read checks the deadline); do not wait for them.
        pool.shutdown(wait=False, cancel_futures=True)
    return pages
