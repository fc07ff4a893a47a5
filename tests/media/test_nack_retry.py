"""The retry policy of the server's NACKs to a publisher (media/nack_retry.py): synthetic
sequence numbers and a clock passed in, no network."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from media import hooks
from media.nack_retry import COALESCE, DEFAULT_RTT, MIN_RTT, RETRY_FACTOR, NackRetry
from media.testing import wait_for

RTT = 0.6


def lossy(rtt: float | None = RTT, **kwargs: float) -> NackRetry:
    retry = NackRetry(lambda: rtt, **kwargs)  # type: ignore[arg-type]
    for seq in range(100, 110):
        assert retry.received(seq, 0.0) == []
    return retry


def test_a_gap_is_nacked_at_once_and_only_the_gap() -> None:
    retry = lossy()
    assert retry.received(112, 0.1) == [110, 111]
    assert retry.received(113, 0.15) == []
    assert retry.received(115, 0.2) == [114]  # not 110, 111 again (aiortc's generator would)
    assert retry.requested == 3 and retry.retried == 0


def test_a_packet_still_missing_is_asked_again_after_a_round_trip() -> None:
    retry = lossy()
    retry.received(111, 1.0)
    interval = RTT * RETRY_FACTOR
    assert retry.next_due() == 1.0 + interval
    assert retry.due(1.0 + interval / 2) == []
    assert retry.due(1.0 + interval) == [110]
    assert retry.retried == 1
    assert retry.next_due() == 1.0 + 2 * interval  # from the retry, not from the gap


def test_retries_follow_the_round_trip_as_measured_now() -> None:
    rtts: list[float | None] = [None]
    retry = NackRetry(lambda: rtts[-1])
    retry.received(1, 0.0)
    retry.received(3, 0.0)
    assert retry.next_due() == DEFAULT_RTT * RETRY_FACTOR  # unknown: the default
    rtts.append(0.01)
    assert retry.next_due() == MIN_RTT * RETRY_FACTOR  # never under the floor
    rtts.append(0.8)
    assert retry.due(0.5) == []
    assert retry.due(0.8 * RETRY_FACTOR) == [2]


def test_retries_are_bounded() -> None:
    retry = lossy(rtt=0.1, max_sends=3, max_age=10.0)
    retry.received(111, 0.0)
    now, sent = 0.0, 0
    while (due := retry.next_due()) is not None:
        now = due
        sent += len(retry.due(now))
    assert sent == 2 and retry.retried == 2  # three requests in all
    assert retry.missing == [110]  # still tracked: a late arrival counts as repaired
    assert retry.received(110, now + 0.1) == []
    assert retry.repaired == 1 and retry.given_up == 0


def test_a_packet_too_old_to_help_is_given_up() -> None:
    retry = lossy(max_age=1.5)
    retry.received(111, 0.0)
    assert retry.due(0.75) == [110]
    assert retry.next_due() is None  # the next retry (1.5 s) would come too late
    assert retry.due(1.5) == []
    assert retry.missing == [] and retry.given_up == 1
    assert retry.received(110, 1.6) == []  # arriving now changes nothing
    assert retry.repaired == 0


def test_a_packet_out_of_the_history_is_given_up() -> None:
    retry = lossy(history=16)
    for seq in range(111, 111 + 16):
        retry.received(seq, 0.1)
    assert retry.missing == [110]  # 16 behind the newest
    retry.received(111 + 16, 0.2)
    assert retry.missing == [] and retry.given_up == 1


def test_a_long_gap_asks_for_the_history_only() -> None:
    retry = lossy(history=16)
    assert retry.received(1000, 0.0) == list(range(984, 1000))


def test_an_arrival_clears_the_packet_also_when_it_came_as_a_retransmission() -> None:
    """The receiver hands the policy a retransmission unwrapped to its original number."""
    retry = lossy()
    retry.received(113, 0.0)
    assert retry.missing == [110, 111, 112]
    retry.received(111, 0.5)  # RTX of 111, unwrapped
    assert retry.missing == [110, 112] and retry.repaired == 1
    assert retry.repair_time == 0.5
    assert retry.due(RTT * RETRY_FACTOR) == [110, 112]
    retry.received(110, 1.0)
    retry.received(112, 1.0)
    assert retry.missing == [] and retry.next_due() is None
    assert retry.repaired == 3 and retry.given_up == 0


def test_retries_due_together_go_out_together() -> None:
    retry = lossy()
    retry.received(111, 0.0)
    retry.received(113, COALESCE / 2)
    assert retry.due(RTT * RETRY_FACTOR) == [110, 112]


def test_sequence_numbers_wrap() -> None:
    retry = NackRetry(lambda: RTT)
    retry.received(65534, 0.0)
    assert retry.received(1, 0.1) == [65535, 0]
    retry.received(65535, 0.2)
    assert retry.missing == [0]
    assert retry.received(65530, 0.3) == []  # older than the newest: not a gap


class FakeReceiver:
    """What ``PacedNacks`` calls on a receiver (``RTCRtpReceiver._send_rtcp_nack``)."""

    def __init__(self) -> None:
        self.nacks: list[tuple[int, list[int]]] = []

    async def _send_rtcp_nack(self, media_ssrc: int, lost: list[int]) -> None:
        self.nacks.append((media_ssrc, lost))


async def test_paced_nacks_repeat_each_nack_and_retry_until_the_packet_comes() -> None:
    receiver = FakeReceiver()
    paced = hooks.PacedNacks(receiver, NackRetry(lambda: MIN_RTT))
    for seq in (1, 2, 4, 5):
        gap = paced.add(RtpPacket(sequence_number=seq, ssrc=7))
        assert gap == (seq == 4)  # aiortc sends ``missing`` itself when add says True
        if gap:
            assert paced.missing == [3]
    await wait_for(lambda: len(receiver.nacks) >= 1, within=5, what="the NACK's repeat")
    await wait_for(lambda: len(receiver.nacks) >= 3, within=5, what="a retry and its repeat")
    assert receiver.nacks[:3] == [(7, [3])] * 3
    assert paced.policy.retried >= 1 and paced.repeated >= 2
    assert paced.add(RtpPacket(sequence_number=3, ssrc=7)) is False  # its repair, at last
    assert not paced.armed and paced.policy.repaired == 1
    paced.close()
