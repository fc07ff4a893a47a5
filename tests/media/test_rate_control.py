"""The per-receiver rate controller: media/estimate.py and media/layer_choice.py (pure, with
synthetic RTCP sequences and an injected clock)."""

from __future__ import annotations

import pytest

from media.estimate import MIN_BPS, UNKNOWN_PRIOR_BPS, DownlinkEstimate
from media.layer_choice import (
    AUDIO_BPS,
    ONE_LAYERED_STREAM,
    ONE_STREAM,
    STILL_BPS,
    TWO_STREAMS,
    LayerChoice,
    SlotView,
    ceiling_index,
    ladder,
    reason_for,
    rung_rate,
)

# One RTCP "second": (receiver-report fraction_lost blocks 0..255, REMB bits/s or None, NACKed
# packets), with 100 packets sent to the subscriber in that second.
Second = tuple[list[int], int | None, int]


def run(prior: int | None, seconds: list[Second], sent_bps: int = 500_000) -> list[int]:
    estimate = DownlinkEstimate(prior)
    out = []
    for now, (losses, remb, nacks) in enumerate(seconds):
        for loss in losses:
            estimate.report_loss(loss)
        if remb is not None:
            estimate.report_remb(remb, float(now))
        estimate.report_nacks(nacks)
        out.append(estimate.update(float(now), 100, sent_bps))
    return out


@pytest.mark.parametrize(
    ("prior", "seconds", "expected"),
    [
        # a VSAT site (prior 256 kbit/s) with 5 % random loss: holds at the prior
        (256_000, [([13], None, 0)] * 5, [256_000] * 5),
        # clean receiver reports: +5 % a second
        (256_000, [([0], None, 0)] * 3, [268_800, 282_240, 296_352]),
        # 20 % loss: minus half the loss per second
        (1_000_000, [([51], None, 0)] * 2, [900_390, 810_702]),
        # no report, no NACK: no information, no change
        (500_000, [([], None, 0)] * 3, [500_000] * 3),
        # NACKs count as loss when the receiver reports none: 30 of 100 packets -> -15 %
        (500_000, [([], None, 30)], [425_000]),
        # ... but a report wins: over 600 ms a browser NACKs each lost packet again every round
        # trip, and 5 % random loss (the report) must not look like 30 % (the NACKs)
        (500_000, [([13], None, 30)], [500_000]),
        # REMB below the loss-based estimate (and below the 500k sent) wins; expires after 5 s
        (1_000_000, [([], 300_000, 0)] + [([], None, 0)] * 6, [300_000] * 6 + [1_000_000]),
        # unknown prior: a LAN-ish start
        (None, [([], None, 0)], [UNKNOWN_PRIOR_BPS]),
        # heavy loss never goes below the floor
        (40_000, [([255], None, 0)] * 3, [MIN_BPS] * 3),
    ],
)
def test_estimate(prior: int | None, seconds: list[Second], expected: list[int]) -> None:
    assert run(prior, seconds) == pytest.approx(expected, abs=1)


def test_remb_above_what_is_sent_says_nothing() -> None:
    """After a cut to a low layer the receiver's REMB follows the low rate up only to ~1.5x:
    it must not hold the layer down for good."""
    assert run(1_000_000, [([], 300_000, 0)], sent_bps=200_000) == [1_000_000]
    assert run(1_000_000, [([], 300_000, 0)], sent_bps=400_000) == [300_000]


def test_one_remb_dip_is_not_taken() -> None:
    estimate = DownlinkEstimate(2_000_000)
    estimate.update(0.0, 100, 1_000_000)
    for now, remb in ((0.0, 900_000), (1.0, 400_000), (2.0, 950_000)):
        estimate.report_remb(remb, now)
    assert estimate.value(2.0) == 950_000
    for now in (3.0, 4.0, 5.5):
        estimate.report_remb(400_000, now)
    assert estimate.value(5.5) == 400_000  # lasting 3 s: it is the link


def test_remb_per_stream_counts_only_the_streams_it_covers() -> None:
    """aiortc sends one REMB per received stream, Chrome one for all: a REMB binds by the
    deficit on the SSRCs it lists, not as a figure for the whole connection."""
    estimate = DownlinkEstimate(5_000_000)
    estimate.update(0.0, 100, 1_000_000, {1: 500_000, 2: 400_000})
    estimate.report_remb(700_000, 0.0, (1,))  # above what stream 1 gets: says nothing
    estimate.report_remb(300_000, 0.0, (2,))  # stream 2 gets 400k, takes 300k: 100k short
    assert estimate.value(0.0) == 900_000
    estimate.report_remb(800_000, 0.5, (1, 2))  # Chrome-style, for both: 100k short too
    assert estimate.value(0.5) == 800_000
    assert estimate.value(6.0) == 5_000_000  # all of them stale


def test_several_blocks_in_one_second_are_averaged() -> None:
    estimate = DownlinkEstimate(1_000_000)
    for loss in (0, 0, 76):  # 0, 0 and 29.7 %: 9.9 % on average -> hold
        estimate.report_loss(loss)
    assert estimate.update(0.0, 100) == 1_000_000
    assert estimate.loss == pytest.approx(0.099, abs=0.001)


def test_new_prior_restarts_the_estimate() -> None:
    estimate = DownlinkEstimate(256_000)
    estimate.set_prior(2_000_000)
    assert estimate.value(0.0) == 2_000_000


# Publisher rates (bits/s by TID) of a host sending high 600 kbit/s and low 150 kbit/s, L1T3.
RATES = {"high": [300_000.0, 150_000.0, 150_000.0, 0.0], "low": [75_000.0, 35_000.0, 40_000.0, 0]}
TWO = [rung_rate(r, RATES) for r in TWO_STREAMS]  # still, low_base, low, high/2, high


