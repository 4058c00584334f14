"""translate: short phrase translation. The agent's own language model translates when the context carries one
(`VerticalContext.translator`, any `simulagent.signals.ChatModel`); otherwise the keyless MyMemory web API does."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulagent.signals import ChatMessage, GenerationOptions
from simulagent.verticals.api import ProviderError, SlotSpec, Vertical, VerticalContext, VerticalResult, detect_lang
from simulagent.verticals.web import HTTP

__all__ = ["LANGUAGES", "TRANSLATE"]

# code -> (Chinese name, English name, names people say)
LANGUAGES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "zh": ("中文", "Chinese", ("中文", "汉语", "chinese", "mandarin")),
    "en": ("英文", "English", ("英文", "英语", "english")),
    "ja": ("日语", "Japanese", ("日语", "日文", "japanese")),
    "ko": ("韩语", "Korean", ("韩语", "韩文", "korean")),
    "fr": ("法语", "French", ("法语", "法文", "french")),
    "de": ("德语", "German", ("德语", "德文", "german")),
    "es": ("西班牙语", "Spanish", ("西班牙语", "西语", "spanish")),
    "ru": ("俄语", "Russian", ("俄语", "俄文", "russian")),
    "it": ("意大利语", "Italian", ("意大利语", "italian")),
}
_MAX_CHARS = 500  # the skill is for phrases; long texts belong to the translation pipeline

_PATTERNS = (
    re.compile(r"^translate\s+(.+?)\s+(?:into|to)\s+(\w+)$", re.IGNORECASE),
    re.compile(r"^how do (?:you|I) say\s+(.+?)\s+in\s+(\w+)$", re.IGNORECASE),
    re.compile(r"^what is\s+(.+?)\s+in\s+(\w+)$", re.IGNORECASE),
    re.compile(r"^what's\s+(.+?)\s+in\s+(\w+)$", re.IGNORECASE),
    re.compile(r"^(?:把|将)(.+?)翻译成(\w+?)(?:是什么|怎么说)?$"),
    re.compile(r"^(.+?)用(\w+?)怎么说$"),
    re.compile(r"^(.+?)翻译成(\w+?)(?:是什么|怎么说)?$"),
    re.compile(r"^(.+?)的(\w+?)(?:是什么|怎么说)$"),
)


def _language_code(name: str) -> str | None:
    lowered = name.lower()
    for code, (_, _, names) in LANGUAGES.items():
        if any(lowered == n or lowered.startswith(n) for n in names):
            return code
    return None


def _translate_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    text = utterance.strip().rstrip("?？。.!！")
    for pattern in _PATTERNS:
        match = pattern.search(text)
        if match:
            target = _language_code(match[2])
            if target:
                return {"text": match[1].strip(" \"'“”‘’「」"), "target": target}
    return {}


def _with_model(model: Any, text: str, source: str, target: str) -> str:
    prompt = (
        f"Translate from {LANGUAGES[source][1]} into {LANGUAGES[target][1]}. "
        f"Answer with the translation only.\n\n{text}"
    )
    pieces = model.stream([ChatMessage("user", prompt)], GenerationOptions(max_tokens=128, temperature=0.0))
    return "".join(pieces).strip().strip('"“”')


def _translate(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    label = ctx.say("翻译服务", "the translation service")
    text = str(slots["text"])
    target = str(slots.get("target") or ("en" if detect_lang(text) == "zh" else "zh"))
    if target not in LANGUAGES:
        raise ProviderError(label, ctx.say(f"不支持语言{target}", f"it does not know the language {target}"))
    if len(text) > _MAX_CHARS:
        raise ProviderError(label, ctx.say("句子太长了", f"the text is over {_MAX_CHARS} characters"))
    source = detect_lang(text)
    if source == target:
        source = "en" if target == "zh" else "zh"
    if ctx.translator is not None:
        translation, provider = _with_model(ctx.translator, text, source, target), "local language model"
    else:
        http: HTTP = ctx.http or HTTP()
        pair = f"{source}|{'zh-CN' if target == 'zh' else target}"
        data = http.get_json("mymemory", label, "/get", {"q": text, "langpair": pair})
        try:
            status = int(data.get("responseStatus", 200))
            translation = str(data["responseData"]["translatedText"]).strip()
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ProviderError(label, "the answer was missing expected fields") from None
        if status == 429 or "MYMEMORY WARNING" in translation.upper():
            raise ProviderError(label, "the service's quota is used up")
        if status != 200:
            raise ProviderError(label, str(data.get("responseDetails") or f"the service failed ({status})"))
        provider = "MyMemory"
    if not translation:
        raise ProviderError(label, ctx.say("没有得到译文", "it returned no translation"))
    zh_name, en_name, _ = LANGUAGES[target]
    spoken = ctx.say(f"“{text}”的{zh_name}是：{translation}", f'"{text}" in {en_name} is: {translation}')
    return VerticalResult(
        spoken, ctx.lang, {"text": text, "source": source, "target": target, "translation": translation}, provider
    )


TRANSLATE = Vertical(
    id="translate",
    name_zh="翻译",
    name_en="Translate",
    description_zh="翻译短语（本地语言模型，或联网翻译服务）。",
    description_en="Translate a short phrase (the local language model, or a web translation service).",
    examples_zh=(
        "把你好翻译成英文",
        "谢谢用英语怎么说",
        "早上好用日语怎么说",
        "把我爱你翻译成法语",
        "生日快乐用德语怎么说",
        "苹果的英文是什么",
        "把欢迎光临翻译成英语",
        "再见用韩语怎么说",
        "把祝你好运翻译成西班牙语",
        "晚安翻译成英文",
        "对不起用俄语怎么说",
        "把今天天气很好翻译成英文",
    ),
    examples_en=(
        "translate good morning into Chinese",
        "how do you say thank you in Chinese",
        "how do I say where is the station in Japanese",
        "translate I love you to French",
        "what is happy birthday in German",
        "how do you say good night in Chinese",
        "translate see you tomorrow into Spanish",
        "what's cheers in Korean",
        "translate nice to meet you to Chinese",
        "how do you say excuse me in Italian",
        "translate the weather is nice today into Chinese",
        "how do you say I am hungry in Russian",
    ),
    slots=(
        SlotSpec("text", required=True, question_zh="要翻译什么？", question_en="What should I translate?"),
        SlotSpec("target", "choice", choices=tuple(LANGUAGES)),
    ),
    triggers=(
        "翻译|用.{1,6}[语文]怎么说|的(英文|英语|中文|日语|法语|德语|韩语|西班牙语|俄语)(是什么|怎么说)|[英法德日韩俄]语怎么说",
        r"translat|how do (you|i) say .{1,40} in \w+",
        "what'?s .{1,30} in (french|german|spanish|japanese|korean|chinese|italian|russian|english)",
        r"in (french|german|spanish|japanese|korean|italian|russian)\b",
    ),
    extract=_translate_slots,
    handler=_translate,
    source="models (+ web: MyMemory)",
)
