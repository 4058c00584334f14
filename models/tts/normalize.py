"""Text normalisation for speech: numbers, decimals, percentages, dates, times and common units read aloud, in
English (num2words) and Chinese (cn2an), so a synthesiser never spells "3.5%" digit by digit."""

from __future__ import annotations

import re

__all__ = ["normalize_for_speech"]

_EN_UNITS = {
    "km": "kilometers",
    "kg": "kilograms",
    "cm": "centimeters",
    "mm": "millimeters",
    "m": "meters",
    "g": "grams",
    "kmh": "kilometers per hour",
    "km/h": "kilometers per hour",
    "mph": "miles per hour",
    "°C": "degrees Celsius",
    "°F": "degrees Fahrenheit",
    "ml": "milliliters",
    "l": "liters",
    "h": "hours",
    "min": "minutes",
    "s": "seconds",
}
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_NUMBER = r"\d+(?:\.\d+)?"


def normalize_for_speech(text: str, lang: str) -> str:
    """`text` with numbers, dates, times, percentages and units written out for `lang` ("en" or "zh"; others
    pass through unchanged)."""
    if lang.startswith("zh"):
        return _zh(text)
    if lang.startswith("en"):
        return _en(text)
    return text


def _en(text: str) -> str:
    from num2words import num2words

    def number(value: str) -> str:
        return str(num2words(float(value) if "." in value else int(value)))

    def date(match: re.Match[str]) -> str:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        if not 1 <= month <= 12:
            return match[0]
        return f"{_MONTHS[month - 1]} {num2words(day, to='ordinal')}, {num2words(year, to='year')}"

    def clock(match: re.Match[str]) -> str:
        hours, minutes = int(match[1]), int(match[2])
        return (
            f"{num2words(hours)} o'clock"
            if minutes == 0
            else f"{num2words(hours)} {'oh ' if minutes < 10 else ''}{num2words(minutes)}"
        )

    def unit(match: re.Match[str]) -> str:
        return f"{number(match[1])} {_EN_UNITS[match[2]]}"

    text = re.sub(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", date, text)
    text = re.sub(r"\b(\d{1,2}):(\d{2})\b", clock, text)
    text = re.sub(rf"({_NUMBER})\s?%", lambda m: f"{number(m[1])} percent", text)
    units = "|".join(sorted((re.escape(u) for u in _EN_UNITS), key=len, reverse=True))
    text = re.sub(rf"({_NUMBER})\s?({units})(?![\w/])", unit, text)
    text = re.sub(r"\$(" + _NUMBER + r")", lambda m: f"{number(m[1])} dollars", text)
    text = re.sub(r"(?<![\w.])(\d{1,3}(?:,\d{3})+)(?![\d.])", lambda m: m[1].replace(",", ""), text)
    return re.sub(rf"(?<![\w.]){_NUMBER}(?![\w])", lambda m: number(m[0]), text)


def _zh(text: str) -> str:
    import cn2an

    text = re.sub(r"(\d{1,2}):(\d{2})", lambda m: f"{int(m[1])}点" + ("整" if m[2] == "00" else f"{int(m[2])}分"), text)
    text = re.sub(r"(\d{4})-(\d{1,2})-(\d{1,2})", lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", text)
    text = text.replace("°C", "摄氏度").replace("km", "公里").replace("kg", "公斤")
    return str(cn2an.transform(text, "an2cn"))
