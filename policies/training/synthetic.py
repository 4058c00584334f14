"""A synthetic translation task on which a fixed lag is the wrong answer: local reorderings of varying span.

The source is a sequence of content words ("w0".."wN") with occasional markers ("<r2>".."<rM>"). A marker `<rs>`
says that the next s source words come out of the target in reverse order; the marker itself is not translated, and
each content word wj translates to "vj". So a target word inside a reversed span can only be written once the
span's last source word has been read: the lag a translator needs jumps from 1 to s + 1 at a marker and falls back
after the span. A fixed lag k either writes reversed spans too early (errors) or waits k words everywhere (latency);
an adaptive policy can wait exactly where the markers are.

Generation is seeded and pure (the same options and seed give the same pairs on every machine).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["ReorderTask", "ReorderTaskOptions"]


@dataclass(frozen=True)
class ReorderTaskOptions:
    """Attributes:
    num_words: content vocabulary size.
    min_length, max_length: content words per sentence.
    reorder_prob: chance that a reversed span starts at a given word.
    min_span, max_span: lengths of reversed spans.
    """

    num_words: int = 24
    min_length: int = 6
    max_length: int = 14
    reorder_prob: float = 0.25
    min_span: int = 2
    max_span: int = 4

    def __post_init__(self) -> None:
        if self.num_words < 2 or not 1 <= self.min_length <= self.max_length:
            raise ValueError("need num_words >= 2 and 1 <= min_length <= max_length")
        if not 0.0 <= self.reorder_prob <= 1.0 or not 2 <= self.min_span <= self.max_span:
            raise ValueError("need reorder_prob in [0, 1] and 2 <= min_span <= max_span")


class ReorderTask:
    """Sentence pairs and the vocabularies of the task (token ids: 0 pad, 1 begin, 2 end, then the words)."""

    PAD, BOS, EOS = 0, 1, 2

    def __init__(self, options: ReorderTaskOptions | None = None) -> None:
        self.options = options or ReorderTaskOptions()
        o = self.options
        specials = ["<pad>", "<s>", "</s>"]
        self.source_vocab = (
            specials + [f"w{i}" for i in range(o.num_words)] + [f"<r{s}>" for s in range(o.min_span, o.max_span + 1)]
        )
        self.target_vocab = specials + [f"v{i}" for i in range(o.num_words)]
        self._source_ids = {w: i for i, w in enumerate(self.source_vocab)}
        self._target_ids = {w: i for i, w in enumerate(self.target_vocab)}

    def sentence(self, rng: random.Random) -> tuple[list[str], list[str]]:
        """One pair of word lists (source, target)."""
        o = self.options
        length = rng.randint(o.min_length, o.max_length)
        words = [rng.randrange(o.num_words) for _ in range(length)]
        source: list[str] = []
        target: list[str] = []
        i = 0
        while i < length:
            span = rng.randint(o.min_span, o.max_span)
            if rng.random() < o.reorder_prob and i + span <= length:
                source.append(f"<r{span}>")
                source += [f"w{w}" for w in words[i : i + span]]
                target += [f"v{w}" for w in reversed(words[i : i + span])]
                i += span
            else:
                source.append(f"w{words[i]}")
                target.append(f"v{words[i]}")
                i += 1
        return source, target

    def pairs(self, count: int, seed: int) -> list[tuple[list[str], list[str]]]:
        rng = random.Random(seed)
        return [self.sentence(rng) for _ in range(count)]

    def generate(self, count: int, seed: int) -> list[tuple[list[int], list[int]]]:
        """`pairs` as token ids: (source ids, target ids ending with the end token)."""
        return [(self.encode_source(s), self.encode_target(t)) for s, t in self.pairs(count, seed)]

    def detokenize(self, ids: list[int]) -> str:
        """Target ids -> the sentence string that BLEU scores (special tokens dropped)."""
        return " ".join(self.decode_target(ids))

    def encode_source(self, words: list[str]) -> list[int]:
        return [self._source_ids[w] for w in words]

    def encode_target(self, words: list[str]) -> list[int]:
        """Target ids ending with the end token."""
        return [self._target_ids[w] for w in words] + [self.EOS]

    def decode_target(self, ids: list[int]) -> list[str]:
        return [self.target_vocab[i] for i in ids if i > self.EOS]