def test_rung_rates() -> None:
    assert TWO == [STILL_BPS, 75_000, 150_000, 450_000, 600_000]
    nominal = [rung_rate(r, {}) for r in TWO_STREAMS]
    assert nominal[-1] > nominal[2] > nominal[1] > nominal[0] > 0  # before any measurement
    assert ladder(True, True) is TWO_STREAMS
    assert ladder(False, True) is ONE_LAYERED_STREAM and ladder(False, False) is ONE_STREAM


@pytest.mark.parametrize(
    ("ceiling", "rungs", "expected"),
    [
        ("high", TWO_STREAMS, 4),
        ("low", TWO_STREAMS, 2),
        ("low_base", TWO_STREAMS, 1),
        ("still", TWO_STREAMS, 0),
        ("off", TWO_STREAMS, -1),
        ("low", ONE_LAYERED_STREAM, 2),  # one stream: high at a third of the frame rate
        ("low", ONE_STREAM, 0),  # one stream without layers: only stills fit under "low"
    ],
)
def test_ceiling_index(ceiling: str, rungs: tuple, expected: int) -> None:  # type: ignore[type-arg]
    assert ceiling_index(rungs, ceiling) == expected  # type: ignore[arg-type]


def budget_for(estimate: int, audio_streams: int = 1) -> int:
    return estimate - AUDIO_BPS * audio_streams


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        (256_000, 2),  # VSAT 256 kbit/s: low (150k < 7/8 of 216k), not high/2
        (140_000, 1),  # low_base
        (60_000, 0),  # a still every few seconds
        (700_000, 3),  # high at half the frame rate: 600k is not < 7/8 of 660k
        (2_000_000, 4),  # everything
    ],
)
def test_new_slot_is_placed_as_high_as_the_budget_allows(estimate: int, expected: int) -> None:
    choice = LayerChoice()
    assert choice.choose([SlotView(TWO, 4)], budget_for(estimate), 0.0) == [expected]


def test_step_down_above_one_and_a_half_budget_and_temporal_first() -> None:
    choice = LayerChoice()
    slot = SlotView(TWO, 4, current=4)  # high, 600k
    assert choice.choose([slot], 500_000, 0.0) == [4]  # 600k < 1.5 x 500k: keep
    assert choice.choose([slot], 350_000, 1.0) == [4]  # 600k > 525k, but only for a moment
    assert choice.choose([slot], 500_000, 1.5) == [4]  # ... gone again
    assert choice.choose([slot], 350_000, 2.0) == [4]
    assert choice.choose([slot], 350_000, 3.0) == [3]  # a second later: high at half the rate
    slot.current = 3
    assert choice.choose([slot], 90_000, 4.0) == [3]
    assert choice.choose([slot], 90_000, 5.0) == [1]  # several steps at once (135k > low)
    assert choice.steps_down == 2


def test_step_up_one_rung_after_the_hold_off_and_paced() -> None:
    choice = LayerChoice(hold_off=10.0, up_interval=4.0)
    slot = SlotView([10_000, 100_000, 200_000, 300_000, 400_000], 4, current=1)
    choice.choose([slot], 20_000, -1.0)
    assert choice.choose([slot], 20_000, 0.0) == [0]  # down at t=0
    slot.current = 0
    # after the hold-off: at once up to half the budget (250k), then one probe per 4 s
    timeline = [(5.0, 0), (9.9, 0), (10.0, 3), (12.0, 3), (14.0, 4)]
    for now, expected in timeline:
        got = choice.choose([slot], 500_000, now)
        assert got == [expected], now
        slot.current = got[0]


def test_up_only_when_the_new_total_stays_under_seven_eighths() -> None:
    choice = LayerChoice(hold_off=0.0, up_interval=0.0)
    slot = SlotView(TWO, 4, current=2)  # low 150k; next: high/2 450k
    assert choice.choose([slot], 514_000, 0.0) == [2]  # 450k >= 7/8 x 514k
    assert choice.choose([slot], 515_000, 1.0) == [3]  # 450k < 7/8 x 515k


def test_several_publishers_share_the_budget_cheapest_first() -> None:
    choice = LayerChoice()
    slots = [SlotView(TWO, 4), SlotView(TWO, 4), SlotView(TWO, 4)]
    # 3 x low = 450k fits 7/8 of 600k; a fourth step (one to high/2) does not
    assert choice.choose(slots, 600_000, 0.0) == [2, 2, 2]
    for s, i in zip(slots, [2, 2, 2], strict=True):
        s.current = i
    # the budget halves: the dearest goes down first, until under 1.5x
    choice.choose(slots, 250_000, 1.0)
    assert choice.choose(slots, 250_000, 2.0) == [1, 2, 2]


def test_ceiling_caps_at_once_and_off_is_off() -> None:
    choice = LayerChoice()
    slots = [SlotView(TWO, 0, current=4), SlotView(TWO, -1, current=4)]
    assert choice.choose(slots, 2_000_000, 0.0) == [0, -1]


@pytest.mark.parametrize(
    ("rungs", "index", "cap", "has_low", "reason"),
    [
        (TWO_STREAMS, 4, 4, True, "ok"),
        (TWO_STREAMS, 2, 2, True, "ceiling"),
        (TWO_STREAMS, 1, 4, True, "bandwidth"),
        (ONE_LAYERED_STREAM, 2, 3, False, "no_source"),
        (ONE_LAYERED_STREAM, 0, 3, False, "bandwidth"),
    ],
)
def test_reasons(rungs: tuple, index: int, cap: int, has_low: bool, reason: str) -> None:  # type: ignore[type-arg]
    assert reason_for(rungs, index, cap, has_low) == reason
