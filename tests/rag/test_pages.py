"""Web result pages fetched on the fly: main-text cleaning, the fetch guards (types, sizes, redirects, private
addresses, the time budget) and the fallback to snippets in the retriever. Only the local fake server is used."""

from __future__ import annotations

import json
import logging
import time

import pytest

from simulagent.rag.embedders import HashingEmbedder
from simulagent.rag.extract import html_to_main_text, html_to_text
from simulagent.rag.pages import PageError, PageFetchOptions, fetch_page, fetch_pages
from simulagent.rag.retrieve import RetrievalOptions, Retriever
from simulagent.rag.web import SearXNG

from .conftest import FakeWeb, Route

ARTICLE = """<!doctype html><html><head><title>Night trains | Rail News</title><meta charset="utf-8"></head><body>
<header><a href="/">Rail News</a> <p>Your daily rail digest</p></header>
<nav><ul><li><a href="/a">Home</a></li><li><a href="/b">Timetables</a></li></ul></nav>
<div class="cookie-banner">We use cookies. <button>Accept</button></div>
<main>
  <h1>The new night train to Vienna</h1>
  <p>From December the night train to Vienna leaves Munich from platform 7 at 22:15 and arrives at 06:40.</p>
  <p>A couchette costs 59 euros; a private sleeper compartment costs 129 euros and includes breakfast.</p>
  <p>Read more: <a href="/x">Sleeper trains of Europe</a> <a href="/y">Munich station guide</a></p>
  <form><input name="q"><p>Search the site</p></form>
</main>
<aside><p>Related: the best ski trains</p></aside>
<div id="share-bar"><a href="/fb">Facebook</a> <a href="/tw">Twitter</a></div>
<footer><p>Copyright Rail News 2024</p></footer>
<script>track("page")</script>
</body></html>"""


def test_main_text_drops_boilerplate() -> None:
    page = html_to_main_text(ARTICLE)
    assert page.title == "Night trains | Rail News"
    assert "platform 7 at 22:15" in page.text and "129 euros" in page.text
    assert page.text.splitlines()[0] == "The new night train to Vienna"
    for furniture in ("Home", "Timetables", "cookies", "daily rail digest", "Search the site", "ski trains"):
        assert furniture not in page.text
    for furniture in ("Facebook", "Copyright", "track(", "Read more"):
        assert furniture not in page.text
    # No <main>: everything that is not furniture is kept, link lists dropped, unclosed tags tolerated.
    loose = html_to_main_text(
        "<body><div class=menu>Menu</div><p>第一段：大熊猫吃竹子。<p>第二段"
        "<ul><li><a href=1>链接一</a><li><a href=2>链接二</a></ul><h1>标题</h1></body>"
    )
    assert loose.text.split("\n") == ["第一段：大熊猫吃竹子。", "第二段", "标题"] and loose.title == "标题"
    # The plain extractor used for local files is unchanged by this.
    assert "Rail News" in html_to_text(ARTICLE).text


def _page(fake_web: FakeWeb, path: str, **route: object) -> str:
    fake_web.routes[path] = Route(**route)
    return fake_web.url + path


LOCAL = PageFetchOptions(allow_private_hosts=True, timeout_s=2.0, total_budget_s=3.0)


def test_fetch_guards(fake_web: FakeWeb) -> None:
    url = _page(fake_web, "/article", body=ARTICLE, content_type="text/html; charset=utf-8")
    assert "22:15" in fetch_page(url, LOCAL).text
    text = _page(fake_web, "/notes.txt", body="plain 42", content_type="text/plain")
    assert fetch_page(text, LOCAL).text == "plain 42"
    with pytest.raises(PageError, match="neither HTML nor text"):
        fetch_page(_page(fake_web, "/file.pdf", body="%PDF", content_type="application/pdf"), LOCAL)
    with pytest.raises(PageError, match="HTTP 404"):
        fetch_page(fake_web.url + "/missing", LOCAL)
    hop = _page(fake_web, "/hop", status=302, headers={"Location": "/article"}, content_type="text/html")
    assert "22:15" in fetch_page(hop, LOCAL).text
    _page(fake_web, "/loop", status=302, headers={"Location": "/loop"}, content_type="text/html")
    with pytest.raises(PageError, match="more than 3 redirects"):
        fetch_page(fake_web.url + "/loop", LOCAL)
    _page(fake_web, "/out", status=301, headers={"Location": "file:///etc/passwd"}, content_type="text/html")
    with pytest.raises(PageError, match="not an http"):
        fetch_page(fake_web.url + "/out", LOCAL)
    big = _page(fake_web, "/big", body="<p>" + "word " * 5000 + "</p><p>tail</p>", content_type="text/html")
    cut = fetch_page(big, PageFetchOptions(allow_private_hosts=True, max_bytes=2048))
    assert "word" in cut.text and "tail" not in cut.text
    with pytest.raises(PageError, match="private or local"):
        fetch_page(url, PageFetchOptions())  # 127.0.0.1: a search result must not reach local services
    with pytest.raises(PageError, match="private or local"):
        fetch_page("http://localhost:1/", PageFetchOptions())


def test_the_budget_bounds_slow_pages(fake_web: FakeWeb, caplog: pytest.LogCaptureFixture) -> None:
    fast = _page(fake_web, "/fast", body=ARTICLE, content_type="text/html")
    slow = _page(fake_web, "/slow", body=ARTICLE, content_type="text/html", delay_s=1.5)
    start = time.monotonic()
    with caplog.at_level(logging.INFO, logger="simulagent.rag"):
        pages = fetch_pages([fast, slow, fast], PageFetchOptions(allow_private_hosts=True, total_budget_s=0.5))
    assert time.monotonic() - start < 1.4
    assert list(pages) == [fast] and "snippet stands in" in caplog.text and "/slow" in caplog.text


def test_retriever_ranks_page_text_with_snippets_and_falls_back(
    fake_web: FakeWeb, caplog: pytest.LogCaptureFixture
) -> None:
    article = _page(fake_web, "/article", body=ARTICLE, content_type="text/html")
    broken = fake_web.url + "/gone"  # 404: its snippet stands in
    fake_web.routes["/search"] = Route(
        body=json.dumps(
            {
                "results": [
                    {"title": "Night trains", "url": article, "content": "New timetable for sleeper services."},
                    {"title": "Sleeper prices", "url": broken, "content": "What a sleeper compartment costs."},
                ]
            }
        )
    )
    embedder = HashingEmbedder()
    query = "how much does a private sleeper compartment to Vienna cost"
    snippets_only = Retriever(embedder).retrieve(query, web=[SearXNG(fake_web.url)], k=5)
    assert all("129 euros" not in p.text for p in snippets_only)
    fetch = RetrievalOptions(pages=PageFetchOptions(allow_private_hosts=True, total_budget_s=3.0))
    with caplog.at_level(logging.INFO, logger="simulagent.rag"):
        passages = Retriever(embedder, options=fetch).retrieve(query, web=[SearXNG(fake_web.url)], k=5)
    assert "129 euros" in passages[0].text and passages[0].source == article and passages[0].origin == "web:searxng"
    assert passages[0].title == "Night trains" and not passages[0].trusted
    assert any(p.source == broken and "sleeper compartment costs" in p.text for p in passages)
    assert "/gone not used (HTTP 404)" in caplog.text
    assert all("Copyright" not in p.text and "Facebook" not in p.text for p in passages)
