"""Speaking detection with hysteresis, and the recent-speakers list."""

from __future__ import annotations

import pytest

from rooms.speaking import SpeakingDetector, SpeakingThresholds, push_speaker


def feed(detector: SpeakingDetector, levels: list[tuple[float, int]]) -> list[bool | None]:
    return [detector.level("p", level, t) for t, level in levels]


@pytest.mark.parametrize(
    "levels,changes",
    [
        # loud for 0.2 s: starts on the second report
        ([(0.0, -20), (0.2, -20)], [None, True]),
        # one loud report only: nothing
        ([(0.0, -20), (0.2, -90)], [None, None]),
        # between thresholds: nothing ever
        ([(0.0, -50), (0.2, -50), (0.4, -50)], [None, None, None]),
        # speaking, a short pause (0.6 s) does not stop it, a long one (1.0 s) does
        (
            [(0.0, -20), (0.2, -20), (0.4, -90), (1.0, -90), (1.2, -20), (1.4, -90), (2.4, -90)],
            [None, True, None, None, None, None, False],
        ),
    ],
)
def test_hysteresis(levels: list[tuple[float, int]], changes: list[bool | None]) -> None:
    assert feed(SpeakingDetector(SpeakingThresholds()), levels) == changes


def test_forget_reports_whether_speaking() -> None:
    detector = SpeakingDetector()
    feed(detector, [(0.0, -10), (0.5, -10)])
    assert detector.speaking("p")
    assert detector.forget("p") is True
    assert not detector.speaking("p")
    assert detector.forget("p") is False


def test_push_speaker() -> None:
    assert push_speaker(["a", "b", "c"], "c") == ["c", "a", "b"]
    assert push_speaker(["a", "b"], "z", keep=2) == ["z", "a"]
