"""A reference text system that needs no model: wait-k over a word-by-word lookup "translator".

It exists so the evaluation loop (and a user's set-up) can be checked end to end in seconds: target word i is the
dictionary translation of source word i (unknown words are copied), written once k more source words have been
read (Ma et al., 2019's wait-k on words). Its own tiny rule stands here because eval/ may not import policies/.

    simulagent eval run --system waitk-lookup --system-args k=3 dictionary=de-en.tsv ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulagent.eval.instances import EvalError
from simulagent.types import SpeechSegment, SystemSpec, TextSegment, TextStreamState

__all__ = ["WaitKLookup", "make_waitk_lookup"]


@dataclass
class _State(TextStreamState):
    """Adds nothing but a name; the state of text systems is words read and words written."""

    pending_finish: bool = field(default=False)


class WaitKLookup:
    """Text-to-text wait-k with a word lookup table.

    Args:
        k: lag in source words (k >= 1).
        dictionary: source word -> target word; missing words are copied.
    """

    def __init__(self, k: int = 3, dictionary: dict[str, str] | None = None) -> None:
        if k < 1:
            raise EvalError(f"wait-k needs k >= 1; got {k}")
        self.k = k
        self.dictionary = dict(dictionary or {})
        self._spec = SystemSpec(f"waitk-lookup-k{k}", "text", "text")

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> _State:
        return _State()

    def reset(self, state: _State) -> None:
        state.clear()

    def push(self, segment: TextSegment | SpeechSegment, state: _State) -> None:
        if not isinstance(segment, TextSegment):
            raise TypeError("WaitKLookup takes text segments")
        state.source_words.extend(segment.content.split())
        state.source_finished = state.source_finished or segment.finished

    def pop(self, state: _State) -> TextSegment:
        if state.target_finished:
            return TextSegment(finished=True)
        written = len(state.target_words)
        read = len(state.source_words)
        if written < read and (read - written >= self.k or state.source_finished):
            word = state.source_words[written]
            translated = self.dictionary.get(word, self.dictionary.get(word.lower(), word))
            state.target_words.append(translated)
            done = state.source_finished and len(state.target_words) == read
            state.target_finished = done
            return TextSegment(translated, finished=done)
        if state.source_finished and written >= read:
            state.target_finished = True
            return TextSegment(finished=True)
        return TextSegment()


def make_waitk_lookup(k: int | str = 3, dictionary: str = "") -> WaitKLookup:
    """Factory for `--system waitk-lookup`: `k`, and `dictionary` a TSV file of `source<TAB>target` lines."""
    table: dict[str, str] = {}
    if dictionary:
        path = Path(dictionary)
        if not path.is_file():
            raise EvalError(f"{path}: no such dictionary file")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise EvalError(f"{path}:{number}: expected 'source<TAB>target'")
            table[parts[0]] = parts[1]
    try:
        lag = int(k)
    except ValueError:
        raise EvalError(f"k must be an integer; got {k!r}") from None
    return WaitKLookup(lag, table)
