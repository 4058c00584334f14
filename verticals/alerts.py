"""Due timers, alarms and reminders as typed alerts with what to say, for the agent to announce.

The skills write items with a due time into the local store; `take_due_alerts` takes those whose time has come
(each exactly once; daily alarms move to the next day) and words them in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from simulagent.verticals.store import LocalStore

__all__ = ["DueAlert", "take_due_alerts"]


@dataclass(frozen=True)
class DueAlert:
    """One item whose time has come.

    Attributes:
        item_id: the store's id.
        user_id: whose it is.
        kind: "timer", "alarm" or "reminder".
        text: what the user asked to be reminded of ("" for timers and alarms).
        due_at: when it was due (UTC).
        spoken: what to say, {"zh": ..., "en": ...}.
    """

    item_id: int
    user_id: str
    kind: str
    text: str
    due_at: datetime
    spoken: dict[str, str]


def _duration(seconds: float) -> tuple[str, str]:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    zh = (f"{hours}小时" if hours else "") + (f"{minutes}分钟" if minutes else "") + (f"{secs}秒" if secs else "")
    en = " ".join(
        f"{value} {unit}{'s' if value != 1 else ''}"
        for value, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
        if value
    )
    return zh or "0秒", en or "0 seconds"


def take_due_alerts(
    store: LocalStore, now: datetime, time_zone: str = "UTC", user_id: str | None = None
) -> list[DueAlert]:
    """Take the items due by `now` (see `LocalStore.take_due`) and word them."""
    alerts = []
    for item_id, owner, kind, text, due_at in store.take_due(now.timestamp(), user_id):
        due = datetime.fromtimestamp(due_at, UTC)
        local = due.astimezone(ZoneInfo(time_zone))
        if kind == "timer":
            zh, en = _duration(float(text.removesuffix("s") or 0))
            spoken = {"zh": f"{zh}的计时结束了。", "en": f"Your timer for {en} is done."}
            text = ""
        elif kind == "alarm":
            spoken = {
                "zh": f"{local.hour}点{local.minute:02d}分了，闹钟响了。",
                "en": f"It is {local:%H:%M}: your alarm.",
            }
            text = ""
        else:
            spoken = {"zh": f"提醒你：{text}。", "en": f"Reminder: {text}."}
        alerts.append(DueAlert(item_id, owner, kind, text, due, spoken))
    return alerts
