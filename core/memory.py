"""Giving freed heap memory back to the system in long-running processes.

Streaming speech models allocate and free buffers of a different size on every update (the audio buffer grows and
is trimmed, the encoder window follows it). glibc's allocator keeps freed pages inside its heaps, fragmented, so the
resident size of a server or a long stream climbs for many minutes although nothing is leaked: one Whisper stream
went from 393 MB to 553 MB over 7 minutes, with under 1 MB held by Python objects. `malloc_trim(0)` returns those
pages (the same stream stayed at 423-438 MB with a trim a minute). `MemoryTrimmer` calls it at most once per
interval; elsewhere than glibc it does nothing. `trim_now_and_then` is the process-wide one.

Trimming does not help with the other cause of growth seen here, oneDNN's cache of one compiled primitive per input
shape inside CTranslate2; the speech backend bounds the shapes instead (`simulagent.models.asr._ctranslate2`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable

__all__ = ["MemoryTrimmer", "release_free_memory", "trim_now_and_then"]


def _load_malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _load_malloc_trim()


def release_free_memory() -> bool:
    """Return the allocator's free pages to the system now; False where that is not possible."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)
    return True


class MemoryTrimmer:
    """`maybe_trim()` after each unit of work: trims when `interval_s` has passed since the last trim (a trim of a
    few hundred MB of heap takes milliseconds; once every half minute is plenty).

    Args:
        interval_s: least time between two trims.
        clock: monotonic seconds; tests pass a fake one.
    """

    def __init__(self, interval_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0; got {interval_s}")
        self._interval_s = interval_s
        self._clock = clock
        self._last_s = clock()
        self._lock = threading.Lock()
        self.trims = 0

    def maybe_trim(self) -> bool:
        now = self._clock()
        with self._lock:
            if now - self._last_s < self._interval_s:
                return False
            self._last_s = now
        if release_free_memory():
            self.trims += 1
            return True
        return False


_PROCESS_TRIMMER = MemoryTrimmer()


def trim_now_and_then() -> bool:
    """The process-wide trimmer: call after each model update (the speech backends and the server's model worker
    do); trims at most every 30 s."""
    return _PROCESS_TRIMMER.maybe_trim()
