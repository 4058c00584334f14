"""Latency metrics against values computed by hand from the papers' formulas."""

from __future__ import annotations

import pytest

from simulagent.eval import latency as lat


def test_average_lagging_by_hand() -> None:
    # wait-2 on 4 words, reference of 4 words: gamma = 1, d = 2, 3, 4 (tau = 3: the first delay reaching |X|).
    assert lat.average_lagging([2, 3, 4, 4], 4, 4) == pytest.approx(((2 - 0) + (3 - 1) + (4 - 2)) / 3)
    # gamma = 2 (twice as many target words): d_i - (i-1)/2
    assert lat.average_lagging([1, 1, 2, 2], 2, 4) == pytest.approx(((1 - 0) + (1 - 0.5) + (2 - 1)) / 3)


def test_average_lagging_edge_cases() -> None:
    assert lat.average_lagging([7, 8], 5, 2) == 7.0  # first delay beyond the source: AL = d_1
    assert lat.average_lagging([1, 2], 5, 2) == pytest.approx(((1 - 0) + (2 - 2.5)) / 2)  # never reaches |X|
    with pytest.raises(ValueError, match="at least one delay"):
        lat.average_lagging([], 5, 2)
    with pytest.raises(ValueError, match="source_length"):
        lat.average_lagging([1], 0, 2)


def test_laal_uses_the_longer_of_hypothesis_and_reference() -> None:
    delays = [1, 2, 3, 3, 3, 3]  # 6 output words, reference of 3
    assert lat.length_adaptive_average_lagging(delays, 3, 3) == pytest.approx(lat.average_lagging(delays, 3, 6))
    assert lat.length_adaptive_average_lagging([1, 2], 3, 5) == pytest.approx(lat.average_lagging([1, 2], 3, 5))


def test_average_proportion() -> None:
    assert lat.average_proportion([1, 2, 3], 3, 3) == pytest.approx(6 / 9)


def test_dal_by_hand() -> None:
    # |Y*| = 3, |X| = 3, gamma = 1: d' = 2, max(2, 3) = 3, max(3, 4) = 4 -> (2 - 0 + 3 - 1 + 4 - 2) / 3
    assert lat.differentiable_average_lagging([2, 2, 3], 3) == pytest.approx((2 + 2 + 2) / 3)


def test_offsets_and_rtf() -> None:
    assert lat.start_offset([320.0, 640.0]) == 320.0
    assert lat.end_offset([320.0, 1000.0], 900.0) == 100.0
    assert lat.end_offset([320.0, 640.0], 900.0, intervals=[[320.0, 400.0], [720.0, 500.0]]) == 320.0
    assert lat.real_time_factor([500.0, 1800.0], 900.0) == 2.0
    assert lat.num_chunks([1, 2, 3]) == 3


def test_atd_text_to_text_by_hand() -> None:
    # Source words end at times 1, 2, 3; wait-1 writes target word i at delay i, each taking one time unit:
    # target ends 2, 3, 4 -> paired with source tokens 1, 2, 3 ending 1, 2, 3 -> ATD = 1.
    assert lat.average_token_delay([1, 2, 3], source_type="text", target_type="text") == pytest.approx(1.0)
    # Everything written at the end (delay 3 for all): target ends 4, 5, 6; source tokens 1, 2, 3 -> (3+3+3)/3
    assert lat.average_token_delay([3, 3, 3], source_type="text", target_type="text") == pytest.approx(3.0)


def test_atd_speech_to_text_by_hand() -> None:
    # Speech chunks of 600 ms = two 300 ms source tokens each; text tokens have no length.
    # Outputs at 600 ms (1 word) and 1200 ms (1 word): target token 1 pairs with source token 1 (ends 300),
    # target token 2 with source token 2 (ends 600): ATD = ((600 - 300) + (1200 - 600)) / 2.
    value = lat.average_token_delay([600.0, 1200.0], source_type="speech", target_type="text")
    assert value == pytest.approx(450.0)


def test_atd_speech_output_by_hand() -> None:
    # One output chunk at 600 ms lasting 600 ms: two 300 ms target tokens ending 900 and 1200, paired with
    # source tokens ending 300 and 600: ATD = (600 + 600) / 2.
    value = lat.average_token_delay([600.0], source_type="speech", target_type="speech", durations=[600.0])
    assert value == pytest.approx(600.0)


def test_atd_speech_output_needs_durations() -> None:
    with pytest.raises(ValueError, match="duration"):
        lat.average_token_delay([600.0], source_type="speech", target_type="speech")
