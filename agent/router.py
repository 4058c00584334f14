"""The router: which skill, DeepQA retrieval, the LLM alone, or a system intent answers an utterance.

Three tiers, cheapest first:

1. templates: system intents (switch mode, stop), then the skills' trigger patterns (`Vertical.triggers`); one
   matching skill takes the request at once, several are decided between by tier 2's similarity;
2. embedding similarity of the utterance to every skill's example utterances (nearest examples, per-route
   thresholds, an explicit "none of these");
3. the LLM, asked for a JSON choice, for what both miss (when an LLM is available).

What no skill takes goes to DeepQA: retrieval for time-sensitive questions and the user's own documents, the LLM
alone for commonsense. Retrieved text never reaches the router (prompt-injection defence).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from simulagent.signals import ChatMessage, ChatModel, GenerationOptions
from simulagent.verticals.api import Vertical

__all__ = ["Route", "Router", "deepqa_route", "system_intent"]

RouteKind = Literal["vertical", "rag", "llm", "system"]


@dataclass(frozen=True)
class Route:
    """Where an utterance goes: `target` is a skill id, "rag", "llm", or a system intent name."""

    kind: RouteKind
    target: str
    confidence: float = 1.0
    tier: int = 1


_SYSTEM = (
    (
        re.compile(r"(同声传译|翻译模式|interpretation mode|interpret for me|start interpreting)", re.I),
        "mode:interpretation",
    ),
    (re.compile(r"(对话模式|退出翻译|dialogue mode|stop interpreting|back to (chat|dialogue))", re.I), "mode:dialogue"),
    (re.compile(r"^(stop|be quiet|shut up|别说了|停止|闭嘴)[.!。！]*$", re.I), "stop"),
)
_REMEMBER = re.compile(r"(my name is|call me|我叫|我的名字是|i live in|我住在)", re.I)
_TIME_SENSITIVE = re.compile(
    r"(today|tonight|yesterday|latest|news|right now|current|this week|score|who won|price of|stock|"
    r"今天|昨天|最新|新闻|现在|目前|本周|比分|谁赢|价格|股价|最近)",
    re.I,
)
_OWN_DOCS = re.compile(r"(my (documents|notes|files)|in the document|我的(文档|资料|文件)|文档里)", re.I)


def system_intent(utterance: str) -> str | None:
    for pattern, intent in _SYSTEM:
        if pattern.search(utterance.strip()):
            return intent
    if _REMEMBER.search(utterance):
        return "remember"
    return None


def deepqa_route(utterance: str) -> Route:
    """Retrieval for time-sensitive questions and the user's documents; the LLM alone for the rest."""
    if _TIME_SENSITIVE.search(utterance) or _OWN_DOCS.search(utterance):
        return Route("rag", "rag", 1.0, 1)
    return Route("llm", "llm", 1.0, 1)


