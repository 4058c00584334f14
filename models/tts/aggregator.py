"""Cutting a stream of text into speakable units, so speech can start before a sentence is complete.

Text arrives in pieces (LLM tokens, committed words). A unit ends at clause punctuation (，。！？；、,.;:!?) — but not
inside a number ("3.5", "1,000"), after an abbreviation ("Dr.", "e.g."), or inside a URL or e-mail address, which
needs one character of look-ahead: a trailing "." or "," waits for the next piece. Before the first cut, a unit is
also cut after `first_cut_max_words` words (or as many Chinese characters × 2) so the first audio starts early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["AggregatorOptions", "SpeakableAggregator"]

_CUT = set("，。！？；、,.;:!?")
_STRONG = set("。！？；!?;\n")
_SENTENCE_END = set("。！？.!?")
_ABBREVIATIONS = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "u.s",
    "u.k",
    "no",
    "jr",
    "sr",
    "inc",
    "ltd",
    "fig",
    "approx",
}
_URLISH = re.compile(r"(https?://|www\.|\S+@\S+)\S*$", re.IGNORECASE)


@dataclass(frozen=True)
class AggregatorOptions:
    """Attributes:
    first_cut_max_words: cut the first unit after this many words even without punctuation (0 disables).
    min_chars: do not emit a unit shorter than this (it joins the next one), except at strong punctuation.
    """

    first_cut_max_words: int = 6
    min_chars: int = 2
    clause_cuts: bool = True  # False: cut at sentence ends only (the sentence-level baseline)


@dataclass
class SpeakableAggregator:
    """Feed text with `push`; each call returns the units that became complete; `flush` returns the rest."""

    options: AggregatorOptions = field(default_factory=AggregatorOptions)
    _buffer: str = ""
    _emitted_any: bool = False

    def push(self, text: str) -> list[str]:
        self._buffer += text
        return self._cut(final=False)

    def flush(self) -> list[str]:
        units = self._cut(final=True)
        rest = self._buffer.strip()
        self._buffer = ""
        if rest:
            units.append(rest)
            self._emitted_any = True
        return units

    def reset(self) -> None:
        self._buffer = ""
        self._emitted_any = False

    def _cut(self, final: bool) -> list[str]:
        units: list[str] = []
        start = 0
        text = self._buffer
        i = 0
        while i < len(text):
            char = text[i]
            if (char in _CUT and (self.options.clause_cuts or char in _SENTENCE_END)) or char == "\n":
                if i + 1 >= len(text) and not final and char in ".,:":
                    break  # need the next character to know (3.5, 1,000, Dr., https:)
                if self._is_cut(text, start, i):
                    unit = text[start : i + 1].strip()
                    if len(unit) >= self.options.min_chars or char in _STRONG:
                        if unit:
                            units.append(unit)
                            self._emitted_any = True
                        start = i + 1
            i += 1
        if not self._emitted_any and self.options.first_cut_max_words:
            start, early = self._early_cut(text, start)
            if early:
                units.append(early)
                self._emitted_any = True
        self._buffer = text[start:]
        return units

    def _is_cut(self, text: str, start: int, i: int) -> bool:
        char = text[i]
        before = text[start:i]
        after = text[i + 1 : i + 2]
        if char in ".,:" and before[-1:].isdigit() and after.isdigit():
            return False  # 3.5, 1,000, 10:30
        if char in ".,:" and after and not after.isspace() and not "\u3000" <= after <= "\u9fff":
            return False  # glued to what follows: https://, a.b, 3.x, file.txt
        if char in ".:" and _URLISH.search(before) and after and not after.isspace():
            return False  # inside a URL or an address
        if char == ".":
            last_word = re.split(r"\s", before)[-1].lower().lstrip("(\"'")
            if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
                return False  # Dr. Smith, J. Smith
            if after and not after.isspace():
                return False  # e.g. "e.g", "3.x", file.txt
        return True

    def _early_cut(self, text: str, start: int) -> tuple[int, str]:
        pending = text[start:]
        cjk = sum(1 for c in pending if "\u4e00" <= c <= "\u9fff")
        if cjk:
            limit = self.options.first_cut_max_words * 2
            return (start + limit, pending[:limit].strip()) if cjk > limit else (start, "")
        words = pending.split(" ")
        # Only complete words count: the last piece may still be growing.
        if len(words) > self.options.first_cut_max_words:
            head = " ".join(words[: self.options.first_cut_max_words])
            return start + len(head) + 1, head.strip()
        return start, ""
