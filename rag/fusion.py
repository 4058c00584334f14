"""Rank fusion: several rankings of one pool of candidate passages (by embedding similarity, by BM25 within each
knowledge base, by BM25 within the web results) into one score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["min_max", "rank", "reciprocal_rank_fusion", "score_mix"]


def rank(scores: Sequence[float], among: Sequence[int] | None = None, positive_only: bool = False) -> list[int]:
    """Candidate indices best first by `scores` (ties keep index order), over `among` (default: all);
    `positive_only` leaves out candidates scoring <= 0 (for BM25: no query term matched)."""
    values = np.asarray(scores, dtype=np.float64)
    indices = np.arange(len(values)) if among is None else np.asarray(among, dtype=np.int64)
    if positive_only:
        indices = indices[values[indices] > 0]
    return indices[np.argsort(-values[indices], kind="stable")].tolist()


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], num_candidates: int, rank_constant: int = 60
) -> list[float]:
    """Reciprocal rank fusion (Cormack, Clarke and Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and
    individual Rank Learning Methods", SIGIR 2009):

        RRF(d) = sum over the rankings R that contain d of 1 / (c + r_R(d))

    with r_R(d) the rank of candidate d in R (from 1, best first) and c = `rank_constant` (60 in the paper). A
    ranking may hold only some candidates (BM25 ranks only the passages that share a term with the query, and only
    within one corpus); a candidate absent from a ranking gets nothing from it.

    Args:
        rankings: each a list of candidate indices, best first, no index twice.
        num_candidates: the pool's size (indices are in [0, num_candidates)).
        rank_constant: c above; larger values flatten the difference between the first ranks.

    Returns:
        RRF(d) for each candidate d, in index order.
    """
    if rank_constant < 0:
        raise ValueError(f"rank_constant must be >= 0; got {rank_constant}")
    fused = [0.0] * num_candidates
    for ranking in rankings:
        if len(set(ranking)) != len(ranking):
            raise ValueError("a ranking lists a candidate twice")
        for position, index in enumerate(ranking, 1):
            fused[index] += 1.0 / (rank_constant + position)
    return fused


def min_max(values: Sequence[float]) -> list[float]:
    """`values` scaled linearly to [0, 1] (best 1.0, worst 0.0); all 1.0 when they are all equal."""
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return []
    low, high = float(array.min()), float(array.max())
    if high - low <= 1e-12:
        return [1.0] * array.size
    return ((array - low) / (high - low)).tolist()


def score_mix(similarity: Sequence[float], lexical: Sequence[float], lexical_weight: float) -> list[float]:
    """A convex mix of normalised scores (the "normalised score combination" of Fox and Shaw's CombSUM, TREC-2
    1994, with min-max normalisation as in Lee, SIGIR 1997):

        score(d) = (1 - w) * minmax(similarity)(d) + w * lexical(d)

    with w = `lexical_weight`. `lexical` must already be in [0, 1] (the caller divides BM25 by the best BM25 of the
    candidate's own corpus, so "no term matched" stays 0).

    Args:
        similarity: each candidate's cosine similarity to the query.
        lexical: each candidate's normalised lexical score in [0, 1], same order.
        lexical_weight: w above, in [0, 1].

    Returns:
        The mixed score of each candidate, in [0, 1], same order.
    """
    if len(similarity) != len(lexical):
        raise ValueError(f"{len(similarity)} similarities but {len(lexical)} lexical scores")
    if not 0.0 <= lexical_weight <= 1.0:
        raise ValueError(f"lexical_weight must be in [0, 1]; got {lexical_weight}")
    return [
        (1 - lexical_weight) * s + lexical_weight * lex for s, lex in zip(min_max(similarity), lexical, strict=True)
    ]
