"""The plugin API of vertical skills.

A vertical is a declarative `Vertical`: a stable id, names and descriptions in Chinese and English, example
utterances in both languages (the router learns from them), a typed slot schema, a slot extractor (utterance ->
slot values), and a handler (sync or async) that receives validated slots and a `VerticalContext` and returns a
`VerticalResult`: the text to speak (in the request's language), structured data, and where it came from.

Errors are typed: `MissingSlotError` carries the question to ask ("which city?"), `ProviderError` a spoken apology
with the reason; `run_vertical` turns any failure into a spoken answer, never a traceback.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from simulagent.errors import UserError

__all__ = [
    "MissingSlotError",
    "ProviderError",
    "SlotSpec",
    "Vertical",
    "VerticalContext",
    "VerticalError",
    "VerticalResult",
    "detect_lang",
    "run_vertical",
    "validate_slots",
]

Lang = Literal["zh", "en"]
SlotType = Literal["text", "int", "float", "date", "city", "choice", "duration_s"]


def detect_lang(text: str) -> Lang:
    """Whether Chinese characters carry the text ("zh") or not ("en").

    An English sentence quoting a few characters ("how do you pronounce 重庆") stays English: a text counts as
    Chinese when its Chinese characters are at least half as many as its Latin letters.
    """
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk and cjk * 2 >= latin else "en"


@dataclass(frozen=True)
class SlotSpec:
    """One slot of a skill.

    Attributes:
        name: identifier (ASCII).
        type: value type; values arrive as strings and are converted by `validate_slots`.
        required: the skill cannot answer without it (the agent asks `question_zh` / `question_en`).
        choices: allowed values for "choice".
        question_zh, question_en: how to ask for it.
    """

    name: str
    type: SlotType = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    question_zh: str = ""
    question_en: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"slot names are lower-case identifiers; got {self.name!r}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"choice slot {self.name!r} needs choices")
        if self.required and not (self.question_zh and self.question_en):
            raise ValueError(f"required slot {self.name!r} needs a question in both languages")


@dataclass(frozen=True)
class VerticalResult:
    """What a skill answers.

    Attributes:
        text: what to say, in `lang`.
        lang: "zh" or "en", matching the request.
        data: structured data for apps and tests.
        source: where the answer came from ("local", a provider name, a URL).
    """

    text: str
    lang: Lang
    data: Mapping[str, Any] = field(default_factory=dict)
    source: str = "local"


class VerticalError(UserError):
    """A skill cannot answer; `spoken` is what to say instead."""

    def __init__(self, spoken_zh: str, spoken_en: str, reason: str = "") -> None:
        super().__init__(reason or spoken_en)
        self.spoken = {"zh": spoken_zh, "en": spoken_en}


class MissingSlotError(VerticalError):
    """A required slot is missing; `slot` names it and `spoken` is the question to ask."""

    def __init__(self, slot: SlotSpec) -> None:
        super().__init__(slot.question_zh, slot.question_en, f"missing slot {slot.name}")
        self.slot = slot


class ProviderError(VerticalError):
    """A web provider failed (unreachable, error status, malformed or unexpected answer)."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(
            f"抱歉，{provider}暂时无法回答：{reason}。",
            f"Sorry, {provider} cannot answer right now: {reason}.",
            f"{provider}: {reason}",
        )
        self.provider = provider


