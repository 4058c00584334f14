"""todo and note: to-do lists and notes kept in the local SQLite store, per user."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulagent.verticals.api import SlotSpec, Vertical, VerticalContext, VerticalError, VerticalResult

__all__ = ["NOTE", "TODO"]


def _store(ctx: VerticalContext) -> Any:
    if ctx.store is None:
        raise VerticalError("本地存储不可用。", "The local store is not available.")
    return ctx.store


_ADD = re.compile(
    r"^(?:add|put|remind me to|加上|添加|加一个|把)\s*(.+?)\s*(?:to my (?:to-?do|list)|加到待办|到待办|到清单)?$",
    re.IGNORECASE,
)


def _todo_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    text = utterance.strip(" 。.!！?？")
    lowered = text.lower()
    done = re.search(r"(?:done with|finished|complete|完成了?|做完了?)\s*(?:item\s*|第)?(\d+)", lowered)
    if done:
        return {"action": "done", "item": done[1]}
    match = re.search(r"(?:add|put)\s+(.+?)\s+(?:to|on)\s+my\s+(?:to-?do\s*)?list", text, re.IGNORECASE) or re.search(
        r"(?:把|添加|加上|加一个)\s*(.+?)\s*(?:加到|放到|到)?(?:待办|清单|待办事项)", text
    )
    if match:
        return {"action": "add", "text": match[1].strip()}
    if re.search(r"(what'?s on|show|list|read|有什么|看看|查看|念一下)", lowered) or lowered in (
        "my to-do list",
        "待办事项",
    ):
        return {"action": "list"}
    add = re.search(r"(?:add|todo:|待办[:：])\s*(.+)", text, re.IGNORECASE)
    return {"action": "add", "text": add[1].strip()} if add else {"action": "list"}


def _todo(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    store = _store(ctx)
    action = slots.get("action", "list")
    if action == "add":
        if not slots.get("text"):
            raise VerticalError("要加什么待办？", "What should I add to your list?")
        item = store.add(ctx.user_id, "todo", str(slots["text"]))
        return VerticalResult(
            ctx.say(f"已添加待办：{slots['text']}。", f"Added to your list: {slots['text']}."), ctx.lang, {"id": item}
        )
    if action == "done":
        items = store.items(ctx.user_id, "todo")
        index = int(slots.get("item", 0)) - 1
        if not 0 <= index < len(items):
            raise VerticalError("没有这一项。", "There is no such item on your list.")
        store.complete(ctx.user_id, items[index][0])
        return VerticalResult(
            ctx.say(f"已完成：{items[index][1]}。", f"Done: {items[index][1]}."), ctx.lang, {"id": items[index][0]}
        )
    items = store.items(ctx.user_id, "todo")
    if not items:
        return VerticalResult(ctx.say("待办清单是空的。", "Your to-do list is empty."), ctx.lang, {"items": []})
    listing = "；".join(f"{i + 1}. {t}" for i, (_, t, _) in enumerate(items))
    listing_en = "; ".join(f"{i + 1}. {t}" for i, (_, t, _) in enumerate(items))
    return VerticalResult(
        ctx.say(f"你有{len(items)}项待办：{listing}。", f"You have {len(items)} items: {listing_en}."),
        ctx.lang,
        {"items": [t for _, t, _ in items]},
    )


TODO = Vertical(
    id="todo",
    name_zh="待办事项",
    name_en="To-do list",
    description_zh="添加、查看、完成待办事项。",
    description_en="Add, read and complete to-do items.",
    examples_zh=(
        "把买牛奶加到待办",
        "添加待办：交电费",
        "我的待办有什么",
        "看看待办清单",
        "完成第1项",
        "把给妈妈打电话加到待办事项",
        "待办：预约牙医",
        "查看待办",
        "第2项做完了",
        "加一个待办 洗车",
        "念一下我的待办",
        "把取快递加到清单",
    ),
    examples_en=(
        "add buy milk to my to-do list",
        "put call mom on my list",
        "what's on my to-do list",
        "show my list",
        "done with item 1",
        "add pay the electricity bill to my todo list",
        "todo: book the dentist",
        "read my to-do list",
        "finished 2",
        "add wash the car to my list",
        "list my todos",
        "add pick up the parcel to my list",
    ),
    slots=(SlotSpec("action", "choice", choices=("add", "list", "done")), SlotSpec("text"), SlotSpec("item", "int")),
    triggers=(
        "待办|清单|要做的事|任务列表",
        r"to-?do|task list|shopping list|(to|on|from) my list|my list\b",
        "第.{1,3}项|项完成|划掉|勾掉",
        r"done with item|finished \d|item \d|mark .{0,12} (as )?done",
    ),
    extract=_todo_slots,
    handler=_todo,
    source="local store",
)


def _note_slots(utterance: str, ctx: VerticalContext) -> dict[str, str]:
    text = utterance.strip()
    match = re.search(
        r"(?:note(?: down)?(?: that)?|write down|remember that|记一下|记下|记住|备忘)[:：,，]?\s*(.+)",
        text,
        re.IGNORECASE,
    )
    if match and not re.search(r"(read|what|读|念|有哪些|查看)", text[: match.start()] + text[:6], re.IGNORECASE):
        return {"action": "add", "text": match[1].strip(" 。.")}
    return {"action": "read"}


def _note(slots: Mapping[str, Any], ctx: VerticalContext) -> VerticalResult:
    store = _store(ctx)
    if slots.get("action") == "add":
        store.add(ctx.user_id, "note", str(slots["text"]))
        return VerticalResult(
            ctx.say(f"记下了：{slots['text']}。", f"Noted: {slots['text']}."), ctx.lang, {"text": slots["text"]}
        )
    notes = store.items(ctx.user_id, "note")
    if not notes:
        return VerticalResult(ctx.say("还没有笔记。", "You have no notes yet."), ctx.lang, {"notes": []})
    recent = [t for _, t, _ in notes[-5:]]
    return VerticalResult(
        ctx.say("你的笔记：" + "；".join(recent) + "。", "Your notes: " + "; ".join(recent) + "."),
        ctx.lang,
        {"notes": recent},
    )


NOTE = Vertical(
    id="note",
    name_zh="笔记",
    name_en="Notes",
    description_zh="记下一句话，之后读给你听。",
    description_en="Write something down and read it back later.",
    examples_zh=(
        "记一下：车停在B2层",
        "帮我记下会议室是302",
        "记住wifi密码是abc123",
        "备忘：周五交报告",
        "读一下我的笔记",
        "我有哪些笔记",
        "念一下笔记",
        "记下：明天带伞",
        "查看笔记",
        "记一下老王的电话13800000000",
        "记住钥匙在抽屉里",
        "我的笔记有什么",
    ),
    examples_en=(
        "note down that the car is on level B2",
        "write down meeting room 302",
        "remember that the wifi password is abc123",
        "note: report due friday",
        "read my notes",
        "what notes do I have",
        "read back my notes",
        "note down bring an umbrella",
        "show my notes",
        "write down Wang's number 13800000000",
        "remember that the keys are in the drawer",
        "what did I note",
    ),
    slots=(SlotSpec("action", "choice", choices=("add", "read")), SlotSpec("text")),
    triggers=(
        "记下|记一下|记个笔记|笔记|备忘|记录一下|记住这",
        r"\bnotes?\b|jot down|write (this |that )?down|memo",
        "我记的|记的东西|我的笔记",
        r"\bremember that\b",
        "记住",
    ),
    extract=_note_slots,
    handler=_note,
    source="local store",
)
