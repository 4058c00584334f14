"""Real sentence pairs for `simulagent train hmt`: two line-aligned text files (source and target), split into the
lines held out for an evaluation elsewhere, test lines and training lines.

Units are whitespace words, the same units the Agent-SiMT translator counts, so that the trained model's reads and
writes line up with the LLM's. Vocabulary keys are the words lower-cased and stripped of surrounding punctuation
(a 1,500-line corpus is too small to learn "Haus," and "Haus" apart); words seen fewer than `min_count` times in
the training lines become `<unk>`.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from simulagent.errors import UserError

__all__ = ["ParallelData", "ParallelTask", "load_parallel", "word_key"]

SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")


def word_key(word: str) -> str:
    """The vocabulary key of a word: lower-cased, surrounding punctuation removed (punctuation alone is kept)."""
    lowered = word.lower()
    start, end = 0, len(lowered)
    while start < end and unicodedata.category(lowered[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(lowered[end - 1]).startswith("P"):
        end -= 1
    return lowered[start:end] or lowered


class ParallelTask:
    """Vocabularies and encoding, with the interface of the synthetic task (ids: 0 pad, 1 begin, 2 end, 3 unknown)."""

    PAD, BOS, EOS, UNK = 0, 1, 2, 3

    def __init__(self, source_vocab: list[str], target_vocab: list[str]) -> None:
        if tuple(source_vocab[:4]) != SPECIALS or tuple(target_vocab[:4]) != SPECIALS:
            raise UserError("a parallel-text vocabulary must start with " + ", ".join(SPECIALS))
        self.source_vocab = source_vocab
        self.target_vocab = target_vocab
        self._source_ids = {w: i for i, w in enumerate(source_vocab)}
        self._target_ids = {w: i for i, w in enumerate(target_vocab)}

    @classmethod
    def build(cls, pairs: list[tuple[list[str], list[str]]], min_count: int = 2) -> ParallelTask:
        def vocab(counts: Counter[str]) -> list[str]:
            # Sorted by count, then alphabetically, so that the same lines give the same ids on every machine.
            kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
            return list(SPECIALS) + kept

        source = Counter(word_key(w) for s, _ in pairs for w in s)
        target = Counter(word_key(w) for _, t in pairs for w in t)
        return cls(vocab(source), vocab(target))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"source": self.source_vocab, "target": self.target_vocab}), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ParallelTask:
        if not path.is_file():
            raise UserError(f"no vocabulary at {path} (train the model with --data-source and --data-target)")
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(list(data["source"]), list(data["target"]))

    def encode_source(self, words: list[str]) -> list[int]:
        return [self._source_ids.get(word_key(w), self.UNK) for w in words]

    def encode_target(self, words: list[str]) -> list[int]:
        """Target ids ending with the end token."""
        return [*self.encode_target_prefix(words), self.EOS]

    def encode_target_prefix(self, words: list[str]) -> list[int]:
        return [self._target_ids.get(word_key(w), self.UNK) for w in words]

    def decode_target(self, ids: list[int]) -> list[str]:
        return [self.target_vocab[i] for i in ids if i > self.EOS]


@dataclass(frozen=True)
class ParallelData:
    """Training and test pairs (word lists) of a line-aligned corpus."""

    train: list[tuple[list[str], list[str]]]
    test: list[tuple[list[str], list[str]]]


def load_parallel(
    source_path: Path, target_path: Path, skip_lines: int, test_lines: int, max_words: int
) -> ParallelData:
    """Lines [0, skip_lines) are left out (an evaluation set used elsewhere), the next `test_lines` are the test
    pairs, the rest train. Training pairs with a side longer than `max_words` are dropped; test pairs are kept."""
    for path in (source_path, target_path):
        if not path.is_file():
            raise UserError(f"parallel text file not found: {path}")
    sources = source_path.read_text(encoding="utf-8").splitlines()
    targets = target_path.read_text(encoding="utf-8").splitlines()
    if len(sources) != len(targets):
        raise UserError(
            f"{source_path} has {len(sources)} lines but {target_path} has {len(targets)}: the files must be aligned"
        )
    pairs = [(s.split(), t.split()) for s, t in zip(sources, targets, strict=True)]
    test = [p for p in pairs[skip_lines : skip_lines + test_lines] if p[0] and p[1]]
    train = [p for p in pairs[skip_lines + test_lines :] if 0 < len(p[0]) <= max_words and 0 < len(p[1]) <= max_words]
    if len(train) < 10:
        raise UserError(
            f"only {len(train)} training pairs are left after skipping {skip_lines} and testing on {test_lines} lines "
            f"of {len(pairs)}; lower --skip-lines or --test-pairs"
        )
    return ParallelData(train, test)
