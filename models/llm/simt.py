"""The LLM translation agent of Agent-SiMT (Guo et al., 2024) as a text-to-text `StreamingSystem`.

A word-level policy (a `simulagent.signals.CountPolicy` such as wait-k, or a `WordPolicy` that reads the words, such
as the HMT word policy of simulagent.policies.hmt_words) decides, word by word, whether to READ one more source word
or WRITE one more target word. On WRITE, the LLM sees the source prefix read so far and continues the committed
translation (forced assistant prefix) for a few tokens, of which the first word is kept. The committed target is
never revised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulagent.signals import ChatMessage, ChatModel, CountPolicy, GenerationOptions, WordPolicy
from simulagent.types import SpeechSegment, SystemSpec, TextSegment, WriteAction

__all__ = ["LLMTranslationSystem", "SimTState", "make_system"]

_SENTENCE_END = ".!?。！？"

LANGUAGE_NAMES = {
    "de": "German",
    "en": "English",
    "fr": "French",
    "zh": "Chinese",
    "es": "Spanish",
    "it": "Italian",
    "ja": "Japanese",
}


@dataclass
class SimTState:
    source_words: list[str] = field(default_factory=list)
    target_words: list[str] = field(default_factory=list)
    source_finished: bool = False
    done: bool = False
    policy_state: Any = None
    # Words the LLM already proposed after the committed ones for this many source words (greedy decoding gives
    # the same words if asked again with the same source), so consecutive WRITEs cost one generation.
    lookahead: list[str] = field(default_factory=list)
    lookahead_source_words: int = -1
    num_generations: int = 0


class LLMTranslationSystem:
    """Args:
    llm: the translator (a `ChatModel`).
    policy: the word-level READ/WRITE policy (from counts, or from the words).
    source_lang, target_lang: language codes.
    max_ratio: at most this many target words per source word (+5), a guard against a rambling model.
    """

    def __init__(
        self,
        llm: ChatModel,
        policy: CountPolicy[Any] | WordPolicy[Any],
        source_lang: str = "de",
        target_lang: str = "en",
        max_ratio: float = 2.0,
    ) -> None:
        self.llm = llm
        self.policy = policy
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.max_ratio = max_ratio
        self._spec = SystemSpec(f"agent-simt-{source_lang}-{target_lang}", "text", "text", source_lang, target_lang)
        source = LANGUAGE_NAMES.get(source_lang, source_lang)
        target = LANGUAGE_NAMES.get(target_lang, target_lang)
        self._system = (
            f"You are a simultaneous interpreter. Translate the {source} text into {target}. The {source} text may be "
            f"incomplete: translate only what it says so far. Answer with the {target} translation only."
        )

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> SimTState:
        return SimTState(policy_state=self.policy.new_state())

    def reset(self, state: SimTState) -> None:
        state.source_words.clear()
        state.target_words.clear()
        state.source_finished = state.done = False
        state.policy_state = self.policy.new_state()
        state.lookahead.clear()
        state.lookahead_source_words = -1
        state.num_generations = 0

    def push(self, segment: TextSegment | SpeechSegment, state: SimTState) -> None:
        if not isinstance(segment, TextSegment):
            raise TypeError("the LLM translation system takes text segments")
        state.source_words.extend(segment.content.split())
        state.source_finished = state.source_finished or segment.finished

    def pop(self, state: SimTState) -> TextSegment:
        if state.done:
            return TextSegment(finished=True)
        limit = int(self.max_ratio * len(state.source_words)) + 5
        if isinstance(self.policy, WordPolicy):
            action = self.policy.decide_words(
                state.policy_state, state.source_words, state.source_finished, state.target_words
            )
        else:
            action = self.policy.decide(
                state.policy_state, len(state.source_words), state.source_finished, len(state.target_words)
            )
        if not isinstance(action, WriteAction):
            return TextSegment()
        word = self._next_word(state) if len(state.target_words) < limit else ""
        if not word:
            if state.source_finished:
                state.done = True
                return TextSegment(finished=True)
            return TextSegment()  # nothing to add yet: wait for more source
        state.target_words.append(word)
        return TextSegment(word, lang=self.target_lang)

    def _next_word(self, state: SimTState) -> str:
        if state.lookahead and state.lookahead_source_words == len(state.source_words):
            return state.lookahead.pop(0)
        words = self._generate(state)
        state.lookahead = words[1:]
        state.lookahead_source_words = len(state.source_words)
        return words[0] if words else ""

    def _generate(self, state: SimTState) -> list[str]:
        """The LLM's continuation of the committed target for the source read so far, as complete words: the whole
        rest of the translation once the source has ended, else the next word (and any that arrived with it)."""
        messages = [ChatMessage("system", self._system), ChatMessage("user", " ".join(state.source_words))]
        # No trailing space after the committed words: BPE vocabularies carry the space at the start of the next
        # word's token ("I drink" + " coffee"); a prefix ending in a space forces an unusual split and the model
        # derails (digits, repetition).
        prefix = " ".join(state.target_words)
        remaining = int(self.max_ratio * len(state.source_words)) + 5 - len(state.target_words)
        max_tokens = max(12, 3 * remaining) if state.source_finished else 12
        options = GenerationOptions(max_tokens=max_tokens, temperature=0.0, stop=("\n",), assistant_prefix=prefix)
        text = ""
        state.num_generations += 1
        stream = self.llm.stream(messages, options)
        try:
            for piece in stream:
                text += piece
                # A word is complete once a space follows it; before the source ends, one word is all a WRITE needs.
                if not state.source_finished and len(text.split()) > 1:
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # stop generating
        words = text.split()
        if state.source_finished:
            return words
        words = words[:1]  # a second word may be cut mid-word
        if words and words[0].rstrip(_SENTENCE_END) != words[0]:
            # The model closed the sentence on a partial source ("I drink every morning."): committing the full
            # stop would leave it nothing to continue with once more source arrives, so it is dropped until the end.
            words = [w for w in [words[0].rstrip(_SENTENCE_END)] if w]
        return words


def make_system(
    policy: str = "wait-k", k: int | str = 3, source_lang: str = "de", target_lang: str = "en"
) -> LLMTranslationSystem:
    """Factory for `simulagent eval run --system simulagent.models.llm.simt:make_system` with the configured LLM.

    The word policy is built here without importing policies/ (areas stay independent): wait-k with k, or the
    same with Agent-SiMT's bounds j + 1 <= g_j <= j + 3 when `policy="agent-simt"`. The HMT word policy carries a
    model of the policies area: `simulagent.presets:make_agent_simt` composes that one.
    """
    from simulagent.config import load_config
    from simulagent.models.llm.factory import make_chat_model

    llm = make_chat_model(load_config().llm)
    return LLMTranslationSystem(llm, _WordPolicy(int(k), bounded=policy == "agent-simt"), source_lang, target_lang)


@dataclass(frozen=True)
class _WordPolicy:
    """wait-k on words, optionally inside Agent-SiMT's bounds (the policies area holds the trainable HMT word
    policy; the composition root can pass that one instead)."""

    k: int
    bounded: bool = False

    def new_state(self) -> None:
        return None

    def decide(self, state: None, num_source_read: int, source_finished: bool, num_target_written: int) -> Any:
        from simulagent.types import ReadAction

        if source_finished:
            return WriteAction()
        lag = min(self.k, 3) if self.bounded else self.k
        return WriteAction() if num_source_read >= num_target_written + max(lag, 1) else ReadAction()