@dataclass
class VerticalContext:
    """What a handler may use: the clock and place of the request, the user, an HTTP client, a local store, a
    translator, and the skills' configuration (home city, calendar file, news feeds). Tests build one with fixed
    `now` and fakes."""

    now: datetime
    lang: Lang = "en"
    time_zone: str = "UTC"
    user_id: str = "default"
    http: Any = None  # simulagent.verticals.web.HTTP
    store: Any = None  # simulagent.verticals.store.LocalStore
    translator: Any = None  # simulagent.signals.ChatModel or None
    home_city: str = ""
    calendar_file: str = ""
    news_feeds: dict[str, str] = field(default_factory=dict)  # topic -> feed URL, beside the defaults
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.time_zone)).date()

    def say(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en


Handler = Callable[[Mapping[str, Any], VerticalContext], "VerticalResult | Awaitable[VerticalResult]"]
Extractor = Callable[[str, VerticalContext], dict[str, str]]


@dataclass(frozen=True)
class Vertical:
    """A skill; see the module docstring. `id` is public API: never change a built-in's."""

    id: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    examples_zh: tuple[str, ...]
    examples_en: tuple[str, ...]
    slots: tuple[SlotSpec, ...]
    extract: Extractor
    handler: Handler
    source: str = "local"
    triggers: tuple[str, ...] = ()  # regexes (case-insensitive) of unambiguous requests: the router's tier 1

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?", self.id):
            raise ValueError(f"vertical ids look like 'weather' or 'time.now'; got {self.id!r}")
        for lang, examples in (("zh", self.examples_zh), ("en", self.examples_en)):
            if len(examples) < 12:
                raise ValueError(
                    f"vertical {self.id!r} needs at least 12 {lang} example utterances; has {len(examples)}"
                )
        for pattern in self.triggers:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"vertical {self.id!r} has a malformed trigger {pattern!r}: {exc}") from None
        names = [s.name for s in self.slots]
        if len(names) != len(set(names)):
            raise ValueError(f"vertical {self.id!r} declares a slot twice")


def validate_slots(vertical: Vertical, raw: Mapping[str, str]) -> dict[str, Any]:
    """Convert slot strings to their types; MissingSlotError for a missing required slot, UserError otherwise."""
    specs = {s.name: s for s in vertical.slots}
    unknown = set(raw) - set(specs)
    if unknown:
        raise UserError(f"{vertical.id} has no slot {', '.join(sorted(unknown))}; slots: {', '.join(specs) or 'none'}")
    values: dict[str, Any] = {}
    for spec in vertical.slots:
        value = raw.get(spec.name, "")
        if value == "":
            if spec.required:
                raise MissingSlotError(spec)
            continue
        try:
            if spec.type == "int":
                values[spec.name] = int(value)
            elif spec.type in ("float", "duration_s"):
                values[spec.name] = float(value)
            elif spec.type == "date":
                values[spec.name] = date.fromisoformat(value)
            elif spec.type == "choice":
                if value not in spec.choices:
                    raise ValueError(f"one of {', '.join(spec.choices)}")
                values[spec.name] = value
            else:
                values[spec.name] = value
        except ValueError as exc:
            raise UserError(f"slot {spec.name} of {vertical.id} must be a {spec.type} ({exc}); got {value!r}") from None
    return values


async def run_vertical(
    vertical: Vertical, ctx: VerticalContext, utterance: str = "", slots: Mapping[str, str] | None = None
) -> VerticalResult:
    """Extract slots from `utterance` (merged under explicit `slots`), validate them and run the handler.

    A `VerticalError` (missing slot, provider failure) becomes its spoken answer in the context's language, with
    `data["error"]` set; other exceptions propagate (they are bugs, caught and reported by the agent).
    """
    raw = dict(vertical.extract(utterance, ctx)) if utterance else {}
    raw.update(slots or {})
    try:
        values = validate_slots(vertical, raw)
        outcome = vertical.handler(values, ctx)
        if inspect.isawaitable(outcome):
            outcome = await outcome
        assert isinstance(outcome, VerticalResult)
        return outcome
    except MissingSlotError as exc:
        return VerticalResult(
            exc.spoken[ctx.lang], ctx.lang, {"error": "missing_slot", "slot": exc.slot.name}, vertical.id
        )
    except VerticalError as exc:
        return VerticalResult(
            exc.spoken[ctx.lang], ctx.lang, {"error": "provider", "reason": str(exc)}, vertical.source
        )


def run_vertical_sync(
    vertical: Vertical, ctx: VerticalContext, utterance: str = "", slots: Mapping[str, str] | None = None
) -> VerticalResult:
    """`run_vertical` for synchronous callers."""
    return asyncio.run(run_vertical(vertical, ctx, utterance, slots))
