"""The per-receiver rate controller: media/estimate.py and media/layer_choice.py (pure, with
synthetic RTCP sequences and an injected clock)."""

from __future__ import annotations

import pytest

from media.estimate import (
    MIN_BPS,
    SLOW_START_BPS,
    SLOW_WATCH,
    STEP_GRACE,
    UNKNOWN_PRIOR_BPS,
    DownlinkEstimate,
)
from media.layer_choice import (
    AUDIO_BPS,
    LOW_ONLY,
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
from media.layer_control import downlink_loss

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
        # 20 % loss: what was sent (500k: the link carries no more) minus half the loss, and
        # not cut again before the reports tell of the new rate (2 s)
        (1_000_000, [([51], None, 0)] * 3, [450_195, 450_195, 405_351]),
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


def test_a_remb_still_climbing_after_a_step_up_is_not_a_deficit() -> None:
    """Chrome's REMB holds itself near 1.5x what it received and climbs ~8 % a second once
    more arrives: after a step up from the low stream (60 kbit/s) to the high one (260
    kbit/s) its REMBs stay below what is sent for seconds with no queue anywhere. Read as a
    deficit, every step up failed at once (a 2 Mbit/s receiver flapped between the layers for
    50 s). A REMB that stops climbing, or falls, binds as before."""
    estimate = DownlinkEstimate(20_000_000)
    estimate.update(0.0, 100, 60_000)
    for now in (0.0, 1.0, 2.0):
        estimate.report_remb(100_000, now)  # held at ~1.5x the low stream
    assert estimate.value(2.0) == 20_000_000  # above what is sent: says nothing
    estimate.stepped_up(2.5)
    estimate.update(3.0, 100, 260_000)
    for now, remb in ((3.0, 124_000), (4.0, 132_000), (5.0, 142_000), (6.0, 153_000)):
        estimate.report_remb(remb, now)
        assert estimate.remb_deficit(now) == 0, now
    assert estimate.value(6.0) == 20_000_000
    estimate.report_remb(153_000, 7.0)  # holds: the estimator saw a queue build
    assert estimate.value(7.0) == 153_000
    estimate.report_remb(160_000, 8.0)  # climbs again, but it held once since the step
    assert estimate.value(8.0) == 160_000


def test_after_the_grace_a_climbing_remb_binds_and_without_a_step_up_at_once() -> None:
    estimate = DownlinkEstimate(20_000_000)
    estimate.update(0.0, 100, 260_000)
    estimate.report_remb(100_000, 0.0)
    estimate.report_remb(124_000, 1.0)
    assert estimate.value(1.0) == 124_000  # no step up: a deficit, as it always was
    estimate.stepped_up(1.5)
    estimate.report_remb(130_000, 2.0)
    assert estimate.value(2.0) == 20_000_000
    estimate.report_remb(140_000, 1.5 + STEP_GRACE)
    assert estimate.value(1.5 + STEP_GRACE) == 140_000  # 15 s below what is sent: the link
    estimate.stepped_up(20.0)
    estimate.report_remb(120_000, 20.5)  # the first REMB after a step falls: binds
    assert estimate.value(20.5) == 120_000


def test_remb_per_stream_counts_only_the_streams_it_covers() -> None:
    """aiortc sends one REMB per received stream, Chrome one for all: a REMB binds by the
    deficit on the SSRCs it lists, not as a figure for the whole connection."""
    estimate = DownlinkEstimate(5_000_000)
    estimate.update(0.0, 100, 1_000_000, {1: 500_000, 2: 400_000})
    estimate.report_remb(700_000, 0.0, (1,))  # above what stream 1 gets: says nothing
    estimate.report_remb(300_000, 0.0, (2,))  # stream 2 gets 400k, takes 300k: 100k short
    assert estimate.value(0.0) == 900_000
    # Chrome-style, for both: it supersedes the two (100k short, counted once)
    estimate.report_remb(800_000, 0.5, (1, 2))
    assert estimate.value(0.5) == 900_000
    assert estimate.value(6.0) == 5_000_000  # all of them stale


def test_a_remb_about_the_same_streams_supersedes_the_earlier_ones() -> None:
    """Chrome lists the streams its estimator saw lately: the video alone, then with its
    retransmission stream, then alone again. One link, one deficit: counted once per set it
    read 34 kbit/s out of two REMBs of ~200 kbit/s during a probe on profile d."""
    estimate = DownlinkEstimate(1_000_000)
    estimate.update(0.0, 100, 350_000, {7: 330_000, 8: 20_000})
    estimate.report_remb(200_000, 0.0, (7,))
    estimate.report_remb(190_000, 0.5, (7, 8))
    estimate.report_remb(180_000, 1.0, (7,))
    # the video's 330k against the highest of the window (200k): 130k short, once
    assert estimate.remb_deficit(1.0) == 130_000
    assert estimate.value(1.0) == 220_000
    # streams a REMB does not name keep their own: aiortc's per-stream REMBs are untouched
    estimate.report_remb(10_000, 1.0, (9,))
    assert estimate.remb_deficit(1.0) == 130_000


def test_several_blocks_in_one_second_are_averaged() -> None:
    estimate = DownlinkEstimate(1_000_000)
    for loss in (0, 0, 76):  # 0, 0 and 29.7 %: 9.9 % on average -> hold
        estimate.report_loss(loss)
    assert estimate.update(0.0, 100) == 1_000_000
    assert estimate.loss == pytest.approx(0.099, abs=0.001)


def test_blocks_are_weighed_by_the_packets_they_count() -> None:
    """A 5 % link: audio's 50 packets a second lose 5 %, the thin video stream's 6 lose none
    or, every third second, two (33 %). Weighed, that is ~5-8 %: no congestion. As equals, the
    lossy seconds read 19 % and the estimate was cut, again and again."""
    estimate = DownlinkEstimate(200_000)
    lowest = 200_000
    for now in range(60):
        estimate.report_loss(13, 50)  # audio, 5 %
        estimate.report_loss(85 if now % 3 == 0 else 0, 6)  # video: 2 of 6, or none
        lowest = min(lowest, estimate.update(float(now), 56, 120_000))
    assert lowest == 200_000


def test_the_smoothed_loss_starts_afresh_once_a_cut_settled() -> None:
    """The reports of a cut's settling time tell of the overfull rate before it; the first
    report after is the link's own 5 %: no second cut."""
    estimate = DownlinkEstimate(300_000)
    for now in range(3):
        estimate.report_loss(77)  # 30 %: the start overfilled the link
        estimate.update(float(now), 100, 300_000)
    cut = estimate.loss_bps
    assert cut < 300_000
    for now in range(3, 10):
        estimate.report_loss(13)  # 5 %
        estimate.update(float(now), 100, 150_000)
    assert estimate.loss_bps >= cut


def test_a_long_round_trip_restarts_an_unknown_receiver_low() -> None:
    """Nothing known about the site: a LAN start, until the first round trips say VSAT."""
    estimate = DownlinkEstimate(None)
    assert estimate.update(0.0, 100) == UNKNOWN_PRIOR_BPS  # no round trip measured yet
    for now, rtt in ((1.0, 0.7), (2.0, 0.65)):
        estimate.report_rtt(rtt)
        estimate.report_loss(13)  # 5 %
        assert estimate.update(now, 100) == UNKNOWN_PRIOR_BPS  # not decided on one or two
    estimate.report_rtt(0.9)
    estimate.report_loss(13)
    assert estimate.update(3.0, 100) == SLOW_START_BPS  # the shortest of three: 650 ms
    assert estimate.take_restart() and not estimate.take_restart()  # told once
    estimate.report_rtt(0.05)
    estimate.update(4.0, 100)
    assert estimate.value(4.0) == SLOW_START_BPS  # decided: no way back to the LAN start


def test_a_long_clean_path_is_not_a_weak_link() -> None:
    """600 ms without loss (a wide but far path, or the media tests' delay relay): no restart,
    also when it loses later (then it is congestion, for the loss-based estimate)."""
    estimate = DownlinkEstimate(None)
    for now in range(SLOW_WATCH + 3):
        estimate.report_rtt(0.65)
        estimate.report_loss(0)
        assert estimate.update(float(now), 100) >= UNKNOWN_PRIOR_BPS  # clean: it grows
    estimate.report_loss(13)
    estimate.update(float(SLOW_WATCH + 3), 100)
    assert not estimate.take_restart()


def test_a_long_path_that_loses_a_few_seconds_in_is_a_weak_link() -> None:
    """The first seconds of a 5 % VSAT link read 1.6 %: it is watched, not taken for wide."""
    estimate = DownlinkEstimate(None)
    for now, lost in enumerate([4, 4, 4, 4, 26, 26, 26]):
        estimate.report_rtt(0.62)
        estimate.report_loss(lost)
        estimate.update(float(now), 100, 200_000)
    assert estimate.take_restart()
    assert estimate.value(7.0) == SLOW_START_BPS


def test_one_short_round_trip_is_a_fast_link() -> None:
    """A stalled stream's sender reports age, and their round trips read long: the shortest
    of the first three decides."""
    estimate = DownlinkEstimate(None)
    for now, rtt in ((0.0, 0.002), (1.0, 0.74), (2.0, 1.5), (3.0, 2.2)):
        estimate.report_rtt(rtt)
        assert estimate.update(now, 100) == UNKNOWN_PRIOR_BPS
    assert not estimate.take_restart()


def test_a_long_round_trip_does_not_override_the_inventory() -> None:
    for prior in (150_000, 2_000_000):  # thin, or wide: the inventory is believed
        estimate = DownlinkEstimate(prior)
        estimate.report_rtt(0.65)
        assert estimate.update(0.0, 100) == prior
        assert not estimate.take_restart()


def test_random_loss_is_the_links_own_not_congestion() -> None:
    """5 % random loss over a thin stream: reports of 0 %, 5 %, 15 % ... average ~5 %. One
    unlucky second does not cut the estimate; once the link's own loss is learnt (20 s) the
    estimate grows again (the layer choice's probes and back-off keep that careful)."""
    reports = [13, 0, 38, 13, 0, 13, 26, 13, 0, 13] * 5  # 5 % on average, 0-15 % each
    out = run(200_000, [([r], None, 0) for r in reports], sent_bps=150_000)
    assert min(out) >= 200_000 * 0.95  # never cut
    assert out[15] < 220_000  # nothing learnt yet: held
    assert out[-1] > 1.5 * 200_000  # learnt: grown


def test_loss_above_the_links_own_cuts() -> None:
    """The link loses 5 % on its own; sending too much adds a full queue's 20 %."""
    seconds = [([13], None, 0)] * 25 + [([64], None, 0)] * 5
    out = run(300_000, seconds, sent_bps=150_000)
    assert out[24] >= 300_000 and out[-1] < 0.8 * out[24]


def test_loss_that_stays_high_cuts_within_seconds() -> None:
    """Congestion: an overfull queue drops 25 % a second, after a 5 % random loss."""
    out = run(200_000, [([13], None, 0)] * 3 + [([64], None, 0)] * 4)
    assert out[:3] == [200_000] * 3
    assert out[3] > 0.94 * 200_000  # the first 25 % second alone: 5 % off at most
    assert out[4] == out[3]  # the second after a cut still tells of the rate before it
    assert out[5] < out[3] and out[6] < 0.9 * 200_000  # staying there cuts, every 2 s


def test_new_prior_restarts_the_estimate() -> None:
    estimate = DownlinkEstimate(256_000)
    estimate.set_prior(2_000_000)
    assert estimate.value(0.0) == 2_000_000


# Publisher rates (bits/s by TID) of a host sending high 600 kbit/s and low 150 kbit/s, L1T3.
RATES = {"high": [300_000.0, 150_000.0, 150_000.0, 0.0], "low": [75_000.0, 35_000.0, 40_000.0, 0]}
TWO = [rung_rate(r, RATES) for r in TWO_STREAMS]  # still, low_base, low, high


def test_rung_rates() -> None:
    # no high at half its frame rate between low and high (10 fps froze more at a weak site)
    assert TWO == [STILL_BPS, 75_000, 150_000, 600_000]
    nominal = [rung_rate(r, {}) for r in TWO_STREAMS]
    assert nominal[-1] > nominal[2] > nominal[1] > nominal[0] > 0  # before any measurement
    assert ladder(True, True) is TWO_STREAMS
    assert ladder(False, True) is ONE_LAYERED_STREAM and ladder(False, False) is ONE_STREAM
    # the page sends only its low layer (low_only limits): nothing of the high is offered
    assert ladder(True, True, high_silent=True) is LOW_ONLY
    assert [r.stream for r in LOW_ONLY] == ["low"] * 3 and LOW_ONLY[-1].layer == "low"
    assert ladder(False, True, high_silent=True) is ONE_LAYERED_STREAM  # no low: keep trying


@pytest.mark.parametrize(
    ("ceiling", "rungs", "expected"),
    [
        ("high", TWO_STREAMS, 3),
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
        (256_000, 2),  # VSAT 256 kbit/s: low (150k < 7/8 of 216k)
        (140_000, 1),  # low_base
        (60_000, 0),  # a still every few seconds
        (700_000, 2),  # the whole low stream: high's 600k is not < 7/8 of 660k
        (2_000_000, 3),  # everything
    ],
)
def test_new_slot_is_placed_as_high_as_the_budget_allows(estimate: int, expected: int) -> None:
    choice = LayerChoice()
    assert choice.choose([SlotView(TWO, 3)], budget_for(estimate), 0.0) == [expected]


def test_step_down_above_one_and_a_half_budget_to_within_it() -> None:
    choice = LayerChoice()
    slot = SlotView(TWO, 3, current=3)  # high, 600k
    assert choice.choose([slot], 500_000, 0.0) == [3]  # 600k < 1.5 x 500k: keep
    assert choice.choose([slot], 380_000, 1.0) == [3]  # 600k > 570k, but only for a moment
    assert choice.choose([slot], 500_000, 1.5) == [3]  # ... gone again
    assert choice.choose([slot], 380_000, 2.0) == [3]
    # a second later: down to what fits the budget, the whole low stream
    assert choice.choose([slot], 380_000, 3.0) == [2]
    slot.current = 3
    assert choice.choose([slot], 90_000, 4.0) == [3]
    assert choice.choose([slot], 90_000, 5.0) == [1]  # several steps at once (75k <= 90k)
    assert choice.steps_down == 2


def test_a_step_down_does_not_stop_just_under_one_and_a_half_budget() -> None:
    """A 256 kbit/s link: stopping at 1.4x the budget left its queue full and dropping audio."""
    choice = LayerChoice()
    slot = SlotView([STILL_BPS, 75_000, 150_000, 450_000, 600_000], 4, current=4)
    choice.choose([slot], 320_000, 0.0)
    assert choice.choose([slot], 320_000, 1.0) == [2]  # not the 450k rung (< 1.5 x 320k)


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


def test_a_failed_probe_doubles_the_hold_off_and_a_held_one_resets_it() -> None:
    choice = LayerChoice(hold_off=10.0, up_interval=4.0)
    slot = SlotView([10_000, 100_000, 200_000], 2, current=1)
    budget = 180_000  # 200k is under 1.5x of it, but not under 7/8: the rung above does not fit
    choice.last_down = -100.0
    assert choice.choose([slot], 230_000, 0.0) == [2]  # a probe (200k < 7/8 x 230k)
    slot.current = 2
    choice.choose([slot], 120_000, 3.0)  # the link says no: 200k > 1.5 x 120k ...
    assert choice.choose([slot], 120_000, 4.0) == [1]  # ... a second later, down
    slot.current = 1
    assert choice.hold_off == 20.0  # failed 4 s after the probe
    assert choice.choose([slot], 230_000, 4.0 + 19.0) == [1]  # 10 s is no longer enough
    assert choice.choose([slot], 230_000, 4.0 + 20.0) == [2]  # probe again after 20 s
    slot.current = 2
    for now in (30.0, 40.0, 54.0):
        assert choice.choose([slot], budget, now) == [2]  # it holds for 30 s
    assert choice.hold_off == 10.0


def test_a_probe_the_link_refuses_goes_back_as_soon_as_it_is_over_the_budget() -> None:
    """A 256 kbit/s link probed with the high layer: its loss shows a round trip late and the
    estimate shrinks; waiting for 1.5x the budget kept the link overfull for twelve seconds."""
    choice = LayerChoice(hold_off=0.0, up_interval=0.0)
    slot = SlotView(TWO, 3, current=2)
    assert choice.choose([slot], 700_000, 0.0) == [3]  # the probe: 600k < 7/8 x 700k
    slot.current = 3
    assert choice.choose([slot], 500_000, 2.0) == [3]  # over the budget: a moment is a blip
    assert choice.choose([slot], 500_000, 3.0) == [2]  # lasting: back (600k < 1.5 x 500k)
    # long after a step up, the 1.5x hysteresis again
    choice = LayerChoice(hold_off=0.0, up_interval=0.0)
    choice.last_up = -100.0
    slot = SlotView(TWO, 3, current=3)
    choice.choose([slot], 500_000, 0.0)
    assert choice.choose([slot], 500_000, 1.0) == [3]


def test_up_only_when_the_new_total_stays_under_seven_eighths() -> None:
    choice = LayerChoice(hold_off=0.0, up_interval=0.0)
    slot = SlotView(TWO, 3, current=2)  # low 150k; next: high 600k
    assert choice.choose([slot], 685_000, 0.0) == [2]  # 600k >= 7/8 x 685k
    assert choice.choose([slot], 686_000, 1.0) == [3]  # 600k < 7/8 x 686k


def test_several_publishers_share_the_budget_cheapest_first() -> None:
    choice = LayerChoice()
    slots = [SlotView(TWO, 3), SlotView(TWO, 3), SlotView(TWO, 3)]
    # 3 x low = 450k fits 7/8 of 600k; a fourth step (one to high) does not
    assert choice.choose(slots, 600_000, 0.0) == [2, 2, 2]
    for s, i in zip(slots, [2, 2, 2], strict=True):
        s.current = i
    # the budget falls: the dearest goes down first, until the total fits it
    choice.choose(slots, 290_000, 1.0)
    assert choice.choose(slots, 290_000, 2.0) == [1, 1, 1]  # 300k > 290k: all three


def test_ceiling_caps_at_once_and_off_is_off() -> None:
    choice = LayerChoice()
    slots = [SlotView(TWO, 0, current=3), SlotView(TWO, -1, current=3)]
    assert choice.choose(slots, 2_000_000, 0.0) == [0, -1]


@pytest.mark.parametrize(
    ("rungs", "index", "cap", "has_low", "reason"),
    [
        (TWO_STREAMS, 3, 3, True, "ok"),
        (TWO_STREAMS, 2, 2, True, "ceiling"),
        (TWO_STREAMS, 1, 3, True, "bandwidth"),
        (ONE_LAYERED_STREAM, 2, 3, False, "no_source"),
        (ONE_LAYERED_STREAM, 0, 3, False, "bandwidth"),
    ],
)
def test_reasons(rungs: tuple, index: int, cap: int, has_low: bool, reason: str) -> None:  # type: ignore[type-arg]
    assert reason_for(rungs, index, cap, has_low) == reason


def test_loss_of_the_publishers_uplink_is_not_the_receivers() -> None:
    """A lurah's 5 % radio uplink reaches the host as 5 % gaps: the host's clean link must not
    be read as lossy for it."""
    assert downlink_loss(13, 0.05) == 0  # all of it upstream
    assert downlink_loss(64, 0.05) == 51  # 25 % seen, 5 % of it upstream
    assert downlink_loss(13, 0.0) == 13
    assert downlink_loss(0, 0.3) == 0


def test_a_weak_link_found_after_a_first_cut_starts_from_the_slow_start() -> None:
    """The high layer placed at the start overfilled a 256 kbit/s link: the first reports cut
    the estimate to 70 kbit/s, where it held while the link's own loss was learnt."""
    estimate = DownlinkEstimate(None)
    estimate.report_loss(51)  # 20 %: congestion, before any round trip is known
    estimate.update(0.0, 100, 170_000)
    assert estimate.value(0.0) < SLOW_START_BPS
    for now in (1.0, 2.0, 3.0):
        estimate.report_rtt(0.62)
        estimate.report_loss(13)
        estimate.update(now, 100, 90_000)
    assert estimate.take_restart() and estimate.value(3.0) == SLOW_START_BPS


def test_a_long_ice_round_trip_starts_an_unknown_receiver_slow() -> None:
    from media.estimate import SLOW_START_BPS, UNKNOWN_PRIOR_BPS

    long = DownlinkEstimate()
    long.note_path_rtt(0.6)
    assert long.loss_bps == SLOW_START_BPS
    long.note_path_rtt(0.001)  # decided once
    assert long.loss_bps == SLOW_START_BPS
    short = DownlinkEstimate()
    short.note_path_rtt(0.02)
    assert short.loss_bps == UNKNOWN_PRIOR_BPS
    short.note_path_rtt(0.6)  # decided once: the first checks said LAN
    assert short.loss_bps == UNKNOWN_PRIOR_BPS
    unmeasured = DownlinkEstimate()
    unmeasured.note_path_rtt(None)
    unmeasured.note_path_rtt(0.6)  # None decides nothing
    assert unmeasured.loss_bps == SLOW_START_BPS
    known = DownlinkEstimate(2_000_000)  # the inventory's figure wins
    known.note_path_rtt(0.6)
    assert known.loss_bps == 2_000_000
    reported = DownlinkEstimate()  # receiver reports measured it already: they decide
    reported.report_rtt(0.02)
    reported.note_path_rtt(0.6)
    assert reported.loss_bps == UNKNOWN_PRIOR_BPS
    # a long path without loss grows from the slow start
    for second in range(1, 6):
        long.report_loss(0)
        long.update(float(second), 100, 150_000)
    assert long.loss_bps > SLOW_START_BPS
