"""Boundary accuracy of speech segmenters (as reported in the DiSeg paper, Zhang & Feng 2023, Table 4).

A predicted boundary is a hit when it lies within `tolerance_ms` of a reference boundary; matching is one-to-one
(each reference boundary is claimed by at most one prediction, nearest first). From hits H, predictions P and
references R:

- precision = H / P, recall = H / R, F1 = 2PR / (P + R);
- over-segmentation OS = P / R - 1 (positive: too many boundaries);
- R-value (Räsänen et al., 2009) = 1 - (|r1| + |r2|) / 2, with r1 = sqrt((1 - recall)^2 + OS^2) and
  r2 = (-OS + recall - 1) / sqrt(2): robust to over-segmentation, unlike F1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["BoundaryScores", "boundary_scores", "match_boundaries"]


@dataclass(frozen=True)
class BoundaryScores:
    """Counts and rates of one comparison (rates are fractions in [0, 1], OS may exceed 1)."""

    hits: int
    num_predicted: int
    num_reference: int
    precision: float
    recall: float
    f1: float
    over_segmentation: float
    r_value: float


def match_boundaries(predicted_ms: Sequence[float], reference_ms: Sequence[float], tolerance_ms: float = 20.0) -> int:
    """Number of one-to-one matches within the tolerance (closest pairs matched first)."""
    if tolerance_ms < 0:
        raise ValueError(f"tolerance_ms must be >= 0; got {tolerance_ms}")
    pairs = sorted(
        (abs(p - r), i, j)
        for i, p in enumerate(predicted_ms)
        for j, r in enumerate(reference_ms)
        if abs(p - r) <= tolerance_ms
    )
    used_p: set[int] = set()
    used_r: set[int] = set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_r:
            used_p.add(i)
            used_r.add(j)
    return len(used_p)


def boundary_scores(
    predicted_ms: Sequence[Sequence[float]], reference_ms: Sequence[Sequence[float]], tolerance_ms: float = 20.0
) -> BoundaryScores:
    """Score the boundaries of a corpus: one list of boundary times per utterance, counts summed over utterances."""
    if len(predicted_ms) != len(reference_ms):
        raise ValueError(f"{len(predicted_ms)} predicted utterances but {len(reference_ms)} references")
    hits = num_p = num_r = 0
    for pred, ref in zip(predicted_ms, reference_ms, strict=True):
        hits += match_boundaries(pred, ref, tolerance_ms)
        num_p += len(pred)
        num_r += len(ref)
    precision = hits / num_p if num_p else 0.0
    recall = hits / num_r if num_r else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    over = num_p / num_r - 1 if num_r else math.nan
    r1 = math.sqrt((1 - recall) ** 2 + over**2)
    r2 = (-over + recall - 1) / math.sqrt(2)
    r_value = 1 - (abs(r1) + abs(r2)) / 2
    return BoundaryScores(hits, num_p, num_r, precision, recall, f1, over, r_value)
