"""Language-aware chunking: split text into sentences (Chinese and Western punctuation alike), then pack sentences
into chunks of at most `max_chars`, overlapping by whole sentences. Chinese has no spaces, so nothing here splits on
white space; a sentence longer than a chunk is cut by characters."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ChunkOptions", "chunk_text", "split_sentences"]

# A sentence ends at Chinese/Japanese full stops, ! ? ; and newlines anywhere; at "." only before white space or the
# end (so "3.5" and "e.g." inside a sentence do not split it).
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;…])|(?<=\.)(?=\s)|\n+")


@dataclass(frozen=True)
class ChunkOptions:
    """Attributes:
    max_chars: a chunk holds at most this many characters.
    overlap_sentences: how many trailing sentences of a chunk start the next one too (keeps context across cuts).
    """

    max_chars: int = 400
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if self.max_chars < 20:
            raise ValueError(f"max_chars must be >= 20; got {self.max_chars}")
        if self.overlap_sentences < 0:
            raise ValueError("overlap_sentences must be >= 0")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, stripped, empty ones dropped."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def chunk_text(text: str, options: ChunkOptions | None = None) -> list[str]:
    """Pack the sentences of `text` into chunks of at most `options.max_chars` characters."""
    opts = options or ChunkOptions()
    sentences: list[str] = []
    for sentence in split_sentences(text):
        while len(sentence) > opts.max_chars:
            sentences.append(sentence[: opts.max_chars])
            sentence = sentence[opts.max_chars :]
        if sentence:
            sentences.append(sentence)
    chunks: list[str] = []
    current: list[str] = []
    for sentence in sentences:
        candidate = _join([*current, sentence])
        if current and len(candidate) > opts.max_chars:
            chunks.append(_join(current))
            keep = current[len(current) - opts.overlap_sentences :] if opts.overlap_sentences else []
            current = [*keep, sentence] if len(_join([*keep, sentence])) <= opts.max_chars else [sentence]
        else:
            current.append(sentence)
    if current:
        chunks.append(_join(current))
    return chunks


def _join(sentences: list[str]) -> str:
    out = ""
    for sentence in sentences:
        if out and not _is_cjk(out[-1]) and not _is_cjk(sentence[0]):
            out += " "
        out += sentence
    return out


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
