"""The explicit registry of built-in skills, and discovery of third-party skills through the entry-point group
`simulagent.verticals` (each entry point names a `Vertical` object, or a callable returning one or a list). A
broken plugin is reported and skipped; it never takes the agent down."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from simulagent.errors import UserError
from simulagent.verticals.api import Vertical
from simulagent.verticals.builtin.agenda import AGENDA
from simulagent.verticals.builtin.calendar_cn import HOLIDAY, LUNAR_CALENDAR, SOLAR_TERM
from simulagent.verticals.builtin.environment import AIR_QUALITY, EARTHQUAKE
from simulagent.verticals.builtin.finance import CRYPTO_PRICE, FX_RATE, STOCK_QUOTE
from simulagent.verticals.builtin.knowledge import BOOKS, DICTIONARY_EN, ENCYCLOPEDIA
from simulagent.verticals.builtin.language import PINYIN, ZH_CONVERT
from simulagent.verticals.builtin.lists import NOTE, TODO
from simulagent.verticals.builtin.math_units import CALCULATOR, NUMBER_FORMAT, UNIT_CONVERT
from simulagent.verticals.builtin.media import NEWS, RADIO
from simulagent.verticals.builtin.misc import HEALTH_CALC, RANDOM, ZODIAC
from simulagent.verticals.builtin.places import PLACE_INFO, SUN_MOON, TIME_CONVERT
from simulagent.verticals.builtin.poem_joke import POEM_JOKE
from simulagent.verticals.builtin.time_date import COUNTDOWN, DATE_QUERY, TIME_NOW
from simulagent.verticals.builtin.timers import ALARM, REMINDER, TIMER
from simulagent.verticals.builtin.translate import TRANSLATE
from simulagent.verticals.builtin.travel import FLIGHT_TRACK, ROUTE_TIME
from simulagent.verticals.builtin.weather import WEATHER

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "PLANNED_IDS", "Registry", "load_registry"]

log = logging.getLogger("simulagent.verticals")

ENTRY_POINT_GROUP = "simulagent.verticals"

BUILTIN: tuple[Vertical, ...] = (
    TIME_NOW,
    TIME_CONVERT,
    DATE_QUERY,
    COUNTDOWN,
    LUNAR_CALENDAR,
    SOLAR_TERM,
    HOLIDAY,
    SUN_MOON,
    ZODIAC,
    TIMER,
    ALARM,
    REMINDER,
    TODO,
    NOTE,
    AGENDA,
    CALCULATOR,
    UNIT_CONVERT,
    NUMBER_FORMAT,
    PINYIN,
    ZH_CONVERT,
    TRANSLATE,
    DICTIONARY_EN,
    RANDOM,
    HEALTH_CALC,
    WEATHER,
    AIR_QUALITY,
    EARTHQUAKE,
    PLACE_INFO,
    FX_RATE,
    STOCK_QUOTE,
    CRYPTO_PRICE,
    ENCYCLOPEDIA,
    NEWS,
    BOOKS,
    RADIO,
    POEM_JOKE,
    ROUTE_TIME,
    FLIGHT_TRACK,
)

# The public ids of the built-in set; a test checks that BUILTIN provides exactly these.
PLANNED_IDS = (
    "time.now",
    "time.convert",
    "date.query",
    "date.countdown",
    "lunar.calendar",
    "solar_term",
    "holiday",
    "sun_moon",
    "zodiac",
    "timer",
    "alarm",
    "reminder",
    "todo",
    "note",
    "agenda",
    "calculator",
    "unit_convert",
    "number_format",
    "pinyin",
    "zh_convert",
    "translate",
    "dictionary_en",
    "random",
    "health_calc",
    "weather",
    "air_quality",
    "earthquake",
    "place_info",
    "fx_rate",
    "stock_quote",
    "crypto_price",
    "encyclopedia",
    "news",
    "books",
    "radio",
    "poem_joke",
    "route_time",
    "flight_track",
)


@dataclass
class Registry:
    """The skills available, by id, and the plugins that failed to load (id or entry point -> reason)."""

    skills: dict[str, Vertical] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)

    def get(self, skill_id: str) -> Vertical:
        if skill_id not in self.skills:
            raise UserError(f"no skill {skill_id!r}; known: {', '.join(sorted(self.skills))}")
        return self.skills[skill_id]


def _load_entry_point(ep: EntryPoint) -> list[Vertical]:
    obj = ep.load()
    if callable(obj) and not isinstance(obj, Vertical):
        obj = obj()
    items = obj if isinstance(obj, list | tuple) else [obj]
    for item in items:
        if not isinstance(item, Vertical):
            raise TypeError(f"expected a Vertical, got {type(item).__name__}")
    return list(items)


def load_registry(
    disabled: tuple[str, ...] = (), plugins: bool = True, extra_entry_points: list[EntryPoint] | None = None
) -> Registry:
    """Built-ins, then plugins (a plugin may not replace a built-in id)."""
    registry = Registry({v.id: v for v in BUILTIN if v.id not in disabled})
    found = list(entry_points(group=ENTRY_POINT_GROUP)) if plugins else []
    for ep in [*found, *(extra_entry_points or [])]:
        try:
            skills = _load_entry_point(ep)
        except Exception as exc:  # any failure in third-party code: report and skip
            registry.broken[ep.name] = f"{type(exc).__name__}: {exc}"
            log.warning("skipping the broken skill plugin %s: %s", ep.name, exc)
            continue
        for skill in skills:
            if skill.id in registry.skills:
                registry.broken[skill.id] = f"plugin {ep.name} reuses the id of an existing skill"
                continue
            if skill.id not in disabled:
                registry.skills[skill.id] = skill
    return registry
