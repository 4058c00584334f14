"""The trimmer of freed heap memory: rate-limited, and harmless where the allocator has no malloc_trim."""

from __future__ import annotations

import sys

import pytest

from simulagent import memory
from simulagent.memory import MemoryTrimmer, release_free_memory


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_trims_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(memory, "_MALLOC_TRIM", lambda pad: calls.append(pad) or 1)
    clock = _Clock()
    trimmer = MemoryTrimmer(interval_s=30.0, clock=clock)
    assert not trimmer.maybe_trim()  # just made: the interval has not passed
    clock.t = 31.0
    assert trimmer.maybe_trim() and calls == [0]
    clock.t = 40.0
    assert not trimmer.maybe_trim()
    clock.t = 62.0
    assert trimmer.maybe_trim() and trimmer.trims == 2


def test_without_malloc_trim_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_MALLOC_TRIM", None)
    clock = _Clock()
    trimmer = MemoryTrimmer(interval_s=1.0, clock=clock)
    clock.t = 5.0
    assert not release_free_memory() and not trimmer.maybe_trim() and trimmer.trims == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_the_real_trim_runs_here() -> None:
    assert release_free_memory()


def test_a_bad_interval_is_named() -> None:
    with pytest.raises(ValueError, match="interval_s must be > 0"):
        MemoryTrimmer(interval_s=0)
