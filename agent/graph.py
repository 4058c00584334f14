"""The dialogue graph (LangGraph): understand -> route -> {vertical | rag | llm | system} -> respond.

State is typed and checkpointed (conversation history, a pending slot question, the mode); run-scoped services
and the clock travel in the runtime context, never in the state. Answer tokens and tool calls stream out through
LangGraph's custom stream writer as plain dicts, which the `Agent` turns into typed events.
"""

from __future__ import annotations

import dataclasses
import logging
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypedDict
from zoneinfo import ZoneInfo

from simulagent.agent.router import Route, Router
from simulagent.errors import UserError
from simulagent.signals import ChatMessage, ChatModel, GenerationOptions
from simulagent.verticals.api import VerticalContext, detect_lang, run_vertical_sync
from simulagent.verticals.gazetteer import find_city
from simulagent.verticals.registry import Registry

log = logging.getLogger("simulagent.agent")

__all__ = ["AgentContext", "AgentState", "TurnCancelledError", "build_graph"]

MAX_HISTORY_MESSAGES = 12


class TurnCancelledError(Exception):
    """Raised inside a node when the turn is interrupted (barge-in): the node's work is not committed."""


class AgentState(TypedDict, total=False):
    messages: Annotated[list[dict[str, str]], operator.add]
    utterance: str
    lang: str
    route: dict[str, Any]
    pending: dict[str, Any] | None
    answer: str
    mode: str


@dataclass
class AgentContext:
    """Run-scoped services and facts (not checkpointed)."""

    registry: Registry
    router: Router
    vertical_context: Callable[[str], VerticalContext]
    llm: ChatModel | None = None
    retriever: Any = None  # simulagent.rag.Retriever
    knowledge_bases: tuple[str, ...] = ()
    web: tuple[Any, ...] = ()
    now: datetime = field(default_factory=lambda: datetime.now(ZoneInfo("UTC")))
    time_zone: str = "UTC"
    user_id: str = "default"
    place: str = ""
    cancelled: Callable[[], bool] = lambda: False
    max_answer_tokens: int = 256


def _writer() -> Callable[[dict[str, Any]], None]:
    from langgraph.config import get_stream_writer

    try:
        return get_stream_writer()
    except RuntimeError:  # outside a streaming run
        return lambda _: None


def _runtime_context(runtime: Any) -> AgentContext:
    ctx = runtime.context
    assert isinstance(ctx, AgentContext)
    return ctx


def understand(state: AgentState, runtime: Any) -> dict[str, Any]:
    utterance = state.get("utterance", "").strip()
    return {"utterance": utterance, "lang": detect_lang(utterance)}


def route(state: AgentState, runtime: Any) -> dict[str, Any]:
    ctx = _runtime_context(runtime)
    pending = state.get("pending")
    if pending:
        return {"route": {"kind": "vertical", "target": pending["skill"], "tier": 0}}
    chosen: Route = ctx.router.route(state["utterance"])
    return {"route": dataclasses.asdict(chosen)}


def _branch(state: AgentState) -> str:
    return str(state["route"]["kind"])


def vertical(state: AgentState, runtime: Any) -> dict[str, Any]:
    ctx = _runtime_context(runtime)
    write = _writer()
    skill = ctx.registry.get(state["route"]["target"])
    vctx = ctx.vertical_context(state["lang"])
    pending = state.get("pending") or {}
    slots: dict[str, str] = dict(pending.get("slots", {}))
    utterance = state["utterance"]
    if pending:
        # The answer to "which city?" completes the same request.
        slots.update({k: v for k, v in skill.extract(utterance, vctx).items() if v})
        missing = pending.get("slot")
        if missing and missing not in slots:
            slots[missing] = utterance.strip(" 。.!！?？")
        utterance = pending.get("utterance", utterance)
    else:
        slots.update(skill.extract(utterance, vctx))
    if "city" in {s.name for s in skill.slots} and not slots.get("city") and ctx.place:
        slots["city"] = ctx.place
    if slots.get("city") and find_city(slots["city"]) is None and pending:
        slots.pop("city")
    write({"type": "tool.call", "skill": skill.id, "slots": dict(slots)})
    result = run_vertical_sync(skill, vctx, "", slots)
    write({"type": "tool.result", "skill": skill.id, "text": result.text, "data": dict(result.data)})
    if result.data.get("error") == "missing_slot":
        return {
            "answer": result.text,
            "pending": {"skill": skill.id, "slots": slots, "slot": result.data["slot"], "utterance": utterance},
        }
    return {"answer": result.text, "pending": None}


