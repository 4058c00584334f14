"""news and radio: headlines by topic from RSS/Atom feeds (BBC News and China News Service by default; any feed can
be added with `verticals.news_feeds`) and radio streams from the community Radio Browser directory."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from simulagent.verticals.api import ProviderError, SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.web import HTTP, QUOTA_PHRASES

__all__ = ["DEFAULT_FEEDS", "NEWS", "RADIO"]

# (language, topic) -> (provider, path). Providers' base URLs are in simulagent.verticals.web.
DEFAULT_FEEDS: dict[tuple[str, str], tuple[str, str]] = {
    ("en", "top"): ("news-en", "/news/rss.xml"),
    ("en", "world"): ("news-en", "/news/world/rss.xml"),
    ("en", "business"): ("news-en", "/news/business/rss.xml"),
    ("en", "technology"): ("news-en", "/news/technology/rss.xml"),
    ("en", "science"): ("news-en", "/news/science_and_environment/rss.xml"),
    ("en", "health"): ("news-en", "/news/health/rss.xml"),
    ("en", "sports"): ("news-en", "/sport/rss.xml"),
    ("en", "entertainment"): ("news-en", "/news/entertainment_and_arts/rss.xml"),
    ("zh", "top"): ("news-zh", "/rss/scroll-news.xml"),
    ("zh", "world"): ("news-zh", "/rss/world.xml"),
    ("zh", "business"): ("news-zh", "/rss/finance.xml"),
    ("zh", "technology"): ("news-zh", "/rss/it.xml"),
    ("zh", "science"): ("news-zh", "/rss/it.xml"),
    ("zh", "health"): ("news-zh", "/rss/society.xml"),
    ("zh", "sports"): ("news-zh", "/rss/sports.xml"),
    ("zh", "entertainment"): ("news-zh", "/rss/cul.xml"),
}
_TOPICS = {
    "world": ("国际", "world", "international", "global", "全球"),
    "business": ("财经", "经济", "business", "economy", "finance", "market", "股市"),
    "technology": ("科技", "技术", "tech", "technology", "ai", "人工智能"),
    "science": ("科学", "science", "environment", "climate", "环境"),
    "health": ("健康", "医疗", "health", "medical"),
    "sports": ("体育", "足球", "篮球", "sport", "sports", "football", "soccer", "nba"),
    "entertainment": ("娱乐", "电影", "文化", "entertainment", "movies", "arts", "culture"),
}
_TOPIC_ZH = {
    "top": "要闻",
    "world": "国际",
    "business": "财经",
    "technology": "科技",
    "science": "科学",
    "health": "健康",
    "sports": "体育",
    "entertainment": "文娱",
}


def _news_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    for custom in ctx.news_feeds:
        if custom.lower() in lowered:
            return {"topic": custom}
    for topic, words in _TOPICS.items():
        if any((w in utterance) if not w.isascii() else re.search(rf"\b{w}\b", lowered) for w in words):
            return {"topic": topic}
    return {"topic": "top"}


def _news(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    import feedparser

    topic = str(slots.get("topic", "top"))
    http: HTTP = ctx.http or HTTP()
    if topic in ctx.news_feeds:
        parts = urlsplit(ctx.news_feeds[topic])
        provider = f"feed:{topic}"
        http.base_urls.setdefault(provider, f"{parts.scheme}://{parts.netloc}")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    else:
        provider, path = DEFAULT_FEEDS.get((ctx.lang, topic)) or DEFAULT_FEEDS[(ctx.lang, "top")]
    label = ctx.say("新闻源", "the news feed")
    body = http.get_text(provider, label, path)
    if not body.startswith("<"):  # feeds are XML; anything else is an error message or garbage
        quota = any(phrase in body[:300].lower() for phrase in QUOTA_PHRASES)
        raise ProviderError(label, "the service's quota is used up" if quota else "the feed was malformed")
    feed = feedparser.parse(body)
    titles = [str(e.get("title", "")).strip() for e in feed.entries if str(e.get("title", "")).strip()]
    if feed.bozo and not titles:
        raise ProviderError(label, "the feed was malformed")
    if not titles:
        raise ProviderError(label, ctx.say("暂时没有新闻", "it has no headlines right now"))
    publisher = str(feed.feed.get("title", "")) or provider
    top = titles[:3]
    name_zh = _TOPIC_ZH.get(topic, topic)
    text = ctx.say(
        f"{name_zh}新闻：" + "；".join(f"{i + 1}. {t}" for i, t in enumerate(top)) + "。",
        f"Top {'' if topic == 'top' else topic + ' '}headlines from {publisher}: "
        + "; ".join(f"{i + 1}. {t}" for i, t in enumerate(top))
        + ".",
    )
    links = [str(e.get("link", "")) for e in feed.entries[: len(top)]]
    return VerticalResult(
        text, ctx.lang, {"topic": topic, "headlines": titles[:10], "links": links, "publisher": publisher}, publisher
    )


NEWS = Vertical(
    id="news",
    name_zh="新闻",
    name_en="News",
    description_zh="按主题播报新闻标题（RSS/Atom 新闻源，可配置）。",
    description_en="Headlines by topic from RSS/Atom feeds (configurable).",
    examples_zh=(
        "今天都有哪些新闻",
        "播报一下国际新闻",
        "最新的科技新闻",
        "财经新闻有哪些",
        "体育新闻",
        "来点娱乐新闻",
        "有什么健康方面的新闻",
        "今天的头条是什么",
        "说说最新的足球新闻",
        "人工智能有什么新闻",
        "环境方面的新闻",
        "给我读一下新闻",
    ),
    examples_en=(
        "what's in the news today",
        "read me the world news",
        "latest technology news",
        "business headlines",
        "sports news",
        "any entertainment news",
        "health news today",
        "what are the top headlines",
        "latest football news",
        "news about AI",
        "science and environment news",
        "give me the news",
    ),
    slots=(SlotSpec("topic", "text"),),
    triggers=(
        "新闻|头条|要闻|资讯|热点|快讯",
        r"\bnews\b|headlines?|what'?s happening|current events|breaking",
        "新消息",
    ),
    extract=_news_slots,
    handler=_news,
    source="web (RSS/Atom feeds)",
)


_GENRES = {
    "爵士": "jazz",
    "古典": "classical",
    "摇滚": "rock",
    "流行": "pop",
    "新闻": "news",
    "轻音乐": "easy listening",
    "乡村": "country",
    "电子": "electronic",
    "相声": "comedy",
    "jazz": "jazz",
    "classical": "classical",
    "rock": "rock",
    "pop": "pop",
    "news": "news",
    "country": "country",
    "electronic": "electronic",
    "blues": "blues",
    "lofi": "lofi",
    "lo-fi": "lofi",
}
_COUNTRIES = {
    "中国": "China",
    "日本": "Japan",
    "英国": "The United Kingdom Of Great Britain And Northern Ireland",
    "法国": "France",
    "德国": "Germany",
    "美国": "The United States Of America",
    "china": "China",
    "chinese": "China",
    "japan": "Japan",
    "japanese": "Japan",
    "france": "France",
    "french": "France",
    "germany": "Germany",
    "german": "Germany",
}


def _radio_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower().strip(" ?.!")
    named = re.search(
        r"(?:play|tune (?:in )?to|listen to|find)\s+(?:some |a |an |the )?(.+?)(?:\s+music)?"
        r"(?:\s+radio|\s+station|\s+on the radio)?$",
        lowered,
    ) or re.search(
        r"(?:收听|打开|播放|我想听|找一个|找个|来个)(.+?)(?:音乐)?(?:电台|广播)?$", utterance.strip("。！!？? ")
    )
    if named:
        # "play jazz radio" names a genre, "play BBC Radio 1" a station.
        candidate = named[1].strip().removesuffix("的")
        for form in (candidate, candidate + "音乐"):
            if form in _GENRES:
                return {"tag": _GENRES[form]}
            if form in _COUNTRIES:
                return {"country": _COUNTRIES[form]}
        if candidate not in ("radio", "a station", "station", "电台"):
            return {"name": candidate}
    out: dict[str, str] = {}
    for word, tag in _GENRES.items():
        if (word in utterance) if not word.isascii() else re.search(rf"\b{re.escape(word)}\b", lowered):
            out["tag"] = tag
            break
    for word, country in _COUNTRIES.items():
        if (word in utterance) if not word.isascii() else re.search(rf"\b{word}\b", lowered):
            out["country"] = country
            break
    return out


def _radio(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("电台目录", "the radio directory")
    params: dict[str, Any] = {"limit": 5, "hidebroken": "true", "order": "clickcount", "reverse": "true"}
    for key in ("name", "tag", "country"):
        if slots.get(key):
            params[key] = str(slots[key])
    if len(params) == 4:
        raise ProviderError(label, ctx.say("没有说想听什么电台", "no station, genre or country was named"))
    http: HTTP = ctx.http or HTTP()
    data = http.get_json("radio-browser", label, "/json/stations/search", params)
    try:
        stations = [
            {
                "name": str(s["name"]).strip(),
                "url": str(s.get("url_resolved") or s["url"]),
                "country": str(s.get("country", "")),
                "codec": str(s.get("codec", "")),
                "bitrate_kbps": int(s.get("bitrate") or 0),
            }
            for s in data
        ]
    except (KeyError, TypeError, ValueError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    if not stations:
        wanted = slots.get("name") or slots.get("tag") or slots.get("country")
        raise ProviderError(label, ctx.say(f"找不到“{wanted}”电台", f"it has no station matching {wanted}"))
    best = stations[0]
    where = f" ({best['country']})" if best["country"] else ""
    text = ctx.say(
        f"为你找到电台：{best['name']}{where}，可以开始收听。",
        f"I found {best['name']}{where}; it is ready to play.",
    )
    return VerticalResult(text, ctx.lang, {"stations": stations, "stream_url": best["url"]}, "Radio Browser")


RADIO = Vertical(
    id="radio",
    name_zh="电台",
    name_en="Radio",
    description_zh="按名称、类型或国家查找网络电台（Radio Browser）。",
    description_en="Find internet radio stations by name, genre or country (Radio Browser).",
    examples_zh=(
        "我想听爵士电台",
        "找一个古典音乐电台",
        "收听中国之声",
        "播放摇滚电台",
        "有没有日本的电台",
        "打开新闻广播",
        "来个流行音乐电台",
        "我想听轻音乐",
        "找个法国的电台",
        "有什么相声电台",
        "播放BBC电台",
        "找一个电子音乐电台",
    ),
    examples_en=(
        "play some jazz radio",
        "find a classical music station",
        "tune in to BBC Radio 1",
        "play a rock station",
        "radio stations from Japan",
        "play news radio",
        "find a pop music station",
        "listen to NPR",
        "French radio stations",
        "play lofi radio",
        "find a blues station",
        "play country music radio",
    ),
    slots=(SlotSpec("name"), SlotSpec("tag"), SlotSpec("country")),
    triggers=(
        "电台|广播|收音机|调频|fm",
        r"\bradio\b|\bstation\b|tune in|\bfm\b",
        "收听",
        "listen to",
        "我想听",
    ),
    extract=_radio_slots,
    handler=_radio,
    source="web (Radio Browser)",
)
