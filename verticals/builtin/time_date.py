"""time.now, date.query, date.countdown: clock and calendar questions, answered locally (zoneinfo)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalResult
from simulagent.verticals.gazetteer import find_city, find_city_in
from simulagent.verticals.slots import relative_day

__all__ = ["COUNTDOWN", "DATE_QUERY", "TIME_NOW"]

_WEEKDAYS_ZH = "一二三四五六日"
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _place(slots: Mapping[str, Any], ctx: VerticalContext) -> tuple[str, str, str]:
    """(time zone, name in zh, name in en) of the slot city, else the user's."""
    city = find_city(str(slots.get("city", ""))) if slots.get("city") else None
    if city is None:
        return ctx.time_zone, "", ""
    return city.time_zone, city.name_zh, city.name_en


def _extract_city(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    city = find_city_in(utterance)
    return {"city": city.name_en} if city else {}


def _time_now(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    tz, zh, en = _place(slots, ctx)
    local = ctx.now.astimezone(ZoneInfo(tz))
    text = ctx.say(
        f"{zh + '现在' if zh else '现在'}是{local.hour}点{local.minute:02d}分。",
        f"It is {local.strftime('%H:%M')}{' in ' + en if en else ''}.",
    )
    return VerticalResult(text, ctx.lang, {"time": local.isoformat(), "time_zone": tz})


TIME_NOW = Vertical(
    id="time.now",
    name_zh="现在几点",
    name_en="Current time",
    description_zh="回答现在的时间，可指定城市。",
    description_en="Tells the current time, here or in a named city.",
    examples_zh=(
        "现在几点了",
        "几点了",
        "现在是什么时间",
        "告诉我现在的时间",
        "东京现在几点",
        "伦敦现在几点了",
        "纽约现在是几点",
        "巴黎现在什么时间",
        "北京时间现在几点",
        "看一下时间",
        "现在几点钟",
        "悉尼现在几点",
    ),
    examples_en=(
        "what time is it",
        "what's the time",
        "tell me the time",
        "what time is it in Tokyo",
        "current time in London",
        "what time is it now",
        "time please",
        "what's the time in New York",
        "do you know what time it is",
        "what time is it in Paris right now",
        "local time in Sydney",
        "what is the time in Berlin",
    ),
    slots=(SlotSpec("city", "city"),),
    triggers=(
        "几点了|几点钟|现在几点|什么时间了|现在时间|当地时间|几点啦",
        "what time is it|what'?s the time|current time|time is it|the time (now|right now)|local time",
        # The current time only: a bare "几点" also asks when the sun rises or what time it is elsewhere at 8.
        "现在.{0,3}(几点|什么时间)|现在的时间|看一下时间|现在时间",
        "tell me the time|time please|what time it is|what is the time",
    ),
    extract=_extract_city,
    handler=_time_now,
)


def _date_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    day = relative_day(utterance, ctx.today)
    return {"day": day.isoformat()} if day else {}


def _date_query(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    day: date = slots.get("day") or ctx.today
    weekday = day.weekday()
    text = ctx.say(
        f"{day.year}年{day.month}月{day.day}日，星期{_WEEKDAYS_ZH[weekday]}。",
        f"{_WEEKDAYS_EN[weekday]}, {day.strftime('%B')} {day.day}, {day.year}.",
    )
    return VerticalResult(text, ctx.lang, {"date": day.isoformat(), "weekday": weekday})


DATE_QUERY = Vertical(
    id="date.query",
    name_zh="日期查询",
    name_en="Date",
    description_zh="今天、明天或几天后的日期和星期几。",
    description_en="The date and weekday of today, tomorrow or N days from now.",
    examples_zh=(
        "今天几号",
        "今天星期几",
        "明天是几号",
        "后天星期几",
        "十天后是几号",
        "今天是几月几日",
        "昨天是星期几",
        "明天星期几",
        "三天后是星期几",
        "今天的日期",
        "100天后是哪一天",
        "大后天是几号",
    ),
    examples_en=(
        "what's the date today",
        "what day is it today",
        "what day is tomorrow",
        "what's the date tomorrow",
        "what day was yesterday",
        "what date is it in 10 days",
        "which day of the week is today",
        "today's date",
        "what day will it be in three days",
        "what is the date the day after tomorrow",
        "what date is it in 100 days",
        "is today Monday",
    ),
    slots=(SlotSpec("day", "date"),),
    triggers=(
        "星期几|周几|礼拜几|几号|几月几[号日]|哪一天|天[以之]?后是|是哪天",
        "what day|what'?s the date|what date|day of the week|days? from (now|today)|what is the date|today'?s date",
        "tell me the date|the date today|date today|today'?s date",
        "今天的日期|日期",
        "is today (monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    ),
    extract=_date_slots,
    handler=_date_query,
)

_FESTIVALS: dict[str, tuple[int, int, str]] = {
    "元旦": (1, 1, "New Year's Day"),
    "new year": (1, 1, "New Year's Day"),
    "情人节": (2, 14, "Valentine's Day"),
    "valentine": (2, 14, "Valentine's Day"),
    "劳动节": (5, 1, "Labour Day"),
    "labour day": (5, 1, "Labour Day"),
    "儿童节": (6, 1, "Children's Day"),
    "国庆": (10, 1, "National Day"),
    "national day": (10, 1, "National Day"),
    "万圣节": (10, 31, "Halloween"),
    "halloween": (10, 31, "Halloween"),
    "圣诞": (12, 25, "Christmas"),
    "christmas": (12, 25, "Christmas"),
}


def _countdown_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    for key, (month, day, _) in _FESTIVALS.items():
        if key in lowered:
            target = date(ctx.today.year, month, day)
            if target < ctx.today:
                target = date(ctx.today.year + 1, month, day)
            return {"target": target.isoformat(), "name": key}
    match = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", utterance) or re.search(
        r"(\d{4})年(\d{1,2})月(\d{1,2})日", utterance
    )
    if match:
        return {"target": date(int(match[1]), int(match[2]), int(match[3])).isoformat()}
    return {}


def _countdown(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    target: date = slots["target"]
    days = (target - ctx.today).days
    name = str(slots.get("name", ""))
    label_zh = name if name and not name.isascii() else target.isoformat()
    label_en = _FESTIVALS[name][2] if name in _FESTIVALS else target.isoformat()
    if days >= 0:
        text = ctx.say(f"距离{label_zh}还有{days}天。", f"{days} days until {label_en}.")
    else:
        text = ctx.say(f"{label_zh}已经过去{-days}天了。", f"{label_en} was {-days} days ago.")
    return VerticalResult(text, ctx.lang, {"days": days, "target": target.isoformat()})


COUNTDOWN = Vertical(
    id="date.countdown",
    name_zh="倒数日",
    name_en="Countdown",
    description_zh="距离某个日期或节日还有几天。",
    description_en="How many days until a date or a festival.",
    examples_zh=(
        "离圣诞节还有几天",
        "距离元旦还有多少天",
        "国庆还有几天",
        "还有多少天到情人节",
        "离2030年1月1日还有几天",
        "万圣节还有几天",
        "劳动节还有多久",
        "儿童节还有几天",
        "离圣诞还有多少天",
        "距离国庆节还有几天",
        "元旦还有几天",
        "到2027-06-01还有几天",
    ),
    examples_en=(
        "how many days until christmas",
        "days until new year",
        "how long until halloween",
        "countdown to christmas",
        "how many days to valentine's day",
        "how many days until 2030-01-01",
        "days left until national day",
        "how far away is christmas",
        "when is new year, how many days",
        "how many days until labour day",
        "how many days until halloween",
        "days until 2027-06-01",
    ),
    slots=(
        SlotSpec(
            "target",
            "date",
            required=True,
            question_zh="你想倒数到哪一天？",
            question_en="Which date should I count down to?",
        ),
        SlotSpec("name"),
    ),
    triggers=(
        "还有几天|还有多少天|还剩几天|还剩多少天|倒数|距离.{1,12}(还有|多少天|几天)|离.{1,12}(还有|多少天|几天)",
        "how many days (until|till|to|left|before)|days (until|till|left)|countdown to|how long (until|till|before)",
        "还有多久|还要多久",
        "how far away is|how many days",
    ),
    extract=_countdown_slots,
    handler=_countdown,
)