@dataclass
class Router:
    """Args:
    skills: the available skills.
    embed: texts -> L2-normalised vectors (e.g. simulagent.rag.embed); None disables tier 2.
    llm: tier 3 (None disables it).
    thresholds: per-skill minimum similarity for tier 2 (default `default_threshold`).
    default_threshold: similarity below which tier 2 says "none of these".
    margin: the best skill must beat the runner-up by this much.
    """

    skills: Sequence[Vertical]
    embed: Any = None
    llm: ChatModel | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    default_threshold: float = 0.55
    margin: float = 0.0
    _matrix: np.ndarray | None = None
    _labels: list[str] = field(default_factory=list)
    _triggers: list[tuple[str, re.Pattern[str]]] | None = None

    def triggered(self, utterance: str) -> list[tuple[str, int]]:
        """Tier 1: the skills whose trigger patterns match, with the length of their longest match, longest first."""
        if self._triggers is None:
            self._triggers = [
                (s.id, re.compile("|".join(f"(?:{t})" for t in s.triggers), re.IGNORECASE))
                for s in self.skills
                if s.triggers
            ]
        found = []
        for skill, pattern in self._triggers:
            spans = [m.end() - m.start() for m in pattern.finditer(utterance)]
            if spans:
                found.append((skill, max(spans)))
        return sorted(found, key=lambda item: item[1], reverse=True)

    def _index(self) -> tuple[np.ndarray, list[str]]:
        if self._matrix is None:
            texts: list[str] = []
            labels: list[str] = []
            for skill in self.skills:
                for example in (*skill.examples_zh, *skill.examples_en):
                    texts.append(example)
                    labels.append(skill.id)
            self._matrix = np.asarray(self.embed(texts), dtype=np.float32)
            self._labels = labels
        return self._matrix, self._labels

    def similarity(self, utterance: str) -> list[tuple[str, float]]:
        """Best example similarity per skill, best first (tier 2's evidence)."""
        matrix, labels = self._index()
        query = np.asarray(self.embed([utterance]), dtype=np.float32)[0]
        scores = matrix @ query
        best: dict[str, float] = {}
        for label, score in zip(labels, scores, strict=True):
            best[label] = max(best.get(label, -1.0), float(score))
        return sorted(best.items(), key=lambda item: item[1], reverse=True)

    def route(self, utterance: str) -> Route:
        intent = system_intent(utterance)
        if intent is not None:
            return Route("system", intent, 1.0, 1)
        candidates = self.triggered(utterance)
        if len(candidates) == 1:
            return Route("vertical", candidates[0][0], 1.0, 1)
        if not candidates and _OWN_DOCS.search(utterance):
            # "according to my documents, ...": an explicit request for the user's knowledge bases, which no
            # skill's examples should outvote by similarity.
            return Route("rag", "rag", 1.0, 1)
        if self.embed is not None and self.skills:
            ranked = self.similarity(utterance)
            if candidates:
                # Several skills' triggers fire: the nearest examples decide among those skills only.
                named = {skill for skill, _ in candidates}
                skill, score = next((s, sc) for s, sc in ranked if s in named)
                return Route("vertical", skill, score, 2)
            skill, score = ranked[0]
            runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
            if score >= self.thresholds.get(skill, self.default_threshold) and score - runner_up >= self.margin:
                return Route("vertical", skill, score, 2)
        if candidates:  # no embedder: the longest trigger match wins
            return Route("vertical", candidates[0][0], 0.5, 1)
        if self.llm is not None and self.skills:
            choice = self._ask_llm(utterance)
            if choice is not None:
                return choice
        return deepqa_route(utterance)

    def _ask_llm(self, utterance: str) -> Route | None:
        llm = self.llm
        if llm is None:
            return None
        menu = "\n".join(f"- {s.id}: {s.description_en}" for s in self.skills)
        prompt = (
            "Choose the skill that answers the request, or none. Reply with JSON "
            '{"skill": "<id or none>"} only.\nSkills:\n' + menu + f"\nRequest: {utterance}"
        )
        schema = json.dumps({"type": "object", "properties": {"skill": {"type": "string"}}, "required": ["skill"]})
        try:
            options = GenerationOptions(max_tokens=24, json_schema=schema)
            text = "".join(llm.stream([ChatMessage("user", prompt)], options))
            chosen = str(json.loads(text[text.find("{") : text.rfind("}") + 1]).get("skill", "none"))
        except Exception:  # a bad answer or an unreachable LLM must not break routing: fall through to DeepQA
            return None
        ids = {s.id for s in self.skills}
        return Route("vertical", chosen, 0.5, 3) if chosen in ids else None

    def fit_thresholds(
        self, labelled: Sequence[tuple[str, str]], candidates: Sequence[float] = tuple(np.arange(0.3, 0.9, 0.02))
    ) -> dict[str, float]:
        """Fit a per-skill threshold on held-out (utterance, skill id or "none") pairs, maximising that skill's F1."""
        scored = [(self.similarity(text)[0], gold) for text, gold in labelled]
        for skill in {s.id for s in self.skills}:
            best_t, best_f1 = self.default_threshold, -1.0
            for t in candidates:
                tp = sum(1 for (pred, score), gold in scored if pred == skill and score >= t and gold == skill)
                fp = sum(1 for (pred, score), gold in scored if pred == skill and score >= t and gold != skill)
                fn = sum(1 for (pred, score), gold in scored if gold == skill and not (pred == skill and score >= t))
                f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
                if f1 > best_f1:
                    best_t, best_f1 = float(t), f1
            self.thresholds[skill] = best_t
        return dict(self.thresholds)
