"""timer, alarm, reminder: kept in the local store with their due time (epoch seconds); `LocalStore.due(now)`
lists what is due so the agent can announce it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalError, VerticalResult
from simulagent.verticals.slots import EN_NUMBERS, to_number

__all__ = ["ALARM", "REMINDER", "TIMER"]

_UNITS_S = {
    "秒": 1,
    "second": 1,
    "sec": 1,
    "分钟": 60,
    "分": 60,
    "minute": 60,
    "min": 60,
    "小时": 3600,
    "个小时": 3600,
    "hour": 3600,
}
_CN = r"[零一二两三四五六七八九十百半]+"
_EN = "|".join(sorted((re.escape(w) for w in EN_NUMBERS), key=len, reverse=True))


def _duration_s(text: str) -> float | None:
    total = 0.0
    text = text.lower().replace("half an hour", "30 minutes").replace("一个半小时", "90分钟").replace("个半小时", "")
    pattern = rf"(\d+(?:\.\d+)?|{_CN}|\b(?:{_EN})\b)\s*(个小时|小时|分钟|分|秒|hours?|minutes?|mins?|seconds?|secs?)"
    for value, unit in re.findall(pattern, text.lower()):
        number = float(EN_NUMBERS[value]) if value in EN_NUMBERS else to_number(value)
        if number is None:
            continue
        key = next(k for k in _UNITS_S if unit.startswith(k) or k.startswith(unit))
        total += number * _UNITS_S[key]
    return total or None


def _clock(text: str) -> tuple[int, int] | None:
    lowered = text.lower()
    match = re.search(rf"(\d{{1,2}}|{_CN})\s*(?:[:：点]|o'clock)\s*(\d{{1,2}}|半)?", lowered) or re.search(
        r"(\d{1,2})\s*(am|pm)", lowered
    )
    if not match:
        return None
    hour_value = to_number(match.group(1))
    if hour_value is None:
        return None
    hour = int(hour_value)
    minute_text = match.group(2) if match.lastindex and match.lastindex >= 2 else None
    minute = 30 if minute_text == "半" else int(minute_text) if minute_text and minute_text.isdigit() else 0
    if re.search(r"(下午|晚上|pm|evening|tonight)", lowered) and hour < 12:
        hour += 12
    return hour % 24, minute


def _action(text: str) -> str:
    lowered = text.lower()
    if re.search(r"(cancel|delete|remove|取消|删掉|删除)", lowered):
        return "cancel"
    if re.search(r"(list|what|which|show|有哪些|有什么|查看|还有多久)", lowered):
        return "list"
    return "set"


def _store(ctx: VerticalContext) -> Any:
    if ctx.store is None:
        raise VerticalError("本地存储不可用。", "The local store is not available.")
    return ctx.store


def _list(kind: str, ctx: VerticalContext, zh: str, en: str) -> VerticalResult:
    items = _store(ctx).items(ctx.user_id, kind)
    tz = ZoneInfo(ctx.time_zone)
    shown = [(text, datetime.fromtimestamp(due, tz).strftime("%H:%M") if due else "") for _, text, due in items]
    if not shown:
        return VerticalResult(ctx.say(f"没有{zh}。", f"You have no {en}s."), ctx.lang, {"items": []})
    listing = "；".join(f"{t} {w}".strip() for w, t in shown)
    return VerticalResult(
        ctx.say(f"你有{len(shown)}个{zh}：{listing}。", f"You have {len(shown)} {en}(s): {listing}."),
        ctx.lang,
        {"items": [w for w, _ in shown]},
    )


def _cancel(kind: str, ctx: VerticalContext, zh: str, en: str) -> VerticalResult:
    store = _store(ctx)
    items = store.items(ctx.user_id, kind)
    for item_id, _, _ in items:
        store.remove(ctx.user_id, item_id)
    return VerticalResult(
        ctx.say(f"已取消{len(items)}个{zh}。", f"Cancelled {len(items)} {en}(s)."), ctx.lang, {"cancelled": len(items)}
    )


def _timer_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    out = {"action": _action(utterance)}
    seconds = _duration_s(utterance)
    if seconds:
        out["seconds"] = str(seconds)
    return out


def _timer(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    action = slots.get("action", "set")
    if action == "list":
        return _list("timer", ctx, "计时器", "timer")
    if action == "cancel":
        return _cancel("timer", ctx, "计时器", "timer")
    seconds = slots.get("seconds")
    if not seconds:
        raise VerticalError("计时多久？", "For how long?")
    due = ctx.now + timedelta(seconds=seconds)
    _store(ctx).add(ctx.user_id, "timer", f"{seconds:g}s", due_at=due.timestamp())
    minutes, rest = divmod(int(seconds), 60)
    zh = f"{minutes}分钟" + (f"{rest}秒" if rest else "") if minutes else f"{rest}秒"
    en = (
        f"{minutes} minute{'s' if minutes != 1 else ''}" + (f" {rest} seconds" if rest else "")
        if minutes
        else f"{rest} seconds"
    )
    return VerticalResult(
        ctx.say(f"好的，{zh}的计时开始了。", f"Timer set for {en}."), ctx.lang, {"due": due.isoformat()}
    )


TIMER = Vertical(
    id="timer",
    name_zh="计时器",
    name_en="Timer",
    description_zh="设置、查看、取消计时器。",
    description_en="Sets, lists and cancels timers.",
    examples_zh=(
        "定个5分钟的计时器",
        "计时十分钟",
        "帮我计时30秒",
        "设一个半小时的计时",
        "倒计时三分钟",
        "计时1小时",
        "我的计时器还有哪些",
        "取消计时器",
        "定时20分钟提醒我",
        "计时两分钟",
        "查看计时器",
        "删掉所有计时器",
    ),
    examples_en=(
        "set a timer for 5 minutes",
        "timer for ten minutes",
        "start a 30 seconds timer",
        "set a timer for half an hour",
        "countdown 3 minutes",
        "set a 1 hour timer",
        "what timers do I have",
        "cancel my timer",
        "timer 20 minutes please",
        "set a timer for 2 minutes",
        "show my timers",
        "delete all timers",
    ),
    slots=(SlotSpec("action", "choice", choices=("set", "list", "cancel")), SlotSpec("seconds", "duration_s")),
    triggers=(
        r"计时|定时器|倒计时\s*[\d零一二两三四五六七八九十半]|倒计时.{0,6}(分钟|秒|小时)",
        r"\btimer\b|count ?down (for|from)? ?\d",
        r"\btimers\b|定时\s*[\d零一二两三四五六七八九十半]|定时.{0,6}(分钟|秒|小时)",
    ),
    extract=_timer_slots,
    handler=_timer,
    source="local store",
)


def _next_time(ctx: VerticalContext, clock: tuple[int, int], tomorrow: bool) -> datetime:
    tz = ZoneInfo(ctx.time_zone)
    local = ctx.now.astimezone(tz)
    due = local.replace(hour=clock[0], minute=clock[1], second=0, microsecond=0)
    if tomorrow or due <= local:
        due += timedelta(days=1)
    return due


def _alarm_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    out = {"action": _action(utterance)}
    clock = _clock(utterance)
    if clock:
        out["clock"] = f"{clock[0]:02d}:{clock[1]:02d}"
    if re.search(r"(明天|tomorrow)", utterance.lower()):
        out["tomorrow"] = "1"
    if re.search(r"(每天|every day|daily)", utterance.lower()):
        out["repeat"] = "daily"
    return out


def _alarm(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    action = slots.get("action", "set")
    if action == "list":
        return _list("alarm", ctx, "闹钟", "alarm")
    if action == "cancel":
        return _cancel("alarm", ctx, "闹钟", "alarm")
    if not slots.get("clock"):
        raise VerticalError("几点的闹钟？", "What time should the alarm ring?")
    hour, minute = (int(x) for x in str(slots["clock"]).split(":"))
    due = _next_time(ctx, (hour, minute), bool(slots.get("tomorrow")))
    repeat = slots.get("repeat", "")
    _store(ctx).add(ctx.user_id, "alarm", f"alarm {repeat}".strip(), due_at=due.timestamp())
    text = ctx.say(
        f"好的，{'每天' if repeat else ''}{due.hour}点{due.minute:02d}分的闹钟设好了。",
        f"Alarm set for {due.strftime('%H:%M')}{' every day' if repeat else ''}.",
    )
    return VerticalResult(text, ctx.lang, {"due": due.isoformat(), "repeat": repeat})


ALARM = Vertical(
    id="alarm",
    name_zh="闹钟",
    name_en="Alarm",
    description_zh="设置、查看、取消闹钟，可以每天重复。",
    description_en="Sets, lists and cancels alarms, daily if asked.",
    examples_zh=(
        "明天早上7点叫我起床",
        "定一个6点半的闹钟",
        "设个8点的闹钟",
        "每天7点的闹钟",
        "下午3点提醒我起来",
        "明天6点的闹钟",
        "我有哪些闹钟",
        "取消闹钟",
        "晚上10点设个闹钟",
        "闹钟定在5点",
        "查看闹钟",
        "删除所有闹钟",
    ),
    examples_en=(
        "wake me up at 7 am tomorrow",
        "set an alarm for 6:30",
        "alarm at 8 o'clock",
        "set a daily alarm at 7 am",
        "set an alarm for 3 pm",
        "alarm for 6 am tomorrow",
        "what alarms do I have",
        "cancel my alarm",
        "set an alarm at 10 pm",
        "alarm at 5 am",
        "show my alarms",
        "delete all alarms",
    ),
    slots=(
        SlotSpec("action", "choice", choices=("set", "list", "cancel")),
        SlotSpec("clock"),
        SlotSpec("tomorrow"),
        SlotSpec("repeat"),
    ),
    triggers=(
        "闹钟|叫我起床|叫醒我?|起床铃",
        r"\balarms?\b|wake me",
        "起床|起来",
    ),
    extract=_alarm_slots,
    handler=_alarm,
    source="local store",
)


def _reminder_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    out = _alarm_slots(utterance, ctx)
    seconds = _duration_s(utterance)
    if seconds and re.search(r"(后|以后|之后|in )", utterance.lower()):
        out["in_seconds"] = str(seconds)
    what = re.search(r"(?:remind me to|remind me about|提醒我)\s*(.+)", utterance, re.IGNORECASE)
    if what:
        task = re.sub(
            rf"^(in \S+ \S+|at \S+( am| pm)?|tomorrow|明天|今天|{_CN}|\d+)?\s*", "", what.group(1).strip(" 。.!！")
        )
        task = re.sub(r"\s*(in \d+ \w+|at \d+(:\d+)?\s*(am|pm)?|tomorrow)$", "", task)
        out["text"] = re.sub(r"^.*?(?:点|分钟后|小时后|后)", "", task) or task
    return out


def _reminder(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    action = slots.get("action", "set")
    if action == "list":
        return _list("reminder", ctx, "提醒", "reminder")
    if action == "cancel":
        return _cancel("reminder", ctx, "提醒", "reminder")
    text = str(slots.get("text") or "")
    if not text:
        raise VerticalError("要提醒你什么？", "What should I remind you about?")
    if slots.get("in_seconds"):
        due = ctx.now + timedelta(seconds=float(slots["in_seconds"]))
    elif slots.get("clock"):
        hour, minute = (int(x) for x in str(slots["clock"]).split(":"))
        due = _next_time(ctx, (hour, minute), bool(slots.get("tomorrow")))
    else:
        raise VerticalError("什么时候提醒你？", "When should I remind you?")
    _store(ctx).add(ctx.user_id, "reminder", text, due_at=due.timestamp())
    local = due.astimezone(ZoneInfo(ctx.time_zone))
    return VerticalResult(
        ctx.say(
            f"好的，{local.hour}点{local.minute:02d}分提醒你{text}。",
            f"I'll remind you to {text} at {local.strftime('%H:%M')}.",
        ),
        ctx.lang,
        {"due": due.isoformat(), "text": text},
    )


REMINDER = Vertical(
    id="reminder",
    name_zh="提醒",
    name_en="Reminder",
    description_zh="在某个时间或一段时间后提醒你做某事。",
    description_en="Reminds you of something at a time or after a while.",
    examples_zh=(
        "下午3点提醒我开会",
        "10分钟后提醒我关火",
        "明天8点提醒我带伞",
        "半小时后提醒我喝水",
        "晚上9点提醒我吃药",
        "20分钟后提醒我收衣服",
        "我有哪些提醒",
        "取消所有提醒",
        "明天早上7点提醒我跑步",
        "1小时后提醒我给妈妈打电话",
        "查看提醒",
        "5点提醒我去接孩子",
    ),
    examples_en=(
        "remind me to call mom at 3 pm",
        "remind me to turn off the stove in 10 minutes",
        "remind me to take an umbrella tomorrow at 8 am",
        "remind me to drink water in half an hour",
        "remind me to take my medicine at 9 pm",
        "remind me to check the oven in 20 minutes",
        "what reminders do I have",
        "cancel all reminders",
        "remind me to go running tomorrow at 7 am",
        "remind me to email Bob in 1 hour",
        "show my reminders",
        "remind me to pick up the kids at 5 pm",
    ),
    slots=(
        SlotSpec("action", "choice", choices=("set", "list", "cancel")),
        SlotSpec("text"),
        SlotSpec("clock"),
        SlotSpec("tomorrow"),
        SlotSpec("repeat"),
        SlotSpec("in_seconds", "duration_s"),
    ),
    triggers=(
        "提醒我|提醒一下|提醒你|别忘了提醒|的提醒|提醒事项",
        r"remind me|reminders?\b|don'?t let me forget",
        "提醒",
    ),
    extract=_reminder_slots,
    handler=_reminder,
    source="local store",
)
