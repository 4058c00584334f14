"""Slot extraction helpers shared by the skills and the agent's template router: numbers in Arabic or Chinese
numerals, relative days in Chinese and English, and cities from the gazetteer."""

from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["EN_NUMBERS", "find_number", "find_numbers", "relative_day", "to_number"]

_CN_NUM = r"[零〇一二两三四五六七八九十百千万亿点半]+"
_NUMBER = re.compile(rf"-?\d+(?:\.\d+)?|{_CN_NUM}")


def to_number(token: str) -> float | None:
    """ "42", "3.5", "三十五", "两百" -> a number; None when it is not one."""
    try:
        return float(token)
    except ValueError:
        pass
    import cn2an

    if token == "半":
        return 0.5
    try:
        return float(cn2an.cn2an(token.replace("两", "二"), "smart"))
    except (ValueError, KeyError):
        return None


def find_numbers(text: str) -> list[float]:
    out = []
    for match in _NUMBER.finditer(text):
        value = to_number(match.group(0))
        if value is not None:
            out.append(value)
    return out


def find_number(text: str) -> float | None:
    numbers = find_numbers(text)
    return numbers[0] if numbers else None


_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "today": 0,
    "tonight": 0,
    "明天": 1,
    "明日": 1,
    "tomorrow": 1,
    "后天": 2,
    "day after tomorrow": 2,
    "大后天": 3,
    "昨天": -1,
    "yesterday": -1,
    "前天": -2,
}


def relative_day(text: str, today: date) -> date | None:
    """The day a text refers to: today/tomorrow/后天..., "in N days"/"N天后"; None when none is named."""
    lowered = text.lower()
    for phrase in sorted(_RELATIVE, key=len, reverse=True):
        if phrase in lowered:
            return today + timedelta(days=_RELATIVE[phrase])
    match = re.search(r"in (\d+|\w+) days?", lowered) or re.search(rf"(\d+|{_CN_NUM})\s*天(?:后|以后|之后)", text)
    if match:
        value = (
            to_number(match.group(1))
            if not match.group(1).isalpha() or not match.group(1).isascii()
            else EN_NUMBERS.get(match.group(1))
        )
        if value is not None:
            return today + timedelta(days=int(value))
    return None


EN_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "hundred": 100,
    "thousand": 1000,
    "a": 1,
    "an": 1,
}
"""English number words the skills understand ("in three days", "ten minutes", "an hour")."""
