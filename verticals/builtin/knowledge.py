"""encyclopedia, dictionary_en and books: who or what something is (Wikipedia's REST summaries, in the language of
the request), English word definitions (the Free Dictionary API) and book lookups (Open Library)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from simulagent.verticals.api import ProviderError, SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.web import HTTP

__all__ = ["BOOKS", "DICTIONARY_EN", "ENCYCLOPEDIA", "first_sentences"]


def first_sentences(text: str, max_chars: int = 280) -> str:
    """The leading sentences of `text` that fit in `max_chars` (at least one sentence, cut at a word if needed)."""
    sentences = re.findall(r"[^。！？.!?]+[。！？.!?]?\s*", text.strip())
    out = ""
    for sentence in sentences:
        if out and len(out) + len(sentence) > max_chars:
            break
        out += sentence
    if len(out) > max_chars:
        out = out[:max_chars].rsplit(" ", 1)[0] + "…"
    return out.strip()


def _strip(text: str) -> str:
    return text.strip(" \t\"'“”‘’「」《》?？.。!！,，")


_WHO_EN = re.compile(
    r"^(?:who|what)\s+(?:is|was|are|were)\s+(?:an?\s+|the\s+)?(.+?)$|^tell me about\s+(.+)$|"
    r"^(?:look up|search wikipedia for|wikipedia)\s+(.+)$|^what do you know about\s+(.+)$",
    re.IGNORECASE,
)
_WHO_ZH = re.compile(
    r"^(?:介绍一下|介绍|讲讲|说说|什么是|谁是|百科)\s*(.+)$|^(.+?)(?:是谁|是什么|是哪国人|是干什么的|的简介)"
)


def _encyclopedia_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    text = utterance.strip(" ?？。.!！")
    match = _WHO_EN.search(text) or _WHO_ZH.search(text)
    if not match:
        return {}
    return {"query": _strip(next(g for g in match.groups() if g))}


def _encyclopedia(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("维基百科", "Wikipedia")
    query = str(slots["query"])
    title = quote(query[:1].upper() + query[1:] if ctx.lang == "en" else query, safe="").replace("%20", "_")
    provider = "wikipedia-zh" if ctx.lang == "zh" else "wikipedia-en"
    http: HTTP = ctx.http or HTTP()
    data = http.get_json(provider, label, f"/api/rest_v1/page/summary/{title}", {"redirect": "true"})
    try:
        kind = str(data.get("type", "standard"))
        extract = str(data["extract"])
        found = str(data.get("title") or query)
        page = str(data.get("content_urls", {}).get("desktop", {}).get("page", ""))
    except (KeyError, TypeError, AttributeError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    if kind == "disambiguation":
        text = ctx.say(
            f"“{found}”有多个含义，请说得具体一些。", f"“{found}” can mean several things; please be more specific."
        )
        return VerticalResult(text, ctx.lang, {"title": found, "ambiguous": True}, page or "Wikipedia")
    if not extract.strip():
        raise ProviderError(label, ctx.say(f"没有“{query}”的条目", f"it has no article on {query}"))
    return VerticalResult(
        first_sentences(extract, 160 if ctx.lang == "zh" else 320),
        ctx.lang,
        {"title": found, "description": data.get("description", ""), "url": page},
        page or "Wikipedia",
    )


ENCYCLOPEDIA = Vertical(
    id="encyclopedia",
    name_zh="百科",
    name_en="Encyclopedia",
    description_zh="某人或某事物是什么（维基百科摘要）。",
    description_en="Who or what something is (Wikipedia summaries).",
    examples_zh=(
        "爱因斯坦是谁",
        "介绍一下长城",
        "什么是量子计算",
        "李白是谁",
        "黑洞是什么",
        "讲讲故宫",
        "鲁迅是哪国人",
        "光合作用是什么",
        "介绍一下苏轼",
        "诺贝尔奖是什么",
        "居里夫人是谁",
        "说说丝绸之路",
    ),
    examples_en=(
        "who is Albert Einstein",
        "what is the Great Wall of China",
        "tell me about quantum computing",
        "who was Marie Curie",
        "what is a black hole",
        "tell me about the Forbidden City",
        "who is Ada Lovelace",
        "what is photosynthesis",
        "look up the Silk Road",
        "what do you know about the Nobel Prize",
        "who was Confucius",
        "what is machine learning",
    ),
    slots=(
        SlotSpec("query", required=True, question_zh="想了解什么？", question_en="What would you like to know about?"),
    ),
    triggers=(
        "是谁|是什么人|介绍一下|百科|什么是|讲讲|说说.{2,12}(的历史|是什么)|是哪国人|生平",
        "who (is|was|were)|tell me about|wikipedia|what do you know about|look up|biography",
        "说说",
        r"^what (is|are) (a|an) \w|^what is [a-z]+( [a-z]+)?\??$",
    ),
    extract=_encyclopedia_slots,
    handler=_encyclopedia,
    source="web (Wikipedia REST)",
)


_DEFINE = re.compile(
    r"(?:define|definition of|meaning of|what does|what's the meaning of|look up the word|单词|英文单词|英语单词)\s*"
    r"(?:the\s+word\s+)?[\"'“]?([A-Za-z][A-Za-z' -]*?)[\"'”]?"
    r"(?:\s+mean|\s*是什么意思|\s*什么意思|\s*的意思|\s*怎么解释|$|\s*\?)",
    re.IGNORECASE,
)
_WORD_ZH = re.compile(r"([A-Za-z][A-Za-z'-]*)\s*(?:是什么意思|什么意思|的意思|怎么解释|的释义|的定义)")

_POS_ZH = {"noun": "名词", "verb": "动词", "adjective": "形容词", "adverb": "副词", "interjection": "感叹词"}


def _dictionary_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    match = _DEFINE.search(utterance.strip()) or _WORD_ZH.search(utterance)
    return {"word": match[1].strip().lower()} if match else {}


def _dictionary(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("英语词典服务", "the dictionary service")
    word = str(slots["word"])
    if not re.fullmatch(r"[a-z][a-z' -]{0,40}", word):
        raise ProviderError(label, ctx.say("只能查英文单词", "it only knows English words"))
    http: HTTP = ctx.http or HTTP()
    data = http.get_json("dictionaryapi", label, f"/api/v2/entries/en/{quote(word)}")
    try:
        entry = data[0]
        meanings = [
            (str(m["partOfSpeech"]), str(m["definitions"][0]["definition"]))
            for m in entry["meanings"]
            if m.get("definitions")
        ]
        phonetic = str(entry.get("phonetic", ""))
    except (KeyError, TypeError, IndexError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    if not meanings:
        raise ProviderError(label, ctx.say(f"没有{word}的释义", f"it has no definition of {word}"))
    first_pos, first_def = meanings[0]
    pos_zh = _POS_ZH.get(first_pos, first_pos)
    text = ctx.say(
        f"{word}{'，读作' + phonetic if phonetic else ''}，作{pos_zh}的英文释义是：{first_def}",
        f"{word}{' (' + phonetic + ')' if phonetic else ''}, {first_pos}: {first_def}",
    )
    return VerticalResult(
        text,
        ctx.lang,
        {"word": word, "phonetic": phonetic, "meanings": [{"pos": p, "definition": d} for p, d in meanings]},
        "Free Dictionary API",
    )


DICTIONARY_EN = Vertical(
    id="dictionary_en",
    name_zh="英语词典",
    name_en="English dictionary",
    description_zh="英文单词的释义和读音（Free Dictionary API）。",
    description_en="Definitions and pronunciation of English words (Free Dictionary API).",
    examples_zh=(
        "英文单词apple是什么意思",
        "英语单词run是什么意思",
        "查一下单词happy的意思",
        "英文单词book的定义",
        "英语单词light怎么解释",
        "英文单词cat是什么意思",
        "单词water是什么意思呀",
        "英文单词dog的释义",
        "英语单词go什么意思",
        "英文单词tree是什么意思",
        "英语单词sun的意思",
        "查查英文单词map是什么意思",
    ),
    examples_en=(
        "define serendipity",
        "what does ephemeral mean",
        "meaning of ubiquitous",
        "definition of resilience",
        "what does gregarious mean",
        "define the word hello",
        "what's the meaning of nostalgia",
        "look up the word eloquent",
        "what does benevolent mean",
        "define algorithm",
        "meaning of the word run",
        "what does quixotic mean",
    ),
    slots=(SlotSpec("word", required=True, question_zh="查哪个单词？", question_en="Which word?"),),
    triggers=(
        r"[a-z]+\s*(是什么意思|什么意思|的意思|的释义|的定义|怎么解释)|单词",
        r"\bdefine\b|definition|meaning of|what does .{1,30} mean|synonyms?|antonyms?|spell the word",
        "the word [a-z]",
    ),
    extract=_dictionary_slots,
    handler=_dictionary,
    source="web (Free Dictionary API)",
)


_BOOK_PATTERNS = (
    (re.compile(r"^who (?:wrote|is the author of)\s+(.+)$", re.IGNORECASE), "title"),
    (re.compile(r"^(?:books|novels) (?:by|written by)\s+(.+)$", re.IGNORECASE), "author"),
    (re.compile(r"^what (?:books|novels) did\s+(.+?)\s+write$", re.IGNORECASE), "author"),
    (re.compile(r"^(?:find|look up|search for) (?:the )?book\s+(.+)$", re.IGNORECASE), "title"),
    (re.compile(r"^when was\s+(.+?)\s+(?:published|written)$", re.IGNORECASE), "title"),
    (re.compile(r"^(.+?)(?:的作者是谁|是谁写的|的作者|是哪年出版的|是什么时候出版的)"), "title"),
    (re.compile(r"^(.+?)(?:写过什么书|写了哪些书|有哪些作品|的书有哪些|有什么书)"), "author"),
    (re.compile(r"^(?:查一下|查查|找一下)(?:书|这本书)?\s*(.+)$"), "title"),
)


def _books_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    text = utterance.strip(" ?？。.!！")
    for pattern, field_name in _BOOK_PATTERNS:
        match = pattern.search(text)
        if match:
            return {field_name: _strip(match[1])}
    return {}


def _books(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("开放图书馆", "Open Library")
    title, author = str(slots.get("title", "")), str(slots.get("author", ""))
    if not title and not author:
        raise ProviderError(label, ctx.say("没有说书名或作者", "no title or author was given"))
    params: dict[str, Any] = {"limit": 5, "fields": "title,author_name,first_publish_year,key"}
    params.update({"title": title} if title else {"author": author})
    http: HTTP = ctx.http or HTTP()
    data = http.get_json("open-library", label, "/search.json", params)
    try:
        docs = [
            (str(d["title"]), [str(a) for a in d.get("author_name", [])], d.get("first_publish_year"))
            for d in data["docs"]
        ]
    except (KeyError, TypeError):
        raise ProviderError(label, "the answer was missing expected fields") from None
    if not docs:
        raise ProviderError(label, ctx.say(f"找不到“{title or author}”", f"it has no book matching {title or author}"))
    if title:
        book, authors, year = docs[0]
        by = "、".join(authors[:2]) if ctx.lang == "zh" else " and ".join(authors[:2])
        text = ctx.say(
            f"《{book}》的作者是{by or '佚名'}" + (f"，首次出版于{year}年。" if year else "。"),
            f"{book} is by {by or 'an unknown author'}" + (f", first published in {year}." if year else "."),
        )
        return VerticalResult(
            text, ctx.lang, {"title": book, "authors": authors, "first_publish_year": year}, "Open Library"
        )
    titles = list(dict.fromkeys(t for t, _, _ in docs))[:3]
    text = ctx.say(
        f"{author}的作品有：" + "、".join(f"《{t}》" for t in titles) + "。",
        f"Books by {author} include " + ", ".join(titles) + ".",
    )
    return VerticalResult(text, ctx.lang, {"author": author, "titles": titles}, "Open Library")


BOOKS = Vertical(
    id="books",
    name_zh="图书查询",
    name_en="Books",
    description_zh="书的作者、出版年份，作者写过哪些书（Open Library）。",
    description_en="Who wrote a book, when it came out, and what an author wrote (Open Library).",
    examples_zh=(
        "红楼梦的作者是谁",
        "三体是谁写的",
        "鲁迅写过什么书",
        "百年孤独的作者是谁",
        "活着是谁写的",
        "村上春树有哪些作品",
        "围城的作者是谁",
        "金庸写了哪些书",
        "小王子是谁写的",
        "傲慢与偏见是哪年出版的",
        "查一下书平凡的世界",
        "莫言有什么书",
    ),
    examples_en=(
        "who wrote Nineteen Eighty-Four",
        "books by Jane Austen",
        "who is the author of The Little Prince",
        "what books did Haruki Murakami write",
        "find the book Dune",
        "who wrote The Three-Body Problem",
        "when was Pride and Prejudice published",
        "novels by Charles Dickens",
        "who wrote One Hundred Years of Solitude",
        "look up the book Moby Dick",
        "books written by Agatha Christie",
        "who wrote To Kill a Mockingbird",
    ),
    slots=(SlotSpec("title"), SlotSpec("author")),
    triggers=(
        "作者|谁写的|写过什么书|哪些书|著作|出版|这本书|的书",
        r"\bbooks?\b|\bnovels?\b|\bauthor\b|who wrote|written by|published",
        "作品|有什么书|查一下书",
    ),
    extract=_books_slots,
    handler=_books,
    source="web (Open Library)",
)
