"""pinyin and zh_convert: how Chinese characters are pronounced (pypinyin, with tone marks), and conversion between
simplified and traditional characters (OpenCC's tables, pure-Python implementation)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalResult

__all__ = ["PINYIN", "ZH_CONVERT"]

_QUOTED = re.compile(r"[「“\"'‘《](.+?)[」”\"'’》]")


def _target_text(utterance: str) -> str:
    quoted = _QUOTED.search(utterance)
    if quoted:
        return quoted.group(1)
    text = re.sub(
        r"(怎么读|的拼音|拼音是什么|读音|怎么念|用繁体怎么写|繁体字?|简体字?|转成|转换成|翻成|写成|怎么写|是什么)",
        " ",
        utterance,
    )
    text = re.sub(
        r"(how do you (pronounce|say|read)|pinyin (of|for)|pronunciation of|in traditional( chinese)?|"
        r"in simplified( chinese)?|convert|to traditional|to simplified|write|traditional|simplified|"
        r"characters?|please)",
        " ",
        text,
        flags=re.I,
    )
    chinese = re.findall(r"[\u4e00-\u9fff]+", text)
    return "".join(chinese)


def _pinyin_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    text = _target_text(utterance)
    return {"text": text} if text else {}


def _pinyin(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    from pypinyin import Style, pinyin

    text = str(slots["text"])
    readings = " ".join(item[0] for item in pinyin(text, style=Style.TONE))
    return VerticalResult(
        ctx.say(f"“{text}”读作 {readings}。", f'"{text}" is pronounced {readings}.'), ctx.lang, {"pinyin": readings}
    )


PINYIN = Vertical(
    id="pinyin",
    name_zh="拼音",
    name_en="Pinyin",
    description_zh="汉字的拼音和声调。",
    description_en="How Chinese characters are pronounced, in pinyin with tones.",
    examples_zh=(
        "“重庆”怎么读",
        "饕餮怎么读",
        "耄耋的拼音",
        "“行长”的拼音是什么",
        "龘怎么念",
        "給我“翘首以盼”的读音",
        "魑魅魍魉怎么读",
        "亳州的亳怎么读",
        "“长城”拼音",
        "蹒跚怎么念",
        "“鳜鱼”怎么读",
        "单于的读音",
    ),
    examples_en=(
        "how do you pronounce 重庆",
        "pinyin of 饕餮",
        "how do you say 谢谢",
        "pronunciation of 耄耋",
        "how do you read 银行",
        "pinyin for 北京",
        "how do you pronounce 西安",
        "pinyin of 长城",
        "how do you say 你好 in pinyin",
        "pronunciation of 蹒跚",
        "pinyin for 鳜鱼",
        "how do you read 单于",
    ),
    slots=(SlotSpec("text", required=True, question_zh="哪几个字？", question_en="Which characters?"),),
    triggers=(
        "拼音|读音|发音|多音字|[一-龥]\\s*[”\"']?\\s*(怎么读|怎么念|读什么|念什么)",
        "pinyin|prono?unc.{0,30}[一-龥]|[一-龥].{0,30}prono?unc|how (do you|to) (say|read) [^a-z]*[一-龥]",
    ),
    extract=_pinyin_slots,
    handler=_pinyin,
)


def _convert_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    direction = "t2s" if re.search(r"(简体|simplified)", utterance, re.I) else "s2t"
    text = _target_text(utterance)
    return {"text": text, "direction": direction} if text else {"direction": direction}


def _convert(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    import opencc

    direction = str(slots.get("direction", "s2t"))
    converted = opencc.OpenCC(direction).convert(str(slots["text"]))
    kind_zh = "繁体" if direction == "s2t" else "简体"
    kind_en = "traditional" if direction == "s2t" else "simplified"
    return VerticalResult(
        ctx.say(f"{kind_zh}写作：{converted}。", f"In {kind_en} characters: {converted}."),
        ctx.lang,
        {"text": converted},
    )


ZH_CONVERT = Vertical(
    id="zh_convert",
    name_zh="简繁转换",
    name_en="Simplified/traditional",
    description_zh="简体字与繁体字互相转换。",
    description_en="Converts between simplified and traditional Chinese characters.",
    examples_zh=(
        "“汉语”用繁体怎么写",
        "把“学习”转成繁体",
        "“國家”的简体字",
        "“电脑”繁体字怎么写",
        "“愛情”转换成简体",
        "“龙”的繁体",
        "“體育”写成简体",
        "把“开心”翻成繁体",
        "“廣東”简体怎么写",
        "“书”繁体字",
        "“台灣”转简体",
        "“网络”用繁体字怎么写",
    ),
    examples_en=(
        "write 汉语 in traditional characters",
        "convert 学习 to traditional",
        "國家 in simplified chinese",
        "traditional characters for 电脑",
        "convert 愛情 to simplified",
        "龙 in traditional",
        "write 體育 in simplified",
        "开心 in traditional chinese",
        "廣東 to simplified",
        "traditional form of 书",
        "simplified form of 台灣",
        "网络 in traditional characters",
    ),
    slots=(
        SlotSpec("text", required=True, question_zh="要转换哪些字？", question_en="Which text should I convert?"),
        SlotSpec("direction", "choice", choices=("s2t", "t2s")),
    ),
    triggers=(
        "繁体|简体|繁體|簡體|繁简|简繁|正体",
        "traditional chinese|simplified chinese|traditional characters|simplified characters",
        "(to|in) (traditional|simplified)|(traditional|simplified) form",
    ),
    extract=_convert_slots,
    handler=_convert,
)