def _season(now: datetime) -> str:
    return ("winter", "spring", "summer", "autumn")[(now.month % 12) // 3]


def _system_prompt(ctx: AgentContext, lang: str) -> str:
    local = ctx.now.astimezone(ZoneInfo(ctx.time_zone))
    place = f" The user is in {ctx.place}." if ctx.place else ""
    language = "Chinese" if lang == "zh" else "English"
    return (
        f"You are a concise voice assistant. Today is {local.strftime('%A, %d %B %Y')}, {local.strftime('%H:%M')} "
        f"local time, in {_season(local)}.{place} Answer in {language} in at most three short sentences, suited "
        "to being spoken aloud."
    )


def _stream_answer(ctx: AgentContext, messages: list[ChatMessage]) -> Iterator[str]:
    assert ctx.llm is not None
    stream = ctx.llm.stream(messages, GenerationOptions(max_tokens=ctx.max_answer_tokens, temperature=0.0))
    try:
        for piece in stream:
            if ctx.cancelled():
                raise TurnCancelledError
            yield piece
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # stop generating (barge-in, or the answer is complete)


def llm_answer(state: AgentState, runtime: Any) -> dict[str, Any]:
    ctx = _runtime_context(runtime)
    write = _writer()
    if ctx.llm is None:
        text = (
            "我现在没有可用的语言模型来回答这个问题。"
            if state["lang"] == "zh"
            else "I have no language model available to answer that."
        )
        write({"type": "token", "text": text})
        return {"answer": text, "pending": None}
    history = [ChatMessage(m["role"], m["content"]) for m in state.get("messages", [])[-MAX_HISTORY_MESSAGES:]]  # type: ignore[arg-type]
    messages = [
        ChatMessage("system", _system_prompt(ctx, state["lang"])),
        *history,
        ChatMessage("user", state["utterance"]),
    ]
    answer = ""
    for piece in _stream_answer(ctx, messages):
        answer += piece
        write({"type": "token", "text": piece})
    return {"answer": answer.strip(), "pending": None}


def rag_answer(state: AgentState, runtime: Any) -> dict[str, Any]:
    from simulagent.rag.retrieve import render_for_prompt

    ctx = _runtime_context(runtime)
    write = _writer()
    passages = []
    if ctx.retriever is not None:
        try:
            passages = ctx.retriever.retrieve(state["utterance"], kb=ctx.knowledge_bases, web=ctx.web, k=4)
        except UserError as exc:
            # A knowledge base that cannot be opened (another embedder, a newer schema) must not end the turn:
            # the LLM answers alone and the log says why.
            log.warning("DeepQA retrieval failed, answering without passages: %s", exc)
    citations = [p.source for p in passages]
    write({"type": "citations", "sources": citations})
    if not passages:
        return llm_answer(state, runtime)
    if ctx.llm is None:
        text = passages[0].text
        write({"type": "token", "text": text})
        return {"answer": text, "pending": None}
    # Retrieved text goes to the answer writer only, quoted as data; it never reaches the router or a tool.
    messages = [
        ChatMessage(
            "system", _system_prompt(ctx, state["lang"]) + " Use the reference passages when they answer the question."
        ),
        ChatMessage("user", render_for_prompt(passages) + "\n\nQuestion: " + state["utterance"]),
    ]
    answer = ""
    for piece in _stream_answer(ctx, messages):
        answer += piece
        write({"type": "token", "text": piece})
    return {"answer": answer.strip(), "pending": None}


def system(state: AgentState, runtime: Any) -> dict[str, Any]:
    intent = state["route"]["target"]
    zh = state["lang"] == "zh"
    if intent == "mode:interpretation":
        return {
            "mode": "interpretation",
            "answer": "好的，开始同声传译。" if zh else "Interpretation mode on.",
            "pending": None,
        }
    if intent == "mode:dialogue":
        return {
            "mode": "dialogue",
            "answer": "好的，回到对话模式。" if zh else "Back to dialogue mode.",
            "pending": None,
        }
    if intent == "remember":
        return {"answer": "好的，我记住了。" if zh else "Got it, I'll remember that.", "pending": None}
    return {"answer": "", "pending": None}


def respond(state: AgentState, runtime: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": state["utterance"]},
            {"role": "assistant", "content": state.get("answer", "")},
        ]
    }


def build_graph(checkpointer: Any = None, store: Any = None) -> Any:
    """The compiled dialogue graph."""
    from langgraph.graph import END, START, StateGraph

    builder = StateGraph(AgentState, context_schema=AgentContext)
    builder.add_node("understand", understand)
    builder.add_node("route", route)
    builder.add_node("vertical", vertical)
    builder.add_node("rag", rag_answer)
    builder.add_node("llm", llm_answer)
    builder.add_node("system", system)
    builder.add_node("respond", respond)
    builder.add_edge(START, "understand")
    builder.add_edge("understand", "route")
    builder.add_conditional_edges(
        "route", _branch, {"vertical": "vertical", "rag": "rag", "llm": "llm", "system": "system"}
    )
    for node in ("vertical", "rag", "llm", "system"):
        builder.add_edge(node, "respond")
    builder.add_edge("respond", END)
    return builder.compile(checkpointer=checkpointer, store=store)
