"""poem_joke: a classical poem (by author or title) or a joke, from a local corpus whose licence is recorded in the
corpus file itself (`poems_jokes.json`: public-domain poems; jokes written for the project or traditional)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from typing import Any

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalError, VerticalResult

__all__ = ["POEM_JOKE", "corpus"]


@cache
def corpus() -> dict[str, Any]:
    """The bundled corpus: {"licence": str, "poems": [...], "jokes": [...]}."""
    data: dict[str, Any] = json.loads(
        files("simulagent.verticals.builtin").joinpath("poems_jokes.json").read_text(encoding="utf-8")
    )
    return data


def _mentions(text: str, lowered: str, name: str) -> bool:
    return name in text if not name.isascii() else re.search(rf"\b{re.escape(name)}\b", lowered) is not None


def _poem_joke_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    for poem in corpus()["poems"]:
        title_en = poem["title_en"].lower().split(" (")[0]
        if poem["title"] in utterance or re.search(rf"\b{re.escape(title_en)}\b", lowered):
            return {"kind": "poem", "title": poem["title"]}
    for poem in corpus()["poems"]:
        names = (poem["author"], poem["author_en"].lower(), str(poem.get("short", "")).lower())
        if any(n and _mentions(utterance, lowered, n) for n in names):
            return {"kind": "poem", "author": poem["author"]}
    wants_poem = re.search(r"(poem|poetry|verse|recite|诗|词|背一首|念一首)", lowered)
    return {"kind": "poem" if wants_poem and not re.search(r"(joke|笑话|段子)", lowered) else "joke"}


def _poem_joke(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    rng = random.Random(ctx.extra.get("seed"))
    data = corpus()
    if slots.get("kind", "joke") == "joke":
        jokes = [j for j in data["jokes"] if j["lang"] == ctx.lang]
        joke = rng.choice(jokes)
        return VerticalResult(joke["text"], ctx.lang, {"kind": "joke", "origin": joke["origin"]}, "local corpus")
    poems = data["poems"]
    if slots.get("title"):
        poems = [p for p in poems if p["title"] == slots["title"]]
    elif slots.get("author"):
        poems = [p for p in poems if p["author"] == slots["author"]]
    else:
        poems = [p for p in poems if p["lang"] == ctx.lang]
    if not poems:
        raise VerticalError("语料里没有这首诗。", "That poem is not in my collection.")
    poem = rng.choice(poems)
    if poem["lang"] == "zh":
        text = ctx.say(
            f"{poem['title']}，{poem['era']}，{poem['author']}：{poem['text']}",
            f"{poem['title_en']} by {poem['author_en']}: {poem['text']}",
        )
    else:
        text = ctx.say(
            f"{poem['author']}的《{poem['title']}》：{poem['text']}",
            f"{poem['title']}, by {poem['author']}: {poem['text']}",
        )
    return VerticalResult(
        text,
        ctx.lang,
        {"kind": "poem", "title": poem["title"], "author": poem["author"]},
        "local corpus (public domain)",
    )


POEM_JOKE = Vertical(
    id="poem_joke",
    name_zh="诗词笑话",
    name_en="Poems and jokes",
    description_zh="念一首古诗，或者讲个笑话（本地语料）。",
    description_en="Recite a classical poem or tell a joke (local corpus).",
    examples_zh=(
        "讲个笑话",
        "给我念一首诗",
        "背一首李白的诗",
        "来一首杜甫的诗",
        "静夜思怎么背",
        "讲一个笑话听听",
        "来首唐诗",
        "念一首苏轼的诗",
        "说个段子",
        "背一下春晓",
        "来一首王维的诗",
        "逗我笑一下，讲个笑话吧",
    ),
    examples_en=(
        "tell me a joke",
        "recite a poem",
        "read me a poem by Li Bai",
        "say a poem by Emily Dickinson",
        "tell me something funny, a joke",
        "recite a Shakespeare poem",
        "a poem by Du Fu please",
        "make me laugh with a joke",
        "recite Quiet Night Thought",
        "give me some poetry",
        "recite a poem by William Blake",
        "do you know any jokes",
    ),
    slots=(SlotSpec("kind", "choice", choices=("poem", "joke")), SlotSpec("title"), SlotSpec("author")),
    triggers=(
        "笑话|段子|诗|背一首|念一首|逗我|宋词|唐诗|好笑",
        r"\bjokes?\b|\bpoem|poetry|recite|make me laugh|something funny|\bfunny\b|limerick|sonnet",
        "背一下|怎么背|背诵",
    ),
    extract=_poem_joke_slots,
    handler=_poem_joke,
    source="local corpus",
)
