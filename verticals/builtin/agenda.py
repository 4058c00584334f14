"""agenda: events of a day, of the week, or the next one, from a local iCalendar (.ics) file (the path is the
`verticals.calendar_file` setting; any calendar app can export one). Repeating events are expanded with
recurring-ical-events, so weekly meetings and yearly birthdays appear on the days they fall."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalError, VerticalResult
from simulagent.verticals.slots import relative_day

__all__ = ["AGENDA", "read_events"]

_MAX_ICS_BYTES = 20_000_000


def read_events(path: Path, start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, bool, str, str]]:
    """(start in `zone`, all-day?, summary, location) of the events overlapping [start, end), sorted by start."""
    import icalendar
    import recurring_ical_events

    if not path.is_file():
        raise VerticalError(
            f"找不到日历文件 {path.name}。", f"The calendar file {path.name} does not exist.", f"no calendar at {path}"
        )
    if path.stat().st_size > _MAX_ICS_BYTES:
        raise VerticalError("日历文件太大。", "The calendar file is too large.", f"{path} is over 20 MB")
    try:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        occurrences = recurring_ical_events.of(calendar).between(start, end)
    except (ValueError, KeyError, IndexError) as exc:
        raise VerticalError(
            "日历文件格式有误。", "The calendar file is not valid iCalendar.", f"{path}: {exc}"
        ) from None
    events: list[tuple[datetime, bool, str, str]] = []
    for event in occurrences:
        begin = event.get("DTSTART").dt
        all_day = not isinstance(begin, datetime)
        if all_day:
            begin = datetime.combine(begin, time(0, 0), zone)
        elif begin.tzinfo is None:  # floating time: the user's own clock
            begin = begin.replace(tzinfo=zone)
        events.append((begin.astimezone(zone), all_day, str(event.get("SUMMARY", "")), str(event.get("LOCATION", ""))))
    return sorted(events, key=lambda e: e[0])


_WEEKDAYS = {
    **{
        name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    **{name: i for i, name in enumerate("一二三四五六日")},
    "天": 6,
}


def _agenda_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    lowered = utterance.lower()
    if re.search(r"(next (?:meeting|event|appointment)|下一个|下个日程|下一场|接下来)", lowered):
        return {"span": "next"}
    if re.search(r"(this week|week|本周|这周|这个星期|这一周)", lowered):
        return {"span": "week"}
    day = relative_day(utterance, ctx.today)
    weekday = re.search(
        r"(?:on |this )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", lowered
    ) or re.search(r"(?:周|星期|礼拜)([一二三四五六日天])", utterance)
    if day is None and weekday:
        index = _WEEKDAYS[weekday[1]]
        day = ctx.today + timedelta(days=(index - ctx.today.weekday()) % 7)
    return {"span": "day", "day": (day or ctx.today).isoformat()}


def _event_line(begin: datetime, all_day: bool, summary: str, location: str, lang: str, with_day: bool) -> str:
    if lang == "zh":
        when = (f"{begin.month}月{begin.day}日" if with_day else "") + ("全天" if all_day else f"{begin:%H:%M}")
        return f"{when} {summary}" + (f"（{location}）" if location else "")
    when = (f"{begin:%a} " if with_day else "") + ("all day" if all_day else f"{begin:%H:%M}")
    return f"{when} {summary}" + (f" at {location}" if location else "")


def _agenda(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    if not ctx.calendar_file:
        raise VerticalError(
            "还没有设置日历文件，请在配置里设置 verticals.calendar_file。",
            "No calendar is set up: set verticals.calendar_file to an .ics file.",
        )
    zone = ZoneInfo(ctx.time_zone)
    span = str(slots.get("span", "day"))
    now = ctx.now.astimezone(zone)
    if span == "next":
        start, end = now, now + timedelta(days=366)
    elif span == "week":
        monday = ctx.today - timedelta(days=ctx.today.weekday())
        start = datetime.combine(monday, time(0, 0), zone)
        end = start + timedelta(days=7)
    else:
        day: date = slots.get("day") or ctx.today
        start = datetime.combine(day, time(0, 0), zone)
        end = start + timedelta(days=1)
    events = read_events(Path(ctx.calendar_file).expanduser(), start, end, zone)
    if span == "next":
        events = [e for e in events if e[0] >= now][:1]
    lines = [_event_line(*e, ctx.lang, with_day=span != "day") for e in events]
    when_zh = {"next": "接下来", "week": "本周"}.get(span, "")
    when_en = {"next": "coming up", "week": "this week"}.get(span, "")
    if span == "day":
        offset = (start.date() - ctx.today).days
        when_zh = {0: "今天", 1: "明天", 2: "后天", -1: "昨天"}.get(offset, f"{start.month}月{start.day}日")
        when_en = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(offset, f"on {start:%A, %B} {start.day}")
    if not lines:
        text = ctx.say(f"{when_zh}日历上没有安排。", f"Nothing on your calendar {when_en}.")
    elif span == "next":
        text = ctx.say(f"下一个日程：{lines[0]}。", f"Next on your calendar: {lines[0]}.")
    else:
        text = ctx.say(
            f"{when_zh}有{len(lines)}项安排：" + "；".join(lines) + "。",
            f"You have {len(lines)} event{'s' if len(lines) > 1 else ''} {when_en}: " + "; ".join(lines) + ".",
        )
    listed = [{"start": b.isoformat(), "all_day": a, "summary": s, "location": loc} for b, a, s, loc in events]
    return VerticalResult(text, ctx.lang, {"span": span, "events": listed}, "local calendar")


AGENDA = Vertical(
    id="agenda",
    name_zh="日程",
    name_en="Agenda",
    description_zh="本地日历（.ics 文件）里的日程安排。",
    description_en="Events from a local calendar (.ics file).",
    examples_zh=(
        "今天有什么安排",
        "明天的日程",
        "这周有哪些会议",
        "下一个会议是什么时候",
        "后天我有什么事",
        "周五有什么安排",
        "我今天的日程表",
        "明天有会吗",
        "本周日程",
        "接下来有什么安排",
        "星期三要做什么",
        "看看我明天的日历",
    ),
    examples_en=(
        "what's on my calendar today",
        "my schedule for tomorrow",
        "what meetings do I have this week",
        "when is my next meeting",
        "what do I have the day after tomorrow",
        "anything on Friday",
        "show my agenda for today",
        "do I have meetings tomorrow",
        "what's my schedule this week",
        "what's my next appointment",
        "what am I doing on Wednesday",
        "check my calendar for tomorrow",
    ),
    slots=(SlotSpec("span", "choice", choices=("day", "week", "next")), SlotSpec("day", "date")),
    triggers=(
        "日程|日历|有什么安排|的安排|会议|开会|行程|有会",
        r"calendar|schedule|agenda|meetings?\b|appointments?|what do i have (on|today|tomorrow|this)",
        "有什么事|要做什么",
        "what do i have|anything on (mon|tues|wednes|thurs|fri|satur|sun)day|what am i doing",
    ),
    extract=_agenda_slots,
    handler=_agenda,
    source="local (.ics)",
)
