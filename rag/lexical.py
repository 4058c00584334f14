"""Lexical (BM25) matching for names and numbers, in Chinese and Western languages alike.

SQLite's FTS5 ranks with BM25 (`bm25()`), but its tokenisers know nothing of Chinese, which has no spaces. So text
is tokenised here, once, the same way on both sides, and FTS5 only splits the result on spaces:

- Western words are lower-cased, accents kept (FTS5 folds them), plurals folded ("moons" -> "moon"), a few
  function words dropped;
- numbers stay whole with their inner separators ("22:15", "3.5"; thousands commas dropped: "8,850" -> "8850");
- runs of Chinese characters (and Japanese kana) become character unigrams and bigrams, the usual index terms of
  Chinese full-text search without a word segmenter.

A query becomes an OR of quoted terms (`"moon" OR "火星"`): user text never reaches FTS5 as syntax, because every
term is quoted and a term holds only letters, digits and the separators `.:,`, never a quote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = ["FTS_TOKENIZE", "bm25_scores", "fts_query", "lexical_terms"]

# The FTS5 tokeniser for our pre-tokenised text: unicode61 splits on anything but letters, digits and the number
# separators we keep inside a term, and folds accents (café = cafe).
FTS_TOKENIZE = "unicode61 remove_diacritics 2 tokenchars '.:,'"

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TERM = re.compile(rf"[{_CJK}]+|\d+(?:[.,:]\d+)*|(?:(?![{_CJK}])[^\W_])+")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
# Function words only (and the tails of contractions: what's, don't): BM25's inverse document frequency already
# discounts common content words, but these add noise to an OR query and bloat the index.
_STOP_EN = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by did do does for from how in is it its of on or that the this to was were what "
        "when where which who whom why with s t d ll m re ve",
    )
)
_STOP_ZH = frozenset("的了吗呢吧啊么")
_MAX_QUERY_TERMS = 64


def _fold(word: str) -> str:
    """A plural folded to its singular; a crude but predictable stemmer (no dictionary, no surprises)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def lexical_terms(text: str) -> list[str]:
    """Index terms of `text`, in order (see the module docstring)."""
    terms: list[str] = []
    for match in _TERM.finditer(text.lower()):
        token = match.group()
        first = token[0]
        if "\u3040" <= first <= "\u30ff" or "\u3400" <= first <= "\ufaff":
            terms += [c for c in token if c not in _STOP_ZH]
            terms += [token[i : i + 2] for i in range(len(token) - 1)]
        elif first.isdigit():
            terms.append(token.replace(",", "") if _THOUSANDS.fullmatch(token) else token.rstrip(".,:"))
        elif token not in _STOP_EN:
            terms.append(_fold(token))
    return terms


def fts_query(text: str) -> str:
    """An FTS5 MATCH expression for `text`: its distinct terms, quoted, joined by OR; "" when it has none."""
    seen: dict[str, None] = {}
    for term in lexical_terms(text):
        seen.setdefault(term, None)
    # A term holds no quote by construction; the check keeps that true if the term pattern ever changes.
    terms = [t for t in seen if '"' not in t][:_MAX_QUERY_TERMS]
    return " OR ".join(f'"{t}"' for t in terms)


def bm25_scores(query: str, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Okapi BM25 of each of `texts` for `query`, with `texts` as the corpus (for the few web snippets and pages of
    one query, which have no index of their own). Higher is better; 0.0 when no term matches.

        BM25(d) = sum over query terms t in d of idf(t) * f(t, d) * (k1 + 1) / (f(t, d) + k1 * (1 - b + b * L(d)))
        L(d) = |d| / (the mean |d| over the corpus)
        idf(t) = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5))

    (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009; this idf is Lucene's,
    which stays positive when a term is in most of a tiny corpus, where FTS5's would be clamped to ~0.)
    """
    documents = [lexical_terms(text) for text in texts]
    terms = set(lexical_terms(query))
    if not documents or not terms:
        return [0.0] * len(documents)
    avgdl = max(sum(len(d) for d in documents) / len(documents), 1e-9)
    frequencies = [{t: d.count(t) for t in terms if t in d} for d in documents]
    n = len(documents)
    idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t in terms if (df := sum(t in f for f in frequencies))}
    scores = []
    for document, freq in zip(documents, frequencies, strict=True):
        norm = k1 * (1 - b + b * len(document) / avgdl)
        scores.append(sum(idf[t] * f * (k1 + 1) / (f + norm) for t, f in freq.items()))
    return scores
